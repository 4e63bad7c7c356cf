//! One running mini program, as the host drives it: its isolation unit
//! (logic and view, in a worker process or on this thread), its page stack,
//! its timers and its surface. This file is the message pump; the page stack
//! and navigation are in `pages.rs`, events in `events.rs`, and the
//! automation tests and tools use in `automation.rs`.
//!
//! The host never parses or evaluates what the mini program wrote: its
//! unit sends patch ops, which are checked against limits
//! ([`mpkit_render::mounted::Mounted`]) before any surface sees them.

mod automation;
pub(crate) mod config;
mod events;
pub(crate) mod files;
mod isolation;
mod pages;
mod view_calls;

pub(crate) use crate::logic::view::ViewConfig;
pub use crate::logic::view::{DEFAULT_RENDER_BUDGET, LARGE_SET_DATA_BYTES};
pub use automation::AutomationError;
pub use isolation::{Isolation, ThreadOptIn};
pub use pages::MAX_PAGES;

use crate::logic::engine::JsLimits;
use crate::logic::protocol::{FromLogic, PageId, ScriptError, ToLogic};
use crate::logic::unit::AppUnit;
use crate::logic::view::UnitFiles;
use crate::logic::worker::{LogicProcess, WorkerConfig};
use crate::logic::{Logic, Stopped};
use crate::surface::{ErrorView, Surface};
use config::AppConfig;
use files::AppFiles;
use mpkit_jsapi::{Nav, Outcome, Session};
use pages::PageState;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How a mini program is launched.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// The first page's route, default the first page of app.json.
    pub path: Option<String>,
    /// Its query.
    pub query: Map<String, Value>,
    /// Screen width in px (750rpx).
    pub screen_width: f64,
    /// How long one page's render may take before the app is stopped
    /// ([`Stopped::RenderBudget`]).
    pub render_budget: Duration,
    /// JS limits.
    pub limits: JsLimits,
    /// `my.*` names this host offers (for `my.canIUse`).
    pub apis: Vec<String>,
    /// Where the isolation unit (logic and view) runs.
    pub isolation: Isolation,
    /// This app's JSAPI session (the dispatcher, its identity and policy);
    /// without it the app gets [`Session::navigation_only`], and every API
    /// other than navigation is refused (error 1).
    pub session: Option<Session>,
    /// The mini program's appId, which tags its console output and errors in
    /// tracing (the `app` field). Defaults to the appId in `session`'s context.
    pub app_id: Option<String>,
}

/// An async call whose result arrives later (network).
struct PendingCall {
    id: u64,
    api: String,
    rx: std::sync::mpsc::Receiver<Result<Value, mpkit_jsapi::ApiError>>,
}

impl Default for LaunchOptions {
    fn default() -> LaunchOptions {
        LaunchOptions {
            path: None,
            query: Map::new(),
            screen_width: 375.0,
            render_budget: DEFAULT_RENDER_BUDGET,
            limits: JsLimits::default(),
            apis: Nav::ALL
                .iter()
                .map(|n| n.name())
                .chain(mpkit_jsapi::ViewApi::ALL.iter().map(|v| v.name()))
                .map(str::to_owned)
                .collect(),
            isolation: Isolation::Process(WorkerConfig::default()),
            session: None,
            app_id: None,
        }
    }
}

/// One large setData call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetDataRecord {
    /// The page's route.
    pub route: String,
    /// The payload's serialized size.
    pub bytes: usize,
}

/// A host call the mini program made, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRecord {
    /// The API.
    pub api: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// The error code when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<i64>,
}

/// Why a launch failed outright (a broken page is not this: it shows an error state).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// `app.json` is missing or malformed.
    #[error("{0}")]
    AppJson(String),
    /// The JS engine could not start.
    #[error("the logic layer could not start: {0}")]
    Engine(String),
}

struct Timer {
    due: Instant,
    every: Option<Duration>,
}

/// The bundle's files as the view reads them: text, under the bundle's path rules.
struct BundleText(Rc<dyn AppFiles>);

impl UnitFiles for BundleText {
    fn read(&self, path: &str) -> Result<String, String> {
        read_text(&*self.0, path)
    }
}

/// A file of the bundle as text, for the view.
fn read_text(files: &dyn AppFiles, path: &str) -> Result<String, String> {
    if mpkit_bundle::path::check(path).is_err() {
        return Err("no such file".into());
    }
    match files.read(path) {
        None => Err("no such file".into()),
        Some(bytes) => String::from_utf8(bytes).map_err(|_| "not UTF-8".into()),
    }
}

/// The most host call records one run keeps (a flood costs no more).
pub(crate) const MAX_CALL_RECORDS: usize = 10_000;

/// The most warnings one run keeps.
pub(crate) const MAX_WARNINGS: usize = 200;

/// A running mini program. `!Send`: in thread mode it owns a JS engine.
pub struct Runtime<S: Surface> {
    /// The appId for tracing, empty when unknown.
    app: String,
    files: Rc<dyn AppFiles>,
    config: AppConfig,
    logic: Box<dyn Logic>,
    stopped: Option<Stopped>,
    surface: S,
    stack: Vec<PageState>,
    next_page: PageId,
    timers: BTreeMap<u64, Timer>,
    /// Routes whose page script failed to load, with why.
    broken: std::collections::HashMap<String, ScriptError>,
    errors: Vec<ScriptError>,
    /// What was accepted with a warning ([`Runtime::warn`]).
    warnings: Vec<ScriptError>,
    calls: Vec<CallRecord>,
    large_set_data: Vec<SetDataRecord>,
    console: Vec<(String, String)>,
    /// Navigation calls that passed the gate: id, navigation, parameters,
    /// call site.
    nav: VecDeque<(u64, Nav, Map<String, Value>, String)>,
    session: Session,
    pending: Vec<PendingCall>,
    ready: VecDeque<(u64, String, Result<Value, mpkit_jsapi::ApiError>)>,
    /// setData callbacks whose changes the surface has.
    flushed: Vec<u64>,
    /// Errors outside JS (a template that does not render) whose `onError`
    /// has yet to run; run by [`Runtime::settle`], never from inside a message.
    failures: VecDeque<ErrorView>,
    started: Instant,
    render_budget: Duration,
    /// Screen width in px, for the viewport of a selector query.
    screen_width: f64,
}

impl<S: Surface> std::fmt::Debug for Runtime<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("stack", &self.routes())
            .finish_non_exhaustive()
    }
}

impl<S: Surface> Runtime<S> {
    /// Loads app.json and every script, runs `App.onLaunch`/`onShow`, and opens the first page.
    pub fn launch(
        files: Box<dyn AppFiles>,
        surface: S,
        opts: LaunchOptions,
    ) -> Result<Runtime<S>, LaunchError> {
        let files: Rc<dyn AppFiles> = Rc::from(files);
        let app_json = files
            .read("app.json")
            .ok_or_else(|| LaunchError::AppJson("app.json is missing".into()))?;
        let config = AppConfig::parse(&app_json).map_err(LaunchError::AppJson)?;
        let view = ViewConfig {
            screen_width: opts.screen_width,
            render_budget: opts.render_budget,
        };
        // `my` offers what the session's registry declares (what
        // `my.canIUse` answers for), besides what the caller names.
        let mut opts = opts;
        if let Some(session) = &opts.session {
            let mut known: std::collections::HashSet<String> = opts.apis.iter().cloned().collect();
            for name in session.dispatcher.can_i_use_table() {
                if known.insert(name.clone()) {
                    opts.apis.push(name);
                }
            }
        }
        let logic: Box<dyn Logic> = match &opts.isolation {
            Isolation::Thread(_) => Box::new(
                AppUnit::new(
                    opts.limits,
                    opts.apis.clone(),
                    view,
                    Box::new(BundleText(files.clone())),
                )
                .map_err(|e| LaunchError::Engine(e.message))?,
            ),
            Isolation::Process(cfg) => {
                let reader = files.clone();
                Box::new(
                    LogicProcess::spawn(
                        cfg,
                        opts.limits,
                        opts.apis.clone(),
                        view,
                        Box::new(move |path: &str| read_text(&*reader, path)),
                    )
                    .map_err(|e| LaunchError::Engine(e.to_string()))?,
                )
            }
        };
        let app = opts
            .app_id
            .clone()
            .or_else(|| opts.session.as_ref().map(|j| j.context.app_id.to_string()))
            .unwrap_or_default();
        let session = opts
            .session
            .clone()
            .unwrap_or_else(|| Session::navigation_only(&app));
        let mut rt = Runtime {
            app,
            files,
            config,
            logic,
            stopped: None,
            surface,
            stack: Vec::new(),
            next_page: 1,
            timers: BTreeMap::new(),
            broken: std::collections::HashMap::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            calls: Vec::new(),
            large_set_data: Vec::new(),
            console: Vec::new(),
            nav: VecDeque::new(),
            session,
            pending: Vec::new(),
            ready: VecDeque::new(),
            flushed: Vec::new(),
            failures: VecDeque::new(),
            started: Instant::now(),
            render_budget: opts.render_budget,
            screen_width: opts.screen_width,
        };
        let session = rt.session.clone();
        rt.logic
            .set_sync_handler(Box::new(move |name: &str, params: &Value| {
                session
                    .call(name, params, crate::util::now_secs())
                    .map_err(|e| e.to_js())
            }));
        rt.load_scripts();
        let first = opts
            .path
            .clone()
            .unwrap_or_else(|| rt.config.pages[0].clone());
        rt.send(ToLogic::AppLaunch {
            options: json!({"path": first, "query": opts.query}),
        });
        rt.open(&first, opts.query, None);
        Ok(rt)
    }

    fn load_scripts(&mut self) {
        let mut scripts = vec![("app.js".to_string(), None)];
        for p in self.config.pages.clone() {
            scripts.push((format!("{p}.js"), Some(p)));
        }
        for (file, route) in scripts {
            let Some(bytes) = self.files.read(&file) else {
                continue;
            };
            let source = String::from_utf8_lossy(&bytes).into_owned();
            let loaded = match self.logic.load_script(&file, &source, route.as_deref()) {
                Ok(r) => r,
                Err(stopped) => {
                    self.halt(stopped);
                    return;
                }
            };
            if let Err(e) = loaded {
                tracing::warn!(app = %self.app, file, error = %e.message, "script failed to load");
                self.errors.push(e.clone());
                if let Some(r) = route {
                    self.broken.insert(r, e);
                }
            }
        }
    }

    /// Sends one message to the unit and carries out everything it caused:
    /// patches applied, callbacks run, navigation done.
    fn send(&mut self, msg: ToLogic) {
        let out = self.call(&msg);
        self.absorb(out);
        self.settle();
    }

    fn settle(&mut self) {
        // Bounded: a page whose setData callbacks keep calling setData, or
        // whose onError keeps breaking its template, cannot spin forever here.
        for _ in 0..64 {
            if !self.flushed.is_empty() {
                let callbacks = std::mem::take(&mut self.flushed);
                let out = self.call(&ToLogic::Flushed { callbacks });
                self.absorb(out);
                continue;
            }
            if let Some(v) = self.failures.pop_front() {
                self.fail_outside_js("render", v);
                continue;
            }
            if let Some((id, nav, params, site)) = self.nav.pop_front() {
                self.navigate(id, nav, &params, &site);
                continue;
            }
            match self.ready.pop_front() {
                Some((id, api, r)) => self.reply(id, api, r),
                None => return,
            }
        }
        // Still busy after the bound: the rest runs on the next pump, so a
        // mini program awaiting in an endless loop cannot hold the host's thread.
    }

    /// Takes in what the unit said. A patch is applied to the page's tree
    /// first, under its limits; only ops the tree took reach the surface.
    fn absorb(&mut self, out: Vec<FromLogic>) {
        for m in out {
            if self.stopped.is_some() {
                return;
            }
            match m {
                FromLogic::Patch {
                    page,
                    ops,
                    first,
                    callbacks,
                } => {
                    self.flushed.extend(callbacks);
                    let Some(p) = self.stack.iter_mut().find(|p| p.id == page) else {
                        continue;
                    };
                    if let Err(e) = p.tree.apply(&ops.0) {
                        self.halt(Stopped::Crashed(format!(
                            "the mini program's view sent patch ops the host refused: {e}"
                        )));
                        return;
                    }
                    if !ops.0.is_empty() || first {
                        if let Err(e) = self.surface.apply(page, &ops.0) {
                            tracing::error!(app = %self.app, page, "surface refused patches: {e}");
                        }
                    }
                }
                FromLogic::RenderError {
                    page,
                    error,
                    callbacks,
                } => {
                    self.flushed.extend(callbacks);
                    let Some(p) = self.stack.iter_mut().find(|p| p.id == page) else {
                        continue;
                    };
                    let view = ErrorView {
                        file: error.file,
                        line: error.line,
                        column: error.column,
                        message: error.message,
                    };
                    self.surface.show_error(page, &view);
                    p.error = Some(view.clone());
                    self.failures.push_back(view);
                }
                FromLogic::RenderBudget { page, route, steps } => {
                    let route = self
                        .stack
                        .iter()
                        .find(|p| p.id == page)
                        .map_or(route, |p| p.route.clone());
                    tracing::error!(app = %self.app, route, steps, "a render ran past its budget");
                    self.halt(Stopped::RenderBudget {
                        route,
                        after: self.render_budget,
                    });
                    return;
                }
                FromLogic::LargeSetData { page, bytes } => self.note_size(page, bytes),
                FromLogic::Call {
                    name,
                    params,
                    id,
                    site,
                } => self.start_call(id, name, &params, site),
                FromLogic::CallSync { name, ok, error } => self.record_call(CallRecord {
                    api: name,
                    ok,
                    error,
                }),
                FromLogic::SetTimer {
                    id,
                    delay_ms,
                    repeat,
                } => {
                    let d = Duration::from_millis(delay_ms);
                    self.timers.insert(
                        id,
                        Timer {
                            due: Instant::now() + d,
                            every: repeat.then_some(d.max(Duration::from_millis(1))),
                        },
                    );
                }
                FromLogic::ClearTimer { id } => {
                    self.timers.remove(&id);
                }
                FromLogic::Console { level, text } => {
                    let app = &self.app;
                    match level.as_str() {
                        "error" => tracing::error!(target: "miniprogram", app = %app, "{text}"),
                        "warn" => tracing::warn!(target: "miniprogram", app = %app, "{text}"),
                        "debug" => tracing::debug!(target: "miniprogram", app = %app, "{text}"),
                        _ => tracing::info!(target: "miniprogram", app = %app, "{text}"),
                    }
                    if self.console.len() < 10_000 {
                        self.console.push((level, text));
                    }
                }
                FromLogic::Error { error } => self.record(error),
                FromLogic::Warning { warning } => self.warn(warning),
                // Answers to questions, taken where they are asked; what the
                // logic layer hands the view never crosses to the host.
                FromLogic::PageView { .. }
                | FromLogic::Resolved { .. }
                | FromLogic::PageData { .. }
                | FromLogic::InitialData { .. }
                | FromLogic::SetData { .. }
                | FromLogic::ComponentState { .. }
                | FromLogic::ComponentDef { .. }
                | FromLogic::SetDataJson { .. } => {}
            }
        }
    }

    /// Starts a `my.*` call through the session's gate, navigation included.
    /// Its answer is queued, not given here: answering re-enters JS, and a
    /// chain of awaits must not become a chain of Rust frames. A navigation
    /// that passed waits for the page stack ([`Runtime::settle`]).
    fn start_call(&mut self, id: u64, name: String, params: &Value, site: String) {
        match self.session.start(&name, params, crate::util::now_secs()) {
            Outcome::Ready(r) => self.ready.push_back((id, name, r)),
            Outcome::Pending(rx) => self.pending.push(PendingCall { id, api: name, rx }),
            Outcome::Navigate { nav, params } => self.nav.push_back((id, nav, params, site)),
            Outcome::View { api, params } => match self.view_call(api, &params) {
                Outcome::Pending(rx) => self.pending.push(PendingCall { id, api: name, rx }),
                Outcome::Ready(r) => self.ready.push_back((id, name, r)),
                // A view call answers; it never navigates or asks the view.
                _ => self.ready.push_back((
                    id,
                    name,
                    Err(mpkit_jsapi::ApiError::Internal(
                        "a view call gave no answer".into(),
                    )),
                )),
            },
        }
    }

    /// Asks the unit a question and takes its answer out of what it says;
    /// the rest is absorbed as usual.
    fn ask<T>(&mut self, msg: &ToLogic, pick: impl Fn(&FromLogic) -> Option<T>) -> Option<T> {
        let mut out = self.call(msg);
        let at = out.iter().position(|m| pick(m).is_some());
        let answer = at.and_then(|i| pick(&out.remove(i)));
        self.absorb(out);
        answer
    }

    /// Answers an async call and carries out what the callbacks did.
    fn reply(&mut self, id: u64, api: String, r: Result<Value, mpkit_jsapi::ApiError>) {
        let (ok, error, result) = match r {
            Ok(v) => (true, None, v),
            Err(e) => (false, Some(e.code()), e.to_js()),
        };
        self.record_call(CallRecord { api, ok, error });
        let out = self.call(&ToLogic::Reply { id, ok, result });
        self.absorb(out);
    }

    /// Delivers finished async calls. Returns how many are still in flight.
    fn poll_pending(&mut self) -> usize {
        let mut done = Vec::new();
        self.pending.retain(|p| match p.rx.try_recv() {
            Ok(r) => {
                done.push((p.id, p.api.clone(), r));
                false
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => true,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                done.push((
                    p.id,
                    p.api.clone(),
                    Err(mpkit_jsapi::ApiError::Internal("the call was lost".into())),
                ));
                false
            }
        });
        for (id, api, r) in done {
            self.reply(id, api, r);
            self.settle();
        }
        self.pending.len()
    }

    /// Async calls still in flight (network).
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// One-shot timers (`setTimeout`) due within `d`; intervals are not counted.
    pub fn timeouts_due_within(&self, d: Duration) -> usize {
        let by = Instant::now() + d;
        self.timers
            .values()
            .filter(|t| t.every.is_none() && t.due <= by)
            .count()
    }

    /// One message to the unit. If it is gone, nothing happens; if it dies
    /// now, the app is halted and the reason recorded.
    fn call(&mut self, msg: &ToLogic) -> Vec<FromLogic> {
        if self.stopped.is_some() {
            return Vec::new();
        }
        match self.logic.handle(msg) {
            Ok(out) => out,
            Err(stopped) => {
                self.halt(stopped);
                Vec::new()
            }
        }
    }

    fn halt(&mut self, why: Stopped) {
        tracing::error!(app = %self.app, "mini program stopped: {why}");
        let view = ErrorView {
            file: String::new(),
            line: 0,
            column: 0,
            message: why.to_string(),
        };
        for p in &mut self.stack {
            p.error = Some(view.clone());
            self.surface.show_error(p.id, &view);
        }
        self.errors.push(ScriptError {
            kind: "stopped".into(),
            message: why.to_string(),
            file: String::new(),
            line: 0,
            column: 0,
        });
        self.timers.clear();
        self.nav.clear();
        self.ready.clear();
        self.flushed.clear();
        self.failures.clear();
        self.stopped = Some(why);
    }

    /// Why the mini program was stopped, if it was. The host and other mini
    /// programs are unaffected.
    pub fn stopped(&self) -> Option<&Stopped> {
        self.stopped.as_ref()
    }

    /// Keeps a note of a large setData, for the compatibility report.
    fn note_size(&mut self, page: PageId, size: usize) {
        if size >= LARGE_SET_DATA_BYTES && self.large_set_data.len() < 1000 {
            let route = self
                .stack
                .iter()
                .find(|p| p.id == page)
                .map(|p| p.route.clone())
                .unwrap_or_default();
            self.large_set_data
                .push(SetDataRecord { route, bytes: size });
        }
    }

    fn record(&mut self, e: ScriptError) {
        // As in Alipay, an unhandled rejection is logged and handed to
        // `App.onUnhandledRejection`, never shown over the page: a warning.
        if e.kind == "rejection" {
            tracing::info!(app = %self.app, file = %e.file, "unhandled rejection: {}", e.message);
            self.warn(e);
            return;
        }
        tracing::warn!(app = %self.app, file = %e.file, line = e.line, column = e.column, "mini program error: {}", e.message);
        // An error in what the mini program ran or asked for is shown on the
        // page on top, over its content, which keeps working; the first one
        // stays, as what followed from it often names it less well. Errors
        // in a page's own files were shown on that page when it opened.
        if matches!(
            e.kind.as_str(),
            "uncaught" | "rejection" | "navigation" | "limit"
        ) {
            if let Some(p) = self.stack.last_mut().filter(|p| p.error.is_none()) {
                let view = ErrorView {
                    file: e.file.clone(),
                    line: e.line,
                    column: e.column,
                    message: e.message.clone(),
                };
                self.surface.show_error(p.id, &view);
                p.error = Some(view);
            }
        }
        self.errors.push(e);
    }

    /// Records a warning: accepted, worth saying, never an uncaught error.
    /// Held to [`MAX_WARNINGS`], repeats folded, so a loop cannot grow them.
    pub(crate) fn warn(&mut self, w: ScriptError) {
        if self.warnings.len() < MAX_WARNINGS && !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    /// Warnings so far (see [`Runtime::warn`]).
    pub fn warnings(&self) -> &[ScriptError] {
        &self.warnings
    }

    /// A template or file problem: recorded, and reported to the app's `onError`.
    fn fail_outside_js(&mut self, kind: &str, v: ErrorView) {
        let message = format!("{}:{}:{}: {}", v.file, v.line, v.column, v.message);
        self.record(ScriptError {
            kind: kind.into(),
            message: v.message.clone(),
            file: v.file,
            line: v.line,
            column: v.column,
        });
        let out = self.call(&ToLogic::AppError { message });
        self.absorb(out);
    }

    /// Fires every timer that is due; returns when the next one is due, if any.
    pub fn pump(&mut self) -> Option<Instant> {
        if !self.ready.is_empty() || !self.nav.is_empty() || !self.flushed.is_empty() {
            self.settle();
        }
        let in_flight = self.poll_pending() + self.ready.len() + self.nav.len();
        let now = Instant::now();
        let due: Vec<u64> = self
            .timers
            .iter()
            .filter(|(_, t)| t.due <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let repeat = match self.timers.get_mut(&id) {
                Some(t) => match t.every {
                    Some(every) => {
                        t.due = now + every;
                        true
                    }
                    None => false,
                },
                None => continue,
            };
            if !repeat {
                self.timers.remove(&id);
            }
            self.send(ToLogic::Timer { id, repeat });
        }
        let next = self.timers.values().map(|t| t.due).min();
        if in_flight > 0 {
            // Network results are polled; look again soon.
            let soon = Instant::now() + Duration::from_millis(2);
            return Some(next.map_or(soon, |n| n.min(soon)));
        }
        next
    }

    /// Pumps until no timer is due within `horizon` and no call is in flight,
    /// or `timeout` passes. Returns whether it went quiet.
    pub fn run_until_idle(&mut self, horizon: Duration, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let next = self.pump();
            let now = Instant::now();
            let quiet = self.pending.is_empty()
                && self.ready.is_empty()
                && next.is_none_or(|n| n > now + horizon);
            if quiet || self.stopped.is_some() {
                return true;
            }
            if now >= deadline {
                return false;
            }
            let wake = next
                .unwrap_or(deadline)
                .min(deadline)
                .min(now + Duration::from_millis(50));
            std::thread::sleep(wake.saturating_duration_since(now));
        }
    }

    /// The surface.
    pub fn surface(&self) -> &S {
        &self.surface
    }

    /// The top page's data as the view has it (asked of the unit; `None`
    /// with no page open or once the app was stopped).
    pub fn data(&mut self) -> Option<Value> {
        let page = self.stack.last()?.id;
        self.ask(&ToLogic::PageData { page }, |m| match m {
            FromLogic::PageData { page: p, data } if *p == page => Some(data.clone()),
            _ => None,
        })
    }

    /// Every uncaught error so far.
    pub fn errors(&self) -> &[ScriptError] {
        &self.errors
    }

    /// Console output so far, as (level, text); the first 10,000 lines.
    pub fn console(&self) -> &[(String, String)] {
        &self.console
    }

    /// The host calls so far: the first 10,000.
    pub fn calls(&self) -> &[CallRecord] {
        &self.calls
    }

    /// Keeps a host call's record while there is room for it.
    pub(crate) fn record_call(&mut self, r: CallRecord) {
        if self.calls.len() < MAX_CALL_RECORDS {
            self.calls.push(r);
        }
    }

    /// setData calls of at least [`LARGE_SET_DATA_BYTES`] so far (the first 1,000).
    pub fn large_set_data(&self) -> &[SetDataRecord] {
        &self.large_set_data
    }
}

#[cfg(test)]
pub(crate) mod tests;
