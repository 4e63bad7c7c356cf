//! The built-in `my.*` handlers and the per-launch JSAPI setup.
//!
//! [`setup`] turns a launch (app, host user, the signed manifest's approved
//! permissions, the host's delegate and services) into the [`Session`] the
//! runtime dispatches through. Every handler receives identity from the
//! dispatcher's [`Call`] (the host's context), never from the payload.

pub(crate) mod files;
pub(crate) mod net;
pub(crate) mod store;

use crate::delegate::{DeviceRequest, HostDelegate, UiReply, UiRequest};
use files::Files;
use mpkit_bundle::{AppId, Permissions};
use mpkit_jsapi::dispatch::user_gate;
use mpkit_jsapi::registry::{builtin_decls, ApiDecl};
use mpkit_jsapi::{ApiError, AppContext, Call, Dispatcher, Handler, Nav, Prompter, Session};
use mpkit_sandbox::acl::ScopeDecision;
use mpkit_sandbox::net::{DevOrigin, NetPolicy};
use net::{NetConfig, NetHandler};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use store::UserData;

/// What `my.getSystemInfo` reports about the device and the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemInfo {
    /// Device brand.
    pub brand: String,
    /// Device model.
    pub model: String,
    /// `iOS`, `Android`, `Linux`, ...
    pub platform: String,
    /// OS version.
    pub system: String,
    /// The embedding app's name.
    pub app: String,
    /// The embedding app's version.
    pub version: String,
    /// Language tag.
    pub language: String,
    /// Device pixel ratio.
    pub pixel_ratio: f64,
    /// Screen width in px.
    pub screen_width: f64,
    /// Screen height in px.
    pub screen_height: f64,
    /// `WIFI`, `4G`, `NOTREACHABLE`, ...
    pub network_type: String,
}

impl Default for SystemInfo {
    fn default() -> SystemInfo {
        SystemInfo {
            brand: "mpkit".into(),
            model: "headless".into(),
            platform: std::env::consts::OS.into(),
            system: std::env::consts::ARCH.into(),
            app: "mpkit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            language: "en-US".into(),
            pixel_ratio: 2.0,
            screen_width: 375.0,
            screen_height: 812.0,
            network_type: "WIFI".into(),
        }
    }
}

/// A custom JSAPI of the embedding app: its declaration and its handler.
pub type CustomApi = (ApiDecl, Rc<dyn Handler>);

/// Everything [`setup`] needs for one launch.
#[derive(Clone)]
pub struct ApiEnv {
    /// The mini program.
    pub app: AppId,
    /// The host user.
    pub user: String,
    /// Approved permissions, from the verified manifest.
    pub permissions: Permissions,
    /// The host's storage and consent database.
    pub data: Rc<UserData>,
    /// The host's file spaces.
    pub files: Files,
    /// Network limits.
    pub net: NetConfig,
    /// Loopback origins allowed for development (the embedding app's choice).
    pub dev_origins: Vec<DevOrigin>,
    /// The embedding app.
    pub delegate: Rc<dyn HostDelegate>,
    /// Device and host facts.
    pub system: SystemInfo,
    /// The embedding app's own APIs (they pass the same gates).
    pub custom: Vec<CustomApi>,
    /// When set, only these `my.*` names are offered (a host that ships a
    /// subset, a compatibility profile); every other API answers error 1 and
    /// `canIUse` says false. Navigation and `canIUse` itself always stay.
    pub available: Option<BTreeSet<String>>,
}

impl std::fmt::Debug for ApiEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiEnv")
            .field("app", &self.app)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Asks the user through the delegate, for one app.
struct DelegatePrompter {
    app: AppId,
    delegate: Rc<dyn HostDelegate>,
}

impl Prompter for DelegatePrompter {
    fn ask(&self, _app: &str, scope: &str) -> bool {
        self.delegate.ask_consent(&self.app, scope)
    }
}

struct Shared(Rc<dyn Handler>);
impl Handler for Shared {
    fn call(&self, call: &Call<'_>) -> Result<Value, ApiError> {
        self.0.call(call)
    }
    fn start(&self, call: &Call<'_>) -> mpkit_jsapi::Outcome {
        self.0.start(call)
    }
}

fn s(p: &Map<String, Value>, k: &str) -> String {
    p.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn key(p: &Map<String, Value>) -> &str {
    p.get("key").and_then(Value::as_str).unwrap_or_default()
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

fn reg<F>(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>, name: &str, f: F)
where
    F: Fn(&Call<'_>) -> Result<Value, ApiError> + 'static,
{
    if let Some(decl) = decls.get(name) {
        d.register(decl.clone(), Box::new(f));
    }
}

/// APIs that no subset removes: the page stack carries out navigation, and
/// `canIUse` is how a mini program finds out about the rest.
pub const ALWAYS_AVAILABLE: &[&str] = &[
    Nav::To.name(),
    Nav::Redirect.name(),
    Nav::Back.name(),
    Nav::ReLaunch.name(),
    Nav::SwitchTab.name(),
    "canIUse",
];

/// Builds the dispatcher with every built-in handler, plus the embedding app's
/// custom APIs, and the resolved context for this launch.
pub fn setup(env: &ApiEnv) -> Result<Session, ApiError> {
    let decls: BTreeMap<String, ApiDecl> = builtin_decls()
        .into_iter()
        .map(|d| (d.name.clone(), d))
        .collect();
    let mut d = Dispatcher::new();
    register_storage(&mut d, &decls, &env.data);
    register_files(&mut d, &env.files);
    let policy = NetPolicy::from_lists(&env.permissions.domains)
        .map_err(ApiError::from)?
        .with_dev_origins(env.dev_origins.clone());
    let net = NetHandler::new(env.net.clone(), policy.clone(), env.files.clone());
    for name in ["request", "httpRequest", "downloadFile", "uploadFile"] {
        if let Some(decl) = decls.get(name) {
            d.register(decl.clone(), Box::new(net.clone()));
        }
    }
    register_ui(&mut d, &decls, env);
    register_system(&mut d, &decls, env);
    register_auth(&mut d, &decls, env);
    register_device(&mut d, &decls, env);
    // Gated like every API, then carried out by the runtime's page stack.
    d.register_navigation();
    for (decl, handler) in &env.custom {
        d.register(decl.clone(), Box::new(Shared(handler.clone())));
    }
    if let Some(only) = &env.available {
        d.retain(|name| only.contains(name) || ALWAYS_AVAILABLE.contains(&name));
    }
    // canIUse answers from the finished table.
    let mut table: BTreeSet<String> = d.can_i_use_table().into_iter().collect();
    table.insert("canIUse".into());
    let t = table.clone();
    reg(&mut d, &decls, "canIUse", move |c| {
        let q = c
            .params
            .get("name")
            .or_else(|| c.params.get("api"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let key: String = q.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
        Ok(Value::Bool(t.contains(&key)))
    });
    let keys: BTreeSet<String> = env.permissions.jsapi.iter().cloned().collect();
    let scopes: BTreeSet<String> = env.permissions.scopes.iter().cloned().collect();
    let acl = d.resolve(&keys, &scopes);
    Ok(Session {
        dispatcher: Rc::new(d),
        context: AppContext {
            app_id: env.app.to_string(),
            user: env.user.clone(),
            acl,
            net: policy,
        },
        consents: env.data.clone(),
        prompter: Rc::new(DelegatePrompter {
            app: env.app.clone(),
            delegate: env.delegate.clone(),
        }),
    })
}

fn register_storage(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>, data: &Rc<UserData>) {
    for suffix in ["", "Sync"] {
        let db = data.clone();
        reg(d, decls, &format!("setStorage{suffix}"), move |c| {
            let v = c.params.get("data").cloned().unwrap_or(Value::Null);
            db.set(c.user, c.app_id, key(c.params), &v.to_string())?;
            Ok(json!({}))
        });
        let db = data.clone();
        reg(d, decls, &format!("getStorage{suffix}"), move |c| {
            let data = match db.get(c.user, c.app_id, key(c.params))? {
                Some(text) => serde_json::from_str(&text)
                    .map_err(|e| ApiError::Internal(format!("stored value unreadable: {e}")))?,
                None => Value::Null,
            };
            // Moved in, not re-serialized as `json!` would.
            let mut out = serde_json::Map::new();
            out.insert("data".into(), data);
            Ok(Value::Object(out))
        });
        let db = data.clone();
        reg(d, decls, &format!("removeStorage{suffix}"), move |c| {
            db.remove(c.user, c.app_id, key(c.params))?;
            Ok(json!({}))
        });
        let db = data.clone();
        reg(d, decls, &format!("clearStorage{suffix}"), move |c| {
            db.clear(c.user, c.app_id)?;
            Ok(json!({}))
        });
        let db = data.clone();
        reg(d, decls, &format!("getStorageInfo{suffix}"), move |c| {
            let info = db.info(c.user, c.app_id)?;
            Ok(json!({
                "keys": info.keys,
                "currentSize": info.used.div_ceil(1024),
                "limitSize": info.limit / 1024,
            }))
        });
    }
}

fn register_files(d: &mut Dispatcher, files: &Files) {
    let encoding = |p: &Map<String, Value>| -> Result<bool, ApiError> {
        match p.get("encoding").and_then(Value::as_str).unwrap_or("utf8") {
            "utf8" | "utf-8" => Ok(false),
            "base64" => Ok(true),
            other => Err(ApiError::InvalidParam {
                param: "encoding".into(),
                reason: format!("{other:?} is not utf8 or base64"),
            }),
        }
    };
    for decl in builtin_decls().into_iter().filter(|d| {
        matches!(
            d.name.as_str(),
            "writeFile" | "readFile" | "unlink" | "readdir" | "getFileInfo"
        )
    }) {
        let f = files.clone();
        let handler: Box<dyn Handler> = match decl.name.as_str() {
            "writeFile" => Box::new(move |c: &Call<'_>| {
                let data = s(c.params, "data");
                let bytes = if encoding(c.params)? {
                    crate::util::base64_decode(&data).ok_or_else(|| ApiError::InvalidParam {
                        param: "data".into(),
                        reason: "is not base64".into(),
                    })?
                } else {
                    data.into_bytes()
                };
                let path = f.write(c.user, c.app_id, &s(c.params, "filePath"), &bytes)?;
                Ok(json!({ "filePath": path }))
            }),
            "readFile" => Box::new(move |c: &Call<'_>| {
                let b64 = encoding(c.params)?;
                let bytes = f.read(c.user, c.app_id, &s(c.params, "filePath"))?;
                let data = if b64 {
                    crate::util::base64_encode(&bytes)
                } else {
                    String::from_utf8(bytes).map_err(|_| {
                        ApiError::Decode("the file is not UTF-8; read it as base64".into())
                    })?
                };
                Ok(json!({ "data": data }))
            }),
            "unlink" => Box::new(move |c: &Call<'_>| {
                f.unlink(c.user, c.app_id, &s(c.params, "filePath"))?;
                Ok(json!({}))
            }),
            "readdir" => Box::new(move |c: &Call<'_>| {
                let entries = f.list(c.user, c.app_id, &s(c.params, "dirPath"))?;
                Ok(
                    json!({ "files": entries.iter().map(|e| e.name.clone()).collect::<Vec<_>>(), "entries": entries }),
                )
            }),
            _ => Box::new(move |c: &Call<'_>| {
                let size = f.size(c.user, c.app_id, &s(c.params, "filePath"))?;
                Ok(json!({ "size": size }))
            }),
        };
        d.register(decl, handler);
    }
}

fn register_ui(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>, env: &ApiEnv) {
    let ui = |name: &'static str, make: fn(&Map<String, Value>) -> Result<UiRequest, ApiError>| {
        let delegate = env.delegate.clone();
        let app = env.app.clone();
        move |c: &Call<'_>| -> Result<Value, ApiError> {
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

fn register_system(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>, env: &ApiEnv) {
    let info = env.system.clone();
    let value = json!({
        "brand": info.brand,
        "model": info.model,
        "platform": info.platform,
        "system": info.system,
        "app": info.app,
        "version": info.version,
        "SDKVersion": env!("CARGO_PKG_VERSION"),
        "language": info.language,
        "pixelRatio": info.pixel_ratio,
        "screenWidth": info.screen_width,
        "screenHeight": info.screen_height,
        "windowWidth": info.screen_width,
        "windowHeight": info.screen_height,
    });
    for name in ["getSystemInfo", "getSystemInfoSync"] {
        let v = value.clone();
        reg(d, decls, name, move |_| Ok(v.clone()));
    }
    let network = info.network_type.clone();
    reg(d, decls, "getNetworkType", move |_| {
        Ok(json!({"networkType": network, "networkAvailable": network != "NOTREACHABLE"}))
    });
}

fn register_auth(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>, env: &ApiEnv) {
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

fn register_device(d: &mut Dispatcher, decls: &BTreeMap<String, ApiDecl>, env: &ApiEnv) {
    let dev = |make: fn(&Map<String, Value>) -> Result<DeviceRequest, ApiError>| {
        let (delegate, app) = (env.delegate.clone(), env.app.clone());
        move |c: &Call<'_>| -> Result<Value, ApiError> {
            let req = make(c.params)?;
            delegate.device(&app, &req).map_err(|e| {
                tracing::debug!(api = c.api, error = %e, "device request refused");
                ApiError::NotAvailable(c.api.to_owned())
            })
        }
    };
    reg(
        d,
        decls,
        "getLocation",
        dev(|_| Ok(DeviceRequest::Location)),
    );
    reg(d, decls, "scan", dev(|_| Ok(DeviceRequest::Scan)));
    reg(
        d,
        decls,
        "setClipboard",
        dev(|p| {
            let text = s(p, "text");
            if text.len() > 64 * 1024 {
                return Err(ApiError::InvalidParam {
                    param: "text".into(),
                    reason: "is longer than 64 KB".into(),
                });
            }
            Ok(DeviceRequest::SetClipboard { text })
        }),
    );
    reg(
        d,
        decls,
        "getClipboard",
        dev(|_| Ok(DeviceRequest::GetClipboard)),
    );
    reg(
        d,
        decls,
        "makePhoneCall",
        dev(|p| {
            let number = s(p, "number");
            if number.is_empty()
                || number.len() > 32
                || !number
                    .chars()
                    .all(|c| c.is_ascii_digit() || "+-() ".contains(c))
            {
                return Err(ApiError::InvalidParam {
                    param: "number".into(),
                    reason: "must be a phone number".into(),
                });
            }
            Ok(DeviceRequest::PhoneCall { number })
        }),
    );
    reg(d, decls, "vibrate", dev(|_| Ok(DeviceRequest::Vibrate)));
}
