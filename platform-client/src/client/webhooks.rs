//! Webhooks.

use super::{json, Client, Payload, Result};
use crate::{paths, wire};

impl Client {
    /// [`CREATE_WEBHOOK`](paths::CREATE_WEBHOOK) (Master): registers a webhook; the
    /// answer carries its signing secret, shown once.
    pub async fn create_webhook(
        &self,
        ws: &str,
        hook: &wire::NewWebhook,
    ) -> Result<wire::WebhookCreated> {
        self.call(paths::CREATE_WEBHOOK, &[ws], &[], json(hook)?)
            .await
    }

    /// [`WEBHOOKS`](paths::WEBHOOKS) (Master): the workspace's webhooks,
    /// without their secrets.
    pub async fn webhooks(&self, ws: &str) -> Result<Vec<wire::Webhook>> {
        self.call(paths::WEBHOOKS, &[ws], &[], Payload::None).await
    }

    /// [`DELETE_WEBHOOK`](paths::DELETE_WEBHOOK) (Master of its workspace).
    pub async fn delete_webhook(&self, id: &str) -> Result<wire::Webhook> {
        self.call(paths::DELETE_WEBHOOK, &[id], &[], Payload::None)
            .await
    }

    /// [`WEBHOOK_DELIVERIES`](paths::WEBHOOK_DELIVERIES) (Master of its workspace): the
    /// latest deliveries, newest first, with every attempt.
    pub async fn webhook_deliveries(&self, id: &str) -> Result<Vec<wire::WebhookDelivery>> {
        self.call(paths::WEBHOOK_DELIVERIES, &[id], &[], Payload::None)
            .await
    }
}
