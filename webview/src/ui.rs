//! [`Ui`]: everything the UI thread owns. Every mini program window
//! ([`AppView`]), the pre-warmed webviews, one web context per (app, user),
//! the private web-view windows; and the routing of each [`UiMsg`] and
//! driver [`Command`] to them. IPC, navigation and protocol requests are
//! checked here, on the UI thread, before anything reaches an app thread.

use crate::app_view::AppView;
use crate::error::WebviewError;
use crate::ipc;
use crate::msg::{AppIn, Command, OpenOptions, Slot, UiMsg, ViewId};
use crate::serve::{data_dir, Served};
use crate::window::{self, web_origin_matches, Built};
use mpkit_bundle::AppId;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tao::dpi::LogicalSize;
use tao::event_loop::{EventLoopProxy, EventLoopWindowTarget};
use tao::window::{Window, WindowId};
use wry::{WebContext, WebView};

/// A web context and what its `mpkit://` handler serves.
type Context = (WebContext, Arc<Mutex<Served>>);

pub(crate) struct Ui {
    /// Root of the per-(user, app) webview data directories.
    data_dir: PathBuf,
    proxy: EventLoopProxy<UiMsg>,
    views: HashMap<Slot, AppView>,
    windows: HashMap<WindowId, Slot>,
    pool: HashMap<(AppId, String), Built>,
    /// Web contexts and what their protocol serves, per (app, user).
    contexts: HashMap<(AppId, String), Context>,
    web_windows: HashMap<WindowId, (Window, WebView)>,
    /// The last bare probe, dropped at the next one.
    #[cfg(feature = "bench")]
    bare: Option<(Window, WebView)>,
    next_slot: Slot,
    next_view: ViewId,
    exit: bool,
    had_window: bool,
}

impl Ui {
    pub(crate) fn new(data_dir: PathBuf, proxy: EventLoopProxy<UiMsg>) -> Ui {
        Ui {
            data_dir,
            proxy,
            views: HashMap::new(),
            windows: HashMap::new(),
            pool: HashMap::new(),
            contexts: HashMap::new(),
            web_windows: HashMap::new(),
            #[cfg(feature = "bench")]
            bare: None,
            next_slot: Slot::FIRST,
            next_view: ViewId::FIRST,
            exit: false,
            had_window: false,
        }
    }

    /// Whether the event loop should end: a driver asked, or the last window
    /// closed and `exit_when_closed` is set.
    pub(crate) fn should_exit(&self, exit_when_closed: bool) -> bool {
        self.exit || (exit_when_closed && self.had_window && self.views.is_empty())
    }

    pub(crate) fn handle(&mut self, m: UiMsg, target: &EventLoopWindowTarget<UiMsg>) {
        match m {
            UiMsg::Command(c) => self.command(c, target),
            UiMsg::PageShown {
                slot,
                page,
                chrome,
                css,
            } => {
                if let Some(v) = self.views.get_mut(&slot) {
                    v.page_shown(page, chrome, css);
                }
            }
            UiMsg::PageClosed { slot, page } => {
                if let Some(v) = self.views.get_mut(&slot) {
                    v.page_closed(page);
                }
            }
            UiMsg::Apply {
                slot,
                page,
                patch,
                bytes,
                sent,
            } => {
                if let Some(v) = self.views.get_mut(&slot) {
                    v.apply(page, patch, bytes, sent);
                }
            }
            UiMsg::PageError { slot, page, view } => {
                if let Some(v) = self.views.get_mut(&slot) {
                    v.page_error(page, view);
                }
            }
            UiMsg::Measure {
                slot,
                page,
                nodes,
                answer,
            } => {
                if let Some(v) = self.views.get_mut(&slot) {
                    let js = format!(
                        "__mpkit.measure({page},{})",
                        serde_json::to_string(&nodes).unwrap_or_else(|_| "[]".into())
                    );
                    v.ask(
                        js,
                        Box::new(move |text| answer.give(rects(&text, nodes.len()))),
                    );
                }
            }
            UiMsg::Canvas {
                slot,
                page,
                node,
                actions,
                reserve,
            } => {
                if let Some(v) = self.views.get_mut(&slot) {
                    v.run(format!("__mpkit.canvas({page},{node},{actions},{reserve})"));
                }
            }
            UiMsg::Ui {
                slot,
                request,
                reply,
            } => {
                if let Some(v) = self.views.get_mut(&slot) {
                    v.ui_request(request, reply);
                }
            }
            UiMsg::Launched { slot, app, dir } => {
                self.launched(slot, app, dir, target);
            }
            UiMsg::Failed { slot, message } => {
                if let Some(v) = self.views.get_mut(&slot) {
                    v.failed(message);
                }
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
                    if let Some((window, webview)) = window::open_web(&url, allowlist, target) {
                        self.web_windows.insert(window.id(), (window, webview));
                    }
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

    fn view_mut(&mut self, view: ViewId) -> Option<&mut AppView> {
        self.views
            .values_mut()
            .find(|v| v.built.as_ref().is_some_and(|b| b.view == view))
    }

    fn command(&mut self, c: Command, target: &EventLoopWindowTarget<UiMsg>) {
        match c {
            Command::Open { opts, start, reply } => {
                // Without a key the window is not opened; the caller sees
                // its reply dropped.
                let Some(ui_key) = ipc::random_key() else {
                    return;
                };
                let slot = self.next_slot;
                self.next_slot = slot.next();
                self.had_window = true;
                let mut v = AppView::new(slot, opts, start, ui_key);
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
                v.start(None, Map::new(), self.proxy.clone());
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
                crate::snapshot::png(&b.webview, path, move |r| {
                    let _ = reply.send(r);
                });
            }
            Command::Status { slot, reply } => {
                let _ = reply.send(self.views.get(&slot).map(AppView::status));
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
            #[cfg(feature = "bench")]
            Command::Bare { reply } => {
                self.bare = None;
                self.bare = window::bare(
                    move |r| {
                        let _ = reply.send(r);
                    },
                    target,
                );
            }
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
        self.next_view = view.next();
        let window = window::new_window(opts, target)?;
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
            let dir = data_dir(&self.data_dir, &opts.user, app);
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
        // The scheme belongs to the context: registered once, with this
        // context's `Served`.
        let protocol = fresh.then(|| served.clone());
        let webview = window::webview(&window, context, protocol, view, app, opts, &self.proxy)?;
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
        v.serve_from(dir);
        v.flush();
        self.views.insert(slot, v);
    }

    fn ipc(&mut self, view: ViewId, uri: &str, body: &str, at: Instant) {
        // Pooled webviews say "ready" before any window owns them.
        if let Some(b) = self.pool.values_mut().find(|b| b.view == view) {
            if body.contains("\"ready\"") {
                let app = b.served.lock().map(|s| s.app.clone()).ok();
                if app.is_some_and(|a| uri == crate::protocol::shell_url(&a)) {
                    b.ready = true;
                }
            }
            return;
        }
        let Some(v) = self.view_mut(view) else {
            return;
        };
        let Some(app) = v
            .built
            .as_ref()
            .and_then(|b| b.served.lock().ok().map(|s| s.app.clone()))
        else {
            return;
        };
        match ipc::read(&app, uri, body, &v.keys()) {
            Some(msg) => v.on_view_message(msg, at),
            None => v.status.rejected_ipc += 1,
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
            v.relaunch(route, query, self.proxy.clone());
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

    pub(crate) fn close_window(&mut self, id: WindowId) {
        if self.web_windows.remove(&id).is_some() {
            return;
        }
        if let Some(slot) = self.windows.get(&id).copied() {
            self.close(slot);
        }
    }

    pub(crate) fn shutdown(&mut self) {
        let slots: Vec<Slot> = self.views.keys().copied().collect();
        for s in slots {
            if let Some(v) = self.views.get_mut(&s) {
                v.tell(AppIn::Close);
            }
        }
        self.views.clear();
        self.pool.clear();
        self.web_windows.clear();
        #[cfg(feature = "bench")]
        {
            self.bare = None;
        }
    }
}

/// The page script's measurements (`[left, top, width, height, scrollLeft,
/// scrollTop]` or null per node) as rects; `None` if they do not read as
/// one per node.
fn rects(text: &str, n: usize) -> Option<Vec<mpkit_host::Rect>> {
    let rows: Vec<Option<[f64; 6]>> = serde_json::from_str(text).ok()?;
    if rows.len() != n {
        return None;
    }
    Some(
        rows.into_iter()
            .map(|r| {
                let [left, top, width, height, scroll_left, scroll_top] = r.unwrap_or_default();
                mpkit_host::Rect {
                    left,
                    top,
                    width,
                    height,
                    scroll_left,
                    scroll_top,
                }
            })
            .collect(),
    )
}
