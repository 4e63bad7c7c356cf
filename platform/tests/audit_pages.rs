//! Lists are read a page at a time with a cursor (issue 22, item 10): the
//! audit log, the inbox and every other list endpoint; the server never
//! loads a whole list at once.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn page(s: &Srv, path: &str, token: &str) -> Vec<Value> {
    let (st, v) = s.call(Method::GET, path, Some(token), None).await;
    assert_eq!(st, StatusCode::OK, "{path}: {v}");
    v.as_array().expect("a page").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_and_the_inbox_come_in_pages() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let all = page(&s, "/v1/audit?limit=1000", &s.admin).await;
        assert!(all.len() > 12, "{db}: {}", all.len());
        // Five at a time, each after the last id of the one before: the same
        // entries, in order, none twice.
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let q = if after.is_empty() {
                "/v1/audit?limit=5".to_owned()
            } else {
                format!("/v1/audit?limit=5&after={after}")
            };
            let p = page(&s, &q, &s.admin).await;
            assert!(p.len() <= 5, "{db}");
            let Some(last) = p.last() else { break };
            after = last["id"].as_str().expect("id").to_owned();
            seen.extend(p);
        }
        assert_eq!(seen, all, "{db}");
        // A page is 500 when not asked; the bounds are checked.
        assert_eq!(
            page(&s, "/v1/audit", &s.admin).await.len(),
            all.len().min(500)
        );
        for bad in ["limit=0", "limit=1001", "limit=x", "cursor=1"] {
            let (st, v) = s
                .call(
                    Method::GET,
                    &format!("/v1/audit?{bad}"),
                    Some(&s.admin),
                    None,
                )
                .await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{db}: {bad}: {v}");
        }
        // The typed client reads every page.
        let client = s.client(Some(&s.admin));
        let read = client.audit(None).await.expect("audit");
        assert_eq!(read.len(), all.len(), "{db}");

        // The inbox the same way: a rejection and an approval.
        let id = to_review(&s, &w, "1.0.0", 1).await;
        for (decision, reason) in [("reject", Some("icon")), ("approve", None)] {
            if decision == "approve" {
                let (st, _) = s
                    .post(&format!("/v1/releases/{id}/apply"), &w.owner.1, json!({}))
                    .await;
                assert_eq!(st, StatusCode::OK);
            }
            let (st, v) = s
                .post(
                    &format!("/v1/releases/{id}/review"),
                    &w.reviewer.1,
                    json!({"decision": decision, "reason": reason}),
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{db}: {v}");
        }
        let first = page(&s, "/v1/inbox?limit=1", &w.owner.1).await;
        assert_eq!(first.len(), 1, "{db}");
        let after = first[0]["id"].as_str().expect("id");
        let second = page(&s, &format!("/v1/inbox?limit=1&after={after}"), &w.owner.1).await;
        assert_eq!(second.len(), 1, "{db}");
        assert!(
            first[0]["text"]
                .as_str()
                .is_some_and(|t| t.contains("rejected"))
                && second[0]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("approved")),
            "{db}: {first:?} {second:?}"
        );
        let third = page(
            &s,
            &format!("/v1/inbox?after={}", second[0]["id"].as_str().expect("id")),
            &w.owner.1,
        )
        .await;
        assert!(third.is_empty(), "{db}: {third:?}");
        let all = s.client(Some(&w.owner.1)).inbox().await.expect("inbox");
        assert_eq!(all.len(), 2, "{db}");
    }
}

/// Every list endpoint pages the same way: `limit=1` pages, each after the
/// key of the item before, give the whole list in order, and an empty
/// page ends it; a limit out of bounds is a 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_endpoint_pages_with_a_cursor() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        for (v, b) in [("1.0.0", 1), ("1.0.1", 2), ("1.0.2", 3)] {
            let (st, r) = upload_version(&s, &w.dev.1, APP, v, b, &w.key).await;
            assert_eq!(st, StatusCode::CREATED, "{r}");
        }
        let (st, _) = s
            .post(
                "/v1/target-apps",
                &s.admin,
                json!({"id": "wallet.my", "name": "Wallet MY", "allowedPermissions": []}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        for name in ["a", "b"] {
            let (st, _) = s
                .post(
                    &format!("/v1/apps/{APP}/secrets"),
                    &w.owner.1,
                    json!({"name": name}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{db}");
            let (st, _) = s.post("/v1/me/tokens", &w.owner.1, json!({})).await;
            assert_eq!(st, StatusCode::CREATED, "{db}");
        }
        let extra = mpkit_bundle::SecretKey::from_seed(&[9; 32]).expect("key");
        let (st, _) = s
            .post(
                &format!("/v1/workspaces/{}/keys", w.merchant),
                &w.owner.1,
                json!({"publicKeyHex": extra.public().to_hex()}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        let second = s.account("second reviewer").await;
        for kind in ["reviewers", "operators"] {
            let (st, _) = s
                .post(
                    &format!("/v1/target-apps/{TARGET}/{kind}"),
                    &s.admin,
                    json!({"accountId": second.0}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{db}: {kind}");
        }
        let (_, op) = s
            .get(&format!("/v1/target-apps/{TARGET}/operators"), &s.admin)
            .await;
        let _ = op;
        let lists: [(String, &str, &str, usize); 9] = [
            (
                format!("/v1/workspaces/{}/members", w.merchant),
                "accountId",
                w.master.1.as_str(),
                4,
            ),
            (
                format!("/v1/workspaces/{}/apps", w.merchant),
                "appId",
                w.master.1.as_str(),
                2,
            ),
            (
                format!("/v1/apps/{APP}/versions"),
                "build",
                w.owner.1.as_str(),
                3,
            ),
            ("/v1/me/tokens".into(), "id", w.owner.1.as_str(), 3),
            (
                format!("/v1/workspaces/{}/keys", w.merchant),
                "keyId",
                w.owner.1.as_str(),
                2,
            ),
            (
                format!("/v1/target-apps/{TARGET}/reviewers"),
                "accountId",
                s.admin.as_str(),
                2,
            ),
            (
                format!("/v1/target-apps/{TARGET}/operators"),
                "accountId",
                s.admin.as_str(),
                1,
            ),
            (
                format!("/v1/apps/{APP}/secrets"),
                "id",
                w.owner.1.as_str(),
                2,
            ),
            ("/v1/target-apps".into(), "id", s.admin.as_str(), 2),
        ];
        for (path, key, token, at_least) in lists {
            let all = page(&s, &format!("{path}?limit=1000"), token).await;
            assert!(all.len() >= at_least, "{db}: {path}: {all:?}");
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let q = match &after {
                    None => format!("{path}?limit=1"),
                    Some(a) => format!("{path}?limit=1&after={a}"),
                };
                let p = page(&s, &q, token).await;
                let Some(last) = p.last() else { break };
                assert_eq!(p.len(), 1, "{db}: {q}");
                after = Some(match &last[key] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
                seen.extend(p);
                assert!(seen.len() <= all.len(), "{db}: {path} pages past its end");
            }
            assert_eq!(seen, all, "{db}: {path}");
            for bad in ["limit=0", "limit=1001"] {
                let (st, v) = s
                    .call(Method::GET, &format!("{path}?{bad}"), Some(token), None)
                    .await;
                assert_eq!(st, StatusCode::BAD_REQUEST, "{db}: {path}?{bad}: {v}");
            }
        }
        // A Developer's app list skips what is not theirs, page by page, and
        // still ends only on an empty page.
        let p = page(
            &s,
            &format!("/v1/workspaces/{}/apps?limit=1", w.merchant),
            &w.dev.1,
        )
        .await;
        assert_eq!(p.len(), 1, "{db}: {p:?}");
        assert_eq!(p[0]["appId"], APP, "{db}");
        let rest = page(
            &s,
            &format!("/v1/workspaces/{}/apps?limit=1&after={APP}", w.merchant),
            &w.dev.1,
        )
        .await;
        assert!(rest.is_empty(), "{db}: {rest:?}");
        // The typed client reads whole lists.
        let c = s.client(Some(&w.owner.1));
        assert_eq!(c.versions(APP).await.expect("versions").len(), 3, "{db}");
        assert_eq!(c.tokens().await.expect("tokens").len(), 3, "{db}");
    }
}
