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
        s.tmp.path(),
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
    for db in databases() {
        let s = start(db).await;
        let w = world(&s).await;
        let (st, v) = upload(&s, &w.dev.1, APP, "1.0.0", 1, &w.key).await;
        assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
        assert_eq!(resolve(&s, "u-1").await.rule, Rule::None);

        // Start: the package is re-signed by the publisher with the target app's permissions.
        let id = release_to_review(&s, &w, "1.0.0").await;
        let (_, rel) = s.get(&format!("/v1/releases/{id}"), &w.owner.1).await;
        let (st, pkg) = s
            .call(
                Method::GET,
                &format!("/v1/packages/{APP}/{TARGET}/1.0.0"),
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let _ = pkg;
        let bytes = s
            .http
            .get(format!("{}/v1/packages/{APP}/{TARGET}/1.0.0", s.base))
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
            (a.rule, a.version.as_ref().map(|v| v.version.as_str())),
            (Rule::Pilot, Some("1.0.0"))
        );
        assert_eq!(resolve(&s, "u-1").await.rule, Rule::None);
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
            resolve(&s, "tester-2").await.rule,
            Rule::None,
            "the group was replaced"
        );
        assert_eq!(resolve(&s, "tester-3").await.rule, Rule::Pilot);
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
            let a = resolve(&s, u).await;
            assert_eq!(a.rule, Rule::Grayscale);
            assert_eq!(a.bucket, Some(rollout::bucket(&salt, u)));
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
        for u in inside10.iter().take(5) {
            assert_eq!(
                resolve(&s, u).await.rule,
                Rule::Grayscale,
                "raising keeps {u}"
            );
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
        let a = resolve(&s, "u-1").await;
        assert_eq!(a.rule, Rule::Stable);
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
        let (st, _) = s
            .post(
                &format!("/v1/apps/{APP}/targets/{TARGET}/takedown"),
                &w.owner.1,
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(resolve(&s, "u-1").await.rule, Rule::None);

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
                "release.full"
            ],
            "{db}"
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
    for db in databases() {
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
        // A member of workspace A approves a release of workspace B; a non-reviewer approves.
        refused(
            &s,
            StatusCode::FORBIDDEN,
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
    for db in databases() {
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
        let mut b = bundle(s.tmp.path(), APP, "2.0.0", 9, &w.key, json!({}));
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
                bundle(s.tmp.path(), OTHER_APP, "2.0.0", 9, &w.key, json!({})),
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
    let s = start("sqlite").await;
    let w = world(&s).await;
    upload(&s, &w.dev.1, APP, "1.0.0", 1, &w.key).await;
    let cfg = mpkit_platform::Config::new(s.tmp.path());
    let (p2, boot) = mpkit_platform::Platform::open(cfg).await.expect("reopen");
    assert!(boot.is_none(), "the bootstrap token is shown once");
    assert_eq!(p2.root_json(), s.platform.root_json(), "the keys are kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_covers_every_route() {
    let s = start("sqlite").await;
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
