//! Webhooks: registrations, the signed payload and delivery records.

use super::{DeliveryStatus, WebhookEvent};
use serde::{Deserialize, Serialize};

/// [`CREATE_WEBHOOK`](crate::paths::CREATE_WEBHOOK) (Master).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where events are POSTed: `http` or `https`, no user info; not a
    /// loopback or private address.
    pub url: String,
    /// The events to send; every event when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<WebhookEvent>>,
}

/// A registered webhook, with its signing secret (shown once, on creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreated {
    /// Webhook id.
    pub id: String,
    /// The workspace whose events it receives.
    pub workspace: String,
    /// Where events are POSTed.
    pub url: String,
    /// The events it receives.
    pub events: Vec<WebhookEvent>,
    /// The HMAC-SHA256 key of `X-Mpkit-Signature: sha256=<hex>`; shown once.
    pub secret: String,
}

/// A webhook, as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Webhook id.
    pub id: String,
    /// The workspace whose events it receives.
    pub workspace: String,
    /// Where events are POSTed.
    pub url: String,
    /// The events it receives.
    pub events: Vec<WebhookEvent>,
    /// Who registered it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// The JSON body of a webhook request. Its exact bytes are signed:
/// `X-Mpkit-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload {
    /// The event's id: the same for every webhook and every retry, so a
    /// receiver can drop duplicates.
    pub id: String,
    /// What happened.
    pub event: WebhookEvent,
    /// When (unix seconds).
    pub at: i64,
    /// The release id.
    pub release: String,
    /// The mini program.
    pub app_id: String,
    /// The target app.
    pub target_app: String,
    /// The inbox message, for people.
    pub text: String,
}

/// One attempt to deliver a webhook event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttempt {
    /// 1 for the first attempt.
    pub n: u32,
    /// When it was made (unix seconds).
    pub at: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

/// One event queued for one webhook, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// Delivery id (the `X-Mpkit-Delivery` header).
    pub id: String,
    /// The webhook.
    pub webhook: String,
    /// The event's id (the payload's `id`).
    pub event_id: String,
    /// The event.
    pub event: WebhookEvent,
    /// What became of it.
    pub status: DeliveryStatus,
    /// Every attempt so far, the first first.
    pub attempts: Vec<WebhookAttempt>,
    /// When the next attempt is due (unix milliseconds), while pending.
    pub next_attempt_at_ms: Option<i64>,
    /// The body sent.
    pub payload: WebhookPayload,
    /// Unix seconds.
    pub created_at: i64,
}
