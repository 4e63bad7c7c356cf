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

mod app;
mod app_thread;
mod app_view;
mod chrome;
mod driver;
mod error;
mod ipc;
mod msg;
mod serve;
mod surface;
mod ui;
mod window;

pub mod devices;
pub mod protocol;
pub mod snapshot;

pub use app::{WebviewApp, WebviewConfig};
pub use chrome::{ChromeDelegate, UiLink};
pub use driver::{Driver, LaunchFn};
pub use error::WebviewError;
pub use msg::{ApplyStages, OpenOptions, Slot, Status};
pub use surface::{LaunchContext, WebviewSurface};
