//! Webhooks: a workspace's Master registers URLs that receive its release
//! results (the events that also go to the inbox).
//!
//! Delivery goes through an outbox: the event is queued in the transaction
//! that writes the inbox message, so it exists exactly when the change
//! committed, and survives a restart. A background task per instance claims
//! due deliveries (a compare-and-set on `next_at_ms`, so two instances never
//! send the same attempt), POSTs the signed JSON with a 5 s timeout, and
//! records every attempt. A failure is retried with exponential backoff until
//! `Config::webhook_max_attempts`, then the delivery is marked failed.
//!
//! Requests go to public addresses only: URLs are checked when registered and
//! again before each attempt (http(s), no user info, no loopback, private,
//! link-local or otherwise internal IP literal), host names are resolved by
//! our resolver, which drops internal answers (so DNS cannot point a webhook
//! inside), and redirects are not followed.

use crate::db::Columns;
use crate::error::Error;
use crate::{Config, Platform};
use hmac::{Hmac, Mac};
use mpkit_platform_client::wire::{DeliveryStatus, IsvAction, WebhookEvent, WebhookPayload};
use reqwest::Url;
use sqlx::{Any, Transaction};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The whole time one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(5);
/// How long a claimed delivery belongs to the instance that claimed it; after
/// that (the instance died mid-attempt) another may send it again.
const LEASE_MS: i64 = 60_000;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How often an idle instance looks for deliveries queued by others.
const IDLE_POLL: Duration = Duration::from_secs(5);
/// Deliveries claimed and sent at once.
const BATCH: i64 = 16;
/// The longest URL accepted.
const MAX_URL: usize = 2048;
/// Webhooks per workspace, at most.
pub(crate) const MAX_PER_WORKSPACE: i64 = 20;

/// The delivery side of the outbox: the HTTP client and the worker's wake-up.
#[derive(Debug)]
pub(crate) struct Outbox {
    wake: Arc<Notify>,
    http: reqwest::Client,
    allow_loopback: bool,
    max_attempts: u32,
    backoff: Duration,
}

impl Outbox {
    pub(crate) fn new(config: &Config) -> Result<Outbox, Error> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!(
                "mpkit-platform-webhooks/",
                env!("CARGO_PKG_VERSION")
            ))
            .dns_resolver(Arc::new(Guarded {
                allow_loopback: config.webhook_allow_loopback,
            }))
            .build()
            .map_err(|e| Error::Internal(format!("webhook client: {e}")))?;
        Ok(Outbox {
            wake: Arc::new(Notify::new()),
            http,
            allow_loopback: config.webhook_allow_loopback,
            max_attempts: config.webhook_max_attempts.max(1),
            backoff: config.webhook_backoff,
        })
    }

    /// Tells this instance's worker that deliveries were queued (after the commit).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }
}

// ------------------------------------------------------------ addresses

/// Checks a webhook URL; the reason it is refused otherwise.
pub(crate) fn check_url(raw: &str, allow_loopback: bool) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.len() > MAX_URL {
        return Err(format!("the url is longer than {MAX_URL} characters"));
    }
    let url = Url::parse(raw).map_err(|e| format!("the url is not valid: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the url must be http or https".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the url must not carry user info".into());
    }
    match url.host() {
        None => Err("the url has no host".into()),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if (d == "localhost" || d.ends_with(".localhost")) && !allow_loopback {
                return Err("the url must not point at this machine (localhost)".into());
            }
            Ok(url)
        }
        Some(url::Host::Ipv4(ip)) => match refused(IpAddr::V4(ip), allow_loopback) {
            Some(why) => Err(format!("the url must not point at {why}")),
            None => Ok(url),
        },
        Some(url::Host::Ipv6(ip)) => match refused(IpAddr::V6(ip), allow_loopback) {
            Some(why) => Err(format!("the url must not point at {why}")),
            None => Ok(url),
        },
    }
}

/// Why a webhook may not connect to `ip`, if it may not.
pub(crate) fn refused(ip: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4, allow_loopback),
        IpAddr::V6(v6) => refused_v6(v6, allow_loopback),
    }
}

fn refused_v4(ip: Ipv4Addr, allow_loopback: bool) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        return (!allow_loopback).then_some("a loopback address");
    }
    if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("a shared (CGNAT) address")
    } else if o[0] == 0 {
        Some("an unspecified address")
    } else if ip.is_multicast() || o[0] >= 240 {
        Some("a multicast, broadcast or reserved address")
    } else if (o[0], o[1], o[2]) == (192, 0, 0) || (o[0] == 198 && (o[1] & 0xfe) == 18) {
        Some("a reserved address")
    } else {
        None
    }
}

fn refused_v6(ip: Ipv6Addr, allow_loopback: bool) -> Option<&'static str> {
    let s = ip.segments();
    // Addresses that embed an IPv4 address are judged by it: mapped
    // (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16).
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refused_v4(v4, allow_loopback);
    }
    if ip.is_loopback() {
        return (!allow_loopback).then_some("a loopback address");
    }
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if s[..6] == [0; 6] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return refused_v4(embedded(s[6], s[7]), false);
    }
    if s[0] == 0x2002 {
        return refused_v4(embedded(s[1], s[2]), false);
    }
    if s[0] & 0xfe00 == 0xfc00 {
        Some("a private (unique local) address")
    } else if s[0] & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if s[0] & 0xff00 == 0xff00 {
        Some("a multicast address")
    } else {
        None
    }
}

/// Resolves host names for deliveries, dropping every answer a webhook may
/// not connect to (DNS cannot point a webhook at an internal address).
#[derive(Debug)]
struct Guarded {
    allow_loopback: bool,
}

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok: Vec<SocketAddr> = all
                .into_iter()
                .filter(|a| refused(a.ip(), allow).is_none())
                .collect();
            if ok.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

// ------------------------------------------------------------ signing

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

/// A new signing secret: 256 random bits.
pub(crate) fn new_secret() -> Result<String, Error> {
    Ok(format!("whsec_{}", crate::ids::random_hex(32)?))
}

/// The events of a registration: every event when absent; refused when
/// empty (an unknown name never parses). Sorted by name, without duplicates.
pub(crate) fn events(requested: Option<Vec<WebhookEvent>>) -> Result<Vec<WebhookEvent>, String> {
    let Some(mut list) = requested else {
        return Ok(WebhookEvent::ALL.to_vec());
    };
    if list.is_empty() {
        return Err("events must not be empty; leave it out for every event".into());
    }
    list.sort_by_key(|e| e.as_str());
    list.dedup();
    Ok(list)
}

// ------------------------------------------------------------ the outbox

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
    secret: String,
}

/// Sends every due delivery; returns when the next pending one is due.
async fn run_due(p: &Platform) -> Result<Option<i64>, Error> {
    loop {
        let now = now_ms();
        let rows = sqlx::query(
            "SELECT d.id AS id, d.event AS event, d.payload AS payload, d.attempts AS attempts, \
             d.next_at_ms AS next_at_ms, w.url AS url, w.secret AS secret \
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
                claimed.push(Due {
                    id: r.text("id")?,
                    event: r.text("event")?,
                    payload: r.text("payload")?,
                    attempts: r.int("attempts")?,
                    url: r.text("url")?,
                    secret: r.text("secret")?,
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

/// One attempt: the receiver's status, or why there was none.
async fn send(http: &reqwest::Client, d: &Due, allow_loopback: bool) -> Result<u16, String> {
    let url = check_url(&d.url, allow_loopback)?;
    let sig = signature(&d.secret, d.payload.as_bytes()).map_err(|e| e.to_string())?;
    let resp = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Mpkit-Event", &d.event)
        .header("X-Mpkit-Delivery", &d.id)
        .header("X-Mpkit-Signature", sig)
        .body(d.payload.clone())
        .send()
        .await
        .map_err(|e| {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(c) = src {
                s.push_str(": ");
                s.push_str(&c.to_string());
                src = c.source();
            }
            s.chars().take(500).collect::<String>()
        })?;
    Ok(resp.status().as_u16())
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
    fn urls_are_checked() {
        for bad in [
            "ftp://example.com/hook",
            "not a url",
            "https://user:pw@example.com/hook",
            "https://user@example.com/hook",
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://a.localhost/hook",
            "http://0x7f.1/hook",
            "http://2130706433/hook",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:c0a8:101::1]/",
            "http://[::]/",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad} is refused");
        }
        for good in [
            "https://example.com/hook",
            "http://hooks.example.com:8080/a?b=c",
            "https://93.184.216.34/hook",
            "https://[2606:2800:220:1::1]/",
        ] {
            assert!(check_url(good, false).is_ok(), "{good} is accepted");
        }
        // Loopback only when allowed; private ranges never.
        assert!(check_url("http://127.0.0.1:9/hook", true).is_ok());
        assert!(check_url("http://[::1]:9/", true).is_ok());
        assert!(check_url("http://localhost:9/", true).is_ok());
        assert!(check_url("http://10.0.0.1/", true).is_err());
        assert!(check_url(&format!("https://e.com/{}", "a".repeat(MAX_URL)), false).is_err());
    }

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

    #[test]
    fn events_are_checked() {
        assert_eq!(events(None).expect("all").len(), WebhookEvent::ALL.len());
        assert_eq!(
            events(Some(vec![
                WebhookEvent::ReleaseRejected,
                WebhookEvent::ReleaseApproved,
                WebhookEvent::ReleaseRejected
            ]))
            .expect("some"),
            vec![WebhookEvent::ReleaseApproved, WebhookEvent::ReleaseRejected]
        );
        assert!(events(Some(vec![])).is_err());
        // An unknown event never reaches this far: the body does not parse.
        let body = serde_json::json!({"url": "https://e.com/h", "events": ["release.*"]});
        assert!(serde_json::from_value::<mpkit_platform_client::wire::NewWebhook>(body).is_err());
    }
}
