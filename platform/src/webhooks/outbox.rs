//! The outbox: an event is queued in the transaction that writes the inbox
//! message, so it exists exactly when the change committed, and survives a
//! restart. A worker per instance claims due deliveries (a compare-and-set
//! on `next_at_ms`, so two instances never send the same attempt), POSTs the
//! signed JSON with a 5 s timeout, and records every attempt. A failure is
//! retried with exponential backoff until `Config::webhook_max_attempts`,
//! then the delivery is marked failed. Redirects are not followed. The
//! webhook's secret is decrypted for each attempt; one that does not decrypt
//! fails that attempt (recorded, nothing sent) and nothing else.

use super::net::check_url;
use crate::db::Columns;
use crate::error::Error;
use crate::Platform;
use hmac::{Hmac, Mac};
use mpkit_platform_client::wire::{DeliveryStatus, IsvAction, WebhookEvent, WebhookPayload};
use sqlx::{Any, Transaction};
use std::sync::Weak;
use std::time::{Duration, Instant};

/// How long a claimed delivery belongs to the instance that claimed it; after
/// that (the instance died mid-attempt) another may send it again.
const LEASE_MS: i64 = 60_000;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How often an idle instance looks for deliveries queued by others.
const IDLE_POLL: Duration = Duration::from_secs(5);
/// Deliveries claimed and sent at once.
const BATCH: i64 = 16;

/// One release result to announce.
#[derive(Debug)]
pub(crate) struct Event<'a> {
    /// The event's id (the inbox message's).
    pub(crate) id: &'a str,
    /// What happened.
    pub(crate) event: WebhookEvent,
    pub(crate) release: &'a str,
    pub(crate) app: &'a str,
    pub(crate) target: &'a str,
    pub(crate) text: &'a str,
}

/// Queues `ev` for every webhook that receives it, inside the transaction that
/// records it: the webhooks of the workspace that owns the mini program, and
/// of the ISV that develops it while the merchant authorizes it to read it.
/// Returns how many deliveries were queued.
pub(crate) async fn enqueue(tx: &mut Transaction<'_, Any>, ev: &Event<'_>) -> Result<usize, Error> {
    let Some(app) = sqlx::query("SELECT owner_ws, developer_ws FROM apps WHERE app_id = $1")
        .bind(ev.app)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(0);
    };
    let owner = app.text("owner_ws")?;
    let mut workspaces = vec![owner.clone()];
    if let Some(isv) = app.opt_text("developer_ws")? {
        let auths = sqlx::query(
            "SELECT app_id, actions FROM isv_auths WHERE merchant_ws = $1 AND isv_ws = $2 AND revoked_at IS NULL",
        )
        .bind(&owner)
        .bind(&isv)
        .fetch_all(&mut **tx)
        .await?;
        let mut reads = false;
        for r in &auths {
            reads |= r.opt_text("app_id")?.is_none_or(|a| a == ev.app)
                && r.text("actions")?
                    .split(',')
                    .any(|a| a == IsvAction::Read.as_str());
        }
        if reads {
            workspaces.push(isv);
        }
    }
    let at = crate::now();
    let payload = serde_json::to_string(&WebhookPayload {
        id: ev.id.to_owned(),
        event: ev.event,
        at,
        release: ev.release.to_owned(),
        app_id: ev.app.to_owned(),
        target_app: ev.target.to_owned(),
        text: ev.text.to_owned(),
    })
    .map_err(|e| Error::Internal(e.to_string()))?;
    let mut queued = 0;
    for ws in &workspaces {
        let hooks = sqlx::query("SELECT id, events FROM webhooks WHERE workspace_id = $1")
            .bind(ws)
            .fetch_all(&mut **tx)
            .await?;
        for h in &hooks {
            let wanted: Vec<WebhookEvent> = h.json("events")?;
            if !wanted.contains(&ev.event) {
                continue;
            }
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, webhook_id, event_id, event, payload, status, attempts, next_at_ms, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $7)",
            )
            .bind(crate::ids::ordered_id()?)
            .bind(h.text("id")?)
            .bind(ev.id)
            .bind(ev.event.as_str())
            .bind(&payload)
            .bind(now_ms())
            .bind(at)
            .execute(&mut **tx)
            .await?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// Unix milliseconds now.
pub(crate) fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The wait before attempt `n + 1`, after `n` failed ones.
fn backoff(base: Duration, n: u32) -> Duration {
    base.saturating_mul(1u32 << (n.saturating_sub(1)).min(20))
        .min(MAX_BACKOFF)
}

/// The delivery worker of one instance: sends what is due, then sleeps until
/// the next retry is due, it is woken (a delivery was queued here), or
/// [`IDLE_POLL`] passed (deliveries queued by other instances). Runs until the
/// platform is gone.
pub(crate) async fn deliver(p: Weak<Platform>) {
    loop {
        let Some(platform) = p.upgrade() else { return };
        let next = match run_due(&platform).await {
            Ok(next) => next,
            Err(e) => {
                tracing::warn!(error = %e, "webhook deliveries");
                None
            }
        };
        let wake = platform.webhooks.wake.clone();
        drop(platform);
        let wait = next
            .map(|at| Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)))
            .unwrap_or(IDLE_POLL)
            .min(IDLE_POLL);
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// A claimed delivery.
struct Due {
    id: String,
    event: String,
    payload: String,
    attempts: i64,
    url: String,
    /// The webhook's signing secret, or why it could not be decrypted (the
    /// attempt's recorded error).
    secret: Result<String, String>,
}

/// What an attempt whose secret does not decrypt records. The cause (which
/// says nothing secret either) goes to the platform's own log.
const SECRET_UNREADABLE: &str =
    "internal: the webhook's signing secret could not be decrypted; nothing was sent";

/// Sends every due delivery; returns when the next pending one is due.
async fn run_due(p: &Platform) -> Result<Option<i64>, Error> {
    loop {
        let now = now_ms();
        let rows = sqlx::query(
            "SELECT d.id AS id, d.event AS event, d.payload AS payload, d.attempts AS attempts, \
             d.next_at_ms AS next_at_ms, w.id AS webhook_id, w.url AS url, w.secret AS secret \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_at_ms <= $1 ORDER BY d.next_at_ms LIMIT $2",
        )
        .bind(now)
        .bind(BATCH)
        .fetch_all(&p.db)
        .await?;
        if rows.is_empty() {
            break;
        }
        let mut claimed = Vec::new();
        for r in &rows {
            // Claimed by whoever moves its due time first.
            let n = sqlx::query(
                "UPDATE webhook_deliveries SET next_at_ms = $1 WHERE id = $2 AND status = 'pending' AND next_at_ms = $3",
            )
            .bind(now + LEASE_MS)
            .bind(r.text("id")?)
            .bind(r.int("next_at_ms")?)
            .execute(&p.db)
            .await?
            .rows_affected();
            if n == 1 {
                let hook = r.text("webhook_id")?;
                let secret = super::secrets::unseal(
                    &p.keys.webhook_secrets,
                    &hook,
                    &r.text("secret")?,
                )
                .map_err(|e| {
                    tracing::error!(webhook = %hook, error = %e, "webhook delivery not signed");
                    SECRET_UNREADABLE.to_owned()
                });
                claimed.push(Due {
                    id: r.text("id")?,
                    event: r.text("event")?,
                    payload: r.text("payload")?,
                    attempts: r.int("attempts")?,
                    url: r.text("url")?,
                    secret,
                });
            }
        }
        let mut sends = tokio::task::JoinSet::new();
        for d in claimed {
            let http = p.webhooks.http.clone();
            let allow = p.webhooks.allow_loopback;
            sends.spawn(async move {
                let at = crate::now();
                let started = Instant::now();
                let outcome = send(&http, &d, allow).await;
                (d, at, started.elapsed(), outcome)
            });
        }
        while let Some(done) = sends.join_next().await {
            let Ok((d, at, took, outcome)) = done else {
                continue;
            };
            record(p, &d, at, took, outcome).await?;
        }
    }
    let next =
        sqlx::query("SELECT MIN(next_at_ms) AS n FROM webhook_deliveries WHERE status = 'pending'")
            .fetch_one(&p.db)
            .await?;
    next.opt_int("n")
}

/// One attempt: the receiver's status, or why there was none. Nothing is
/// sent without a signature.
async fn send(http: &reqwest::Client, d: &Due, allow_loopback: bool) -> Result<u16, String> {
    let secret = d.secret.as_deref().map_err(|e| e.to_owned())?;
    let url = check_url(&d.url, allow_loopback)?;
    let sig = signature(secret, d.payload.as_bytes()).map_err(|e| e.to_string())?;
    let resp = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Mpkit-Event", &d.event)
        .header("X-Mpkit-Delivery", &d.id)
        .header("X-Mpkit-Signature", sig)
        .body(d.payload.clone())
        .send()
        .await
        .map_err(|e| delivery_error(&e))?;
    Ok(resp.status().as_u16())
}

/// What a failed attempt records, for whoever reads the deliveries: the
/// same words whether the name did not resolve, resolved only to addresses
/// a webhook may not reach, or the connection failed, so a delivery log
/// cannot map which internal names exist; the cause goes to the platform's
/// own log.
fn delivery_error(e: &reqwest::Error) -> String {
    let mut cause = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        cause.push_str(": ");
        cause.push_str(&c.to_string());
        src = c.source();
    }
    tracing::info!(cause = %cause, "webhook delivery failed");
    if e.is_timeout() {
        "the receiver did not answer in time".into()
    } else {
        "could not reach the receiver".into()
    }
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`, the `X-Mpkit-Signature` header.
pub(crate) fn signature(secret: &str, body: &[u8]) -> Result<String, Error> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| Error::Internal(format!("hmac: {e}")))?;
    mac.update(body);
    Ok(format!(
        "sha256={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

/// Records an attempt and what follows: delivered (2xx), another attempt
/// after the backoff, or failed when out of attempts.
async fn record(
    p: &Platform,
    d: &Due,
    at: i64,
    took: Duration,
    outcome: Result<u16, String>,
) -> Result<(), Error> {
    let n = d.attempts + 1;
    let ok = matches!(outcome, Ok(s) if (200..300).contains(&s));
    let (state, next) = if ok {
        (DeliveryStatus::Delivered, 0)
    } else if n >= i64::from(p.webhooks.max_attempts) {
        (DeliveryStatus::Failed, 0)
    } else {
        let wait = backoff(p.webhooks.backoff, u32::try_from(n).unwrap_or(u32::MAX));
        (DeliveryStatus::Pending, now_ms() + wait.as_millis() as i64)
    };
    let (status, error) = match &outcome {
        Ok(s) if ok => (Some(i64::from(*s)), None),
        Ok(s) => (
            Some(i64::from(*s)),
            Some(format!("the receiver answered {s}")),
        ),
        Err(e) => (None, Some(e.clone())),
    };
    let mut tx = p.db.begin().await?;
    let updated = sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_at_ms = $3, updated_at = $4 \
         WHERE id = $5 AND attempts = $6 AND status = 'pending'",
    )
    .bind(state.as_str())
    .bind(n)
    .bind(next)
    .bind(crate::now())
    .bind(&d.id)
    .bind(d.attempts)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated != 1 {
        // The webhook was deleted meanwhile.
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO webhook_attempts (delivery_id, n, at, status, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&d.id)
    .bind(n)
    .bind(at)
    .bind(status)
    .bind(error)
    .bind(took.as_millis() as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if !ok {
        tracing::info!(delivery = %d.id, attempt = n, state = %state, "webhook delivery failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256() {
        // RFC 4231, test case 2.
        let sig = signature("Jefe", b"what do ya want for nothing?").expect("sign");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let b = Duration::from_secs(10);
        assert_eq!(backoff(b, 1), Duration::from_secs(10));
        assert_eq!(backoff(b, 2), Duration::from_secs(20));
        assert_eq!(backoff(b, 3), Duration::from_secs(40));
        assert_eq!(backoff(b, 40), MAX_BACKOFF);
    }

    fn client(allow_loopback: bool) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(Duration::from_millis(300))
            .no_proxy()
            .dns_resolver(std::sync::Arc::new(super::super::net::Guarded {
                allow_loopback,
            }))
            .build()
            .expect("client")
    }

    /// A delivery log does not tell a name that resolves only inside from
    /// a port nobody listens on (issue 22, item 9): both are "could not
    /// reach the receiver"; a receiver that never answers is a timeout.
    #[tokio::test]
    async fn failed_deliveries_say_the_same_whatever_the_cause() {
        let inside = client(false)
            .post("http://localhost:1/hook")
            .send()
            .await
            .expect_err("localhost is refused by the resolver");
        assert!(format!("{inside:?}").contains("resolves to no public address"));
        let closed = client(true)
            .post("http://127.0.0.1:1/hook")
            .send()
            .await
            .expect_err("nothing listens on port 1");
        assert_eq!(delivery_error(&inside), "could not reach the receiver");
        assert_eq!(delivery_error(&closed), delivery_error(&inside));
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", silent.local_addr().expect("addr"));
        let held = tokio::spawn(async move {
            let (sock, _) = silent.accept().await.expect("accept");
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(sock);
        });
        let slow = client(true).post(url).send().await.expect_err("no answer");
        assert_eq!(delivery_error(&slow), "the receiver did not answer in time");
        held.abort();
    }
}
