//! [`ChromeDelegate`] shows the JSAPI UI calls, consent prompts and the
//! payment sheet in the page's HTML chrome, and waits for the user's answer
//! on the app thread; [`UiLink`] is its way to the UI thread.

use crate::msg::{Slot, UiAnswer, UiMsg};
use mpkit_bundle::AppId;
use mpkit_host::ScriptError;
use mpkit_host::Stopped;
use mpkit_host::{DeviceRequest, HostDelegate, PayResult, UiReply, UiRequest};
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

    fn tell(&self, request: UiRequest) {
        let _ = self.proxy.send_event(UiMsg::Ui {
            slot: self.slot,
            request,
            reply: None,
        });
    }

    /// Shows a question and waits for the answer; `None` when the window closed
    /// or nobody answered in time.
    fn ask(&self, request: UiRequest) -> Option<UiAnswer> {
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

/// The consent prompt for `scope`.
fn consent(scope: &str) -> UiRequest {
    UiRequest::Consent {
        title: "Allow access?".into(),
        content: consent_text(scope),
        scope: scope.into(),
    }
}

/// The payment sheet for order `trade_no`.
fn payment(trade_no: &str) -> UiRequest {
    UiRequest::Payment {
        title: "Confirm payment".into(),
        content: format!("Pay for order {trade_no}?"),
    }
}

/// A script error as the overlay shows it.
fn overlay(error: &ScriptError, show: bool) -> UiRequest {
    UiRequest::Overlay {
        file: error.file.clone(),
        line: error.line,
        column: error.column,
        message: format!("{}: {}", error.kind, error.message),
        show,
    }
}

/// Whether the chrome only shows `request`, with nothing to answer.
fn shown_only(request: &UiRequest) -> bool {
    matches!(
        request,
        UiRequest::Toast { .. }
            | UiRequest::ShowLoading { .. }
            | UiRequest::HideLoading
            | UiRequest::NavigationBar { .. }
            | UiRequest::Overlay { .. }
    )
}

/// The reply to `request` that the user's `answer` makes.
fn reply(request: &UiRequest, answer: &UiAnswer) -> UiReply {
    match request {
        UiRequest::Confirm { .. } | UiRequest::Consent { .. } | UiRequest::Payment { .. } => {
            UiReply::Confirmed(answer.confirmed())
        }
        UiRequest::Prompt { .. } => UiReply::Text(answer.text()),
        UiRequest::ActionSheet { items, .. } => {
            UiReply::Choice(answer.choice().filter(|i| *i < items.len()))
        }
        _ => UiReply::Done,
    }
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
        self.link.tell(overlay(error, self.link.overlay_errors));
        self.inner.app_error(app, error);
    }

    fn ask_consent(&self, app: &AppId, scope: &str) -> bool {
        let answer = self.link.ask(consent(scope));
        let granted = answer.is_some_and(|a| a.confirmed());
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
        let _ = app;
        if shown_only(request) {
            self.link.tell(request.clone());
            return UiReply::Done;
        }
        match self.link.ask(request.clone()) {
            Some(answer) => reply(request, &answer),
            None => UiReply::cancelled(request),
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
        let answer = self.link.ask(payment(trade_no));
        let confirmed = answer.is_some_and(|a| a.confirmed());
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What `__mpkit.ui` gets: the view script reads these names.
    #[test]
    fn the_chrome_is_sent_each_request_in_the_shape_the_view_script_reads() {
        let error = ScriptError {
            kind: "uncaught".into(),
            message: "order is null".into(),
            file: "pages/index/index.js".into(),
            line: 7,
            column: 3,
        };
        for (request, want) in [
            (
                consent("scope.location"),
                json!({"ui": "consent", "title": "Allow access?",
                       "content": "This mini program asks to use your location.",
                       "scope": "scope.location"}),
            ),
            (
                payment("T-42"),
                json!({"ui": "payment", "title": "Confirm payment",
                       "content": "Pay for order T-42?"}),
            ),
            (
                overlay(&error, true),
                json!({"ui": "overlay", "file": "pages/index/index.js", "line": 7,
                       "column": 3, "message": "uncaught: order is null", "show": true}),
            ),
            (
                UiRequest::Confirm {
                    title: "Sure?".into(),
                    content: "Really?".into(),
                    confirm_text: "Yes".into(),
                    cancel_text: "No".into(),
                },
                json!({"ui": "confirm", "title": "Sure?", "content": "Really?",
                       "confirm_text": "Yes", "cancel_text": "No"}),
            ),
            (
                UiRequest::Toast {
                    content: "Saved".into(),
                    kind: "none".into(),
                    duration_ms: 2000,
                },
                json!({"ui": "toast", "content": "Saved", "kind": "none", "duration_ms": 2000}),
            ),
            (
                UiRequest::ActionSheet {
                    title: String::new(),
                    items: vec!["Latte".into()],
                },
                json!({"ui": "actionSheet", "title": "", "items": ["Latte"]}),
            ),
        ] {
            assert_eq!(serde_json::to_value(&request).expect("json"), want);
        }
    }

    #[test]
    fn questions_wait_for_an_answer_and_the_rest_are_only_shown() {
        assert!(shown_only(&UiRequest::HideLoading));
        assert!(shown_only(&overlay(&ScriptError::host("x".into()), false)));
        assert!(!shown_only(&consent("scope.location")));
        assert!(!shown_only(&payment("T-1")));
        let answer = |v: serde_json::Value| serde_json::from_value::<UiAnswer>(v).expect("answer");
        let sheet = UiRequest::ActionSheet {
            title: String::new(),
            items: vec!["Latte".into(), "Mocha".into()],
        };
        assert_eq!(
            reply(&sheet, &answer(json!({"choice": 1}))),
            UiReply::Choice(Some(1))
        );
        // A choice past the items is no choice.
        assert_eq!(
            reply(&sheet, &answer(json!({"choice": 2}))),
            UiReply::Choice(None)
        );
        for asked in [consent("scope.location"), payment("T-1")] {
            assert_eq!(
                reply(&asked, &answer(json!({"confirmed": true}))),
                UiReply::Confirmed(true)
            );
            assert_eq!(
                reply(&asked, &answer(json!({"done": true}))),
                UiReply::Confirmed(false)
            );
            assert_eq!(UiReply::cancelled(&asked), UiReply::Confirmed(false));
        }
    }
}
