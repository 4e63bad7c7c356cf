//! [`ChromeDelegate`] shows the JSAPI UI calls, consent prompts and the
//! payment sheet in the page's HTML chrome, and waits for the user's answer
//! on the app thread; [`UiLink`] is its way to the UI thread.

use crate::msg::{Slot, UiMsg};
use mpkit_bundle::AppId;
use mpkit_host::delegate::{DeviceRequest, HostDelegate, PayResult, UiReply, UiRequest};
use mpkit_host::logic::protocol::ScriptError;
use mpkit_host::logic::Stopped;
use serde_json::Value;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;
use tao::event_loop::EventLoopProxy;

/// A `Send` link from the app thread to its window's chrome.
#[derive(Debug, Clone)]
pub struct UiLink {
    slot: Slot,
    proxy: EventLoopProxy<UiMsg>,
    overlay_errors: bool,
}

/// How long a question waits for the user before it counts as cancelled.
pub(crate) const ANSWER_TIMEOUT: Duration = Duration::from_secs(600);

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
