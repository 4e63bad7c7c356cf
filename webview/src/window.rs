//! Windows and webviews, built on the UI thread: a mini program's webview
//! with the `mpkit://` protocol and IPC bound to it and every other way out
//! blocked; the plain private window an allowlisted web page opens in; and,
//! with the `bench` feature, the bare webview the benchmark compares against.

use crate::error::WebviewError;
use crate::msg::{OpenOptions, UiMsg, ViewId};
use crate::protocol;
use crate::serve::{serve_async, Served};
use mpkit_bundle::AppId;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tao::dpi::LogicalSize;
use tao::event_loop::{EventLoopProxy, EventLoopWindowTarget};
use tao::platform::unix::WindowExtUnix;
use tao::window::{Window, WindowBuilder};
use wry::http::Request;
use wry::{
    NewWindowResponse, PermissionResponse, WebContext, WebView, WebViewBuilder,
    WebViewBuilderExtUnix,
};

/// A mini program's window and webview.
pub(crate) struct Built {
    /// Names the webview in IPC and navigation reports.
    pub(crate) view: ViewId,
    pub(crate) window: Window,
    pub(crate) webview: WebView,
    /// What its `mpkit://` handler serves.
    pub(crate) served: Arc<Mutex<Served>>,
    /// Whether its shell said it is ready for scripts.
    pub(crate) ready: bool,
}

/// A window sized and titled as `opts` asks.
pub(crate) fn new_window(
    opts: &OpenOptions,
    target: &EventLoopWindowTarget<UiMsg>,
) -> Result<Window, WebviewError> {
    WindowBuilder::new()
        .with_title(&opts.title)
        .with_inner_size(LogicalSize::new(opts.width, opts.height))
        .with_visible(opts.visible)
        .build(target)
        .map_err(|e| WebviewError::Window(e.to_string()))
}

/// The webview of `app` in `window`, on the web context of (app, user):
/// IPC and navigation reports go to the UI thread as `view`, navigation to
/// anything but the shell, new windows, downloads and permission requests
/// are refused. `protocol` is the context's `Served`, given the first time
/// a webview is built on the context: the scheme belongs to the context and
/// is registered once.
pub(crate) fn webview(
    window: &Window,
    context: &mut WebContext,
    protocol: Option<Arc<Mutex<Served>>>,
    view: ViewId,
    app: &AppId,
    opts: &OpenOptions,
    proxy: &EventLoopProxy<UiMsg>,
) -> Result<WebView, WebviewError> {
    let ipc_proxy = proxy.clone();
    let nav_proxy = proxy.clone();
    let win_proxy = proxy.clone();
    let nav_app = app.clone();
    let mut builder = WebViewBuilder::new_with_web_context(context);
    if let Some(for_protocol) = protocol {
        builder = builder.with_asynchronous_custom_protocol(
            protocol::SCHEME.into(),
            move |_id, req: Request<Vec<u8>>, responder| {
                serve_async(&for_protocol, req.uri().to_string(), responder)
            },
        );
    }
    let builder = builder
        .with_ipc_handler(move |req: Request<String>| {
            let at = Instant::now();
            let uri = req.uri().to_string();
            let _ = ipc_proxy.send_event(UiMsg::Ipc {
                view,
                uri,
                body: req.into_body(),
                at,
            });
        })
        .with_navigation_handler(move |url| {
            let ok = protocol::navigation_allowed(&url, &nav_app);
            if !ok {
                let _ = nav_proxy.send_event(UiMsg::Blocked { view, url });
            }
            ok
        })
        .with_new_window_req_handler(move |url, _| {
            let _ = win_proxy.send_event(UiMsg::Blocked { view, url });
            NewWindowResponse::Deny
        })
        .with_download_started_handler(|_, _| false)
        .with_permission_handler(|_| PermissionResponse::Deny)
        .with_clipboard(false)
        .with_hotkeys_zoom(false)
        .with_devtools(opts.devtools)
        .with_url(protocol::shell_url(app));
    let vbox = window
        .default_vbox()
        .ok_or_else(|| WebviewError::Window("the window has no container".into()))?;
    let webview = builder
        .build_gtk(vbox)
        .map_err(|e| WebviewError::Window(e.to_string()))?;
    if opts.devtools {
        webview.open_devtools();
    }
    Ok(webview)
}

/// A plain window showing `url`: no mpkit:// protocol, no IPC, and private
/// browsing, so nothing it stores outlives it or reaches another web window.
/// It stays on the allowlisted origins it was opened for.
pub(crate) fn open_web(
    url: &str,
    allowlist: Vec<String>,
    target: &EventLoopWindowTarget<UiMsg>,
) -> Option<(Window, WebView)> {
    let Ok(window) = WindowBuilder::new().with_title(url).build(target) else {
        return None;
    };
    let vbox = window.default_vbox()?;
    match WebViewBuilder::new()
        .with_url(url)
        .with_incognito(true)
        .with_navigation_handler(move |to| {
            let ok = allowlist.iter().any(|o| web_origin_matches(o, &to));
            if !ok {
                tracing::warn!(
                    url = to,
                    "web-view window: navigation off its allowlist blocked"
                );
            }
            ok
        })
        .with_new_window_req_handler(|_, _| NewWindowResponse::Deny)
        .with_download_started_handler(|_, _| false)
        .build_gtk(vbox)
    {
        Ok(w) => Some((window, w)),
        Err(e) => {
            tracing::warn!("web-view window: {e}");
            None
        }
    }
}

/// Whether `url` is on the allowlisted origin `origin` (exact scheme, host
/// and port; https only).
pub(crate) fn web_origin_matches(origin: &str, url: &str) -> bool {
    let Some(rest) = url.strip_prefix(origin) else {
        return false;
    };
    origin.starts_with("https://")
        && (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
}

/// A bare wry webview with a one-line page; `reply` gets the time from
/// creating its window to its first paint, or why there is none. The caller
/// keeps what it returns alive until the next probe.
#[cfg(feature = "bench")]
pub(crate) fn bare(
    reply: impl Fn(Result<std::time::Duration, String>) + Clone + 'static,
    target: &EventLoopWindowTarget<UiMsg>,
) -> Option<(Window, WebView)> {
    let start = Instant::now();
    let window = match WindowBuilder::new()
        .with_title("hello")
        .with_inner_size(LogicalSize::new(375, 667))
        .build(target)
    {
        Ok(w) => w,
        Err(e) => {
            reply(Err(e.to_string()));
            return None;
        }
    };
    let Some(vbox) = window.default_vbox() else {
        reply(Err("no container".into()));
        return None;
    };
    let tx = reply.clone();
    let built = WebViewBuilder::new()
        .with_html(
            "<!doctype html><p>Hello</p><script>requestAnimationFrame(()=>requestAnimationFrame(()=>window.ipc.postMessage('painted')))</script>",
        )
        .with_ipc_handler(move |_| tx(Ok(start.elapsed())))
        .build_gtk(vbox);
    match built {
        Ok(w) => Some((window, w)),
        Err(e) => {
            reply(Err(e.to_string()));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_web_view_url_must_be_on_an_allowlisted_https_origin_exactly() {
        let o = "https://pay.example.com";
        for ok in [
            "https://pay.example.com",
            "https://pay.example.com/",
            "https://pay.example.com/checkout?id=1",
            "https://pay.example.com?x=1",
        ] {
            assert!(web_origin_matches(o, ok), "{ok}");
        }
        for refused in [
            "https://pay.example.com.evil.com/",
            "https://pay.example.com@evil.com/",
            "https://pay.example.com:8443/",
            "http://pay.example.com/",
            "https://PAY.example.com/",
            "https://evil.com/https://pay.example.com/",
            "javascript:alert(1)",
            "",
        ] {
            assert!(!web_origin_matches(o, refused), "{refused}");
        }
        // An allowlist entry that is not https allows nothing.
        assert!(!web_origin_matches(
            "http://pay.example.com",
            "http://pay.example.com/"
        ));
    }
}
