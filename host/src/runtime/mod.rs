//! One running mini program: its logic layer, its page stack, the render core
//! and a surface, driven on the caller's thread.

pub mod config;
pub mod files;

use crate::logic::engine::{JsLimits, LogicLayer};
use crate::logic::protocol::{FromLogic, PageId, ScriptError, ToLogic};
use crate::logic::worker::{LogicProcess, WorkerConfig};
use crate::logic::{Logic, Stopped};
use crate::render::acss;
use crate::render::axml::{self, Document};
use crate::render::data;
use crate::render::diff::{diff_root, Ids, PatchOp};
use crate::render::events::{self, EventKind};
use crate::render::template::{Changes, Loader, RenderCache, Renderer};
use crate::render::vdom::{DomNode, NodeId};
use crate::surface::selector::Selector;
use crate::surface::{ErrorView, PageChrome, Surface};
use config::{parse_url, AppConfig};
use files::AppFiles;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The page stack limit (WeChat's and Alipay's).
pub const MAX_PAGES: usize = 10;

/// How a mini program is launched.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// The first page's route, default the first page of app.json.
    pub path: Option<String>,
    /// Its query.
    pub query: Map<String, Value>,
    /// Screen width in px (750rpx).
    pub screen_width: f64,
    /// JS limits.
    pub limits: JsLimits,
    /// `my.*` names this host offers (for `my.canIUse`).
    pub apis: Vec<String>,
    /// Where the logic layer runs.
    pub isolation: Isolation,
    /// The JSAPI dispatcher and this app's context; without it every API other
    /// than navigation is refused (error 1).
    pub jsapi: Option<JsapiSetup>,
    /// The mini program's appId, which tags its console output and errors in
    /// tracing (the `app` field). Defaults to the appId in `jsapi`'s context.
    pub app_id: Option<String>,
}

/// What the runtime needs to dispatch `my.*` calls.
#[derive(Clone)]
pub struct JsapiSetup {
    /// The registry with its handlers.
    pub dispatcher: std::rc::Rc<mpkit_jsapi::Dispatcher>,
    /// Identity and resolved policy, from the host.
    pub context: mpkit_jsapi::AppContext,
    /// Where consent decisions live.
    pub consents: std::rc::Rc<dyn mpkit_jsapi::ConsentStore>,
    /// Who asks the user.
    pub prompter: std::rc::Rc<dyn mpkit_jsapi::Prompter>,
}

impl std::fmt::Debug for JsapiSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsapiSetup")
            .field("app", &self.context.app_id)
            .field("user", &self.context.user)
            .finish_non_exhaustive()
    }
}

impl JsapiSetup {
    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    /// A Sync call: gated, run to the end, errors as JS sees them.
    fn dispatch(&self, api: &str, params: &Value) -> Result<Value, Value> {
        self.dispatcher
            .dispatch(
                &self.context,
                api,
                params,
                &*self.consents,
                &*self.prompter,
                Self::now(),
            )
            .map_err(|e| e.to_js())
    }

    /// An async call: gated and started; network calls finish later.
    fn start(&self, api: &str, params: &Value) -> mpkit_jsapi::Outcome {
        self.dispatcher.start(
            &self.context,
            api,
            params,
            &*self.consents,
            &*self.prompter,
            Self::now(),
        )
    }
}

/// An async call whose result arrives later (network).
struct PendingCall {
    id: u64,
    api: String,
    rx: std::sync::mpsc::Receiver<Result<Value, mpkit_jsapi::ApiError>>,
}

/// Where a mini program's JS runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Isolation {
    /// In a worker process with a memory cap and a watchdog (desktop default). The
    /// executable must call `mpkit_host::logic::worker::enter_if_worker()` first in `main`.
    Process(WorkerConfig),
    /// On the caller's thread, stopped by boa's loop and recursion limits, for
    /// targets that cannot spawn processes. Unbounded allocation is not contained.
    Thread,
}

impl Default for LaunchOptions {
    fn default() -> LaunchOptions {
        LaunchOptions {
            path: None,
            query: Map::new(),
            screen_width: 375.0,
            limits: JsLimits::default(),
            apis: vec![
                "navigateTo".into(),
                "redirectTo".into(),
                "navigateBack".into(),
                "reLaunch".into(),
                "switchTab".into(),
            ],
            isolation: Isolation::Process(WorkerConfig::default()),
            jsapi: None,
            app_id: None,
        }
    }
}

/// setData payloads of at least this many bytes (serialized) are logged in
/// [`Runtime::large_set_data`], for tools such as compatibility checks.
pub const LARGE_SET_DATA_BYTES: usize = 64 * 1024;

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

struct PageState {
    id: PageId,
    route: String,
    /// The query it was opened with (`this.options`).
    query: Map<String, Value>,
    doc: Option<Arc<Document>>,
    data: Value,
    dom: DomNode,
    ids: Ids,
    cache: RenderCache,
    changes: Changes,
    dirty: bool,
    /// Whether the surface has had this page's first render (even an empty one).
    rendered: bool,
    callbacks: Vec<u64>,
    error: Option<ErrorView>,
}

struct Timer {
    due: Instant,
    every: Option<Duration>,
}

struct FileLoader<'a> {
    files: &'a dyn AppFiles,
    cache: &'a RefCell<HashMap<String, Result<Arc<Document>, String>>>,
}

impl Loader for FileLoader<'_> {
    fn load(&self, path: &str) -> Result<Arc<Document>, String> {
        if let Some(r) = self.cache.borrow().get(path) {
            return r.clone();
        }
        let r = match self.files.read(path) {
            None => Err("no such file".to_string()),
            Some(bytes) => match String::from_utf8(bytes) {
                Err(_) => Err("not UTF-8".to_string()),
                Ok(text) => axml::parse(&text)
                    .map(Arc::new)
                    .map_err(|e| format!("{path}:{e}")),
            },
        };
        self.cache.borrow_mut().insert(path.to_owned(), r.clone());
        r
    }
}

/// A running mini program. `!Send`: it owns a JS engine.
pub struct Runtime<S: Surface> {
    /// The appId for tracing, empty when unknown.
    app: String,
    files: Box<dyn AppFiles>,
    config: AppConfig,
    logic: Box<dyn Logic>,
    stopped: Option<Stopped>,
    surface: S,
    stack: Vec<PageState>,
    next_page: PageId,
    timers: BTreeMap<u64, Timer>,
    docs: RefCell<HashMap<String, Result<Arc<Document>, String>>>,
    broken: HashMap<String, ScriptError>,
    errors: Vec<ScriptError>,
    calls: Vec<CallRecord>,
    large_set_data: Vec<SetDataRecord>,
    console: Vec<(String, String)>,
    /// Navigation calls: id, API name, parameters, call site.
    nav: VecDeque<(u64, String, Value, String)>,
    jsapi: Option<JsapiSetup>,
    pending: Vec<PendingCall>,
    ready: VecDeque<(u64, String, Result<Value, mpkit_jsapi::ApiError>)>,
    started: Instant,
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
        let app_json = files
            .read("app.json")
            .ok_or_else(|| LaunchError::AppJson("app.json is missing".into()))?;
        let config = AppConfig::parse(&app_json).map_err(LaunchError::AppJson)?;
        let logic: Box<dyn Logic> = match &opts.isolation {
            Isolation::Thread => Box::new(
                LogicLayer::new(opts.limits, opts.apis.clone())
                    .map_err(|e| LaunchError::Engine(e.message))?,
            ),
            Isolation::Process(cfg) => Box::new(
                LogicProcess::spawn(cfg, opts.limits, opts.apis.clone())
                    .map_err(|e| LaunchError::Engine(e.to_string()))?,
            ),
        };
        let app = opts
            .app_id
            .clone()
            .or_else(|| opts.jsapi.as_ref().map(|j| j.context.app_id.to_string()))
            .unwrap_or_default();
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
            docs: RefCell::new(HashMap::new()),
            broken: HashMap::new(),
            errors: Vec::new(),
            calls: Vec::new(),
            large_set_data: Vec::new(),
            console: Vec::new(),
            nav: VecDeque::new(),
            jsapi: opts.jsapi.clone(),
            pending: Vec::new(),
            ready: VecDeque::new(),
            started: Instant::now(),
            screen_width: opts.screen_width,
        };
        if let Some(setup) = opts.jsapi.clone() {
            rt.logic
                .set_sync_handler(Box::new(move |name: &str, params: &Value| {
                    setup.dispatch(name, params)
                }));
        }
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

    /// Sends one message to the logic layer and carries out everything it caused:
    /// data changes rendered, callbacks run, navigation done.
    fn send(&mut self, msg: ToLogic) {
        let out = self.call(&msg);
        self.absorb(out);
        self.settle();
    }

    fn settle(&mut self) {
        // Bounded: a page whose setData callbacks keep calling setData cannot spin forever here.
        for _ in 0..64 {
            let callbacks = self.flush();
            if !callbacks.is_empty() {
                let out = self.call(&ToLogic::Flushed { callbacks });
                self.absorb(out);
                continue;
            }
            if let Some((id, name, params, site)) = self.nav.pop_front() {
                self.navigate(id, &name, &params, &site);
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

    fn absorb(&mut self, out: Vec<FromLogic>) {
        for m in out {
            match m {
                FromLogic::InitialData { page, data } => {
                    if let Some(p) = self.page_mut(page) {
                        p.data = data;
                        p.changes = Changes::everything();
                        p.dirty = true;
                    }
                }
                FromLogic::SetDataJson {
                    page,
                    patch,
                    callback,
                    size,
                } => {
                    self.note_size(page, size);
                    let Some(p) = self.page_mut(page) else {
                        continue;
                    };
                    let changes = &mut p.changes;
                    match data::merge_patch(&mut p.data, patch.text(), &mut |k| changes.record(k)) {
                        Ok(errors) => {
                            p.dirty = true;
                            if callback > 0 {
                                p.callbacks.push(callback);
                            }
                            for message in errors {
                                self.record(ScriptError::host(message));
                            }
                        }
                        // Not one object of at most 128 levels, found part
                        // of the way through: our own layer never writes
                        // that, so this is a worker that lies, and the page's
                        // data may be half-changed.
                        Err(e) => {
                            p.dirty = true;
                            self.halt(Stopped::Crashed(e.to_string()));
                            return;
                        }
                    }
                }
                FromLogic::SetData {
                    page,
                    patch,
                    callback,
                    size,
                } => {
                    let mut failed = None;
                    self.note_size(page, size);
                    if let Some(p) = self.page_mut(page) {
                        for (k, v) in patch {
                            p.changes.record(&k);
                            if let Err(e) = data::set_path(&mut p.data, &k, v) {
                                failed = Some(e);
                            }
                        }
                        p.dirty = true;
                        if callback > 0 {
                            p.callbacks.push(callback);
                        }
                    }
                    if let Some(e) = failed {
                        self.record(ScriptError::host(e));
                    }
                }
                FromLogic::Call {
                    kind,
                    name,
                    params,
                    id,
                    site,
                } => {
                    if kind == "navigate" {
                        self.nav.push_back((id, name, params, site));
                    } else {
                        // Every other API goes through the one dispatcher; with none
                        // configured, it is refused, never silently allowed.
                        let outcome = match &self.jsapi {
                            Some(setup) => setup.start(&name, &params),
                            None => mpkit_jsapi::Outcome::Ready(Err(
                                mpkit_jsapi::ApiError::NotAvailable(name.clone()),
                            )),
                        };
                        match outcome {
                            // Queued, not answered here: answering re-enters JS, and a
                            // chain of awaits must not become a chain of Rust frames.
                            mpkit_jsapi::Outcome::Ready(r) => self.ready.push_back((id, name, r)),
                            mpkit_jsapi::Outcome::Pending(rx) => {
                                self.pending.push(PendingCall { id, api: name, rx })
                            }
                        }
                    }
                }
                FromLogic::CallSync { name, ok, error } => self.calls.push(CallRecord {
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
            }
        }
    }

    /// Answers an async call and carries out what the callbacks did.
    fn reply(&mut self, id: u64, api: String, r: Result<Value, mpkit_jsapi::ApiError>) {
        let (ok, result) = match r {
            Ok(v) => (true, v),
            Err(e) => (false, e.to_js()),
        };
        self.calls.push(CallRecord {
            api,
            ok,
            error: if ok { None } else { result["error"].as_i64() },
        });
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

    /// One message to the logic layer. If the layer is gone, nothing happens;
    /// if it dies now, the app is halted and the reason recorded.
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

    /// Renders dirty pages and applies the patches to the surface; returns the
    /// setData callbacks that may now run.
    fn flush(&mut self) -> Vec<u64> {
        let mut callbacks = Vec::new();
        let files = &*self.files;
        let loader = FileLoader {
            files,
            cache: &self.docs,
        };
        let mut renderer = Renderer::new(&loader, self.screen_width);
        let mut failures = Vec::new();
        for p in self.stack.iter_mut().filter(|p| p.dirty) {
            p.dirty = false;
            callbacks.append(&mut p.callbacks);
            let Some(doc) = p.doc.clone() else { continue };
            let file = format!("{}.axml", p.route);
            let changes = std::mem::take(&mut p.changes);
            match renderer.render_cached(&doc, &file, &p.data, &mut p.cache, &changes) {
                Ok(nodes) => {
                    let ops = diff_root(&mut p.dom, nodes, &mut p.ids);
                    // A page's first render reaches the surface even when it
                    // is empty: that is when the page is on screen.
                    if !ops.is_empty() || !p.rendered {
                        p.rendered = true;
                        if let Err(e) = self.surface.apply(p.id, &ops) {
                            tracing::error!(page = p.id, "surface refused patches: {e}");
                        }
                    }
                }
                Err(e) => {
                    let view = ErrorView {
                        file: e.file.clone(),
                        line: e.pos.line,
                        column: e.pos.col,
                        message: e.message.clone(),
                    };
                    self.surface.show_error(p.id, &view);
                    p.error = Some(view.clone());
                    failures.push(view);
                }
            }
        }
        for v in failures {
            self.fail_outside_js("render", v);
        }
        callbacks
    }

    /// A template or file problem: recorded, shown, and reported to the app's `onError`.
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

    fn page_mut(&mut self, id: PageId) -> Option<&mut PageState> {
        self.stack.iter_mut().find(|p| p.id == id)
    }

    fn chrome(&self, route: &str, depth: usize) -> PageChrome {
        let page_json: Value = self
            .files
            .read(&format!("{route}.json"))
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        // A page's `.json` overrides the app's window settings.
        let window = |key: &str, app: &Option<String>| {
            page_json[key]
                .as_str()
                .map(str::to_owned)
                .or_else(|| app.clone())
        };
        let w = &self.config.window;
        let title = window("defaultTitle", &w.default_title).unwrap_or_default();
        let tabs = match &self.config.tab_bar {
            Some(bar) if self.config.is_tab(route) => bar
                .items
                .iter()
                .map(|t| crate::surface::TabChrome {
                    page_path: t.page_path.clone(),
                    name: t.name.clone(),
                    selected: t.page_path == route,
                })
                .collect(),
            _ => Vec::new(),
        };
        let tab_colors = self
            .config
            .tab_bar
            .as_ref()
            .map(|b| crate::surface::TabColors {
                text: b.text_color.clone(),
                selected: b.selected_color.clone(),
                background: b.background_color.clone(),
            })
            .unwrap_or_default();
        PageChrome {
            route: route.to_owned(),
            title,
            title_bar_color: window("titleBarColor", &w.title_bar_color),
            background_color: window("backgroundColor", &w.background_color),
            can_go_back: depth > 0,
            tabs,
            tab_colors,
        }
    }

    fn css(&self, route: &str) -> String {
        let ratio = self.screen_width / 750.0;
        let files = &*self.files;
        let load = |p: &str| {
            files
                .read(p)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        let mut out = String::new();
        for file in ["app.acss".to_string(), format!("{route}.acss")] {
            if let Some(text) = load(&file) {
                match acss::expand(&file, &text, ratio, &load) {
                    Ok(css) => out.push_str(&css),
                    Err(e) => tracing::warn!("{e}"),
                }
            }
        }
        out
    }

    /// Opens `route` on top of the stack (the caller has made room).
    fn open(&mut self, route: &str, query: Map<String, Value>, reply: Option<u64>) {
        let query_kept = query.clone();
        let id = self.next_page;
        self.next_page += 1;
        let chrome = self.chrome(route, self.stack.len());
        let css = self.css(route);
        self.surface.page_shown(id, &chrome, &css);
        let file = format!("{route}.axml");
        let loader = FileLoader {
            files: &*self.files,
            cache: &self.docs,
        };
        let (doc, problem) = if !self.config.pages.iter().any(|p| p == route) {
            (
                None,
                Some((
                    format!("page {route:?} is not in app.json"),
                    0,
                    0,
                    file.clone(),
                )),
            )
        } else if let Some(e) = self.broken.get(route) {
            (
                None,
                Some((e.message.clone(), e.line, e.column, e.file.clone())),
            )
        } else {
            match loader.load(&file) {
                Ok(d) => (Some(d), None),
                Err(m) if m == "no such file" => (
                    None,
                    Some((format!("{file} is missing"), 0, 0, file.clone())),
                ),
                Err(m) => {
                    // `path:line:col: message` from the parser.
                    let (line, column) = parse_pos(&m);
                    let message = m
                        .splitn(4, ':')
                        .nth(3)
                        .map_or(m.clone(), |s| s.trim().to_owned());
                    (None, Some((message, line, column, file.clone())))
                }
            }
        };
        self.stack.push(PageState {
            id,
            route: route.to_owned(),
            query: query_kept,
            doc,
            data: Value::Object(Map::new()),
            dom: DomNode::root(),
            ids: Ids::default(),
            cache: RenderCache::default(),
            changes: Changes::everything(),
            dirty: false,
            rendered: false,
            callbacks: Vec::new(),
            error: None,
        });
        self.sync_stack();
        if let Some((message, line, column, file)) = problem {
            let view = ErrorView {
                file,
                line,
                column,
                message,
            };
            self.surface.show_error(id, &view);
            if let Some(p) = self.page_mut(id) {
                p.error = Some(view.clone());
            }
            // The page script's own syntax error was recorded at load; report the rest.
            if !self.broken.contains_key(route) {
                self.fail_outside_js("page", view);
            } else {
                let out = self.call(&ToLogic::AppError {
                    message: view.message,
                });
                self.absorb(out);
            }
        }
        if let Some(r) = reply {
            let out = self.call(&ToLogic::Reply {
                id: r,
                ok: true,
                result: json!({}),
            });
            self.absorb(out);
        }
        self.send(ToLogic::PageCreate {
            page: id,
            route: route.to_owned(),
            query: query.clone(),
        });
        self.send(ToLogic::PageHook {
            page: id,
            hook: "onLoad".into(),
            args: vec![Value::Object(query)],
        });
        self.send(ToLogic::PageHook {
            page: id,
            hook: "onShow".into(),
            args: vec![],
        });
        self.send(ToLogic::PageHook {
            page: id,
            hook: "onReady".into(),
            args: vec![],
        });
    }

    fn sync_stack(&mut self) {
        let pages = self.stack.iter().map(|p| p.id).collect();
        let out = self.call(&ToLogic::Stack { pages });
        self.absorb(out);
    }

    fn close_top(&mut self) {
        if let Some(p) = self.stack.pop() {
            let out = self.call(&ToLogic::PageHook {
                page: p.id,
                hook: "onUnload".into(),
                args: vec![],
            });
            self.absorb(out);
            self.surface.page_closed(p.id);
        }
    }

    fn hook_top(&mut self, hook: &str) {
        if let Some(id) = self.stack.last().map(|p| p.id) {
            let out = self.call(&ToLogic::PageHook {
                page: id,
                hook: hook.into(),
                args: vec![],
            });
            self.absorb(out);
        }
    }

    fn reply_err(&mut self, id: u64, api: &str, code: i64, message: String) {
        self.calls.push(CallRecord {
            api: api.into(),
            ok: false,
            error: Some(code),
        });
        let out = self.call(&ToLogic::Reply {
            id,
            ok: false,
            result: json!({"error": code, "errorMessage": message}),
        });
        self.absorb(out);
    }

    fn navigate(&mut self, id: u64, name: &str, params: &Value, site: &str) {
        let url = params["url"].as_str().unwrap_or_default();
        let (route, query) = parse_url(url);
        let known = self.config.pages.contains(&route);
        let needs_route = name != "navigateBack";
        if needs_route && !known {
            let message = format!("{name}: page {route:?} is not in app.json");
            // Where the mini program called from; else its page script.
            let (file, line, column) = crate::logic::engine::locate(site)
                .filter(|(f, _, _)| !f.is_empty())
                .unwrap_or_else(|| {
                    let file = self
                        .stack
                        .last()
                        .map(|p| format!("{}.js", p.route))
                        .unwrap_or_default();
                    (file, 0, 0)
                });
            let view = ErrorView {
                file,
                line,
                column,
                message,
            };
            // Shown and reported before the reply runs the mini program's
            // `fail`, which may navigate elsewhere.
            self.fail_outside_js("navigation", view.clone());
            self.reply_err(id, name, 4, view.message);
            return;
        }
        match name {
            "navigateTo" => {
                if self.config.is_tab(&route) {
                    return self.reply_err(
                        id,
                        name,
                        4,
                        format!("{route} is a tab page; use switchTab"),
                    );
                }
                if self.stack.len() >= MAX_PAGES {
                    return self.reply_err(
                        id,
                        name,
                        4,
                        format!("the page stack is full ({MAX_PAGES} pages)"),
                    );
                }
                self.hook_top("onHide");
                self.ok_call(name);
                self.open(&route, query, Some(id));
            }
            "redirectTo" => {
                self.close_top();
                self.ok_call(name);
                self.open(&route, query, Some(id));
            }
            "reLaunch" => {
                while !self.stack.is_empty() {
                    self.close_top();
                }
                self.ok_call(name);
                self.open(&route, query, Some(id));
            }
            "switchTab" => {
                if !self.config.is_tab(&route) {
                    return self.reply_err(id, name, 4, format!("{route} is not a tab page"));
                }
                while !self.stack.is_empty() {
                    self.close_top();
                }
                self.ok_call(name);
                self.open(&route, Map::new(), Some(id));
            }
            "navigateBack" => {
                let delta = params["delta"].as_u64().unwrap_or(1).max(1) as usize;
                self.back(delta);
                self.ok_call(name);
                let out = self.call(&ToLogic::Reply {
                    id,
                    ok: true,
                    result: json!({}),
                });
                self.absorb(out);
            }
            _ => self.reply_err(id, name, 1, format!("unknown navigation {name}")),
        }
    }

    fn ok_call(&mut self, api: &str) {
        self.calls.push(CallRecord {
            api: api.into(),
            ok: true,
            error: None,
        });
    }

    /// Pops `delta` pages (never the last one) and shows the new top.
    pub fn back(&mut self, delta: usize) {
        let n = delta.min(self.stack.len().saturating_sub(1));
        if n == 0 {
            return;
        }
        for _ in 0..n {
            self.close_top();
        }
        self.sync_stack();
        self.hook_top("onShow");
        self.settle();
    }

    /// The user chose a tab of the tabBar (a surface's own tabBar, not JS):
    /// every page is unloaded and the tab's page opens, as `my.switchTab` does.
    pub fn switch_tab(&mut self, route: &str) -> Result<(), String> {
        if !self.config.is_tab(route) {
            return Err(format!("{route} is not a tab page"));
        }
        if self.stopped.is_some() {
            return Err("the mini program was stopped".into());
        }
        if self.stack.len() == 1 && self.route() == Some(route) {
            return Ok(());
        }
        while !self.stack.is_empty() {
            self.close_top();
        }
        self.open(route, Map::new(), None);
        self.settle();
        Ok(())
    }

    /// Dispatches an event a surface reported at a node of the top page.
    /// What the user did to the element (typed, switched) is kept in the
    /// page's mirror first, so a form submits what is on screen; a tap on a
    /// submit button also submits its form, and a tap in a `<navigator>`
    /// navigates after the handlers ran.
    pub fn dispatch(&mut self, target: NodeId, kind: EventKind, detail: Value) {
        if let Some(top) = self.stack.last_mut() {
            if let Some(op) = value_op(&top.dom, target, kind, &detail) {
                let _ = crate::render::diff::apply(&mut top.dom, std::slice::from_ref(&op));
            }
        }
        let detail = match kind {
            // A surface that cannot read its form's fields sends none; the
            // mirror has them.
            EventKind::Submit if detail["value"].as_object().is_none_or(|m| m.is_empty()) => self
                .stack
                .last()
                .and_then(|p| p.dom.find(target))
                .map(events::form_values)
                .unwrap_or(detail),
            _ => detail,
        };
        // What a tap asks for besides its handlers, from one walk to the
        // target: a form to submit, a navigator to follow.
        let (navigator, submit) = match (kind, self.stack.last()) {
            (EventKind::Tap, Some(top)) => match events::path_to(&top.dom, target) {
                Some(path) => (
                    // An error in it is the page template's.
                    navigator_at(&path)
                        .map(|(name, params)| (name, params, format!("{}.axml:0:0", top.route))),
                    submitted_form(&path),
                ),
                None => (None, None),
            },
            _ => (None, None),
        };
        self.fire(target, kind, detail);
        // The fields as the tap's handlers left them.
        let values = submit.and_then(|form| {
            let p = self.stack.last()?;
            Some((form, events::form_values(p.dom.find(form)?)))
        });
        if let Some((form, values)) = values {
            self.fire(form, EventKind::Submit, values);
        }
        // As my.navigateTo and friends would, with no callbacks to answer.
        if let Some((name, params, site)) = navigator {
            if self.stopped.is_none() {
                self.nav.push_back((0, name, params, site));
                self.settle();
            }
        }
    }

    /// Runs the handlers an event reaches, each told where the template names it.
    fn fire(&mut self, target: NodeId, kind: EventKind, detail: Value) {
        let Some(top) = self.stack.last() else { return };
        let page = top.id;
        let ts = self.started.elapsed().as_millis() as u64;
        let calls = events::resolve(&top.dom, target, kind, detail, ts);
        let sites: Vec<String> = calls
            .iter()
            .map(|c| {
                top.doc
                    .as_ref()
                    .and_then(|d| d.handler_pos(&c.handler))
                    .map(|p| format!("{}.axml:{}:{}", top.route, p.line, p.col))
                    .unwrap_or_default()
            })
            .collect();
        for (c, site) in calls.into_iter().zip(sites) {
            self.send(ToLogic::Event {
                page,
                handler: c.handler,
                event: c.event,
                site,
            });
        }
    }

    /// Taps the first element matching `selector` on the top page; a submit button
    /// also submits its form.
    pub fn tap(&mut self, selector: &str) -> Result<(), String> {
        let id = self.first(selector)?;
        self.dispatch(id, EventKind::Tap, json!({}));
        Ok(())
    }

    /// Types `value` into the first element matching `selector`, as its user would.
    pub fn input(&mut self, selector: &str, value: &str) -> Result<(), String> {
        self.as_user(selector, EventKind::Input, json!({ "value": value }))
    }

    /// A value change on the first element matching `selector` (a switch,
    /// checkbox, slider or picker), as its user made it: the element takes
    /// `detail.value` (`checked` for a switch or checkbox, else `value`),
    /// then its `onChange` handlers run with `detail`.
    pub fn change(&mut self, selector: &str, detail: Value) -> Result<(), String> {
        self.as_user(selector, EventKind::Change, detail)
    }

    /// A long press on the first element matching `selector`.
    pub fn long_tap(&mut self, selector: &str) -> Result<(), String> {
        let id = self.first(selector)?;
        self.dispatch(id, EventKind::LongTap, json!({}));
        Ok(())
    }

    /// What a user's typing or switching does: the surface shows the new
    /// value, then the event is dispatched.
    fn as_user(&mut self, selector: &str, kind: EventKind, detail: Value) -> Result<(), String> {
        let id = self.first(selector)?;
        if let Some(top) = self.stack.last() {
            if let Some(op) = value_op(&top.dom, id, kind, &detail) {
                let _ = self.surface.apply(top.id, &[op]);
            }
        }
        self.dispatch(id, kind, detail);
        Ok(())
    }

    fn first(&self, selector: &str) -> Result<NodeId, String> {
        let sel = Selector::parse(selector).map_err(|e| e.to_string())?;
        let top = self.stack.last().ok_or("no page is open")?;
        sel.select(&top.dom)
            .first()
            .map(|n| n.id)
            .ok_or_else(|| format!("no element matches {selector:?} on {}", top.route))
    }

    /// The text of the first element matching `selector` on the top page.
    pub fn text(&self, selector: &str) -> Result<String, String> {
        let id = self.first(selector)?;
        Ok(self
            .stack
            .last()
            .and_then(|p| p.dom.find(id))
            .map(DomNode::text_content)
            .unwrap_or_default())
    }

    /// Fires every timer that is due; returns when the next one is due, if any.
    pub fn pump(&mut self) -> Option<Instant> {
        if !self.ready.is_empty() || !self.nav.is_empty() {
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

    /// Runs timers until an element matches `selector` or `timeout` passes.
    pub fn wait_for(&mut self, selector: &str, timeout: Duration) -> Result<(), String> {
        Selector::parse(selector).map_err(|e| e.to_string())?;
        let deadline = Instant::now() + timeout;
        loop {
            if self.first(selector).is_ok() {
                return Ok(());
            }
            let next = self.pump();
            let now = Instant::now();
            if now >= deadline {
                return Err(format!("timed out waiting for {selector:?}"));
            }
            let wake = next
                .unwrap_or(deadline)
                .min(deadline)
                .min(now + Duration::from_millis(50));
            std::thread::sleep(wake.saturating_duration_since(now));
        }
    }

    /// The surface reports a pull-down on the top page.
    pub fn pull_down_refresh(&mut self) {
        self.hook_top("onPullDownRefresh");
        self.settle();
    }

    /// The surface reports that the top page was scrolled to its bottom.
    pub fn reach_bottom(&mut self) {
        self.hook_top("onReachBottom");
        self.settle();
    }

    /// The embedding app shows the mini program again.
    pub fn show(&mut self) {
        self.send(ToLogic::AppShow);
        self.hook_top("onShow");
        self.settle();
    }

    /// The embedding app hides the mini program.
    pub fn hide(&mut self) {
        self.hook_top("onHide");
        self.send(ToLogic::AppHide);
    }

    /// Unloads every page.
    pub fn close(&mut self) {
        while !self.stack.is_empty() {
            self.close_top();
        }
        self.timers.clear();
        // In-flight calls finish on their threads; their answers are dropped.
        self.pending.clear();
        self.ready.clear();
    }

    /// The query the top page was opened with.
    pub fn query(&self) -> Option<&Map<String, Value>> {
        self.stack.last().map(|p| &p.query)
    }

    /// The surface.
    pub fn surface(&self) -> &S {
        &self.surface
    }

    /// The top page's route.
    pub fn route(&self) -> Option<&str> {
        self.stack.last().map(|p| p.route.as_str())
    }

    /// Routes on the stack, bottom first.
    pub fn routes(&self) -> Vec<String> {
        self.stack.iter().map(|p| p.route.clone()).collect()
    }

    /// The top page's data as the render core sees it.
    pub fn data(&self) -> Option<&Value> {
        self.stack.last().map(|p| &p.data)
    }

    /// The top page as HTML, with its error state if any.
    pub fn html(&self) -> String {
        let Some(p) = self.stack.last() else {
            return String::new();
        };
        crate::surface::page_html(&p.route, &p.dom, p.error.as_ref())
    }

    /// The error state of the top page, if any.
    pub fn page_error(&self) -> Option<&ErrorView> {
        self.stack.last().and_then(|p| p.error.as_ref())
    }

    /// Every uncaught error so far.
    pub fn errors(&self) -> &[ScriptError] {
        &self.errors
    }

    /// Console output so far, as (level, text); the first 10,000 lines.
    pub fn console(&self) -> &[(String, String)] {
        &self.console
    }

    /// Every host call so far.
    pub fn calls(&self) -> &[CallRecord] {
        &self.calls
    }

    /// setData calls of at least [`LARGE_SET_DATA_BYTES`] so far (the first 1,000).
    pub fn large_set_data(&self) -> &[SetDataRecord] {
        &self.large_set_data
    }
}

fn parse_pos(m: &str) -> (u32, u32) {
    let mut it = m.split(':').skip(1);
    let line = it.next().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    let col = it.next().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    (line, col)
}

/// What an input or change event does to its element: `value` for a text
/// field, slider or picker, `checked` for a switch or checkbox.
fn value_op(dom: &DomNode, id: NodeId, kind: EventKind, detail: &Value) -> Option<PatchOp> {
    if !matches!(kind, EventKind::Input | EventKind::Change) {
        return None;
    }
    let tag = dom.find(id)?.tag.clone();
    let (name, value) = match (tag.as_str(), &detail["value"]) {
        (_, Value::Null) => return None,
        ("switch" | "checkbox", v) => ("checked", (v == &Value::Bool(true)).to_string()),
        (_, Value::String(v)) => ("value", v.clone()),
        (_, v) => ("value", v.to_string()),
    };
    Some(PatchOp::SetAttr {
        id,
        name: name.into(),
        value,
    })
}

/// The form a tap submits: the nearest `form` around it, when the tap is in
/// a `button` with `form-type="submit"`. `path` runs from the root to the
/// tapped node.
fn submitted_form(path: &[&DomNode]) -> Option<NodeId> {
    let button = path.iter().rev().find(|n| n.tag == "button")?;
    let form = path.iter().rev().find(|n| n.tag == "form")?;
    button
        .attrs
        .get("form-type")
        .is_some_and(|t| t == "submit")
        .then_some(form.id)
}

/// The navigation a tap on the last node of `path` asks for through the nearest
/// `<navigator>` around it: the API (`open-type`: `navigate`, `redirect`,
/// `switchTab`, `reLaunch` or `navigateBack`) and its parameters.
fn navigator_at(path: &[&DomNode]) -> Option<(String, Value)> {
    let nav = path.iter().rev().find(|n| n.tag == "navigator")?;
    let url = nav.attrs.get("url").cloned().unwrap_or_default();
    let kind = nav.attrs.get("open-type").map(String::as_str);
    let (name, params) = match kind.unwrap_or("navigate") {
        "navigate" => ("navigateTo", json!({ "url": url })),
        "redirect" => ("redirectTo", json!({ "url": url })),
        "switchTab" => ("switchTab", json!({ "url": url })),
        "reLaunch" => ("reLaunch", json!({ "url": url })),
        "navigateBack" => {
            let delta = nav
                .attrs
                .get("delta")
                .and_then(|d| d.parse::<u64>().ok())
                .unwrap_or(1);
            ("navigateBack", json!({ "delta": delta }))
        }
        _ => return None,
    };
    Some((name.to_owned(), params))
}

#[cfg(test)]
mod tests;
