//! Toasts, loading, alert, confirm, prompt, action sheets and the
//! navigation bar: what the embedding app shows through its delegate.

use super::common::{reg, s};
use super::ApiEnv;
use crate::delegate::{UiReply, UiRequest};
use mpkit_jsapi::registry::ApiDecl;
use mpkit_jsapi::{ApiError, Call, Dispatcher};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The longest text a toast, dialog, sheet item or bar title may show, in
/// characters: more is no message a person reads, and a flood of such
/// calls would fill the embedding app's memory.
pub(crate) const MAX_UI_TEXT: usize = 4_096;

/// Refuses a string argument (or a string in an array argument) longer than
/// [`MAX_UI_TEXT`] characters.
fn check_texts(p: &Map<String, Value>) -> Result<(), ApiError> {
    for (k, v) in p {
        let too_long = match v {
            Value::String(t) => t.chars().count() > MAX_UI_TEXT,
            Value::Array(items) => items
                .iter()
                .any(|i| i.as_str().is_some_and(|t| t.chars().count() > MAX_UI_TEXT)),
            _ => false,
        };
        if too_long {
            return Err(ApiError::InvalidParam {
                param: k.clone(),
                reason: format!("longer than {MAX_UI_TEXT} characters"),
            });
        }
    }
    Ok(())
}

pub(super) fn register_ui(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>, env: &ApiEnv) {
    let ui = |name: &'static str, make: fn(&Map<String, Value>) -> Result<UiRequest, ApiError>| {
        let delegate = env.delegate.clone();
        let app = env.app.clone();
        move |c: &Call<'_>| -> Result<Value, ApiError> {
            check_texts(c.params)?;
            let req = make(c.params)?;
            let reply = delegate.ui(&app, &req);
            Ok(match (name, reply) {
                ("confirm", UiReply::Confirmed(b)) => json!({ "confirm": b }),
                ("confirm", _) => json!({ "confirm": false }),
                ("prompt", UiReply::Text(Some(t))) => json!({ "ok": true, "inputValue": t }),
                ("prompt", _) => json!({ "ok": false, "inputValue": "" }),
                ("showActionSheet", UiReply::Choice(Some(i))) => json!({ "index": i }),
                ("showActionSheet", _) => json!({ "index": -1 }),
                _ => json!({}),
            })
        }
    };
    reg(
        d,
        decls,
        "showToast",
        ui("showToast", |p| {
            let duration = p.get("duration").and_then(Value::as_f64).unwrap_or(2000.0);
            Ok(UiRequest::Toast {
                content: s(p, "content"),
                kind: p
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("none")
                    .to_owned(),
                duration_ms: duration.clamp(0.0, 60_000.0) as u64,
            })
        }),
    );
    reg(
        d,
        decls,
        "showLoading",
        ui("showLoading", |p| {
            Ok(UiRequest::ShowLoading {
                content: s(p, "content"),
            })
        }),
    );
    reg(
        d,
        decls,
        "hideLoading",
        ui("hideLoading", |_| Ok(UiRequest::HideLoading)),
    );
    reg(
        d,
        decls,
        "alert",
        ui("alert", |p| {
            let button = s(p, "buttonText");
            Ok(UiRequest::Alert {
                title: s(p, "title"),
                content: s(p, "content"),
                button_text: if button.is_empty() {
                    "OK".into()
                } else {
                    button
                },
            })
        }),
    );
    reg(
        d,
        decls,
        "confirm",
        ui("confirm", |p| {
            let or = |k: &str, dflt: &str| {
                let v = s(p, k);
                if v.is_empty() {
                    dflt.to_owned()
                } else {
                    v
                }
            };
            Ok(UiRequest::Confirm {
                title: s(p, "title"),
                content: s(p, "content"),
                confirm_text: or("confirmButtonText", "OK"),
                cancel_text: or("cancelButtonText", "Cancel"),
            })
        }),
    );
    reg(
        d,
        decls,
        "prompt",
        ui("prompt", |p| {
            Ok(UiRequest::Prompt {
                title: s(p, "title"),
                message: s(p, "message"),
                placeholder: s(p, "placeholder"),
            })
        }),
    );
    reg(
        d,
        decls,
        "showActionSheet",
        ui("showActionSheet", |p| {
            let items = p
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if items.is_empty() || items.len() > 20 {
                return Err(ApiError::InvalidParam {
                    param: "items".into(),
                    reason: "must hold 1 to 20 strings".into(),
                });
            }
            let items = items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ApiError::InvalidParam {
                    param: "items".into(),
                    reason: "must hold strings".into(),
                })?;
            Ok(UiRequest::ActionSheet {
                title: s(p, "title"),
                items,
            })
        }),
    );
    reg(
        d,
        decls,
        "setNavigationBar",
        ui("setNavigationBar", |p| {
            Ok(UiRequest::NavigationBar {
                title: p.get("title").and_then(Value::as_str).map(str::to_owned),
                background_color: p
                    .get("backgroundColor")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        }),
    );
}
