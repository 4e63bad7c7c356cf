//! How the host talks to the embedding app: the [`HostDelegate`] trait, the
//! requests it answers, and [`RecordingDelegate`], the headless host's
//! delegate that records every call and answers from its settings.
//!
//! Every method has a default, and every default is the safe answer: consent
//! is refused, payments are not confirmed, device APIs are unavailable.

use crate::logic::protocol::ScriptError;
use crate::logic::Stopped;
use mpkit_bundle::AppId;
use serde::Serialize;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A UI request: one a mini program made (`my.showToast`, `my.confirm`,
/// ...), or one a surface's chrome shows for the host itself ([`Overlay`],
/// [`Consent`], [`Payment`]).
///
/// The host passes only the mini program's requests to [`HostDelegate::ui`].
/// A surface that draws its own chrome (the webview's `ChromeDelegate`) makes
/// the other three from `app_error`, `ask_consent` and `confirm_payment`, so
/// that everything its chrome shows is one type. Serialized by serde as
/// `{"ui": "<variant, camelCase>", <fields, as named here>}`: the shape the
/// webview's view script reads.
///
/// [`Overlay`]: UiRequest::Overlay
/// [`Consent`]: UiRequest::Consent
/// [`Payment`]: UiRequest::Payment
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "ui", rename_all = "camelCase")]
#[non_exhaustive]
pub enum UiRequest {
    /// `my.showToast`.
    Toast {
        /// Text.
        content: String,
        /// `none`, `success`, `fail` or `exception`.
        kind: String,
        /// How long, in ms.
        duration_ms: u64,
    },
    /// `my.showLoading`.
    ShowLoading {
        /// Text.
        content: String,
    },
    /// `my.hideLoading`.
    HideLoading,
    /// `my.alert`.
    Alert {
        /// Title.
        title: String,
        /// Text.
        content: String,
        /// The button's label.
        button_text: String,
    },
    /// `my.confirm`.
    Confirm {
        /// Title.
        title: String,
        /// Text.
        content: String,
        /// The confirm button's label.
        confirm_text: String,
        /// The cancel button's label.
        cancel_text: String,
    },
    /// `my.prompt`.
    Prompt {
        /// Title.
        title: String,
        /// Text.
        message: String,
        /// Placeholder.
        placeholder: String,
    },
    /// `my.showActionSheet`.
    ActionSheet {
        /// Title.
        title: String,
        /// The choices.
        items: Vec<String>,
    },
    /// `my.setNavigationBar`.
    NavigationBar {
        /// New title.
        title: Option<String>,
        /// New background colour.
        background_color: Option<String>,
    },
    /// An error the mini program hit (`HostDelegate::app_error`): recorded
    /// by the surface, and shown over the page when `show` is set.
    Overlay {
        /// The file at fault, relative to the bundle root.
        file: String,
        /// Line from 1, 0 when unknown.
        line: u32,
        /// Column from 1, 0 when unknown.
        column: u32,
        /// What went wrong.
        message: String,
        /// Whether it is shown over the page (a developer's preview), or
        /// only recorded.
        show: bool,
    },
    /// The host asks whether the mini program may use `scope`
    /// (`HostDelegate::ask_consent`), in a sheet marked as the host's.
    Consent {
        /// Title.
        title: String,
        /// What the mini program asks for, in words.
        content: String,
        /// The scope, e.g. `scope.location`.
        scope: String,
    },
    /// The wallet's payment sheet (`HostDelegate::confirm_payment`), marked
    /// as the host's.
    Payment {
        /// Title.
        title: String,
        /// What is paid for, in words.
        content: String,
    },
}

/// The embedding app's answer to a [`UiRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UiReply {
    /// Shown (toasts, loading, alerts, navigation bar).
    Done,
    /// `confirm`, consent and the payment sheet: whether the user confirmed.
    Confirmed(bool),
    /// `prompt`: the text, or `None` when cancelled.
    Text(Option<String>),
    /// `showActionSheet`: the chosen index, or `None` when cancelled.
    Choice(Option<usize>),
}

impl UiReply {
    /// What a host without UI answers: shown, and every question cancelled.
    pub fn cancelled(req: &UiRequest) -> UiReply {
        match req {
            UiRequest::Confirm { .. } | UiRequest::Consent { .. } | UiRequest::Payment { .. } => {
                UiReply::Confirmed(false)
            }
            UiRequest::Prompt { .. } => UiReply::Text(None),
            UiRequest::ActionSheet { .. } => UiReply::Choice(None),
            _ => UiReply::Done,
        }
    }
}

/// A device request (`my.getLocation`, `my.scan`, ...). The user scope was
/// checked before the delegate is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "device", rename_all = "camelCase")]
#[non_exhaustive]
pub enum DeviceRequest {
    /// `my.getLocation`.
    Location,
    /// `my.scan`.
    Scan,
    /// `my.setClipboard`.
    SetClipboard {
        /// The text.
        text: String,
    },
    /// `my.getClipboard`.
    GetClipboard,
    /// `my.makePhoneCall`: offer to call (the user still dials).
    PhoneCall {
        /// The number.
        number: String,
    },
    /// `my.vibrate`.
    Vibrate,
}

/// How a payment ended, as the wallet reports it. Alipay's result codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum PayResult {
    /// `9000`: paid.
    Paid,
    /// `8000`: processing; the merchant must query its server.
    Processing,
    /// `4000`: failed.
    Failed,
    /// `6001`: the user cancelled.
    Cancelled,
    /// `6002`: network error.
    NetworkError,
}

impl PayResult {
    /// The `resultCode` JS sees (informational only: merchants confirm on their server).
    pub fn code(self) -> &'static str {
        match self {
            PayResult::Paid => "9000",
            PayResult::Processing => "8000",
            PayResult::Failed => "4000",
            PayResult::Cancelled => "6001",
            PayResult::NetworkError => "6002",
        }
    }
}

/// How the embedding app hears about, and answers for, its mini programs.
/// Every method has a safe default, so new methods never break integrators.
pub trait HostDelegate {
    /// A mini program was stopped for good (watchdog, memory cap, crash).
    fn app_stopped(&self, app: &AppId, reason: &Stopped) {
        let _ = (app, reason);
    }
    /// A mini program hit an uncaught error, a template error or a bad navigation.
    fn app_error(&self, app: &AppId, error: &ScriptError) {
        let _ = (app, error);
    }
    /// Asks the user whether `app` may use `scope` (first use only; the answer
    /// is stored). Default: refused.
    fn ask_consent(&self, app: &AppId, scope: &str) -> bool {
        let _ = (app, scope);
        false
    }
    /// Shows `my.openSetting`: the user sees `current` (scope → granted) and
    /// returns the new state. Default: unchanged.
    fn open_setting(
        &self,
        app: &AppId,
        current: &BTreeMap<String, bool>,
    ) -> BTreeMap<String, bool> {
        let _ = app;
        current.clone()
    }
    /// Shows UI. Default: shown, every question cancelled.
    fn ui(&self, app: &AppId, request: &UiRequest) -> UiReply {
        let _ = app;
        UiReply::cancelled(request)
    }
    /// A device capability. Default: not available on this host.
    fn device(&self, app: &AppId, request: &DeviceRequest) -> Result<Value, String> {
        let _ = (app, request);
        Err("not available on this host".into())
    }
    /// Obtains an auth code from the platform for (`app`, `user`, `scopes`):
    /// single-use, expiring, bound to both. Default: no platform configured.
    fn auth_code(&self, app: &AppId, user: &str, scopes: &[String]) -> Result<String, String> {
        let _ = (app, user, scopes);
        Err("this host has no platform to issue auth codes".into())
    }
    /// The user's public profile for `app`, after consent to `scope.userInfo`.
    fn open_user_info(&self, app: &AppId, user: &str) -> Result<Value, String> {
        let _ = (app, user);
        Err("this host has no user profile".into())
    }
    /// Shows the wallet's own payment sheet for `trade_no` and returns whether
    /// the user confirmed. Called for every `my.tradePay`. Default: not confirmed.
    fn confirm_payment(&self, app: &AppId, user: &str, trade_no: &str) -> bool {
        let _ = (app, user, trade_no);
        false
    }
    /// A page asked to open `url`, an https page on an origin its window's
    /// allowlist names (URLs off the allowlist never get here). Return true
    /// when the embedding app showed it itself, in its own in-app browser;
    /// the default, false, lets the webview surface open it in a private
    /// window that cannot leave the allowlist.
    fn open_web_view(&self, app: &AppId, url: &str) -> bool {
        let _ = (app, url);
        false
    }
    /// Carries out a payment the user confirmed. Default: failed.
    fn pay(&self, app: &AppId, user: &str, trade_no: &str) -> PayResult {
        let _ = (app, user, trade_no);
        PayResult::Failed
    }
}

/// A delegate that ignores everything and answers every question with no.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoDelegate;
impl HostDelegate for NoDelegate {}

/// How [`RecordingDelegate`] answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    /// Scope → the user's answer to a consent prompt; absent means refused.
    pub consent: BTreeMap<String, bool>,
    /// `my.confirm`.
    pub confirm: bool,
    /// `my.prompt` (`None`: cancelled).
    pub prompt: Option<String>,
    /// `my.showActionSheet` (`None`: cancelled).
    pub action: Option<usize>,
    /// Whether the payment sheet is confirmed.
    pub pay_confirm: bool,
    /// How a confirmed payment ends.
    pub pay_result: PayResult,
    /// `my.getLocation`.
    pub location: Value,
    /// `my.scan`.
    pub scan: String,
    /// `my.getOpenUserInfo`.
    pub user_info: Value,
}

impl Default for Answers {
    fn default() -> Answers {
        Answers {
            consent: BTreeMap::new(),
            confirm: true,
            prompt: None,
            action: None,
            pay_confirm: false,
            pay_result: PayResult::Paid,
            location: json!({"latitude": "31.230416", "longitude": "121.473701", "accuracy": 65}),
            scan: "https://example.com/qr".into(),
            user_info: json!({"nickName": "Test User", "avatar": "", "countryCode": "SG"}),
        }
    }
}

/// The headless host's delegate: records every request in order and answers
/// from [`Answers`]. Tests, `mpkit run` and compatibility runs use it.
#[derive(Debug, Default)]
pub struct RecordingDelegate {
    /// How it answers.
    pub answers: RefCell<Answers>,
    events: RefCell<Vec<Value>>,
    clipboard: RefCell<String>,
    codes: RefCell<u64>,
}

impl RecordingDelegate {
    /// A delegate with these answers.
    pub fn new(answers: Answers) -> RecordingDelegate {
        RecordingDelegate {
            answers: RefCell::new(answers),
            ..RecordingDelegate::default()
        }
    }

    /// Everything asked so far, in order.
    pub fn events(&self) -> Vec<Value> {
        self.events.borrow().clone()
    }

    fn log(&self, v: Value) {
        let mut e = self.events.borrow_mut();
        if e.len() < 10_000 {
            e.push(v);
        }
    }
}

impl HostDelegate for RecordingDelegate {
    fn app_stopped(&self, app: &AppId, reason: &Stopped) {
        self.log(json!({"event": "stopped", "app": app.as_str(), "reason": reason.to_string()}));
    }
    fn app_error(&self, app: &AppId, error: &ScriptError) {
        self.log(json!({"event": "error", "app": app.as_str(), "message": error.message}));
    }
    fn ask_consent(&self, app: &AppId, scope: &str) -> bool {
        let granted = self
            .answers
            .borrow()
            .consent
            .get(scope)
            .copied()
            .unwrap_or(false);
        self.log(
            json!({"event": "consent", "app": app.as_str(), "scope": scope, "granted": granted}),
        );
        granted
    }
    fn open_setting(
        &self,
        app: &AppId,
        current: &BTreeMap<String, bool>,
    ) -> BTreeMap<String, bool> {
        // The "user" sets each listed scope to the configured answer.
        let answers = self.answers.borrow();
        let next: BTreeMap<String, bool> = current
            .iter()
            .map(|(s, v)| (s.clone(), answers.consent.get(s).copied().unwrap_or(*v)))
            .collect();
        self.log(
            json!({"event": "openSetting", "app": app.as_str(), "before": current, "after": next}),
        );
        next
    }
    fn ui(&self, app: &AppId, request: &UiRequest) -> UiReply {
        self.log(json!({"event": "ui", "app": app.as_str(), "request": request}));
        let a = self.answers.borrow();
        match request {
            UiRequest::Confirm { .. } => UiReply::Confirmed(a.confirm),
            UiRequest::Prompt { .. } => UiReply::Text(a.prompt.clone()),
            UiRequest::ActionSheet { items, .. } => {
                UiReply::Choice(a.action.filter(|i| *i < items.len()))
            }
            _ => UiReply::Done,
        }
    }
    fn device(&self, app: &AppId, request: &DeviceRequest) -> Result<Value, String> {
        self.log(json!({"event": "device", "app": app.as_str(), "request": request}));
        let a = self.answers.borrow();
        Ok(match request {
            DeviceRequest::Location => a.location.clone(),
            DeviceRequest::Scan => json!({"code": a.scan, "qrCode": a.scan}),
            DeviceRequest::SetClipboard { text } => {
                *self.clipboard.borrow_mut() = text.clone();
                json!({})
            }
            DeviceRequest::GetClipboard => json!({"text": *self.clipboard.borrow()}),
            DeviceRequest::PhoneCall { .. } | DeviceRequest::Vibrate => json!({}),
        })
    }
    fn auth_code(&self, app: &AppId, user: &str, scopes: &[String]) -> Result<String, String> {
        let mut n = self.codes.borrow_mut();
        *n += 1;
        let mut rand = [0u8; 8];
        getrandom::getrandom(&mut rand).map_err(|e| e.to_string())?;
        let code = format!("headless-{}-{}", *n, hex::encode(rand));
        self.log(json!({"event": "authCode", "app": app.as_str(), "user": user, "scopes": scopes}));
        Ok(code)
    }
    fn open_user_info(&self, app: &AppId, user: &str) -> Result<Value, String> {
        self.log(json!({"event": "openUserInfo", "app": app.as_str(), "user": user}));
        Ok(self.answers.borrow().user_info.clone())
    }
    fn confirm_payment(&self, app: &AppId, user: &str, trade_no: &str) -> bool {
        let ok = self.answers.borrow().pay_confirm;
        self.log(json!({"event": "confirmPayment", "app": app.as_str(), "user": user, "tradeNO": trade_no, "confirmed": ok}));
        ok
    }
    fn pay(&self, app: &AppId, user: &str, trade_no: &str) -> PayResult {
        let r = self.answers.borrow().pay_result;
        self.log(json!({"event": "pay", "app": app.as_str(), "user": user, "tradeNO": trade_no, "resultCode": r.code()}));
        r
    }
}
