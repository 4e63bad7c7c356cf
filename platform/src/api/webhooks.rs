//! `/v1/workspaces/{ws}/webhooks` and `/v1/webhooks/{id}`.

use super::extract::{body, created, ok, ApiResult, AppState, Body};
use crate::audit::audit;
use crate::authz::{require_ws_role, Caller, Role};
use crate::db::Columns;
use crate::error::Error;
use crate::ids::ordered_id;
use crate::webhooks;
use crate::{now, Platform};
use axum::extract::{Path, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{
    ApiErrorBody, DeliveryStatus, NewWebhook, Webhook, WebhookAttempt, WebhookCreated,
    WebhookDelivery, WebhookPayload,
};
use serde_json::json;

/// A webhook row as listed.
pub(super) fn webhook_row(r: &sqlx::any::AnyRow) -> Result<Webhook, Error> {
    Ok(Webhook {
        id: r.text("id")?,
        workspace: r.text("workspace_id")?,
        url: r.text("url")?,
        events: r.json("events")?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
    })
}

#[utoipa::path(post, path = paths::CREATE_WEBHOOK.template, tag = "webhooks", summary = "Register a webhook for the workspace's release results (Master); its signing secret is shown once", request_body = NewWebhook, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = WebhookCreated), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn create_webhook(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Body(b): Body,
) -> ApiResult {
    require_ws_role(&p, &c, &ws, Role::Master).await?;
    let req: NewWebhook = body(&b)?;
    let url = webhooks::check_url(&req.url, p.config.webhook_allow_loopback)
        .map_err(Error::BadRequest)?;
    let events = webhooks::events(req.events).map_err(Error::BadRequest)?;
    let (id, secret) = (ordered_id()?, webhooks::new_secret()?);
    let events_json = serde_json::to_string(&events).map_err(|e| Error::Internal(e.to_string()))?;
    let mut tx = p.db.begin().await?;
    // Serialised on the workspace row, so the limit holds under races.
    sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
        .bind(&ws)
        .execute(&mut *tx)
        .await?;
    let n = sqlx::query("SELECT COUNT(*) AS n FROM webhooks WHERE workspace_id = $1")
        .bind(&ws)
        .fetch_one(&mut *tx)
        .await?;
    if n.int("n")? >= webhooks::MAX_PER_WORKSPACE {
        return Err(Error::Conflict(format!(
            "a workspace has at most {} webhooks",
            webhooks::MAX_PER_WORKSPACE
        )));
    }
    sqlx::query("INSERT INTO webhooks (id, workspace_id, url, secret, events, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&id)
        .bind(&ws)
        .bind(url.as_str())
        .bind(&secret)
        .bind(&events_json)
        .bind(&c.account)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "webhook.create",
        &format!("workspace:{ws}/webhook:{id}"),
        None,
        Some(json!({"url": url.as_str(), "events": events})),
    )
    .await?;
    tx.commit().await?;
    // The secret is shown once; it is kept to sign deliveries.
    created(WebhookCreated {
        id,
        workspace: ws,
        url: url.to_string(),
        events,
        secret,
    })
}

#[utoipa::path(get, path = paths::WEBHOOKS.template, tag = "webhooks", summary = "The workspace's webhooks, without their secrets (Master)", params(("ws" = String, Path)), responses((status = 200, description = "Success", body = [Webhook]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn list_webhooks(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
) -> ApiResult {
    require_ws_role(&p, &c, &ws, Role::Master).await?;
    let rows = sqlx::query(
        "SELECT id, workspace_id, url, events, created_by, created_at FROM webhooks WHERE workspace_id = $1 ORDER BY created_at, id",
    )
    .bind(&ws)
    .fetch_all(&p.db)
    .await?;
    let hooks = rows
        .iter()
        .map(webhook_row)
        .collect::<Result<Vec<_>, Error>>()?;
    ok(hooks)
}

/// Loads a webhook its workspace's Master acts on; 404 for non-members.
pub(super) async fn webhook_for(p: &Platform, c: &Caller, id: &str) -> Result<Webhook, Error> {
    let row = sqlx::query(
        "SELECT id, workspace_id, url, events, created_by, created_at FROM webhooks WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&p.db)
    .await?
    .ok_or_else(|| Error::NotFound(format!("no webhook {id}")))?;
    let hook = webhook_row(&row)?;
    require_ws_role(p, c, &hook.workspace, Role::Master)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => Error::NotFound(format!("no webhook {id}")),
            other => other,
        })?;
    Ok(hook)
}

#[utoipa::path(delete, path = paths::DELETE_WEBHOOK.template, tag = "webhooks", summary = "Delete a webhook and its deliveries (Master of its workspace)", params(("id" = String, Path)), responses((status = 200, description = "The webhook deleted", body = Webhook), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn delete_webhook(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let hook = webhook_for(&p, &c, &id).await?;
    let mut tx = p.db.begin().await?;
    sqlx::query("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = $1)")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let n = sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n != 1 {
        return Err(Error::NotFound(format!("no webhook {id}")));
    }
    audit(
        &mut tx,
        &c.account,
        "webhook.delete",
        &format!("workspace:{}/webhook:{id}", hook.workspace),
        Some(json!({"url": hook.url, "events": hook.events})),
        None,
    )
    .await?;
    tx.commit().await?;
    ok(hook)
}

/// Deliveries listed per call, the newest first.
pub(super) const DELIVERIES_LISTED: i64 = 100;

#[utoipa::path(get, path = paths::WEBHOOK_DELIVERIES.template, tag = "webhooks", summary = "The webhook's latest deliveries (newest first, at most 100) with every attempt (Master of its workspace)", params(("id" = String, Path)), responses((status = 200, description = "Success", body = [WebhookDelivery]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn webhook_deliveries(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    webhook_for(&p, &c, &id).await?;
    let rows = sqlx::query(
        "SELECT id, event_id, event, payload, status, next_at_ms, created_at FROM webhook_deliveries \
         WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(&id)
    .bind(DELIVERIES_LISTED)
    .fetch_all(&p.db)
    .await?;
    let attempts = sqlx::query(
        "SELECT a.delivery_id AS delivery_id, a.n AS n, a.at AS at, a.status AS status, a.error AS error, \
         a.duration_ms AS duration_ms FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
         WHERE d.webhook_id = $1 ORDER BY a.delivery_id, a.n",
    )
    .bind(&id)
    .fetch_all(&p.db)
    .await?;
    let mut by_delivery: std::collections::HashMap<String, Vec<WebhookAttempt>> =
        std::collections::HashMap::new();
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
    let deliveries = rows
        .iter()
        .map(|r| {
            let status = r.parsed("status")?;
            Ok(WebhookDelivery {
                id: r.text("id")?,
                webhook: id.clone(),
                event_id: r.text("event_id")?,
                event: r.parsed("event")?,
                attempts: by_delivery.remove(&r.text("id")?).unwrap_or_default(),
                next_attempt_at_ms: if status == DeliveryStatus::Pending {
                    Some(r.int("next_at_ms")?)
                } else {
                    None
                },
                status,
                payload: r.json::<WebhookPayload>("payload")?,
                created_at: r.int("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    ok(deliveries)
}
