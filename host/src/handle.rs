//! [`AppHandle`]: one running mini program, as the embedding app holds it.

use crate::delegate::HostDelegate;
use crate::logic::Stopped;
use crate::runtime::{AutomationError, Runtime};
use crate::surface::Surface;
use mpkit_bundle::AppId;
use mpkit_render::events::EventKind;
use mpkit_render::vdom::NodeId;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// One running mini program: its page stack, its logic layer and the surface
/// that shows it. Events reach it through [`AppHandle::dispatch`] (or `tap`,
/// `input` and friends in tests and tools); what the mini program does shows
/// on the surface; errors and a stop are told to the host's delegate.
///
/// ```
/// use mpkit_bundle::{SecretKey, Trust};
/// use mpkit_host::{Host, LaunchSource};
/// use mpkit_host::{Isolation, ThreadOptIn};
/// use mpkit_host::HeadlessSurface;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // A mini program directory, as a developer has it.
/// let dir = tempfile::tempdir()?;
/// let app = dir.path().join("counter");
/// std::fs::create_dir_all(app.join("pages/index"))?;
/// std::fs::write(
///     app.join("app.json"),
///     r#"{"appId": "2021000000000001", "name": "Counter", "version": "1.0.0",
///        "pages": ["pages/index/index"]}"#,
/// )?;
/// std::fs::write(app.join("app.js"), "App({});")?;
/// std::fs::write(
///     app.join("pages/index/index.axml"),
///     r#"<text id="n">{{n}}</text><button id="inc" onTap="inc">+</button>"#,
/// )?;
/// std::fs::write(
///     app.join("pages/index/index.js"),
///     "Page({ data: { n: 0 }, inc() { this.setData({ n: this.data.n + 1 }); } });",
/// )?;
/// // A dev-mode host: a directory is packed and signed with a throwaway key
/// // as it launches; bundles must still be signed by a trusted key.
/// let key = SecretKey::generate()?;
/// let host = Host::builder()
///     .trust(Trust::Developer(vec![key.public().clone()]))
///     .storage_dir(dir.path().join("store"))
///     .isolation(Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED))
///     .dev_mode(true)
///     .build()?;
/// let mut handle = host.launch(
///     LaunchSource::DevDir(app),
///     "user-42",
///     Default::default(),
///     HeadlessSurface::new(),
/// )?;
/// assert_eq!(handle.current_page(), Some("pages/index/index"));
/// handle.tap("#inc")?;
/// assert_eq!(handle.surface().text("#n")?, Some("1".to_string()));
/// handle.hide(); // the wallet went to the background: onHide
/// handle.show(); // and back: onShow
/// assert!(handle.stopped().is_none());
/// handle.close(); // every page unloads
/// # Ok(()) }
/// ```
pub struct AppHandle<S: Surface> {
    runtime: Runtime<S>,
    dir: PathBuf,
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
    /// Wraps a launched runtime, and tells the delegate what went wrong at launch.
    pub(crate) fn new(
        runtime: Runtime<S>,
        dir: PathBuf,
        app: AppId,
        user: String,
        delegate: Rc<dyn HostDelegate>,
    ) -> AppHandle<S> {
        let mut handle = AppHandle {
            runtime,
            dir,
            app,
            user,
            delegate,
            reported: 0,
            stop_reported: false,
        };
        handle.report();
        handle
    }

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

    /// The verified, installed bundle tree it runs from. A surface serves the
    /// page's static assets from here and nowhere else.
    pub fn bundle_dir(&self) -> &Path {
        &self.dir
    }

    /// The user chose a tab of the surface's tabBar.
    pub fn switch_tab(&mut self, route: &str) -> Result<(), String> {
        let r = self.runtime.switch_tab(route);
        self.report();
        r
    }

    /// The host user it runs for.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The top page's route.
    pub fn current_page(&self) -> Option<&str> {
        self.runtime.route()
    }

    /// Offers an allowlisted web-view URL to the embedding app's delegate;
    /// true when it showed the page itself.
    pub fn offer_web_view(&self, url: &str) -> bool {
        self.delegate.open_web_view(&self.app, url)
    }

    /// The query the current page was opened with.
    pub fn current_query(&self) -> Option<&serde_json::Map<String, Value>> {
        self.runtime.query()
    }

    /// The surface.
    pub fn surface(&self) -> &S {
        self.runtime.surface()
    }

    /// The top page's error state, if any.
    pub fn page_error(&self) -> Option<&crate::surface::ErrorView> {
        self.runtime.page_error()
    }

    /// The text of the first element matching `selector` on the top page.
    pub fn text(&self, selector: &str) -> Result<String, AutomationError> {
        self.runtime.text(selector)
    }

    /// The top page as HTML, with its error state if any.
    pub fn html(&self) -> String {
        self.runtime.html()
    }

    /// Routes on the page stack, bottom first.
    pub fn routes(&self) -> Vec<String> {
        self.runtime.routes()
    }

    /// Every error the mini program met so far (uncaught, templates,
    /// navigation, a stop), each with its file, line and column. What
    /// `mpkit run` exits 1 on.
    pub fn errors(&self) -> &[crate::logic::protocol::ScriptError] {
        self.runtime.errors()
    }

    /// What was accepted with a warning so far, each with its kind
    /// (`rejection` for an unhandled promise rejection, as Alipay counts it;
    /// `project`, `view`, ...), file, line and column. Never an error.
    pub fn warnings(&self) -> &[crate::logic::protocol::ScriptError] {
        self.runtime.warnings()
    }

    /// The mini program's console output so far, as (level, text).
    pub fn console(&self) -> &[(String, String)] {
        self.runtime.console()
    }

    /// Every host call the mini program made so far, and how it ended.
    pub fn calls(&self) -> &[crate::runtime::CallRecord] {
        self.runtime.calls()
    }

    /// setData calls of at least [`crate::LARGE_SET_DATA_BYTES`] so far.
    pub fn large_set_data(&self) -> &[crate::runtime::SetDataRecord] {
        self.runtime.large_set_data()
    }

    /// Async calls still in flight (network).
    pub fn in_flight(&self) -> usize {
        self.runtime.in_flight()
    }

    /// One-shot timers (`setTimeout`) due within `d`.
    pub fn timeouts_due_within(&self, d: std::time::Duration) -> usize {
        self.runtime.timeouts_due_within(d)
    }

    /// The top page's data as the mini program's view has it.
    pub fn data(&mut self) -> Option<Value> {
        self.runtime.data()
    }
    /// An event a surface reported at a node of the top page.
    pub fn dispatch(&mut self, target: NodeId, kind: EventKind, detail: Value) {
        self.runtime.dispatch(target, kind, detail);
        self.report();
    }

    /// Taps the first element matching a selector (tests, tools).
    pub fn tap(&mut self, selector: &str) -> Result<(), AutomationError> {
        let r = self.runtime.tap(selector);
        self.report();
        r
    }

    /// Fires an event of any kind at the first element matching a selector
    /// (tests, tools): what a surface reports, such as an `animationEnd`.
    pub fn fire(
        &mut self,
        selector: &str,
        kind: EventKind,
        detail: Value,
    ) -> Result<(), AutomationError> {
        let r = self.runtime.fire_at(selector, kind, detail);
        self.report();
        r
    }

    /// A finger on the first element matching a selector, through `points`
    /// (tests, tools): touchStart, touchMove…, touchEnd.
    pub fn touch(&mut self, selector: &str, points: &[(f64, f64)]) -> Result<(), AutomationError> {
        let r = self.runtime.touch(selector, points);
        self.report();
        r
    }

    /// Pumps timers and network results until an element matches `selector`.
    pub fn wait_for(
        &mut self,
        selector: &str,
        timeout: std::time::Duration,
    ) -> Result<(), AutomationError> {
        let r = self.runtime.wait_for(selector, timeout);
        self.report();
        r
    }

    /// Pumps until nothing is due within `horizon` and no call is in flight.
    pub fn run_until_idle(
        &mut self,
        horizon: std::time::Duration,
        timeout: std::time::Duration,
    ) -> bool {
        let r = self.runtime.run_until_idle(horizon, timeout);
        self.report();
        r
    }

    /// Types into the first element matching a selector (tests, tools).
    pub fn input(&mut self, selector: &str, value: &str) -> Result<(), AutomationError> {
        let r = self.runtime.input(selector, value);
        self.report();
        r
    }

    /// Pops `delta` pages.
    pub fn back(&mut self, delta: usize) {
        self.runtime.back(delta);
        self.report();
    }

    /// Fires due timers and delivers finished network calls; returns when it
    /// next has work (a timer, or a network call to poll), if ever.
    pub fn pump(&mut self) -> Option<std::time::Instant> {
        let next = self.runtime.pump();
        self.report();
        next
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
