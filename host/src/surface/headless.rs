//! The headless surface: an in-memory DOM per page that tests, compatibility
//! runs and CI can query, serialize to HTML and point events at.

use super::{CanvasAction, ErrorView, PageChrome, PageId, Surface};
use mpkit_render::diff::PatchOp;
use mpkit_render::mounted::Mounted;
use mpkit_render::selector::{Selector, SelectorError};
use mpkit_render::vdom::{DomNode, NodeId};

#[derive(Debug)]
struct Page {
    id: PageId,
    chrome: PageChrome,
    css: String,
    tree: Mounted,
    error: Option<ErrorView>,
}

/// An in-memory surface. Pages are kept in stack order, the top last.
#[derive(Debug, Default)]
pub struct HeadlessSurface {
    pages: Vec<Page>,
    /// What each `<canvas>` was told to draw since it was last cleared, at
    /// most [`MAX_CANVAS_ACTIONS`] over all of them (the newest kept).
    canvases: std::collections::BTreeMap<(PageId, NodeId), Vec<CanvasAction>>,
}

/// The most canvas actions the headless surface keeps, over every canvas:
/// what a program draws cannot grow the host's memory without end.
pub(crate) const MAX_CANVAS_ACTIONS: usize = 100_000;

impl HeadlessSurface {
    /// An empty surface.
    pub fn new() -> HeadlessSurface {
        HeadlessSurface::default()
    }

    fn top(&self) -> Option<&Page> {
        self.pages.last()
    }

    /// The top page's id.
    pub fn current_page(&self) -> Option<PageId> {
        self.top().map(|p| p.id)
    }

    /// The top page's chrome.
    pub fn chrome(&self) -> Option<&PageChrome> {
        self.top().map(|p| &p.chrome)
    }

    /// The top page's stylesheet (ACSS after rpx conversion).
    pub fn css(&self) -> Option<&str> {
        self.top().map(|p| p.css.as_str())
    }

    /// The error shown on the top page, if any.
    pub fn error(&self) -> Option<&ErrorView> {
        self.top().and_then(|p| p.error.as_ref())
    }

    /// What the top page's `<canvas>` node `node` was told to draw since it
    /// was last cleared (empty if nothing).
    pub fn canvas(&self, node: NodeId) -> &[CanvasAction] {
        self.current_page()
            .and_then(|page| self.canvases.get(&(page, node)))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The top page's tree.
    pub fn dom(&self) -> Option<&DomNode> {
        self.top().map(|p| p.tree.root())
    }

    /// The top page as HTML.
    pub fn html(&self) -> String {
        self.top()
            .map(|p| super::page_html(&p.chrome.route, p.tree.root(), p.error.as_ref()))
            .unwrap_or_default()
    }

    /// Ids of elements on the top page matching `selector`, in document order.
    pub fn query(&self, selector: &str) -> Result<Vec<NodeId>, SelectorError> {
        let sel = Selector::parse(selector)?;
        Ok(self
            .top()
            .map(|p| sel.select(p.tree.root()).iter().map(|n| n.id).collect())
            .unwrap_or_default())
    }

    /// The text of the first element matching `selector`.
    pub fn text(&self, selector: &str) -> Result<Option<String>, SelectorError> {
        let sel = Selector::parse(selector)?;
        Ok(self
            .top()
            .and_then(|p| sel.select(p.tree.root()).first().map(|n| n.text_content())))
    }

    /// A node of the top page by id.
    pub fn node(&self, id: NodeId) -> Option<&DomNode> {
        self.top().and_then(|p| p.tree.find(id))
    }
}

impl Surface for HeadlessSurface {
    fn page_shown(&mut self, page: PageId, chrome: &PageChrome, css: &str) {
        if let Some(p) = self.pages.iter_mut().find(|p| p.id == page) {
            p.chrome = chrome.clone();
            return;
        }
        self.pages.push(Page {
            id: page,
            chrome: chrome.clone(),
            css: css.to_owned(),
            tree: Mounted::new(),
            error: None,
        });
    }

    fn page_closed(&mut self, page: PageId) {
        self.pages.retain(|p| p.id != page);
        self.canvases.retain(|(p, _), _| *p != page);
    }

    fn apply(&mut self, page: PageId, ops: &[PatchOp]) -> Result<(), String> {
        let p = self
            .pages
            .iter_mut()
            .find(|p| p.id == page)
            .ok_or_else(|| format!("patch for unknown page {page}"))?;
        p.tree.apply(ops)
    }

    fn show_error(&mut self, page: PageId, error: &ErrorView) {
        if let Some(p) = self.pages.iter_mut().find(|p| p.id == page) {
            p.error = Some(error.clone());
        }
    }

    fn draw_canvas(&mut self, page: PageId, node: NodeId, actions: &[CanvasAction], reserve: bool) {
        let key = (page, node);
        let kept = self.canvases.entry(key).or_default();
        if !reserve {
            kept.clear();
        }
        kept.extend_from_slice(actions);
        if kept.len() > MAX_CANVAS_ACTIONS {
            kept.drain(..kept.len() - MAX_CANVAS_ACTIONS);
        }
        // Over the cap in all: the other canvases' records go, oldest key first.
        let mut total: usize = self.canvases.values().map(Vec::len).sum();
        while total > MAX_CANVAS_ACTIONS {
            let Some(other) = self.canvases.keys().find(|k| **k != key).copied() else {
                break;
            };
            total -= self.canvases.remove(&other).map_or(0, |v| v.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A program that draws on many canvases, or one at a time past the
    /// cap, keeps at most MAX_CANVAS_ACTIONS in the host over all of them:
    /// the canvas being drawn keeps its newest, the others' records go.
    #[test]
    fn canvas_records_stay_under_one_cap_over_every_canvas() {
        let mut s = HeadlessSurface::new();
        s.page_shown(1, &PageChrome::default(), "");
        let batch: Vec<CanvasAction> = (0..10_000)
            .map(|i| CanvasAction("moveTo".into(), vec![json!(i), json!(0)]))
            .collect();
        for node in 0..30u64 {
            s.draw_canvas(1, node, &batch, true);
        }
        let total: usize = s.canvases.values().map(Vec::len).sum();
        assert!(total <= MAX_CANVAS_ACTIONS, "{total}");
        assert_eq!(
            s.canvas(29).len(),
            10_000,
            "the last canvas drawn keeps all of its draw"
        );
        for _ in 0..15 {
            s.draw_canvas(1, 29, &batch, true);
        }
        assert_eq!(s.canvas(29).len(), MAX_CANVAS_ACTIONS);
        assert_eq!(s.canvas(29).last(), batch.last(), "the newest are kept");
        assert_eq!(s.canvases.len(), 1);
        s.page_closed(1);
        assert!(s.canvases.is_empty());
    }
}
