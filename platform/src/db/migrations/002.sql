
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id), url TEXT NOT NULL,
  secret TEXT NOT NULL, events TEXT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX webhooks_workspace ON webhooks(workspace_id);
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL REFERENCES webhooks(id), event_id TEXT NOT NULL,
  event TEXT NOT NULL, payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
  attempts BIGINT NOT NULL, next_at_ms BIGINT NOT NULL, created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_at_ms);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id);
CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id), n BIGINT NOT NULL, at BIGINT NOT NULL,
  status BIGINT, error TEXT, duration_ms BIGINT NOT NULL, PRIMARY KEY (delivery_id, n));
