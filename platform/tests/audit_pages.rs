//! The audit log and the inbox are read a page at a time with a cursor
//! (issue 22, item 10): the server never loads a whole log at once.

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
