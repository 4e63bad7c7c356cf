//! The UI-thread half: [`WebviewApp`] owns tao's event loop, one window and
//! webview per mini program, and the threads their runtimes run on.
//!
//! - tao's event loop owns the thread `run` is called on; webviews never leave it.
//! - Each mini program's [`AppHandle`] lives on its own app thread. It reaches
//!   the UI only through `EventLoopProxy` ([`UiMsg`]), and the UI reaches it
//!   only through a channel ([`AppIn`]).
//! - IPC from a page, navigation requests and protocol requests are checked
//!   here, on the UI thread, before anything reaches an app thread.

use crate::protocol::{self, Resource};
use crate::surface::{
    push_script_tail, ChromeDelegate, Patch, Slot, UiLink, UiMsg, WebviewSurface,
};
use mpkit_bundle::AppId;
use mpkit_host::delegate::HostDelegate;
use mpkit_host::host::{AppHandle, HostError};
use mpkit_host::render::events::EventKind;
use mpkit_host::surface::PageId;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tao::dpi::LogicalSize;
use tao::event::{Event, WindowEvent};
use tao::event_loop::{
    ControlFlow, EventLoop, EventLoopBuilder, EventLoopProxy, EventLoopWindowTarget,
};
use tao::platform::run_return::EventLoopExtRunReturn;
use tao::platform::unix::{EventLoopBuilderExtUnix, WindowExtUnix};
use tao::window::{Window, WindowBuilder, WindowId};
use wry::http::{header, Request, Response, StatusCode};
use wry::{
    NewWindowResponse, PermissionResponse, WebContext, WebView, WebViewBuilder,
    WebViewBuilderExtUnix,
};

/// Errors of the webview surface.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebviewError {
    /// The window or webview could not be created (no display, no WebKitGTK).
    #[error("cannot create the window: {0}")]
    Window(String),
    /// The UI thread is gone.
    #[error("the webview event loop has ended")]
    Closed,
    /// A driver request timed out.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The page or the mini program reported a failure.
    #[error("{0}")]
    Failed(String),
    /// A file could not be written.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// How the UI thread runs.
#[derive(Debug, Clone)]
pub struct WebviewConfig {
    /// Root of the per-(user, app) webview data directories.
    pub data_dir: PathBuf,
    /// Whether the event loop ends when the last window closes.
    pub exit_when_closed: bool,
}

/// How one mini program window opens.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Window title.
    pub title: String,
    /// Window size in logical px (a device profile's screen).
    pub width: u32,
    /// Window height.
    pub height: u32,
    /// The host user the mini program runs for (keys its webview data).
    pub user: String,
    /// The app, when known before launch: its webview is then built while the
    /// logic layer starts, or taken from the pre-warmed pool.
    pub app: Option<AppId>,
    /// Opens the web inspector.
    pub devtools: bool,
    /// Shows script errors in an overlay (preview).
    pub overlay_errors: bool,
    /// Whether the window is shown (tests may keep it off screen).
    pub visible: bool,
    /// Origins (`https://help.example.com`) a navigation may open in a separate
    /// plain window, as a web-view page the host allows. Empty: none.
    pub web_allowlist: Vec<String>,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions {
            title: "mini program".into(),
            width: 375,
            height: 667,
            user: "dev".into(),
            app: None,
            devtools: false,
            overlay_errors: false,
            visible: true,
            web_allowlist: Vec::new(),
        }
    }
}

/// What a launch closure gets on its app thread.
#[derive(Debug)]
pub struct LaunchContext {
    /// The surface to launch onto.
    pub surface: WebviewSurface,
    /// The route to open (the current one after a live reload), if not the home page.
    pub route: Option<String>,
    /// Its query (the current page's after a live reload).
    pub query: Map<String, Value>,
    /// The host user.
    pub user: String,
    link: UiLink,
}

impl LaunchContext {
    /// Wraps the embedding app's delegate so UI requests and consent prompts
    /// are shown in the window's chrome.
    pub fn chrome(&self, inner: Rc<dyn HostDelegate>) -> Rc<dyn HostDelegate> {
        Rc::new(ChromeDelegate::new(inner, self.link.clone()))
    }

    /// Makes surfaces for this window: for a launcher that may try more than
    /// once (the update manager falls back to the last good version).
    pub fn surfaces(&self) -> impl FnMut() -> WebviewSurface {
        let (slot, proxy) = self.link.parts();
        move || WebviewSurface::new(slot, proxy.clone())
    }
}

/// Builds and launches the mini program on its app thread. Called again on
/// each live reload, so it is `Fn`.
pub type LaunchFn =
    Arc<dyn Fn(LaunchContext) -> Result<AppHandle<WebviewSurface>, HostError> + Send + Sync>;

/// What the UI thread tells an app thread.
#[derive(Debug)]
pub(crate) enum AppIn {
    /// An event at a node of the top page.
    Event {
        page: PageId,
        target: u64,
        kind: EventKind,
        detail: Value,
    },
    /// Back button or key on `page`.
    Back(PageId),
    /// A tab of the tabBar.
    Tab(String),
    /// The top page reached its bottom.
    ReachBottom(PageId),
    /// The window is shown or hidden.
    Visible(bool),
    /// An allowlisted web-view URL, for the delegate to show or leave.
    OpenWeb(String),
    /// Close the mini program.
    Close,
}

/// What a driver can learn about one window.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// The app, once launched.
    pub app: Option<AppId>,
    /// From `open` to the first page painted.
    pub first_paint: Option<Duration>,
    /// Per applied patch batch: its JSON size and the time from the app thread
    /// to the view script's acknowledgement.
    pub applied: Vec<(usize, Duration)>,
    /// The same patches' time, split where it was spent (index for index with
    /// `applied`).
    pub apply_stages: Vec<ApplyStages>,
    /// Event round trips measured in the page (tap → logic → patch applied), ms.
    /// WebKit coarsens the page's clock to 1 ms, so these are whole
    /// milliseconds; `event_trips` is the fine-grained one.
    pub round_trips: Vec<f64>,
    /// Event round trips timed in the UI process: from a page's event
    /// reaching it to the acknowledgement of the first patch sent after it.
    /// That leaves out the event's own trip from the page to the UI process.
    pub event_trips: Vec<Duration>,
    /// Navigations and new windows refused.
    pub blocked: Vec<String>,
    /// IPC messages refused (wrong origin, wrong key, malformed).
    pub rejected_ipc: usize,
    /// Protocol requests refused, with the reason.
    pub refused_requests: Vec<String>,
    /// Patches over 64 KB the page pulled over `mpkit://` instead of being
    /// pushed them.
    pub pulled_patches: usize,
    /// Why the mini program failed or stopped, if it did.
    pub failure: Option<String>,
    /// Errors the view script reported.
    pub view_errors: Vec<String>,
    /// Template, navigation and script errors shown on the page
    /// (`file:line:column: message`).
    pub page_errors: Vec<String>,
    /// The top page's route, as the UI thread last saw it.
    pub route: Option<String>,
    /// Questions (modals, consent) waiting for the user.
    pub open_questions: usize,
    /// How many times the app was (re)launched.
    pub launches: u32,
    /// Allowlisted URLs this surface opened in a private window (those the
    /// delegate did not show itself).
    pub web_views: Vec<String>,
}

/// Where one applied patch's time went, from the app thread handing it to
/// the surface to its acknowledgement reaching the UI process.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ApplyStages {
    /// Serialising the ops on the app thread and the hop to the UI thread,
    /// until the UI thread took the patch up.
    pub to_ui_thread: Duration,
    /// The UI thread writing the script and handing it to WebKit.
    pub on_ui_thread: Duration,
    /// From there to the acknowledgement reaching the UI process: the trip to
    /// the web process, the script, the DOM changes and the trip back.
    pub in_web_process: Duration,
}

/// A patch sent to the page and not yet acknowledged.
#[derive(Debug)]
struct InFlight {
    bytes: usize,
    sent: Instant,
    taken: Instant,
    handed: Instant,
}

/// Requests a [`Driver`] sends the UI thread.
pub(crate) enum Command {
    /// Opens a window and launches a mini program in it.
    Open {
        opts: OpenOptions,
        launch: LaunchFn,
        reply: mpsc::Sender<Slot>,
    },
    /// Builds a hidden webview for (app, user) with its shell loaded.
    Prewarm { app: AppId, user: String },
    /// Evaluates JS in the page and returns its result as JSON.
    Eval {
        slot: Slot,
        js: String,
        reply: mpsc::Sender<Result<String, String>>,
    },
    /// Writes a PNG of the visible page.
    Screenshot {
        slot: Slot,
        path: PathBuf,
        reply: mpsc::Sender<Result<(), String>>,
    },
    /// Reports a window's status.
    Status {
        slot: Slot,
        reply: mpsc::Sender<Option<Status>>,
    },
    /// Relaunches the mini program, keeping its route.
    Reload { slot: Slot },
    /// Shows or hides a window (App onShow / onHide).
    Visible { slot: Slot, visible: bool },
    /// Closes a window.
    Close { slot: Slot },
    /// The peer figure: a bare wry webview with a one-line page, from window
    /// creation to its first paint.
    Bare {
        reply: mpsc::Sender<Result<Duration, String>>,
    },
    /// Ends the event loop.
    Exit,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Command::Open { .. } => "Open",
            Command::Prewarm { .. } => "Prewarm",
            Command::Eval { .. } => "Eval",
            Command::Screenshot { .. } => "Screenshot",
            Command::Status { .. } => "Status",
            Command::Reload { .. } => "Reload",
            Command::Visible { .. } => "Visible",
            Command::Close { .. } => "Close",
            Command::Bare { .. } => "Bare",
            Command::Exit => "Exit",
        };
        f.write_str(name)
    }
}

/// A `Send` handle to a running [`WebviewApp`], for other threads: tests,
/// the preview's file watcher, benchmarks.
#[derive(Debug, Clone)]
pub struct Driver {
    proxy: EventLoopProxy<UiMsg>,
}

impl Driver {
    fn cmd(&self, c: Command) -> Result<(), WebviewError> {
        self.proxy
            .send_event(UiMsg::Command(c))
            .map_err(|_| WebviewError::Closed)
    }

    fn wait<T>(rx: &mpsc::Receiver<T>, timeout: Duration, what: &str) -> Result<T, WebviewError> {
        rx.recv_timeout(timeout).map_err(|e| match e {
            mpsc::RecvTimeoutError::Timeout => WebviewError::Timeout(what.to_owned()),
            mpsc::RecvTimeoutError::Disconnected => WebviewError::Closed,
        })
    }

    /// Opens a window and launches a mini program in it.
    pub fn open(&self, opts: OpenOptions, launch: LaunchFn) -> Result<Slot, WebviewError> {
        let (reply, rx) = mpsc::channel();
        self.cmd(Command::Open {
            opts,
            launch,
            reply,
        })?;
        Self::wait(&rx, Duration::from_secs(30), "opening a window")
    }

    /// Builds a hidden webview for `app` and `user` ahead of time; the next
    /// `open` of that app with `OpenOptions::app` set takes it.
    pub fn prewarm(&self, app: AppId, user: &str) -> Result<(), WebviewError> {
        self.cmd(Command::Prewarm {
            app,
            user: user.to_owned(),
        })
    }

    /// Evaluates `js` in the window's page; its value comes back as JSON text.
    pub fn eval(&self, slot: Slot, js: &str) -> Result<String, WebviewError> {
        let (reply, rx) = mpsc::channel();
        self.cmd(Command::Eval {
            slot,
            js: js.to_owned(),
            reply,
        })?;
        Self::wait(&rx, Duration::from_secs(20), "evaluating script")?.map_err(WebviewError::Failed)
    }

    /// The window's status, or `None` once it is closed.
    pub fn status(&self, slot: Slot) -> Result<Option<Status>, WebviewError> {
        let (reply, rx) = mpsc::channel();
        self.cmd(Command::Status { slot, reply })?;
        Self::wait(&rx, Duration::from_secs(20), "status")
    }

    /// Waits until the first page is painted; returns the time from `open`.
    /// A launch failure is an error.
    pub fn wait_painted(&self, slot: Slot, timeout: Duration) -> Result<Duration, WebviewError> {
        let s = self.wait_status(slot, timeout, "the first page to paint", |s| {
            s.first_paint.is_some()
        })?;
        s.first_paint.ok_or(WebviewError::Closed)
    }

    /// Polls the status until `done` holds; a launch failure is an error.
    pub fn wait_status(
        &self,
        slot: Slot,
        timeout: Duration,
        what: &str,
        done: impl Fn(&Status) -> bool,
    ) -> Result<Status, WebviewError> {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.status(slot)?.ok_or(WebviewError::Closed)?;
            if done(&s) {
                return Ok(s);
            }
            if let Some(f) = &s.failure {
                return Err(WebviewError::Failed(f.clone()));
            }
            if Instant::now() >= deadline {
                return Err(WebviewError::Timeout(what.to_owned()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Polls `js` until it evaluates to `true`.
    pub fn wait_js(&self, slot: Slot, js: &str, timeout: Duration) -> Result<(), WebviewError> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.eval(slot, js)? == "true" {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(WebviewError::Timeout(format!("waiting for {js}")));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Writes a PNG of the visible page to `path`.
    pub fn screenshot(&self, slot: Slot, path: &Path) -> Result<(), WebviewError> {
        let (reply, rx) = mpsc::channel();
        self.cmd(Command::Screenshot {
            slot,
            path: path.to_owned(),
            reply,
        })?;
        Self::wait(&rx, Duration::from_secs(30), "the screenshot")?.map_err(WebviewError::Failed)
    }

    /// Relaunches the mini program in `slot`, keeping its route.
    pub fn reload(&self, slot: Slot) -> Result<(), WebviewError> {
        self.cmd(Command::Reload { slot })
    }

    /// Shows or hides a window; the mini program gets App onShow / onHide.
    pub fn set_visible(&self, slot: Slot, visible: bool) -> Result<(), WebviewError> {
        self.cmd(Command::Visible { slot, visible })
    }

    /// Closes a window.
    pub fn close(&self, slot: Slot) -> Result<(), WebviewError> {
        self.cmd(Command::Close { slot })
    }

    /// A bare wry webview showing a one-line page: the time from creating its
    /// window to its first paint. The peer figure for first render.
    pub fn bare_first_paint(&self) -> Result<Duration, WebviewError> {
        let (reply, rx) = mpsc::channel();
        self.cmd(Command::Bare { reply })?;
        Self::wait(&rx, Duration::from_secs(30), "a bare webview")?.map_err(WebviewError::Failed)
    }

    /// Ends the event loop: `WebviewApp::run` returns.
    pub fn exit(&self) -> Result<(), WebviewError> {
        self.cmd(Command::Exit)
    }
}

/// The event loop and every mini program window. Create it on the thread
/// that will run it (the main thread in an app; any thread in a test binary
/// that owns its `main`).
pub struct WebviewApp {
    event_loop: EventLoop<UiMsg>,
    config: WebviewConfig,
}

impl std::fmt::Debug for WebviewApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebviewApp")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// WebKitGTK's DMA-BUF renderer needs a GPU; Xvfb and many VMs have none, and
/// pages then render blank. Turned off unless the embedding app chose.
fn prepare_environment() {
    for (k, v) in [
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    ] {
        if std::env::var_os(k).is_none() {
            std::env::set_var(k, v);
        }
    }
}

impl WebviewApp {
    /// Starts GTK and the event loop on this thread.
    pub fn new(config: WebviewConfig) -> Result<WebviewApp, WebviewError> {
        if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
            return Err(WebviewError::Window(
                "no display: set DISPLAY (run under Xvfb: xvfb-run -a ...)".into(),
            ));
        }
        prepare_environment();
        let event_loop = EventLoopBuilder::<UiMsg>::with_user_event()
            .with_any_thread(true)
            .build();
        Ok(WebviewApp { event_loop, config })
    }

    /// A handle for other threads.
    pub fn driver(&self) -> Driver {
        Driver {
            proxy: self.event_loop.create_proxy(),
        }
    }

    /// Runs until [`Driver::exit`], or until the last window closes when
    /// `exit_when_closed` is set.
    pub fn run(mut self) {
        let proxy = self.event_loop.create_proxy();
        let mut ui = Ui {
            config: self.config.clone(),
            proxy,
            views: HashMap::new(),
            windows: HashMap::new(),
            pool: HashMap::new(),
            contexts: HashMap::new(),
            web_windows: HashMap::new(),
            bare: None,
            next_slot: 1,
            next_view: 1,
            exit: false,
            had_window: false,
        };
        self.event_loop.run_return(move |event, target, flow| {
            *flow = ControlFlow::Wait;
            match event {
                Event::UserEvent(m) => ui.handle(m, target),
                Event::WindowEvent {
                    window_id,
                    event: WindowEvent::CloseRequested,
                    ..
                } => ui.close_window(window_id),
                _ => {}
            }
            if ui.exit || (ui.config.exit_when_closed && ui.had_window && ui.views.is_empty()) {
                ui.shutdown();
                *flow = ControlFlow::Exit;
            }
        });
    }
}

/// What the protocol handler of one webview serves.
#[derive(Debug)]
pub(crate) struct Served {
    app: AppId,
    dir: Option<PathBuf>,
    css: HashMap<PageId, String>,
    pulls: HashMap<u64, String>,
    /// Patches the page has pulled so far.
    pulled: usize,
    refused: Vec<String>,
}

/// A web context and what its `mpkit://` handler serves.
type Context = (WebContext, Arc<Mutex<Served>>);

struct Built {
    view: u64,
    window: Window,
    webview: WebView,
    served: Arc<Mutex<Served>>,
    ready: bool,
}

struct AppView {
    opts: OpenOptions,
    launch: LaunchFn,
    opened_at: Instant,
    built: Option<Built>,
    /// Scripts waiting for the shell to be ready.
    scripts: Vec<String>,
    keys: HashMap<PageId, String>,
    stack: Vec<(PageId, String)>,
    ui_key: String,
    questions: HashMap<u64, mpsc::Sender<Value>>,
    next_question: u64,
    to_app: Option<mpsc::Sender<AppIn>>,
    seq: u64,
    sent: HashMap<u64, InFlight>,
    /// When the last page event reached the UI process, until a patch sent
    /// after it is acknowledged.
    event_at: Option<Instant>,
    pull_no: u64,
    status: Status,
    reload: bool,
    closing: bool,
    /// Page CSS and pulls that arrived before the webview was built.
    early_css: HashMap<PageId, String>,
    early_pulls: HashMap<u64, String>,
}

struct Ui {
    config: WebviewConfig,
    proxy: EventLoopProxy<UiMsg>,
    views: HashMap<Slot, AppView>,
    windows: HashMap<WindowId, Slot>,
    pool: HashMap<(AppId, String), Built>,
    /// Web contexts and what their protocol serves, per (app, user).
    contexts: HashMap<(AppId, String), Context>,
    web_windows: HashMap<WindowId, (Window, WebView)>,
    /// The last bare probe, dropped at the next one.
    bare: Option<(Window, WebView)>,
    next_slot: Slot,
    next_view: u64,
    exit: bool,
    had_window: bool,
}

/// A message a page posts over IPC.
#[derive(Debug, Deserialize)]
#[serde(tag = "t", rename_all = "camelCase")]
enum FromView {
    Ready,
    Painted,
    Applied {
        seq: u64,
        #[serde(default)]
        rtt: Option<f64>,
    },
    Event {
        page: PageId,
        key: String,
        kind: EventKind,
        target: u64,
        #[serde(default)]
        detail: Value,
    },
    Back {
        page: PageId,
        key: String,
    },
    Tab {
        page: PageId,
        key: String,
        path: String,
    },
    ReachBottom {
        page: PageId,
        key: String,
    },
    Ui {
        id: u64,
        key: String,
        reply: Value,
    },
    ViewError {
        message: String,
    },
}

/// A fresh random key: 128 bits, hex. `None` without an OS random source,
/// and then what needs the key is not opened: a guessable key would let a
/// page forge IPC.
fn random_key() -> Option<String> {
    let mut b = [0u8; 16];
    match getrandom::getrandom(&mut b) {
        Ok(()) => Some(hex::encode(b)),
        Err(e) => {
            tracing::error!("no random source for IPC keys: {e}");
            None
        }
    }
}

/// The per-(user, app) webview data directory. The user id is hashed with
/// SHA-256, which, unlike the standard library's hasher, names the same
/// directory after a toolchain upgrade.
fn data_dir(root: &Path, user: &str, app: &AppId) -> PathBuf {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(user.as_bytes());
    root.join(format!("u{}", hex::encode(&h[..16])))
        .join(app.as_str())
}

fn respond(
    status: StatusCode,
    mime: &str,
    csp: &str,
    body: Vec<u8>,
) -> Response<Cow<'static, [u8]>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, mime)
        .header("Content-Security-Policy", csp)
        .header("X-Content-Type-Options", "nosniff")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Cow::Owned(body))
        .unwrap_or_else(|_| Response::new(Cow::Borrowed(&[][..])))
}

/// Serves one `mpkit://` request from what the UI thread recorded and the
/// verified bundle tree.
pub(crate) fn serve(served: &Mutex<Served>, url: &str) -> Response<Cow<'static, [u8]>> {
    let Ok(mut s) = served.lock() else {
        return respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            "default-src 'none'",
            Vec::new(),
        );
    };
    let csp = protocol::csp(&s.app);
    let refuse = |s: &mut Served, status: StatusCode, why: String| {
        tracing::warn!(app = %s.app, url, why, "mpkit:// request refused");
        if s.refused.len() < 1000 {
            s.refused.push(format!("{url}: {why}"));
        }
        respond(status, "text/plain; charset=utf-8", &csp, why.into_bytes())
    };
    let resource = match protocol::resolve(url, &s.app) {
        Ok(r) => r,
        Err(e) => {
            let status = match e {
                protocol::Refused::NoSuchResource => StatusCode::NOT_FOUND,
                _ => StatusCode::FORBIDDEN,
            };
            return refuse(&mut s, status, e.to_string());
        }
    };
    let mime = protocol::resource_mime(&resource);
    let body = match &resource {
        Resource::Shell => include_bytes!("../assets/shell.html").to_vec(),
        Resource::ViewJs => include_bytes!("../assets/view.js").to_vec(),
        Resource::ViewCss => include_bytes!("../assets/view.css").to_vec(),
        Resource::ComponentsCss => include_bytes!("../assets/components.css").to_vec(),
        Resource::PageCss(p) => match s.css.get(p) {
            Some(c) => c.clone().into_bytes(),
            None => return refuse(&mut s, StatusCode::NOT_FOUND, format!("no page {p}")),
        },
        // A pull is served once.
        Resource::Pull(n) => match s.pulls.remove(n) {
            Some(ops) => {
                s.pulled += 1;
                ops.into_bytes()
            }
            None => return refuse(&mut s, StatusCode::NOT_FOUND, format!("no pull {n}")),
        },
        Resource::Asset(rel) => {
            let Some(dir) = s.dir.clone() else {
                return refuse(
                    &mut s,
                    StatusCode::NOT_FOUND,
                    "the app has not launched".into(),
                );
            };
            // Read without holding the lock the UI thread also takes.
            drop(s);
            match read_asset(&dir, rel) {
                Ok(b) => b,
                Err(why) => {
                    let Ok(mut s) = served.lock() else {
                        return respond(StatusCode::NOT_FOUND, "text/plain", &csp, Vec::new());
                    };
                    return refuse(&mut s, StatusCode::NOT_FOUND, why);
                }
            }
        }
    };
    respond(StatusCode::OK, mime, &csp, body)
}

/// Asset reads in flight, across every webview; beyond the cap a page gets 503.
static ASSET_READS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const MAX_ASSET_READS: usize = 8;

/// Serves host resources at once, and reads bundle assets on a worker thread
/// so a page with many or large images never stalls the UI thread.
fn serve_async(served: &Arc<Mutex<Served>>, url: String, responder: wry::RequestAsyncResponder) {
    use std::sync::atomic::Ordering;
    let csp = served
        .lock()
        .ok()
        .and_then(|s| match protocol::resolve(&url, &s.app) {
            Ok(Resource::Asset(_)) if s.dir.is_some() => Some(protocol::csp(&s.app)),
            _ => None,
        });
    let Some(csp) = csp else {
        responder.respond(serve(served, &url));
        return;
    };
    if ASSET_READS.fetch_add(1, Ordering::SeqCst) >= MAX_ASSET_READS {
        ASSET_READS.fetch_sub(1, Ordering::SeqCst);
        let busy = respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            &csp,
            b"busy".to_vec(),
        );
        responder.respond(busy);
        return;
    }
    let served = served.clone();
    let spawned = std::thread::Builder::new()
        .name("mpkit-asset".into())
        .spawn(move || {
            responder.respond(serve(&served, &url));
            ASSET_READS.fetch_sub(1, Ordering::SeqCst);
        });
    if spawned.is_err() {
        ASSET_READS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Reads a static asset, refusing anything that resolves outside `dir`
/// (a symlink, though verified trees have none).
fn read_asset(dir: &Path, rel: &str) -> Result<Vec<u8>, String> {
    let root = dir
        .canonicalize()
        .map_err(|e| format!("bundle root: {e}"))?;
    let path = root
        .join(rel)
        .canonicalize()
        .map_err(|_| format!("{rel}: no such file"))?;
    if !path.starts_with(&root) {
        return Err(format!("{rel} leaves the bundle root"));
    }
    let meta = std::fs::metadata(&path).map_err(|e| format!("{rel}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{rel}: not a file"));
    }
    std::fs::read(&path).map_err(|e| format!("{rel}: {e}"))
}

fn js_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

impl Ui {
    fn handle(&mut self, m: UiMsg, target: &EventLoopWindowTarget<UiMsg>) {
        match m {
            UiMsg::Command(c) => self.command(c, target),
            UiMsg::PageShown {
                slot,
                page,
                chrome,
                css,
            } => {
                let Some(v) = self.views.get_mut(&slot) else {
                    return;
                };
                let Some(key) = random_key() else {
                    v.status.failure = Some("no random source for the page's IPC key".into());
                    return;
                };
                v.keys.insert(page, key.clone());
                v.stack.push((page, chrome.route.clone()));
                v.status.route = Some(chrome.route.clone());
                v.pending_css(page, css);
                let chrome = serde_json::to_string(&chrome).unwrap_or_else(|_| "{}".into());
                let script = format!(
                    "__mpkit.page({page},{chrome},{},{})",
                    js_str(&format!("/__mpkit/page/{page}.css")),
                    js_str(&key)
                );
                v.run(script);
            }
            UiMsg::PageClosed { slot, page } => {
                let Some(v) = self.views.get_mut(&slot) else {
                    return;
                };
                v.keys.remove(&page);
                v.stack.retain(|(p, _)| *p != page);
                v.status.route = v.stack.last().map(|(_, r)| r.clone());
                if let Some(b) = &v.built {
                    if let Ok(mut s) = b.served.lock() {
                        s.css.remove(&page);
                    }
                }
                v.run(format!("__mpkit.close({page})"));
            }
            UiMsg::Apply {
                slot,
                page,
                patch,
                bytes,
                sent,
            } => {
                let Some(v) = self.views.get_mut(&slot) else {
                    return;
                };
                v.seq += 1;
                let seq = v.seq;
                if v.sent.len() >= MAX_IN_FLIGHT || v.scripts.len() >= MAX_IN_FLIGHT {
                    // The page is not keeping up (or its web process died):
                    // this mini program stops; the others never notice.
                    v.overloaded();
                    return;
                }
                let taken = Instant::now();
                match patch {
                    Patch::Pull(ops) => {
                        v.pull_no += 1;
                        let n = v.pull_no;
                        v.pending_pull(n, ops);
                        v.run(format!("__mpkit.pull({page},{n},{seq})"));
                    }
                    Patch::Push(mut script) => {
                        push_script_tail(&mut script, seq);
                        v.run(script);
                    }
                }
                v.sent.insert(
                    seq,
                    InFlight {
                        bytes,
                        sent,
                        taken,
                        handed: Instant::now(),
                    },
                );
            }
            UiMsg::PageError { slot, page, view } => {
                let Some(v) = self.views.get_mut(&slot) else {
                    return;
                };
                let view = serde_json::to_string(&view).unwrap_or_else(|_| "{}".into());
                v.run(format!("__mpkit.error({page},{view})"));
            }
            UiMsg::Ui {
                slot,
                request,
                reply,
            } => {
                let Some(v) = self.views.get_mut(&slot) else {
                    return;
                };
                if request["ui"] == "overlay" {
                    v.note_error(
                        request["file"].as_str().unwrap_or_default(),
                        request["line"].as_u64().unwrap_or(0) as u32,
                        request["column"].as_u64().unwrap_or(0) as u32,
                        request["message"].as_str().unwrap_or_default(),
                    );
                    if request["show"] == true {
                        let view = json!({
                            "file": request["file"], "line": request["line"],
                            "column": request["column"], "message": request["message"],
                        });
                        v.run(format!("__mpkit.error(0,{view})"));
                    }
                    return;
                }
                let id = match reply {
                    Some(tx) => {
                        v.next_question += 1;
                        v.questions.insert(v.next_question, tx);
                        v.status.open_questions = v.questions.len();
                        v.next_question
                    }
                    None => 0,
                };
                let script = format!("__mpkit.ui({id},{request},{})", js_str(&v.ui_key));
                v.run(script);
            }
            UiMsg::Launched { slot, app, dir } => {
                self.launched(slot, app, dir, target);
            }
            UiMsg::Failed { slot, message } => {
                let Some(v) = self.views.get_mut(&slot) else {
                    return;
                };
                tracing::warn!(slot, "{message}");
                let view = json!({"file": "", "line": 0, "column": 0, "message": message});
                v.run(format!("__mpkit.error(0,{view})"));
                v.status.failure = Some(message);
            }
            UiMsg::Ended { slot, route, query } => self.ended(slot, route, query),
            UiMsg::OpenWeb { slot, url } => {
                // Checked again here: only what this window's allowlist names.
                let Some(v) = self.views.get(&slot) else {
                    return;
                };
                let allowlist = v.opts.web_allowlist.clone();
                if allowlist.iter().any(|o| web_origin_matches(o, &url)) {
                    if let Some(v) = self.views.get_mut(&slot) {
                        if v.status.web_views.len() < 1000 {
                            v.status.web_views.push(url.clone());
                        }
                    }
                    self.open_web(&url, allowlist, target);
                }
            }
            UiMsg::Ipc {
                view,
                uri,
                body,
                at,
            } => self.ipc(view, &uri, &body, at),
            UiMsg::Blocked { view, url } => {
                let allowed_web = self.views.values().find(|v| {
                    v.built.as_ref().is_some_and(|b| b.view == view)
                        && v.opts
                            .web_allowlist
                            .iter()
                            .any(|o| web_origin_matches(o, &url))
                });
                // The embedding app's delegate is offered it first, on the
                // app thread; what it leaves comes back as `OpenWeb`.
                if allowed_web.is_some() {
                    if let Some(v) = self.view_mut(view) {
                        v.tell(AppIn::OpenWeb(url));
                    }
                    return;
                }
                tracing::warn!(url, "navigation blocked");
                if let Some(v) = self.view_mut(view) {
                    if v.status.blocked.len() < 1000 {
                        v.status.blocked.push(url);
                    }
                }
            }
        }
    }

    fn view_mut(&mut self, view: u64) -> Option<&mut AppView> {
        self.views
            .values_mut()
            .find(|v| v.built.as_ref().is_some_and(|b| b.view == view))
    }

    fn command(&mut self, c: Command, target: &EventLoopWindowTarget<UiMsg>) {
        match c {
            Command::Open {
                opts,
                launch,
                reply,
            } => {
                // Without a key the window is not opened; the caller sees
                // its reply dropped.
                let Some(ui_key) = random_key() else {
                    return;
                };
                let slot = self.next_slot;
                self.next_slot += 1;
                self.had_window = true;
                let mut v = AppView {
                    opts,
                    launch,
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
                };
                // A known app gets its webview now, while its logic layer starts.
                if let Some(app) = v.opts.app.clone() {
                    match self.take_or_build(&app, &v.opts, target) {
                        Ok(b) => {
                            self.windows.insert(b.window.id(), slot);
                            v.built = Some(b);
                        }
                        Err(e) => v.status.failure = Some(e.to_string()),
                    }
                }
                v.start(slot, None, Map::new(), self.proxy.clone());
                self.views.insert(slot, v);
                let _ = reply.send(slot);
            }
            Command::Prewarm { app, user } => {
                let opts = OpenOptions {
                    user: user.clone(),
                    visible: false,
                    ..OpenOptions::default()
                };
                match self.build(&app, &opts, target) {
                    Ok(b) => {
                        self.pool.insert((app, user), b);
                    }
                    Err(e) => tracing::warn!("prewarm failed: {e}"),
                }
            }
            Command::Eval { slot, js, reply } => {
                let Some(b) = self.views.get(&slot).and_then(|v| v.built.as_ref()) else {
                    let _ = reply.send(Err(format!("window {slot} has no webview")));
                    return;
                };
                let tx = reply.clone();
                if let Err(e) = b.webview.evaluate_script_with_callback(&js, move |r| {
                    let _ = tx.send(Ok(r));
                }) {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
            Command::Screenshot { slot, path, reply } => {
                let Some(b) = self.views.get(&slot).and_then(|v| v.built.as_ref()) else {
                    let _ = reply.send(Err(format!("window {slot} has no webview")));
                    return;
                };
                crate::snapshot::png(&b.webview, path, reply);
            }
            Command::Status { slot, reply } => {
                let s = self.views.get(&slot).map(|v| {
                    let mut s = v.status.clone();
                    if let Some(b) = &v.built {
                        if let Ok(served) = b.served.lock() {
                            s.refused_requests = served.refused.clone();
                            s.pulled_patches = served.pulled;
                        }
                    }
                    s
                });
                let _ = reply.send(s);
            }
            Command::Reload { slot } => {
                if let Some(v) = self.views.get_mut(&slot) {
                    v.reload = true;
                    v.questions.clear();
                    v.tell(AppIn::Close);
                }
            }
            Command::Visible { slot, visible } => {
                if let Some(v) = self.views.get_mut(&slot) {
                    if let Some(b) = &v.built {
                        b.window.set_visible(visible);
                    }
                    v.tell(AppIn::Visible(visible));
                }
            }
            Command::Close { slot } => self.close(slot),
            Command::Bare { reply } => self.bare(reply, target),
            Command::Exit => self.exit = true,
        }
    }

    fn take_or_build(
        &mut self,
        app: &AppId,
        opts: &OpenOptions,
        target: &EventLoopWindowTarget<UiMsg>,
    ) -> Result<Built, WebviewError> {
        if let Some(b) = self.pool.remove(&(app.clone(), opts.user.clone())) {
            b.window.set_title(&opts.title);
            b.window
                .set_inner_size(LogicalSize::new(opts.width, opts.height));
            b.window.set_visible(opts.visible);
            return Ok(b);
        }
        self.build(app, opts, target)
    }

    /// A window and webview for `app`: its own data directory, the mpkit://
    /// protocol bound to it, IPC, and every way out blocked.
    fn build(
        &mut self,
        app: &AppId,
        opts: &OpenOptions,
        target: &EventLoopWindowTarget<UiMsg>,
    ) -> Result<Built, WebviewError> {
        let view = self.next_view;
        self.next_view += 1;
        let window = WindowBuilder::new()
            .with_title(&opts.title)
            .with_inner_size(LogicalSize::new(opts.width, opts.height))
            .with_visible(opts.visible)
            .build(target)
            .map_err(|e| WebviewError::Window(e.to_string()))?;
        // One web context per (app, user), kept for the life of the UI
        // thread: WebKit keeps a context's network process until exit, so
        // reopening an app reuses it instead of starting another.
        let key = (app.clone(), opts.user.clone());
        let in_use = self
            .views
            .values()
            .filter_map(|v| v.built.as_ref())
            .chain(self.pool.values());
        if let Some((_, served)) = self.contexts.get(&key) {
            if in_use.clone().any(|b| Arc::ptr_eq(&b.served, served)) {
                return Err(WebviewError::Failed(format!(
                    "{app} is already open for this user"
                )));
            }
        }
        let fresh = !self.contexts.contains_key(&key);
        if fresh {
            let dir = data_dir(&self.config.data_dir, &opts.user, app);
            std::fs::create_dir_all(&dir).map_err(|e| WebviewError::Io(dir.clone(), e))?;
            let served = Arc::new(Mutex::new(Served {
                app: app.clone(),
                dir: None,
                css: HashMap::new(),
                pulls: HashMap::new(),
                pulled: 0,
                refused: Vec::new(),
            }));
            self.contexts
                .insert(key.clone(), (WebContext::new(Some(dir)), served));
        }
        let Some((context, served)) = self.contexts.get_mut(&key) else {
            return Err(WebviewError::Window("no web context".into()));
        };
        let served = served.clone();
        if let Ok(mut s) = served.lock() {
            s.dir = None;
            s.css.clear();
            s.pulls.clear();
            s.refused.clear();
        }
        let for_protocol = served.clone();
        let ipc_proxy = self.proxy.clone();
        let nav_proxy = self.proxy.clone();
        let win_proxy = self.proxy.clone();
        let nav_app = app.clone();
        let mut builder = WebViewBuilder::new_with_web_context(context);
        // The scheme belongs to the context: registered once, with this
        // context's `Served`.
        if fresh {
            builder = builder.with_asynchronous_custom_protocol(
                protocol::SCHEME.into(),
                move |_id, req: Request<Vec<u8>>, responder| {
                    serve_async(&for_protocol, req.uri().to_string(), responder)
                },
            );
        }
        let builder = builder
            .with_ipc_handler(move |req: Request<String>| {
                let at = Instant::now();
                let uri = req.uri().to_string();
                let _ = ipc_proxy.send_event(UiMsg::Ipc {
                    view,
                    uri,
                    body: req.into_body(),
                    at,
                });
            })
            .with_navigation_handler(move |url| {
                let ok = protocol::navigation_allowed(&url, &nav_app);
                if !ok {
                    let _ = nav_proxy.send_event(UiMsg::Blocked { view, url });
                }
                ok
            })
            .with_new_window_req_handler(move |url, _| {
                let _ = win_proxy.send_event(UiMsg::Blocked { view, url });
                NewWindowResponse::Deny
            })
            .with_download_started_handler(|_, _| false)
            .with_permission_handler(|_| PermissionResponse::Deny)
            .with_clipboard(false)
            .with_hotkeys_zoom(false)
            .with_devtools(opts.devtools)
            .with_url(protocol::shell_url(app));
        let vbox = window
            .default_vbox()
            .ok_or_else(|| WebviewError::Window("the window has no container".into()))?;
        let webview = builder
            .build_gtk(vbox)
            .map_err(|e| WebviewError::Window(e.to_string()))?;
        if opts.devtools {
            webview.open_devtools();
        }
        Ok(Built {
            view,
            window,
            webview,
            served,
            ready: false,
        })
    }

    fn launched(
        &mut self,
        slot: Slot,
        app: AppId,
        dir: PathBuf,
        target: &EventLoopWindowTarget<UiMsg>,
    ) {
        let Some(mut v) = self.views.remove(&slot) else {
            return;
        };
        v.status.app = Some(app.clone());
        if let Some(b) = &v.built {
            if b.served.lock().map(|s| s.app != app).unwrap_or(true) {
                v.status.failure = Some(format!(
                    "the launched app {app} is not the app the window was opened for"
                ));
                v.tell(AppIn::Close);
                self.views.insert(slot, v);
                return;
            }
        } else {
            let opts = v.opts.clone();
            match self.take_or_build(&app, &opts, target) {
                Ok(b) => {
                    self.windows.insert(b.window.id(), slot);
                    v.built = Some(b);
                }
                Err(e) => {
                    v.status.failure = Some(e.to_string());
                    v.tell(AppIn::Close);
                    self.views.insert(slot, v);
                    return;
                }
            }
        }
        if let Some(b) = &v.built {
            if let Ok(mut s) = b.served.lock() {
                s.dir = Some(dir);
                s.css.extend(v.early_css.drain());
                s.pulls.extend(v.early_pulls.drain());
            }
        }
        self.views.insert(slot, v);
        self.flush(slot);
    }

    fn flush(&mut self, slot: Slot) {
        let Some(v) = self.views.get_mut(&slot) else {
            return;
        };
        let Some(b) = &v.built else { return };
        if !b.ready {
            return;
        }
        for s in std::mem::take(&mut v.scripts) {
            if let Err(e) = b.webview.evaluate_script(&s) {
                tracing::warn!("evaluate_script: {e}");
            }
        }
    }

    fn ipc(&mut self, view: u64, uri: &str, body: &str, at: Instant) {
        // Pooled webviews say "ready" before any window owns them.
        if let Some(b) = self.pool.values_mut().find(|b| b.view == view) {
            if body.contains("\"ready\"") {
                let app = b.served.lock().map(|s| s.app.clone()).ok();
                if app.is_some_and(|a| uri == protocol::shell_url(&a)) {
                    b.ready = true;
                }
            }
            return;
        }
        let Some(slot) = self
            .views
            .iter()
            .find(|(_, v)| v.built.as_ref().is_some_and(|b| b.view == view))
            .map(|(s, _)| *s)
        else {
            return;
        };
        let Some(v) = self.views.get_mut(&slot) else {
            return;
        };
        let Some(app) = v
            .built
            .as_ref()
            .and_then(|b| b.served.lock().ok().map(|s| s.app.clone()))
        else {
            return;
        };
        // Only the app's own shell, in the top frame, speaks.
        if uri != protocol::shell_url(&app) {
            v.status.rejected_ipc += 1;
            tracing::warn!(uri, "IPC from another origin refused");
            return;
        }
        let msg: FromView = match serde_json::from_str(body) {
            Ok(m) => m,
            Err(e) => {
                v.status.rejected_ipc += 1;
                tracing::warn!("malformed IPC refused: {e}");
                return;
            }
        };
        let key_ok = |v: &AppView, page: PageId, key: &str| {
            v.stack.last().map(|(p, _)| *p) == Some(page)
                && v.keys.get(&page).is_some_and(|k| k == key)
        };
        match msg {
            FromView::Ready => {
                if let Some(b) = &mut v.built {
                    b.ready = true;
                }
                self.flush(slot);
            }
            FromView::Painted => {
                if v.status.first_paint.is_none() {
                    v.status.first_paint = Some(v.opened_at.elapsed());
                }
            }
            FromView::Applied { seq, rtt } => {
                if let Some(f) = v.sent.remove(&seq) {
                    if let Some(e) = v.event_at.filter(|e| f.sent >= *e) {
                        v.event_at = None;
                        if v.status.event_trips.len() < 100_000 {
                            v.status.event_trips.push(at.saturating_duration_since(e));
                        }
                    }
                    if v.status.applied.len() < 100_000 {
                        v.status
                            .applied
                            .push((f.bytes, at.saturating_duration_since(f.sent)));
                        v.status.apply_stages.push(ApplyStages {
                            to_ui_thread: f.taken.saturating_duration_since(f.sent),
                            on_ui_thread: f.handed.saturating_duration_since(f.taken),
                            in_web_process: at.saturating_duration_since(f.handed),
                        });
                    }
                }
                if let Some(ms) = rtt.filter(|m| m.is_finite() && *m >= 0.0) {
                    if v.status.round_trips.len() < 100_000 {
                        v.status.round_trips.push(ms);
                    }
                }
            }
            FromView::Event {
                page,
                key,
                kind,
                target,
                detail,
            } => {
                if !key_ok(v, page, &key) {
                    v.status.rejected_ipc += 1;
                    return;
                }
                v.event_at = Some(at);
                v.tell(AppIn::Event {
                    page,
                    target,
                    kind,
                    detail,
                });
            }
            FromView::Back { page, key } => {
                if key_ok(v, page, &key) {
                    v.tell(AppIn::Back(page));
                } else {
                    v.status.rejected_ipc += 1;
                }
            }
            FromView::Tab { page, key, path } => {
                if key_ok(v, page, &key) {
                    v.tell(AppIn::Tab(path));
                } else {
                    v.status.rejected_ipc += 1;
                }
            }
            FromView::ReachBottom { page, key } => {
                if key_ok(v, page, &key) {
                    v.tell(AppIn::ReachBottom(page));
                } else {
                    v.status.rejected_ipc += 1;
                }
            }
            FromView::Ui { id, key, reply } => {
                if key != v.ui_key {
                    v.status.rejected_ipc += 1;
                    return;
                }
                if let Some(tx) = v.questions.remove(&id) {
                    let _ = tx.send(reply);
                }
                v.status.open_questions = v.questions.len();
            }
            FromView::ViewError { message } => {
                tracing::warn!(slot, "view script: {message}");
                if v.status.view_errors.len() < 1000 {
                    v.status.view_errors.push(message);
                }
            }
        }
    }

    fn ended(&mut self, slot: Slot, route: Option<String>, query: Map<String, Value>) {
        let Some(v) = self.views.get_mut(&slot) else {
            return;
        };
        v.to_app = None;
        // Unanswered questions are cancelled by dropping their senders.
        v.questions.clear();
        v.status.open_questions = 0;
        if v.closing {
            self.drop_view(slot);
            return;
        }
        if v.reload {
            v.reload = false;
            v.keys.clear();
            v.stack.clear();
            v.status.first_paint = None;
            v.status.failure = None;
            v.opened_at = Instant::now();
            v.sent.clear();
            if let Some(b) = &v.built {
                if let Ok(mut s) = b.served.lock() {
                    s.pulls.clear();
                    s.css.clear();
                }
            }
            v.run("__mpkit.reset()".into());
            v.start(slot, route, query, self.proxy.clone());
        }
    }

    fn close(&mut self, slot: Slot) {
        let Some(v) = self.views.get_mut(&slot) else {
            return;
        };
        v.closing = true;
        // A question nobody will answer is cancelled now, so an app thread
        // waiting on one reads the close at once.
        v.questions.clear();
        v.tell(AppIn::Close);
        if v.to_app.is_none() {
            self.drop_view(slot);
        }
    }

    fn drop_view(&mut self, slot: Slot) {
        if let Some(v) = self.views.remove(&slot) {
            if let Some(b) = v.built {
                self.windows.remove(&b.window.id());
            }
        }
    }

    fn close_window(&mut self, id: WindowId) {
        if self.web_windows.remove(&id).is_some() {
            return;
        }
        if let Some(slot) = self.windows.get(&id).copied() {
            self.close(slot);
        }
    }

    fn open_web(
        &mut self,
        url: &str,
        allowlist: Vec<String>,
        target: &EventLoopWindowTarget<UiMsg>,
    ) {
        // A plain window: no mpkit:// protocol, no IPC, and private browsing,
        // so nothing it stores outlives it or reaches another web window. It
        // stays on the allowlisted origins it was opened for.
        let Ok(window) = WindowBuilder::new().with_title(url).build(target) else {
            return;
        };
        let Some(vbox) = window.default_vbox() else {
            return;
        };
        match WebViewBuilder::new()
            .with_url(url)
            .with_incognito(true)
            .with_navigation_handler(move |to| {
                let ok = allowlist.iter().any(|o| web_origin_matches(o, &to));
                if !ok {
                    tracing::warn!(
                        url = to,
                        "web-view window: navigation off its allowlist blocked"
                    );
                }
                ok
            })
            .with_new_window_req_handler(|_, _| NewWindowResponse::Deny)
            .with_download_started_handler(|_, _| false)
            .build_gtk(vbox)
        {
            Ok(w) => {
                self.web_windows.insert(window.id(), (window, w));
            }
            Err(e) => tracing::warn!("web-view window: {e}"),
        }
    }

    fn bare(
        &mut self,
        reply: mpsc::Sender<Result<Duration, String>>,
        target: &EventLoopWindowTarget<UiMsg>,
    ) {
        self.bare = None;
        let start = Instant::now();
        let window = match WindowBuilder::new()
            .with_title("hello")
            .with_inner_size(LogicalSize::new(375, 667))
            .build(target)
        {
            Ok(w) => w,
            Err(e) => {
                let _ = reply.send(Err(e.to_string()));
                return;
            }
        };
        let Some(vbox) = window.default_vbox() else {
            let _ = reply.send(Err("no container".into()));
            return;
        };
        let tx = reply.clone();
        let built = WebViewBuilder::new()
            .with_html(
                "<!doctype html><p>Hello</p><script>requestAnimationFrame(()=>requestAnimationFrame(()=>window.ipc.postMessage('painted')))</script>",
            )
            .with_ipc_handler(move |_| {
                let _ = tx.send(Ok(start.elapsed()));
            })
            .build_gtk(vbox);
        match built {
            Ok(w) => self.bare = Some((window, w)),
            Err(e) => {
                let _ = reply.send(Err(e.to_string()));
            }
        }
    }

    fn shutdown(&mut self) {
        let slots: Vec<Slot> = self.views.keys().copied().collect();
        for s in slots {
            if let Some(v) = self.views.get_mut(&s) {
                v.tell(AppIn::Close);
            }
        }
        self.views.clear();
        self.pool.clear();
        self.web_windows.clear();
        self.bare = None;
    }
}

/// Whether `url` is on the allowlisted origin `origin` (exact scheme, host
/// and port; https only).
fn web_origin_matches(origin: &str, url: &str) -> bool {
    let Some(rest) = url.strip_prefix(origin) else {
        return false;
    };
    origin.starts_with("https://")
        && (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
}

/// The app thread's stack: reserved address space, touched only as used.
const APP_THREAD_STACK: usize = 64 * 1024 * 1024;

/// Patches (and scripts) one window may have in flight before its mini
/// program is stopped for flooding the UI thread.
const MAX_IN_FLIGHT: usize = 4096;

impl AppView {
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
    fn run(&mut self, script: String) {
        match &self.built {
            Some(b) if b.ready && self.scripts.is_empty() => {
                if let Err(e) = b.webview.evaluate_script(&script) {
                    tracing::warn!("evaluate_script: {e}");
                }
            }
            _ => self.scripts.push(script),
        }
    }

    fn tell(&mut self, m: AppIn) {
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
    fn start(
        &mut self,
        slot: Slot,
        route: Option<String>,
        query: Map<String, Value>,
        proxy: EventLoopProxy<UiMsg>,
    ) {
        let (tx, rx) = mpsc::channel();
        self.to_app = Some(tx);
        self.status.launches += 1;
        let launch = self.launch.clone();
        let user = self.opts.user.clone();
        let overlay = self.opts.overlay_errors;
        let spawned = std::thread::Builder::new()
            .name(format!("mpkit-app-{slot}"))
            // In thread isolation the mini program's JS runs here, and boa's
            // parser and interpreter recurse deeply (more so in debug builds).
            .stack_size(APP_THREAD_STACK)
            .spawn(move || app_thread(slot, launch, (route, query), user, overlay, rx, proxy));
        if let Err(e) = spawned {
            self.status.failure = Some(format!("cannot start the app thread: {e}"));
            self.to_app = None;
        }
    }
}

/// Runs [`app_loop`]; a panic in it (a bug, never the mini program's JS,
/// which runs in its worker) still tells the window the app has ended.
fn app_thread(
    slot: Slot,
    launch: LaunchFn,
    at: (Option<String>, Map<String, Value>),
    user: String,
    overlay: bool,
    rx: mpsc::Receiver<AppIn>,
    proxy: EventLoopProxy<UiMsg>,
) {
    let p = proxy.clone();
    let run =
        std::panic::AssertUnwindSafe(move || app_loop(slot, launch, at, user, overlay, rx, proxy));
    if std::panic::catch_unwind(run).is_err() {
        let _ = p.send_event(UiMsg::Failed {
            slot,
            message: "the mini program's host thread failed".into(),
        });
        let _ = p.send_event(UiMsg::Ended {
            slot,
            route: None,
            query: Map::new(),
        });
    }
}

/// The app thread: launches, then turns UI messages into runtime calls and
/// pumps timers and network results between them.
fn app_loop(
    slot: Slot,
    launch: LaunchFn,
    (route, query): (Option<String>, Map<String, Value>),
    user: String,
    overlay: bool,
    rx: mpsc::Receiver<AppIn>,
    proxy: EventLoopProxy<UiMsg>,
) {
    let ctx = LaunchContext {
        surface: WebviewSurface::new(slot, proxy.clone()),
        route,
        query,
        user,
        link: UiLink::new(slot, proxy.clone(), overlay),
    };
    let mut handle = match launch(ctx) {
        Ok(h) => h,
        Err(e) => {
            let message = match &e {
                HostError::Launch(l) => format!("launch failed: {l}"),
                other => other.to_string(),
            };
            let _ = proxy.send_event(UiMsg::Failed { slot, message });
            let _ = proxy.send_event(UiMsg::Ended {
                slot,
                route: None,
                query: Map::new(),
            });
            return;
        }
    };
    let _ = proxy.send_event(UiMsg::Launched {
        slot,
        app: handle.app_id().clone(),
        dir: handle.bundle_dir().to_owned(),
    });
    loop {
        let next = handle.pump();
        if handle.stopped().is_some() {
            // The delegate already told the window; wait for it to close us.
            match rx.recv() {
                Ok(AppIn::Close) | Err(_) => break,
                Ok(_) => continue,
            }
        }
        let wait = next
            .map(|n| n.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(3600));
        let msg = match rx.recv_timeout(wait) {
            Ok(m) => m,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        // An event for a page that is no longer on top (a navigation raced
        // the tap) is dropped: it must not fire on the page that replaced it.
        let top = handle.surface().top();
        match msg {
            AppIn::Event {
                page,
                target,
                kind,
                detail,
            } => {
                if top == Some(page) {
                    handle.dispatch(target, kind, detail);
                }
            }
            AppIn::Back(page) => {
                if top == Some(page) {
                    handle.back(1);
                }
            }
            AppIn::Tab(route) => {
                if let Err(e) = handle.switch_tab(&route) {
                    tracing::warn!(slot, "tab: {e}");
                }
            }
            AppIn::ReachBottom(page) => {
                if top == Some(page) {
                    handle.reach_bottom();
                }
            }
            AppIn::Visible(true) => handle.show(),
            AppIn::Visible(false) => handle.hide(),
            AppIn::OpenWeb(url) => {
                if !handle.offer_web_view(&url) {
                    let _ = proxy.send_event(UiMsg::OpenWeb { slot, url });
                }
            }
            AppIn::Close => break,
        }
    }
    let route = handle.current_page().map(str::to_owned);
    let query = handle.current_query().cloned().unwrap_or_default();
    handle.close();
    let _ = proxy.send_event(UiMsg::Ended { slot, route, query });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_web_view_url_must_be_on_an_allowlisted_https_origin_exactly() {
        let o = "https://pay.example.com";
        for ok in [
            "https://pay.example.com",
            "https://pay.example.com/",
            "https://pay.example.com/checkout?id=1",
            "https://pay.example.com?x=1",
        ] {
            assert!(web_origin_matches(o, ok), "{ok}");
        }
        for refused in [
            "https://pay.example.com.evil.com/",
            "https://pay.example.com@evil.com/",
            "https://pay.example.com:8443/",
            "http://pay.example.com/",
            "https://PAY.example.com/",
            "https://evil.com/https://pay.example.com/",
            "javascript:alert(1)",
            "",
        ] {
            assert!(!web_origin_matches(o, refused), "{refused}");
        }
        // An allowlist entry that is not https allows nothing.
        assert!(!web_origin_matches(
            "http://pay.example.com",
            "http://pay.example.com/"
        ));
    }

    #[test]
    fn each_user_and_app_has_a_data_directory_named_the_same_by_every_build() {
        let app = AppId::new("2021000000000001").expect("app");
        let root = Path::new("/data");
        // SHA-256 of "dave", first 16 bytes: the same on every toolchain.
        assert_eq!(
            data_dir(root, "dave", &app),
            Path::new("/data/u61ea0803f8853523b777d414ace3130c/2021000000000001")
        );
        assert_ne!(data_dir(root, "erin", &app), data_dir(root, "dave", &app));
        let other = AppId::new("2021000000000002").expect("app");
        assert_ne!(data_dir(root, "dave", &other), data_dir(root, "dave", &app));
    }
}
