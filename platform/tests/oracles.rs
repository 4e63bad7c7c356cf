//! Existence oracles (issue 22, item 11): what a stranger is told does not
//! depend on whether the object exists.

mod common;

use common::*;
use mpkit_platform_client::wire::{ReleasePolicy, ResolveAnswer, Signed};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn payload<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    let signed: Signed = serde_json::from_value(v.clone()).expect("signed");
    serde_json::from_str(&signed.payload).expect("payload")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_and_resolve_answer_alike_for_apps_that_do_not_exist() {
    for db in Db::all() {
        let s = start(db).await;
        let _w = world(&s).await;
        let entries = s.platform.policy_cache_stats().entries;
        // APP exists in TARGET and was never released; the others do not
        // exist at all (an app, a target, both).
        let pairs = [
            (APP, TARGET),
            ("2099000000000009", TARGET),
            (APP, "no.such.target"),
            ("2099000000000009", "no.such.target"),
        ];
        let mut answers = Vec::new();
        for (app, t) in pairs {
            let (st, v) = s
                .call(
                    Method::GET,
                    &format!("/v1/resolve?app={app}&targetApp={t}&user=u-1"),
                    None,
                    None,
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{db}: {app} {t}: {v}");
            let a: ResolveAnswer = payload(&v);
            assert_eq!((a.version, a.seq), (None, 0), "{db}: {app} {t}");
            let (st, v) = s
                .call(
                    Method::GET,
                    &format!("/v1/apps/{app}/targets/{t}/policy"),
                    None,
                    None,
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{db}: {app} {t}: {v}");
            let p: ReleasePolicy = payload(&v);
            let mut shape = serde_json::to_value(&p).expect("json");
            shape["appId"] = json!("");
            shape["targetApp"] = json!("");
            shape["expires"] = json!(0);
            answers.push(shape);
        }
        assert!(
            answers.windows(2).all(|w| w[0] == w[1]),
            "{db}: the same policy for each: {answers:#?}"
        );
        // Only the pair that exists may be kept; random names are not.
        for i in 0..50 {
            let (st, _) = s
                .call(
                    Method::GET,
                    &format!("/v1/resolve?app=2099{i:012}&targetApp=x{i}&user=u"),
                    None,
                    None,
                )
                .await;
            assert_eq!(st, StatusCode::OK);
        }
        let after = s.platform.policy_cache_stats();
        assert!(after.entries <= entries + 1, "{db}: {after:?}");
        assert_eq!(after.answers, 0, "{db}: nothing to serve, nothing kept");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_app_id_is_refused_alike_whoever_holds_it() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        // APP belongs to the merchant; OTHER_APP to another merchant. The
        // merchant's master gets one answer for both.
        let before = s.audit_count().await;
        let mut messages = Vec::new();
        for app in [APP, OTHER_APP] {
            let (st, v) = s
                .post(
                    &format!("/v1/workspaces/{}/apps", w.merchant),
                    &w.master.1,
                    json!({"appId": app, "name": "Again"}),
                )
                .await;
            assert_eq!(st, StatusCode::CONFLICT, "{db}: {v}");
            messages.push(v["message"].as_str().expect("message").replace(app, "ID"));
        }
        assert_eq!(messages[0], messages[1], "{db}");
        assert!(!messages[0].contains("exists"), "{db}: {}", messages[0]);
        assert_eq!(s.audit_count().await, before, "{db}: nothing written");
        // Without an appId the platform mints a fresh one.
        let (st, v) = s
            .post(
                &format!("/v1/workspaces/{}/apps", w.merchant),
                &w.master.1,
                json!({"name": "Minted"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
        let id = v["appId"].as_str().expect("appId");
        assert!(
            id.len() == 16 && id.starts_with("2021") && id.bytes().all(|b| b.is_ascii_digit()),
            "{db}: {id}"
        );
    }
}
