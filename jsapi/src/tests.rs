//! The dispatcher's gates, in order, with a fake host.

use crate::dispatch::{AppContext, Call, ConsentStore, Dispatcher, Prompter};
use crate::error::ApiError;
use crate::registry::{builtin_decls, ApiDecl, Kind, ParamType};
use mpkit_sandbox::acl::ScopeDecision;
use mpkit_sandbox::net::NetPolicy;
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Default)]
struct Consents(RefCell<HashMap<(String, String, String), ScopeDecision>>);
impl ConsentStore for Consents {
    fn decision(&self, user: &str, app: &str, scope: &str) -> Option<ScopeDecision> {
        self.0
            .borrow()
            .get(&(user.into(), app.into(), scope.into()))
            .cloned()
    }
    fn record(&self, user: &str, app: &str, scope: &str, d: ScopeDecision) {
        self.0
            .borrow_mut()
            .insert((user.into(), app.into(), scope.into()), d);
    }
}

struct Asker {
    answer: bool,
    asked: Cell<u32>,
}
impl Prompter for Asker {
    fn ask(&self, _: &str, _: &str) -> bool {
        self.asked.set(self.asked.get() + 1);
        self.answer
    }
}

fn echo(call: &Call<'_>) -> Result<Value, ApiError> {
    Ok(
        json!({"app": call.app_id, "user": call.user, "params": call.params, "url": call.url.map(|u| u.url.to_string())}),
    )
}

fn host() -> Dispatcher {
    let mut d = Dispatcher::new();
    for decl in builtin_decls() {
        d.register(decl, Box::new(echo));
    }
    d.register(
        ApiDecl::new(
            "getWalletBalance",
            Kind::Async,
            "The wallet's balance, with consent.",
        )
        .permission("getWalletBalance")
        .scope("scope.walletBalance")
        .param("currency", ParamType::String, false),
        Box::new(|c: &Call<'_>| Ok(json!({"balance": 1200, "user": c.user}))),
    );
    d
}

fn ctx(d: &Dispatcher, keys: &[&str], scopes: &[&str]) -> AppContext {
    let keys: BTreeSet<String> = keys.iter().map(|s| s.to_string()).collect();
    let scopes: BTreeSet<String> = scopes.iter().map(|s| s.to_string()).collect();
    let lists = BTreeMap::from([(
        "request".to_string(),
        vec!["api.coffee.example".to_string()],
    )]);
    AppContext {
        app_id: "2021000000000001".into(),
        user: "u-1".into(),
        acl: d.resolve(&keys, &scopes),
        net: NetPolicy::from_lists(&lists).expect("lists"),
    }
}

fn asker(answer: bool) -> Asker {
    Asker {
        answer,
        asked: Cell::new(0),
    }
}

#[test]
fn unknown_api_is_not_available() {
    let d = host();
    let c = ctx(&d, &[], &[]);
    let e = d
        .dispatch(
            &c,
            "formatDisk",
            &json!({}),
            &Consents::default(),
            &asker(true),
            0,
        )
        .expect_err("unknown");
    assert_eq!(
        (e.code(), e.clone()),
        (1, ApiError::NotAvailable("formatDisk".into()))
    );
}

#[test]
fn unapproved_api_fails_without_a_prompt() {
    let d = host();
    let c = ctx(&d, &[], &[]);
    let a = asker(true);
    let e = d
        .dispatch(&c, "getLocation", &json!({}), &Consents::default(), &a, 0)
        .expect_err("not approved");
    assert_eq!(
        e,
        ApiError::NotApproved {
            api: "getLocation".into(),
            permission: "getLocation".into()
        }
    );
    assert_eq!(e.code(), 4);
    assert_eq!(
        a.asked.get(),
        0,
        "no prompt for what the platform did not approve"
    );
}

#[test]
fn scope_prompts_once_then_remembers() {
    let d = host();
    let c = ctx(&d, &["getOpenUserInfo"], &["scope.userInfo"]);
    let store = Consents::default();
    let yes = asker(true);
    d.dispatch(&c, "getOpenUserInfo", &json!({}), &store, &yes, 100)
        .expect("granted");
    d.dispatch(&c, "getOpenUserInfo", &json!({}), &store, &yes, 101)
        .expect("still granted");
    assert_eq!(yes.asked.get(), 1);
    let Some(ScopeDecision::Granted {
        receipt, at: 100, ..
    }) = store.decision("u-1", "2021000000000001", "scope.userInfo")
    else {
        panic!("no receipt")
    };
    assert_eq!(
        receipt,
        crate::dispatch::receipt_id("u-1", "2021000000000001", "scope.userInfo", 100)
    );
    assert!(receipt.starts_with("rcpt-100-"), "{receipt}");
    assert_ne!(
        receipt,
        crate::dispatch::receipt_id("u-2", "2021000000000001", "scope.userInfo", 100),
        "receipts differ per user"
    );
}

#[test]
fn a_denial_stays_until_the_user_changes_it() {
    let d = host();
    let c = ctx(&d, &["getOpenUserInfo"], &["scope.userInfo"]);
    let store = Consents::default();
    let no = asker(false);
    let e = d
        .dispatch(&c, "getOpenUserInfo", &json!({}), &store, &no, 0)
        .expect_err("denied");
    assert_eq!(
        (e.code(), e.clone()),
        (11, ApiError::UserDenied("scope.userInfo".into()))
    );
    let e = d
        .dispatch(&c, "getOpenUserInfo", &json!({}), &store, &asker(true), 1)
        .expect_err("still denied");
    assert_eq!(e.code(), 11);
}

#[test]
fn bad_parameters_fail_before_any_prompt() {
    let d = host();
    let c = ctx(&d, &["setClipboard"], &["scope.clipboard"]);
    let a = asker(true);
    let e = d
        .dispatch(
            &c,
            "setClipboard",
            &json!({"text": 42}),
            &Consents::default(),
            &a,
            0,
        )
        .expect_err("type");
    assert_eq!(
        e,
        ApiError::InvalidParam {
            param: "text".into(),
            reason: "must be a string".into()
        }
    );
    let e = d
        .dispatch(&c, "setClipboard", &json!({}), &Consents::default(), &a, 0)
        .expect_err("missing");
    assert_eq!(
        e,
        ApiError::InvalidParam {
            param: "text".into(),
            reason: "is required".into()
        }
    );
    let e = d
        .dispatch(
            &c,
            "setClipboard",
            &json!("text"),
            &Consents::default(),
            &a,
            0,
        )
        .expect_err("not an object");
    assert_eq!(e.code(), 2);
    assert_eq!(a.asked.get(), 0);
}

#[test]
fn network_arguments_are_checked_against_the_list() {
    let d = host();
    let c = ctx(&d, &["request"], &[]);
    let ok = d
        .dispatch(
            &c,
            "request",
            &json!({"url": "https://api.coffee.example/menu"}),
            &Consents::default(),
            &asker(true),
            0,
        )
        .expect("allowed");
    assert_eq!(ok["url"], "https://api.coffee.example/menu");
    for (url, want) in [
        ("https://evil.example/", 4),
        ("http://api.coffee.example/", 4),
        ("https://user@api.coffee.example/", 4),
        ("https://2130706433/", 4),
        ("::not a url::", 2),
    ] {
        let e = d
            .dispatch(
                &c,
                "request",
                &json!({"url": url}),
                &Consents::default(),
                &asker(true),
                0,
            )
            .expect_err(url);
        assert_eq!(e.code(), want, "{url}: {e}");
    }
}

#[test]
fn identity_in_the_payload_is_ignored() {
    let d = host();
    let c = ctx(&d, &[], &[]);
    let out = d
        .dispatch(
            &c,
            "showToast",
            &json!({"content": "hi", "appId": "other.app", "userId": "admin"}),
            &Consents::default(),
            &asker(true),
            0,
        )
        .expect("toast");
    assert_eq!(out["app"], "2021000000000001");
    assert_eq!(out["user"], "u-1");
    assert_eq!(out["params"], json!({"content": "hi"}));
}

#[test]
fn custom_apis_pass_the_same_gates() {
    let d = host();
    let not_approved = ctx(&d, &[], &[]);
    let e = d
        .dispatch(
            &not_approved,
            "getWalletBalance",
            &json!({}),
            &Consents::default(),
            &asker(true),
            0,
        )
        .expect_err("gated");
    assert_eq!(e.code(), 4);
    let approved = ctx(&d, &["getWalletBalance"], &["scope.walletBalance"]);
    let a = asker(true);
    let out = d
        .dispatch(
            &approved,
            "getWalletBalance",
            &json!({}),
            &Consents::default(),
            &a,
            0,
        )
        .expect("balance");
    assert_eq!((out["balance"].as_i64(), a.asked.get()), (Some(1200), 1));
}

#[test]
fn can_i_use_answers_from_the_table() {
    let d = host();
    assert!(d.can_i_use("request"));
    assert!(d.can_i_use("request.timeout"));
    assert!(d.can_i_use("request.success"));
    assert!(!d.can_i_use("request.nope"));
    assert!(!d.can_i_use("formatDisk"));
    assert!(d.can_i_use("getStorageSync"));
    assert!(
        !d.can_i_use("getStorageSync.success"),
        "sync APIs have no callbacks"
    );
}

fn every_error() -> Vec<ApiError> {
    vec![
        ApiError::NotAvailable("x".into()),
        ApiError::InvalidParam {
            param: "key".into(),
            reason: "is required".into(),
        },
        ApiError::Internal("db".into()),
        ApiError::NotApproved {
            api: "getLocation".into(),
            permission: "getLocation".into(),
        },
        ApiError::Forbidden(
            "evil.example is not on this mini program's request domain list".into(),
        ),
        ApiError::UserDenied("scope.location".into()),
        ApiError::Network("connection refused".into()),
        ApiError::Timeout(60000),
        ApiError::Decode("expected JSON".into()),
        ApiError::Http(502),
        ApiError::TooMany {
            api: "request".into(),
            limit: 10,
        },
        ApiError::NoSpace,
        ApiError::Navigation("pages/cart/cart is a tab page; use switchTab".into()),
    ]
}

#[test]
fn error_mapping_snapshot() {
    let table: Vec<Value> = every_error().iter().map(ApiError::to_js).collect();
    insta::assert_json_snapshot!(table);
}

/// The code table JS programs are written against: a change here is a change
/// of contract, and shows in review.
#[test]
fn error_code_table_snapshot() {
    let table: Vec<Value> = ApiError::CODES
        .iter()
        .map(|(code, meaning)| json!({"error": code, "meaning": meaning}))
        .collect();
    insta::assert_json_snapshot!(table);
}

#[test]
fn every_error_has_a_documented_code_and_every_code_is_used() {
    let used: BTreeSet<i64> = every_error().iter().map(ApiError::code).collect();
    let documented: Vec<i64> = ApiError::CODES.iter().map(|(c, _)| *c).collect();
    let unique: BTreeSet<i64> = documented.iter().copied().collect();
    assert_eq!(unique.len(), documented.len(), "a code is listed twice");
    assert_eq!(used, unique);
}

/// A session dispatches with its own identity and stores, through the same gates.
#[test]
fn a_session_calls_and_starts_through_the_gate() {
    use crate::{Outcome, Session};
    use std::rc::Rc;
    let d = host();
    let context = ctx(&d, &["getWalletBalance"], &["scope.walletBalance"]);
    let consents = Rc::new(Consents::default());
    let session = Session {
        dispatcher: Rc::new(d),
        context,
        consents: consents.clone(),
        prompter: Rc::new(asker(true)),
    };
    let out = session
        .call("showToast", &json!({"content": "hi", "userId": "admin"}), 7)
        .expect("toast");
    assert_eq!(
        (out["user"].as_str(), out["app"].as_str()),
        (Some("u-1"), Some("2021000000000001"))
    );
    let Outcome::Ready(Ok(v)) = session.start("getWalletBalance", &json!({}), 9) else {
        panic!("balance not ready");
    };
    assert_eq!(v["balance"], 1200);
    assert!(matches!(
        consents.decision("u-1", "2021000000000001", "scope.walletBalance"),
        Some(ScopeDecision::Granted { at: 9, .. })
    ));
    let e = session
        .call("getLocation", &json!({}), 10)
        .expect_err("not approved");
    assert_eq!(e.code(), ApiError::NO_PERMISSION);
}

#[test]
fn each_navigation_is_spelled_once_and_reads_back() {
    use crate::registry::Nav;
    let names: BTreeSet<&str> = Nav::ALL.iter().map(|n| n.name()).collect();
    let open_types: BTreeSet<&str> = Nav::ALL.iter().map(|n| n.open_type()).collect();
    assert_eq!((names.len(), open_types.len()), (5, 5));
    for nav in Nav::ALL {
        assert_eq!(Nav::from_name(nav.name()), Some(nav));
        assert_eq!(Nav::from_open_type(nav.open_type()), Some(nav));
        let text = serde_json::to_string(&nav).expect("json");
        assert_eq!(text, format!("\"{}\"", nav.name()));
        assert_eq!(serde_json::from_str::<Nav>(&text).expect("reads"), nav);
        let decl = nav.decl();
        assert_eq!((decl.name.as_str(), decl.kind), (nav.name(), Kind::Nav));
        assert_eq!(
            (decl.permission.as_deref(), decl.scope.as_deref(), decl.net),
            (None, None, None),
            "navigation needs no permission"
        );
    }
    // The names and open-types mini programs are written against.
    let table: Vec<Value> = Nav::ALL
        .iter()
        .map(|n| json!([n.name(), n.open_type(), n.opens_url()]))
        .collect();
    insta::assert_json_snapshot!(table);
    assert_eq!(Nav::from_name("navigate"), None);
    assert_eq!(Nav::from_open_type("navigateTo"), None);
    assert!(serde_json::from_str::<Nav>("\"formatDisk\"").is_err());
    let builtin: Vec<String> = builtin_decls()
        .into_iter()
        .filter(|d| d.kind == Kind::Nav)
        .map(|d| d.name)
        .collect();
    assert_eq!(builtin, Nav::ALL.map(|n| n.name().to_owned()));
}

/// Navigation passes the same gate as every API, then goes to the host's
/// page stack typed, never to a handler.
#[test]
fn navigation_is_gated_then_handed_to_the_page_stack() {
    use crate::registry::Nav;
    use crate::Outcome;
    let d = host();
    let c = ctx(&d, &[], &[]);
    let go =
        |api: &str, params: Value| d.start(&c, api, &params, &Consents::default(), &asker(true), 0);
    match go(
        "navigateTo",
        json!({"url": "pages/b/b?x=1", "appId": "spoofed"}),
    ) {
        Outcome::Navigate { nav, params } => {
            assert_eq!(nav, Nav::To);
            assert_eq!(Value::Object(params), json!({"url": "pages/b/b?x=1"}));
        }
        other => panic!("{other:?}"),
    }
    match go("navigateBack", json!({})) {
        Outcome::Navigate { nav, params } => assert_eq!((nav, params.len()), (Nav::Back, 0)),
        other => panic!("{other:?}"),
    }
    // The argument shape gate.
    let Outcome::Ready(Err(e)) = go("redirectTo", json!({})) else {
        panic!("a navigation without its url passed");
    };
    assert_eq!(
        e,
        ApiError::InvalidParam {
            param: "url".into(),
            reason: "is required".into()
        }
    );
    let Outcome::Ready(Err(e)) = go("navigateBack", json!({"delta": "2"})) else {
        panic!("a delta that is not a number passed");
    };
    assert_eq!(e.code(), ApiError::INVALID_PARAM);
    // Run to the end outside a page stack, it is an error, not a navigation.
    let e = d
        .dispatch(
            &c,
            "switchTab",
            &json!({"url": "pages/a/a"}),
            &Consents::default(),
            &asker(true),
            0,
        )
        .expect_err("no page stack here");
    assert_eq!(e.code(), ApiError::INTERNAL);
    // The host gate: a host without navigation has none.
    let mut without = host();
    without.retain(|name| Nav::from_name(name).is_none());
    let c = ctx(&without, &[], &[]);
    let e = without
        .dispatch(
            &c,
            "navigateTo",
            &json!({"url": "pages/a/a"}),
            &Consents::default(),
            &asker(true),
            0,
        )
        .expect_err("not offered");
    assert_eq!(e, ApiError::NotAvailable("navigateTo".into()));
    assert!(!without.can_i_use("navigateTo"));
}

#[test]
fn a_navigation_only_session_offers_navigation_and_nothing_else() {
    use crate::{Outcome, Session};
    let s = Session::navigation_only("app.one");
    assert!(matches!(
        s.start("reLaunch", &json!({"url": "pages/a/a"}), 0),
        Outcome::Navigate {
            nav: crate::Nav::ReLaunch,
            ..
        }
    ));
    let e = s
        .call("getStorageSync", &json!({"key": "k"}), 0)
        .expect_err("none");
    assert_eq!(e, ApiError::NotAvailable("getStorageSync".into()));
    assert!(s.dispatcher.can_i_use("navigateBack.delta"));
    assert!(s.dispatcher.can_i_use("navigateBack.success"));
}

/// The host's registry resolved for a mini program the platform approved
/// two keys and one scope for: navigation and the APIs without a key pass,
/// the rest are refused before anyone is asked.
#[test]
fn builtin_acl_snapshot() {
    let d = host();
    let c = ctx(&d, &["request", "getLocation"], &["scope.location"]);
    insta::assert_json_snapshot!(c.acl);
}

/// docs/jsapi.md is exactly what the registry generates (regenerate with
/// `MPKIT_UPDATE_DOCS=1 cargo test -p mpkit-jsapi`), and it spells every
/// parameter as the runtime reads it: camelCase, as in the typings.
#[test]
fn docs_jsapi_md_is_generated_from_the_registry() {
    let decls = crate::registry::builtin_decls();
    let text = crate::Dispatcher::reference_markdown(&decls);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/jsapi.md");
    if std::env::var_os("MPKIT_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &text).expect("write docs/jsapi.md");
    }
    let on_disk = std::fs::read_to_string(&path).expect("docs/jsapi.md");
    assert!(
        on_disk == text,
        "docs/jsapi.md is stale: run MPKIT_UPDATE_DOCS=1 cargo test -p mpkit-jsapi"
    );
    for d in &decls {
        for p in &d.params {
            assert!(
                text.contains(&format!("`{}`", p.name)),
                "my.{} documents `{}` as the runtime spells it",
                d.name,
                p.name
            );
        }
    }
    for camel in ["`filePath`", "`dirPath`", "`dataType`", "`tradeNO`"] {
        assert!(text.contains(camel), "{camel}");
    }
}

/// The view's own APIs are declared once (`ViewApi`), pass the same gate as
/// every API (identity stripped, argument shape checked), and then go to the
/// host's page typed, never to a handler.
#[test]
fn view_apis_are_gated_then_handed_to_the_page() {
    use crate::registry::ViewApi;
    use crate::Outcome;
    let names: BTreeSet<&str> = ViewApi::ALL.iter().map(|v| v.name()).collect();
    assert_eq!(names.len(), ViewApi::ALL.len());
    for v in ViewApi::ALL {
        assert_eq!(ViewApi::from_name(v.name()), Some(v));
        let decl = v.decl();
        assert_eq!((decl.name.as_str(), decl.kind), (v.name(), Kind::View));
        assert_eq!(
            (decl.permission.as_deref(), decl.scope.as_deref()),
            (None, None)
        );
    }
    assert_eq!(ViewApi::from_name("createAnimation"), None);
    let builtin: Vec<String> = builtin_decls()
        .into_iter()
        .filter(|d| d.kind == Kind::View)
        .map(|d| d.name)
        .collect();
    assert_eq!(builtin, ViewApi::ALL.map(|v| v.name().to_owned()));
    let d = host();
    let c = ctx(&d, &[], &[]);
    let go =
        |api: &str, params: Value| d.start(&c, api, &params, &Consents::default(), &asker(true), 0);
    match go(
        "createSelectorQuery",
        json!({"page": 1, "queries": [], "userId": "spoofed"}),
    ) {
        Outcome::View { api, params } => {
            assert_eq!(api, ViewApi::SelectorQuery);
            assert_eq!(Value::Object(params), json!({"page": 1, "queries": []}));
        }
        other => panic!("{other:?}"),
    }
    let Outcome::Ready(Err(e)) = go("createCanvasContext", json!({"id": 5, "method": "draw"}))
    else {
        panic!("a context call with a numeric id passed");
    };
    assert_eq!(
        e,
        ApiError::InvalidParam {
            param: "id".into(),
            reason: "must be a string".into()
        }
    );
    // Run to the end outside a page, it is an error, not an answer.
    let e = d
        .dispatch(
            &c,
            "createMapContext",
            &json!({"id": "m", "method": "getScale"}),
            &Consents::default(),
            &asker(true),
            0,
        )
        .expect_err("no page here");
    assert_eq!(e.code(), ApiError::INTERNAL);
}

/// The runtime tells a synchronous API by its `Sync` suffix or by
/// `SYNC_WITHOUT_SUFFIX`; the declarations agree with that list both ways.
#[test]
fn synchronous_apis_are_named_or_listed() {
    use crate::registry::{builtin_decls, Kind, SYNC_WITHOUT_SUFFIX};
    for d in builtin_decls() {
        let named = d.name.ends_with("Sync") || SYNC_WITHOUT_SUFFIX.contains(&d.name.as_str());
        if d.name == "canIUse" {
            continue;
        }
        assert_eq!(d.kind == Kind::Sync, named, "{}", d.name);
    }
    for n in SYNC_WITHOUT_SUFFIX {
        assert!(
            builtin_decls()
                .iter()
                .any(|d| d.name == *n && d.kind == Kind::Sync),
            "{n}"
        );
    }
}
