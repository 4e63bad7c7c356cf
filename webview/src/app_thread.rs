//! The app thread of one window: it launches the mini program through the
//! embedding app's [`crate::LaunchFn`], then turns what the UI thread tells
//! it ([`AppIn`]) into runtime calls, and pumps timers and network results
//! between them. The mini program's `AppHandle` (which is `!Send`) lives and
//! dies here.

use crate::chrome::UiLink;
use crate::msg::{AppIn, AppStart, StartApp, UiMsg};
use crate::surface::{LaunchContext, WebviewSurface};
use mpkit_host::{AppHandle, HostError};
use serde_json::Map;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// The body of an app thread that launches with `launch`.
pub(crate) fn starter<F>(launch: F) -> StartApp
where
    F: Fn(LaunchContext) -> Result<AppHandle<WebviewSurface>, HostError> + Send + Sync + 'static,
{
    Arc::new(move |start| app_thread(start, &launch))
}

type Launch<'a> = &'a dyn Fn(LaunchContext) -> Result<AppHandle<WebviewSurface>, HostError>;

/// Runs [`app_loop`]; a panic in it (a bug, never the mini program's JS,
/// which runs in its worker) still tells the window the app has ended.
fn app_thread(start: AppStart, launch: Launch<'_>) {
    let (slot, p) = (start.slot, start.proxy.clone());
    let run = std::panic::AssertUnwindSafe(move || app_loop(start, launch));
    if std::panic::catch_unwind(run).is_err() {
        let _ = p.send_event(UiMsg::Failed {
            slot,
            message: "the mini program's host thread failed".into(),
        });
        let _ = p.send_event(UiMsg::Ended {
            slot,
            route: None,
            query: Map::new(),
        });
    }
}

/// The app thread: launches, then turns UI messages into runtime calls and
/// pumps timers and network results between them.
fn app_loop(start: AppStart, launch: Launch<'_>) {
    let AppStart {
        slot,
        route,
        query,
        user,
        overlay_errors,
        from_ui: rx,
        proxy,
    } = start;
    let ctx = LaunchContext {
        surface: WebviewSurface::new(slot, proxy.clone()),
        route,
        query,
        user,
        link: UiLink::new(slot, proxy.clone(), overlay_errors),
    };
    let mut handle = match launch(ctx) {
        Ok(h) => h,
        Err(e) => {
            let message = match &e {
                HostError::Launch(l) => format!("launch failed: {l}"),
                other => other.to_string(),
            };
            let _ = proxy.send_event(UiMsg::Failed { slot, message });
            let _ = proxy.send_event(UiMsg::Ended {
                slot,
                route: None,
                query: Map::new(),
            });
            return;
        }
    };
    let _ = proxy.send_event(UiMsg::Launched {
        slot,
        app: handle.app_id().clone(),
        dir: handle.bundle_dir().to_owned(),
    });
    loop {
        let next = handle.pump();
        if handle.stopped().is_some() {
            // The delegate already told the window; wait for it to close us.
            match rx.recv() {
                Ok(AppIn::Close) | Err(_) => break,
                Ok(_) => continue,
            }
        }
        let wait = next
            .map(|n| n.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(3600));
        let msg = match rx.recv_timeout(wait) {
            Ok(m) => m,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        // An event for a page that is no longer on top (a navigation raced
        // the tap) is dropped: it must not fire on the page that replaced it.
        let top = handle.surface().top();
        match msg {
            AppIn::Event {
                page,
                target,
                kind,
                detail,
            } => {
                if top == Some(page) {
                    handle.dispatch(target, kind, detail);
                }
            }
            AppIn::Back(page) => {
                if top == Some(page) {
                    handle.back(1);
                }
            }
            AppIn::Tab(route) => {
                if let Err(e) = handle.switch_tab(&route) {
                    tracing::warn!(slot = %slot, "tab: {e}");
                }
            }
            AppIn::ReachBottom(page) => {
                if top == Some(page) {
                    handle.reach_bottom();
                }
            }
            AppIn::Visible(true) => handle.show(),
            AppIn::Visible(false) => handle.hide(),
            AppIn::OpenWeb(url) => {
                if !handle.offer_web_view(&url) {
                    let _ = proxy.send_event(UiMsg::OpenWeb { slot, url });
                }
            }
            AppIn::Close => break,
        }
    }
    let route = handle.current_page().map(str::to_owned);
    let query = handle.current_query().cloned().unwrap_or_default();
    handle.close();
    let _ = proxy.send_event(UiMsg::Ended { slot, route, query });
}
