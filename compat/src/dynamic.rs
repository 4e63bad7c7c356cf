//! Dynamic checks: every page launched headless under a profile (its APIs,
//! system info, screen and a simulated network condition), run to `onReady`,
//! every element with a tap handler tapped once and navigated back from.

use crate::profile::{Profile, Screen};
use crate::report::{Problem, RunSummary, Severity};
use crate::Options;
use mpkit_bundle::{AppId, Expected, Trust};
use mpkit_host::EventKind;
use mpkit_host::HeadlessSurface;
use mpkit_host::NetConfig;
use mpkit_host::SystemInfo;
use mpkit_host::{Answers, RecordingDelegate};
use mpkit_host::{AppHandle, Host, LaunchSource};
use mpkit_host::{DomNode, NodeId};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The host user compatibility runs launch as.
const USER: &str = "compat-user";

const NETWORK_APIS: &[&str] = &["request", "httpRequest", "downloadFile", "uploadFile"];

/// What every run shares.
pub(crate) struct Shared {
    pub(crate) bundle: PathBuf,
    pub(crate) trust: Trust,
    pub(crate) pages: Vec<String>,
    pub(crate) queries: BTreeMap<String, Map<String, Value>>,
    pub(crate) opts: Options,
    /// Files whose parse error the static checks reported.
    pub(crate) broken: BTreeSet<String>,
    /// Built-in API names (profile names beyond these have no implementation here).
    pub(crate) builtin: BTreeSet<String>,
    pub(crate) work: PathBuf,
}

/// One run: a profile, a network condition, a screen.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) profile: usize,
    pub(crate) network: usize,
    pub(crate) screen: usize,
    pub(crate) label: String,
}

/// What one run found.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) job: Job,
    pub(crate) summary: RunSummary,
    pub(crate) problems: Vec<Problem>,
}

fn screen_text(s: &Screen) -> String {
    format!("{}x{}@{}", s.width, s.height, s.pixel_ratio)
}

/// Runs one job to the end. Never panics on the mini program's account: every
/// failure becomes a problem.
pub(crate) fn run(shared: &Shared, profile: &Profile, job: Job) -> Outcome {
    let started = Instant::now();
    let network = &profile.network[job.network];
    let screen = profile.screens[job.screen];
    let mut r = Runner {
        shared,
        profile,
        problems: Vec::new(),
        taps: 0,
        pages: 0,
    };
    let dir = shared.work.join(format!(
        "run-{}-{}-{}",
        job.profile, job.network, job.screen
    ));
    match r.host(&dir, network, &screen) {
        Ok((host, app)) => {
            for page in &shared.pages {
                r.page(&host, &app, page);
            }
        }
        Err(message) => r
            .problems
            .push(Problem::new("launch-failed", Severity::Error, message)),
    }
    let _ = std::fs::remove_dir_all(&dir);
    for p in &mut r.problems {
        p.conditions = vec![job.label.clone()];
    }
    Outcome {
        summary: RunSummary {
            name: job.label.clone(),
            screen: screen_text(&screen),
            pages: r.pages,
            taps: r.taps,
            elapsed_ms: started.elapsed().as_millis() as u64,
        },
        problems: r.problems,
        job,
    }
}

/// How many of each record a launch had when last looked at.
#[derive(Default)]
struct Seen {
    errors: usize,
    warnings: usize,
    calls: usize,
    set_data: usize,
}

struct Runner<'a> {
    shared: &'a Shared,
    profile: &'a Profile,
    problems: Vec<Problem>,
    taps: usize,
    pages: usize,
}

type Handle = AppHandle<HeadlessSurface>;

impl Runner<'_> {
    fn host(
        &self,
        dir: &std::path::Path,
        network: &crate::profile::Network,
        screen: &Screen,
    ) -> Result<(Host, AppId), String> {
        let p = self.profile;
        let o = &self.shared.opts;
        // Compatibility runs never leave the machine: no name resolves, so only
        // the dev origins (loopback IP literals) can be reached.
        let lookup: mpkit_host::Lookup = Arc::new(|name: &str| {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{name}: compatibility runs resolve no names; use a dev origin"),
            ))
        });
        let net = NetConfig {
            lookup: Some(lookup),
            ..NetConfig::default()
        };
        let system = SystemInfo {
            brand: p.device.brand.clone(),
            model: p.device.model.clone(),
            platform: p.os.platform(),
            system: p.os.version.clone(),
            app: p.host.app.clone(),
            version: p.host.app_version.clone(),
            language: "en-US".into(),
            pixel_ratio: screen.pixel_ratio,
            screen_width: screen.width,
            screen_height: screen.height,
            network_type: network.network_type().into(),
            ..SystemInfo::default()
        };
        let mut b = Host::builder()
            .trust(self.shared.trust.clone())
            .storage_dir(dir)
            .delegate(Rc::new(RecordingDelegate::new(Answers::default())))
            .isolation(o.isolation.clone())
            .screen_width(screen.width)
            .network(net)
            .net_shaper(Arc::new(network.condition()))
            .dev_origins(&o.dev_origins)
            .system_info(system)
            .available_apis(p.apis.keys().cloned());
        if let Some(setup) = &o.host_setup {
            b = setup(b);
        }
        let host = b
            .build()
            .map_err(|e| format!("the host could not start: {e}"))?;
        let installed = host
            .install(&self.shared.bundle, &Expected::any())
            .map_err(|e| format!("the bundle could not be installed: {e}"))?;
        Ok((host, installed.manifest.app_id))
    }

    fn launch(&mut self, host: &Host, app: &AppId, page: &str) -> Option<Handle> {
        let mut query = self.shared.queries.get(page).cloned().unwrap_or_default();
        for (k, v) in &self.shared.opts.query {
            query.insert(k.clone(), v.clone());
        }
        match host.launch_at(
            LaunchSource::Installed(app.clone()),
            USER,
            Some(page),
            query,
            HeadlessSurface::new(),
        ) {
            Ok(h) => Some(h),
            Err(e) => {
                let mut p = Problem::new(
                    "launch-failed",
                    Severity::Error,
                    format!("the mini program could not start: {e}"),
                );
                p.page = Some(page.to_owned());
                self.problems.push(p);
                None
            }
        }
    }

    /// Pumps until quiet; a page that stays busy is reported.
    fn settle(&mut self, h: &mut Handle, page: &str, context: &str) {
        let o = &self.shared.opts;
        if !settle(h, o) {
            let mut p = Problem::new(
                "timeout",
                Severity::Warn,
                format!(
                    "still busy after {} s: {} network calls in flight, {} timeouts due",
                    o.page_timeout.as_secs_f64(),
                    h.in_flight(),
                    h.timeouts_due_within(o.settle)
                ),
            );
            p.page = Some(page.to_owned());
            p.context = Some(context.to_owned());
            self.problems.push(p);
        }
    }

    fn page(&mut self, host: &Host, app: &AppId, page: &str) {
        let Some(mut h) = self.launch(host, app, page) else {
            return;
        };
        self.pages += 1;
        let mut seen = Seen::default();
        let opening = "opening the page (onLoad to onReady)";
        self.settle(&mut h, page, opening);
        self.collect(&h, &mut seen, page, opening);
        let base = h.routes();
        let total = tappables(&h).len();
        let max = self.shared.opts.max_taps_per_page;
        if total > max {
            let mut p = Problem::new(
                "taps-capped",
                Severity::Info,
                format!("{total} elements have tap handlers; the first {max} were tapped"),
            );
            p.page = Some(page.to_owned());
            self.problems.push(p);
        }
        for k in 0..total.min(max) {
            if h.stopped().is_some() {
                break;
            }
            if !restore(&mut h, &base, &self.shared.opts) {
                // The last tap left the page (redirect, relaunch, tab switch):
                // start it again for the next one.
                self.collect(&h, &mut seen, page, "navigating back");
                h.close();
                let Some(again) = self.launch(host, app, page) else {
                    return;
                };
                h = again;
                seen = Seen::default();
                self.settle(&mut h, page, "reopening the page");
                self.collect(&h, &mut seen, page, "reopening the page");
                if h.routes() != base {
                    break;
                }
            }
            let nodes = tappables(&h);
            let Some((id, desc)) = nodes.get(k).cloned() else {
                break;
            };
            let context = format!("tapping {desc}");
            let meter = Meter::start(&self.shared.opts.isolation);
            h.dispatch(id, EventKind::Tap, json!({}));
            let (took, what) = meter.stop();
            self.taps += 1;
            if took > Duration::from_millis(self.profile.limits.slow_handler_ms) {
                let mut p = Problem::new(
                    "slow-handler",
                    Severity::Warn,
                    format!(
                        "the tap's handlers and rendering took {} ms of {what}, over this \
                         profile's {} ms budget",
                        took.as_millis(),
                        self.profile.limits.slow_handler_ms
                    ),
                );
                p.page = Some(page.to_owned());
                p.context = Some(context.clone());
                self.problems.push(p);
            }
            self.settle(&mut h, page, &context);
            self.collect(&h, &mut seen, page, &context);
        }
        self.collect(&h, &mut seen, page, "navigating back");
        h.close();
    }

    /// Turns what the runtime recorded since `seen` into problems.
    fn collect(&mut self, h: &Handle, seen: &mut Seen, page: &str, context: &str) {
        let rt = h;
        let errors = rt.errors();
        for e in &errors[seen.errors.min(errors.len())..] {
            if e.kind == "syntax" && self.shared.broken.contains(&e.file) {
                continue; // reported by the static checks, with its position
            }
            let kind = match e.kind.as_str() {
                "render" | "page" => "render-error",
                "navigation" => "page-stack",
                "stopped" => "stopped",
                _ => "uncaught-error",
            };
            let mut p = Problem::new(kind, Severity::Error, truncate(&e.message, 1000));
            p.page = Some(page.to_owned());
            if !e.file.is_empty() {
                p.file = Some(e.file.clone());
                p.line = (e.line > 0).then_some(e.line);
                p.column = (e.column > 0).then_some(e.column);
            }
            p.context = Some(context.to_owned());
            self.problems.push(p);
        }
        seen.errors = errors.len();
        // What the runtime accepted with a warning (a lenient template, an
        // unhandled rejection, an unknown app.json field): reported, never failing.
        let warnings = rt.warnings();
        for w in &warnings[seen.warnings.min(warnings.len())..] {
            let kind = match w.kind.as_str() {
                "rejection" => "unhandled-rejection",
                "project" => "project",
                _ => "lenient",
            };
            let mut p = Problem::new(kind, Severity::Warn, truncate(&w.message, 1000));
            p.page = Some(page.to_owned());
            if !w.file.is_empty() {
                p.file = Some(w.file.clone());
                p.line = (w.line > 0).then_some(w.line);
                p.column = (w.column > 0).then_some(w.column);
            }
            p.context = Some(context.to_owned());
            self.problems.push(p);
        }
        seen.warnings = warnings.len();
        let calls = rt.calls();
        for c in &calls[seen.calls.min(calls.len())..] {
            let Some(code) = c.error.filter(|_| !c.ok) else {
                continue;
            };
            let api = c.api.as_str();
            let (kind, severity, message) = if mpkit_jsapi::Nav::from_name(api).is_some() {
                (
                    "page-stack",
                    Severity::Warn,
                    format!(
                        "my.{api} was refused by the page stack (error {code}): a full stack \
                         (10 pages), navigateTo a tab page, switchTab to a page that is not one, \
                         or a route not in app.json"
                    ),
                )
            } else if NETWORK_APIS.contains(&api) && matches!(code, 12..=14 | 19) {
                (
                    "jsapi-failed",
                    Severity::Info,
                    format!("my.{api} failed with error {code} ({})", meaning(code)),
                )
            } else if code == 11 {
                (
                    "jsapi-failed",
                    Severity::Info,
                    format!(
                        "my.{api} failed with error 11: the user declined (compatibility runs \
                         decline every consent prompt)"
                    ),
                )
            } else if code == 1
                && !self.shared.builtin.contains(api)
                && self.profile.apis.contains_key(api)
            {
                (
                    "jsapi-failed",
                    Severity::Info,
                    format!(
                        "my.{api} is in this profile but is the host's own API, which this run \
                         has no implementation of (register it through the checker's host setup)"
                    ),
                )
            } else {
                (
                    "jsapi-failed",
                    Severity::Warn,
                    format!("my.{api} failed with error {code} ({})", meaning(code)),
                )
            };
            let mut p = Problem::new(kind, severity, message);
            p.page = Some(page.to_owned());
            p.context = Some(context.to_owned());
            self.problems.push(p);
        }
        seen.calls = calls.len();
        let big = rt.large_set_data();
        for s in &big[seen.set_data.min(big.len())..] {
            if s.bytes < self.shared.opts.set_data_bytes {
                continue;
            }
            let mut p = Problem::new(
                "set-data-size",
                Severity::Warn,
                format!(
                    "one setData call sent {} KB (over {} KB): rendering and the bridge slow \
                     down; send only what changed, with path keys",
                    s.bytes.div_ceil(1024),
                    self.shared.opts.set_data_bytes / 1024
                ),
            );
            p.page = Some(if s.route.is_empty() {
                page.to_owned()
            } else {
                s.route.clone()
            });
            p.context = Some(context.to_owned());
            self.problems.push(p);
        }
        seen.set_data = big.len();
    }
}

/// Measures a handler. In thread isolation the JS runs on this thread, so its
/// CPU time is what the handler cost, whatever else shares the cores (other
/// runs) and however long the host's own I/O waited (storage is fsynced). In
/// process isolation, wall time.
struct Meter {
    wall: Instant,
    cpu: Option<Duration>,
}

impl Meter {
    fn start(isolation: &mpkit_host::Isolation) -> Meter {
        let cpu = match isolation {
            mpkit_host::Isolation::Thread(_) => thread_cpu(),
            _ => None,
        };
        Meter {
            wall: Instant::now(),
            cpu,
        }
    }

    fn stop(self) -> (Duration, &'static str) {
        match (self.cpu, thread_cpu()) {
            (Some(a), Some(b)) => (b.saturating_sub(a), "CPU time"),
            _ => (self.wall.elapsed(), "wall time"),
        }
    }
}

#[cfg(unix)]
fn thread_cpu() -> Option<Duration> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Some(Duration::new(
        u64::try_from(t.tv_sec).ok()?,
        u32::try_from(t.tv_nsec).ok()?,
    ))
}

#[cfg(not(unix))]
fn thread_cpu() -> Option<Duration> {
    None
}

fn meaning(code: i64) -> &'static str {
    match code {
        1 => "not available in this host",
        2 => "invalid parameter",
        3 => "internal error",
        4 => "no permission",
        11 => "the user declined",
        12 => "network error",
        13 => "timeout",
        14 => "the response could not be decoded",
        19 => "HTTP error",
        20 => "too many concurrent calls",
        1001 => "storage full",
        _ => "error",
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

/// Pumps timers and network results until no call is in flight and no
/// `setTimeout` is due within `settle`, or `page_timeout` passes (false).
/// Intervals do not keep a page busy: a clock ticks for as long as it likes.
fn settle(h: &mut Handle, o: &Options) -> bool {
    let deadline = Instant::now() + o.page_timeout;
    loop {
        h.pump();
        let rt = &*h;
        if h.stopped().is_some() || (rt.in_flight() == 0 && rt.timeouts_due_within(o.settle) == 0) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Back to `base` after a tap: pops what the tap pushed. False when the
/// stack under it changed (a redirect, a relaunch, a tab switch).
fn restore(h: &mut Handle, base: &[String], o: &Options) -> bool {
    let now = h.routes();
    if now == base {
        return true;
    }
    if now.len() > base.len() && now[..base.len()] == *base {
        h.back(now.len() - base.len());
        settle(h, o);
        return h.routes() == base;
    }
    false
}

/// Elements of the top page with a tap handler, in document order, each with
/// a description for the report (bundle-controlled text: escaped on output).
fn tappables(h: &Handle) -> Vec<(NodeId, String)> {
    fn walk(n: &DomNode, out: &mut Vec<(NodeId, String)>) {
        for attr in ["onTap", "catchTap"] {
            if let Some(handler) = n.attrs.get(attr).filter(|v| !v.is_empty()) {
                let text = truncate(n.text_content().trim(), 40);
                let mut d = format!("<{} {attr}=\"{}\">", n.tag, truncate(handler, 60));
                if !text.is_empty() {
                    d.push_str(&format!(" \"{text}\""));
                }
                out.push((n.id, d));
                break;
            }
        }
        for c in &n.children {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    if let Some(root) = h.surface().dom() {
        walk(root, &mut out);
    }
    out
}
