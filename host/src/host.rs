//! The embedding API: a [`Host`] built from a config, and an [`AppHandle`] per
//! running mini program.

use crate::logic::protocol::ScriptError;
use crate::logic::worker::WorkerConfig;
use crate::logic::Stopped;
use crate::render::events::EventKind;
use crate::render::vdom::NodeId;
use crate::runtime::files::DirFiles;
use crate::runtime::{Isolation, LaunchError, LaunchOptions, Runtime};
use crate::surface::Surface;
use mpkit_bundle::{AppId, Caps, Expected, PackOptions, SecretKey, Store, Trust};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The one error type of the embedding API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The builder was missing something or given something invalid.
    #[error("host configuration: {0}")]
    Config(String),
    /// A bundle or an installed tree failed verification. Never a warning.
    #[error("verification failed: {0}")]
    Verification(#[from] mpkit_bundle::Error),
    /// The app is not installed.
    #[error("{0} is not installed")]
    NotInstalled(String),
    /// The mini program could not start.
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// Dev directories need `dev_mode(true)`.
    #[error("launching a directory needs dev mode; production hosts run verified bundles only")]
    DevModeOff,
}

/// How the embedding app hears about its mini programs. Every method has a
/// default, so later issues can add methods (consent prompts, payment sheets)
/// without breaking integrators.
pub trait HostDelegate {
    /// A mini program was stopped for good (watchdog, memory cap, crash).
    fn app_stopped(&self, app: &AppId, reason: &Stopped) {
        let _ = (app, reason);
    }
    /// A mini program hit an uncaught error, a template error or a bad navigation.
    fn app_error(&self, app: &AppId, error: &ScriptError) {
        let _ = (app, error);
    }
}

/// A delegate that ignores everything (tests, tools).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoDelegate;
impl HostDelegate for NoDelegate {}

/// What to launch.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LaunchSource {
    /// The current installed version of this app in the host's store.
    Installed(AppId),
    /// A bundle file: verified against the host's trust and installed first.
    Bundle(PathBuf),
    /// A mini program directory, packed and signed with a throwaway key (dev mode only).
    DevDir(PathBuf),
}

/// Builds a [`Host`]; errors are collected and returned by [`HostBuilder::build`].
#[derive(Default)]
pub struct HostBuilder {
    trust: Option<Trust>,
    store: Option<PathBuf>,
    delegate: Option<Rc<dyn HostDelegate>>,
    isolation: Option<Isolation>,
    screen_width: Option<f64>,
    dev_mode: bool,
    errors: Vec<String>,
}

impl std::fmt::Debug for HostBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostBuilder")
            .field("store", &self.store)
            .field("dev_mode", &self.dev_mode)
            .finish_non_exhaustive()
    }
}

impl HostBuilder {
    /// Who signs what this host runs (a trust root in production).
    pub fn trust(mut self, trust: Trust) -> HostBuilder {
        self.trust = Some(trust);
        self
    }

    /// Where installed mini programs live.
    pub fn storage_dir(mut self, dir: impl Into<PathBuf>) -> HostBuilder {
        self.store = Some(dir.into());
        self
    }

    /// The embedding app's delegate.
    pub fn delegate(mut self, delegate: Rc<dyn HostDelegate>) -> HostBuilder {
        self.delegate = Some(delegate);
        self
    }

    /// Where mini programs' JS runs (default: a worker process each).
    pub fn isolation(mut self, isolation: Isolation) -> HostBuilder {
        self.isolation = Some(isolation);
        self
    }

    /// The screen width in px (750rpx), default 375.
    pub fn screen_width(mut self, px: f64) -> HostBuilder {
        if !(px.is_finite() && px > 0.0) {
            self.errors
                .push(format!("screen width {px} must be a positive number"));
        }
        self.screen_width = Some(px);
        self
    }

    /// Allows launching directories packed with a throwaway key (preview, tests).
    pub fn dev_mode(mut self, on: bool) -> HostBuilder {
        self.dev_mode = on;
        self
    }

    /// Builds the host, or reports everything that was wrong.
    pub fn build(self) -> Result<Host, HostError> {
        let mut errors = self.errors;
        if self.trust.is_none() {
            errors.push("a trust anchor is required (trust)".into());
        }
        if self.store.is_none() {
            errors.push("a storage directory is required (storage_dir)".into());
        }
        if !errors.is_empty() {
            return Err(HostError::Config(errors.join("; ")));
        }
        let (Some(trust), Some(dir)) = (self.trust, self.store) else {
            return Err(HostError::Config("unreachable".into()));
        };
        Ok(Host {
            store: Store::open(dir)?,
            trust,
            delegate: self.delegate.unwrap_or_else(|| Rc::new(NoDelegate)),
            isolation: self
                .isolation
                .unwrap_or(Isolation::Process(WorkerConfig::default())),
            screen_width: self.screen_width.unwrap_or(375.0),
            dev_mode: self.dev_mode,
        })
    }
}

/// An embedded mini program host. Several mini programs run in one host at once,
/// each with its own logic layer.
///
/// ```no_run
/// use mpkit_host::host::{Host, LaunchSource};
/// use mpkit_host::surface::headless::HeadlessSurface;
/// use mpkit_bundle::{AppId, Trust, TrustedRoot};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// mpkit_host::logic::worker::enter_if_worker(); // first thing in main
/// let root = TrustedRoot::load(&std::fs::read("root.json")?, time::OffsetDateTime::now_utc())?;
/// let host = Host::builder().trust(Trust::Root(root)).storage_dir("/var/lib/wallet/mp").build()?;
/// let app = AppId::new("2021000000000001")?;
/// let mut handle = host.launch(LaunchSource::Installed(app), "user-42", Default::default(), HeadlessSurface::new())?;
/// println!("showing {:?}", handle.current_page());
/// # Ok(()) }
/// ```
pub struct Host {
    store: Store,
    trust: Trust,
    delegate: Rc<dyn HostDelegate>,
    isolation: Isolation,
    screen_width: f64,
    dev_mode: bool,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("store", &self.store.root())
            .field("dev_mode", &self.dev_mode)
            .finish_non_exhaustive()
    }
}

impl Host {
    /// Starts a builder.
    pub fn builder() -> HostBuilder {
        HostBuilder::default()
    }

    /// The store of installed mini programs.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Verifies and installs a bundle file; the last good version is kept.
    pub fn install(
        &self,
        bundle: &Path,
        expected: &Expected,
    ) -> Result<mpkit_bundle::Installed, HostError> {
        Ok(self
            .store
            .install_file(bundle, &self.trust, expected, &Caps::default())?)
    }

    /// Launches a mini program for `user` (identity comes from the host, never
    /// from JS) with `query`, rendering to `surface`.
    pub fn launch<S: Surface>(
        &self,
        source: LaunchSource,
        user: &str,
        query: Map<String, Value>,
        surface: S,
    ) -> Result<AppHandle<S>, HostError> {
        let (app, dir) = match source {
            LaunchSource::Installed(app) => {
                let version = self
                    .store
                    .current(&app)?
                    .ok_or_else(|| HostError::NotInstalled(app.to_string()))?;
                // Re-verified at every launch: a tree changed on disk never runs.
                self.store.check_installed(&app, &version, &self.trust)?;
                let dir = self.store.path_of(&app, &version);
                (app, dir)
            }
            LaunchSource::Bundle(path) => {
                let done = self.install(&path, &Expected::any())?;
                (done.manifest.app_id.clone(), done.path)
            }
            LaunchSource::DevDir(path) => {
                if !self.dev_mode {
                    return Err(HostError::DevModeOff);
                }
                let key = SecretKey::generate()?;
                let (_, bytes) = mpkit_bundle::pack_dir(&path, &key, &PackOptions::default())?;
                let done = self.store.install(
                    &bytes,
                    &Trust::Developer(vec![key.public().clone()]),
                    &Expected::any(),
                    &Caps::default(),
                )?;
                (done.manifest.app_id.clone(), done.path)
            }
        };
        let opts = LaunchOptions {
            query,
            screen_width: self.screen_width,
            isolation: self.isolation.clone(),
            ..LaunchOptions::default()
        };
        let runtime = Runtime::launch(Box::new(DirFiles::new(dir)), surface, opts)?;
        let mut handle = AppHandle {
            runtime,
            app,
            user: user.to_owned(),
            delegate: self.delegate.clone(),
            reported: 0,
            stop_reported: false,
        };
        handle.report();
        Ok(handle)
    }
}

/// One running mini program.
pub struct AppHandle<S: Surface> {
    runtime: Runtime<S>,
    app: AppId,
    user: String,
    delegate: Rc<dyn HostDelegate>,
    reported: usize,
    stop_reported: bool,
}

impl<S: Surface> std::fmt::Debug for AppHandle<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppHandle")
            .field("app", &self.app)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl<S: Surface> AppHandle<S> {
    /// Tells the delegate about errors and a stop since the last report.
    fn report(&mut self) {
        let errors = self.runtime.errors();
        for e in &errors[self.reported.min(errors.len())..] {
            if e.kind != "stopped" {
                self.delegate.app_error(&self.app, e);
            }
        }
        self.reported = errors.len();
        if let (Some(s), false) = (self.runtime.stopped(), self.stop_reported) {
            self.delegate.app_stopped(&self.app, s);
            self.stop_reported = true;
        }
    }

    /// The app.
    pub fn app_id(&self) -> &AppId {
        &self.app
    }

    /// The host user it runs for.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The top page's route.
    pub fn current_page(&self) -> Option<&str> {
        self.runtime.route()
    }

    /// The surface.
    pub fn surface(&self) -> &S {
        self.runtime.surface()
    }

    /// The runtime, for queries (text, html, errors, calls).
    pub fn runtime(&self) -> &Runtime<S> {
        &self.runtime
    }

    /// An event a surface reported at a node of the top page.
    pub fn dispatch(&mut self, target: NodeId, kind: EventKind, detail: Value) {
        self.runtime.dispatch(target, kind, detail);
        self.report();
    }

    /// Taps the first element matching a selector (tests, tools).
    pub fn tap(&mut self, selector: &str) -> Result<(), String> {
        let r = self.runtime.tap(selector);
        self.report();
        r
    }

    /// Fires due timers.
    pub fn pump(&mut self) {
        self.runtime.pump();
        self.report();
    }

    /// The surface reports a pull-down on the top page.
    pub fn pull_down_refresh(&mut self) {
        self.runtime.pull_down_refresh();
        self.report();
    }

    /// The surface reports that the top page reached its bottom.
    pub fn reach_bottom(&mut self) {
        self.runtime.reach_bottom();
        self.report();
    }

    /// The embedding app shows the mini program.
    pub fn show(&mut self) {
        self.runtime.show();
        self.report();
    }

    /// The embedding app hides the mini program.
    pub fn hide(&mut self) {
        self.runtime.hide();
        self.report();
    }

    /// Closes the mini program: every page is unloaded and its worker ends.
    pub fn close(mut self) {
        self.runtime.close();
        self.report();
    }

    /// Why it was stopped, if it was.
    pub fn stopped(&self) -> Option<&Stopped> {
        self.runtime.stopped()
    }
}
