
CREATE TABLE accounts (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, admin BIGINT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE tokens (
  hash TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id), created_at BIGINT NOT NULL);
CREATE TABLE workspaces (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('merchant','isv')),
  created_at BIGINT NOT NULL);
CREATE TABLE members (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id), account_id TEXT NOT NULL REFERENCES accounts(id),
  role TEXT NOT NULL CHECK (role IN ('master','owner','developer')),
  PRIMARY KEY (workspace_id, account_id));
CREATE TABLE dev_keys (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id), key_id TEXT NOT NULL, public_hex TEXT NOT NULL,
  added_by TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (workspace_id, key_id));
CREATE TABLE apps (
  app_id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_ws TEXT NOT NULL REFERENCES workspaces(id),
  developer_ws TEXT REFERENCES workspaces(id), created_at BIGINT NOT NULL);
CREATE TABLE assignments (
  app_id TEXT NOT NULL REFERENCES apps(app_id), account_id TEXT NOT NULL REFERENCES accounts(id),
  PRIMARY KEY (app_id, account_id));
CREATE TABLE isv_auths (
  id TEXT PRIMARY KEY, merchant_ws TEXT NOT NULL REFERENCES workspaces(id),
  isv_ws TEXT NOT NULL REFERENCES workspaces(id), app_id TEXT, actions TEXT NOT NULL,
  created_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE TABLE target_apps (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, allowed TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE reviewers (
  target_app TEXT NOT NULL REFERENCES target_apps(id), account_id TEXT NOT NULL REFERENCES accounts(id),
  PRIMARY KEY (target_app, account_id));
CREATE TABLE versions (
  app_id TEXT NOT NULL REFERENCES apps(app_id), version TEXT NOT NULL, build BIGINT NOT NULL,
  sha256 TEXT NOT NULL, length BIGINT NOT NULL, manifest TEXT NOT NULL, uploaded_by TEXT NOT NULL,
  created_at BIGINT NOT NULL, PRIMARY KEY (app_id, version));
CREATE UNIQUE INDEX versions_build ON versions(app_id, build);
CREATE TABLE releases (
  id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(app_id),
  target_app TEXT NOT NULL REFERENCES target_apps(id), version TEXT NOT NULL, state TEXT NOT NULL,
  active BIGINT NOT NULL, package_sha256 TEXT NOT NULL, package_length BIGINT NOT NULL,
  compat_report TEXT, basic_info TEXT NOT NULL, reject_reason TEXT, gray_bp BIGINT, gray_salt TEXT,
  created_by TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE testers (
  release_id TEXT NOT NULL REFERENCES releases(id), user_id TEXT NOT NULL,
  PRIMARY KEY (release_id, user_id));
CREATE TABLE published (
  app_id TEXT NOT NULL, target_app TEXT NOT NULL, seq BIGINT NOT NULL, version TEXT,
  sha256 TEXT, length BIGINT, reason TEXT NOT NULL, at BIGINT NOT NULL,
  PRIMARY KEY (app_id, target_app, seq));
CREATE TABLE policy_seq (
  app_id TEXT NOT NULL, target_app TEXT NOT NULL, seq BIGINT NOT NULL,
  PRIMARY KEY (app_id, target_app));
CREATE TABLE audit (
  id TEXT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  object TEXT NOT NULL, before_state TEXT, after_state TEXT);
CREATE TABLE inbox (
  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, at BIGINT NOT NULL, text TEXT NOT NULL,
  release_id TEXT);
