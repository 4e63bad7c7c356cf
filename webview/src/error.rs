//! The webview surface's errors.

use std::path::PathBuf;

/// Errors of the webview surface.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebviewError {
    /// The window or webview could not be created (no display, no WebKitGTK).
    #[error("cannot create the window: {0}")]
    Window(String),
    /// The UI thread is gone.
    #[error("the webview event loop has ended")]
    Closed,
    /// A driver request timed out.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The page or the mini program reported a failure.
    #[error("{0}")]
    Failed(String),
    /// A file could not be written.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}
