//! Listing and revoking credentials (issue 22, item 4): account tokens
//! (the bootstrap admin's rotate), token expiry, developer keys, reviewers
//! and operators. A revoked credential fails on its very next call, and
//! each refusal writes nothing.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn me(s: &Srv, token: &str) -> StatusCode {
    s.call(Method::GET, "/v1/me", Some(token), None).await.0
}

async fn delete(s: &Srv, path: &str, token: &str) -> (StatusCode, Value) {
    s.call(Method::DELETE, path, Some(token), None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_listed_rotated_revoked_and_expire() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let old = w.owner.1.clone();
        // A second token, then the first revoked by its id: it fails on its
        // next call, the new one works.
        let (st, v) = s.post("/v1/me/tokens", &old, json!({})).await;
        assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
        let new = v["token"].as_str().expect("token").to_owned();
        let new_id = v["id"].as_str().expect("id").to_owned();
        assert_eq!(v["expiresAt"], Value::Null);
        let (st, list) = s.get("/v1/me/tokens", &old).await;
        assert_eq!(st, StatusCode::OK);
        let list = list.as_array().expect("list").clone();
        assert_eq!(list.len(), 2, "{db}: {list:?}");
        assert!(
            list.iter()
                .all(|t| !t.to_string().contains(&new) && !t.to_string().contains(&old)),
            "{db}: ids, never tokens"
        );
        let old_id = list
            .iter()
            .find(|t| t["current"] == true)
            .and_then(|t| t["id"].as_str())
            .expect("the current token")
            .to_owned();
        assert_ne!(old_id, new_id);
        let (st, v) = delete(&s, &format!("/v1/me/tokens/{old_id}"), &new).await;
        assert_eq!(
            (st, v["revokedAt"].is_i64()),
            (StatusCode::OK, true),
            "{db}: {v}"
        );
        assert_eq!(
            me(&s, &old).await,
            StatusCode::UNAUTHORIZED,
            "{db}: revoked"
        );
        assert_eq!(me(&s, &new).await, StatusCode::OK, "{db}");
        let (st, _) = delete(&s, &format!("/v1/me/tokens/{old_id}"), &new).await;
        assert_eq!(st, StatusCode::CONFLICT, "{db}: already revoked");

        // Someone else's token id, and ids that are not ids: 404, nothing written.
        let (_, theirs) = s.get("/v1/me/tokens", &w.dev.1).await;
        let theirs = theirs[0]["id"].as_str().expect("id").to_owned();
        let before = s.audit_count().await;
        for id in [theirs.as_str(), "zz", "%25", "0123456789abcdef0"] {
            let (st, v) = delete(&s, &format!("/v1/me/tokens/{id}"), &new).await;
            assert_eq!(st, StatusCode::NOT_FOUND, "{db}: {id}: {v}");
        }
        assert_eq!(
            me(&s, &w.dev.1).await,
            StatusCode::OK,
            "{db}: theirs still works"
        );
        // Expiry out of range.
        for bad in [
            json!({"expiresInSeconds": 0}),
            json!({"expiresInSeconds": 400_000_000u64}),
            json!({"expiresIn": 5}),
        ] {
            let (st, v) = s.post("/v1/me/tokens", &new, bad.clone()).await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{db}: {bad}: {v}");
        }
        assert_eq!(
            s.audit_count().await,
            before,
            "{db}: refusals write nothing"
        );

        // An expiring token works until it expires, then names no one.
        let (st, v) = s
            .post("/v1/me/tokens", &new, json!({"expiresInSeconds": 1}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
        let brief = v["token"].as_str().expect("token").to_owned();
        assert!(v["expiresAt"].is_i64());
        assert_eq!(me(&s, &brief).await, StatusCode::OK, "{db}");
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        assert_eq!(
            me(&s, &brief).await,
            StatusCode::UNAUTHORIZED,
            "{db}: expired"
        );

        // An admin revokes every token of an account at once; not of others.
        let (st, v) = delete(&s, &format!("/v1/accounts/{}/tokens", w.dev.0), &new).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{db}: not an admin: {v}");
        let (st, v) = delete(&s, &format!("/v1/accounts/{}/tokens", w.dev.0), &s.admin).await;
        assert_eq!(
            (st, &v["revoked"]),
            (StatusCode::OK, &json!(1)),
            "{db}: {v}"
        );
        assert_eq!(me(&s, &w.dev.1).await, StatusCode::UNAUTHORIZED, "{db}");
        assert_eq!(me(&s, &new).await, StatusCode::OK, "{db}");
        let (st, _) = delete(&s, "/v1/accounts/nobody/tokens", &s.admin).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{db}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_admin_rotates_its_token_and_keeps_one() {
    for db in Db::all() {
        let s = start(db).await;
        let (_, list) = s.get("/v1/me/tokens", &s.admin).await;
        let first = list[0]["id"].as_str().expect("id").to_owned();
        // The last live token of an admin is not revoked: the platform
        // would lock itself out. Nor all of them at once.
        let (st, v) = delete(&s, &format!("/v1/me/tokens/{first}"), &s.admin).await;
        assert_eq!(st, StatusCode::CONFLICT, "{db}: {v}");
        let (_, me_) = s.get("/v1/me", &s.admin).await;
        let admin_id = me_["id"].as_str().expect("id").to_owned();
        let (st, _) = delete(&s, &format!("/v1/accounts/{admin_id}/tokens"), &s.admin).await;
        assert_eq!(st, StatusCode::CONFLICT, "{db}");
        // Rotation: the next token first, then the first revoked.
        let (st, v) = s.post("/v1/me/tokens", &s.admin, json!({})).await;
        assert_eq!(st, StatusCode::CREATED, "{db}");
        let next = v["token"].as_str().expect("token").to_owned();
        let (st, _) = delete(&s, &format!("/v1/me/tokens/{first}"), &next).await;
        assert_eq!(st, StatusCode::OK, "{db}");
        assert_eq!(me(&s, &s.admin).await, StatusCode::UNAUTHORIZED, "{db}");
        let (st, v) = s
            .post("/v1/accounts", &next, json!({"name": "after rotation"}))
            .await;
        assert_eq!(
            st,
            StatusCode::CREATED,
            "{db}: the new token is an admin's: {v}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_keys_reviewers_and_operators_fail_on_their_next_call() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        // Released to everyone, so its users can get auth codes.
        let id = to_review(&s, &w, "1.0.0", 1).await;
        approve_and_release(&s, &w, &id).await;
        // Operators: the removed one issues no auth code.
        let op = s.account("wallet server").await;
        let ops_path = format!("/v1/target-apps/{TARGET}/operators");
        let (st, v) = s
            .post(&ops_path, &s.admin, json!({"accountId": op.0}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
        let code =
            json!({"appId": APP, "targetApp": TARGET, "userId": "u-1", "scopes": ["auth_base"]});
        let codes = "/v1/auth-codes";
        let (st, v) = s.post(codes, &op.1, code.clone()).await;
        assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
        let (_, list) = s.get(&ops_path, &s.admin).await;
        assert_eq!(list[0]["accountId"], op.0.as_str(), "{db}");
        let (st, _) = delete(&s, &format!("{ops_path}/{}", op.0), &s.admin).await;
        assert_eq!(st, StatusCode::OK, "{db}");
        let (st, v) = s.post(codes, &op.1, code).await;
        assert!(
            st == StatusCode::FORBIDDEN || st == StatusCode::NOT_FOUND,
            "{db}: {st} {v}"
        );

        let id = to_review(&s, &w, "1.0.1", 2).await;
        // Reviewers: listed and removed by an admin; the removed one can no
        // longer decide.
        let rev_path = format!("/v1/target-apps/{TARGET}/reviewers");
        let (st, _) = s.get(&rev_path, &w.owner.1).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{db}");
        let (st, list) = s.get(&rev_path, &s.admin).await;
        assert_eq!(
            (st, list[0]["accountId"].as_str()),
            (StatusCode::OK, Some(w.reviewer.0.as_str()))
        );
        let (st, _) = delete(&s, &format!("{rev_path}/{}", w.reviewer.0), &w.owner.1).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{db}");
        let (st, _) = delete(&s, &format!("{rev_path}/{}", w.reviewer.0), &s.admin).await;
        assert_eq!(st, StatusCode::OK, "{db}");
        let (st, _) = delete(&s, &format!("{rev_path}/{}", w.reviewer.0), &s.admin).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{db}: not a reviewer any more");
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/review"),
                &w.reviewer.1,
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{db}: {v}");
        let (_, r) = s.get(&format!("/v1/releases/{id}"), &w.owner.1).await;
        assert_eq!(r["state"], "in_review", "{db}");

        // Keys: listed (Owner), revoked; an upload signed with it is refused,
        // and so is re-registering it.
        let keys_path = format!("/v1/workspaces/{}/keys", w.merchant);
        let (st, v) = s.get(&keys_path, &w.dev.1).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{db}: a Developer: {v}");
        let (st, keys) = s.get(&keys_path, &w.owner.1).await;
        assert_eq!(st, StatusCode::OK, "{db}: {keys}");
        let key_id = keys[0]["keyId"].as_str().expect("key").to_owned();
        assert_eq!(keys[0]["revokedAt"], Value::Null);
        let (st, v) = delete(&s, &format!("{keys_path}/{key_id}"), &w.owner.1).await;
        assert_eq!(
            (st, v["revokedAt"].is_i64()),
            (StatusCode::OK, true),
            "{db}: {v}"
        );
        let before = s.audit_count().await;
        let (st, v) = upload_version(&s, &w.dev.1, APP, "1.0.2", 3, &w.key).await;
        assert_eq!(
            (st, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_bundle")),
            "{db}: no live key: {v}"
        );
        let (st, _) = s
            .post(
                &keys_path,
                &w.owner.1,
                json!({"publicKeyHex": w.key.public().to_hex()}),
            )
            .await;
        assert_eq!(
            st,
            StatusCode::CONFLICT,
            "{db}: a revoked key stays revoked"
        );
        let (st, _) = delete(&s, &format!("{keys_path}/{key_id}"), &w.owner.1).await;
        assert_eq!(st, StatusCode::CONFLICT, "{db}");
        let (st, _) = delete(&s, &format!("{keys_path}/nokey"), &w.owner.1).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{db}");
        assert_eq!(
            s.audit_count().await,
            before,
            "{db}: refusals write nothing"
        );
    }
}
