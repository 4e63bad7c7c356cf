//! Object storage in an S3-compatible bucket (the test command starts one on
//! loopback: moto's server), on SQLite and on PostgreSQL: uploads and
//! packages live in the bucket, a second instance serves them, and a bucket
//! that is missing or goes away fails loudly and writes nothing.

mod common;

use common::*;
use mpkit_platform::{Objects, S3Config};
use mpkit_platform_client::wire::{ResolveAnswer, Signed};
use object_store::ObjectStore;
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

/// The S3 endpoint of the test command, or `None` (then these tests say so and pass).
fn endpoint() -> Option<String> {
    let e = std::env::var("MPKIT_TEST_S3").ok();
    if e.is_none() {
        eprintln!("MPKIT_TEST_S3 is not set: the S3 runs are skipped (scripts/test sets it)");
    }
    e
}

/// A fresh, empty bucket on `endpoint`.
async fn bucket(endpoint: &str) -> S3Config {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "mpkit-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{name}"))
        .send()
        .await
        .expect("create bucket");
    assert!(r.status().is_success(), "{}", r.status());
    config(endpoint, &name)
}

fn config(endpoint: &str, bucket: &str) -> S3Config {
    S3Config {
        bucket: bucket.to_owned(),
        region: "us-east-1".into(),
        endpoint: Some(endpoint.to_owned()),
        access_key_id: "mpkit-test".into(),
        secret_access_key: "mpkit-test-secret".into(),
        allow_http: true,
    }
}

/// Every key in the bucket.
async fn keys(c: &S3Config) -> Vec<String> {
    use futures_util::TryStreamExt;
    let store = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&c.bucket)
        .with_region(&c.region)
        .with_endpoint(c.endpoint.clone().unwrap_or_default())
        .with_access_key_id(&c.access_key_id)
        .with_secret_access_key(&c.secret_access_key)
        .with_allow_http(true)
        .build()
        .expect("store");
    let mut v: Vec<String> = store
        .list(None)
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .expect("list");
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_packages_live_in_the_bucket_and_a_second_instance_serves_them() {
    let Some(ep) = endpoint() else { return };
    for db in Db::all() {
        let c = bucket(&ep).await;
        let s = start_with(db, |cfg| cfg.objects = Objects::S3(c.clone())).await;
        let w = world(&s).await;
        let id = to_review(&s, &w, "1.0.0", 1).await;
        approve_and_release(&s, &w, &id).await;
        let stored = keys(&c).await;
        assert_eq!(
            stored.len(),
            2,
            "{db}: the upload and the package: {stored:?}"
        );
        assert!(
            stored.iter().any(|k| k.contains("1.0.0")),
            "{db}: {stored:?}"
        );
        // Nothing went to the local disk.
        assert!(!s.config.storage.join("objects").exists(), "{db}");

        // The package the signed answer pins, from this instance and another.
        let a = resolved(&s, "u-1").await;
        let pin = a.version.expect("released");
        let other = s.second(|_| {}).await;
        for inst in [&s, &other] {
            let r = inst
                .http
                .get(format!("{}/v1/packages/{APP}/{TARGET}/1.0.0", inst.base))
                .send()
                .await
                .expect("get");
            assert_eq!(r.status(), StatusCode::OK, "{db}");
            let bytes = r.bytes().await.expect("bytes");
            assert_eq!(bytes.len() as u64, pin.length, "{db}");
            assert_eq!(hex::encode(Sha256::digest(&bytes)), pin.sha256, "{db}");
        }
        // The second instance answers the same from the shared database.
        let (st, v) = other
            .call(
                Method::GET,
                &format!("/v1/resolve?app={APP}&targetApp={TARGET}&user=u-1"),
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{db}");
        let signed: Signed = serde_json::from_value(v).expect("signed");
        let b: ResolveAnswer = serde_json::from_str(&signed.payload).expect("payload");
        assert_eq!(
            b.version.map(|v| v.sha256),
            Some(pin.sha256.clone()),
            "{db}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_or_a_plain_http_endpoint_fails_the_start() {
    let Some(ep) = endpoint() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let mut cfg = mpkit_platform::Config::new(tmp.path());
    cfg.objects = Objects::S3(config(&ep, "no-such-bucket-mpkit"));
    let e = mpkit_platform::Platform::open(cfg.clone())
        .await
        .expect_err("no bucket");
    assert!(
        e.to_string().contains("no-such-bucket-mpkit is not usable"),
        "{e}"
    );
    let mut c = config(&ep, "whatever");
    c.allow_http = false;
    cfg.objects = Objects::S3(c);
    let e = mpkit_platform::Platform::open(cfg)
        .await
        .expect_err("plain http");
    assert!(e.to_string().contains("plain http"), "{e}");
    // The secret key never shows in the configuration's Debug.
    let shown = format!("{:?}", config(&ep, "b"));
    assert!(!shown.contains("mpkit-test-secret"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_the_bucket_refuses_records_no_version() {
    let Some(ep) = endpoint() else { return };
    for db in Db::all() {
        let c = bucket(&ep).await;
        let s = start_with(db, |cfg| cfg.objects = Objects::S3(c.clone())).await;
        let w = world(&s).await;
        // The bucket goes away under the running platform.
        let r = reqwest::Client::new()
            .delete(format!("{ep}/{}", c.bucket))
            .send()
            .await
            .expect("delete bucket");
        assert!(r.status().is_success(), "{}", r.status());
        let audits = s.audit_count().await;
        let (st, v) = upload_version(&s, &w.dev.1, APP, "1.0.0", 1, &w.key).await;
        assert_eq!(st, StatusCode::INTERNAL_SERVER_ERROR, "{db}: {v}");
        assert_eq!(v["code"], "internal", "{db}");
        assert!(
            v["message"]
                .as_str()
                .unwrap_or_default()
                .contains("storing the upload"),
            "{db}: {v}"
        );
        let (st, list) = s.get(&format!("/v1/apps/{APP}/versions"), &w.owner.1).await;
        assert_eq!(st, StatusCode::OK, "{db}");
        assert_eq!(list, serde_json::json!([]), "{db}: no version recorded");
        assert_eq!(s.audit_count().await, audits, "{db}: nothing audited");
    }
}
