//! Messages between the host and a logic layer. Only plain data crosses:
//! ids and JSON, so the same messages work across a thread or a process.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A page instance id.
pub type PageId = u64;

/// Host → logic layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ToLogic {
    /// Run `onLaunch` then `onShow`.
    AppLaunch {
        /// `{path, query}`.
        options: Value,
    },
    /// The embedding app showed the mini program.
    AppShow,
    /// The embedding app hid the mini program.
    AppHide,
    /// An error outside JS (a template, a missing page): run the app's `onError`.
    AppError {
        /// The message.
        message: String,
    },
    /// Create a page instance from its `Page()` options.
    PageCreate {
        /// New page id.
        page: PageId,
        /// Its route.
        route: String,
        /// Its query.
        query: Map<String, Value>,
    },
    /// The page stack changed (bottom first), for `getCurrentPages()`.
    Stack {
        /// Page ids.
        pages: Vec<PageId>,
    },
    /// Call a page lifecycle hook.
    PageHook {
        /// The page.
        page: PageId,
        /// `onLoad`, `onShow`, `onReady`, `onHide`, `onUnload`, `onPullDownRefresh`, `onReachBottom`.
        hook: String,
        /// Arguments.
        args: Vec<Value>,
    },
    /// Call an event handler.
    Event {
        /// The page.
        page: PageId,
        /// Method name.
        handler: String,
        /// The event object.
        event: Value,
        /// Where the template names the handler (`file:line:col`), for the
        /// error when the page has no such method; empty when unknown.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        site: String,
    },
    /// A timer fired.
    Timer {
        /// Timer id.
        id: u64,
        /// Whether it repeats.
        repeat: bool,
    },
    /// setData changes reached the surface; run these callbacks.
    Flushed {
        /// Callback ids.
        callbacks: Vec<u64>,
    },
    /// The answer to a host call.
    Reply {
        /// Call id.
        id: u64,
        /// Success or failure.
        ok: bool,
        /// The result or `{error, errorMessage}`.
        result: Value,
    },
}

/// Logic layer → host. Externally tagged (`{"setData": {...}}`), so it is
/// read across the worker pipe in one pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FromLogic {
    /// A page's data right after creation.
    InitialData {
        /// The page.
        page: PageId,
        /// `this.data`.
        data: Value,
    },
    /// `this.setData(patch)`, as a logic layer on the host's own thread sends
    /// it. It crosses a pipe as `setData`, and is read back as
    /// [`FromLogic::SetDataJson`].
    #[serde(skip_deserializing)]
    SetData {
        /// The page.
        page: PageId,
        /// Path keys and values.
        patch: Map<String, Value>,
        /// Callback id, 0 for none.
        callback: u64,
        /// The patch's serialized size in bytes (0 when not measured).
        #[serde(default)]
        size: usize,
    },
    /// `this.setData(patch)` as a worker sends it: the patch already JSON
    /// text, written straight from the JS value without building a `Value`
    /// or counting its size in a second pass. It crosses the pipe as
    /// `setData`, and the host keeps the text as it is, to read it straight
    /// into the page's data (`runtime::data::merge_patch`).
    #[serde(rename = "setData")]
    SetDataJson {
        /// The page.
        page: PageId,
        /// The patch, a JSON object.
        patch: RawPatch,
        /// Callback id, 0 for none.
        callback: u64,
        /// The patch's length in bytes.
        size: usize,
    },
    /// A call to the host: navigation or a JSAPI.
    Call {
        /// `navigate` or `jsapi`.
        kind: String,
        /// The API name.
        name: String,
        /// Parameters.
        params: Value,
        /// Call id for the reply.
        id: u64,
        /// Where the mini program made the call, as a JS stack (navigation
        /// only; empty otherwise).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        site: String,
    },
    /// A synchronous `my.*Sync` call was answered (for the call log).
    CallSync {
        /// The API name.
        name: String,
        /// Whether it succeeded.
        ok: bool,
        /// The error code when it failed.
        error: Option<i64>,
    },
    /// Start a timer.
    SetTimer {
        /// Timer id.
        id: u64,
        /// Delay in milliseconds.
        delay_ms: u64,
        /// Interval instead of timeout.
        repeat: bool,
    },
    /// Cancel a timer.
    ClearTimer {
        /// Timer id.
        id: u64,
    },
    /// `console.*`.
    Console {
        /// `debug`, `info`, `warn` or `error`.
        level: String,
        /// The formatted text.
        text: String,
    },
    /// An uncaught error or unhandled rejection.
    Error {
        /// What and where.
        error: ScriptError,
    },
}

/// An error in the mini program's code, with where it happened when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScriptError {
    /// `uncaught`, `rejection`, `syntax` or `limit`.
    pub kind: String,
    /// The message.
    pub message: String,
    /// The file, relative to the bundle root.
    pub file: String,
    /// Line from 1, 0 when unknown.
    pub line: u32,
    /// Column from 1, 0 when unknown.
    pub column: u32,
}

impl ScriptError {
    /// An error the host found in what the mini program's code asked for
    /// (a setData path it refused), where the code is not known.
    pub fn host(message: String) -> ScriptError {
        ScriptError {
            kind: "uncaught".into(),
            message,
            file: String::new(),
            line: 0,
            column: 0,
        }
    }
}

/// A setData patch as JSON text (an object), written by the logic layer's
/// own JSON writer. A worker frames it into its reply line as it is, without
/// reading it again (see `worker::encode`); anything else that serializes it
/// checks it is one JSON value first.
#[derive(Debug, Clone, PartialEq)]
pub struct RawPatch(String);

impl Serialize for RawPatch {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::value::RawValue::from_string(self.0.clone())
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawPatch {
    /// Any one JSON value, kept as its text; the host checks it is an object
    /// when it merges it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        Ok(RawPatch(Box::<str>::from(raw).into_string()))
    }
}

impl RawPatch {
    /// Patch text written by the logic layer.
    pub(crate) fn new(text: String) -> RawPatch {
        RawPatch(text)
    }

    /// The JSON text.
    pub fn text(&self) -> &str {
        &self.0
    }

    /// The patch as a map (the text is re-read).
    pub fn to_map(&self) -> Result<Map<String, Value>, String> {
        serde_json::from_str(&self.0).map_err(|e| format!("setData patch unreadable: {e}"))
    }
}
