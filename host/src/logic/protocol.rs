//! Messages between the host and a logic layer. Only plain data crosses:
//! ids and JSON, so the same messages work across a thread or a process.

use mpkit_jsapi::Nav;
use mpkit_render::events::EventKind;
use mpkit_render::vdom::NodeId;
use mpkit_render::wire::WireOps;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A page instance id.
pub(crate) type PageId = u64;

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
    /// Call an event handler of a component instance (a method of its
    /// `methods`).
    ComponentEvent {
        /// The page.
        page: PageId,
        /// The instance's id (`this.$id`).
        component: u64,
        /// Method name.
        handler: String,
        /// The event object.
        event: Value,
        /// Where its template names the handler (`file:line:col`).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        site: String,
    },
    /// What the view asks of a page's component instances (unit-internal):
    /// create, update props, unmount, and the lifecycles after a render.
    /// Each task is `{op, id, ...}`; see `logic/components.rs`.
    Components {
        /// The page.
        page: PageId,
        /// The tasks, in order.
        tasks: Vec<Value>,
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
    /// Load a page's view before it is created: its stylesheet, and its
    /// template when `template` (the route is in app.json and its script
    /// loaded). Answered with [`FromLogic::PageView`].
    PageView {
        /// The page about to be created.
        page: PageId,
        /// Its route.
        route: String,
        /// Whether to load its template.
        template: bool,
    },
    /// A surface reported an event at a node of a page. Answered with
    /// [`FromLogic::Resolved`]: the handler calls it makes, which the host
    /// then sends as [`ToLogic::Event`]s.
    DomEvent {
        /// The page.
        page: PageId,
        /// The node, as the patch ops named it.
        target: NodeId,
        /// What happened.
        event: EventKind,
        /// The event's detail (`{value}` for input and change).
        detail: Value,
        /// Milliseconds since launch.
        time_stamp: u64,
    },
    /// Ask for a page's data, as the view has it. Answered with
    /// [`FromLogic::PageData`].
    PageData {
        /// The page.
        page: PageId,
    },
}

/// One handler call an event makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedCall {
    /// The page's method.
    pub handler: String,
    /// `{type, timeStamp, target, currentTarget, detail}`.
    pub event: Value,
    /// Where the template names the handler (`file:line:col`), empty when unknown.
    pub site: String,
    /// Whose method: 0 for the page, else a component instance's id.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub component: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A navigation a `<navigator>` asks for, carried out as `my.*` would.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NavRequest {
    /// Which navigation (it crosses the pipe as its `my.*` name).
    pub nav: Nav,
    /// `{url}` or `{delta}`.
    pub params: Value,
    /// The page template it comes from (`file:0:0`).
    pub site: String,
}

/// Isolation unit → host. Externally tagged (`{"patch": {...}}`), so it is
/// read across the worker pipe in one pass.
///
/// `InitialData`, `SetData` and `SetDataJson` are what the logic layer hands
/// the view inside the unit; they cannot cross the pipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FromLogic {
    /// A page's data right after creation (to the view).
    #[serde(skip)]
    InitialData {
        /// The page.
        page: PageId,
        /// `this.data`.
        data: Value,
    },
    /// A component instance's props (as JSON: functions left out) and,
    /// when given, its whole data (to the view).
    #[serde(skip)]
    ComponentState {
        /// The page.
        page: PageId,
        /// The instance.
        component: u64,
        /// `this.props`.
        props: Value,
        /// `this.data`, when it is new.
        data: Option<Value>,
        /// At creation: which lifecycles after a render it has (1:
        /// `didMount`, 2: `didUpdate` or observers).
        after: Option<u8>,
        /// At creation: its `externalClasses` (with `options.externalClasses`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        classes: Vec<String>,
    },
    /// What the view needs of a component's definition to make instances
    /// on its own (to the view): see [`Summary`](super::components::Summary).
    #[serde(skip)]
    ComponentDef {
        /// The component's base path.
        is: String,
        /// The summary.
        summary: super::components::Summary,
    },
    /// `this.setData(patch)` as path keys and values (to the view).
    #[serde(skip)]
    SetData {
        /// The page.
        page: PageId,
        /// The component instance, 0 for the page itself.
        comp: u64,
        /// Path keys and values.
        patch: Map<String, Value>,
        /// Callback id, 0 for none.
        callback: u64,
        /// The patch's serialized size in bytes.
        size: usize,
    },
    /// `this.setData(patch)` as JSON text written straight from the JS
    /// value, which the view merges into the page's data in place
    /// (`mpkit_render::data::merge_patch`).
    #[serde(skip)]
    SetDataJson {
        /// The page.
        page: PageId,
        /// The component instance, 0 for the page itself.
        comp: u64,
        /// The patch, a JSON object.
        patch: RawPatch,
        /// Callback id, 0 for none.
        callback: u64,
        /// The patch's length in bytes.
        size: usize,
    },
    /// A call to the host: a `my.*` API, navigation included.
    Call {
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
    /// Something accepted that is worth saying (a module found by a
    /// fallback, a second `Page()` for one file): never an error.
    Warning {
        /// What and where.
        warning: ScriptError,
    },
    /// What a render of a page changed, for its surface, and the setData
    /// callbacks that may run once the surface has it.
    Patch {
        /// The page.
        page: PageId,
        /// The changes, in order.
        ops: WireOps,
        /// Whether this is the page's first render (which reaches the
        /// surface even when it is empty: that is when the page is shown).
        first: bool,
        /// setData callback ids.
        callbacks: Vec<u64>,
    },
    /// A page's template could not be rendered; the page shows the error.
    RenderError {
        /// The page.
        page: PageId,
        /// What and where (kind `render`).
        error: ScriptError,
        /// setData callback ids, which run all the same.
        callbacks: Vec<u64>,
    },
    /// A page's render ran past its budget; the host stops the app.
    RenderBudget {
        /// The page.
        page: PageId,
        /// Its route.
        route: String,
        /// The render's steps when it was stopped.
        steps: u64,
    },
    /// The answer to [`ToLogic::PageView`].
    PageView {
        /// The page.
        page: PageId,
        /// Its stylesheet: app.acss and its own, imports expanded, rpx in px.
        css: String,
        /// Why its template cannot be shown (missing, or a syntax error).
        error: Option<ScriptError>,
        /// Stylesheet problems (a missing import) and what the template
        /// parser accepted with a warning (`file:line:column: message`, for
        /// the page's `.axml` and the files it imports and includes), for
        /// the log.
        warnings: Vec<String>,
    },
    /// The answer to [`ToLogic::DomEvent`].
    Resolved {
        /// The page.
        page: PageId,
        /// The handler calls, innermost first.
        calls: Vec<ResolvedCall>,
        /// The form a tap on a submit button submits.
        form: Option<NodeId>,
        /// The navigation a tap in a `<navigator>` asks for.
        navigate: Option<NavRequest>,
    },
    /// The answer to [`ToLogic::PageData`].
    PageData {
        /// The page.
        page: PageId,
        /// `this.data` as the view has it.
        data: Value,
    },
    /// A setData call of at least [`super::view::LARGE_SET_DATA_BYTES`].
    LargeSetData {
        /// The page.
        page: PageId,
        /// Its serialized size.
        bytes: usize,
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
    /// An error of `kind` at a place in a file.
    pub fn at(kind: &str, file: &str, line: u32, column: u32, message: String) -> ScriptError {
        ScriptError {
            kind: kind.into(),
            message,
            file: file.into(),
            line,
            column,
        }
    }

    /// A problem written as `file:line:column: message` (how the view
    /// reports what it accepted with a warning); `file` when it names none.
    pub fn parse_located(kind: &str, text: &str, file: &str) -> ScriptError {
        let mut parts = text.splitn(4, ':');
        if let (Some(f), Some(l), Some(c), Some(m)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        {
            if let (Ok(line), Ok(column)) = (l.trim().parse(), c.trim().parse()) {
                if !f.is_empty() && !f.contains(' ') {
                    return ScriptError::at(kind, f, line, column, m.trim().to_owned());
                }
            }
        }
        ScriptError::at(kind, file, 0, 0, text.to_owned())
    }

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
/// own JSON writer.
#[derive(Debug, Clone, PartialEq)]
pub struct RawPatch(String);

impl RawPatch {
    /// Patch text written by the logic layer.
    pub(crate) fn new(text: String) -> RawPatch {
        RawPatch(text)
    }

    /// The JSON text.
    pub(crate) fn text(&self) -> &str {
        &self.0
    }

    /// The patch as a map (the text is re-read).
    #[cfg(test)]
    pub(crate) fn to_map(&self) -> Result<Map<String, Value>, String> {
        serde_json::from_str(&self.0).map_err(|e| format!("setData patch unreadable: {e}"))
    }
}
