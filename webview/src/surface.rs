//! The app-thread half: [`WebviewSurface`] implements the host's surface trait
//! by posting to the UI thread through tao's `EventLoopProxy`, and
//! [`ChromeDelegate`] shows the JSAPI UI calls and consent prompts in the
//! page's HTML chrome, waiting for the user's answer on the app thread.

use crate::protocol::PUSH_LIMIT;
use mpkit_bundle::AppId;
use mpkit_host::delegate::{DeviceRequest, HostDelegate, PayResult, UiReply, UiRequest};
use mpkit_host::logic::protocol::ScriptError;
use mpkit_host::logic::Stopped;
use mpkit_host::render::diff::PatchOp;
use mpkit_host::surface::{ErrorView, PageChrome, PageId, Surface};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tao::event_loop::EventLoopProxy;

/// One mini program window's number within a [`crate::WebviewApp`].
pub type Slot = u64;

/// What the app threads and the [`crate::Driver`] send the UI thread.
#[derive(Debug)]
pub(crate) enum UiMsg {
    /// A page was pushed.
    PageShown {
        slot: Slot,
        page: PageId,
        chrome: PageChrome,
        css: String,
    },
    /// A page was popped.
    PageClosed { slot: Slot, page: PageId },
    /// Patch ops for a page, and when the app thread began sending them.
    Apply {
        slot: Slot,
        page: PageId,
        patch: Patch,
        /// The ops' JSON size.
        bytes: usize,
        sent: Instant,
    },
    /// An error state for a page.
    PageError {
        slot: Slot,
        page: PageId,
        view: ErrorView,
    },
    /// A UI request; `reply` is `None` for fire-and-forget ones (toast).
    Ui {
        slot: Slot,
        request: Value,
        reply: Option<mpsc::Sender<Value>>,
    },
    /// The app launched: its id and installed tree.
    Launched {
        slot: Slot,
        app: AppId,
        dir: PathBuf,
    },
    /// The app could not launch, or was stopped.
    Failed { slot: Slot, message: String },
    /// The app thread ended; `route` was the top page.
    Ended {
        slot: Slot,
        route: Option<String>,
        query: serde_json::Map<String, Value>,
    },
    /// A command from a driver.
    Command(crate::app::Command),
    /// A page posted an IPC message (`view` names the webview) that reached
    /// the UI process `at`.
    Ipc {
        view: u64,
        uri: String,
        body: String,
        at: Instant,
    },
    /// A webview refused a navigation or a new window.
    Blocked { view: u64, url: String },
    /// The embedding app's delegate left an allowlisted URL to the surface:
    /// open it in a private window.
    OpenWeb { slot: Slot, url: String },
}

/// Patch ops on their way to the page.
#[derive(Debug)]
pub(crate) enum Patch {
    /// Small enough to push: the start of the script that applies them,
    /// written on the app thread (see [`push_script_head`]); the UI thread
    /// only adds the sequence number and the end ([`push_script_tail`]).
    Push(String),
    /// Over [`PUSH_LIMIT`]: the ops' JSON, for the page to pull.
    Pull(String),
}

/// The start of the script that pushes `ops` (the ops' JSON, from serde) to
/// `page`. The whole script is `__mpkit.patch=[page,ops,seq];__mpkit.patch=0`:
/// assignments of JSON and nothing else, which JavaScriptCore reads with its
/// JSON parser (its "JSONP" path) instead of compiling it as code. So the
/// ops are read once, where a string for `JSON.parse` is scanned twice (as a
/// string literal, then as JSON) and code is compiled, several times slower
/// (`mpkit bench webview` measures the three: "the same ops sent other
/// ways"). The path is taken for assignments even with the web inspector
/// open, unlike for a call. `__mpkit.patch` is a setter in the view script;
/// the second assignment keeps the script's value, which WebKit sends back
/// to the UI process, a number rather than the ops.
///
/// `ops` is one JSON value as serde_json wrote it, so no text in it can end
/// the array early: its strings are JSON-escaped.
pub(crate) fn push_script_head(page: PageId, ops: &str) -> String {
    let mut s = String::with_capacity(ops.len() + 64);
    s.push_str("__mpkit.patch=[");
    s.push_str(&page.to_string());
    s.push(',');
    s.push_str(ops);
    s.push(',');
    s
}

/// Ends a script begun by [`push_script_head`] with the patch's number.
pub(crate) fn push_script_tail(script: &mut String, seq: u64) {
    script.push_str(&seq.to_string());
    script.push_str("];__mpkit.patch=0");
}

/// The surface of one mini program in a webview. Lives on the app thread.
#[derive(Debug)]
pub struct WebviewSurface {
    slot: Slot,
    proxy: EventLoopProxy<UiMsg>,
    stack: Vec<PageId>,
}

impl WebviewSurface {
    pub(crate) fn new(slot: Slot, proxy: EventLoopProxy<UiMsg>) -> WebviewSurface {
        WebviewSurface {
            slot,
            proxy,
            stack: Vec::new(),
        }
    }

    /// The page on top, as the runtime last told this surface.
    pub fn top(&self) -> Option<PageId> {
        self.stack.last().copied()
    }

    fn post(&self, m: UiMsg) {
        // The UI thread is gone only when the whole app is closing.
        let _ = self.proxy.send_event(m);
    }
}

impl Surface for WebviewSurface {
    fn page_shown(&mut self, page: PageId, chrome: &PageChrome, css: &str) {
        self.stack.push(page);
        self.post(UiMsg::PageShown {
            slot: self.slot,
            page,
            chrome: chrome.clone(),
            css: css.to_owned(),
        });
    }

    fn page_closed(&mut self, page: PageId) {
        self.stack.retain(|p| *p != page);
        self.post(UiMsg::PageClosed {
            slot: self.slot,
            page,
        });
    }

    fn apply(&mut self, page: PageId, ops: &[PatchOp]) -> Result<(), String> {
        // Timed from here, so the ops' serialization counts too.
        let sent = Instant::now();
        let ops = serde_json::to_string(&CompactOps(ops)).map_err(|e| e.to_string())?;
        let bytes = ops.len();
        let patch = if bytes > PUSH_LIMIT {
            Patch::Pull(ops)
        } else {
            Patch::Push(push_script_head(page, &ops))
        };
        self.proxy
            .send_event(UiMsg::Apply {
                slot: self.slot,
                page,
                patch,
                bytes,
                sent,
            })
            .map_err(|_| "the window is closed".to_owned())
    }

    fn show_error(&mut self, page: PageId, error: &ErrorView) {
        self.post(UiMsg::PageError {
            slot: self.slot,
            page,
            view: error.clone(),
        });
    }
}

/// A `Send` link from the app thread to its window's chrome.
#[derive(Debug, Clone)]
pub struct UiLink {
    slot: Slot,
    proxy: EventLoopProxy<UiMsg>,
    overlay_errors: bool,
}

/// How long a question waits for the user before it counts as cancelled.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(600);

impl UiLink {
    pub(crate) fn new(slot: Slot, proxy: EventLoopProxy<UiMsg>, overlay_errors: bool) -> UiLink {
        UiLink {
            slot,
            proxy,
            overlay_errors,
        }
    }

    pub(crate) fn parts(&self) -> (Slot, EventLoopProxy<UiMsg>) {
        (self.slot, self.proxy.clone())
    }

    fn tell(&self, request: Value) {
        let _ = self.proxy.send_event(UiMsg::Ui {
            slot: self.slot,
            request,
            reply: None,
        });
    }

    /// Shows a question and waits for the answer; `None` when the window closed
    /// or nobody answered in time.
    fn ask(&self, request: Value) -> Option<Value> {
        let (tx, rx) = mpsc::channel();
        self.proxy
            .send_event(UiMsg::Ui {
                slot: self.slot,
                request,
                reply: Some(tx),
            })
            .ok()?;
        rx.recv_timeout(ANSWER_TIMEOUT).ok()
    }
}

/// A delegate that shows UI requests and consent prompts in the window's
/// chrome and hands every other question to the embedding app's delegate.
pub struct ChromeDelegate {
    inner: Rc<dyn HostDelegate>,
    link: UiLink,
}

impl std::fmt::Debug for ChromeDelegate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChromeDelegate")
            .field("slot", &self.link.slot)
            .finish_non_exhaustive()
    }
}

impl ChromeDelegate {
    /// Wraps the embedding app's delegate.
    pub fn new(inner: Rc<dyn HostDelegate>, link: UiLink) -> ChromeDelegate {
        ChromeDelegate { inner, link }
    }
}

fn consent_text(scope: &str) -> String {
    let what = match scope {
        "scope.userInfo" | "auth_user" => "your profile (name and avatar)",
        "scope.location" | "scope.userLocation" => "your location",
        "scope.camera" => "the camera",
        "scope.clipboard" => "the clipboard",
        _ => scope,
    };
    format!("This mini program asks to use {what}.")
}

impl HostDelegate for ChromeDelegate {
    fn app_stopped(&self, app: &AppId, reason: &Stopped) {
        let _ = self.link.proxy.send_event(UiMsg::Failed {
            slot: self.link.slot,
            message: format!("{app} was stopped: {reason}"),
        });
        self.inner.app_stopped(app, reason);
    }

    fn app_error(&self, app: &AppId, error: &ScriptError) {
        // Recorded always; shown in the overlay when the window asks for it.
        self.link.tell(serde_json::json!({
            "ui": "overlay",
            "show": self.link.overlay_errors,
            "file": error.file,
            "line": error.line,
            "column": error.column,
            "message": format!("{}: {}", error.kind, error.message),
        }));
        self.inner.app_error(app, error);
    }

    fn ask_consent(&self, app: &AppId, scope: &str) -> bool {
        let answer = self.link.ask(serde_json::json!({
            "ui": "consent",
            "title": "Allow access?",
            "content": consent_text(scope),
            "scope": scope,
        }));
        let granted = answer.is_some_and(|a| a["confirmed"] == Value::Bool(true));
        tracing::info!(app = %app, scope, granted, "consent answered in the chrome");
        granted
    }

    fn open_setting(
        &self,
        app: &AppId,
        current: &BTreeMap<String, bool>,
    ) -> BTreeMap<String, bool> {
        self.inner.open_setting(app, current)
    }

    fn ui(&self, app: &AppId, request: &UiRequest) -> UiReply {
        let Ok(value) = serde_json::to_value(request) else {
            return UiReply::cancelled(request);
        };
        match request {
            UiRequest::Toast { .. }
            | UiRequest::ShowLoading { .. }
            | UiRequest::HideLoading
            | UiRequest::NavigationBar { .. } => {
                self.link.tell(value);
                UiReply::Done
            }
            _ => {
                let Some(answer) = self.link.ask(value) else {
                    return UiReply::cancelled(request);
                };
                let _ = app;
                match request {
                    UiRequest::Confirm { .. } => {
                        UiReply::Confirmed(answer["confirmed"] == Value::Bool(true))
                    }
                    UiRequest::Prompt { .. } => {
                        UiReply::Text(answer["text"].as_str().map(str::to_owned))
                    }
                    UiRequest::ActionSheet { items, .. } => UiReply::Choice(
                        answer["choice"]
                            .as_u64()
                            .map(|i| i as usize)
                            .filter(|i| *i < items.len()),
                    ),
                    _ => UiReply::Done,
                }
            }
        }
    }

    fn device(&self, app: &AppId, request: &DeviceRequest) -> Result<Value, String> {
        self.inner.device(app, request)
    }

    fn auth_code(&self, app: &AppId, user: &str, scopes: &[String]) -> Result<String, String> {
        self.inner.auth_code(app, user, scopes)
    }

    fn open_user_info(&self, app: &AppId, user: &str) -> Result<Value, String> {
        self.inner.open_user_info(app, user)
    }

    /// The payment sheet: the user confirms in a sheet marked as the
    /// wallet's, then the embedding app's own check decides.
    fn confirm_payment(&self, app: &AppId, user: &str, trade_no: &str) -> bool {
        let answer = self.link.ask(serde_json::json!({
            "ui": "payment",
            "title": "Confirm payment",
            "content": format!("Pay for order {trade_no}?"),
        }));
        let confirmed = answer.is_some_and(|a| a["confirmed"] == Value::Bool(true));
        tracing::info!(app = %app, trade_no, confirmed, "payment sheet answered in the chrome");
        confirmed && self.inner.confirm_payment(app, user, trade_no)
    }

    fn pay(&self, app: &AppId, user: &str, trade_no: &str) -> PayResult {
        self.inner.pay(app, user, trade_no)
    }

    fn open_web_view(&self, app: &AppId, url: &str) -> bool {
        self.inner.open_web_view(app, url)
    }
}

/// Patch ops as the view script reads them: each an array led by a number
/// (`[5, id, text]` for a text change) instead of an object with named
/// fields. The page parses arrays faster than objects, and the text is a
/// third smaller: a 16 KB setData's 630 ops went from 21 to 14 KB.
///
/// | op | form |
/// |---|---|
/// | insert | `[0, parent, index, node]` (the node as the DOM serializes it) |
/// | remove | `[1, id]` |
/// | move | `[2, id, parent, index]` |
/// | setAttr | `[3, id, name, value]` |
/// | removeAttr | `[4, id, name]` |
/// | setText | `[5, id, text]` |
pub(crate) struct CompactOps<'a>(pub(crate) &'a [PatchOp]);

impl serde::Serialize for CompactOps<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for op in self.0 {
            match op {
                PatchOp::Insert {
                    parent,
                    index,
                    node,
                } => seq.serialize_element(&(0u8, parent, index, node))?,
                PatchOp::Remove { id } => seq.serialize_element(&(1u8, id))?,
                PatchOp::Move { id, parent, index } => {
                    seq.serialize_element(&(2u8, id, parent, index))?
                }
                PatchOp::SetAttr { id, name, value } => {
                    seq.serialize_element(&(3u8, id, name, value))?
                }
                PatchOp::RemoveAttr { id, name } => seq.serialize_element(&(4u8, id, name))?,
                PatchOp::SetText { id, text } => seq.serialize_element(&(5u8, id, text))?,
            }
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpkit_host::render::vdom::DomNode;

    #[test]
    fn a_pushed_patch_is_one_json_value_whatever_its_text() {
        // Text a mini program controls, trying to end the array, the
        // assignment or the script.
        let hostile = "\"]];alert(1);__mpkit.patch=[[\"\\</script><!--\u{2028}\u{2029}\u{0}'`${x}";
        let ops = serde_json::to_string(&serde_json::json!([
            [5, 12, hostile],
            [3, 13, "class", hostile]
        ]))
        .expect("json");
        let mut script = push_script_head(7, &ops);
        push_script_tail(&mut script, 42);
        let value = script
            .strip_prefix("__mpkit.patch=")
            .and_then(|r| r.strip_suffix(";__mpkit.patch=0"))
            .expect("two assignments");
        // What is assigned is exactly one JSON value: [page, ops, seq], the
        // ops as they were, text and all.
        let back: serde_json::Value = serde_json::from_str(value).expect("one JSON value");
        assert_eq!(back[0], 7);
        assert_eq!(back[2], 42);
        assert_eq!(back[1][0][2], hostile);
        assert_eq!(back[1][1][3], hostile);
        assert_eq!(back.as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn ops_are_written_as_arrays_led_by_their_number() {
        let mut node = DomNode::root();
        node.id = 9;
        node.tag = "view".into();
        let ops = [
            PatchOp::Insert {
                parent: 1,
                index: 2,
                node,
            },
            PatchOp::Remove { id: 3 },
            PatchOp::Move {
                id: 4,
                parent: 1,
                index: 0,
            },
            PatchOp::SetAttr {
                id: 5,
                name: "class".into(),
                value: "a \"b\"".into(),
            },
            PatchOp::RemoveAttr {
                id: 6,
                name: "style".into(),
            },
            PatchOp::SetText {
                id: 7,
                text: "\u{2028}</script>".into(),
            },
        ];
        let text = serde_json::to_string(&CompactOps(&ops)).expect("json");
        let v: serde_json::Value = serde_json::from_str(&text).expect("reads back");
        assert_eq!(v[0][0], 0);
        assert_eq!((v[0][1].as_u64(), v[0][2].as_u64()), (Some(1), Some(2)));
        assert_eq!(v[0][3]["tag"], "view");
        assert_eq!(v[0][3]["id"], 9);
        assert_eq!(v[1], serde_json::json!([1, 3]));
        assert_eq!(v[2], serde_json::json!([2, 4, 1, 0]));
        assert_eq!(v[3], serde_json::json!([3, 5, "class", "a \"b\""]));
        assert_eq!(v[4], serde_json::json!([4, 6, "style"]));
        assert_eq!(v[5], serde_json::json!([5, 7, "\u{2028}</script>"]));
    }
}
