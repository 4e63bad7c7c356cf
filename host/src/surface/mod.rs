//! Surfaces show pages. The headless one keeps an in-memory DOM; the webview one
//! (its own issue) implements the same trait.

pub mod headless;
pub mod selector;

use crate::render::diff::PatchOp;
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
    /// Whether a back button is shown (the page is not at the bottom of the stack).
    pub can_go_back: bool,
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
}
