//! Webhooks.

use super::{seg, Client, Payload, Result};
use crate::wire;
use reqwest::Method;

impl Client {
    /// `POST /v1/workspaces/{ws}/webhooks` (Master): registers a webhook; the
    /// answer carries its signing secret, shown once.
    pub async fn create_webhook(
        &self,
        ws: &str,
        hook: &wire::NewWebhook,
    ) -> Result<wire::WebhookCreated> {
        self.post(&format!("/v1/workspaces/{}/webhooks", seg(ws)), hook)
            .await
    }

    /// `GET /v1/workspaces/{ws}/webhooks` (Master): the workspace's webhooks,
    /// without their secrets.
    pub async fn webhooks(&self, ws: &str) -> Result<Vec<wire::Webhook>> {
        self.get(&format!("/v1/workspaces/{}/webhooks", seg(ws)))
            .await
    }

    /// `DELETE /v1/webhooks/{id}` (Master of its workspace).
    pub async fn delete_webhook(&self, id: &str) -> Result<wire::Webhook> {
        self.json(
            Method::DELETE,
            &format!("/v1/webhooks/{}", seg(id)),
            Payload::None,
        )
        .await
    }

    /// `GET /v1/webhooks/{id}/deliveries` (Master of its workspace): the
    /// latest deliveries, newest first, with every attempt.
    pub async fn webhook_deliveries(&self, id: &str) -> Result<Vec<wire::WebhookDelivery>> {
        self.get(&format!("/v1/webhooks/{}/deliveries", seg(id)))
            .await
    }
}
