//! [`Driver`]: the `Send` handle that other threads (tests, the preview's
//! file watcher, benchmarks, an embedding app's own threads) use to open
//! windows, evaluate JS, take screenshots, reload and exit. Each request is a
//! [`Command`] posted to the UI thread; those that answer carry a reply
//! channel.

use crate::app_thread;
use crate::error::WebviewError;
use crate::msg::{recv_reply, Command, OpenOptions, Slot, Status, UiMsg};
use crate::surface::{LaunchContext, WebviewSurface};
use mpkit_bundle::AppId;
use mpkit_host::{AppHandle, HostError};
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tao::event_loop::EventLoopProxy;

/// Builds and launches the mini program on its app thread. Called again on
/// each live reload, so it is `Fn`.
pub type LaunchFn =
    Arc<dyn Fn(LaunchContext) -> Result<AppHandle<WebviewSurface>, HostError> + Send + Sync>;

/// A `Send` handle to a running [`crate::WebviewApp`], for other threads: tests,
/// the preview's file watcher, benchmarks.
#[derive(Debug, Clone)]
pub struct Driver {
    proxy: EventLoopProxy<UiMsg>,
}

impl Driver {
    pub(crate) fn new(proxy: EventLoopProxy<UiMsg>) -> Driver {
        Driver { proxy }
    }

    fn cmd(&self, c: Command) -> Result<(), WebviewError> {
        self.proxy
            .send_event(UiMsg::Command(c))
            .map_err(|_| WebviewError::Closed)
    }

    /// Opens a window and launches a mini program in it.
    pub fn open(&self, opts: OpenOptions, launch: LaunchFn) -> Result<Slot, WebviewError> {
        let (reply, rx) = mpsc::channel();
        self.cmd(Command::Open {
            opts,
            start: app_thread::starter(move |ctx| launch(ctx)),
            reply,
        })?;
        recv_reply(&rx, Duration::from_secs(30), "opening a window")
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
        recv_reply(&rx, Duration::from_secs(20), "evaluating script")?.map_err(WebviewError::Failed)
    }

    /// The window's status, or `None` once it is closed.
    pub fn status(&self, slot: Slot) -> Result<Option<Status>, WebviewError> {
        let (reply, rx) = mpsc::channel();
        self.cmd(Command::Status { slot, reply })?;
        recv_reply(&rx, Duration::from_secs(20), "status")
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
        recv_reply(&rx, Duration::from_secs(30), "the screenshot")?.map_err(WebviewError::Failed)
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
    /// window to its first paint. The peer figure for first render; a
    /// benchmark's probe, so only with the `bench` feature.
    #[cfg(feature = "bench")]
    pub fn bare_first_paint(&self) -> Result<Duration, WebviewError> {
        let (reply, rx) = mpsc::channel();
        self.cmd(Command::Bare { reply })?;
        recv_reply(&rx, Duration::from_secs(30), "a bare webview")?.map_err(WebviewError::Failed)
    }

    /// Ends the event loop: `WebviewApp::run` returns.
    pub fn exit(&self) -> Result<(), WebviewError> {
        self.cmd(Command::Exit)
    }
}
