//! # mpkit-compat
//!
//! Compatibility testing: will this mini program run across the operating
//! systems, devices, host versions and network conditions of a target app?
//!
//! [`check`] takes a mini program (a directory or a signed bundle) and a set of
//! [`Profile`]s and returns a [`Report`]:
//! - **static checks**, once: every `my.*` use in the bundle's JS, found by
//!   parsing ([`scan`]), against each profile's APIs; `minHostVersion` against
//!   each profile's SDK version; the package size against each profile's limit;
//! - **dynamic checks**, per profile and network condition (and each extra
//!   screen): every page launched headless with the APIs of that profile only,
//!   its system info and a simulated network, run to `onReady`, every element
//!   with a tap handler tapped once and navigated back from; uncaught errors,
//!   failed JSAPIs, timeouts, slow handlers, large setData payloads and
//!   page-stack misuse are recorded.
//!
//! Runs never leave the machine: no host name resolves, so a mini program
//! reaches only the loopback dev origins named in [`Options::dev_origins`]. The
//! network conditions are [`NetCondition`]s, installed in each run's host through
//! its network hook (`HostBuilder::net_shaper`).
//!
//! Visual checks (webview screenshots) are `visual::run`, behind the `visual`
//! feature: they need a display and own the thread they run on (`mpkit compat
//! --screenshots`); [`Report::add_visual`] records them.
//!
//! The default profiles are this package's `profiles/*.json`, built in.
#![warn(missing_docs)]

mod dynamic;
pub mod net;
pub mod profile;
pub mod report;
pub mod scan;
#[cfg(feature = "visual")]
pub mod visual;

pub use net::NetCondition;
pub use profile::{default_profiles, load_dir, select, with_defaults, Profile, ProfileError};
pub use report::{Problem, Report, Severity, Shot, Status, REPORT_SCHEMA, VISUAL_UNAVAILABLE};

use mpkit_bundle::{Caps, Expected, PackOptions, SecretKey, Store, Trust};
use mpkit_host::HostBuilder;
use mpkit_host::{Isolation, ThreadOptIn};
use report::{AppInfo, PageInfo, ProfileReport, Visual};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to check.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Input {
    /// A mini program directory, packed with a throwaway key for the check.
    Dir(PathBuf),
    /// A signed bundle, verified against `trust` before anything runs.
    Bundle {
        /// The `.mpk`.
        path: PathBuf,
        /// Who must have signed it.
        trust: Trust,
    },
}

/// Adds the embedding app's own APIs (or anything else) to every run's host.
pub type HostSetup = Arc<dyn Fn(HostBuilder) -> HostBuilder + Send + Sync>;

/// How the checks run.
#[derive(Clone)]
#[non_exhaustive]
pub struct Options {
    /// Loopback origins the mini program may reach (`http://127.0.0.1:8080`).
    pub dev_origins: Vec<String>,
    /// Added to every page's launch query (e.g. a dev backend's address).
    pub query: Map<String, Value>,
    /// Where the JS runs (default: on the run's thread).
    pub isolation: Isolation,
    /// Timers due within this are waited for before a page counts as idle.
    pub settle: Duration,
    /// A page still busy after this is reported (`timeout`).
    pub page_timeout: Duration,
    /// Taps per page at most.
    pub max_taps_per_page: usize,
    /// setData payloads of at least this many bytes are reported (256 KB).
    pub set_data_bytes: usize,
    /// Runs at once (each on its own thread).
    pub parallelism: usize,
    /// Problems kept per profile; the rest are counted.
    pub max_problems: usize,
    /// Customises every run's host (custom APIs of the embedding app).
    pub host_setup: Option<HostSetup>,
    /// Keep the runs' log output (the mini program's console, the host's
    /// warnings about it); by default it is dropped, since every error is in
    /// the report.
    pub logs: bool,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("dev_origins", &self.dev_origins)
            .field("isolation", &self.isolation)
            .field("parallelism", &self.parallelism)
            .finish_non_exhaustive()
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            dev_origins: Vec::new(),
            query: Map::new(),
            isolation: Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED),
            settle: Duration::from_secs(2),
            page_timeout: Duration::from_secs(20),
            max_taps_per_page: 40,
            set_data_bytes: 256 * 1024,
            // Runs mostly wait (simulated latency, timers), so more of them
            // than cores keeps the cores busy.
            parallelism: (std::thread::available_parallelism().map_or(2, |n| n.get()) * 4)
                .clamp(4, 16),
            max_problems: 500,
            host_setup: None,
            logs: false,
        }
    }
}

impl Options {
    /// The defaults.
    pub fn new() -> Options {
        Options::default()
    }

    /// Loopback origins the mini program may reach.
    pub fn dev_origins(mut self, origins: Vec<String>) -> Options {
        self.dev_origins = origins;
        self
    }

    /// Adds `key=value` to every page's launch query.
    pub fn query(mut self, key: &str, value: &str) -> Options {
        self.query
            .insert(key.to_owned(), Value::String(value.to_owned()));
        self
    }

    /// Where the JS runs.
    pub fn isolation(mut self, isolation: Isolation) -> Options {
        self.isolation = isolation;
        self
    }

    /// Runs at once.
    pub fn parallelism(mut self, n: usize) -> Options {
        self.parallelism = n.max(1);
        self
    }

    /// Customises every run's host.
    pub fn host_setup(mut self, setup: HostSetup) -> Options {
        self.host_setup = Some(setup);
        self
    }

    /// Keeps the runs' log output.
    pub fn logs(mut self, on: bool) -> Options {
        self.logs = on;
        self
    }
}

/// Why no report could be made (a problem *in* the mini program is never this:
/// it is in the report).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompatError {
    /// The bundle did not verify, or the directory could not be packed.
    #[error(transparent)]
    Bundle(#[from] mpkit_bundle::Error),
    /// No profiles were given.
    #[error("no profiles to check against")]
    NoProfiles,
    /// A file or thread could not be made.
    #[error("{0}")]
    Io(String),
}

fn io(what: &str, e: impl std::fmt::Display) -> CompatError {
    CompatError::Io(format!("{what}: {e}"))
}

/// Runs `f` on a thread with a 64 MiB stack (boa's parser and engine recurse).
fn on_big_stack<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CompatError> {
    std::thread::Builder::new()
        .name("mpkit-compat".into())
        .stack_size(64 * 1024 * 1024)
        .spawn(f)
        .map_err(|e| io("starting a thread", e))?
        .join()
        .map_err(|_| CompatError::Io("a compatibility run panicked".into()))
}

/// Checks a mini program against `profiles`.
pub fn check(input: &Input, profiles: &[Profile], opts: &Options) -> Result<Report, CompatError> {
    let started = Instant::now();
    if profiles.is_empty() {
        return Err(CompatError::NoProfiles);
    }
    let work = tempfile::tempdir().map_err(|e| io("a temporary directory", e))?;
    let (bundle, trust) = match input {
        Input::Dir(dir) => {
            let key = SecretKey::generate()?;
            // A project as Alipay's tools lay it out: with no appId, it is
            // checked under the folder's development identity.
            let opts = PackOptions {
                development: true,
                ..PackOptions::default()
            };
            let (_, bytes) = mpkit_bundle::pack_dir(dir, &key, &opts)?;
            let path = work.path().join("app.mpk");
            std::fs::write(&path, &bytes).map_err(|e| io("writing the packed bundle", e))?;
            (path, Trust::Developer(vec![key.public().clone()]))
        }
        Input::Bundle { path, trust } => (path.clone(), trust.clone()),
    };
    let package_bytes = std::fs::metadata(&bundle)
        .map_err(|e| io(&bundle.display().to_string(), e))?
        .len();
    // Verified and installed once for the static checks; every run installs
    // it again into its own host.
    let store = Store::open(work.path().join("static"))?;
    let installed = store.install_file(&bundle, &trust, &Expected::any(), &Caps::default())?;
    let manifest = installed.manifest;
    let tree = installed.path;

    let mut sources = Vec::new();
    let mut static_problems = Vec::new();
    for f in manifest.files.iter().filter(|f| f.path.ends_with(".js")) {
        let text = std::fs::read(tree.join(&f.path)).map_err(|e| io(&f.path, e))?;
        match String::from_utf8(text) {
            Ok(t) => sources.push((f.path.clone(), t)),
            Err(_) => {
                let mut p = Problem::new("parse-error", Severity::Error, "the file is not UTF-8");
                p.file = Some(f.path.clone());
                static_problems.push(p);
            }
        }
    }
    let scan = on_big_stack(move || {
        let mut s = scan::Scan::default();
        for (file, text) in &sources {
            scan::scan_script(file, text, &mut s);
        }
        s
    })?;
    let js_files = scan.files;
    let (queries, config_problems) = compat_config(&tree.join("app.json"), &manifest.pages);
    static_problems.extend(config_problems);
    static_problems.extend(scan_problems(&scan));

    let builtin: BTreeSet<String> = mpkit_jsapi::registry::builtin_decls()
        .into_iter()
        .map(|d| d.name)
        .collect();
    let shared = Arc::new(dynamic::Shared {
        bundle,
        trust,
        pages: manifest.pages.clone(),
        queries,
        opts: opts.clone(),
        broken: scan.broken_files(),
        builtin,
        work: work.path().to_owned(),
    });
    let profiles_arc: Arc<Vec<Profile>> = Arc::new(profiles.to_vec());
    let mut jobs = Vec::new();
    for (pi, p) in profiles.iter().enumerate() {
        for (ni, n) in p.network.iter().enumerate() {
            jobs.push(dynamic::Job {
                profile: pi,
                network: ni,
                screen: 0,
                label: n.name(),
            });
        }
        // Extra screens run under the first condition.
        for (si, s) in p.screens.iter().enumerate().skip(1) {
            jobs.push(dynamic::Job {
                profile: pi,
                network: 0,
                screen: si,
                label: format!("{} {}x{}", p.network[0].name(), s.width, s.height),
            });
        }
    }
    // The longest runs (simulated latency and stalls) start first.
    jobs.sort_by_key(|j| match profiles[j.profile].network[j.network] {
        profile::Network::Slow { .. } => 0,
        profile::Network::Flaky { .. } => 1,
        _ => 2,
    });
    let outcomes = run_jobs(jobs, shared, profiles_arc, opts.parallelism)?;

    let mut reports = Vec::new();
    for (pi, p) in profiles.iter().enumerate() {
        let mut problems = static_problems.clone();
        problems.extend(profile_static(p, &scan, &manifest, package_bytes));
        let mut runs = Vec::new();
        for o in outcomes.iter().filter(|o| o.job.profile == pi) {
            runs.push(o.summary.clone());
            problems.extend(o.problems.iter().cloned());
        }
        let problems = merge(problems, opts.max_problems);
        reports.push(ProfileReport {
            name: p.name.clone(),
            description: p.description.clone(),
            status: Status::of(&problems),
            host: format!(
                "{} {} (SDK {})",
                p.host.app, p.host.app_version, p.host.sdk_version
            ),
            os: format!("{} {}", p.os.platform(), p.os.version),
            runs,
            problems,
        });
    }
    let status = reports
        .iter()
        .map(|p| p.status)
        .max()
        .unwrap_or(Status::Pass);
    Ok(Report {
        schema: REPORT_SCHEMA.into(),
        generator: format!("mpkit {}", env!("CARGO_PKG_VERSION")),
        generated_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        app: AppInfo {
            app_id: manifest.app_id.to_string(),
            name: manifest.name.clone(),
            version: manifest.version.to_string(),
            min_host_version: manifest.min_host_version.to_string(),
            package_bytes,
            pages: page_titles(&tree, &manifest.pages),
        },
        status,
        js_files,
        visual: Visual {
            available: false,
            note: VISUAL_UNAVAILABLE.into(),
            shots: Vec::new(),
        },
        profiles: reports,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// Runs every job on up to `parallelism` threads with big stacks.
fn run_jobs(
    jobs: Vec<dynamic::Job>,
    shared: Arc<dynamic::Shared>,
    profiles: Arc<Vec<Profile>>,
    parallelism: usize,
) -> Result<Vec<dynamic::Outcome>, CompatError> {
    let n = jobs.len();
    let queue = Arc::new(Mutex::new(
        jobs.into_iter().collect::<std::collections::VecDeque<_>>(),
    ));
    let (tx, rx) = std::sync::mpsc::channel();
    let mut threads = Vec::new();
    for i in 0..parallelism.clamp(1, n.max(1)) {
        let (queue, shared, profiles, tx) =
            (queue.clone(), shared.clone(), profiles.clone(), tx.clone());
        let t = std::thread::Builder::new()
            .name(format!("mpkit-compat-{i}"))
            .stack_size(64 * 1024 * 1024)
            .spawn(move || loop {
                let job = match queue.lock() {
                    Ok(mut q) => q.pop_front(),
                    Err(_) => None,
                };
                let Some(job) = job else { break };
                let profile = &profiles[job.profile];
                let outcome = if shared.opts.logs {
                    dynamic::run(&shared, profile, job)
                } else {
                    let quiet = tracing::subscriber::NoSubscriber::default();
                    tracing::subscriber::with_default(quiet, || dynamic::run(&shared, profile, job))
                };
                let _ = tx.send(outcome);
            })
            .map_err(|e| io("starting a thread", e))?;
        threads.push(t);
    }
    drop(tx);
    let mut out: Vec<dynamic::Outcome> = rx.iter().collect();
    for t in threads {
        if t.join().is_err() {
            return Err(CompatError::Io("a compatibility run panicked".into()));
        }
    }
    out.sort_by_key(|o| (o.job.profile, o.job.screen, o.job.network));
    Ok(out)
}

/// Each page's title as the runtime shows it: its own `defaultTitle`, else the app's.
fn page_titles(tree: &Path, pages: &[String]) -> Vec<PageInfo> {
    let read = |p: PathBuf| -> Value {
        std::fs::read(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null)
    };
    let app = read(tree.join("app.json"));
    let app_title = app["window"]["defaultTitle"].as_str().unwrap_or_default();
    pages
        .iter()
        .map(|route| {
            let page = read(tree.join(format!("{route}.json")));
            PageInfo {
                route: route.clone(),
                title: page["defaultTitle"]
                    .as_str()
                    .unwrap_or(app_title)
                    .to_owned(),
            }
        })
        .collect()
}

/// The launch query of each page from mpkit.json's (or app.json's) `compat.queries` (pages
/// without one launch with none). For visual checks, which launch pages
/// themselves.
pub fn launch_queries(app_json: &Path, pages: &[String]) -> BTreeMap<String, Map<String, Value>> {
    compat_config(app_json, pages).0
}

/// The `compat` section of app.json: `{"queries": {"pages/x/x": {"k": "v"}}}`.
fn compat_config(
    app_json: &Path,
    pages: &[String],
) -> (BTreeMap<String, Map<String, Value>>, Vec<Problem>) {
    let mut queries = BTreeMap::new();
    let mut problems = Vec::new();
    let mut bad = |message: String| {
        let mut p = Problem::new("compat-config", Severity::Warn, message);
        p.file = Some("app.json".into());
        problems.push(p);
    };
    // mpkit's own settings live in mpkit.json beside app.json; the first
    // wave's programs kept them in app.json itself.
    let read = |p: &Path| -> Value {
        std::fs::read(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null)
    };
    let settings = read(&app_json.with_file_name(mpkit_bundle::project::SETTINGS_FILE));
    let v = if settings.get("compat").is_some() {
        settings
    } else {
        read(app_json)
    };
    let Some(section) = v.get("compat") else {
        return (queries, problems);
    };
    let Value::Object(section) = section else {
        bad("compat must be an object; it was ignored".into());
        return (queries, problems);
    };
    for (k, val) in section {
        if k != "queries" {
            bad(format!(
                "compat.{k} is not understood (only compat.queries); it was ignored"
            ));
            continue;
        }
        let Value::Object(per_page) = val else {
            bad("compat.queries must be an object of page → query; it was ignored".into());
            continue;
        };
        for (page, q) in per_page {
            let route = page.trim_start_matches('/');
            if !pages.iter().any(|p| p == route) {
                bad(format!(
                    "compat.queries names {route:?}, which is not a page of app.json"
                ));
                continue;
            }
            let Value::Object(q) = q else {
                bad(format!(
                    "compat.queries[{route:?}] must be an object of strings"
                ));
                continue;
            };
            let mut m = Map::new();
            for (qk, qv) in q {
                let s = match qv {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => {
                        bad(format!(
                            "compat.queries[{route:?}].{qk} must be a string; it was left out"
                        ));
                        continue;
                    }
                };
                m.insert(qk.clone(), Value::String(s));
            }
            queries.insert(route.to_owned(), m);
        }
    }
    (queries, problems)
}

/// Problems the scan found, the same for every profile.
fn scan_problems(scan: &scan::Scan) -> Vec<Problem> {
    let mut out = Vec::new();
    for (site, message) in &scan.parse_errors {
        let mut p = Problem::new(
            "parse-error",
            Severity::Error,
            format!("the script does not parse: {message}"),
        );
        p.file = Some(site.file.clone());
        p.line = Some(site.line);
        p.column = Some(site.column);
        out.push(p);
    }
    for site in &scan.dynamic {
        let mut p = Problem::new(
            "api-dynamic",
            Severity::Warn,
            "my[...] with a computed name: which API it calls is only known at run time, so \
             it cannot be checked against the profiles",
        );
        p.file = Some(site.file.clone());
        p.line = Some(site.line);
        p.column = Some(site.column);
        out.push(p);
    }
    for site in &scan.aliases {
        let mut p = Problem::new(
            "api-alias",
            Severity::Warn,
            "`my` is used as a value (passed, stored or destructured): calls through it \
             cannot be checked against the profiles",
        );
        p.file = Some(site.file.clone());
        p.line = Some(site.line);
        p.column = Some(site.column);
        out.push(p);
    }
    out
}

/// Static problems of one profile: APIs, minHostVersion, package size.
fn profile_static(
    p: &Profile,
    scan: &scan::Scan,
    manifest: &mpkit_bundle::Manifest,
    package_bytes: u64,
) -> Vec<Problem> {
    let mut out = Vec::new();
    for (api, sites) in &scan.uses {
        if p.apis.contains_key(api)
            || mpkit_host::ALWAYS_AVAILABLE.contains(&api.as_str())
            || scan.defined.contains(api)
        {
            continue;
        }
        let guarded = scan.guarded.contains(api);
        for site in sites {
            let (severity, message) = if guarded {
                (
                    Severity::Info,
                    format!(
                        "my.{api} is not available on {}; the app checks my.canIUse('{api}') \
                         first",
                        p.name
                    ),
                )
            } else {
                (
                    Severity::Error,
                    format!(
                        "my.{api} is not available on {} and the app never checks \
                         my.canIUse('{api}'): the call fails with error 1",
                        p.name
                    ),
                )
            };
            let mut x = Problem::new("api-missing", severity, message);
            x.file = Some(site.file.clone());
            x.line = Some(site.line);
            x.column = Some(site.column);
            out.push(x);
        }
    }
    if manifest.min_host_version > p.host.sdk_version {
        let mut x = Problem::new(
            "min-host-version",
            Severity::Error,
            format!(
                "the app needs host SDK {} or later (minHostVersion); {} has {}",
                manifest.min_host_version, p.name, p.host.sdk_version
            ),
        );
        x.file = Some("app.json".into());
        out.push(x);
    }
    if package_bytes > p.limits.package_bytes {
        out.push(Problem::new(
            "package-size",
            Severity::Error,
            format!(
                "the package is {package_bytes} bytes, over {}'s limit of {} bytes",
                p.name, p.limits.package_bytes
            ),
        ));
    }
    out
}

/// Merges problems that differ only in the conditions they happened under,
/// sorts them (errors first, then by page, file and line) and keeps `max`.
fn merge(problems: Vec<Problem>, max: usize) -> Vec<Problem> {
    type Key = (
        Severity,
        String,
        Option<String>,
        Option<String>,
        Option<u32>,
        Option<u32>,
        String,
        Option<String>,
    );
    let mut by: BTreeMap<Key, Problem> = BTreeMap::new();
    for p in problems {
        let key: Key = (
            p.severity,
            p.kind.clone(),
            p.page.clone(),
            p.file.clone(),
            p.line,
            p.column,
            p.message.clone(),
            p.context.clone(),
        );
        match by.get_mut(&key) {
            Some(seen) => {
                for c in p.conditions {
                    if !seen.conditions.contains(&c) {
                        seen.conditions.push(c);
                    }
                }
            }
            None => {
                by.insert(key, p);
            }
        }
    }
    let mut out: Vec<Problem> = by.into_values().collect();
    out.sort_by(|a, b| {
        (a.severity, &a.page, &a.file, a.line, &a.kind)
            .cmp(&(b.severity, &b.page, &b.file, b.line, &b.kind))
    });
    if out.len() > max {
        let dropped = out.len() - max;
        out.truncate(max);
        out.push(Problem::new(
            "truncated",
            Severity::Info,
            format!("{dropped} more problems were found and left out of this report"),
        ));
    }
    out
}
