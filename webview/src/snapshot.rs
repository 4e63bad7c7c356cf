//! PNG screenshots of a page: WebKitGTK renders the visible part of the view
//! to a cairo surface, which is written as PNG.

use std::path::PathBuf;
use webkit2gtk::{SnapshotOptions, SnapshotRegion, WebViewExt};
use wry::{WebView, WebViewExtUnix};

/// Snapshots `webview` into `path`; `done` gets the result once WebKit has
/// rendered it (on the UI thread, later in the event loop).
pub(crate) fn png(
    webview: &WebView,
    path: PathBuf,
    done: impl FnOnce(Result<(), String>) + 'static,
) {
    let view = webview.webview();
    view.snapshot(
        SnapshotRegion::Visible,
        SnapshotOptions::NONE,
        None::<&webkit2gtk::gio::Cancellable>,
        move |result| done(write(result, &path)),
    );
}

fn write(
    result: Result<cairo::Surface, webkit2gtk::glib::Error>,
    path: &std::path::Path,
) -> Result<(), String> {
    let surface = result.map_err(|e| format!("snapshot: {e}"))?;
    let image = cairo::ImageSurface::try_from(surface)
        .map_err(|_| "snapshot: not an image surface".to_owned())?;
    let tmp = path.with_extension("png.tmp");
    let mut file = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    image
        .write_to_png(&mut file)
        .map_err(|e| format!("writing PNG: {e}"))?;
    file.sync_all()
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Facts about a PNG file: its size and how many distinct colours it has
/// (a blank page has one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PngFacts {
    /// Width in px.
    pub width: i32,
    /// Height in px.
    pub height: i32,
    /// Distinct colours, counted up to 1,000.
    pub colours: usize,
}

/// Reads a PNG written by a screenshot and describes it.
pub fn describe_png(path: &std::path::Path) -> Result<PngFacts, String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut image =
        cairo::ImageSurface::create_from_png(&mut f).map_err(|e| format!("not a PNG: {e}"))?;
    let (width, height, stride) = (image.width(), image.height(), image.stride());
    let data = image.data().map_err(|e| format!("PNG data: {e}"))?;
    let mut seen = std::collections::HashSet::new();
    'rows: for y in 0..height as usize {
        let row = &data[y * stride as usize..][..width as usize * 4];
        for px in row.chunks_exact(4) {
            seen.insert([px[0], px[1], px[2], px[3]]);
            if seen.len() >= 1000 {
                break 'rows;
            }
        }
    }
    Ok(PngFacts {
        width,
        height,
        colours: seen.len(),
    })
}
