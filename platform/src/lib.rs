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
mod keys;
mod policy;
mod qr;
mod workflow;

pub use error::Error;
pub use keys::PlatformKeys;
pub use workflow::{transition, Action, State};

use object_store::ObjectStore;
use std::path::PathBuf;
use std::sync::Arc;

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
        }
    }
}

/// The shared state of a running platform.
pub struct Platform {
    pub(crate) db: sqlx::AnyPool,
    pub(crate) objects: Arc<dyn ObjectStore>,
    pub(crate) keys: PlatformKeys,
    pub(crate) config: Config,
    pub(crate) policies: policy::Cache,
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
        let p = Arc::new(Platform {
            db,
            objects,
            keys,
            config,
            policies: policy::Cache::default(),
        });
        let boot = api::bootstrap(&p).await?;
        Ok((p, boot))
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
