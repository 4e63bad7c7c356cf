//! The database: SQLite (embedded default) or PostgreSQL, through sqlx's Any
//! driver and one set of portable migrations. Ids are random text, times are
//! unix seconds (BIGINT), flags are 0/1 — nothing dialect-specific.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// The migrations, in order. Each runs once, in a transaction, recorded in `mpkit_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        r#"
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
"#,
    ),
    (
        2,
        // Webhooks and their outbox. `next_at_ms` is unix milliseconds (retry
        // backoffs are sub-second in tests); every other time is unix seconds.
        r#"
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
"#,
    ),
    (
        3,
        // User identity: the super app's servers (operators) issue auth codes,
        // the mini program's server (with an app secret) exchanges them once.
        // Codes and secrets are stored only as their SHA-256.
        r#"
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
"#,
    ),
];

/// Connects and applies pending migrations.
pub async fn connect(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    let pool = AnyPoolOptions::new()
        // One writer for SQLite: it serialises writes anyway, and this avoids
        // SQLITE_BUSY under load.
        .max_connections(if sqlite { 1 } else { 8 })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    sqlx::query("PRAGMA foreign_keys=ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA journal_mode=WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous=FULL")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS mpkit_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .execute(&pool)
        .await?;
    for (version, sql) in MIGRATIONS {
        let done: Option<AnyRow> =
            sqlx::query("SELECT version FROM mpkit_migrations WHERE version = $1")
                .bind(*version)
                .fetch_optional(&pool)
                .await?;
        if done.is_some() {
            continue;
        }
        let mut tx = pool.begin().await?;
        for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(stmt).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO mpkit_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(crate::now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(pool)
}

/// A text column.
pub fn s(row: &AnyRow, col: &str) -> String {
    row.try_get::<String, _>(col).unwrap_or_default()
}

/// A nullable text column.
pub fn os(row: &AnyRow, col: &str) -> Option<String> {
    row.try_get::<Option<String>, _>(col).ok().flatten()
}

/// An integer column.
pub fn i(row: &AnyRow, col: &str) -> i64 {
    row.try_get::<i64, _>(col).unwrap_or_default()
}

/// A nullable integer column.
pub fn oi(row: &AnyRow, col: &str) -> Option<i64> {
    row.try_get::<Option<i64>, _>(col).ok().flatten()
}

/// A database count or length (never negative) as the wire's unsigned number.
pub(crate) fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}
