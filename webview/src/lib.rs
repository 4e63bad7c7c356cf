//! # mpkit-webview
//!
//! The webview surface: mini program pages in wry/tao, bundles served over
//! `mpkit://<appId>/...`, and the local preview.
//!
//! **Invariant**: a page is only ever what the render core produced, served
//! from the app's own verified tree; nothing in a webview can name another
//! app, a file outside the bundle, or a URL outside `mpkit://<appId>/`; and
//! only the app's own shell, in its top frame, with its page's random key,
//! reaches the mini program. Webviews stay on the UI thread; app threads
//! reach it only through `EventLoopProxy`.
#![warn(missing_docs)]

//!
//! The crate root is the whole public API; the modules are private. Which
//! file holds what is in `docs/webview.md` ("The crate, file by file").

mod app;
mod app_thread;
mod app_view;
mod chrome;
mod devices;
mod driver;
mod error;
mod ipc;
mod msg;
mod protocol;
mod serve;
mod snapshot;
mod surface;
mod ui;
mod window;

pub use app::{WebviewApp, WebviewConfig};
pub use chrome::{ChromeDelegate, UiLink};
pub use devices::{find_device, Device, DEVICES};
pub use driver::{Driver, LaunchFn};
pub use error::WebviewError;
pub use msg::{ApplyStages, OpenOptions, Slot, Status};
pub use snapshot::{describe_png, PngFacts};
pub use surface::{LaunchContext, WebviewSurface};
