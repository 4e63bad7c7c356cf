//! The embedding API: a [`Host`] built from a config, and an [`AppHandle`] per
//! running mini program.

use crate::apis::files::{Files, DEFAULT_FILE_QUOTA};
use crate::apis::net::{NetConfig, NetShaper};
use crate::apis::store::{Grant, UserData};
use crate::apis::{ApiEnv, CustomApi, SystemInfo};
use crate::handle::AppHandle;
use crate::logic::worker::WorkerConfig;
use crate::runtime::files::DirFiles;
use crate::runtime::{Isolation, LaunchError, LaunchOptions, Runtime};
use crate::surface::Surface;
use mpkit_bundle::{AppId, Caps, Expected, PackOptions, SecretKey, Store, Trust};
use mpkit_jsapi::registry::ApiDecl;
use mpkit_jsapi::{ApiError, Handler};
use mpkit_sandbox::acl::ScopeDecision;
use mpkit_sandbox::net::DevOrigin;
use mpkit_sandbox::storage::StorageQuota;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

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
    /// The user-data database could not be opened or used.
    #[error("user data: {0}")]
    UserData(String),
    /// The app's approved permissions could not be applied (a malformed domain list).
    #[error("permissions: {0}")]
    Permissions(#[from] ApiError),
}

pub(crate) use crate::delegate::{HostDelegate, NoDelegate};

/// What to launch.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LaunchSource {
    /// The current installed version of this app in the host's store.
    Installed(AppId),
    /// One installed version of this app, current or not.
    InstalledVersion(AppId, semver::Version),
    /// A bundle file: verified against the host's trust and installed first.
    Bundle(PathBuf),
    /// A mini program project (a folder as Alipay's tools lay it out), packed
    /// and signed with a throwaway key (dev mode only). Its identity is
    /// mpkit.json's, else the legacy app.json fields, else a development one
    /// derived from the folder.
    DevDir(PathBuf),
    /// As `DevDir`, with identity flags that win over the project's (`mpkit run --app-id`).
    DevDirAs(PathBuf, mpkit_bundle::IdentityFlags),
}

/// Builds a [`Host`]; errors are collected and returned by [`HostBuilder::build`].
pub struct HostBuilder {
    trust: Option<Trust>,
    store: Option<PathBuf>,
    delegate: Option<Rc<dyn HostDelegate>>,
    isolation: Option<Isolation>,
    screen_width: Option<f64>,
    render_budget: Option<std::time::Duration>,
    dev_mode: bool,
    storage_quota: StorageQuota,
    file_quota: u64,
    net: NetConfig,
    shaper: Option<Arc<dyn NetShaper>>,
    fixtures: Option<Arc<dyn crate::NetFixtures>>,
    dev_origins: Vec<DevOrigin>,
    dev_network: bool,
    system: Option<SystemInfo>,
    custom: Vec<CustomApi>,
    available: Option<BTreeSet<String>>,
    errors: Vec<String>,
}

impl Default for HostBuilder {
    fn default() -> HostBuilder {
        HostBuilder {
            trust: None,
            store: None,
            delegate: None,
            isolation: None,
            screen_width: None,
            render_budget: None,
            dev_mode: false,
            storage_quota: StorageQuota::default(),
            file_quota: DEFAULT_FILE_QUOTA,
            net: NetConfig::default(),
            shaper: None,
            fixtures: None,
            dev_origins: Vec::new(),
            dev_network: false,
            system: None,
            custom: Vec::new(),
            available: None,
            errors: Vec::new(),
        }
    }
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

    /// How long one page's render may take before its mini program is
    /// stopped ([`crate::logic::Stopped::RenderBudget`]); default 2 s. Rendering
    /// runs where the mini program's JS runs, and counts toward the worker's
    /// watchdog too.
    pub fn render_budget(mut self, budget: std::time::Duration) -> HostBuilder {
        if budget.is_zero() {
            self.errors
                .push("the render budget must not be zero".into());
        }
        self.render_budget = Some(budget);
        self
    }

    /// Allows launching directories packed with a throwaway key (preview, tests).
    pub fn dev_mode(mut self, on: bool) -> HostBuilder {
        self.dev_mode = on;
        self
    }

    /// Storage quota per (user, app): default 10 MB in all, 200 KB per value.
    pub fn storage_quota(mut self, quota: StorageQuota) -> HostBuilder {
        self.storage_quota = quota;
        self
    }

    /// File quota per (user, app) in bytes, default 50 MB.
    pub fn file_quota(mut self, bytes: u64) -> HostBuilder {
        self.file_quota = bytes;
        self
    }

    /// Network limits (concurrency, timeout, response cap, name lookup).
    pub fn network(mut self, net: NetConfig) -> HostBuilder {
        if net.max_concurrent == 0 {
            self.errors
                .push("network max_concurrent must be at least 1".into());
        }
        self.net = net;
        self
    }

    /// Installs a [`NetShaper`]: it sees every network call of every mini
    /// program before it goes out and after its answer arrived, and may
    /// refuse, delay or fail it (simulated network conditions, an offline
    /// mode). It replaces any shaper in [`HostBuilder::network`]'s config.
    /// None by default: calls go out as they are.
    pub fn net_shaper(mut self, shaper: Arc<dyn NetShaper>) -> HostBuilder {
        self.shaper = Some(shaper);
        self
    }

    /// Answers mini programs' requests from recorded fixtures instead of
    /// the network (see [`crate::NetFixtures`]): nothing leaves the machine.
    /// It replaces any fixtures in [`HostBuilder::network`]'s config.
    pub fn net_fixtures(mut self, fixtures: Arc<dyn crate::NetFixtures>) -> HostBuilder {
        self.fixtures = Some(fixtures);
        self
    }

    /// Development only: a mini program folder launched in dev mode
    /// ([`LaunchSource::DevDir`]) may call `my.request`, `downloadFile` and
    /// `uploadFile` on any public https host, as Alipay's IDE can skip the
    /// domain check (real app.json declares no domains; they are set on the
    /// platform). IP literals, localhost and private addresses stay refused.
    /// Signed bundles keep their approved lists, whatever this says.
    pub fn dev_network(mut self, open: bool) -> HostBuilder {
        self.dev_network = open;
        self
    }

    /// Loopback origins (`http://127.0.0.1:8080`) mini programs may reach in
    /// development. Set by the embedding app only, never by a bundle; anything
    /// that is not a loopback IP origin is refused.
    pub fn dev_origins<I: IntoIterator<Item = S>, S: AsRef<str>>(
        mut self,
        origins: I,
    ) -> HostBuilder {
        for o in origins {
            match parse_dev_origin(o.as_ref()) {
                Ok(d) => self.dev_origins.push(d),
                Err(e) => self.errors.push(e),
            }
        }
        self
    }

    /// What `my.getSystemInfo` reports.
    pub fn system_info(mut self, info: SystemInfo) -> HostBuilder {
        self.system = Some(info);
        self
    }

    /// Offers only these `my.*` APIs (built-in or custom): a host that ships a
    /// subset, or a compatibility profile. Every other API is not available
    /// (error 1, and `my.canIUse` says false). Navigation and `canIUse` stay.
    pub fn available_apis<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        names: I,
    ) -> HostBuilder {
        self.available = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Registers one of the embedding app's own JSAPIs. It is declared like a
    /// built-in (permission key, scope, parameters) and passes the same gates.
    pub fn register_api(mut self, decl: ApiDecl, handler: impl Handler + 'static) -> HostBuilder {
        if decl.name.is_empty()
            || !decl.name.chars().all(|c| c.is_ascii_alphanumeric())
            || !decl.name.starts_with(|c: char| c.is_ascii_lowercase())
        {
            self.errors.push(format!(
                "custom API name {:?} must be lowerCamelCase letters and digits",
                decl.name
            ));
        }
        self.custom.push((decl, Rc::new(handler)));
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
        let store = Store::open(&dir)?;
        let data_dir = dir.join("userdata");
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| HostError::UserData(format!("{}: {e}", data_dir.display())))?;
        let data = UserData::open(&data_dir.join("kv.sqlite"), self.storage_quota)
            .map_err(|e| HostError::UserData(e.to_string()))?;
        let mut net = self.net;
        if let Some(fixtures) = self.fixtures {
            net.fixtures = Some(fixtures);
        }
        if let Some(shaper) = self.shaper {
            net.shaper = Some(shaper);
        }
        Ok(Host {
            store,
            data: Rc::new(data),
            files: Files::new(data_dir.join("files"), self.file_quota),
            net,
            dev_origins: self.dev_origins,
            dev_network: self.dev_network,
            system: self.system.unwrap_or_default(),
            custom: self.custom,
            available: self.available,
            trust,
            delegate: self.delegate.unwrap_or_else(|| Rc::new(NoDelegate)),
            isolation: self
                .isolation
                .unwrap_or(Isolation::Process(WorkerConfig::default())),
            screen_width: self.screen_width.unwrap_or(375.0),
            render_budget: self
                .render_budget
                .unwrap_or(crate::runtime::DEFAULT_RENDER_BUDGET),
            dev_mode: self.dev_mode,
        })
    }
}

/// An embedded mini program host. Several mini programs run in one host at once,
/// each with its own logic layer.
///
/// ```no_run
/// use mpkit_host::{Host, LaunchSource};
/// use mpkit_host::HeadlessSurface;
/// use mpkit_bundle::{AppId, Trust, TrustedRoot};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// mpkit_host::enter_if_worker(); // first thing in main
/// let root = TrustedRoot::load(&std::fs::read("root.json")?, time::OffsetDateTime::now_utc())?;
/// let host = Host::builder().trust(Trust::Root(root)).storage_dir("/var/lib/wallet/mp").build()?;
/// let app = AppId::new("2021000000000001")?;
/// let mut handle = host.launch(LaunchSource::Installed(app), "user-42", Default::default(), HeadlessSurface::new())?;
/// println!("showing {:?}", handle.current_page());
/// # Ok(()) }
/// ```
pub struct Host {
    store: Store,
    data: Rc<UserData>,
    files: Files,
    net: NetConfig,
    dev_origins: Vec<DevOrigin>,
    dev_network: bool,
    system: SystemInfo,
    custom: Vec<CustomApi>,
    available: Option<BTreeSet<String>>,
    trust: Trust,
    delegate: Rc<dyn HostDelegate>,
    isolation: Isolation,
    screen_width: f64,
    render_budget: std::time::Duration,
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

    /// What this host trusts.
    pub fn trust(&self) -> &Trust {
        &self.trust
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
        self.launch_at(source, user, None, query, surface)
    }

    /// As [`Host::launch`], opening `page` (a route of app.json) first instead
    /// of the home page: a deep link, or a compatibility run of every page.
    pub fn launch_at<S: Surface>(
        &self,
        source: LaunchSource,
        user: &str,
        page: Option<&str>,
        query: Map<String, Value>,
        surface: S,
    ) -> Result<AppHandle<S>, HostError> {
        let mut warnings = Vec::new();
        let open_network = self.dev_network
            && matches!(source, LaunchSource::DevDir(_) | LaunchSource::DevDirAs(..));
        // Which build runs, for `getAccountInfoSync` and `getRunScene`: a
        // development directory, or a released (verified, installed) bundle.
        let env_version = match source {
            LaunchSource::DevDir(_) | LaunchSource::DevDirAs(..) => "develop",
            _ => "release",
        };
        let (app, dir, mut permissions, version) = match source {
            LaunchSource::Installed(_) | LaunchSource::InstalledVersion(..) => {
                let (app, version) = match source {
                    LaunchSource::InstalledVersion(app, v) => (app, v),
                    LaunchSource::Installed(app) => {
                        let v = self
                            .store
                            .current(&app)?
                            .ok_or_else(|| HostError::NotInstalled(app.to_string()))?;
                        (app, v)
                    }
                    _ => unreachable!("matched above"),
                };
                if !self.store.path_of(&app, &version).is_dir() {
                    return Err(HostError::NotInstalled(format!("{app} {version}")));
                }
                // Re-verified at every launch: a tree changed on disk never runs.
                let manifest = self.store.check_installed(&app, &version, &self.trust)?;
                let dir = self.store.path_of(&app, &version);
                (app, dir, manifest.permissions, version.to_string())
            }
            LaunchSource::Bundle(path) => {
                let done = self.install(&path, &Expected::any())?;
                (
                    done.manifest.app_id.clone(),
                    done.path,
                    done.manifest.permissions,
                    done.manifest.version.to_string(),
                )
            }
            LaunchSource::DevDir(_) | LaunchSource::DevDirAs(..) if !self.dev_mode => {
                return Err(HostError::DevModeOff);
            }
            LaunchSource::DevDir(path) => {
                self.install_dev(&path, mpkit_bundle::IdentityFlags::default(), &mut warnings)?
            }
            LaunchSource::DevDirAs(path, flags) => self.install_dev(&path, flags, &mut warnings)?,
        };
        if open_network {
            // The network APIs count as approved, on any public https host.
            for key in ["request", "downloadFile", "uploadFile"] {
                permissions.jsapi.insert(key.to_owned());
            }
        }
        let ext = ext_config(&dir, &mut warnings);
        let session = crate::apis::setup(&ApiEnv {
            app: app.clone(),
            ext,
            version,
            env_version: env_version.to_owned(),
            user: user.to_owned(),
            permissions,
            open_network,
            data: self.data.clone(),
            files: self.files.clone(),
            net: self.net.clone(),
            dev_origins: self.dev_origins.clone(),
            delegate: self.delegate.clone(),
            system: self.system.clone(),
            custom: self.custom.clone(),
            available: self.available.clone(),
        })?;
        let mut apis = session.dispatcher.can_i_use_table();
        apis.push("canIUse".into());
        let opts = LaunchOptions {
            path: page.map(|p| p.trim_start_matches('/').to_owned()),
            query,
            screen_width: self.screen_width,
            render_budget: self.render_budget,
            isolation: self.isolation.clone(),
            apis,
            session: Some(session),
            ..LaunchOptions::default()
        };
        let mut runtime = Runtime::launch(Box::new(DirFiles::new(dir.clone())), surface, opts)?;
        for w in warnings {
            runtime.warn(crate::ScriptError::at("project", "", 0, 0, w));
        }
        Ok(AppHandle::new(
            runtime,
            dir,
            app,
            user.to_owned(),
            self.delegate.clone(),
        ))
    }

    /// Packs a project with a throwaway key and installs it (dev mode).
    fn install_dev(
        &self,
        path: &std::path::Path,
        flags: mpkit_bundle::IdentityFlags,
        warnings: &mut Vec<String>,
    ) -> Result<(AppId, PathBuf, mpkit_bundle::Permissions, String), HostError> {
        let key = SecretKey::generate()?;
        let packed = mpkit_bundle::pack_project(
            path,
            &key,
            &PackOptions {
                app_id: flags.app_id,
                name: flags.name,
                version: flags.version,
                build: flags.build,
                development: true,
                ..PackOptions::default()
            },
        )?;
        warnings.extend(packed.warnings);
        let (manifest, bytes) = (packed.manifest, packed.bytes);
        // An edited directory keeps its version: the new tree replaces
        // the old dev install (live reload, a rerun after an edit).
        if self
            .store
            .path_of(&manifest.app_id, &manifest.version)
            .is_dir()
        {
            self.store.remove(&manifest.app_id)?;
        }
        // The folder is what runs, whatever version it says now.
        let done = self.store.install(
            &bytes,
            &Trust::Developer(vec![key.public().clone()]),
            &Expected::any().rollback_to(manifest.version.clone()),
            &Caps::default(),
        )?;
        // Dev mode: the requested permissions count as approved.
        Ok((
            done.manifest.app_id.clone(),
            done.path,
            done.manifest.permissions,
            done.manifest.version.to_string(),
        ))
    }
}

/// Consent management for the embedding app (its settings screen, support tools).
impl Host {
    /// The stored decisions of `user` for `app`.
    pub fn grants(&self, user: &str, app: &AppId) -> Result<Vec<Grant>, HostError> {
        self.data
            .grants(user, app.as_str())
            .map_err(|e| HostError::UserData(e.to_string()))
    }

    /// Revokes one scope (or, with `None`, every grant and denial) of `user`
    /// for `app`; the next use asks again. Returns how many were removed.
    pub fn revoke(&self, user: &str, app: &AppId, scope: Option<&str>) -> Result<usize, HostError> {
        self.data
            .revoke(user, app.as_str(), scope, crate::util::now_secs())
            .map_err(|e| HostError::UserData(e.to_string()))
    }

    /// Grants `scope` to `app` for `user` for `ttl` only; afterwards the next
    /// use asks again. Returns the consent receipt's id.
    pub fn grant_for(
        &self,
        user: &str,
        app: &AppId,
        scope: &str,
        ttl: std::time::Duration,
    ) -> Result<String, HostError> {
        let now = crate::util::now_secs();
        let receipt = mpkit_jsapi::dispatch::receipt_id(user, app.as_str(), scope, now);
        let decision = ScopeDecision::Granted {
            at: now,
            receipt: receipt.clone(),
            until: Some(now.saturating_add(ttl.as_secs().max(1))),
        };
        self.data
            .put_decision(user, app.as_str(), scope, &decision)
            .map_err(|e| HostError::UserData(e.to_string()))?;
        Ok(receipt)
    }

    /// Every consent decision ever made by `user` for `app`, oldest first:
    /// (scope, state, unix time, receipt).
    pub fn consent_receipts(
        &self,
        user: &str,
        app: &AppId,
    ) -> Result<Vec<(String, String, u64, String)>, HostError> {
        self.data
            .receipts(user, app.as_str())
            .map_err(|e| HostError::UserData(e.to_string()))
    }
}

/// Parses `http://127.0.0.1:8080` into a dev origin; only loopback IP origins pass.
pub fn parse_dev_origin(s: &str) -> Result<DevOrigin, String> {
    let u = url::Url::parse(s).map_err(|e| format!("dev origin {s:?}: {e}"))?;
    let ip: std::net::IpAddr = match u.host() {
        Some(url::Host::Ipv4(v4)) => v4.into(),
        Some(url::Host::Ipv6(v6)) => v6.into(),
        _ => {
            return Err(format!(
                "dev origin {s:?} must be a loopback IP address, not a name"
            ))
        }
    };
    if !ip.is_loopback() {
        return Err(format!("dev origin {s:?} is not a loopback address"));
    }
    if !matches!(u.scheme(), "http" | "https" | "ws" | "wss")
        || u.path() != "/"
        || u.query().is_some()
    {
        return Err(format!(
            "dev origin {s:?} must be scheme://ip:port and nothing more"
        ));
    }
    let port = u
        .port_or_known_default()
        .ok_or_else(|| format!("dev origin {s:?} has no port"))?;
    Ok(DevOrigin {
        scheme: u.scheme().to_owned(),
        ip,
        port,
    })
}

/// The `ext` field of the verified tree's `ext.json` (a template's custom
/// data, `my.getExtConfig`): `{}` without the file, when `extEnable` is
/// false, or when it is not a JSON object (with a warning).
fn ext_config(dir: &std::path::Path, warnings: &mut Vec<String>) -> serde_json::Value {
    let empty = || serde_json::Value::Object(serde_json::Map::new());
    let Ok(text) = std::fs::read_to_string(dir.join("ext.json")) else {
        return empty();
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) if v.get("extEnable") == Some(&serde_json::Value::Bool(false)) => empty(),
        Ok(v) => match v.get("ext") {
            Some(ext @ serde_json::Value::Object(_)) => ext.clone(),
            _ => empty(),
        },
        Err(e) => {
            warnings.push(format!(
                "ext.json is not JSON ({e}); my.getExtConfig answers {{}}"
            ));
            empty()
        }
    }
}
