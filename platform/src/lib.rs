//! # mpkit-platform
//!
//! The management platform server: accounts, workspaces and roles, merchants
//! and ISVs, target apps and their reviewers, versions, the release workflow,
//! and the signed release policy that decides which version each user gets.
//!
//! **Invariant**: every uploaded bundle is verified with `mpkit-bundle` before it
//! is stored; every answer a device acts on (policy, resolve) is signed with the
//! policy role; every endpoint checks the caller's workspace, role, assignment
//! and ISV authorization on the object itself; every mutation is audited.
#![warn(missing_docs)]

mod api;
mod authz;
pub mod db;
mod error;
mod identity;
mod keys;
mod policy;
mod qr;
mod webhooks;
mod workflow;

pub use error::Error;
pub use keys::PlatformKeys;
pub use policy::PolicyCacheStats;
pub use workflow::{transition, Action, State};

use object_store::ObjectStore;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the platform runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://PATH` (created when missing) or `postgres://...`.
    pub db: String,
    /// Bundles, packages and the platform's keys live here.
    pub storage: PathBuf,
    /// Largest accepted upload in bytes.
    pub max_upload: usize,
    /// How long a signed policy is valid (seconds); it is re-signed before it expires.
    pub policy_ttl: i64,
    /// How old a cached policy may get before it is checked against the
    /// database's sequence (one small query per policy per interval). This
    /// bounds how long another instance's change can go unseen when no
    /// notification arrives (SQLite shared by two processes; a lost
    /// PostgreSQL notification). Default 1 s.
    pub policy_revalidate: Duration,
    /// Accept webhook URLs on loopback addresses (`127.0.0.0/8`, `::1`,
    /// `localhost`): for tests and local development only. Default false.
    pub webhook_allow_loopback: bool,
    /// Delivery attempts per webhook event before it is marked failed. Default 8.
    pub webhook_max_attempts: u32,
    /// The wait before the first retry of a webhook delivery; it doubles per
    /// attempt, up to an hour. Default 10 s.
    pub webhook_backoff: Duration,
    /// How long an auth code stays exchangeable, in seconds. Default 300.
    pub auth_code_ttl: i64,
}

impl Config {
    /// Defaults for a storage directory: SQLite at `<storage>/platform.sqlite`.
    pub fn new(storage: impl Into<PathBuf>) -> Config {
        let storage = storage.into();
        Config {
            db: format!(
                "sqlite://{}?mode=rwc",
                storage.join("platform.sqlite").display()
            ),
            storage,
            max_upload: 32 * 1024 * 1024,
            policy_ttl: 24 * 3600,
            policy_revalidate: Duration::from_secs(1),
            webhook_allow_loopback: false,
            webhook_max_attempts: 8,
            webhook_backoff: Duration::from_secs(10),
            auth_code_ttl: 300,
        }
    }
}

/// The shared state of a running platform.
pub struct Platform {
    pub(crate) db: sqlx::AnyPool,
    pub(crate) objects: Arc<dyn ObjectStore>,
    pub(crate) keys: PlatformKeys,
    pub(crate) config: Config,
    pub(crate) policies: Arc<policy::Cache>,
    pub(crate) webhooks: webhooks::Outbox,
    /// The background tasks (policy listener, webhook deliveries), stopped
    /// with the platform.
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.stop_tasks();
    }
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("db", &self.config.db.split('?').next())
            .field("storage", &self.config.storage)
            .finish_non_exhaustive()
    }
}

/// What the first start created: the bootstrap admin's token (shown once).
#[derive(Debug)]
pub struct Bootstrap {
    /// The admin account id.
    pub admin: String,
    /// Its API token; only its hash is stored.
    pub token: String,
}

impl Platform {
    /// Opens the database (applying migrations), the object store and the keys.
    /// On first start it creates the bootstrap admin and returns its token.
    pub async fn open(config: Config) -> Result<(Arc<Platform>, Option<Bootstrap>), Error> {
        std::fs::create_dir_all(&config.storage)
            .map_err(|e| Error::Internal(format!("{}: {e}", config.storage.display())))?;
        let db = db::connect(&config.db).await?;
        let objects_dir = config.storage.join("objects");
        std::fs::create_dir_all(&objects_dir)
            .map_err(|e| Error::Internal(format!("{}: {e}", objects_dir.display())))?;
        let objects: Arc<dyn ObjectStore> = Arc::new(
            object_store::local::LocalFileSystem::new_with_prefix(&objects_dir)
                .map_err(|e| Error::Internal(e.to_string()))?,
        );
        let keys = PlatformKeys::load_or_create(&config.storage.join("keys"))?;
        let postgres = config.db.starts_with("postgres:") || config.db.starts_with("postgresql:");
        let p = Arc::new(Platform {
            db,
            objects,
            keys,
            policies: Arc::new(policy::Cache::new(postgres)),
            webhooks: webhooks::Outbox::new(&config)?,
            config,
            tasks: Mutex::new(Vec::new()),
        });
        let boot = api::bootstrap(&p).await?;
        let mut tasks = Vec::new();
        if postgres {
            let url = p.config.db.clone();
            tasks.push(tokio::spawn(policy::listen(url, Arc::downgrade(&p))).abort_handle());
        }
        tasks.push(tokio::spawn(webhooks::deliver(Arc::downgrade(&p))).abort_handle());
        if let Ok(mut t) = p.tasks.lock() {
            t.extend(tasks);
        }
        Ok((p, boot))
    }

    /// Stops the background tasks: the policy listener (PostgreSQL) and the
    /// webhook deliveries. Pending deliveries stay in the outbox for the next
    /// start. Dropping the platform does this too.
    pub fn stop_tasks(&self) {
        if let Ok(mut t) = self.tasks.lock() {
            for task in t.drain(..) {
                task.abort();
            }
        }
    }

    /// What the policy cache is doing (entries, database reads, listener state).
    pub fn policy_cache_stats(&self) -> PolicyCacheStats {
        self.policies.stats()
    }

    /// The HTTP API.
    pub fn router(self: &Arc<Platform>) -> axum::Router {
        api::router(self.clone())
    }

    /// The trust root hosts configure (signed by the platform's root key).
    pub fn root_json(&self) -> &[u8] {
        &self.keys.root_json
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A random id: 16 bytes, hex.
pub(crate) fn new_id() -> String {
    let mut b = [0u8; 16];
    // getrandom only fails when the OS has no entropy source at all.
    if getrandom::getrandom(&mut b).is_err() {
        b = (now() as u128 ^ (std::process::id() as u128) << 64).to_le_bytes();
    }
    hex::encode(b)
}
