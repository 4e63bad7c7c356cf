//! `/v1/workspaces/{ws}/webhooks` and `/v1/webhooks/{id}`.

use super::extract::{body, created, ok, ApiResult, AppState, Body};
use crate::authz::{require_ws, Caller, Op};
use crate::error::Error;
use crate::{webhooks, Platform};
use axum::extract::{Path, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{NewWebhook, Webhook, WebhookCreated, WebhookDelivery};

/// Loads a webhook its workspace's Master acts on; 404 for non-members.
async fn webhook_for(p: &Platform, c: &Caller, id: &str) -> Result<Webhook, Error> {
    let hook = webhooks::get(&p.db, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no webhook {id}")))?;
    require_ws(&p.db, c, &hook.workspace, Op::Webhooks)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => Error::NotFound(format!("no webhook {id}")),
            other => other,
        })?;
    Ok(hook)
}

#[utoipa::path(post, path = paths::CREATE_WEBHOOK.template, tag = "webhooks", summary = "Register a webhook for the workspace's release results (Master); its signing secret is shown once", request_body = NewWebhook, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = WebhookCreated)), security(("bearer" = [])))]
pub(super) async fn create_webhook(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Body(b): Body,
) -> ApiResult {
    require_ws(&p.db, &c, &ws, Op::Webhooks).await?;
    let req: NewWebhook = body(&b)?;
    // The secret is shown once; it is kept to sign deliveries.
    let hook: WebhookCreated = webhooks::create(
        &p.db,
        &p.config,
        &p.keys.webhook_secrets,
        &c.account,
        &ws,
        &req.url,
        req.events,
    )
    .await?;
    created(hook)
}

#[utoipa::path(get, path = paths::WEBHOOKS.template, tag = "webhooks", summary = "The workspace's webhooks, without their secrets (Master)", params(("ws" = String, Path)), responses((status = 200, description = "Success", body = [Webhook])), security(("bearer" = [])))]
pub(super) async fn list_webhooks(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
) -> ApiResult {
    require_ws(&p.db, &c, &ws, Op::Webhooks).await?;
    ok(webhooks::list(&p.db, &ws).await?)
}

#[utoipa::path(delete, path = paths::DELETE_WEBHOOK.template, tag = "webhooks", summary = "Delete a webhook and its deliveries (Master of its workspace)", params(("id" = String, Path)), responses((status = 200, description = "The webhook deleted", body = Webhook)), security(("bearer" = [])))]
pub(super) async fn delete_webhook(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let hook = webhook_for(&p, &c, &id).await?;
    webhooks::delete(&p.db, &c.account, &hook).await?;
    ok(hook)
}

#[utoipa::path(get, path = paths::WEBHOOK_DELIVERIES.template, tag = "webhooks", summary = "The webhook's latest deliveries (newest first, at most 100) with every attempt (Master of its workspace)", params(("id" = String, Path)), responses((status = 200, description = "Success", body = [WebhookDelivery])), security(("bearer" = [])))]
pub(super) async fn webhook_deliveries(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    webhook_for(&p, &c, &id).await?;
    let deliveries: Vec<WebhookDelivery> = webhooks::deliveries(&p.db, &id).await?;
    ok(deliveries)
}
