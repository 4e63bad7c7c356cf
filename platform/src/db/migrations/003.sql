
CREATE TABLE target_operators (
  target_app TEXT NOT NULL REFERENCES target_apps(id), account_id TEXT NOT NULL REFERENCES accounts(id),
  PRIMARY KEY (target_app, account_id));
CREATE TABLE app_secrets (
  hash TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, app_id TEXT NOT NULL REFERENCES apps(app_id),
  name TEXT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE INDEX app_secrets_app ON app_secrets(app_id);
CREATE TABLE open_ids (
  target_app TEXT NOT NULL, app_id TEXT NOT NULL, user_id TEXT NOT NULL, open_id TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL, PRIMARY KEY (target_app, app_id, user_id));
CREATE TABLE auth_codes (
  hash TEXT PRIMARY KEY, app_id TEXT NOT NULL, target_app TEXT NOT NULL, open_id TEXT NOT NULL,
  scopes TEXT NOT NULL, issued_by TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
  used_at BIGINT);
CREATE INDEX auth_codes_expiry ON auth_codes(expires_at);
