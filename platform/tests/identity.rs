//! User identity over HTTP, on SQLite and on PostgreSQL: operators issue auth
//! codes, app secrets exchange them once, and every hostile call is refused
//! with its own error and writes nothing.

mod common;

use common::*;
use mpkit_platform_client::wire::{
    AppSecret, AppSecretCreated, AuthCodeIssued, CodeExchanged, OperatorAdded,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// `(status, code)` of an error answer.
fn err(call: (StatusCode, Value)) -> (StatusCode, String) {
    (
        call.0,
        call.1["code"].as_str().unwrap_or_default().to_owned(),
    )
}

/// APP released to everyone in TARGET, an operator for TARGET, and a secret
/// for APP and one for OTHER_APP.
struct Ids {
    w: World,
    operator: (String, String),
    secret: String,
    other_secret: String,
}

async fn setup(s: &Srv) -> Ids {
    let w = world(s).await;
    let id = to_review(s, &w, "1.0.0", 1).await;
    approve_and_release(s, &w, &id).await;
    let operator = s.account("wallet server").await;
    let added: OperatorAdded = answer(
        s.post(
            &format!("/v1/target-apps/{TARGET}/operators"),
            &s.admin,
            json!({"accountId": operator.0}),
        )
        .await,
        StatusCode::CREATED,
    );
    assert_eq!(
        (added.target_app.as_str(), added.account_id.as_str()),
        (TARGET, operator.0.as_str())
    );
    let made: AppSecretCreated = answer(
        s.post(
            &format!("/v1/apps/{APP}/secrets"),
            &w.owner.1,
            json!({"name": "orders backend"}),
        )
        .await,
        StatusCode::CREATED,
    );
    let other: AppSecretCreated = answer(
        s.post(
            &format!("/v1/apps/{OTHER_APP}/secrets"),
            &w.other.1,
            json!({"name": "tea backend"}),
        )
        .await,
        StatusCode::CREATED,
    );
    Ids {
        w,
        operator,
        secret: made.secret,
        other_secret: other.secret,
    }
}

async fn issue(s: &Srv, token: &str, app: &str, user: &str, scopes: Value) -> (StatusCode, Value) {
    s.post(
        "/v1/auth-codes",
        token,
        json!({"appId": app, "targetApp": TARGET, "userId": user, "scopes": scopes}),
    )
    .await
}

async fn exchange(s: &Srv, secret: Option<&str>, code: &str) -> (StatusCode, Value) {
    s.call(
        Method::POST,
        "/v1/auth-codes/exchange",
        secret,
        Some(json!({"code": code})),
    )
    .await
}

async fn code_for(s: &Srv, ids: &Ids, user: &str) -> AuthCodeIssued {
    answer(
        issue(s, &ids.operator.1, APP, user, json!(["auth_base"])).await,
        StatusCode::CREATED,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auth_code_names_the_user_to_its_own_app_once() {
    for db in Db::all() {
        let s = start(db).await;
        let ids = setup(&s).await;
        let a1: AuthCodeIssued = answer(
            issue(
                &s,
                &ids.operator.1,
                APP,
                "alice",
                json!(["auth_user", "auth_base", "auth_user"]),
            )
            .await,
            StatusCode::CREATED,
        );
        assert!(a1.auth_code.starts_with("ac_"), "{db}");
        assert_eq!(
            a1.scopes,
            ["auth_base", "auth_user"],
            "{db}: ordered, no repeats"
        );
        assert_eq!(a1.expires_in, 300, "{db}");
        assert!(
            a1.open_id.starts_with("oid_") && !a1.open_id.contains("alice"),
            "{db}"
        );
        // The same user keeps the open id; another user has another; codes differ.
        let a2 = code_for(&s, &ids, "alice").await;
        assert_eq!(a2.open_id, a1.open_id, "{db}");
        assert_ne!(a2.auth_code, a1.auth_code, "{db}");
        let b = code_for(&s, &ids, "bob").await;
        assert_ne!(b.open_id, a1.open_id, "{db}");

        // Another mini program's secret: refused, and the code is not spent.
        assert_eq!(
            err(exchange(&s, Some(&ids.other_secret), &a1.auth_code).await),
            (StatusCode::BAD_REQUEST, "invalid_grant".into()),
            "{db}"
        );
        let who: CodeExchanged = answer(
            exchange(&s, Some(&ids.secret), &a1.auth_code).await,
            StatusCode::OK,
        );
        assert_eq!(who.app_id, APP, "{db}");
        assert_eq!(who.target_app, TARGET, "{db}");
        assert_eq!(who.open_id, a1.open_id, "{db}");
        assert_eq!(who.scopes, ["auth_base", "auth_user"], "{db}");
        // Exchanged once only.
        assert_eq!(
            err(exchange(&s, Some(&ids.secret), &a1.auth_code).await),
            (StatusCode::BAD_REQUEST, "invalid_grant".into()),
            "{db}"
        );
        // The second code of the same user is still good.
        let who2: CodeExchanged = answer(
            exchange(&s, Some(&ids.secret), &a2.auth_code).await,
            StatusCode::OK,
        );
        assert_eq!(who2.open_id, a1.open_id, "{db}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_issuers_are_refused_and_nothing_is_written() {
    for db in Db::all() {
        let s = start(db).await;
        let ids = setup(&s).await;
        let op = &ids.operator.1;
        let audits = s.audit_count().await;
        // Not an operator of the target: the merchant's owner, even the admin.
        for t in [&ids.w.owner.1, &s.admin] {
            assert_eq!(
                err(issue(&s, t, APP, "alice", json!(["auth_base"])).await),
                (StatusCode::FORBIDDEN, "forbidden".into()),
                "{db}"
            );
        }
        assert_eq!(
            err(s
                .call(Method::POST, "/v1/auth-codes", None, Some(json!({})))
                .await),
            (StatusCode::UNAUTHORIZED, "unauthorized".into()),
            "{db}"
        );
        // Bad scopes, users and bodies.
        for (scopes, user) in [
            (json!([]), "alice"),
            (json!(["scope.location"]), "alice"),
            (json!(["auth_base"]), ""),
            (json!(["auth_base"]), "al\nice"),
            (json!(["auth_base"]), &*"x".repeat(129)),
        ] {
            assert_eq!(
                err(issue(&s, op, APP, user, scopes.clone()).await),
                (StatusCode::BAD_REQUEST, "bad_request".into()),
                "{db}: {scopes} {user:?}"
            );
        }
        assert_eq!(
            err(s
                .post(
                    "/v1/auth-codes",
                    op,
                    json!({"appId": APP, "targetApp": TARGET, "userId": "a", "scopes": ["auth_base"], "openId": "oid_mine"}),
                )
                .await),
            (StatusCode::BAD_REQUEST, "bad_request".into()),
            "{db}: a body cannot choose the open id"
        );
        // An unknown app, and an app with nothing released in the target:
        // the same answer (whether an appId exists is not told).
        assert_eq!(
            err(issue(&s, op, "2021999999999999", "alice", json!(["auth_base"])).await),
            (StatusCode::CONFLICT, "conflict".into()),
            "{db}"
        );
        assert_eq!(
            err(issue(&s, op, OTHER_APP, "alice", json!(["auth_base"])).await),
            (StatusCode::CONFLICT, "conflict".into()),
            "{db}"
        );
        // Operators: admin only, known target and account, once.
        let acct = s.account("another server").await;
        let path = format!("/v1/target-apps/{TARGET}/operators");
        assert_eq!(
            err(s
                .post(&path, &ids.w.master.1, json!({"accountId": acct.0}))
                .await),
            (StatusCode::FORBIDDEN, "forbidden".into()),
            "{db}"
        );
        assert_eq!(
            err(s
                .post(
                    "/v1/target-apps/nope/operators",
                    &s.admin,
                    json!({"accountId": acct.0})
                )
                .await),
            (StatusCode::NOT_FOUND, "not_found".into()),
            "{db}"
        );
        assert_eq!(
            err(s
                .post(&path, &s.admin, json!({"accountId": "nobody"}))
                .await),
            (StatusCode::NOT_FOUND, "not_found".into()),
            "{db}"
        );
        assert_eq!(
            err(s
                .post(&path, &s.admin, json!({"accountId": ids.operator.0}))
                .await),
            (StatusCode::CONFLICT, "conflict".into()),
            "{db}"
        );
        // The new account is audited only by its creation (not by the refusals).
        assert_eq!(
            s.audit_count().await,
            audits + 1,
            "{db}: refusals write nothing"
        );
        // A taken-down app gets no more codes.
        let (st, v) = s
            .post(
                &format!("/v1/apps/{APP}/targets/{TARGET}/takedown"),
                &ids.w.owner.1,
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{db}: {v}");
        assert_eq!(
            err(issue(&s, op, APP, "alice", json!(["auth_base"])).await),
            (StatusCode::CONFLICT, "conflict".into()),
            "{db}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_exchanges_are_refused_and_spend_nothing() {
    for db in Db::all() {
        let s = start(db).await;
        let ids = setup(&s).await;
        let code = code_for(&s, &ids, "carol").await;
        let refused_client = (StatusCode::UNAUTHORIZED, "invalid_client".to_string());
        let refused_grant = (StatusCode::BAD_REQUEST, "invalid_grant".to_string());
        // No secret, an account token, a made-up secret.
        assert_eq!(
            err(exchange(&s, None, &code.auth_code).await),
            refused_client,
            "{db}"
        );
        assert_eq!(
            err(exchange(&s, Some(&ids.w.owner.1), &code.auth_code).await),
            refused_client,
            "{db}"
        );
        assert_eq!(
            err(exchange(&s, Some("mpks_guess"), &code.auth_code).await),
            refused_client,
            "{db}"
        );
        // Codes that were never issued, or are not codes.
        let forged = format!("ac_{}", "0".repeat(64));
        for bad in [
            forged.as_str(),
            "",
            "headless-1-abcdef",
            &"a".repeat(10_000),
        ] {
            assert_eq!(
                err(exchange(&s, Some(&ids.secret), bad).await),
                refused_grant,
                "{db}: {bad:.20}"
            );
        }
        // A body with more than the code.
        let (st, _) = s
            .call(
                Method::POST,
                "/v1/auth-codes/exchange",
                Some(&ids.secret),
                Some(json!({"code": code.auth_code, "appId": APP})),
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{db}");
        // A revoked secret exchanges nothing; the code is still good for a live one.
        let list: Vec<AppSecret> = answer(
            s.get(&format!("/v1/apps/{APP}/secrets"), &ids.w.owner.1)
                .await,
            StatusCode::OK,
        );
        assert_eq!(list.len(), 1, "{db}");
        let revoked: AppSecret = answer(
            s.call(
                Method::DELETE,
                &format!("/v1/apps/{APP}/secrets/{}", list[0].id),
                Some(&ids.w.owner.1),
                None,
            )
            .await,
            StatusCode::OK,
        );
        assert!(revoked.revoked_at.is_some(), "{db}");
        assert_eq!(
            err(s
                .call(
                    Method::DELETE,
                    &format!("/v1/apps/{APP}/secrets/{}", list[0].id),
                    Some(&ids.w.owner.1),
                    None
                )
                .await),
            (StatusCode::CONFLICT, "conflict".into()),
            "{db}"
        );
        assert_eq!(
            err(exchange(&s, Some(&ids.secret), &code.auth_code).await),
            refused_client,
            "{db}"
        );
        let fresh: AppSecretCreated = answer(
            s.post(
                &format!("/v1/apps/{APP}/secrets"),
                &ids.w.master.1,
                json!({"name": "rotated"}),
            )
            .await,
            StatusCode::CREATED,
        );
        let who: CodeExchanged = answer(
            exchange(&s, Some(&fresh.secret), &code.auth_code).await,
            StatusCode::OK,
        );
        assert_eq!(who.open_id, code.open_id, "{db}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_masters_and_owners_manage_app_secrets() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let path = format!("/v1/apps/{APP}/secrets");
        let audits = s.audit_count().await;
        // An assigned Developer, an unassigned one, another merchant.
        assert_eq!(
            err(s.post(&path, &w.dev.1, json!({"name": "x"})).await).0,
            StatusCode::FORBIDDEN,
            "{db}"
        );
        assert_eq!(
            err(s.get(&path, &w.dev.1).await).0,
            StatusCode::FORBIDDEN,
            "{db}"
        );
        assert_eq!(
            err(s.post(&path, &w.dev2.1, json!({"name": "x"})).await).0,
            StatusCode::FORBIDDEN,
            "{db}"
        );
        assert_eq!(
            err(s.post(&path, &w.other.1, json!({"name": "x"})).await).0,
            StatusCode::NOT_FOUND,
            "{db}"
        );
        // The ISV builds ISV_APP but the merchant did not authorize it to manage.
        let isv_path = format!("/v1/apps/{ISV_APP}/secrets");
        assert_eq!(
            err(s
                .post(&isv_path, &w.isv_master.1, json!({"name": "x"}))
                .await)
            .0,
            StatusCode::FORBIDDEN,
            "{db}"
        );
        // Names: present, short, printable.
        for name in ["", "  ", &"n".repeat(65), "a\u{7}b"] {
            assert_eq!(
                err(s.post(&path, &w.owner.1, json!({"name": name})).await),
                (StatusCode::BAD_REQUEST, "bad_request".into()),
                "{db}: {name:?}"
            );
        }
        assert_eq!(
            s.audit_count().await,
            audits,
            "{db}: refusals write nothing"
        );
        let made: AppSecretCreated = answer(
            s.post(&path, &w.master.1, json!({"name": " backend "}))
                .await,
            StatusCode::CREATED,
        );
        assert_eq!(made.info.name, "backend", "{db}");
        assert!(made.secret.starts_with("mpks_"), "{db}");
        // Listed without the secret, and its creation audited.
        let (st, v) = s.get(&path, &w.owner.1).await;
        assert_eq!(st, StatusCode::OK, "{db}");
        assert!(
            !v.to_string().contains(&made.secret),
            "{db}: the secret is shown once"
        );
        assert_eq!(s.audit_count().await, audits + 1, "{db}");
        // A secret of another app cannot be revoked through this one.
        let other: AppSecretCreated = answer(
            s.post(
                &format!("/v1/apps/{OTHER_APP}/secrets"),
                &w.other.1,
                json!({"name": "tea"}),
            )
            .await,
            StatusCode::CREATED,
        );
        assert_eq!(
            err(s
                .call(
                    Method::DELETE,
                    &format!("/v1/apps/{APP}/secrets/{}", other.info.id),
                    Some(&w.owner.1),
                    None
                )
                .await)
            .0,
            StatusCode::NOT_FOUND,
            "{db}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_codes_are_refused() {
    for db in Db::all() {
        let s = start_with(db, |c| c.auth_code_ttl = 1).await;
        let ids = setup(&s).await;
        let late = code_for(&s, &ids, "dave").await;
        assert_eq!(late.expires_in, 1, "{db}");
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        assert_eq!(
            err(exchange(&s, Some(&ids.secret), &late.auth_code).await),
            (StatusCode::BAD_REQUEST, "invalid_grant".into()),
            "{db}: expired"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_exchanges_spend_a_code_once() {
    for db in Db::all() {
        let s = start(db).await;
        let ids = setup(&s).await;
        // Eight exchanges of one code at once: exactly one wins.
        let code = code_for(&s, &ids, "erin").await;
        let calls = (0..8).map(|_| {
            let (base, secret, code) = (s.base.clone(), ids.secret.clone(), code.auth_code.clone());
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(format!("{base}/v1/auth-codes/exchange"))
                    .bearer_auth(secret)
                    .json(&json!({"code": code}))
                    .send()
                    .await
                    .expect("send")
                    .status()
            })
        });
        let mut won = 0;
        for c in calls.collect::<Vec<_>>() {
            match c.await.expect("join") {
                StatusCode::OK => won += 1,
                StatusCode::BAD_REQUEST => {}
                other => panic!("{db}: {other}"),
            }
        }
        assert_eq!(won, 1, "{db}");
    }
}

/// A revoked ISV stops exchanging auth codes at once (issue 22, item 5):
/// the server credential its member made for the merchant's app under a
/// `manage` authorization exchanges only while that authorization stands;
/// revoking it revokes the credential (listed as revoked, audited), and the
/// merchant's own credential for the same app keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_an_isv_revokes_the_secrets_it_made() {
    for db in Db::all() {
        let s = start(db).await;
        let ids = setup(&s).await;
        let w = &ids.w;
        // ISV_APP, built by the ISV, released to everyone in TARGET.
        let (st, v) = upload_version(&s, &w.isv_master.1, ISV_APP, "1.0.0", 1, &w.isv_key).await;
        assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
        let t = &w.isv_master.1;
        let (st, v) = s
            .post(
                &format!("/v1/apps/{ISV_APP}/releases"),
                t,
                json!({"targetApp": TARGET, "version": "1.0.0"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
        let rel = v["id"].as_str().expect("id").to_owned();
        for (path, who, body) in [
            ("compat-report", t, json!({"passed": 1})),
            ("apply", t, json!({})),
            ("review", &w.reviewer.1, json!({"decision": "approve"})),
            ("full", &w.owner.1, json!({})),
        ] {
            let (st, v) = s
                .post(&format!("/v1/releases/{rel}/{path}"), who, body)
                .await;
            assert_eq!(st, StatusCode::OK, "{db}: {path}: {v}");
        }
        // The merchant lets the ISV manage ISV_APP; the ISV makes a secret.
        let (st, v) = s
            .post(
                &format!("/v1/workspaces/{}/isv-authorizations", w.merchant),
                &w.master.1,
                json!({"isvWorkspace": w.isv, "appId": ISV_APP, "actions": ["manage"]}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
        let manage = v["id"].as_str().expect("id").to_owned();
        let path = format!("/v1/apps/{ISV_APP}/secrets");
        let isv_secret: AppSecretCreated = answer(
            s.post(&path, &w.isv_master.1, json!({"name": "isv backend"}))
                .await,
            StatusCode::CREATED,
        );
        let own_secret: AppSecretCreated = answer(
            s.post(&path, &w.owner.1, json!({"name": "merchant backend"}))
                .await,
            StatusCode::CREATED,
        );
        let code = |user: &'static str| {
            let (s, op) = (&s, ids.operator.1.clone());
            async move {
                let c: AuthCodeIssued = answer(
                    issue(s, &op, ISV_APP, user, json!(["auth_base"])).await,
                    StatusCode::CREATED,
                );
                c.auth_code
            }
        };
        let (st, v) = exchange(&s, Some(&isv_secret.secret), &code("u-1").await).await;
        assert_eq!(st, StatusCode::OK, "{db}: before the revocation: {v}");

        let (st, v) = s
            .call(
                Method::DELETE,
                &format!("/v1/isv-authorizations/{manage}"),
                Some(&w.master.1),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{db}: {v}");
        let spent = code("u-2").await;
        let refused = err(exchange(&s, Some(&isv_secret.secret), &spent).await);
        assert_eq!(refused.0, StatusCode::UNAUTHORIZED, "{db}: {refused:?}");
        let (st, v) = exchange(&s, Some(&own_secret.secret), &spent).await;
        assert_eq!(
            st,
            StatusCode::OK,
            "{db}: the merchant's own secret, and the code unspent: {v}"
        );
        let (st, list) = s.get(&path, &w.owner.1).await;
        assert_eq!(st, StatusCode::OK, "{db}");
        let list: Vec<AppSecret> = serde_json::from_value(list).expect("secrets");
        let mut revoked: Vec<(&str, bool)> = list
            .iter()
            .map(|x| (x.name.as_str(), x.revoked_at.is_some()))
            .collect();
        revoked.sort();
        assert_eq!(
            revoked,
            [("isv backend", true), ("merchant backend", false)],
            "{db}"
        );
    }
}
