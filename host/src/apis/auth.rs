//! Identity and consent: `my.getAuthCode`, `my.getOpenUserInfo`,
//! `my.getSetting`, `my.openSetting`, `my.authorize`, and `my.tradePay`,
//! which the user always confirms. The delegate prompter lives here too.

use super::common::{reg, s};
use super::store::UserData;
use super::ApiEnv;
use crate::delegate::HostDelegate;
use mpkit_bundle::AppId;
use mpkit_jsapi::dispatch::user_gate;
use mpkit_jsapi::registry::ApiDecl;
use mpkit_jsapi::{ApiError, Dispatcher, Prompter};
use mpkit_sandbox::acl::ScopeDecision;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Asks the user through the delegate, for one app.
pub(super) struct DelegatePrompter {
    pub(super) app: AppId,
    pub(super) delegate: Rc<dyn HostDelegate>,
}

impl Prompter for DelegatePrompter {
    fn ask(&self, _app: &str, scope: &str) -> bool {
        self.delegate.ask_consent(&self.app, scope)
    }
}

/// `scope.userInfo` → `userInfo`, as `authSetting` names it.
fn setting_name(scope: &str) -> &str {
    scope.strip_prefix("scope.").unwrap_or(scope)
}

fn auth_setting(data: &UserData, user: &str, app: &str, now: u64) -> Result<Value, ApiError> {
    let mut m = Map::new();
    for g in data.grants(user, app)? {
        let on = match g.decision {
            ScopeDecision::Granted { until, .. } => until.is_none_or(|t| now < t),
            ScopeDecision::Denied { .. } => false,
        };
        m.insert(setting_name(&g.scope).to_owned(), Value::Bool(on));
    }
    Ok(json!({ "authSetting": m }))
}

pub(super) fn register_auth(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>, env: &ApiEnv) {
    let (delegate, app) = (env.delegate.clone(), env.app.clone());
    reg(d, decls, "getAuthCode", move |c| {
        let scopes: Vec<String> = match c.params.get("scopes") {
            None | Some(Value::Null) => vec!["auth_base".into()],
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ApiError::InvalidParam {
                    param: "scopes".into(),
                    reason: "must be a string or an array of strings".into(),
                })?,
            Some(_) => {
                return Err(ApiError::InvalidParam {
                    param: "scopes".into(),
                    reason: "must be a string or an array of strings".into(),
                })
            }
        };
        if scopes.is_empty() || scopes.iter().any(|s| s != "auth_base" && s != "auth_user") {
            return Err(ApiError::InvalidParam {
                param: "scopes".into(),
                reason: "must be auth_base and/or auth_user".into(),
            });
        }
        let code = delegate
            .auth_code(&app, c.user, &scopes)
            .map_err(ApiError::Internal)?;
        Ok(json!({"authCode": code, "authSuccessScopes": scopes}))
    });
    let (delegate, app) = (env.delegate.clone(), env.app.clone());
    reg(d, decls, "getOpenUserInfo", move |c| {
        let mut info = delegate
            .open_user_info(&app, c.user)
            .map_err(ApiError::Internal)?;
        if let Value::Object(m) = &mut info {
            m.insert("code".into(), json!("10000"));
            m.insert("msg".into(), json!("Success"));
        }
        Ok(json!({"response": json!({"response": info}).to_string()}))
    });
    let data = env.data.clone();
    reg(d, decls, "getSetting", move |c| {
        auth_setting(&data, c.user, c.app_id, crate::util::now_secs())
    });
    let (data, delegate, app) = (env.data.clone(), env.delegate.clone(), env.app.clone());
    reg(d, decls, "openSetting", move |c| {
        let now = crate::util::now_secs();
        let before: BTreeMap<String, bool> = data
            .grants(c.user, c.app_id)?
            .into_iter()
            .map(|g| {
                let on = matches!(g.decision, ScopeDecision::Granted { until, .. } if until.is_none_or(|t| now < t));
                (g.scope, on)
            })
            .collect();
        let after = delegate.open_setting(&app, &before);
        for (scope, on) in after {
            // Only scopes that were shown can change; the delegate cannot add new ones.
            if before.get(&scope).is_some_and(|b| *b != on) {
                let decision = if on {
                    ScopeDecision::Granted {
                        at: now,
                        receipt: mpkit_jsapi::dispatch::receipt_id(c.user, c.app_id, &scope, now),
                        until: None,
                    }
                } else {
                    ScopeDecision::Denied { at: now }
                };
                data.put_decision(c.user, c.app_id, &scope, &decision)?;
            }
        }
        auth_setting(&data, c.user, c.app_id, now)
    });
    let (data, approved) = (env.data.clone(), env.permissions.scopes.clone());
    let prompter = DelegatePrompter {
        app: env.app.clone(),
        delegate: env.delegate.clone(),
    };
    reg(d, decls, "authorize", move |c| {
        let scope = s(c.params, "scope");
        if !scope.starts_with("scope.") || scope.len() > 64 {
            return Err(ApiError::InvalidParam {
                param: "scope".into(),
                reason: "must name a scope such as scope.location".into(),
            });
        }
        if !approved.contains(&scope) {
            return Err(ApiError::NotApproved {
                api: "authorize".into(),
                permission: scope,
            });
        }
        user_gate(
            c.user,
            c.app_id,
            &scope,
            &*data,
            &prompter,
            crate::util::now_secs(),
        )?;
        Ok(json!({}))
    });
    let (delegate, app) = (env.delegate.clone(), env.app.clone());
    reg(d, decls, "tradePay", move |c| {
        let trade = s(c.params, "tradeNO");
        if trade.is_empty() || trade.len() > 128 || trade.chars().any(char::is_control) {
            return Err(ApiError::InvalidParam {
                param: "tradeNO".into(),
                reason: "must be 1 to 128 printable characters".into(),
            });
        }
        // Always confirmed by the user on the wallet's own sheet; what JS sees
        // afterwards is informational, merchants confirm on their server.
        if !delegate.confirm_payment(&app, c.user, &trade) {
            return Ok(json!({"resultCode": crate::delegate::PayResult::Cancelled.code()}));
        }
        Ok(json!({"resultCode": delegate.pay(&app, c.user, &trade).code()}))
    });
}
