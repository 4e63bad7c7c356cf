//! The role matrix (issue 22, item 3), cell by cell, through the endpoints:
//! each operation is called by a Master, an Owner, an assigned Developer,
//! an unassigned one and an assigned one granted production decisions. An
//! allowed call succeeds; a refused one is a 403 that writes nothing.

mod common;

use common::*;
use mpkit_bundle::SecretKey;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    ReadApp,
    Upload,
    Release,
    Production,
    Assign,
    AppSecrets,
    ListMembers,
    ManageMembers,
    DevKeys,
    ListApps,
    CreateApp,
    AuthorizeIsv,
    Webhooks,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Master,
    Owner,
    Assigned,
    Unassigned,
    Granted,
}

/// The matrix as docs/platform.md states it (the code's table renders to
/// the same document, checked by the unit test beside it).
fn allowed(op: Op, who: Who) -> bool {
    use Who::*;
    match op {
        Op::ReadApp | Op::Upload | Op::Release => who != Unassigned,
        Op::Production => matches!(who, Master | Owner | Granted),
        Op::Assign | Op::AppSecrets | Op::DevKeys | Op::CreateApp => {
            matches!(who, Master | Owner)
        }
        Op::ListMembers | Op::ListApps => true,
        Op::ManageMembers | Op::AuthorizeIsv | Op::Webhooks => who == Master,
    }
}

/// Calls `op` as `token` (the n-th call: fresh names); its status. Anything
/// the call needs is prepared before the audit count is taken, and a 403
/// must leave the count where it was.
async fn attempt(s: &Srv, w: &World, op: Op, token: &str, n: u64) -> StatusCode {
    // Preparation, by the merchant's Master.
    let fresh = match op {
        Op::Assign | Op::ManageMembers => {
            let (id, _) = s.account(&format!("fresh {n}")).await;
            if op == Op::Assign {
                let (st, v) = s
                    .post(
                        &format!("/v1/workspaces/{}/members", w.merchant),
                        &w.master.1,
                        json!({"accountId": id, "role": "developer"}),
                    )
                    .await;
                assert_eq!(st, StatusCode::CREATED, "{v}");
            }
            id
        }
        _ => String::new(),
    };
    let before = s.audit_count().await;
    let ws = &w.merchant;
    let (st, v) = match op {
        Op::ReadApp => s.get(&format!("/v1/apps/{APP}"), token).await,
        Op::Upload => upload_version(s, token, APP, &format!("2.{n}.0"), 100 + n, &w.key).await,
        Op::Release => {
            let r = s
                .post(
                    &format!("/v1/apps/{APP}/releases"),
                    token,
                    json!({"targetApp": TARGET, "version": "1.0.0"}),
                )
                .await;
            if r.0 == StatusCode::CREATED {
                let id = r.1["id"].as_str().expect("id");
                let (st, v) = s
                    .post(&format!("/v1/releases/{id}/cancel"), &w.master.1, json!({}))
                    .await;
                assert_eq!(st, StatusCode::OK, "{v}");
            }
            r
        }
        Op::Production => {
            s.post(
                &format!("/v1/apps/{APP}/targets/{TARGET}/takedown"),
                token,
                json!({}),
            )
            .await
        }
        Op::Assign => {
            s.post(
                &format!("/v1/apps/{APP}/assignments"),
                token,
                json!({"accountId": fresh}),
            )
            .await
        }
        Op::AppSecrets => s.get(&format!("/v1/apps/{APP}/secrets"), token).await,
        Op::ListMembers => s.get(&format!("/v1/workspaces/{ws}/members"), token).await,
        Op::ManageMembers => {
            s.post(
                &format!("/v1/workspaces/{ws}/members"),
                token,
                json!({"accountId": fresh, "role": "developer"}),
            )
            .await
        }
        Op::DevKeys => {
            let key = SecretKey::from_seed(&[n as u8 + 100; 32]).expect("key");
            s.post(
                &format!("/v1/workspaces/{ws}/keys"),
                token,
                json!({"publicKeyHex": key.public().to_hex()}),
            )
            .await
        }
        Op::ListApps => s.get(&format!("/v1/workspaces/{ws}/apps"), token).await,
        Op::CreateApp => {
            s.post(
                &format!("/v1/workspaces/{ws}/apps"),
                token,
                json!({"appId": format!("20219999{n:08}"), "name": format!("App {n}")}),
            )
            .await
        }
        Op::AuthorizeIsv => {
            s.post(
                &format!("/v1/workspaces/{ws}/isv-authorizations"),
                token,
                json!({"isvWorkspace": w.isv, "appId": ISV_APP, "actions": ["read"]}),
            )
            .await
        }
        Op::Webhooks => s.get(&format!("/v1/workspaces/{ws}/webhooks"), token).await,
    };
    if st == StatusCode::FORBIDDEN {
        assert_eq!(v["code"], "forbidden", "{v}");
        assert_eq!(
            s.audit_count().await,
            before,
            "{op:?}: a refusal writes nothing"
        );
    } else {
        assert!(st.is_success(), "{op:?}: {st} {v}");
    }
    st
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cell_of_the_role_matrix_holds_through_the_api() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let (st, v) = upload_version(&s, &w.dev.1, APP, "1.0.0", 1, &w.key).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        // An assigned Developer granted production decisions, by an Owner.
        let granted = s.account("dev granted").await;
        let (st, v) = s
            .post(
                &format!("/v1/workspaces/{}/members", w.merchant),
                &w.master.1,
                json!({"accountId": granted.0, "role": "developer"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let (st, v) = s
            .post(
                &format!("/v1/apps/{APP}/assignments"),
                &w.owner.1,
                json!({"accountId": granted.0, "production": true}),
            )
            .await;
        assert_eq!(
            (st, &v["production"]),
            (StatusCode::CREATED, &json!(true)),
            "{v}"
        );

        let ops = [
            Op::ReadApp,
            Op::Upload,
            Op::Release,
            Op::Production,
            Op::Assign,
            Op::AppSecrets,
            Op::ListMembers,
            Op::ManageMembers,
            Op::DevKeys,
            Op::ListApps,
            Op::CreateApp,
            Op::AuthorizeIsv,
            Op::Webhooks,
        ];
        let mut n = 0;
        let mut cells = 0;
        for op in ops {
            for (who, token) in [
                (Who::Master, &w.master.1),
                (Who::Owner, &w.owner.1),
                (Who::Assigned, &w.dev.1),
                (Who::Unassigned, &w.dev2.1),
                (Who::Granted, &granted.1),
            ] {
                n += 1;
                let st = attempt(&s, &w, op, token, n).await;
                assert_eq!(
                    st.is_success(),
                    allowed(op, who),
                    "{db}: {op:?} as {who:?}: {st}"
                );
                cells += 1;
            }
        }
        assert_eq!(cells, 65, "{db}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_production_grant_is_given_and_withdrawn_by_an_owner_and_audited() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let takedown = format!("/v1/apps/{APP}/targets/{TARGET}/takedown");
        let (st, v) = s.post(&takedown, &w.dev.1, json!({})).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{db}: {v}");
        assert!(
            v["message"]
                .as_str()
                .is_some_and(|m| m.contains("--production")),
            "the refusal says how to get the grant: {v}"
        );
        // A Developer cannot grant it to themself.
        let grant = |production: bool| json!({"accountId": w.dev.0, "production": production});
        let (st, _) = s
            .post(
                &format!("/v1/apps/{APP}/assignments"),
                &w.dev.1,
                grant(true),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{db}");
        // The Owner grants it (an existing assignment: 200), the same again
        // is a conflict, and the grant is audited.
        let (st, v) = s
            .post(
                &format!("/v1/apps/{APP}/assignments"),
                &w.owner.1,
                grant(true),
            )
            .await;
        assert_eq!(
            (st, &v["production"]),
            (StatusCode::OK, &json!(true)),
            "{db}: {v}"
        );
        let (st, _) = s
            .post(
                &format!("/v1/apps/{APP}/assignments"),
                &w.owner.1,
                grant(true),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{db}");
        let (st, v) = s.post(&takedown, &w.dev.1, json!({})).await;
        assert_eq!(st, StatusCode::OK, "{db}: {v}");
        let (_, audit) = s.call(Method::GET, "/v1/audit", Some(&s.admin), None).await;
        let actions: Vec<&str> = audit
            .as_array()
            .or_else(|| audit["entries"].as_array())
            .expect("entries")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert!(
            actions.contains(&"app.production_grant") && actions.contains(&"app.takedown"),
            "{db}: {actions:?}"
        );
        // Withdrawn: refused again on the next call.
        let (st, _) = s
            .post(
                &format!("/v1/apps/{APP}/assignments"),
                &w.owner.1,
                grant(false),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{db}");
        let (st, _) = s.post(&takedown, &w.dev.1, json!({})).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{db}");
        let (st, v) = s
            .post(
                &format!("/v1/apps/{APP}/targets/{TARGET}/rollback"),
                &w.dev.1,
                json!({"version": "1.0.0"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{db}: {v}");
    }
}
