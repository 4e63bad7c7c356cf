//! The steps of the launch path behind [`UpdateManager`](crate::UpdateManager):
//! check (resolve and verify), apply (download, hash, install), start (launch
//! and mark good), and the good, bad and cached versions they keep in the
//! state file.

use crate::error::UpdateError;
use crate::state::{self, remember_user, State};
use crate::verify::{parse_version, verify_answer};
use crate::{EventSink, UpdateConfig, UpdateEvent};
use mpkit_bundle::{AppId, Caps, Expected, PublicKey, Step, Store, Trust};
use mpkit_host::Surface;
use mpkit_host::{AppHandle, Host, LaunchSource};
use mpkit_platform_client::wire::ResolveAnswer;
use mpkit_platform_client::{Client, Limits};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub(crate) type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;
pub(crate) type InstallHook = Arc<dyn Fn(Step) -> mpkit_bundle::Result<()> + Send + Sync>;

pub(crate) struct Core {
    pub(crate) client: Client,
    pub(crate) config: UpdateConfig,
    pub(crate) policy_keys: Vec<PublicKey>,
    pub(crate) store: Store,
    pub(crate) trust: Trust,
    pub(crate) state: Mutex<State>,
    pub(crate) state_path: PathBuf,
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) events: Option<EventSink>,
    pub(crate) clock: Clock,
    pub(crate) install_hook: Option<InstallHook>,
}

impl Core {
    pub(crate) fn key(&self, app: &AppId) -> String {
        format!("{app} {}", self.config.target_app)
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn emit(&self, e: UpdateEvent) {
        tracing::debug!(event = ?e, "update");
        if let Some(sink) = &self.events {
            sink(&e);
        }
    }

    pub(crate) fn failed(&self, app: &AppId, e: &UpdateError) {
        tracing::warn!(%app, code = e.code(), error = %e, "update step failed");
        self.emit(UpdateEvent::Failed {
            app: app.to_string(),
            code: e.code().to_owned(),
            error: e.to_string(),
        });
    }

    pub(crate) fn check(&self, app: &AppId, user: &str) -> Result<ResolveAnswer, UpdateError> {
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
            seq: a.seq,
        });
        Ok(a)
    }

    /// Downloads, checks and installs the answer's version; it becomes current.
    pub(crate) fn apply(
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
                Some(user),
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
        // The signed policy names this version: installing it is a rollback
        // when the platform rolled back (replays are refused by sequence).
        let expected = Expected::app(app.clone()).rollback_to(version.clone());
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
                if matches!(source, mpkit_bundle::Error::Io { .. }) {
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
    pub(crate) fn start<S: Surface>(
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
        if let Some(err) = handle.page_error() {
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
    pub(crate) fn make_current(&self, app: &AppId, v: &semver::Version) -> Result<(), UpdateError> {
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

    pub(crate) fn installed(&self, app: &AppId, v: &semver::Version) -> bool {
        self.store
            .path_of(app, v)
            .join(mpkit_bundle::MANIFEST_PATH)
            .is_file()
    }

    pub(crate) fn is_good(&self, app: &AppId, v: &semver::Version) -> bool {
        self.lock()
            .apps
            .get(&self.key(app))
            .is_some_and(|s| s.good.contains(&v.to_string()))
    }

    pub(crate) fn bad_version(&self, app: &AppId, sha256: &str) -> Option<String> {
        self.lock()
            .apps
            .get(&self.key(app))
            .and_then(|s| s.bad.get(sha256).cloned())
    }

    pub(crate) fn mark_bad(&self, app: &AppId, v: &semver::Version, sha256: &str, reason: &str) {
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
    pub(crate) fn last_good(
        &self,
        app: &AppId,
        except: Option<&semver::Version>,
    ) -> Option<semver::Version> {
        let versions = self.store.versions(app).ok()?;
        versions
            .into_iter()
            .rev()
            .filter(|v| Some(v) != except)
            .find(|v| self.is_good(app, v) && self.installed(app, v))
    }

    /// An expired cache, as the error that says so.
    pub(crate) fn cache_expired(&self, app: &AppId) -> Option<UpdateError> {
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
    pub(crate) fn usable_cached(&self, app: &AppId, user: &str) -> Option<semver::Version> {
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

    pub(crate) fn save(&self, st: &State) -> Result<(), UpdateError> {
        state::save(&self.state_path, st)
    }
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
