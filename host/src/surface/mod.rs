//! Surfaces show pages. The headless one keeps an in-memory DOM; the webview one
//! (its own issue) implements the same trait.

pub(crate) mod headless;

use mpkit_render::diff::PatchOp;
use mpkit_render::vdom::NodeId;
use serde::Serialize;

/// A page instance's id, unique within one running mini program.
pub type PageId = u64;

/// What a surface needs to draw a page's chrome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageChrome {
    /// The page's route, e.g. `pages/index/index`.
    pub route: String,
    /// Navigation bar title.
    pub title: String,
    /// Navigation bar background colour.
    pub title_bar_color: Option<String>,
    /// The page's background colour.
    pub background_color: Option<String>,
    /// Whether a back button is shown (the page is not at the bottom of the stack).
    pub can_go_back: bool,
    /// The tabBar from `app.json`, shown on tab pages only (empty elsewhere).
    pub tabs: Vec<TabChrome>,
    /// The tabBar's colours: label, selected label, background.
    pub tab_colors: TabColors,
}

/// The tabBar's colours from `app.json`, as written there (a surface draws
/// only plain colours it can read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TabColors {
    /// A tab's label.
    pub text: Option<String>,
    /// The selected tab's label.
    pub selected: Option<String>,
    /// The bar's background.
    pub background: Option<String>,
}

/// One tab of the tabBar as a surface draws it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TabChrome {
    /// The tab's page route.
    pub page_path: String,
    /// Its label.
    pub name: String,
    /// Whether it is the page being shown.
    pub selected: bool,
}

/// An error a surface shows in place of, or over, a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorView {
    /// The file at fault.
    pub file: String,
    /// Line, from 1 (0 when unknown).
    pub line: u32,
    /// Column, from 1 (0 when unknown).
    pub column: u32,
    /// The message.
    pub message: String,
}

/// Everything a surface must do. Called from the thread that owns the surface.
pub trait Surface {
    /// A page was pushed onto the stack (or replaced the top).
    fn page_shown(&mut self, page: PageId, chrome: &PageChrome, css: &str);
    /// A page was removed from the stack.
    fn page_closed(&mut self, page: PageId);
    /// Applies patch ops to a page's tree, in order.
    fn apply(&mut self, page: PageId, ops: &[PatchOp]) -> Result<(), String>;
    /// Shows an error state on a page.
    fn show_error(&mut self, page: PageId, error: &ErrorView);
    /// Where nodes of a page are, for `my.createSelectorQuery`: `answer`
    /// gets one rect per node, now or later (the call waits), or `None`
    /// when this surface has no layout (then every rect is zero, and the
    /// viewport is the screen). An answer dropped unanswered fails the call.
    fn measure(&mut self, _page: PageId, _nodes: &[NodeId], answer: Measured) {
        answer.give(None);
    }
    /// Paints a `<canvas>` node: actions a canvas context recorded, checked
    /// by the host ([`CanvasAction`]); without `reserve`, the canvas is
    /// cleared first.
    fn draw_canvas(&mut self, page: PageId, node: NodeId, actions: &[CanvasAction], reserve: bool);
}

/// Where a surface sends the rects a selector query asked for; it may
/// cross to the surface's UI thread.
pub struct Measured(Box<dyn FnOnce(Option<Vec<Rect>>) + Send>);

impl Measured {
    pub(crate) fn new(f: impl FnOnce(Option<Vec<Rect>>) + Send + 'static) -> Measured {
        Measured(Box::new(f))
    }

    /// Answers: one rect per node asked for, in order, or `None`.
    pub fn give(self, rects: Option<Vec<Rect>>) {
        (self.0)(rects)
    }
}

impl std::fmt::Debug for Measured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Measured")
    }
}

/// A node's box and scroll offset in CSS px, relative to the viewport.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rect {
    /// Left edge.
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// Horizontal scroll offset of its content.
    pub scroll_left: f64,
    /// Vertical scroll offset of its content.
    pub scroll_top: f64,
}

/// One canvas action, as `CanvasRenderingContext2D` spells it: a method
/// (`fillRect`, Alipay's `setFillStyle`) or a property set (`=fillStyle`),
/// with JSON arguments. Only [`CANVAS_ACTIONS`] names pass the host.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CanvasAction(pub String, pub Vec<serde_json::Value>);

/// Every canvas action a context may send: Alipay's methods and property
/// sets. Anything else is refused before a surface sees it.
pub const CANVAS_ACTIONS: &[&str] = &[
    "setFillStyle",
    "setStrokeStyle",
    "setLineWidth",
    "setLineCap",
    "setLineJoin",
    "setMiterLimit",
    "setLineDash",
    "setFontSize",
    "setTextAlign",
    "setTextBaseline",
    "setGlobalAlpha",
    "setShadow",
    "fillRect",
    "strokeRect",
    "clearRect",
    "rect",
    "beginPath",
    "closePath",
    "moveTo",
    "lineTo",
    "arc",
    "arcTo",
    "quadraticCurveTo",
    "bezierCurveTo",
    "fill",
    "stroke",
    "clip",
    "fillText",
    "strokeText",
    "drawImage",
    "save",
    "restore",
    "translate",
    "rotate",
    "scale",
    "transform",
    "setTransform",
    "=fillStyle",
    "=strokeStyle",
    "=lineWidth",
    "=lineCap",
    "=lineJoin",
    "=miterLimit",
    "=font",
    "=textAlign",
    "=textBaseline",
    "=globalAlpha",
    "=globalCompositeOperation",
    "=shadowBlur",
    "=shadowColor",
    "=shadowOffsetX",
    "=shadowOffsetY",
    "=lineDashOffset",
];

/// A page as HTML: its error state (if any) first, then its tree. Every value
/// is escaped, since error messages quote mini program code.
pub fn page_html(
    route: &str,
    dom: &mpkit_render::vdom::DomNode,
    error: Option<&ErrorView>,
) -> String {
    use mpkit_render::vdom::escape;
    let mut out = String::from("<page route=\"");
    escape(route, &mut out);
    out.push_str("\">");
    if let Some(e) = error {
        out.push_str("<error file=\"");
        escape(&e.file, &mut out);
        out.push_str(&format!("\" line=\"{}\" column=\"{}\">", e.line, e.column));
        escape(&e.message, &mut out);
        out.push_str("</error>");
    }
    for c in &dom.children {
        out.push_str(&c.to_html());
    }
    out.push_str("</page>");
    out
}

/// A template rendered with empty data and mounted on a fresh page root, for
/// the surface tests.
#[cfg(test)]
pub(crate) fn test_dom(src: &str) -> mpkit_render::vdom::DomNode {
    use mpkit_render::template::{Loader, Renderer};
    struct NoFiles;
    impl Loader for NoFiles {
        fn load(&self, p: &str) -> Result<std::sync::Arc<mpkit_render::axml::Document>, String> {
            Err(format!("no {p}"))
        }
    }
    let doc = mpkit_render::axml::parse(src).expect("parses");
    let v = Renderer::new(&NoFiles, 375.0)
        .render(&doc, "p.axml", &serde_json::json!({}))
        .expect("renders");
    let mut root = mpkit_render::vdom::DomNode::root();
    mpkit_render::diff::diff_root(&mut root, v, &mut mpkit_render::diff::Ids::default());
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_html_escapes_error_text() {
        let dom = test_dom("<text>hi</text>");
        let e = ErrorView {
            file: "pages/a\"b.axml".into(),
            line: 2,
            column: 3,
            message: "unknown component <marquee> & co".into(),
        };
        assert_eq!(
            page_html("pages/a/a", &dom, Some(&e)),
            "<page route=\"pages/a/a\"><error file=\"pages/a&quot;b.axml\" line=\"2\" column=\"3\">unknown component &lt;marquee&gt; &amp; co</error><text>hi</text></page>"
        );
        assert_eq!(
            page_html("p", &dom, None),
            "<page route=\"p\"><text>hi</text></page>"
        );
    }
}
