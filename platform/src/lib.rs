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

mod accounts;
mod api;
mod apps;
mod audit;
mod authz;
mod credentials;
mod db;
mod error;
mod identity;
mod ids;
mod keys;
mod limits;
mod packages;
mod page;
mod policy;
mod qr;
mod release;
mod serve;
mod target_apps;
mod webhooks;
mod workflow;
mod workspaces;

pub use limits::RateLimits;

pub use error::Error;
pub use keys::PlatformKeys;
pub use policy::PolicyCacheStats;
pub use workflow::{transition, Action, ReleaseState};

use object_store::ObjectStore;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where a platform stores uploads and packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Objects {
    /// `<storage>/objects` on the local disk.
    Local,
    /// An S3-compatible bucket, which several instances can share.
    S3(S3Config),
}

/// An S3-compatible bucket. Its `Debug` never shows the secret key.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// The bucket (it must exist).
    pub bucket: String,
    /// The region, e.g. `us-east-1`.
    pub region: String,
    /// The endpoint for S3-compatible services (`https://minio.internal:9000`);
    /// `None` for AWS itself.
    pub endpoint: Option<String>,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// Allow a plain `http://` endpoint (a service on a private network, or tests).
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

impl Objects {
    /// Opens the store. A bucket is checked at once (one listing), so a wrong
    /// name, endpoint or key fails the start rather than the first upload.
    async fn open(&self, storage: &std::path::Path) -> Result<Arc<dyn ObjectStore>, Error> {
        match self {
            Objects::Local => {
                let dir = storage.join("objects");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| Error::Internal(format!("{}: {e}", dir.display())))?;
                Ok(Arc::new(
                    object_store::local::LocalFileSystem::new_with_prefix(&dir)
                        .map_err(|e| Error::Internal(e.to_string()))?,
                ))
            }
            Objects::S3(c) => {
                if c.endpoint
                    .as_deref()
                    .is_some_and(|e| e.starts_with("http://"))
                    && !c.allow_http
                {
                    return Err(Error::Internal(format!(
                        "the S3 endpoint {} is plain http; allow it explicitly (allow_http) or use https",
                        c.endpoint.as_deref().unwrap_or_default()
                    )));
                }
                let mut b = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&c.bucket)
                    .with_region(&c.region)
                    .with_access_key_id(&c.access_key_id)
                    .with_secret_access_key(&c.secret_access_key)
                    .with_allow_http(c.allow_http)
                    // No instance metadata lookups: the configuration is the credential.
                    .with_skip_signature(false);
                if let Some(e) = &c.endpoint {
                    b = b.with_endpoint(e).with_virtual_hosted_style_request(false);
                }
                let store = b
                    .build()
                    .map_err(|e| Error::Internal(format!("the S3 configuration: {e}")))?;
                store.list_with_delimiter(None).await.map_err(|e| {
                    Error::Internal(format!("the S3 bucket {} is not usable: {e}", c.bucket))
                })?;
                Ok(Arc::new(store))
            }
        }
    }
}

/// How the platform runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite:///ABS/PATH`, `sqlite://REL/PATH` or `sqlite:PATH` (the file and
    /// its directory are created when missing), or `postgres://...`.
    pub db: String,
    /// The platform's keys live here, and bundles and packages too unless
    /// `objects` names an S3 bucket.
    pub storage: PathBuf,
    /// Where uploads and packages are stored. Default: `<storage>/objects`.
    pub objects: Objects,
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
    /// The most bytes the signed resolve answers cached in memory may hold,
    /// over every (mini program, target app). Default 64 MiB.
    pub resolve_cache_bytes: usize,
    /// Rate limits per client address and per credential (see
    /// [`RateLimits`]).
    pub rate_limits: RateLimits,
    /// How long a connection may take to send a request's headers, and
    /// how long it may sit idle between requests, before it is closed
    /// (slow and idle sockets). Default 10 s.
    pub header_timeout: Duration,
    /// How long a request body may take to arrive in full. Default 120 s.
    pub body_timeout: Duration,
    /// The most connections served at once; more wait to be accepted.
    /// Default 1024.
    pub max_connections: usize,
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
            objects: Objects::Local,
            max_upload: 32 * 1024 * 1024,
            policy_ttl: 24 * 3600,
            policy_revalidate: Duration::from_secs(1),
            webhook_allow_loopback: false,
            webhook_max_attempts: 8,
            webhook_backoff: Duration::from_secs(10),
            auth_code_ttl: 300,
            resolve_cache_bytes: 64 * 1024 * 1024,
            rate_limits: RateLimits::default(),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(120),
            max_connections: 1024,
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
    pub(crate) limiters: Arc<limits::Limiters>,
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
    /// On first start it creates the bootstrap admin and returns its token,
    /// which is shown nowhere else: bind the listener before calling this, so
    /// a start that cannot serve does not use the token up.
    pub async fn open(config: Config) -> Result<(Arc<Platform>, Option<Bootstrap>), Error> {
        // The object store first: a bucket that is not usable fails the start
        // before anything is created.
        let objects = config.objects.open(&config.storage).await?;
        // The storage folder holds keys, the database and packages: its
        // owner's alone (0700), made so before a key or a row is written.
        std::fs::create_dir_all(&config.storage)
            .map_err(|e| Error::Internal(format!("{}: {e}", config.storage.display())))?;
        restrict(&config.storage, 0o700)?;
        let db = db::connect(&config.db).await?;
        // An SQLite database in it, with its journal files: 0600.
        for name in [
            "platform.sqlite",
            "platform.sqlite-wal",
            "platform.sqlite-shm",
        ] {
            let f = config.storage.join(name);
            if f.is_file() {
                restrict(&f, 0o600)?;
            }
        }
        let keys = PlatformKeys::load_or_create(&config.storage.join("keys"))?;
        // Webhook secrets stored in plaintext (before they were encrypted) are
        // encrypted now, before any delivery needs them.
        webhooks::encrypt_plaintext(&db, &keys.webhook_secrets).await?;
        let postgres = config.db.starts_with("postgres:") || config.db.starts_with("postgresql:");
        let p = Arc::new(Platform {
            db,
            objects,
            keys,
            policies: Arc::new(policy::Cache::new(postgres, config.resolve_cache_bytes)),
            webhooks: webhooks::Outbox::new(&config)?,
            limiters: Arc::new(limits::Limiters::new(config.rate_limits)),
            config,
            tasks: Mutex::new(Vec::new()),
        });
        let boot = accounts::bootstrap(&p).await?;
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

    /// Serves the API on a free port of 127.0.0.1, on the current tokio
    /// runtime, for as long as that runs: what the demo, the benchmarks and
    /// the tests stand a platform up with. Returns where it listens.
    pub async fn serve_loopback(self: &Arc<Platform>) -> Result<std::net::SocketAddr, Error> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::Internal(format!("cannot listen on 127.0.0.1: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Internal(format!("cannot listen on 127.0.0.1: {e}")))?;
        let me = self.clone();
        tokio::spawn(async move {
            let _ = me.serve(listener, std::future::pending()).await;
        });
        Ok(addr)
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

/// Sets `path`'s permission bits (Unix; elsewhere the folder's ACLs rule).
fn restrict(path: &std::path::Path, mode: u32) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}
