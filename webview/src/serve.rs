//! What a mini program's webview is served over `mpkit://`: the shell and
//! the view script, each page's CSS, patches too large to push, and the
//! bundle's static assets, read on worker threads so the UI thread never
//! waits on a disk. Also where each (user, app) keeps its webview data.
//! [`crate::protocol`] decides which URL names what; this file answers.

use crate::protocol::{self, Resource};
use mpkit_bundle::AppId;
use mpkit_host::PageId;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use wry::http::{header, Response, StatusCode};

/// What the protocol handler of one webview serves.
#[derive(Debug)]
pub(crate) struct Served {
    pub(crate) app: AppId,
    /// The verified tree assets are read from, once the app launched.
    pub(crate) dir: Option<PathBuf>,
    /// Each page's CSS.
    pub(crate) css: HashMap<PageId, String>,
    /// Patches too large to push, each served once.
    pub(crate) pulls: HashMap<u64, String>,
    /// Patches the page has pulled so far.
    pub(crate) pulled: usize,
    /// Requests refused, with the reason.
    pub(crate) refused: Vec<String>,
}

/// The per-(user, app) webview data directory. The user's directory is
/// named by the host's one function for it ([`mpkit_host::user_dir_name`]),
/// the same after a toolchain upgrade.
pub(crate) fn data_dir(root: &Path, user: &str, app: &AppId) -> PathBuf {
    root.join(mpkit_host::user_dir_name(user))
        .join(app.as_str())
}

fn respond(
    status: StatusCode,
    mime: &str,
    csp: &str,
    body: Vec<u8>,
) -> Response<Cow<'static, [u8]>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, mime)
        .header("Content-Security-Policy", csp)
        .header("X-Content-Type-Options", "nosniff")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Cow::Owned(body))
        .unwrap_or_else(|_| Response::new(Cow::Borrowed(&[][..])))
}

/// Serves one `mpkit://` request from what the UI thread recorded and the
/// verified bundle tree.
fn serve(served: &Mutex<Served>, url: &str) -> Response<Cow<'static, [u8]>> {
    let Ok(mut s) = served.lock() else {
        return respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            "default-src 'none'",
            Vec::new(),
        );
    };
    let csp = protocol::csp(&s.app);
    let refuse = |s: &mut Served, status: StatusCode, why: String| {
        tracing::warn!(app = %s.app, url, why, "mpkit:// request refused");
        if s.refused.len() < 1000 {
            s.refused.push(format!("{url}: {why}"));
        }
        respond(status, "text/plain; charset=utf-8", &csp, why.into_bytes())
    };
    let resource = match protocol::resolve(url, &s.app) {
        Ok(r) => r,
        Err(e) => {
            let status = match e {
                protocol::Refused::NoSuchResource => StatusCode::NOT_FOUND,
                _ => StatusCode::FORBIDDEN,
            };
            return refuse(&mut s, status, e.to_string());
        }
    };
    let mime = protocol::resource_mime(&resource);
    let body = match &resource {
        Resource::Shell => include_bytes!("../assets/shell.html").to_vec(),
        Resource::ViewJs => include_bytes!("../assets/view.js").to_vec(),
        Resource::ViewCss => include_bytes!("../assets/view.css").to_vec(),
        Resource::ComponentsCss => include_bytes!("../assets/components.css").to_vec(),
        Resource::PageCss(p) => match s.css.get(p) {
            Some(c) => c.clone().into_bytes(),
            None => return refuse(&mut s, StatusCode::NOT_FOUND, format!("no page {p}")),
        },
        // A pull is served once.
        Resource::Pull(n) => match s.pulls.remove(n) {
            Some(ops) => {
                s.pulled += 1;
                ops.into_bytes()
            }
            None => return refuse(&mut s, StatusCode::NOT_FOUND, format!("no pull {n}")),
        },
        Resource::Asset(rel) => {
            let Some(dir) = s.dir.clone() else {
                return refuse(
                    &mut s,
                    StatusCode::NOT_FOUND,
                    "the app has not launched".into(),
                );
            };
            // Read without holding the lock the UI thread also takes.
            drop(s);
            match read_asset(&dir, rel) {
                Ok(b) => b,
                Err(why) => {
                    let Ok(mut s) = served.lock() else {
                        return respond(StatusCode::NOT_FOUND, "text/plain", &csp, Vec::new());
                    };
                    return refuse(&mut s, StatusCode::NOT_FOUND, why);
                }
            }
        }
    };
    respond(StatusCode::OK, mime, &csp, body)
}

/// Asset reads in flight, across every webview; beyond the cap a page gets 503.
static ASSET_READS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const MAX_ASSET_READS: usize = 8;

/// Serves host resources at once, and reads bundle assets on a worker thread
/// so a page with many or large images never stalls the UI thread.
pub(crate) fn serve_async(
    served: &Arc<Mutex<Served>>,
    url: String,
    responder: wry::RequestAsyncResponder,
) {
    use std::sync::atomic::Ordering;
    let csp = served
        .lock()
        .ok()
        .and_then(|s| match protocol::resolve(&url, &s.app) {
            Ok(Resource::Asset(_)) if s.dir.is_some() => Some(protocol::csp(&s.app)),
            _ => None,
        });
    let Some(csp) = csp else {
        responder.respond(serve(served, &url));
        return;
    };
    if ASSET_READS.fetch_add(1, Ordering::SeqCst) >= MAX_ASSET_READS {
        ASSET_READS.fetch_sub(1, Ordering::SeqCst);
        let busy = respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            &csp,
            b"busy".to_vec(),
        );
        responder.respond(busy);
        return;
    }
    let served = served.clone();
    let spawned = std::thread::Builder::new()
        .name("mpkit-asset".into())
        .spawn(move || {
            responder.respond(serve(&served, &url));
            ASSET_READS.fetch_sub(1, Ordering::SeqCst);
        });
    if spawned.is_err() {
        ASSET_READS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Reads a static asset, refusing anything that resolves outside `dir`
/// (a symlink, though verified trees have none).
fn read_asset(dir: &Path, rel: &str) -> Result<Vec<u8>, String> {
    let root = dir
        .canonicalize()
        .map_err(|e| format!("bundle root: {e}"))?;
    let path = root
        .join(rel)
        .canonicalize()
        .map_err(|_| format!("{rel}: no such file"))?;
    if !path.starts_with(&root) {
        return Err(format!("{rel} leaves the bundle root"));
    }
    let meta = std::fs::metadata(&path).map_err(|e| format!("{rel}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{rel}: not a file"));
    }
    std::fs::read(&path).map_err(|e| format!("{rel}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_and_app_has_a_data_directory_named_the_same_by_every_build() {
        let app = AppId::new("2021000000000001").expect("app");
        let root = Path::new("/data");
        // SHA-256 of "dave", first 16 bytes: the same on every toolchain.
        assert_eq!(
            data_dir(root, "dave", &app),
            Path::new("/data/61ea0803f8853523b777d414ace3130c/2021000000000001")
        );
        assert_ne!(data_dir(root, "erin", &app), data_dir(root, "dave", &app));
        let other = AppId::new("2021000000000002").expect("app");
        assert_ne!(data_dir(root, "dave", &other), data_dir(root, "dave", &app));
    }
}
