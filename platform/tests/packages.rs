//! Release packages (issue 22, item 1): the publisher key signs a target
//! app's package only when a reviewer approves the release, and the
//! platform serves it only to the users the signed policy gives that
//! version to (pilot testers, the grayscale cohort, everyone once released),
//! or to the mini program's members and the release's reviewers. Everyone
//! else gets the answer a package that does not exist gets.

mod common;

use common::*;
use mpkit_bundle::{Trust, TrustedRoot};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::path::PathBuf;

/// The packages stored for APP in TARGET, by file name.
fn stored(s: &Srv) -> Vec<String> {
    let dir: PathBuf = s
        .config
        .storage
        .join("objects")
        .join("packages")
        .join(APP)
        .join(TARGET);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The status of a package download of `version`, as `token` (or no one)
/// and with `user` in the query.
async fn fetch(s: &Srv, version: &str, token: Option<&str>, user: Option<&str>) -> StatusCode {
    let q = user.map(|u| format!("?user={u}")).unwrap_or_default();
    let path = format!("/v1/packages/{APP}/{TARGET}/{version}{q}");
    let (st, v) = s.call(Method::GET, &path, token, None).await;
    if st == StatusCode::NOT_FOUND {
        assert_eq!(v["code"], "not_found", "{v}");
        assert_eq!(
            v["message"], "no such package",
            "the same answer for all: {v}"
        );
    }
    st
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_is_signed_on_approval_and_served_to_whom_the_policy_gives_it() {
    for db in Db::all() {
        let s = start(db).await;
        let w = world(&s).await;
        let id = to_review(&s, &w, "1.0.0", 1).await;

        // In review: nothing signed, nothing stored, nothing served, to
        // anyone (its own members included).
        assert!(stored(&s).is_empty(), "{db}: {:?}", stored(&s));
        for token in [None, Some(w.owner.1.as_str()), Some(w.reviewer.1.as_str())] {
            assert_eq!(
                fetch(&s, "1.0.0", token, None).await,
                StatusCode::NOT_FOUND,
                "{db}"
            );
        }
        let (_, rel) = s.get(&format!("/v1/releases/{id}"), &w.reviewer.1).await;
        assert_eq!(rel["package"], serde_json::Value::Null, "{db}: {rel}");
        assert_eq!(
            rel["upload"]["sha256"].as_str().map(str::len),
            Some(64),
            "{db}: {rel}"
        );

        // A start refused with 409 (a release is active) writes nothing.
        let (st, v) = upload_version(&s, &w.dev.1, APP, "1.0.1", 2, &w.key).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let before = s.audit_count().await;
        let (st, v) = s
            .post(
                &format!("/v1/apps/{APP}/releases"),
                &w.owner.1,
                json!({"targetApp": TARGET, "version": "1.0.1"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{db}: {v}");
        assert_eq!(s.audit_count().await, before, "{db}: nothing audited");
        assert!(stored(&s).is_empty(), "{db}: {:?}", stored(&s));

        // Approved: signed and stored once; members and reviewers fetch it,
        // strangers and users the policy does not name do not.
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/review"),
                &w.reviewer.1,
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{db}: {v}");
        assert_eq!(stored(&s), ["1.0.0.mpk"], "{db}");
        assert_eq!(
            fetch(&s, "1.0.0", Some(&w.owner.1), None).await,
            StatusCode::OK
        );
        assert_eq!(
            fetch(&s, "1.0.0", Some(&w.dev.1), None).await,
            StatusCode::OK
        );
        assert_eq!(
            fetch(&s, "1.0.0", Some(&w.reviewer.1), None).await,
            StatusCode::OK
        );
        assert_eq!(
            fetch(&s, "1.0.0", Some(&w.other.1), None).await,
            StatusCode::NOT_FOUND,
            "{db}: another merchant"
        );
        assert_eq!(fetch(&s, "1.0.0", None, None).await, StatusCode::NOT_FOUND);
        assert_eq!(
            fetch(&s, "1.0.0", None, Some("tester-1")).await,
            StatusCode::NOT_FOUND,
            "{db}: not a tester yet"
        );
        let (st, _) = s
            .call(
                Method::GET,
                &format!("/v1/packages/{APP}/{TARGET}/1.0.0"),
                Some("not-a-token"),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{db}: a bad token is refused");
        let (_, rel) = s.get(&format!("/v1/releases/{id}"), &w.owner.1).await;
        let pin = rel["package"]["sha256"]
            .as_str()
            .expect("signed")
            .to_owned();
        assert_ne!(rel["upload"]["sha256"], pin.as_str(), "{db}: re-signed");

        // Pilot: the testers fetch it by user id, nobody else does.
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id}/pilot"),
                &w.owner.1,
                json!({"testers": ["tester-1"]}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{db}: {v}");
        let bytes = s
            .http
            .get(format!(
                "{}/v1/packages/{APP}/{TARGET}/1.0.0?user=tester-1",
                s.base
            ))
            .send()
            .await
            .expect("get")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
            pin,
            "{db}: the approved package"
        );
        let root = TrustedRoot::load(s.platform.root_json(), time::OffsetDateTime::now_utc())
            .expect("root");
        mpkit_bundle::open(
            &bytes,
            &Trust::Root(root),
            &mpkit_bundle::Expected::any(),
            &mpkit_bundle::Caps::default(),
        )
        .expect("publisher-signed");
        assert_eq!(
            fetch(&s, "1.0.0", None, Some("u-2")).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(fetch(&s, "1.0.0", None, None).await, StatusCode::NOT_FOUND);

        // Released to everyone: anyone fetches it.
        for step in ["complete-pilot", "full"] {
            let (st, v) = s
                .post(&format!("/v1/releases/{id}/{step}"), &w.owner.1, json!({}))
                .await;
            assert_eq!(st, StatusCode::OK, "{db}: {step}: {v}");
        }
        assert_eq!(fetch(&s, "1.0.0", None, None).await, StatusCode::OK, "{db}");
        assert_eq!(fetch(&s, "1.0.0", None, Some("u-2")).await, StatusCode::OK);

        // A rejected release signs nothing.
        let (st, v) = s
            .post(
                &format!("/v1/apps/{APP}/releases"),
                &w.owner.1,
                json!({"targetApp": TARGET, "version": "1.0.1"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{db}: {v}");
        let id2 = v["id"].as_str().expect("id").to_owned();
        for (step, body) in [
            ("compat-report", json!({"passed": 1})),
            ("apply", json!({})),
        ] {
            let (st, v) = s
                .post(&format!("/v1/releases/{id2}/{step}"), &w.owner.1, body)
                .await;
            assert_eq!(st, StatusCode::OK, "{db}: {step}: {v}");
        }
        let (st, v) = s
            .post(
                &format!("/v1/releases/{id2}/review"),
                &w.reviewer.1,
                json!({"decision": "reject", "reason": "icon"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{db}: {v}");
        assert_eq!(stored(&s), ["1.0.0.mpk"], "{db}: only the approved one");
        assert_eq!(
            fetch(&s, "1.0.1", Some(&w.owner.1), None).await,
            StatusCode::NOT_FOUND
        );
    }
}
