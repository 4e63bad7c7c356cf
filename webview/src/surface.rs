//! [`WebviewSurface`] implements the host's surface trait on the app thread
//! by posting to the UI thread through tao's `EventLoopProxy`, and
//! [`LaunchContext`] is what a launch gets there: the surface, the route and
//! the way to the window's chrome.

use crate::chrome::{ChromeDelegate, UiLink};
use crate::msg::{push_script_head, Patch, Slot, UiMsg};
use crate::protocol::PUSH_LIMIT;
use mpkit_host::HostDelegate;
use mpkit_host::PatchOp;
use mpkit_host::{CanvasAction, ErrorView, Measured, PageChrome, PageId, Surface};
use serde_json::{Map, Value};
use std::rc::Rc;
use std::time::Instant;
use tao::event_loop::EventLoopProxy;

/// What a launch closure gets on its app thread.
#[derive(Debug)]
pub struct LaunchContext {
    /// The surface to launch onto.
    pub surface: WebviewSurface,
    /// The route to open (the current one after a live reload), if not the home page.
    pub route: Option<String>,
    /// Its query (the current page's after a live reload).
    pub query: Map<String, Value>,
    /// The host user.
    pub user: String,
    pub(crate) link: UiLink,
}

impl LaunchContext {
    /// Wraps the embedding app's delegate so UI requests and consent prompts
    /// are shown in the window's chrome.
    pub fn chrome(&self, inner: Rc<dyn HostDelegate>) -> Rc<dyn HostDelegate> {
        Rc::new(ChromeDelegate::new(inner, self.link.clone()))
    }

    /// Makes surfaces for this window: for a launcher that may try more than
    /// once (the update manager falls back to the last good version).
    pub fn surfaces(&self) -> impl FnMut() -> WebviewSurface {
        let (slot, proxy) = self.link.parts();
        move || WebviewSurface::new(slot, proxy.clone())
    }
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

    fn measure(&mut self, page: PageId, nodes: &[u64], answer: Measured) {
        // Answered from the UI thread once the page's script has measured;
        // a window that closes first drops `answer`, and the call fails.
        self.post(UiMsg::Measure {
            slot: self.slot,
            page,
            nodes: nodes.to_vec(),
            answer,
        });
    }

    fn draw_canvas(&mut self, page: PageId, node: u64, actions: &[CanvasAction], reserve: bool) {
        // Checked by the host (names from CANVAS_ACTIONS); the page's script
        // maps each onto the element's 2D context.
        let Ok(actions) = serde_json::to_string(actions) else {
            return;
        };
        self.post(UiMsg::Canvas {
            slot: self.slot,
            page,
            node,
            actions,
            reserve,
        });
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
    use mpkit_host::DomNode;

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
