//! # mpkit-host
//!
//! The embeddable mini program host: loads verified bundles from an
//! `mpkit_bundle::Store`, runs each mini program — its JS in boa, its
//! templates through the render core — in an isolation unit of its own
//! (a worker process, or the app's thread), and shows its pages on a
//! surface (a wry/tao webview, or a headless DOM).
//!
//! This crate root is the whole embedding API: `Host` and its builder, the
//! `AppHandle` of a running mini program, the `HostDelegate` an embedding
//! app implements, the `Surface` trait and its types, isolation and worker
//! settings, and the errors. The modules behind it (`logic`, `runtime`,
//! `apis`, `surface`) are not, and will never be, an API boundary.
//!
//! **Invariant**: only `host` spawns threads and processes; JS values never leave
//! their logic thread; what a mini program wrote (JS, templates, sjs) is only
//! ever parsed and run inside its isolation unit, and the host applies the
//! patch ops it sends under limits; a hostile mini program can only ever kill
//! itself; a host never runs a bundle that did not verify against its trust
//! anchor.
#![warn(missing_docs)]

mod apis;
mod delegate;
mod handle;
mod host;
mod logic;
mod runtime;
mod surface;
mod util;

pub use apis::net::{
    FixtureAnswer, Lookup, NetCall, NetConfig, NetFixtures, NetRefusal, NetShaper,
};
pub use apis::store::Grant;
pub use apis::{CustomApi, SystemInfo, ALWAYS_AVAILABLE};
pub use delegate::{
    Answers, DeviceRequest, HostDelegate, NoDelegate, PayResult, RecordingDelegate, UiReply,
    UiRequest,
};
pub use handle::AppHandle;
pub use host::{parse_dev_origin, Host, HostBuilder, HostError, LaunchSource};
pub use logic::protocol::ScriptError;
pub use logic::worker::{enter_if_worker, WorkerConfig, WORKER_ARG};
pub use logic::Stopped;
pub use mpkit_render::diff::PatchOp;
pub use mpkit_render::events::EventKind;
pub use mpkit_render::selector::SelectorError;
pub use mpkit_render::vdom::{DomNode, NodeId};
pub use runtime::{
    AutomationError, CallRecord, Isolation, LaunchError, SetDataRecord, ThreadOptIn,
    DEFAULT_RENDER_BUDGET, LARGE_SET_DATA_BYTES, MAX_PAGES,
};
pub use surface::headless::HeadlessSurface;
pub use surface::{
    page_html, CanvasAction, ErrorView, Measured, PageChrome, PageId, Rect, Surface, TabChrome,
    TabColors, CANVAS_ACTIONS,
};
pub use util::user_dir_name;

/// The runtime below the embedding API, for mpkit's own benchmarks
/// (`cargo xtask bench`) and this crate's integration tests: a mini program
/// launched from files without a `Host`, the logic layer alone, the JSAPI
/// setup. Not an API: it changes with the internals it exposes, and
/// `cargo xtask tidy` refuses any use of it outside `xtask` and `host/tests`.
#[doc(hidden)]
pub mod internals {
    pub use crate::apis::files::{Entry, Files};
    pub use crate::apis::store::{StorageInfo, UserData};
    pub use crate::apis::{setup, ApiEnv};
    pub use crate::logic::engine::{JsLimits, LogicLayer, MAX_SET_DATA_BYTES};
    pub use crate::logic::protocol::{FromLogic, ToLogic};
    pub use crate::runtime::files::{AppFiles, DirFiles, MemFiles};
    pub use crate::runtime::{LaunchOptions, Runtime};
    pub use crate::util::now_secs;
}
