//! The update manager: a host gets exactly the version the platform chose for
//! its user, verified from end to end, and keeps the last good one.
//!
//! The launch path for (appId, target app, user):
//! 1. fetch the signed resolve answer ([`mpkit_platform_client::Client::resolve`]);
//! 2. verify it against the trust root's **policy** role, and that it is about
//!    this app, target app and user;
//! 3. refuse a sequence number lower than the last one seen (a replayed policy);
//! 4. refuse an expired answer (a freeze) and fall back to the cached version;
//! 5. download the pinned package, capped at the pinned length and held to a
//!    minimum transfer rate (endless data, slow retrieval), and check its sha256;
//! 6. verify it against the **publisher** role and install it atomically;
//! 7. launch, and mark the version good once its first page has rendered.
//!
//! A version that fails to start is marked bad (by package hash, so it is not
//! retried) and the last good version is launched instead. Offline, the last
//! good installed version runs as long as its policy has not expired. The
//! state that makes this work (last sequence, expiry, good and bad versions)
//! is one small JSON file, replaced atomically.

use crate::host::{AppHandle, Host, HostError, LaunchSource};
use crate::surface::Surface;
use mpkit_bundle::{AppId, Caps, Context, Expected, PublicKey, Role, Step, Store, Trust};
use mpkit_platform_client::wire::{ResolveAnswer, Rule, Signed};
use mpkit_platform_client::{Client, Limits};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why an update or a launch through the update manager failed. Every
/// variant has a stable [`UpdateError::code`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// The platform could not be reached, timed out, or answered an error.
    #[error("the platform: {0}")]
    Platform(#[source] mpkit_platform_client::Error),
    /// The answer is not signed by a policy key of the trust root.
    #[error("the resolve answer is not signed by the trust root's policy key: {0}")]
    Signature(String),
    /// The answer is about another app, target app or user, or is not a resolve answer.
    #[error("the resolve answer is for {field} {got:?}, not {expected:?}")]
    WrongSubject {
        /// Which field disagreed.
        field: &'static str,
        /// What this launch asked for.
        expected: String,
        /// What the answer says.
        got: String,
    },
    /// A sequence number lower than one already seen: a replayed policy.
    #[error("replayed policy: sequence {seq} is lower than {last_seen}, already seen")]
    Replayed {
        /// The answer's sequence.
        seq: u64,
        /// The highest sequence seen for this app and target.
        last_seen: u64,
    },
    /// The policy has expired (a freeze, or a host offline for too long).
    #[error("the policy expired at {expires} (now {now})")]
    Expired {
        /// Unix seconds.
        expires: i64,
        /// Unix seconds.
        now: i64,
    },
    /// Nothing is released for this user (never released, or taken down).
    #[error("{app} is not available in {target}")]
    NotAvailable {
        /// The app.
        app: String,
        /// The target app.
        target: String,
    },
    /// The package download failed (truncated, too large, too slow, refused).
    #[error("downloading {version}: {source}")]
    Download {
        /// The version.
        version: String,
        /// What went wrong.
        #[source]
        source: mpkit_platform_client::Error,
    },
    /// The downloaded bytes are not the package the policy pinned.
    #[error("the package of {version} is not the pinned one: sha256 {got}, pinned {expected}")]
    HashMismatch {
        /// The version.
        version: String,
        /// The pinned sha256.
        expected: String,
        /// The downloaded bytes' sha256.
        got: String,
    },
    /// The package failed verification against the trust root.
    #[error("the package of {version} failed verification: {source}")]
    Verification {
        /// The version.
        version: String,
        /// Why.
        #[source]
        source: mpkit_bundle::Error,
    },
    /// Writing the verified package failed (the disk is full, say); nothing
    /// was installed and the previous version stays current.
    #[error("installing {version}: {source}")]
    Install {
        /// The version.
        version: String,
        /// Why.
        #[source]
        source: mpkit_bundle::Error,
    },
    /// The version did not render its first page.
    #[error("{version} failed to start: {reason}")]
    StartFailed {
        /// The version.
        version: String,
        /// Why.
        reason: String,
    },
    /// Nothing usable is installed to fall back on.
    #[error("no good version of {app} is installed")]
    NothingInstalled {
        /// The app.
        app: String,
    },
    /// The host refused (configuration, or an installed tree that no longer verifies).
    #[error(transparent)]
    Host(#[from] HostError),
    /// The update state file could not be read or written.
    #[error("update state {path}: {reason}")]
    State {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

impl UpdateError {
    /// A stable code for every error.
    pub fn code(&self) -> &str {
        match self {
            UpdateError::Platform(e) => match e {
                mpkit_platform_client::Error::Api { .. } => "platform_error",
                other => other.code(),
            },
            UpdateError::Signature(_) => "bad_signature",
            UpdateError::WrongSubject { .. } => "wrong_subject",
            UpdateError::Replayed { .. } => "replayed",
            UpdateError::Expired { .. } => "expired",
            UpdateError::NotAvailable { .. } => "not_available",
            UpdateError::Download { source, .. } => source.code(),
            UpdateError::HashMismatch { .. } => "hash_mismatch",
            UpdateError::Verification { .. } => "verification_failed",
            UpdateError::Install { source, .. } => match source {
                mpkit_bundle::Error::Io { source, .. }
                    if source.kind() == std::io::ErrorKind::StorageFull =>
                {
                    "disk_full"
                }
                _ => "install_failed",
            },
            UpdateError::StartFailed { .. } => "start_failed",
            UpdateError::NothingInstalled { .. } => "nothing_installed",
            UpdateError::Host(_) => "host",
            UpdateError::State { .. } => "state",
        }
    }
}

/// When a new version is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdateMode {
    /// Wait for the new version, then launch it.
    #[default]
    Sync,
    /// Launch the cached version now; download and install the new one in
    /// the background, for the next launch.
    Async,
}

/// What the update manager did, for the embedding app to follow along.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
#[non_exhaustive]
pub enum UpdateEvent {
    /// A verified answer arrived.
    Checked {
        /// The app.
        app: String,
        /// The version chosen for the user.
        version: Option<String>,
        /// Why.
        rule: Rule,
        /// The policy's sequence.
        seq: u64,
    },
    /// Bytes of a package arrived.
    Downloading {
        /// The app.
        app: String,
        /// The version.
        version: String,
        /// Bytes so far.
        done: u64,
        /// The pinned length.
        total: u64,
    },
    /// A new version was verified and installed.
    Installed {
        /// The app.
        app: String,
        /// The version.
        version: String,
        /// The version that was current before.
        previous: Option<String>,
    },
    /// The chosen version is already installed.
    UpToDate {
        /// The app.
        app: String,
        /// The version.
        version: String,
    },
    /// A step failed; `code` is [`UpdateError::code`].
    Failed {
        /// The app.
        app: String,
        /// The error's code.
        code: String,
        /// The error.
        error: String,
    },
    /// The cached version was launched instead of a fresh one.
    UsingCached {
        /// The app.
        app: String,
        /// The version.
        version: String,
        /// Why.
        reason: String,
    },
    /// A version rendered its first page.
    MarkedGood {
        /// The app.
        app: String,
        /// The version.
        version: String,
    },
    /// A version failed to start and will not be tried again.
    MarkedBad {
        /// The app.
        app: String,
        /// The version.
        version: String,
        /// Why.
        reason: String,
    },
    /// After a failed start, the last good version was launched.
    FellBack {
        /// The version that failed.
        from: String,
        /// The version launched instead.
        to: String,
        /// The app.
        app: String,
    },
    /// Nothing is released for the user; the host refuses to launch.
    NotAvailable {
        /// The app.
        app: String,
    },
}

/// Receives [`UpdateEvent`]s, from the launching thread or a background update.
pub type EventSink = Arc<dyn Fn(&UpdateEvent) + Send + Sync>;

/// Where the update manager gets its versions, and how it downloads them.
#[derive(Debug, Clone)]
pub struct UpdateConfig {
    /// The platform's base URL, e.g. `https://platform.example`.
    pub server: String,
    /// The target app this host is (its id on the platform).
    pub target_app: String,
    /// Network behaviour of the client (timeouts, retries).
    pub client: mpkit_platform_client::Config,
    /// The minimum download rate once `grace` has passed, in bytes per second.
    pub min_rate: u64,
    /// How long a download may run before the minimum rate applies.
    pub grace: Duration,
    /// The longest wait for any chunk of a download.
    pub stall: Duration,
}

impl UpdateConfig {
    /// Defaults for a server and target app: 16 KiB/s after 5 s, 10 s stalls.
    pub fn new(server: impl Into<String>, target_app: impl Into<String>) -> UpdateConfig {
        UpdateConfig {
            server: server.into(),
            target_app: target_app.into(),
            client: mpkit_platform_client::Config::default(),
            min_rate: 16 * 1024,
            grace: Duration::from_secs(5),
            stall: Duration::from_secs(10),
        }
    }
}

/// How a launch through the update manager went.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LaunchedFrom {
    /// A new version was downloaded, verified and installed for this launch.
    Updated {
        /// The version that was current before.
        previous: Option<String>,
    },
    /// The chosen version was already installed.
    UpToDate,
    /// The cached version, because the fresh answer could not be used or
    /// (async mode) the new version is installing in the background.
    Cached {
        /// Why.
        reason: String,
    },
    /// The chosen version failed to start; the last good one runs.
    FellBack {
        /// The version that failed.
        failed: String,
        /// Why it failed.
        error: String,
    },
}

/// A running mini program and how it got there.
#[derive(Debug)]
pub struct Launched<S: Surface> {
    /// The running app.
    pub handle: AppHandle<S>,
    /// The version running.
    pub version: semver::Version,
    /// How.
    pub from: LaunchedFrom,
    /// The background update (async mode), if one started.
    pub update: Option<PendingUpdate>,
}

/// A background update; [`PendingUpdate::wait`] gives the version it installed.
#[derive(Debug)]
pub struct PendingUpdate(std::thread::JoinHandle<Result<semver::Version, UpdateError>>);

impl PendingUpdate {
    /// Waits for it to finish.
    pub fn wait(self) -> Result<semver::Version, UpdateError> {
        self.0.join().unwrap_or_else(|_| {
            Err(UpdateError::State {
                path: String::new(),
                reason: "the background update panicked".into(),
            })
        })
    }
}

/// One installed app, for the embedding app's package management.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstalledApp {
    /// The app.
    pub app_id: String,
    /// The current version.
    pub current: Option<String>,
    /// Every installed version, oldest first.
    pub versions: Vec<String>,
    /// Versions that have rendered their first page here.
    pub good: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AppState {
    /// The highest policy sequence seen.
    last_seq: u64,
    /// The expiry of the newest verified policy.
    expires: i64,
    /// Versions that rendered their first page.
    good: Vec<String>,
    /// Packages (sha256) that failed to start, with their version.
    bad: BTreeMap<String, String>,
    /// The version each user last got.
    users: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    version: u32,
    /// Keyed by `<appId> <targetApp>`.
    apps: BTreeMap<String, AppState>,
}

/// Users remembered per app, so the state file stays small.
const MAX_USERS: usize = 1024;

type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;
type InstallHook = Arc<dyn Fn(Step) -> mpkit_bundle::Result<()> + Send + Sync>;

struct Core {
    client: Client,
    config: UpdateConfig,
    policy_keys: Vec<PublicKey>,
    store: Store,
    trust: Trust,
    state: Mutex<State>,
    state_path: PathBuf,
    rt: tokio::runtime::Runtime,
    events: Option<EventSink>,
    clock: Clock,
    install_hook: Option<InstallHook>,
}

/// Gets each user the version the platform chose for them. See the module docs.
#[derive(Clone)]
pub struct UpdateManager {
    core: Arc<Core>,
}

impl std::fmt::Debug for UpdateManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateManager")
            .field("server", &self.core.config.server)
            .field("target_app", &self.core.config.target_app)
            .finish_non_exhaustive()
    }
}

impl UpdateManager {
    /// An update manager for `host`'s store. The host must trust a root
    /// (`Trust::Root`): its policy role verifies answers, its publisher role
    /// packages. State lives in `<storage_dir>/updates/state.json`.
    pub fn new(host: &Host, config: UpdateConfig) -> Result<UpdateManager, UpdateError> {
        let Trust::Root(root) = host.trust() else {
            return Err(HostError::Config(
                "the update manager needs a trust root (Trust::Root), not developer keys".into(),
            )
            .into());
        };
        let (policy_keys, threshold) = root
            .role(Role::Policy)
            .ok_or_else(|| HostError::Config("the trust root has no policy role".into()))?;
        if policy_keys.is_empty() || threshold != 1 {
            return Err(HostError::Config(format!(
                "the trust root's policy role must have keys and threshold 1 (has {} keys, threshold {threshold})",
                policy_keys.len()
            ))
            .into());
        }
        let client = Client::with_config(&config.server, None, config.client.clone())
            .map_err(UpdateError::Platform)?;
        let dir = host.store().root().join("updates");
        std::fs::create_dir_all(&dir).map_err(|e| UpdateError::State {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let state_path = dir.join("state.json");
        let state = load_state(&state_path)?;
        // A current-thread runtime: each call runs on the caller's thread
        // (no hand-off to a worker), and a background update drives it from
        // its own thread the same way.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| HostError::Config(format!("update runtime: {e}")))?;
        Ok(UpdateManager {
            core: Arc::new(Core {
                client,
                config,
                policy_keys,
                store: host.store().clone(),
                trust: host.trust().clone(),
                state: Mutex::new(state),
                state_path,
                rt,
                events: None,
                clock: Arc::new(now),
                install_hook: None,
            }),
        })
    }

    fn core_mut(&mut self) -> &mut Core {
        // Only called by the builder-style setters before the manager is shared.
        Arc::get_mut(&mut self.core).unwrap_or_else(|| unreachable!("setters run before sharing"))
    }

    /// Sends every [`UpdateEvent`] to `sink`.
    pub fn on_event(mut self, sink: EventSink) -> UpdateManager {
        self.core_mut().events = Some(sink);
        self
    }

    /// The clock policies are checked against (unix seconds); the system
    /// clock by default. For devices with a trusted time source, and tests.
    pub fn clock(mut self, clock: Arc<dyn Fn() -> i64 + Send + Sync>) -> UpdateManager {
        self.core_mut().clock = clock;
        self
    }

    /// Called at every step of an install; an error stops the install there
    /// as the disk would (fault injection: a full disk, a crash).
    pub fn install_hook(
        mut self,
        hook: Arc<dyn Fn(Step) -> mpkit_bundle::Result<()> + Send + Sync>,
    ) -> UpdateManager {
        self.core_mut().install_hook = Some(hook);
        self
    }

    /// Fetches and verifies the answer for `user`, without installing.
    pub fn check(&self, app: &AppId, user: &str) -> Result<ResolveAnswer, UpdateError> {
        self.core.check(app, user)
    }

    /// Resolves, downloads, verifies and installs the version chosen for
    /// `user`, without launching it. Returns the version now current.
    pub fn update(&self, app: &AppId, user: &str) -> Result<semver::Version, UpdateError> {
        let a = self.core.check(app, user)?;
        self.core.apply(app, user, &a).map(|(v, _)| v)
    }

    /// Launches `app` for `user` through the launch path (see the module
    /// docs). `surface` makes a surface for each attempt (a failed start
    /// falls back to the last good version on a fresh surface).
    pub fn launch<S: Surface>(
        &self,
        host: &Host,
        app: &AppId,
        user: &str,
        query: Map<String, Value>,
        mode: UpdateMode,
        mut surface: impl FnMut() -> S,
    ) -> Result<Launched<S>, UpdateError> {
        let core = &self.core;
        let answer = match core.check(app, user) {
            Ok(a) => a,
            Err(e) => {
                core.failed(app, &e);
                return self.cached(host, app, user, query, &mut surface, e);
            }
        };
        let Some(pin) = answer.version.clone() else {
            core.emit(UpdateEvent::NotAvailable {
                app: app.to_string(),
            });
            return Err(UpdateError::NotAvailable {
                app: app.to_string(),
                target: core.config.target_app.clone(),
            });
        };
        let version = parse_version(&pin.version)?;
        if let Some(bad) = core.bad_version(app, &pin.sha256) {
            let e = UpdateError::StartFailed {
                version: bad,
                reason: "this package failed to start before; it is not tried again".into(),
            };
            core.failed(app, &e);
            return self.cached(host, app, user, query, &mut surface, e);
        }
        if core.installed(app, &version) {
            core.make_current(app, &version)?;
            core.emit(UpdateEvent::UpToDate {
                app: app.to_string(),
                version: version.to_string(),
            });
            return self.start_or_fall_back(
                host,
                app,
                user,
                query,
                &mut surface,
                &version,
                &pin.sha256,
                LaunchedFrom::UpToDate,
            );
        }
        if mode == UpdateMode::Async {
            if let Some(cached) = core.usable_cached(app, user) {
                let bg = self.core.clone();
                let (bg_app, bg_user, bg_answer) = (app.clone(), user.to_owned(), answer.clone());
                let pending = std::thread::Builder::new()
                    .name("mpkit-update-bg".into())
                    .spawn(move || {
                        bg.apply(&bg_app, &bg_user, &bg_answer)
                            .map(|(v, _)| v)
                            .inspect_err(|e| bg.failed(&bg_app, e))
                    })
                    .map_err(|e| HostError::Config(format!("update thread: {e}")))?;
                let reason = format!("{} installs in the background", pin.version);
                core.emit(UpdateEvent::UsingCached {
                    app: app.to_string(),
                    version: cached.to_string(),
                    reason: reason.clone(),
                });
                let handle = core.start(host, app, user, query, &mut surface, &cached)?;
                return Ok(Launched {
                    handle,
                    version: cached,
                    from: LaunchedFrom::Cached { reason },
                    update: Some(PendingUpdate(pending)),
                });
            }
        }
        match core.apply(app, user, &answer) {
            Ok((v, previous)) => self.start_or_fall_back(
                host,
                app,
                user,
                query,
                &mut surface,
                &v,
                &pin.sha256,
                LaunchedFrom::Updated { previous },
            ),
            Err(e) => {
                core.failed(app, &e);
                self.cached(host, app, user, query, &mut surface, e)
            }
        }
    }

    /// Launches the cached version after `cause`, or returns `cause`.
    fn cached<S: Surface>(
        &self,
        host: &Host,
        app: &AppId,
        user: &str,
        query: Map<String, Value>,
        surface: &mut impl FnMut() -> S,
        cause: UpdateError,
    ) -> Result<Launched<S>, UpdateError> {
        let core = &self.core;
        if let Some(e) = core.cache_expired(app) {
            core.failed(app, &e);
            return Err(match cause {
                // A platform outage is the cause; the expiry is why the cache cannot help.
                UpdateError::Platform(_) => e,
                other => other,
            });
        }
        let Some(v) = core.usable_cached(app, user) else {
            return Err(cause);
        };
        let reason = cause.to_string();
        core.emit(UpdateEvent::UsingCached {
            app: app.to_string(),
            version: v.to_string(),
            reason: reason.clone(),
        });
        let handle = core.start(host, app, user, query, surface, &v)?;
        Ok(Launched {
            handle,
            version: v,
            from: LaunchedFrom::Cached { reason },
            update: None,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn start_or_fall_back<S: Surface>(
        &self,
        host: &Host,
        app: &AppId,
        user: &str,
        query: Map<String, Value>,
        surface: &mut impl FnMut() -> S,
        version: &semver::Version,
        sha256: &str,
        from: LaunchedFrom,
    ) -> Result<Launched<S>, UpdateError> {
        let core = &self.core;
        let was_good = core.is_good(app, version);
        match core.start(host, app, user, query.clone(), surface, version) {
            Ok(handle) => Ok(Launched {
                handle,
                version: version.clone(),
                from,
                update: None,
            }),
            Err(e) => {
                core.failed(app, &e);
                if !was_good {
                    core.mark_bad(app, version, sha256, &e.to_string());
                }
                let Some(good) = core.last_good(app, Some(version)) else {
                    return Err(e);
                };
                core.make_current(app, &good)?;
                core.emit(UpdateEvent::FellBack {
                    app: app.to_string(),
                    from: version.to_string(),
                    to: good.to_string(),
                });
                let handle = core.start(host, app, user, query, surface, &good)?;
                Ok(Launched {
                    handle,
                    version: good,
                    from: LaunchedFrom::FellBack {
                        failed: version.to_string(),
                        error: e.to_string(),
                    },
                    update: None,
                })
            }
        }
    }

    /// The installed apps, their versions, and which are known good.
    pub fn installed(&self) -> Result<Vec<InstalledApp>, UpdateError> {
        let core = &self.core;
        let apps = core.store.apps().map_err(|source| UpdateError::Install {
            version: String::new(),
            source,
        })?;
        let st = core.lock();
        let mut out = Vec::new();
        for app in apps {
            let versions = core.store.versions(&app).unwrap_or_default();
            let good: Vec<String> = versions
                .iter()
                .map(ToString::to_string)
                .filter(|v| {
                    st.apps
                        .get(&core.key(&app))
                        .is_some_and(|s| s.good.contains(v))
                })
                .collect();
            out.push(InstalledApp {
                app_id: app.to_string(),
                current: core
                    .store
                    .current(&app)
                    .ok()
                    .flatten()
                    .map(|v| v.to_string()),
                versions: versions.iter().map(ToString::to_string).collect(),
                good,
            });
        }
        Ok(out)
    }

    /// Deletes an installed app. Its highest policy sequence is remembered,
    /// so an older policy is still refused after a reinstall.
    pub fn remove(&self, app: &AppId) -> Result<bool, UpdateError> {
        let core = &self.core;
        let removed = core
            .store
            .remove(app)
            .map_err(|source| UpdateError::Install {
                version: String::new(),
                source,
            })?;
        let mut st = core.lock();
        if let Some(s) = st.apps.get_mut(&core.key(app)) {
            s.good.clear();
            s.users.clear();
        }
        core.save(&st)?;
        Ok(removed)
    }

    /// Deletes every installed app (sequences are remembered, as in [`UpdateManager::remove`]).
    pub fn clear(&self) -> Result<usize, UpdateError> {
        let mut n = 0;
        for a in self.installed()? {
            let app = AppId::new(a.app_id).map_err(|source| UpdateError::Install {
                version: String::new(),
                source,
            })?;
            if self.remove(&app)? {
                n += 1;
            }
        }
        Ok(n)
    }
}

impl Core {
    fn key(&self, app: &AppId) -> String {
        format!("{app} {}", self.config.target_app)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn emit(&self, e: UpdateEvent) {
        tracing::debug!(event = ?e, "update");
        if let Some(sink) = &self.events {
            sink(&e);
        }
    }

    fn failed(&self, app: &AppId, e: &UpdateError) {
        tracing::warn!(%app, code = e.code(), error = %e, "update step failed");
        self.emit(UpdateEvent::Failed {
            app: app.to_string(),
            code: e.code().to_owned(),
            error: e.to_string(),
        });
    }

    fn check(&self, app: &AppId, user: &str) -> Result<ResolveAnswer, UpdateError> {
        let signed = self
            .rt
            .block_on(
                self.client
                    .resolve(app.as_str(), &self.config.target_app, user),
            )
            .map_err(UpdateError::Platform)?;
        let a = verify_answer(
            &self.policy_keys,
            &signed,
            app.as_str(),
            &self.config.target_app,
            user,
        )?;
        let now = (self.clock)();
        if a.expires <= now {
            return Err(UpdateError::Expired {
                expires: a.expires,
                now,
            });
        }
        let mut st = self.lock();
        let s = st.apps.entry(self.key(app)).or_default();
        if a.seq < s.last_seq {
            return Err(UpdateError::Replayed {
                seq: a.seq,
                last_seen: s.last_seq,
            });
        }
        // A newer policy replaces the expiry; the same one re-signed later
        // extends it; a same-sequence answer never shortens it.
        if a.seq > s.last_seq {
            s.last_seq = a.seq;
            s.expires = a.expires;
            self.save(&st)?;
        } else if a.expires > s.expires {
            s.expires = a.expires;
            self.save(&st)?;
        }
        drop(st);
        self.emit(UpdateEvent::Checked {
            app: app.to_string(),
            version: a.version.as_ref().map(|v| v.version.clone()),
            rule: a.rule,
            seq: a.seq,
        });
        Ok(a)
    }

    /// Downloads, checks and installs the answer's version; it becomes current.
    fn apply(
        &self,
        app: &AppId,
        user: &str,
        a: &ResolveAnswer,
    ) -> Result<(semver::Version, Option<String>), UpdateError> {
        let pin = a
            .version
            .as_ref()
            .ok_or_else(|| UpdateError::NotAvailable {
                app: app.to_string(),
                target: self.config.target_app.clone(),
            })?;
        let version = parse_version(&pin.version)?;
        if self.installed(app, &version) {
            self.make_current(app, &version)?;
            return Ok((version, None));
        }
        let limits = Limits {
            max_bytes: pin.length,
            expected: Some(pin.length),
            min_rate: self.config.min_rate,
            grace: self.config.grace,
            stall: self.config.stall,
        };
        let progress = self.events.clone().map(|sink| {
            let (app, version) = (app.to_string(), pin.version.clone());
            let p: mpkit_platform_client::Progress = Arc::new(move |done, total| {
                sink(&UpdateEvent::Downloading {
                    app: app.clone(),
                    version: version.clone(),
                    done,
                    total: total.unwrap_or(0),
                })
            });
            p
        });
        let bytes = self
            .rt
            .block_on(self.client.download_package(
                app.as_str(),
                &self.config.target_app,
                &pin.version,
                limits,
                progress,
            ))
            .map_err(|source| UpdateError::Download {
                version: pin.version.clone(),
                source,
            })?;
        let got = hex::encode(Sha256::digest(&bytes));
        if got != pin.sha256 {
            return Err(UpdateError::HashMismatch {
                version: pin.version.clone(),
                expected: pin.sha256.clone(),
                got,
            });
        }
        let expected = Expected::app(app.clone()).version(version.clone());
        let hook = self.install_hook.clone();
        let done = self
            .store
            .install_with(
                &bytes,
                &self.trust,
                &expected,
                &Caps::default(),
                &mut |step| match &hook {
                    Some(h) => h(step),
                    None => Ok(()),
                },
            )
            .map_err(|source| {
                let v = pin.version.clone();
                if matches!(
                    source,
                    mpkit_bundle::Error::Io { .. } | mpkit_bundle::Error::SimulatedCrash(_)
                ) {
                    UpdateError::Install { version: v, source }
                } else {
                    UpdateError::Verification { version: v, source }
                }
            })?;
        let previous = done.previous.map(|v| v.to_string());
        self.emit(UpdateEvent::Installed {
            app: app.to_string(),
            version: version.to_string(),
            previous: previous.clone(),
        });
        let mut st = self.lock();
        let s = st.apps.entry(self.key(app)).or_default();
        remember_user(s, user, &version);
        self.save(&st)?;
        Ok((version, previous))
    }

    /// Launches the installed `version` (made current by the caller) and
    /// marks it good once its first page has rendered.
    fn start<S: Surface>(
        &self,
        host: &Host,
        app: &AppId,
        user: &str,
        query: Map<String, Value>,
        surface: &mut impl FnMut() -> S,
        version: &semver::Version,
    ) -> Result<AppHandle<S>, UpdateError> {
        let failed = |reason: String| UpdateError::StartFailed {
            version: version.to_string(),
            reason,
        };
        let handle = host
            .launch(
                LaunchSource::InstalledVersion(app.clone(), version.clone()),
                user,
                query,
                surface(),
            )
            .map_err(|e| failed(e.to_string()))?;
        if let Some(s) = handle.stopped() {
            let reason = format!("{s:?}");
            handle.close();
            return Err(failed(reason));
        }
        if let Some(err) = handle.runtime().page_error() {
            let reason = format!("{err:?}");
            handle.close();
            return Err(failed(reason));
        }
        if handle.current_page().is_none() {
            handle.close();
            return Err(failed("no page rendered".into()));
        }
        let newly = {
            let mut st = self.lock();
            let s = st.apps.entry(self.key(app)).or_default();
            let v = version.to_string();
            let newly = !s.good.contains(&v);
            if newly {
                s.good.push(v);
            }
            remember_user(s, user, version);
            self.save(&st)?;
            newly
        };
        if newly {
            self.emit(UpdateEvent::MarkedGood {
                app: app.to_string(),
                version: version.to_string(),
            });
        }
        Ok(handle)
    }

    /// Makes an installed version current (a no-op when it already is).
    fn make_current(&self, app: &AppId, v: &semver::Version) -> Result<(), UpdateError> {
        if self.store.current(app).ok().flatten().as_ref() == Some(v) {
            return Ok(());
        }
        self.store
            .set_current(app, v)
            .map_err(|source| UpdateError::Install {
                version: v.to_string(),
                source,
            })
    }

    fn installed(&self, app: &AppId, v: &semver::Version) -> bool {
        self.store
            .path_of(app, v)
            .join(mpkit_bundle::MANIFEST_PATH)
            .is_file()
    }

    fn is_good(&self, app: &AppId, v: &semver::Version) -> bool {
        self.lock()
            .apps
            .get(&self.key(app))
            .is_some_and(|s| s.good.contains(&v.to_string()))
    }

    fn bad_version(&self, app: &AppId, sha256: &str) -> Option<String> {
        self.lock()
            .apps
            .get(&self.key(app))
            .and_then(|s| s.bad.get(sha256).cloned())
    }

    fn mark_bad(&self, app: &AppId, v: &semver::Version, sha256: &str, reason: &str) {
        let mut st = self.lock();
        let s = st.apps.entry(self.key(app)).or_default();
        s.bad.insert(sha256.to_owned(), v.to_string());
        s.good.retain(|g| g != &v.to_string());
        if let Err(e) = self.save(&st) {
            tracing::warn!(error = %e, "could not record a bad version");
        }
        drop(st);
        self.emit(UpdateEvent::MarkedBad {
            app: app.to_string(),
            version: v.to_string(),
            reason: reason.to_owned(),
        });
    }

    /// The newest installed good version other than `except`.
    fn last_good(&self, app: &AppId, except: Option<&semver::Version>) -> Option<semver::Version> {
        let versions = self.store.versions(app).ok()?;
        versions
            .into_iter()
            .rev()
            .filter(|v| Some(v) != except)
            .find(|v| self.is_good(app, v) && self.installed(app, v))
    }

    /// An expired cache, as the error that says so.
    fn cache_expired(&self, app: &AppId) -> Option<UpdateError> {
        let st = self.lock();
        let s = st.apps.get(&self.key(app))?;
        let now = (self.clock)();
        (s.expires <= now).then_some(UpdateError::Expired {
            expires: s.expires,
            now,
        })
    }

    /// The version to run without a fresh answer: the user's last version if
    /// it is installed and good, else the newest installed good one; only
    /// while the last verified policy has not expired.
    fn usable_cached(&self, app: &AppId, user: &str) -> Option<semver::Version> {
        if self.cache_expired(app).is_some() {
            return None;
        }
        let mine = {
            let st = self.lock();
            st.apps
                .get(&self.key(app))
                .and_then(|s| s.users.get(user).cloned())
        };
        let mine = mine
            .and_then(|v| semver::Version::parse(&v).ok())
            .filter(|v| self.installed(app, v) && self.is_good(app, v));
        mine.or_else(|| self.last_good(app, None))
    }

    fn save(&self, st: &State) -> Result<(), UpdateError> {
        let err = |reason: String| UpdateError::State {
            path: self.state_path.display().to_string(),
            reason,
        };
        let bytes = serde_json::to_vec_pretty(st).map_err(|e| err(e.to_string()))?;
        let tmp = self.state_path.with_extension("json.tmp");
        let mut f = std::fs::File::create(&tmp).map_err(|e| err(e.to_string()))?;
        f.write_all(&bytes).map_err(|e| err(e.to_string()))?;
        f.sync_all().map_err(|e| err(e.to_string()))?;
        std::fs::rename(&tmp, &self.state_path).map_err(|e| err(e.to_string()))?;
        if let Some(dir) = self.state_path.parent() {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

fn remember_user(s: &mut AppState, user: &str, v: &semver::Version) {
    if !s.users.contains_key(user) && s.users.len() >= MAX_USERS {
        if let Some(first) = s.users.keys().next().cloned() {
            s.users.remove(&first);
        }
    }
    s.users.insert(user.to_owned(), v.to_string());
}

fn load_state(path: &std::path::Path) -> Result<State, UpdateError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| UpdateError::State {
            path: path.display().to_string(),
            reason: format!("corrupt ({e}); refusing to forget the sequences seen"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
            version: 1,
            apps: BTreeMap::new(),
        }),
        Err(e) => Err(UpdateError::State {
            path: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

fn parse_version(v: &str) -> Result<semver::Version, UpdateError> {
    semver::Version::parse(v).map_err(|e| UpdateError::WrongSubject {
        field: "version",
        expected: "a semantic version".into(),
        got: format!("{v} ({e})"),
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Verifies a signed resolve answer: one of `policy_keys` signed exactly
/// these bytes in the policy context, and it is a resolve answer about this
/// app, target app and user. Expiry and sequence are the caller's to check.
pub fn verify_answer(
    policy_keys: &[PublicKey],
    signed: &Signed,
    app: &str,
    target: &str,
    user: &str,
) -> Result<ResolveAnswer, UpdateError> {
    let key = policy_keys
        .iter()
        .find(|k| k.id().as_str() == signed.key_id)
        .ok_or_else(|| {
            UpdateError::Signature(format!("key {:?} is not a policy key", signed.key_id))
        })?;
    let sig = hex::decode(&signed.sig)
        .map_err(|_| UpdateError::Signature("the signature is not hex".into()))?;
    key.verify(Context::Policy, signed.payload.as_bytes(), &sig)
        .map_err(|e| UpdateError::Signature(e.to_string()))?;
    let a: ResolveAnswer = serde_json::from_str(&signed.payload)
        .map_err(|e| UpdateError::Signature(format!("signed, but not a resolve answer: {e}")))?;
    let checks = [
        ("kind", "resolve", a.kind.as_str()),
        ("appId", app, a.app_id.as_str()),
        ("targetApp", target, a.target_app.as_str()),
        ("user", user, a.user.as_str()),
    ];
    for (field, expected, got) in checks {
        if expected != got {
            return Err(UpdateError::WrongSubject {
                field,
                expected: expected.to_owned(),
                got: got.to_owned(),
            });
        }
    }
    if let Some(v) = &a.version {
        parse_version(&v.version)?;
        if v.sha256.len() != 64 || !v.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(UpdateError::WrongSubject {
                field: "sha256",
                expected: "64 hex digits".into(),
                got: v.sha256.clone(),
            });
        }
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpkit_bundle::SecretKey;
    use mpkit_platform_client::wire::PinnedVersion;

    fn answer(app: &str, user: &str) -> ResolveAnswer {
        ResolveAnswer {
            kind: "resolve".into(),
            app_id: app.into(),
            target_app: "w".into(),
            user: user.into(),
            version: Some(PinnedVersion {
                version: "1.0.0".into(),
                sha256: "ab".repeat(32),
                length: 10,
            }),
            rule: Rule::Stable,
            bucket: None,
            seq: 3,
            expires: 10,
        }
    }

    fn sign(k: &SecretKey, a: &ResolveAnswer) -> Signed {
        let payload = serde_json::to_string(a).expect("json");
        Signed {
            sig: hex::encode(k.sign(Context::Policy, payload.as_bytes())),
            key_id: k.public().id().to_string(),
            payload,
        }
    }

    #[test]
    fn answers_are_checked_for_key_signature_and_subject() {
        let k = SecretKey::generate().expect("key");
        let keys = vec![k.public().clone()];
        let a = answer("2021000000000001", "alice");
        let good = sign(&k, &a);
        assert_eq!(
            verify_answer(&keys, &good, "2021000000000001", "w", "alice").expect("ok"),
            a
        );

        let other = SecretKey::generate().expect("key");
        let e = verify_answer(&keys, &sign(&other, &a), "2021000000000001", "w", "alice")
            .expect_err("unknown key");
        assert_eq!(e.code(), "bad_signature");

        // The right key id over a signature by another key.
        let mut forged = sign(&other, &a);
        forged.key_id = good.key_id.clone();
        assert_eq!(
            verify_answer(&keys, &forged, "2021000000000001", "w", "alice")
                .expect_err("forged")
                .code(),
            "bad_signature"
        );

        // One changed byte of the payload.
        let mut changed = good.clone();
        changed.payload = changed.payload.replace("alice", "alicf");
        assert_eq!(
            verify_answer(&keys, &changed, "2021000000000001", "w", "alicf")
                .expect_err("changed")
                .code(),
            "bad_signature"
        );

        for (app, target, user, field) in [
            ("2021000000000002", "w", "alice", "appId"),
            ("2021000000000001", "x", "alice", "targetApp"),
            ("2021000000000001", "w", "bob", "user"),
        ] {
            match verify_answer(&keys, &good, app, target, user) {
                Err(UpdateError::WrongSubject { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }

        // A signed policy document is not a resolve answer.
        let mut p = a.clone();
        p.kind = "policy".into();
        match verify_answer(&keys, &sign(&k, &p), "2021000000000001", "w", "alice") {
            Err(UpdateError::WrongSubject { field: "kind", .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_corrupt_state_file_is_an_error_not_a_reset() {
        let d = tempfile::tempdir().expect("dir");
        let p = d.path().join("state.json");
        std::fs::write(
            &p,
            b"{\"version\":1,\"apps\":{\"x\":{\"lastSeq\":\"nine\"}}}",
        )
        .expect("w");
        match load_state(&p) {
            Err(UpdateError::State { reason, .. }) => assert!(reason.contains("corrupt")),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            load_state(&d.path().join("none"))
                .expect("fresh")
                .apps
                .len(),
            0
        );
    }

    #[test]
    fn the_user_map_is_bounded() {
        let mut s = AppState::default();
        for i in 0..(MAX_USERS + 10) {
            remember_user(&mut s, &format!("u{i:05}"), &semver::Version::new(1, 0, 0));
        }
        assert_eq!(s.users.len(), MAX_USERS);
        assert!(s.users.contains_key(&format!("u{:05}", MAX_USERS + 9)));
    }
}
