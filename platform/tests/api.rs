//! The platform's API end to end, over HTTP, on SQLite and on PostgreSQL.

mod common;

use common::*;
use mpkit_bundle::{Context, PublicKey, Trust, TrustedRoot};
use mpkit_platform_client::rollout;
use mpkit_platform_client::wire::{ReleasePolicy, ResolveAnswer, Rule, Signed};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn policy_key(s: &Srv) -> PublicKey {
    let root =
        TrustedRoot::load(s.platform.root_json(), time::OffsetDateTime::now_utc()).expect("root");
    root.role(mpkit_bundle::Role::Policy)
        .expect("policy role")
        .0[0]
        .clone()
}

fn verify<T: serde::de::DeserializeOwned>(s: &Srv, v: &Value) -> T {
    let signed: Signed = serde_json::from_value(v.clone()).expect("signed");
    let sig = hex::decode(&signed.sig).expect("hex");
    policy_key(s)
        .verify(Context::Policy, signed.payload.as_bytes(), &sig)
        .expect("the policy key signed it");
    serde_json::from_str(&signed.payload).expect("payload")
}

async fn upload(
    s: &Srv,
    token: &str,
    app: &str,
    version: &str,
    build: u64,
    key: &mpkit_bundle::SecretKey,
) -> (StatusCode, Value) {
    let b = bundle(
        s.dir(),
        app,
        version,
        build,
        key,
        json!({"jsapi": ["getLocation", "tradePay"], "scopes": ["scope.location"]}),
    );
    s.raw(Method::POST, &format!("/v1/apps/{app}/versions"), token, b)
        .await
}

async fn release_to_review(s: &Srv, w: &World, version: &str) -> String {
    let t = &w.owner.1;
    // Basic info with an unknown field (a state, say) is refused at start too,
    // and no release is created.
    let before = s.audit_count().await;
    let (st, v) = s
        .post(
            &format!("/v1/apps/{APP}/releases"),
            t,
            json!({"targetApp": TARGET, "version": version, "basicInfo": {"state": "released"}}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(s.audit_count().await, before, "nothing was written");
    let (st, v) = s
        .post(
            &format!("/v1/apps/{APP}/releases"),
            t,
            json!({"targetApp": TARGET, "version": version}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id").to_owned();
    let (st, v) = s
        .post(
            &format!("/v1/releases/{id}/compat-report"),
            t,
            json!({"passed": 12, "failed": 0}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(&format!("/v1/releases/{id}/apply"), t, json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "in_review");
    id
}

/// Why `user` gets what they get (the rule and bucket), as a member asks:
/// the public answer says only which version.
async fn why(s: &Srv, user: &str) -> mpkit_platform_client::wire::Explanation {
    let (st, v) = s
        .get(
            &format!("/v1/apps/{APP}/targets/{TARGET}/explain?user={user}"),
            &s.admin,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    serde_json::from_value(v).expect("explanation")
}

async fn resolve(s: &Srv, user: &str) -> ResolveAnswer {
    let (st, v) = s
        .call(
            Method::GET,
            &format!("/v1/resolve?app={APP}&targetApp={TARGET}&user={user}"),
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    verify(s, &v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_workflow_end_to_end() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let (st, v) = upload(&s, &w.dev.1, APP, "1.0.0", 1, &w.key).await;
        assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
        assert_eq!(why(&s, "u-1").await.rule, Rule::None);

        // Start: nothing is signed or served before a reviewer approves.
        let id = release_to_review(&s, &w, "1.0.0").await;
        let (_, rel) = s.get(&format!("/v1/releases/{id}"), &w.owner.1).await;
        assert_eq!(rel["package"], Value::Null, "{rel}");
        assert!(rel["upload"]["sha256"].is_string(), "{rel}");
        let (st, _) = s
            .call(
                Method::GET,
                &format!("/v1/packages/{APP}/{TARGET}/1.0.0"),
                Some(&w.owner.1),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{db}: not signed before review");

        // Only basic info may change while in review; a state in the body is refused.
        let (st, _) = s
            .call(
                Method::PATCH,
                &format!("/v1/releases/{id}/basic-info"),
                Some(&w.owner.1),
                Some(json!({"description": "Order coffee"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let (st, v) = s
            .call(
                Method::PATCH,
                &format!("/v1/releases/{id}/basic-info"),
                Some(&w.owner.1),
                Some(json!({"state": "released"})),
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");

        // Review: rejected with a reason, fixed, applied again, approved.
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/review"),
                &w.reviewer.1,
                json!({"decision": "reject", "reason": "icon missing"}),
            )
            .await;
        assert_eq!(
            (st, v["state"].clone()),
            (StatusCode::OK, json!("rejected"))
        );
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/review"),
                &w.reviewer.1,
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(
            st,
            StatusCode::CONFLICT,
            "a rejected release is not approved: {v}"
        );
        let (st, _) = s
            .post(&format!("/v1/releases/{id}/apply"), &w.owner.1, json!({}))
            .await;
        assert_eq!(st, StatusCode::OK);
        let (st, _) = s
            .post(
                &format!("/v1/releases/{id}/review"),
                &w.reviewer.1,
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        // Approved: the package is re-signed by the publisher with the
        // target app's permissions; its members fetch it, strangers do not.
        let (_, rel) = s.get(&format!("/v1/releases/{id}"), &w.owner.1).await;
        let bytes = s
            .http
            .get(format!("{}/v1/packages/{APP}/{TARGET}/1.0.0", s.base))
            .bearer_auth(&w.owner.1)
            .send()
            .await
            .expect("get")
            .bytes()
            .await
            .expect("bytes");
        let root = TrustedRoot::load(s.platform.root_json(), time::OffsetDateTime::now_utc())
            .expect("root");
        let verified = mpkit_bundle::open(
            &bytes,
            &Trust::Root(root),
            &mpkit_bundle::Expected::any(),
            &mpkit_bundle::Caps::default(),
        )
        .expect("publisher-signed package");
        let perms = &verified.manifest().permissions;
        assert!(
            perms.jsapi.contains("getLocation") && !perms.jsapi.contains("tradePay"),
            "{perms:?}"
        );
        assert_eq!(rel["package"]["length"].as_u64(), Some(bytes.len() as u64));
        let (st, _) = s
            .call(
                Method::GET,
                &format!("/v1/packages/{APP}/{TARGET}/1.0.0?user=u-1"),
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{db}: not in the policy yet");
        let (_, inbox) = s.get("/v1/inbox", &w.owner.1).await;
        let texts: Vec<&str> = inbox
            .as_array()
            .expect("inbox")
            .iter()
            .filter_map(|m| m["text"].as_str())
            .collect();
        assert!(
            texts.iter().any(|t| t.contains("rejected: icon missing"))
                && texts.iter().any(|t| t.contains("approved")),
            "{texts:?}"
        );

        // Pilot: testers by list, then by file with a bad line reported.
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/pilot"),
                &w.owner.1,
                json!({"testers": ["tester-1", "tester-2"]}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let a = resolve(&s, "tester-1").await;
        assert_eq!(
            (
                why(&s, "tester-1").await.rule,
                a.version.as_ref().map(|v| v.version.as_str())
            ),
            (Rule::Pilot, Some("1.0.0"))
        );
        assert_eq!(why(&s, "u-1").await.rule, Rule::None);
        let (st, v) = s
            .raw(
                Method::PUT,
                &format!("/v1/releases/{id}/testers"),
                &w.owner.1,
                b"user_id\ntester-1\ntester-3\nbad id!\n".to_vec(),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["accepted"], 2);
        assert_eq!(v["rejected"][0]["line"], 4);
        assert_eq!(
            why(&s, "tester-2").await.rule,
            Rule::None,
            "the group was replaced"
        );
        assert_eq!(why(&s, "tester-3").await.rule, Rule::Pilot);
        let (st, _) = s
            .post(
                &format!("/v1/releases/{id}/complete-pilot"),
                &w.owner.1,
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);

        // Grayscale: only up; the salt stays, so everyone inside stays inside.
        let (st, g) = s
            .post(
                &format!("/v1/releases/{id}/grayscale"),
                &w.owner.1,
                json!({"percent": "10"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{g}");
        let salt = g["salt"].as_str().expect("salt").to_owned();
        let users: Vec<String> = (0..400).map(|i| format!("user-{i}")).collect();
        let inside10: Vec<&String> = users
            .iter()
            .filter(|u| rollout::in_grayscale(&salt, u, 1000))
            .collect();
        for u in inside10.iter().take(5) {
            let a = why(&s, u).await;
            assert_eq!(a.rule, Rule::Grayscale);
            assert_eq!(a.bucket, Some(rollout::bucket(&salt, u)));
            assert!(resolve(&s, u).await.version.is_some());
        }
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/grayscale"),
                &w.owner.1,
                json!({"percent": "5"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "lowering is refused: {v}");
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/grayscale"),
                &w.owner.1,
                json!({"percent": "12.5"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["salt"], salt.as_str());
        // The salt is fixed at the start: a raise may repeat it, never change it.
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/grayscale"),
                &w.owner.1,
                json!({"percent": "15", "salt": "another-salt"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{v}");
        assert!(
            v["message"]
                .as_str()
                .is_some_and(|m| m.contains("the salt is fixed")),
            "{v}"
        );
        let (_, rel) = s.get(&format!("/v1/releases/{id}"), &w.owner.1).await;
        assert_eq!(rel["grayscale"]["percentBp"], 1250, "{rel}");
        assert_eq!(rel["grayscale"]["salt"], salt.as_str(), "{rel}");
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/grayscale"),
                &w.owner.1,
                json!({"percent": "13", "salt": salt}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["salt"], salt.as_str());
        for u in inside10.iter().take(5) {
            assert_eq!(why(&s, u).await.rule, Rule::Grayscale, "raising keeps {u}");
        }
        // Dry run and explain.
        let (st, d) = s
            .post(
                &format!("/v1/apps/{APP}/targets/{TARGET}/dry-run"),
                &w.owner.1,
                json!({"percent": "10", "users": users}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{d}");
        assert_eq!(d["reached"].as_u64(), Some(inside10.len() as u64));
        let (_, e) = s
            .get(
                &format!(
                    "/v1/apps/{APP}/targets/{TARGET}/explain?user={}",
                    inside10[0]
                ),
                &w.owner.1,
            )
            .await;
        assert_eq!(e["rule"], "grayscale");
        assert!(e["why"].as_str().expect("why").contains("bucket"));

        // Full release: everyone gets 1.0.0 from the stable rule; the policy is signed and pinned.
        let (st, _) = s
            .post(&format!("/v1/releases/{id}/full"), &w.owner.1, json!({}))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(why(&s, "u-1").await.rule, Rule::Stable);
        let a = resolve(&s, "u-1").await;
        let pinned = a.version.expect("version");
        assert_eq!(pinned.length, bytes.len() as u64);
        assert_eq!(
            pinned.sha256,
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))
        );
        let (_, pv) = s
            .call(
                Method::GET,
                &format!("/v1/apps/{APP}/targets/{TARGET}/policy"),
                None,
                None,
            )
            .await;
        let policy: ReleasePolicy = verify(&s, &pv);
        assert_eq!(
            policy.stable.as_ref().map(|v| v.version.as_str()),
            Some("1.0.0")
        );
        assert!(policy.expires > mpkit_platform::now() + 3600);
        let seq1 = policy.seq;

        // A second version, released straight through; then rollback and takedown.
        let (st, v) = upload(&s, &w.dev.1, APP, "1.1.0", 2, &w.key).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let id2 = release_to_review(&s, &w, "1.1.0").await;
        s.post(
            &format!("/v1/releases/{id2}/review"),
            &w.reviewer.1,
            json!({"decision": "approve"}),
        )
        .await;
        let (st, _) = s
            .post(&format!("/v1/releases/{id2}/full"), &w.owner.1, json!({}))
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(
            resolve(&s, "u-1").await.version.expect("v").version,
            "1.1.0"
        );
        let (st, v) = s
            .post(
                &format!("/v1/apps/{APP}/targets/{TARGET}/rollback"),
                &w.owner.1,
                json!({"version": "1.0.0"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let a = resolve(&s, "u-1").await;
        assert_eq!(a.version.expect("v").version, "1.0.0");
        assert!(a.seq > seq1, "the sequence only increases");
        let (st, v) = s
            .post(
                &format!("/v1/apps/{APP}/targets/{TARGET}/rollback"),
                &w.owner.1,
                json!({"version": "0.9.0"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{v}");
        // A target app that does not exist: 404, and nothing is written.
        let before = s.audit_count().await;
        let (st, v) = s
            .post(
                &format!("/v1/apps/{APP}/targets/no.such.wallet/takedown"),
                &w.owner.1,
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
        assert_eq!(v["message"], "no target app no.such.wallet", "{v}");
        assert_eq!(s.audit_count().await, before);
        // Its policy publishes nothing (seq 0), as for any pair nobody
        // released (platform/tests/oracles.rs).
        let (st, v) = s
            .get(
                &format!("/v1/apps/{APP}/targets/no.such.wallet/policy"),
                &w.owner.1,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let p: ReleasePolicy = verify(&s, &v);
        assert_eq!(
            (p.seq, p.stable),
            (0, None),
            "no policy was published for it"
        );
        let (st, _) = s
            .post(
                &format!("/v1/apps/{APP}/targets/{TARGET}/takedown"),
                &w.owner.1,
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(why(&s, "u-1").await.rule, Rule::None);

        // Every mutation is in the audit log with before and after.
        let (_, log) = s
            .get(&format!("/v1/audit?object=release:{id}"), &s.admin)
            .await;
        let actions: Vec<&str> = log
            .as_array()
            .expect("log")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(
            actions,
            [
                "release.start",
                "release.report",
                "release.apply",
                "release.basic_info",
                "release.review",
                "release.apply",
                "release.review",
                "release.pilot",
                "release.testers",
                "release.pilot_complete",
                "release.grayscale",
                "release.grayscale",
                "release.grayscale",
                "release.full"
            ],
            "{db}"
        );
        let gray = &log.as_array().expect("log")[10];
        assert_eq!(
            (
                gray["after"]["percentBp"].clone(),
                gray["after"]["salt"].clone()
            ),
            (json!(1000), json!(salt)),
            "the audit names the bucket salt: {gray}"
        );
        let review = &log.as_array().expect("log")[4];
        assert_eq!(
            (
                review["before"]["state"].clone(),
                review["after"]["state"].clone()
            ),
            (json!("in_review"), json!("rejected"))
        );
    }
}

/// Asserts a call is refused with `status` and that the audit log did not grow.
async fn refused(s: &Srv, status: StatusCode, call: (StatusCode, Value), what: &str) {
    assert_eq!(call.0, status, "{what}: {}", call.1);
    assert!(
        call.1["code"].is_string() && call.1["message"].is_string(),
        "{what}: {{code, message}}: {}",
        call.1
    );
    let _ = s;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_are_refused_and_change_nothing() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        upload(&s, &w.dev.1, APP, "1.0.0", 1, &w.key).await;
        let id = release_to_review(&s, &w, "1.0.0").await;
        let before = s.audit_count().await;

        // A member of another workspace reads our mini program: 404, its existence hidden.
        refused(
            &s,
            StatusCode::NOT_FOUND,
            s.get(&format!("/v1/apps/{APP}"), &w.other.1).await,
            "other workspace reads",
        )
        .await;
        refused(
            &s,
            StatusCode::NOT_FOUND,
            s.get(&format!("/v1/releases/{id}"), &w.other.1).await,
            "other workspace reads a release",
        )
        .await;
        // A developer acts on a mini program not assigned to them.
        refused(
            &s,
            StatusCode::FORBIDDEN,
            upload(&s, &w.dev2.1, APP, "2.0.0", 5, &w.key).await,
            "unassigned developer uploads",
        )
        .await;
        refused(
            &s,
            StatusCode::FORBIDDEN,
            s.post(&format!("/v1/releases/{id}/apply"), &w.dev2.1, json!({}))
                .await,
            "unassigned developer applies",
        )
        .await;
        // An Owner promotes themself; a Developer changes roles.
        refused(
            &s,
            StatusCode::FORBIDDEN,
            s.call(
                Method::PATCH,
                &format!("/v1/workspaces/{}/members/{}", w.merchant, w.owner.0),
                Some(&w.owner.1),
                Some(json!({"role": "master"})),
            )
            .await,
            "owner promotes self",
        )
        .await;
        refused(
            &s,
            StatusCode::FORBIDDEN,
            s.call(
                Method::PATCH,
                &format!("/v1/workspaces/{}/members/{}", w.merchant, w.dev.0),
                Some(&w.dev.1),
                Some(json!({"role": "owner"})),
            )
            .await,
            "developer promotes self",
        )
        .await;
        // A member of workspace A approves a release of workspace B: to a
        // stranger it does not exist, exactly as an id that names nothing
        // (issue 22, item 11: no 403 with the target's name for a real id).
        let (st, real) = s
            .post(
                &format!("/v1/releases/{id}/review"),
                &w.other.1,
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{db}: {real}");
        let (st, bogus) = s
            .post(
                "/v1/releases/rel-that-does-not-exist/review",
                &w.other.1,
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{db}: {bogus}");
        assert_eq!(real["code"], bogus["code"], "{db}");
        assert!(!real.to_string().contains(TARGET), "{db}: {real}");
        refused(
            &s,
            StatusCode::NOT_FOUND,
            s.post(
                &format!("/v1/releases/{id}/review"),
                &w.other.1,
                json!({"decision": "approve"}),
            )
            .await,
            "other workspace approves",
        )
        .await;
        refused(
            &s,
            StatusCode::FORBIDDEN,
            s.post(
                &format!("/v1/releases/{id}/review"),
                &w.master.1,
                json!({"decision": "approve"}),
            )
            .await,
            "the merchant's own master approves",
        )
        .await;
        // A client sets a state (or an owner) directly in a body.
        refused(
            &s,
            StatusCode::BAD_REQUEST,
            s.post(
                &format!("/v1/releases/{id}/apply"),
                &w.owner.1,
                json!({"state": "approved"}),
            )
            .await,
            "state in body",
        )
        .await;
        refused(
            &s,
            StatusCode::BAD_REQUEST,
            s.post(
                &format!("/v1/apps/{APP}/releases"),
                &w.owner.1,
                json!({"targetApp": TARGET, "version": "1.0.0", "state": "released"}),
            )
            .await,
            "state on create",
        )
        .await;
        refused(&s, StatusCode::BAD_REQUEST, s.post(&format!("/v1/workspaces/{}/apps", w.merchant), &w.master.1, json!({"appId": "2021000000000009", "name": "X", "ownerWorkspace": w.other_merchant})).await, "owner in body").await;
        // No token, or a forged one.
        refused(
            &s,
            StatusCode::UNAUTHORIZED,
            s.call(Method::GET, &format!("/v1/apps/{APP}"), None, None)
                .await,
            "no token",
        )
        .await;
        refused(
            &s,
            StatusCode::UNAUTHORIZED,
            s.get(&format!("/v1/apps/{APP}"), "mpk_forged").await,
            "forged token",
        )
        .await;
        // Non-admins create accounts or target apps.
        refused(
            &s,
            StatusCode::FORBIDDEN,
            s.post("/v1/accounts", &w.master.1, json!({"name": "x"}))
                .await,
            "non-admin creates account",
        )
        .await;
        refused(
            &s,
            StatusCode::FORBIDDEN,
            s.post(
                "/v1/target-apps",
                &w.master.1,
                json!({"id": "x", "name": "x", "allowedPermissions": []}),
            )
            .await,
            "non-admin creates target",
        )
        .await;
        let (_, rel) = s.get(&format!("/v1/releases/{id}"), &w.owner.1).await;
        assert_eq!(rel["state"], "in_review", "{db}: nothing moved");
        assert_eq!(s.audit_count().await, before, "{db}: nothing was written");

        // An ISV acts on its authorized app, then after revocation with the same token.
        let (st, v) = upload(&s, &w.isv_master.1, ISV_APP, "1.0.0", 1, &w.isv_key).await;
        assert_eq!(st, StatusCode::CREATED, "{db}: authorized ISV uploads: {v}");
        refused(
            &s,
            StatusCode::FORBIDDEN,
            s.post(
                &format!("/v1/apps/{ISV_APP}/targets/{TARGET}/takedown"),
                &w.isv_master.1,
                json!({}),
            )
            .await,
            "ISV beyond its actions",
        )
        .await;
        refused(
            &s,
            StatusCode::NOT_FOUND,
            s.get(&format!("/v1/apps/{APP}"), &w.isv_master.1).await,
            "ISV on an app it does not develop",
        )
        .await;
        let (st, _) = s
            .call(
                Method::DELETE,
                &format!("/v1/isv-authorizations/{}", w.isv_auth),
                Some(&w.master.1),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let before = s.audit_count().await;
        refused(
            &s,
            StatusCode::FORBIDDEN,
            upload(&s, &w.isv_master.1, ISV_APP, "1.0.1", 2, &w.isv_key).await,
            "ISV after revocation",
        )
        .await;
        refused(
            &s,
            StatusCode::FORBIDDEN,
            s.get(&format!("/v1/apps/{ISV_APP}"), &w.isv_master.1).await,
            "ISV reads after revocation",
        )
        .await;
        assert_eq!(s.audit_count().await, before);
        let (_, vs) = s
            .get(&format!("/v1/apps/{ISV_APP}/versions"), &w.master.1)
            .await;
        assert_eq!(
            vs.as_array().map(Vec::len),
            Some(1),
            "{db}: nothing stored after revocation"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        upload(&s, &w.dev.1, APP, "1.0.0", 1, &w.key).await;
        let id = release_to_review(&s, &w, "1.0.0").await;
        let before = s.audit_count().await;
        let t = &w.owner.1;
        // Malformed JSON.
        refused(
            &s,
            StatusCode::BAD_REQUEST,
            s.raw(
                Method::POST,
                &format!("/v1/apps/{APP}/releases"),
                t,
                b"{\"targetApp\": ".to_vec(),
            )
            .await,
            "malformed JSON",
        )
        .await;
        // Oversize upload (4 MiB limit in tests).
        // Sent by hand: the server answers 413 from the declared length and closes,
        // so a client still writing the body would race it.
        refused(
            &s,
            StatusCode::PAYLOAD_TOO_LARGE,
            s.oversize(
                &format!("/v1/apps/{APP}/versions"),
                &w.dev.1,
                5 * 1024 * 1024,
            )
            .await,
            "oversize upload",
        )
        .await;
        // Tampered bundle; garbage; signed by an unregistered key; another app's bundle.
        let mut b = bundle(s.dir(), APP, "2.0.0", 9, &w.key, json!({}));
        let n = b.len() / 2;
        b[n] ^= 0x55;
        refused(
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            s.raw(
                Method::POST,
                &format!("/v1/apps/{APP}/versions"),
                &w.dev.1,
                b,
            )
            .await,
            "tampered",
        )
        .await;
        refused(
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            s.raw(
                Method::POST,
                &format!("/v1/apps/{APP}/versions"),
                &w.dev.1,
                b"PK\x03\x04garbage".to_vec(),
            )
            .await,
            "garbage",
        )
        .await;
        let stranger = mpkit_bundle::SecretKey::from_seed(&[9; 32]).expect("key");
        refused(
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            upload(&s, &w.dev.1, APP, "2.0.0", 9, &stranger).await,
            "unregistered key",
        )
        .await;
        refused(
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            s.raw(
                Method::POST,
                &format!("/v1/apps/{APP}/versions"),
                &w.dev.1,
                bundle(s.dir(), OTHER_APP, "2.0.0", 9, &w.key, json!({})),
            )
            .await,
            "another app's bundle",
        )
        .await;
        // A version or build that exists.
        refused(
            &s,
            StatusCode::CONFLICT,
            upload(&s, &w.dev.1, APP, "1.0.0", 7, &w.key).await,
            "version exists",
        )
        .await;
        refused(
            &s,
            StatusCode::CONFLICT,
            upload(&s, &w.dev.1, APP, "1.0.7", 1, &w.key).await,
            "build exists",
        )
        .await;
        // Transitions that are not allowed; a second active release.
        refused(
            &s,
            StatusCode::CONFLICT,
            s.post(&format!("/v1/releases/{id}/full"), t, json!({}))
                .await,
            "full before approval",
        )
        .await;
        refused(
            &s,
            StatusCode::CONFLICT,
            s.post(
                &format!("/v1/releases/{id}/grayscale"),
                t,
                json!({"percent": "5"}),
            )
            .await,
            "grayscale before approval",
        )
        .await;
        refused(
            &s,
            StatusCode::CONFLICT,
            s.post(
                &format!("/v1/apps/{APP}/releases"),
                t,
                json!({"targetApp": TARGET, "version": "1.0.0"}),
            )
            .await,
            "second active release",
        )
        .await;
        // Bad percentages, a tester file with only bad lines, unknown targets.
        s.post(
            &format!("/v1/releases/{id}/review"),
            &w.reviewer.1,
            json!({"decision": "approve"}),
        )
        .await;
        let before = before + 1;
        for p in ["0.001", "101", "-1", "ten"] {
            refused(
                &s,
                StatusCode::BAD_REQUEST,
                s.post(
                    &format!("/v1/releases/{id}/grayscale"),
                    t,
                    json!({"percent": p}),
                )
                .await,
                p,
            )
            .await;
        }
        for (salt, why) in [
            (json!(""), "a salt is 1 to 64 characters, not 0"),
            (
                json!("s".repeat(65)),
                "a salt is 1 to 64 characters, not 65",
            ),
            (json!("a b"), "a salt may hold only"),
            (json!("../x"), "a salt may hold only"),
            (json!("sel\u{e9}"), "a salt may hold only"),
            (json!(12), "expected a string"),
        ] {
            let call = s
                .post(
                    &format!("/v1/releases/{id}/grayscale"),
                    t,
                    json!({"percent": "10", "salt": salt}),
                )
                .await;
            assert!(
                call.1["message"].as_str().is_some_and(|m| m.contains(why)),
                "{salt}: {}",
                call.1
            );
            refused(&s, StatusCode::BAD_REQUEST, call, "bad salt").await;
        }
        refused(
            &s,
            StatusCode::BAD_REQUEST,
            s.post(
                &format!("/v1/releases/{id}/pilot"),
                t,
                json!({"testers": ["ok-1", "bad id"]}),
            )
            .await,
            "bad tester in list",
        )
        .await;
        // A list is checked element by element: a newline, a comma or a
        // comment inside an element is one bad id, never several testers.
        for (element, why) in [
            ("alice\nbob", "characters outside"),
            ("carol,dave", "characters outside"),
            ("# x", "characters outside"),
            (" erin", "characters outside"),
        ] {
            let call = s
                .post(
                    &format!("/v1/releases/{id}/pilot"),
                    t,
                    json!({"testers": ["ok-1", element]}),
                )
                .await;
            let m = call.1["message"].as_str().unwrap_or_default().to_owned();
            assert!(
                m.contains("bad tester ids") && m.contains(why),
                "{element:?}: {m}"
            );
            refused(
                &s,
                StatusCode::BAD_REQUEST,
                call,
                "an element that is no id",
            )
            .await;
        }
        refused(
            &s,
            StatusCode::CONFLICT,
            s.raw(
                Method::PUT,
                &format!("/v1/releases/{id}/testers"),
                t,
                b"a\nb\n".to_vec(),
            )
            .await,
            "testers outside pilot",
        )
        .await;
        refused(
            &s,
            StatusCode::NOT_FOUND,
            s.post(
                &format!("/v1/apps/{APP}/releases"),
                t,
                json!({"targetApp": "nope", "version": "1.0.0"}),
            )
            .await,
            "unknown target",
        )
        .await;
        let (_, rel) = s.get(&format!("/v1/releases/{id}"), t).await;
        assert_eq!(rel["state"], "approved");
        assert_eq!(
            s.audit_count().await,
            before,
            "{db}: only the approval was written"
        );
        let (_, vs) = s.get(&format!("/v1/apps/{APP}/versions"), t).await;
        assert_eq!(
            vs.as_array().map(Vec::len),
            Some(1),
            "{db}: no bad upload was stored"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_everything_and_prints_no_second_token() {
    let s = start(Db::Sqlite).await;
    let w = world(&s).await;
    upload(&s, &w.dev.1, APP, "1.0.0", 1, &w.key).await;
    let cfg = mpkit_platform::Config::new(&s.config.storage);
    let (p2, boot) = mpkit_platform::Platform::open(cfg).await.expect("reopen");
    assert!(boot.is_none(), "the bootstrap token is shown once");
    assert_eq!(p2.root_json(), s.platform.root_json(), "the keys are kept");
}

/// The router serves exactly the routes of `platform_client::paths` (the
/// client builds its URLs from the same table), and the OpenAPI document
/// describes exactly those.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_serves_exactly_the_declared_routes() {
    use mpkit_platform_client::paths;
    use std::collections::BTreeSet;
    // It calls every route with a token that names no one: no rate limits
    // (platform/tests/limits.rs tests those).
    let s = start_with(Db::Sqlite, |c| {
        c.rate_limits = mpkit_platform::RateLimits::off()
    })
    .await;
    let concrete = |t: &str| {
        t.replace("{app}", APP)
            .replace("{t}", TARGET)
            .replace("{version}", "1.0.0")
            .replace(['{', '}'], "")
    };
    let method = |m: paths::Method| Method::from_bytes(m.as_str().as_bytes()).expect("method");
    // Every declared route is served: it answers with its own checks, never
    // the fallback or "method not allowed".
    for r in paths::ALL {
        let (st, v) = s
            .call(
                method(r.method),
                &concrete(r.template),
                Some("mpk_nobody"),
                Some(json!({})),
            )
            .await;
        assert_ne!(st, StatusCode::METHOD_NOT_ALLOWED, "{r}");
        assert!(v["message"] != "no such endpoint", "{r}: {v}");
    }
    // Nothing else is served on those paths.
    let templates: BTreeSet<&str> = paths::ALL.iter().map(|r| r.template).collect();
    let mut refused = 0;
    for t in templates {
        for m in paths::Method::ALL {
            if paths::ALL.iter().any(|r| r.template == t && r.method == m) {
                continue;
            }
            let (st, v) = s
                .call(method(m), &concrete(t), Some("mpk_nobody"), None)
                .await;
            assert_eq!(st, StatusCode::METHOD_NOT_ALLOWED, "{m} {t}: {v}");
            assert_eq!(v["code"], "method_not_allowed", "{m} {t}: {v}");
            refused += 1;
        }
    }
    assert!(refused > 100, "{refused}");
    // A path outside the table is the fallback's.
    let (st, v) = s
        .call(Method::GET, "/v1/nothing", Some("mpk_nobody"), None)
        .await;
    assert_eq!(
        (st, v["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("no such endpoint"))
    );
    // The OpenAPI document describes exactly the table (besides itself).
    let (_, doc) = s
        .call(Method::GET, paths::OPENAPI.template, None, None)
        .await;
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("item")
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let declared: BTreeSet<(String, String)> = paths::ALL
        .iter()
        .filter(|r| **r != paths::OPENAPI)
        .map(|r| (r.method.as_str().to_owned(), r.template.to_owned()))
        .collect();
    assert_eq!(documented, declared);
    // Each documents its errors as the one error shape.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            assert_eq!(
                op["responses"]["4XX"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ApiErrorBody",
                "{method} {path}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_covers_every_route() {
    let s = start(Db::Sqlite).await;
    let (st, doc) = s.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 35, "{}", paths.len());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let mut checked = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            assert!(op["summary"].is_string(), "{method} {path} has a summary");
            let concrete = path
                .replace("{app}", APP)
                .replace("{t}", TARGET)
                .replace("{version}", "1.0.0")
                .replace(['{', '}'], "");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let (st, v) = s
                .call(m, &concrete, Some("mpk_nobody"), Some(json!({})))
                .await;
            // Every documented route exists: it answers with its own checks, never
            // the fallback or "method not allowed".
            assert_ne!(st, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(v["message"] != "no such endpoint", "{method} {path}: {v}");
            checked += 1;
        }
    }
    assert!(checked >= 37, "{checked}");
}

/// Every kind of answer the API gives decodes into its shared wire type and
/// encodes back to the same JSON; request bodies are built from the shared
/// request types, so a client using them cannot drift from the server either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_decodes_into_its_wire_type() {
    use mpkit_platform_client::wire::*;
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let (master, owner) = (&w.master.1, &w.owner.1);
        let m = &w.merchant;
        const CREATED: StatusCode = StatusCode::CREATED;
        const OK: StatusCode = StatusCode::OK;

        // Accounts, the caller, workspaces and members.
        let ci: AccountCreated = answer(
            s.post(
                "/v1/accounts",
                &s.admin,
                req(&NewAccount { name: "ci".into() }),
            )
            .await,
            CREATED,
        );
        let me: Me = answer(s.get("/v1/me", master).await, OK);
        assert!(me
            .workspaces
            .iter()
            .any(|x| &x.workspace == m && x.role == Role::Master));
        let ws: Workspace = answer(
            s.post(
                "/v1/workspaces",
                &ci.token,
                req(&NewWorkspace {
                    name: "CI Co".into(),
                    kind: WorkspaceKind::Merchant,
                }),
            )
            .await,
            CREATED,
        );
        assert_eq!((ws.kind.as_str(), ws.role.as_str()), ("merchant", "master"));
        let mb: Member = answer(
            s.post(
                &format!("/v1/workspaces/{m}/members"),
                master,
                req(&NewMember {
                    account_id: ci.id.clone(),
                    role: Role::Developer,
                }),
            )
            .await,
            CREATED,
        );
        assert_eq!(mb.role, Role::Developer);
        let mb: Member = answer(
            s.call(
                Method::PATCH,
                &format!("/v1/workspaces/{m}/members/{}", ci.id),
                Some(master),
                Some(req(&SetRole { role: Role::Owner })),
            )
            .await,
            OK,
        );
        assert_eq!(mb.role, Role::Owner);
        let members: Vec<Member> = answer(
            s.get(&format!("/v1/workspaces/{m}/members"), owner).await,
            OK,
        );
        assert_eq!(members.len(), 5, "{members:?}");
        let gone: Member = answer(
            s.call(
                Method::DELETE,
                &format!("/v1/workspaces/{m}/members/{}", ci.id),
                Some(master),
                None,
            )
            .await,
            OK,
        );
        assert_eq!(
            (gone.account_id.as_str(), gone.role.as_str()),
            (ci.id.as_str(), "owner")
        );

        // Keys, mini programs, assignments, ISV authorizations.
        let k = mpkit_bundle::SecretKey::from_seed(&[10; 32]).expect("key");
        let _: KeyRegistered = answer(
            s.post(
                &format!("/v1/workspaces/{m}/keys"),
                owner,
                req(&NewKey {
                    public_key_hex: k.public().to_hex(),
                }),
            )
            .await,
            CREATED,
        );
        let app: App = answer(
            s.post(
                &format!("/v1/workspaces/{m}/apps"),
                master,
                req(&NewApp {
                    app_id: Some("2021000000000004".into()),
                    name: "Beans".into(),
                    developer_workspace: None,
                }),
            )
            .await,
            CREATED,
        );
        assert_eq!((app.kind.as_str(), app.developer), ("self_developed", None));
        let apps: Vec<App> = answer(s.get(&format!("/v1/workspaces/{m}/apps"), owner).await, OK);
        assert_eq!(apps.len(), 3, "{apps:?}");
        let _: Assignment = answer(
            s.post(
                &format!("/v1/apps/{}/assignments", app.app_id),
                owner,
                req(&AccountRef {
                    account_id: w.dev2.0.clone(),
                }),
            )
            .await,
            CREATED,
        );
        let auth: IsvAuthorization = answer(
            s.post(
                &format!("/v1/workspaces/{m}/isv-authorizations"),
                master,
                req(&NewAuth {
                    isv_workspace: w.isv.clone(),
                    app_id: None,
                    actions: vec![IsvAction::Read],
                }),
            )
            .await,
            CREATED,
        );
        assert_eq!(auth.app_id, None);
        let r: Revoked = answer(
            s.call(
                Method::DELETE,
                &format!("/v1/isv-authorizations/{}", auth.id),
                Some(master),
                None,
            )
            .await,
            OK,
        );
        assert!(r.revoked);

        // Target apps and reviewers.
        let t: TargetApp = answer(
            s.post(
                "/v1/target-apps",
                &s.admin,
                req(&NewTarget {
                    id: "wallet.my".into(),
                    name: "Wallet MY".into(),
                    allowed_permissions: vec!["request".into()],
                }),
            )
            .await,
            CREATED,
        );
        let ts: Vec<TargetApp> = answer(s.get("/v1/target-apps", &w.dev2.1).await, OK);
        assert!(ts.contains(&t), "{ts:?}");
        let _: ReviewerAdded = answer(
            s.post(
                &format!("/v1/target-apps/{}/reviewers", t.id),
                &s.admin,
                req(&AccountRef {
                    account_id: w.reviewer.0.clone(),
                }),
            )
            .await,
            CREATED,
        );

        // Versions.
        let up: VersionUploaded =
            answer(upload(&s, &w.dev.1, APP, "1.0.0", 1, &w.key).await, CREATED);
        assert!(up
            .requested_permissions
            .jsapi
            .contains(&"getLocation".to_owned()));
        let vs: Vec<VersionInfo> =
            answer(s.get(&format!("/v1/apps/{APP}/versions"), owner).await, OK);
        assert_eq!((vs.len(), vs[0].build, vs[0].length), (1, 1, up.length));

        // The release workflow.
        let started: ReleaseStarted = answer(
            s.post(
                &format!("/v1/apps/{APP}/releases"),
                owner,
                req(&NewRelease {
                    target_app: TARGET.into(),
                    version: "1.0.0".into(),
                    basic_info: Some(json!({"description": "Coffee"})),
                }),
            )
            .await,
            CREATED,
        );
        assert!(started
            .permissions
            .not_allowed_by_target_app
            .contains(&"tradePay".to_owned()));
        let id = started.id.clone();
        let step = |action: &str| format!("/v1/releases/{id}/{action}");
        let c: StateChanged = answer(
            s.post(&step("compat-report"), owner, json!({"passed": 1}))
                .await,
            OK,
        );
        assert_eq!(c.state, ReleaseState::Tested);
        let c: StateChanged = answer(s.post(&step("apply"), owner, json!({})).await, OK);
        assert_eq!(c.state, ReleaseState::InReview);
        let c: StateChanged = answer(
            s.call(
                Method::PATCH,
                &step("basic-info"),
                Some(owner),
                Some(json!({"releaseNotes": "First"})),
            )
            .await,
            OK,
        );
        assert_eq!(c.basic_info, Some(json!({"releaseNotes": "First"})));
        let c: StateChanged = answer(
            s.post(
                &step("review"),
                &w.reviewer.1,
                req(&Review {
                    decision: ReviewDecision::Reject,
                    reason: Some("icon".into()),
                }),
            )
            .await,
            OK,
        );
        assert_eq!(
            (c.state.as_str(), c.reason.as_deref()),
            ("rejected", Some("icon"))
        );
        let rel: Release = answer(s.get(&format!("/v1/releases/{id}"), owner).await, OK);
        assert_eq!(
            (rel.reject_reason.as_deref(), rel.package, &rel.upload),
            (Some("icon"), None, &started.upload)
        );
        let _: StateChanged = answer(s.post(&step("apply"), owner, json!({})).await, OK);
        let c: StateChanged = answer(
            s.post(
                &step("review"),
                &w.reviewer.1,
                req(&Review {
                    decision: ReviewDecision::Approve,
                    reason: None,
                }),
            )
            .await,
            OK,
        );
        assert_eq!((c.state.as_str(), c.reason), ("approved", None));
        let detail: AppDetail = answer(s.get(&format!("/v1/apps/{APP}"), owner).await, OK);
        assert_eq!(detail.releases.len(), 1);
        let c: StateChanged = answer(
            s.post(
                &step("pilot"),
                owner,
                req(&Pilot {
                    testers: vec!["t-1".into(), "t-2".into()],
                }),
            )
            .await,
            OK,
        );
        assert_eq!(c.testers, Some(2));
        let tr: TestersReplaced = answer(
            s.raw(
                Method::PUT,
                &step("testers"),
                owner,
                b"t-1\nbad id\n".to_vec(),
            )
            .await,
            OK,
        );
        assert_eq!((tr.accepted, tr.rejected.len()), (1, 1));
        let _: StateChanged = answer(s.post(&step("complete-pilot"), owner, json!({})).await, OK);
        let c: StateChanged = answer(
            s.post(
                &step("grayscale"),
                owner,
                req(&Gray {
                    percent: "12.5".into(),
                    salt: None,
                }),
            )
            .await,
            OK,
        );
        assert_eq!(c.percent_bp, Some(1250));
        let salt = c.salt.expect("salt");
        let d: DryRunResult = answer(
            s.post(
                &format!("/v1/apps/{APP}/targets/{TARGET}/dry-run"),
                owner,
                req(&DryRun {
                    percent: "50".into(),
                    users: vec!["a".into(), "b".into()],
                    salt: None,
                }),
            )
            .await,
            OK,
        );
        assert_eq!(
            (d.users, d.salt.as_str(), d.exact),
            (2, salt.as_str(), true)
        );
        let e: Explanation = answer(
            s.get(
                &format!("/v1/apps/{APP}/targets/{TARGET}/explain?user=t-1"),
                owner,
            )
            .await,
            OK,
        );
        assert_eq!(e.user, "t-1");
        let c: StateChanged = answer(s.post(&step("full"), owner, json!({})).await, OK);
        assert_eq!(c.state, ReleaseState::Released);
        let signed: Signed = answer(
            s.call(
                Method::GET,
                &format!("/v1/apps/{APP}/targets/{TARGET}/policy"),
                None,
                None,
            )
            .await,
            OK,
        );
        let _: ReleasePolicy = serde_json::from_str(&signed.payload).expect("policy");
        let signed: Signed = answer(
            s.call(
                Method::GET,
                &format!("/v1/resolve?app={APP}&targetApp={TARGET}&user=u-1"),
                None,
                None,
            )
            .await,
            OK,
        );
        let _: ResolveAnswer = serde_json::from_str(&signed.payload).expect("answer");
        let sc: StableChanged = answer(
            s.post(
                &format!("/v1/apps/{APP}/targets/{TARGET}/rollback"),
                owner,
                req(&Rollback {
                    version: "1.0.0".into(),
                }),
            )
            .await,
            OK,
        );
        assert_eq!(sc.stable.as_deref(), Some("1.0.0"));
        let sc2: StableChanged = answer(
            s.post(
                &format!("/v1/apps/{APP}/targets/{TARGET}/takedown"),
                owner,
                json!({}),
            )
            .await,
            OK,
        );
        assert!(sc2.stable.is_none() && sc2.seq > sc.seq);
        let again: ReleaseStarted = answer(
            s.post(
                &format!("/v1/apps/{APP}/releases"),
                owner,
                req(&NewRelease {
                    target_app: TARGET.into(),
                    version: "1.0.0".into(),
                    basic_info: None,
                }),
            )
            .await,
            CREATED,
        );
        let c: StateChanged = answer(
            s.post(
                &format!("/v1/releases/{}/cancel", again.id),
                owner,
                json!({}),
            )
            .await,
            OK,
        );
        assert_eq!(c.state, ReleaseState::Cancelled);

        // The audit log, the inbox, and errors.
        let log: Vec<AuditEntry> = answer(s.get("/v1/audit", &s.admin).await, OK);
        assert!(log.iter().any(|e| e.action == "member.remove"));
        let inbox: Vec<InboxMessage> = answer(s.get("/v1/inbox", owner).await, OK);
        assert!(inbox
            .iter()
            .any(|m| m.release.as_deref() == Some(id.as_str())));
        let err: ApiErrorBody = answer(
            s.get(&format!("/v1/apps/{APP}"), &w.other.1).await,
            StatusCode::NOT_FOUND,
        );
        assert_eq!(err.code, "not_found");
    }
}

/// A request body as JSON, from its shared wire type.
fn req<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("encode")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_apps_are_listed_for_any_account() {
    use mpkit_platform_client::wire::TargetApp;
    let s = start(Db::Sqlite).await;
    let w = world(&s).await;
    for token in [&w.dev2.1, &w.other.1, &w.isv_master.1, &s.admin] {
        let ts: Vec<TargetApp> = answer(s.get("/v1/target-apps", token).await, StatusCode::OK);
        assert_eq!(
            ts,
            [TargetApp {
                id: TARGET.into(),
                name: "Wallet SG".into(),
                allowed_permissions: vec![
                    "getLocation".into(),
                    "scope.location".into(),
                    "request".into()
                ],
            }]
        );
    }
    refused(
        &s,
        StatusCode::UNAUTHORIZED,
        s.call(Method::GET, "/v1/target-apps", None, None).await,
        "no token",
    )
    .await;
    refused(
        &s,
        StatusCode::UNAUTHORIZED,
        s.get("/v1/target-apps", "mpk_forged").await,
        "forged token",
    )
    .await;
}

fn app_ids(apps: &[mpkit_platform_client::wire::App]) -> Vec<&str> {
    apps.iter().map(|a| a.app_id.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_lists_its_apps_by_role() {
    use mpkit_platform_client::wire::App;
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let list = |ws: &str| format!("/v1/workspaces/{ws}/apps");
        let before = s.audit_count().await;

        // Master and Owner: every mini program the merchant owns, self-developed or third-party.
        for token in [&w.master.1, &w.owner.1] {
            let apps: Vec<App> = answer(s.get(&list(&w.merchant), token).await, StatusCode::OK);
            assert_eq!(app_ids(&apps), [APP, ISV_APP], "{db}");
            assert_eq!(
                apps[1].kind,
                mpkit_platform_client::wire::AppKind::ThirdParty
            );
            assert_eq!(apps[1].developer.as_deref(), Some(w.isv.as_str()));
        }
        // Developers: only what is assigned to them.
        let apps: Vec<App> = answer(s.get(&list(&w.merchant), &w.dev.1).await, StatusCode::OK);
        assert_eq!(app_ids(&apps), [APP], "{db}");
        let apps: Vec<App> = answer(s.get(&list(&w.merchant), &w.dev2.1).await, StatusCode::OK);
        assert!(apps.is_empty(), "{db}: {apps:?}");
        // The ISV: the third-party mini programs it develops, while authorized.
        let apps: Vec<App> = answer(s.get(&list(&w.isv), &w.isv_master.1).await, StatusCode::OK);
        assert_eq!(app_ids(&apps), [ISV_APP], "{db}");
        // Non-members (an admin too) learn nothing: 404, as for the workspace's other endpoints.
        for (token, what) in [
            (&w.other.1, "another merchant"),
            (&w.isv_master.1, "the ISV on the merchant's list"),
            (&s.admin, "an admin who is no member"),
        ] {
            refused(
                &s,
                StatusCode::NOT_FOUND,
                s.get(&list(&w.merchant), token).await,
                what,
            )
            .await;
        }
        refused(
            &s,
            StatusCode::NOT_FOUND,
            s.get(&list("no-such-workspace"), &w.master.1).await,
            "unknown workspace",
        )
        .await;
        refused(
            &s,
            StatusCode::UNAUTHORIZED,
            s.call(Method::GET, &list(&w.merchant), None, None).await,
            "no token",
        )
        .await;
        assert_eq!(
            s.audit_count().await,
            before,
            "{db}: listing writes nothing"
        );

        // A revoked authorization applies to the ISV's list on its next call.
        let (st, _) = s
            .call(
                Method::DELETE,
                &format!("/v1/isv-authorizations/{}", w.isv_auth),
                Some(&w.master.1),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let apps: Vec<App> = answer(s.get(&list(&w.isv), &w.isv_master.1).await, StatusCode::OK);
        assert!(apps.is_empty(), "{db}: {apps:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_listed_and_removed_by_a_master() {
    use mpkit_platform_client::wire::{AuditEntry, Member};
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let m = &w.merchant;
        let members = format!("/v1/workspaces/{m}/members");
        let one = |acct: &str| format!("/v1/workspaces/{m}/members/{acct}");
        let delete = |token: &str, acct: &str| {
            let (token, path) = (token.to_owned(), one(acct));
            let s = &s;
            async move { s.call(Method::DELETE, &path, Some(&token), None).await }
        };

        // Every member sees the list; nobody else does.
        for token in [&w.master.1, &w.owner.1, &w.dev.1] {
            let list: Vec<Member> = answer(s.get(&members, token).await, StatusCode::OK);
            let mut got: Vec<(&str, &str)> = list
                .iter()
                .map(|x| (x.account_id.as_str(), x.role.as_str()))
                .collect();
            got.sort_unstable();
            let mut want = vec![
                (w.master.0.as_str(), "master"),
                (w.owner.0.as_str(), "owner"),
                (w.dev.0.as_str(), "developer"),
                (w.dev2.0.as_str(), "developer"),
            ];
            want.sort_unstable();
            assert_eq!(got, want, "{db}");
            assert!(list.iter().all(|x| &x.workspace == m));
        }
        let before = s.audit_count().await;
        refused(
            &s,
            StatusCode::NOT_FOUND,
            s.get(&members, &w.other.1).await,
            "non-member lists",
        )
        .await;
        refused(
            &s,
            StatusCode::UNAUTHORIZED,
            s.call(Method::GET, &members, None, None).await,
            "no token",
        )
        .await;

        // Only a Master removes; non-members learn nothing; the last Master stays.
        refused(
            &s,
            StatusCode::FORBIDDEN,
            delete(&w.owner.1, &w.dev.0).await,
            "owner removes",
        )
        .await;
        refused(
            &s,
            StatusCode::FORBIDDEN,
            delete(&w.dev.1, &w.dev2.0).await,
            "developer removes",
        )
        .await;
        refused(
            &s,
            StatusCode::FORBIDDEN,
            delete(&w.dev.1, &w.dev.0).await,
            "developer removes self",
        )
        .await;
        refused(
            &s,
            StatusCode::NOT_FOUND,
            delete(&w.other.1, &w.dev.0).await,
            "non-member removes",
        )
        .await;
        refused(
            &s,
            StatusCode::NOT_FOUND,
            delete(&w.master.1, &w.other.0).await,
            "not a member",
        )
        .await;
        refused(
            &s,
            StatusCode::CONFLICT,
            delete(&w.master.1, &w.master.0).await,
            "the last Master",
        )
        .await;
        refused(
            &s,
            StatusCode::CONFLICT,
            s.call(
                Method::PATCH,
                &one(&w.master.0),
                Some(&w.master.1),
                Some(serde_json::json!({"role": "owner"})),
            )
            .await,
            "the last Master steps down",
        )
        .await;
        assert_eq!(s.audit_count().await, before, "{db}: nothing was written");

        // The assigned developer is removed: audited; applies on their next call.
        let (st, _) = s.get(&format!("/v1/apps/{APP}"), &w.dev.1).await;
        assert_eq!(st, StatusCode::OK);
        let gone: Member = answer(delete(&w.master.1, &w.dev.0).await, StatusCode::OK);
        assert_eq!(
            gone,
            Member {
                workspace: m.clone(),
                account_id: w.dev.0.clone(),
                role: mpkit_platform_client::wire::Role::Developer
            }
        );
        let (_, log) = s
            .get(
                &format!("/v1/audit?object=workspace:{m}/member:{}", w.dev.0),
                &s.admin,
            )
            .await;
        let log: Vec<AuditEntry> = wire(&log);
        let last = log.last().expect("audited");
        assert_eq!(
            (
                last.action.as_str(),
                last.actor.as_str(),
                &last.before,
                &last.after
            ),
            (
                "member.remove",
                w.master.0.as_str(),
                &Some(json!({"role": "developer", "assignments": [APP]})),
                &None
            ),
            "{db}"
        );
        refused(
            &s,
            StatusCode::NOT_FOUND,
            s.get(&format!("/v1/apps/{APP}"), &w.dev.1).await,
            "removed developer reads",
        )
        .await;
        refused(
            &s,
            StatusCode::NOT_FOUND,
            upload(&s, &w.dev.1, APP, "1.0.0", 1, &w.key).await,
            "removed developer uploads",
        )
        .await;
        refused(
            &s,
            StatusCode::NOT_FOUND,
            s.get(&members, &w.dev.1).await,
            "removed developer lists",
        )
        .await;
        refused(
            &s,
            StatusCode::NOT_FOUND,
            delete(&w.master.1, &w.dev.0).await,
            "removed twice",
        )
        .await;
        // Invited back, they start without the old assignment.
        let (st, v) = s
            .post(
                &members,
                &w.master.1,
                json!({"accountId": w.dev.0, "role": "developer"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let apps: Vec<mpkit_platform_client::wire::App> = answer(
            s.get(&format!("/v1/workspaces/{m}/apps"), &w.dev.1).await,
            StatusCode::OK,
        );
        assert!(apps.is_empty(), "{db}: {apps:?}");

        // With a second Master, a Master may leave; then that one is the last.
        let (st, v) = s
            .call(
                Method::PATCH,
                &one(&w.owner.0),
                Some(&w.master.1),
                Some(json!({"role": "master"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let gone: Member = answer(delete(&w.master.1, &w.master.0).await, StatusCode::OK);
        assert_eq!(gone.role, mpkit_platform_client::wire::Role::Master);
        refused(
            &s,
            StatusCode::NOT_FOUND,
            s.get(&members, &w.master.1).await,
            "the Master who left",
        )
        .await;
        refused(
            &s,
            StatusCode::CONFLICT,
            delete(&w.owner.1, &w.owner.0).await,
            "the new last Master",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_answer() {
    let s = start(Db::Sqlite).await;
    let (st, doc) = s.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(st, StatusCode::OK);
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "AccountCreated",
        "Me",
        "Workspace",
        "Member",
        "KeyRegistered",
        "App",
        "IsvAuthorization",
        "Revoked",
        "TargetApp",
        "ReviewerAdded",
        "Assignment",
        "AppDetail",
        "VersionUploaded",
        "VersionInfo",
        "ReleaseStarted",
        "Release",
        "StateChanged",
        "TestersReplaced",
        "StableChanged",
        "Explanation",
        "DryRunResult",
        "AuditEntry",
        "InboxMessage",
        "Signed",
        "ApiErrorBody",
        "NewWebhook",
        "Webhook",
        "WebhookCreated",
        "WebhookDelivery",
        "WebhookAttempt",
        "WebhookPayload",
    ] {
        assert!(schemas.contains_key(name), "{name} is in the components");
    }
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let responses = op["responses"].as_object().expect("responses");
            let success: Vec<&Value> = responses
                .iter()
                .filter(|(code, _)| code.starts_with('2'))
                .map(|(_, r)| r)
                .collect();
            assert!(!success.is_empty(), "{method} {path} documents its success");
            for r in success {
                let content = r["content"].as_object();
                let content = content.unwrap_or_else(|| panic!("{method} {path}: no body: {r}"));
                for (mime, media) in content {
                    let schema = &media["schema"];
                    assert!(schema.is_object(), "{method} {path} {mime}: no schema");
                    // A JSON answer names its wire type (or an array of it), and that type is documented.
                    if mime == "application/json" && path != "/v1/trust/root.json" {
                        let reference = schema["$ref"]
                            .as_str()
                            .or_else(|| schema["items"]["$ref"].as_str())
                            .unwrap_or_else(|| panic!("{method} {path}: {schema}"));
                        let name = reference.trim_start_matches("#/components/schemas/");
                        assert!(schemas.contains_key(name), "{method} {path}: {name}");
                    }
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 41, "{checked}");
}

/// A step the release's state does not allow is refused in plain words:
/// where the release is and what can be done next, with the command, never
/// the workflow's internal names (`a release in state pilot cannot
/// Grayscale`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_refusals_say_where_the_release_is_and_what_to_do() {
    let s = start(Db::Sqlite).await;
    let w = world(&s).await;
    let id = to_review(&s, &w, "1.0.0", 1).await;
    let t = &w.owner.1;
    let refused = |call: (StatusCode, Value)| {
        assert_eq!(call.0, StatusCode::CONFLICT, "{}", call.1);
        let m = call.1["message"].as_str().expect("message").to_owned();
        for internal in [
            "in state",
            "Grayscale",
            "StartPilot",
            "CompletePilot",
            "Full",
        ] {
            assert!(!m.contains(internal), "{internal}: {m}");
        }
        m
    };
    // In review: a grayscale waits for the reviewer.
    let m = refused(
        s.post(
            &format!("/v1/releases/{id}/grayscale"),
            t,
            json!({"percent": "20"}),
        )
        .await,
    );
    assert!(
        m.starts_with(&format!(
            "release {id} is in review: it waits for a reviewer of the target app, so you cannot start or raise a grayscale yet."
        )),
        "{m}"
    );
    assert!(m.contains("`mpkit release approve`"), "{m}");
    // In pilot: the pilot is completed first.
    let (st, v) = s
        .post(
            &format!("/v1/releases/{id}/review"),
            &w.reviewer.1,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(
            &format!("/v1/releases/{id}/pilot"),
            t,
            json!({"testers": ["u-1"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let m = refused(
        s.post(
            &format!("/v1/releases/{id}/grayscale"),
            t,
            json!({"percent": "20"}),
        )
        .await,
    );
    assert!(
        m.starts_with(&format!(
            "release {id} is in pilot testing, so you cannot start or raise a grayscale yet."
        )),
        "{m}"
    );
    assert!(
        m.contains("complete the pilot (`mpkit release pilot complete`)"),
        "{m}"
    );
    // Released: final; another version is a new release.
    let (st, v) = s
        .post(&format!("/v1/releases/{id}/full"), t, json!({}))
        .await;
    assert_eq!(
        st,
        StatusCode::CONFLICT,
        "full waits for the pilot too: {v}"
    );
    let (st, _) = s
        .post(&format!("/v1/releases/{id}/complete-pilot"), t, json!({}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s
        .post(&format!("/v1/releases/{id}/full"), t, json!({}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let m = refused(
        s.post(&format!("/v1/releases/{id}/cancel"), t, json!({}))
            .await,
    );
    assert!(
        m.contains("is released to everyone, so you cannot cancel it any more: it is final")
            && m.contains("`mpkit release start`"),
        "{m}"
    );
}

/// A version whose domain lists a host would refuse (a wildcard over a public
/// suffix, a wildcard DNS service, a leading dot) is refused at upload with
/// the reason, and nothing is stored; a wildcard below a registrable domain
/// uploads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_with_domain_patterns_a_host_would_refuse_are_refused() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let cases = [
            ("*.co.uk", "covers a public suffix"),
            ("*.github.io", "covers a public suffix"),
            ("*.nip.io", "wildcard DNS service"),
            (".example.com", "no empty labels"),
        ];
        for (i, (entry, why)) in cases.iter().enumerate() {
            let before = s.audit_count().await;
            let version = format!("1.0.{i}");
            let b = bundle(
                s.dir(),
                APP,
                &version,
                i as u64 + 1,
                &w.key,
                json!({"jsapi": ["request"], "domains": {"request": ["api.example.com", entry]}}),
            );
            let (st, v) = s
                .raw(
                    Method::POST,
                    &format!("/v1/apps/{APP}/versions"),
                    &w.dev.1,
                    b,
                )
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{entry}: {v}");
            assert_eq!(v["code"], "invalid_bundle", "{entry}: {v}");
            let message = v["message"].as_str().unwrap_or_default();
            assert!(
                message.contains(why) && message.contains(entry),
                "{entry}: {v}"
            );
            assert_eq!(s.audit_count().await, before, "{entry}: nothing recorded");
            let (_, listed) = s.get(&format!("/v1/apps/{APP}/versions"), &w.dev.1).await;
            assert!(
                !listed.to_string().contains(&version),
                "{entry}: no version stored: {listed}"
            );
        }
        let b = bundle(
            s.dir(),
            APP,
            "2.0.0",
            100,
            &w.key,
            json!({"jsapi": ["request"], "domains": {"request": ["*.example.co.uk"]}}),
        );
        let (st, v) = s
            .raw(
                Method::POST,
                &format!("/v1/apps/{APP}/versions"),
                &w.dev.1,
                b,
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
}

/// The HTTP details a client relies on: the bearer scheme in any case,
/// `{code, message}` for every error (a query axum cannot read, a method a
/// path does not serve), and `Cache-Control: no-store` on every answer, the
/// ones carrying a token first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_json_answers_are_not_stored_and_the_scheme_is_case_insensitive() {
    let s = start(Db::Sqlite).await;
    let (_, token) = s.account("carol").await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = s
            .http
            .get(format!("{}/v1/me", s.base))
            .header("Authorization", format!("{scheme} {token}"))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::OK, "{scheme}");
    }
    for bad in ["Basic x", "Bearer", "Bearer ", "Token abc", ""] {
        let r = s
            .http
            .get(format!("{}/v1/me", s.base))
            .header("Authorization", bad)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{bad:?}");
    }
    // An account's token is answered once, and never stored on the way.
    let r = s
        .http
        .post(format!("{}/v1/accounts", s.base))
        .bearer_auth(&s.admin)
        .json(&json!({"name": "dave"}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let with_token: Value = r.json().await.expect("json");
    assert!(with_token["token"].is_string(), "{with_token}");
    // A query string the endpoint cannot read, and a method it does not take.
    let cases = [
        (
            Method::GET,
            "/v1/resolve?app=1",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Method::GET,
            "/v1/resolve?app=1&targetApp=t&user=u&extra=1",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Method::DELETE,
            "/v1/me",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::PUT,
            "/v1/accounts",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (method, path, status, code) in cases {
        let r = s
            .http
            .request(method.clone(), format!("{}{path}", s.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), status, "{method} {path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{method} {path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with("application/json")),
            "{method} {path}"
        );
        let v: Value = r.json().await.expect("a JSON body");
        assert_eq!(v["code"], code, "{method} {path}: {v}");
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{method} {path}: {v}"
        );
    }
}

/// Names people give (accounts, workspaces, mini programs, target apps, app
/// secrets) are 1 to 64 printable characters: empty, NUL, escapes, bidi
/// overrides and megabytes are refused, and nothing is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_one_to_sixty_four_printable_characters() {
    let s = start(Db::Sqlite).await;
    let w = world(&s).await;
    let long = "x".repeat(65);
    let huge = "y".repeat(1 << 20);
    let bad: [&str; 8] = [
        "",
        "   ",
        "a\0b",
        "\u{1b}[2Jfake",
        "tab\there",
        "\u{202e}gnp.exe",
        &long,
        &huge,
    ];
    let admin = s.admin.clone();
    let calls = |name: &str| {
        vec![
            (
                "/v1/accounts".to_owned(),
                admin.clone(),
                json!({"name": name}),
            ),
            (
                "/v1/workspaces".to_owned(),
                w.master.1.clone(),
                json!({"name": name, "kind": "merchant"}),
            ),
            (
                format!("/v1/workspaces/{}/apps", w.merchant),
                w.master.1.clone(),
                json!({"appId": "2021000000000099", "name": name}),
            ),
            (
                "/v1/target-apps".to_owned(),
                admin.clone(),
                json!({"id": "named.wallet", "name": name, "allowedPermissions": []}),
            ),
            (
                format!("/v1/apps/{APP}/secrets"),
                w.master.1.clone(),
                json!({"name": name}),
            ),
        ]
    };
    for name in bad {
        for (path, token, body) in calls(name) {
            let before = s.audit_count().await;
            let (st, v) = s.post(&path, &token, body).await;
            assert_eq!(
                st,
                StatusCode::BAD_REQUEST,
                "{path} {:?}: {v}",
                name.get(..16)
            );
            assert_eq!(
                v["message"], "name must be 1 to 64 printable characters",
                "{path}"
            );
            assert_eq!(s.audit_count().await, before, "{path}: nothing recorded");
        }
    }
    // 64 characters, accents and CJK included, are a name; spaces around go.
    let fine = format!("  Café 咖啡 {}  ", "n".repeat(56));
    for (path, token, body) in calls(&fine) {
        let (st, v) = s.post(&path, &token, body).await;
        assert_eq!(st, StatusCode::CREATED, "{path}: {v}");
    }
}

/// Release results reach the creator's inbox only while they can still see
/// the mini program: a member removed from the workspace is told nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_members_receive_no_more_release_results() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let texts = |v: Value| -> Vec<String> {
            v.as_array()
                .expect("inbox")
                .iter()
                .filter_map(|m| m["text"].as_str().map(str::to_owned))
                .collect()
        };
        // Still a member: the rejection of the first release is told.
        let first = to_review(&s, &w, "1.0.0", 1).await;
        let (st, v) = s
            .post(
                &format!("/v1/releases/{first}/review"),
                &w.reviewer.1,
                json!({"decision": "reject", "reason": "icon missing"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let (_, inbox) = s.get("/v1/inbox", &w.owner.1).await;
        assert!(texts(inbox).iter().any(|t| t.contains("icon missing")));
        // Removed, then the second release (started while a member) is approved.
        let second = to_review(&s, &w, "1.0.1", 2).await;
        let (st, v) = s
            .call(
                Method::DELETE,
                &format!("/v1/workspaces/{}/members/{}", w.merchant, w.owner.0),
                Some(&w.master.1),
                None,
            )
            .await;
        assert!(st.is_success(), "{v}");
        let (st, v) = s
            .post(
                &format!("/v1/releases/{second}/review"),
                &w.reviewer.1,
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let (_, inbox) = s.get("/v1/inbox", &w.owner.1).await;
        let told = texts(inbox);
        assert!(!told.iter().any(|t| t.contains("approved")), "{told:?}");
        assert_eq!(told.len(), 1, "only what came while a member: {told:?}");
    }
}

/// Separation of duties: whoever started, uploaded or applied for a release
/// does not decide on it, even as a reviewer of its target; the target's
/// reviewers see the release they review; strangers still learn nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_cannot_decide_on_their_own_release_but_sees_what_they_review() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        // The owner (who starts and applies) and the developer (who uploads)
        // are made reviewers of the target too.
        for who in [&w.owner.0, &w.dev.0] {
            let (st, v) = s
                .post(
                    &format!("/v1/target-apps/{TARGET}/reviewers"),
                    &s.admin,
                    json!({"accountId": who}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
        }
        let id = to_review(&s, &w, "1.0.0", 1).await;
        for (who, token) in [("starter", &w.owner.1), ("uploader", &w.dev.1)] {
            for decision in [
                json!({"decision": "approve"}),
                json!({"decision": "reject", "reason": "mine"}),
            ] {
                let before = s.audit_count().await;
                let (st, v) = s
                    .post(
                        &format!("/v1/releases/{id}/review"),
                        token,
                        decision.clone(),
                    )
                    .await;
                assert_eq!(st, StatusCode::FORBIDDEN, "{who}: {v}");
                assert!(
                    v["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("another reviewer")),
                    "{who}: {v}"
                );
                assert_eq!(s.audit_count().await, before, "{who}: nothing recorded");
            }
        }
        let (_, r) = s.get(&format!("/v1/releases/{id}"), &w.owner.1).await;
        assert_eq!(r["state"], "in_review", "{r}");
        // The independent reviewer sees the release (digest, report, info)...
        let (st, r) = s.get(&format!("/v1/releases/{id}"), &w.reviewer.1).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert!(
            r["upload"]["sha256"].is_string() && r["compatReport"].is_object(),
            "{r}"
        );
        // ...with what the version asks for, as its signed manifest says...
        assert_eq!(
            r["requestedPermissions"]["jsapi"],
            json!(["getLocation"]),
            "{r}"
        );
        assert_eq!(
            r["requestedPermissions"]["scopes"],
            json!(["scope.location"]),
            "{r}"
        );
        // ...and decides.
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/review"),
                &w.reviewer.1,
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        // A stranger's read is the same 404 as for a release that does not exist.
        let (st1, a) = s.get(&format!("/v1/releases/{id}"), &w.other.1).await;
        let (st2, b) = s.get("/v1/releases/rel_nope", &w.other.1).await;
        assert_eq!(
            (st1, st2),
            (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
            "{a} {b}"
        );
    }
}

/// Tester files cannot amplify memory (issue 22, item 7): a release not in
/// pilot refuses a 4 MiB file with 409 before reading it; in pilot, two
/// million bad lines are a 400 whose answer names the first 100 and the
/// count (a few KiB, not hundreds of MB), more ids than a pilot takes are a
/// 400, and neither changes the testers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tester_files_are_bounded_and_checked_after_the_state() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let id = to_review(&s, &w, "1.0.0", 1).await;
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/review"),
                &w.reviewer.1,
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{db}: {v}");
        let garbage = "!\n".repeat(2 * 1024 * 1024).into_bytes();
        let put = |body: Vec<u8>| {
            let (s, id, t) = (&s, id.clone(), w.owner.1.clone());
            async move {
                s.raw(Method::PUT, &format!("/v1/releases/{id}/testers"), &t, body)
                    .await
            }
        };
        let (st, v) = put(garbage.clone()).await;
        assert_eq!(
            st,
            StatusCode::CONFLICT,
            "{db}: approved, not in pilot: {v}"
        );
        assert!(v.to_string().len() < 1024, "{db}: {v}");

        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/pilot"),
                &w.owner.1,
                json!({"testers": ["tester-1"]}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{db}: {v}");
        let (st, v) = put(garbage).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{db}");
        let text = v.to_string();
        assert!(text.len() < 32 * 1024, "{db}: {} bytes", text.len());
        assert!(
            text.contains("2097152 in all, the first 100"),
            "{db}: {}",
            &text[..300.min(text.len())]
        );
        let many: String = (0..100_001).map(|i| format!("u-{i}\n")).collect();
        let (st, v) = put(many.into_bytes()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{db}");
        assert!(
            v.to_string().contains("at most 100000 testers"),
            "{db}: {v}"
        );
        // The pilot's testers are the ones it started with.
        assert_eq!(why(&s, "tester-1").await.rule, Rule::Pilot, "{db}");
        assert_eq!(why(&s, "u-1").await.rule, Rule::None, "{db}");
    }
}

/// Two uploads of one version at once, with different contents (issue 22,
/// item 13), on SQLite and on the real PostgreSQL: exactly one is stored,
/// the other is 409; the stored bytes are the winner's, under the digest
/// recorded for it, and a release builds from them (the build checks the
/// bytes against that digest).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uploads_of_one_version_keep_one_consistent_object() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        for round in 0..4u64 {
            let version = format!("1.{round}.0");
            let build = 10 + round;
            let a = bundle(
                s.dir(),
                APP,
                &version,
                build,
                &w.key,
                json!({"jsapi": ["getLocation"], "scopes": ["scope.location"]}),
            );
            let b = bundle(
                s.dir(),
                APP,
                &version,
                build,
                &w.key,
                json!({"jsapi": ["getSystemInfo"]}),
            );
            assert_ne!(a, b);
            let url = format!("/v1/apps/{APP}/versions");
            let (ra, rb) = tokio::join!(
                s.raw(Method::POST, &url, &w.dev.1, a.clone()),
                s.raw(Method::POST, &url, &w.dev.1, b.clone())
            );
            let mut codes = [ra.0, rb.0];
            codes.sort();
            assert_eq!(
                codes,
                [StatusCode::CREATED, StatusCode::CONFLICT],
                "{db}: {ra:?} {rb:?}"
            );
            let (winner, answer) = if ra.0 == StatusCode::CREATED {
                (&a, &ra.1)
            } else {
                (&b, &rb.1)
            };
            let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(winner));
            assert_eq!(answer["sha256"], digest.as_str(), "{db}");
            let (st, v) = s
                .post(
                    &format!("/v1/apps/{APP}/releases"),
                    &w.owner.1,
                    json!({"targetApp": TARGET, "version": version}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
            let (st, v) = s
                .post(
                    &format!("/v1/releases/{}/cancel", v["id"].as_str().expect("id")),
                    &w.owner.1,
                    json!({}),
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{db}: {v}");
        }
    }
}

/// Basic info is text of bounded size (issue 22, item 10 in part): a
/// 1 MiB description (under the 4 MiB body limit), a number, an `http:` or scriptable icon URL and
/// control characters are each a 400 that changes and audits nothing; a
/// description with lines and an https icon are kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_info_is_bounded_text_and_refusals_write_nothing() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let id = to_review(&s, &w, "1.0.0", 1).await;
        let patch = |body: Value| {
            let (s, id, t) = (&s, id.clone(), w.owner.1.clone());
            async move {
                s.call(
                    Method::PATCH,
                    &format!("/v1/releases/{id}/basic-info"),
                    Some(&t),
                    Some(body),
                )
                .await
            }
        };
        let before = s.audit_count().await;
        for (body, why) in [
            (
                json!({"description": "a".repeat(1024 * 1024)}),
                "longer than 2000 characters",
            ),
            (json!({"releaseNotes": 5}), "must be a string"),
            (
                json!({"iconUrl": "http://cdn.example.com/i.png"}),
                "an https: URL",
            ),
            (json!({"iconUrl": "javascript:alert(1)"}), "an https: URL"),
            (json!({"category": "food\u{1b}[2J"}), "control characters"),
            (
                json!({"contact": "x".repeat(257)}),
                "longer than 256 characters",
            ),
        ] {
            let (st, v) = patch(body).await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{db}: {why}: {v}");
            assert!(
                v["message"].as_str().is_some_and(|m| m.contains(why)),
                "{db}: {v}"
            );
        }
        assert_eq!(
            s.audit_count().await,
            before,
            "{db}: refusals write nothing"
        );
        let (st, v) = patch(json!({"description": "Order coffee.\nPick it up.", "iconUrl": "https://cdn.example.com/i.png"})).await;
        assert_eq!(st, StatusCode::OK, "{db}: {v}");
        let (_, rel) = s.get(&format!("/v1/releases/{id}"), &w.owner.1).await;
        assert_eq!(
            rel["basicInfo"]["description"], "Order coffee.\nPick it up.",
            "{db}: {rel}"
        );
    }
}
