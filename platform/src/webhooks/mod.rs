//! Webhooks: a workspace's Master registers URLs that receive its release
//! results (the events that also go to the inbox), each with a signing
//! secret shown once. What a webhook may connect to is in [`net`]; how events
//! are queued and delivered, in [`outbox`]; how the secrets are encrypted at
//! rest, in [`secrets`].

mod net;
mod outbox;
mod secrets;

pub(crate) use net::check_url;
pub(crate) use outbox::{deliver, enqueue, Event};
pub(crate) use secrets::encrypt_plaintext;

use crate::audit::audit;
use crate::db::Columns;
use crate::error::Error;
use crate::ids::ordered_id;
use crate::keys::SecretsKey;
use crate::{now, Config};
use mpkit_platform_client::wire::{
    DeliveryStatus, Webhook, WebhookAttempt, WebhookCreated, WebhookDelivery, WebhookEvent,
};
use net::Guarded;
use serde_json::json;
use sqlx::AnyPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The whole time one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Webhooks per workspace, at most.
const MAX_PER_WORKSPACE: i64 = 20;
/// Deliveries listed per call, the newest first.
const DELIVERIES_LISTED: i64 = 100;

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

/// Registers a webhook for `ws`'s release results (audited as `actor`); the
/// answer carries the signing secret, shown once and kept, encrypted, to
/// sign deliveries.
pub(crate) async fn create(
    db: &AnyPool,
    config: &Config,
    key: &SecretsKey,
    actor: &str,
    ws: &str,
    url: &str,
    events: Option<Vec<WebhookEvent>>,
) -> Result<WebhookCreated, Error> {
    let url = check_url(url, config.webhook_allow_loopback).map_err(Error::BadRequest)?;
    let events = self::events(events).map_err(Error::BadRequest)?;
    let (id, secret) = (ordered_id()?, new_secret()?);
    // Sealed with the key the platform loaded at start, as deliveries open it.
    let stored = secrets::seal(key, &id, &secret)?;
    let events_json = serde_json::to_string(&events).map_err(|e| Error::Internal(e.to_string()))?;
    let mut tx = db.begin().await?;
    // Serialised on the workspace row, so the limit holds under races.
    sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
        .bind(ws)
        .execute(&mut *tx)
        .await?;
    let n = sqlx::query("SELECT COUNT(*) AS n FROM webhooks WHERE workspace_id = $1")
        .bind(ws)
        .fetch_one(&mut *tx)
        .await?;
    if n.int("n")? >= MAX_PER_WORKSPACE {
        return Err(Error::Conflict(format!(
            "a workspace has at most {MAX_PER_WORKSPACE} webhooks"
        )));
    }
    sqlx::query("INSERT INTO webhooks (id, workspace_id, url, secret, events, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&id)
        .bind(ws)
        .bind(url.as_str())
        .bind(&stored)
        .bind(&events_json)
        .bind(actor)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "webhook.create",
        &format!("workspace:{ws}/webhook:{id}"),
        None,
        Some(json!({"url": url.as_str(), "events": events})),
    )
    .await?;
    tx.commit().await?;
    Ok(WebhookCreated {
        id,
        workspace: ws.to_owned(),
        url: url.to_string(),
        events,
        secret,
    })
}

/// A webhook row, never with its secret.
fn webhook(r: &sqlx::any::AnyRow) -> Result<Webhook, Error> {
    Ok(Webhook {
        id: r.text("id")?,
        workspace: r.text("workspace_id")?,
        url: r.text("url")?,
        events: r.json("events")?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
    })
}

/// The workspace's webhooks, oldest first.
pub(crate) async fn list(db: &AnyPool, ws: &str) -> Result<Vec<Webhook>, Error> {
    let rows = sqlx::query(
        "SELECT id, workspace_id, url, events, created_by, created_at FROM webhooks WHERE workspace_id = $1 ORDER BY created_at, id",
    )
    .bind(ws)
    .fetch_all(db)
    .await?;
    rows.iter().map(webhook).collect()
}

/// One webhook, if it exists.
pub(crate) async fn get(db: &AnyPool, id: &str) -> Result<Option<Webhook>, Error> {
    sqlx::query(
        "SELECT id, workspace_id, url, events, created_by, created_at FROM webhooks WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?
    .map(|r| webhook(&r))
    .transpose()
}

/// Deletes a webhook with its deliveries and their attempts (audited as `actor`).
pub(crate) async fn delete(db: &AnyPool, actor: &str, hook: &Webhook) -> Result<(), Error> {
    let id = &hook.id;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = $1)")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let n = sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n != 1 {
        return Err(Error::NotFound(format!("no webhook {id}")));
    }
    audit(
        &mut tx,
        actor,
        "webhook.delete",
        &format!("workspace:{}/webhook:{id}", hook.workspace),
        Some(json!({"url": hook.url, "events": hook.events})),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The webhook's latest deliveries (newest first, at most 100), each with
/// every attempt.
pub(crate) async fn deliveries(db: &AnyPool, id: &str) -> Result<Vec<WebhookDelivery>, Error> {
    let rows = sqlx::query(
        "SELECT id, event_id, event, payload, status, next_at_ms, created_at FROM webhook_deliveries \
         WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(id)
    .bind(DELIVERIES_LISTED)
    .fetch_all(db)
    .await?;
    let attempts = sqlx::query(
        "SELECT a.delivery_id AS delivery_id, a.n AS n, a.at AS at, a.status AS status, a.error AS error, \
         a.duration_ms AS duration_ms FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
         WHERE d.webhook_id = $1 ORDER BY a.delivery_id, a.n",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let mut by_delivery: HashMap<String, Vec<WebhookAttempt>> = HashMap::new();
    for a in &attempts {
        by_delivery
            .entry(a.text("delivery_id")?)
            .or_default()
            .push(WebhookAttempt {
                n: u32::try_from(a.uint("n")?).unwrap_or(u32::MAX),
                at: a.int("at")?,
                status: a.opt_int("status")?.and_then(|s| u16::try_from(s).ok()),
                error: a.opt_text("error")?,
                duration_ms: a.uint("duration_ms")?,
            });
    }
    rows.iter()
        .map(|r| {
            let status = r.parsed("status")?;
            Ok(WebhookDelivery {
                id: r.text("id")?,
                webhook: id.to_owned(),
                event_id: r.text("event_id")?,
                event: r.parsed("event")?,
                attempts: by_delivery.remove(&r.text("id")?).unwrap_or_default(),
                next_attempt_at_ms: if status == DeliveryStatus::Pending {
                    Some(r.int("next_at_ms")?)
                } else {
                    None
                },
                status,
                payload: r.json("payload")?,
                created_at: r.int("created_at")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
