//! [`WebviewApp`]: tao's event loop, which owns the thread `run` is called
//! on. Webviews never leave that thread; everything it does is in
//! [`crate::ui`], and other threads reach it through a [`Driver`].

use crate::driver::Driver;
use crate::error::WebviewError;
use crate::msg::UiMsg;
use crate::ui::Ui;
use std::path::PathBuf;
use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoop, EventLoopBuilder};
use tao::platform::run_return::EventLoopExtRunReturn;
use tao::platform::unix::EventLoopBuilderExtUnix;

/// How the UI thread runs.
#[derive(Debug, Clone)]
pub struct WebviewConfig {
    /// Root of the per-(user, app) webview data directories.
    pub data_dir: PathBuf,
    /// Whether the event loop ends when the last window closes.
    pub exit_when_closed: bool,
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
        Driver::new(self.event_loop.create_proxy())
    }

    /// Runs until [`Driver::exit`], or until the last window closes when
    /// `exit_when_closed` is set.
    pub fn run(mut self) {
        let proxy = self.event_loop.create_proxy();
        let mut ui = Ui::new(self.config.data_dir.clone(), proxy);
        let exit_when_closed = self.config.exit_when_closed;
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
            if ui.should_exit(exit_when_closed) {
                ui.shutdown();
                *flow = ControlFlow::Exit;
            }
        });
    }
}
