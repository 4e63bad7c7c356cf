//! # mpkit-update
//!
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
#![warn(missing_docs)]

mod error;
mod state;
mod steps;
mod verify;

pub use error::UpdateError;
pub use verify::verify_answer;

use mpkit_bundle::{AppId, Role, Step, Trust};
use mpkit_host::Surface;
use mpkit_host::{AppHandle, Host, HostError};
use mpkit_platform_client::wire::ResolveAnswer;
use mpkit_platform_client::Client;
use serde::Serialize;
use serde_json::{Map, Value};
use state::load_state;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use steps::{now, Core};
use verify::parse_version;

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
