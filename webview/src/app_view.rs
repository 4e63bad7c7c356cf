//! [`AppView`]: one mini program window as the UI thread keeps it. Its
//! webview (once built), its pages and their IPC keys, the scripts waiting
//! for the shell, the patches in flight, the questions waiting for the user,
//! the channel to its app thread, and the [`Status`] a driver reads.

use crate::ipc::{FromView, Keys};
use crate::msg::{
    push_script_tail, AppIn, AppStart, ApplyStages, OpenOptions, Patch, Slot, StartApp, Status,
    UiAnswer, UiMsg,
};
use crate::window::Built;
use mpkit_host::UiRequest;
use mpkit_host::{ErrorView, PageChrome, PageId};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;
use tao::event_loop::EventLoopProxy;

/// The app thread's stack: reserved address space, touched only as used.
const APP_THREAD_STACK: usize = 64 * 1024 * 1024;

/// Patches (and scripts) one window may have in flight before its mini
/// program is stopped for flooding the UI thread.
const MAX_IN_FLIGHT: usize = 4096;

/// A patch sent to the page and not yet acknowledged.
#[derive(Debug)]
struct InFlight {
    bytes: usize,
    sent: Instant,
    taken: Instant,
    handed: Instant,
}

pub(crate) struct AppView {
    pub(crate) slot: Slot,
    pub(crate) opts: OpenOptions,
    start: StartApp,
    opened_at: Instant,
    pub(crate) built: Option<Built>,
    /// Scripts waiting for the shell to be ready.
    /// Scripts waiting for the shell, in order; a question's answer goes
    /// to its sender.
    scripts: Vec<(String, Option<Answer>)>,
    keys: HashMap<PageId, String>,
    stack: Vec<(PageId, String)>,
    ui_key: String,
    pub(crate) questions: HashMap<u64, mpsc::Sender<UiAnswer>>,
    next_question: u64,
    pub(crate) to_app: Option<mpsc::Sender<AppIn>>,
    seq: u64,
    sent: HashMap<u64, InFlight>,
    /// When the last page event reached the UI process, until a patch sent
    /// after it is acknowledged.
    event_at: Option<Instant>,
    pull_no: u64,
    pub(crate) status: Status,
    pub(crate) reload: bool,
    pub(crate) closing: bool,
    /// Page CSS and pulls that arrived before the webview was built.
    early_css: HashMap<PageId, String>,
    early_pulls: HashMap<u64, String>,
}

fn js_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// What takes a script's value (as JSON), once.
pub(crate) type Answer = Box<dyn FnOnce(String) + Send>;

/// Evaluates a script; with `reply`, its value as JSON goes there.
fn eval(webview: &wry::WebView, script: &str, reply: Option<Answer>) {
    let r = match reply {
        Some(f) => {
            let once = std::sync::Mutex::new(Some(f));
            webview.evaluate_script_with_callback(script, move |v| {
                if let Some(f) = once.lock().ok().and_then(|mut g| g.take()) {
                    f(v);
                }
            })
        }
        None => webview.evaluate_script(script),
    };
    if let Err(e) = r {
        tracing::warn!("evaluate_script: {e}");
    }
}

fn to_json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

impl AppView {
    /// A window that has no webview yet; `ui_key` is its key for answers.
    pub(crate) fn new(slot: Slot, opts: OpenOptions, start: StartApp, ui_key: String) -> AppView {
        AppView {
            slot,
            opts,
            start,
            opened_at: Instant::now(),
            built: None,
            scripts: Vec::new(),
            keys: HashMap::new(),
            stack: Vec::new(),
            ui_key,
            questions: HashMap::new(),
            next_question: 0,
            to_app: None,
            seq: 0,
            sent: HashMap::new(),
            event_at: None,
            pull_no: 0,
            status: Status::default(),
            reload: false,
            closing: false,
            early_css: HashMap::new(),
            early_pulls: HashMap::new(),
        }
    }

    /// The keys this window's page messages must carry.
    pub(crate) fn keys(&self) -> Keys<'_> {
        Keys {
            stack: &self.stack,
            pages: &self.keys,
            ui: &self.ui_key,
        }
    }

    /// The status, with what the protocol handler counted.
    pub(crate) fn status(&self) -> Status {
        let mut s = self.status.clone();
        if let Some(b) = &self.built {
            if let Ok(served) = b.served.lock() {
                s.refused_requests = served.refused.clone();
                s.pulled_patches = served.pulled;
            }
        }
        s
    }

    pub(crate) fn page_shown(&mut self, page: PageId, chrome: PageChrome, css: String) {
        let Some(key) = crate::ipc::random_key() else {
            self.status.failure = Some("no random source for the page's IPC key".into());
            return;
        };
        self.keys.insert(page, key.clone());
        self.stack.push((page, chrome.route.clone()));
        self.status.route = Some(chrome.route.clone());
        self.pending_css(page, css);
        let chrome = to_json(&chrome);
        let script = format!(
            "__mpkit.page({page},{chrome},{},{})",
            js_str(&format!("/__mpkit/page/{page}.css")),
            js_str(&key)
        );
        self.run(script);
    }

    pub(crate) fn page_closed(&mut self, page: PageId) {
        self.keys.remove(&page);
        self.stack.retain(|(p, _)| *p != page);
        self.status.route = self.stack.last().map(|(_, r)| r.clone());
        if let Some(b) = &self.built {
            if let Ok(mut s) = b.served.lock() {
                s.css.remove(&page);
            }
        }
        self.run(format!("__mpkit.close({page})"));
    }

    /// Hands a patch to the page: pushed as a script, or stored for the
    /// page to pull.
    pub(crate) fn apply(&mut self, page: PageId, patch: Patch, bytes: usize, sent: Instant) {
        self.seq += 1;
        let seq = self.seq;
        if self.sent.len() >= MAX_IN_FLIGHT || self.scripts.len() >= MAX_IN_FLIGHT {
            // The page is not keeping up (or its web process died):
            // this mini program stops; the others never notice.
            self.overloaded();
            return;
        }
        let taken = Instant::now();
        match patch {
            Patch::Pull(ops) => {
                self.pull_no += 1;
                let n = self.pull_no;
                self.pending_pull(n, ops);
                self.run(format!("__mpkit.pull({page},{n},{seq})"));
            }
            Patch::Push(mut script) => {
                push_script_tail(&mut script, seq);
                self.run(script);
            }
        }
        self.sent.insert(
            seq,
            InFlight {
                bytes,
                sent,
                taken,
                handed: Instant::now(),
            },
        );
    }

    pub(crate) fn page_error(&mut self, page: PageId, view: ErrorView) {
        self.run(format!("__mpkit.error({page},{})", to_json(&view)));
    }

    /// Shows a request in the chrome; a question's answer goes to `reply`.
    /// An overlay is recorded in the status, and shown only when it asks.
    pub(crate) fn ui_request(&mut self, request: UiRequest, reply: Option<mpsc::Sender<UiAnswer>>) {
        if let UiRequest::Overlay {
            file,
            line,
            column,
            message,
            show,
        } = request
        {
            self.note_error(&file, line, column, &message);
            if show {
                let view = ErrorView {
                    file,
                    line,
                    column,
                    message,
                };
                self.run(format!("__mpkit.error(0,{})", to_json(&view)));
            }
            return;
        }
        let Ok(request) = serde_json::to_string(&request) else {
            // Never for these types; the question is cancelled by dropping `reply`.
            tracing::warn!(slot = %self.slot, "a UI request could not be written");
            return;
        };
        let id = match reply {
            Some(tx) => {
                self.next_question += 1;
                self.questions.insert(self.next_question, tx);
                self.status.open_questions = self.questions.len();
                self.next_question
            }
            None => 0,
        };
        let script = format!("__mpkit.ui({id},{request},{})", js_str(&self.ui_key));
        self.run(script);
    }

    /// The app could not launch, or was stopped.
    pub(crate) fn failed(&mut self, message: String) {
        tracing::warn!(slot = %self.slot, "{message}");
        let view = ErrorView {
            file: String::new(),
            line: 0,
            column: 0,
            message: message.clone(),
        };
        self.run(format!("__mpkit.error(0,{})", to_json(&view)));
        self.status.failure = Some(message);
    }

    /// The app launched from `dir`: its assets are served from there, with
    /// the CSS and pulls that came before the webview.
    pub(crate) fn serve_from(&mut self, dir: PathBuf) {
        if let Some(b) = &self.built {
            if let Ok(mut s) = b.served.lock() {
                s.dir = Some(dir);
                s.css.extend(self.early_css.drain());
                s.pulls.extend(self.early_pulls.drain());
            }
        }
    }

    /// Acts on a message from the page, once [`crate::ipc::read`] passed it.
    pub(crate) fn on_view_message(&mut self, msg: FromView, at: Instant) {
        match msg {
            FromView::Ready => {
                if let Some(b) = &mut self.built {
                    b.ready = true;
                }
                self.flush();
            }
            FromView::Painted => {
                if self.status.first_paint.is_none() {
                    self.status.first_paint = Some(self.opened_at.elapsed());
                }
            }
            FromView::Applied { seq, rtt } => {
                if let Some(f) = self.sent.remove(&seq) {
                    if let Some(e) = self.event_at.filter(|e| f.sent >= *e) {
                        self.event_at = None;
                        if self.status.event_trips.len() < 100_000 {
                            self.status
                                .event_trips
                                .push(at.saturating_duration_since(e));
                        }
                    }
                    if self.status.applied.len() < 100_000 {
                        self.status
                            .applied
                            .push((f.bytes, at.saturating_duration_since(f.sent)));
                        self.status.apply_stages.push(ApplyStages {
                            to_ui_thread: f.taken.saturating_duration_since(f.sent),
                            on_ui_thread: f.handed.saturating_duration_since(f.taken),
                            in_web_process: at.saturating_duration_since(f.handed),
                        });
                    }
                }
                if let Some(ms) = rtt.filter(|m| m.is_finite() && *m >= 0.0) {
                    if self.status.round_trips.len() < 100_000 {
                        self.status.round_trips.push(ms);
                    }
                }
            }
            FromView::Event {
                page,
                kind,
                target,
                detail,
                ..
            } => {
                self.event_at = Some(at);
                self.tell(AppIn::Event {
                    page,
                    target,
                    kind,
                    detail,
                });
            }
            FromView::Back { page, .. } => self.tell(AppIn::Back(page)),
            FromView::Tab { path, .. } => self.tell(AppIn::Tab(path)),
            FromView::ReachBottom { page, .. } => self.tell(AppIn::ReachBottom(page)),
            FromView::Ui { id, reply, .. } => {
                if let Some(tx) = self.questions.remove(&id) {
                    let _ = tx.send(reply);
                }
                self.status.open_questions = self.questions.len();
            }
            FromView::ViewError { message } => {
                tracing::warn!(slot = %self.slot, "view script: {message}");
                if self.status.view_errors.len() < 1000 {
                    self.status.view_errors.push(message);
                }
            }
        }
    }

    /// Runs the scripts that waited for the shell, once it is ready.
    pub(crate) fn flush(&mut self) {
        let Some(b) = &self.built else { return };
        if !b.ready {
            return;
        }
        for (s, reply) in std::mem::take(&mut self.scripts) {
            eval(&b.webview, &s, reply);
        }
    }

    /// Starts the mini program again after its app thread ended for a
    /// reload, on `route` with its `query`.
    pub(crate) fn relaunch(
        &mut self,
        route: Option<String>,
        query: Map<String, Value>,
        proxy: EventLoopProxy<UiMsg>,
    ) {
        self.keys.clear();
        self.stack.clear();
        self.status.first_paint = None;
        self.status.failure = None;
        self.opened_at = Instant::now();
        self.sent.clear();
        if let Some(b) = &self.built {
            if let Ok(mut s) = b.served.lock() {
                s.pulls.clear();
                s.css.clear();
            }
        }
        self.run("__mpkit.reset()".into());
        self.start(route, query, proxy);
    }

    fn overloaded(&mut self) {
        if self.status.failure.is_none() {
            let message = format!(
                "stopped: more than {MAX_IN_FLIGHT} page updates were waiting for the page"
            );
            tracing::warn!("{message}");
            self.status.failure = Some(message);
        }
        self.sent.clear();
        self.scripts.clear();
        self.questions.clear();
        if let Some(b) = &self.built {
            if let Ok(mut s) = b.served.lock() {
                s.pulls.clear();
            }
        }
        self.tell(AppIn::Close);
    }

    fn note_error(&mut self, file: &str, line: u32, column: u32, message: &str) {
        if self.status.page_errors.len() < 1000 {
            self.status
                .page_errors
                .push(format!("{file}:{line}:{column}: {message}"));
        }
    }

    /// Runs a script in the page, or keeps it until the shell is ready.
    pub(crate) fn run(&mut self, script: String) {
        match &self.built {
            Some(b) if b.ready && self.scripts.is_empty() => eval(&b.webview, &script, None),
            _ => self.scripts.push((script, None)),
        }
    }

    /// Runs a script whose value (as JSON) goes to `reply`, in order with
    /// the scripts before it: a question about the page sees every patch
    /// sent before it.
    pub(crate) fn ask(&mut self, script: String, reply: Answer) {
        match &self.built {
            Some(b) if b.ready && self.scripts.is_empty() => eval(&b.webview, &script, Some(reply)),
            _ => self.scripts.push((script, Some(reply))),
        }
    }

    pub(crate) fn tell(&mut self, m: AppIn) {
        if let Some(tx) = &self.to_app {
            if tx.send(m).is_err() {
                self.to_app = None;
            }
        }
    }

    fn pending_css(&mut self, page: PageId, css: String) {
        match &self.built {
            Some(b) => {
                if let Ok(mut s) = b.served.lock() {
                    s.css.insert(page, css);
                }
            }
            None => {
                self.early_css.insert(page, css);
            }
        }
    }

    fn pending_pull(&mut self, n: u64, ops: String) {
        match &self.built {
            Some(b) => {
                if let Ok(mut s) = b.served.lock() {
                    s.pulls.insert(n, ops);
                }
            }
            None => {
                self.early_pulls.insert(n, ops);
            }
        }
    }

    /// Starts the app thread: launch, then serve events until closed.
    pub(crate) fn start(
        &mut self,
        route: Option<String>,
        query: Map<String, Value>,
        proxy: EventLoopProxy<UiMsg>,
    ) {
        let (tx, rx) = mpsc::channel();
        self.to_app = Some(tx);
        self.status.launches += 1;
        let start = self.start.clone();
        let app = AppStart {
            slot: self.slot,
            route,
            query,
            user: self.opts.user.clone(),
            overlay_errors: self.opts.overlay_errors,
            from_ui: rx,
            proxy,
        };
        let spawned = std::thread::Builder::new()
            .name(format!("mpkit-app-{}", self.slot))
            // In thread isolation the mini program's JS runs here, and boa's
            // parser and interpreter recurse deeply (more so in debug builds).
            .stack_size(APP_THREAD_STACK)
            .spawn(move || start(app));
        if let Err(e) = spawned {
            self.status.failure = Some(format!("cannot start the app thread: {e}"));
            self.to_app = None;
        }
    }
}
