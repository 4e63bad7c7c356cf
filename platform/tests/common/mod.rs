//! testkit's real platform on 127.0.0.1 over real HTTP, against SQLite or
//! (when `MPKIT_TEST_POSTGRES` names a server, as `scripts/test` does)
//! PostgreSQL, with raw JSON calls: these tests check the wire itself.

#![allow(dead_code, unreachable_pub)]

use mpkit_bundle::{PackOptions, SecretKey};
use mpkit_platform::Config;
pub use mpkit_testkit::Db;
use mpkit_testkit::{LocalPlatform, MiniProgram};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A [`LocalPlatform`] (it derefs to it: `base`, `admin`, `platform`,
/// `config`, `dir()`) and a plain HTTP client for it.
pub struct Srv {
    lp: LocalPlatform,
    pub http: reqwest::Client,
}

impl std::ops::Deref for Srv {
    type Target = LocalPlatform;
    fn deref(&self) -> &LocalPlatform {
        &self.lp
    }
}

static N: AtomicUsize = AtomicUsize::new(0);

pub async fn start(db: Db) -> Srv {
    start_with(db, |_| {}).await
}

/// A fresh platform on `db` taking uploads up to 4 MiB, with `adjust`
/// applied to its configuration.
pub async fn start_with(db: Db, adjust: impl FnOnce(&mut Config)) -> Srv {
    let lp = LocalPlatform::spawn(db, |config| {
        config.max_upload = 4 * 1024 * 1024;
        adjust(config);
    })
    .await;
    Srv {
        lp,
        http: reqwest::Client::new(),
    }
}

impl Srv {
    /// Another instance on the same database and storage (the same keys), with
    /// `adjust` applied to its configuration, served on its own port.
    pub async fn second(&self, adjust: impl FnOnce(&mut Config)) -> Srv {
        Srv {
            lp: self.lp.second(adjust).await,
            http: reqwest::Client::new(),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = r.send().await.expect("send");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("body");
        let v = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, v)
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .body(body)
            .send()
            .await
            .expect("send");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// POSTs headers declaring `len` body bytes and only the first few
    /// kilobytes of the body, then reads the answer.
    pub async fn oversize(&self, path: &str, token: &str, len: usize) -> (StatusCode, Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.base.trim_start_matches("http://");
        let mut c = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n"
        );
        c.write_all(head.as_bytes()).await.expect("head");
        let _ = c.write_all(&[0u8; 4096]).await;
        // Read until the whole answer (its own content-length) is in, or 10 s pass.
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let text = String::from_utf8_lossy(&out).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let want = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if body.len() >= want {
                    break;
                }
            }
            let mut buf = [0u8; 4096];
            match tokio::time::timeout_at(deadline, c.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => out.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
        let text = String::from_utf8_lossy(&out).into_owned();
        let status: u16 = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
        (
            StatusCode::from_u16(status).expect("status"),
            serde_json::from_str(body).unwrap_or(Value::Null),
        )
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Creates an account; returns (id, token).
    pub async fn account(&self, name: &str) -> (String, String) {
        let (s, v) = self
            .post("/v1/accounts", &self.admin, json!({"name": name}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        (
            v["id"].as_str().expect("id").into(),
            v["token"].as_str().expect("token").into(),
        )
    }

    pub async fn audit_count(&self) -> usize {
        let (_, v) = self.get("/v1/audit", &self.admin).await;
        v.as_array().map_or(0, Vec::len)
    }
}

/// Decodes an answer into its shared wire type, failing on any error, and
/// checks that the wire type encodes back to the very same JSON (nothing
/// dropped, renamed or added), so the server and the shared types cannot drift.
pub fn wire<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value) -> T {
    let name = std::any::type_name::<T>();
    let t: T = serde_json::from_value(v.clone())
        .unwrap_or_else(|e| panic!("the answer does not decode as {name}: {e}: {v}"));
    let back = serde_json::to_value(&t).expect("encode");
    assert_eq!(&back, v, "{name} encodes the answer differently");
    t
}

/// Asserts an answer's status and decodes it into its wire type (see [`wire`]).
pub fn answer<T: serde::de::DeserializeOwned + serde::Serialize>(
    call: (StatusCode, Value),
    status: StatusCode,
) -> T {
    assert_eq!(call.0, status, "{}", call.1);
    wire(&call.1)
}

/// Writes a one-page mini program and packs it with `key` as `version`/`build`.
pub fn bundle(
    dir: &Path,
    app_id: &str,
    version: &str,
    build: u64,
    key: &SecretKey,
    permissions: Value,
) -> Vec<u8> {
    let d = dir.join(format!(
        "src-{app_id}-{version}-{}",
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let opts = PackOptions {
        version: Some(version.parse().expect("semver")),
        build: Some(build),
        ..PackOptions::default()
    };
    MiniProgram::new(&json!({"appId": app_id, "name": "Test", "version": version,
                             "pages": ["pages/index/index"], "permissions": permissions}))
    .page(
        "pages/index/index",
        &format!("<view>{version}</view>"),
        "Page({});",
    )
    .pack(&d, key, &opts)
    .1
}

/// The cast of a typical setup.
pub struct World {
    pub merchant: String,
    pub isv: String,
    pub other_merchant: String,
    pub master: (String, String),
    pub owner: (String, String),
    pub dev: (String, String),
    pub dev2: (String, String),
    pub isv_master: (String, String),
    pub other: (String, String),
    pub reviewer: (String, String),
    pub key: SecretKey,
    pub isv_key: SecretKey,
    pub isv_auth: String,
}

pub const APP: &str = "2021000000000001";
pub const ISV_APP: &str = "2021000000000002";
pub const OTHER_APP: &str = "2021000000000003";
pub const TARGET: &str = "wallet.sg";

pub async fn world(s: &Srv) -> World {
    let master = s.account("merchant master").await;
    let owner = s.account("merchant owner").await;
    let dev = s.account("dev assigned").await;
    let dev2 = s.account("dev unassigned").await;
    let isv_master = s.account("isv master").await;
    let other = s.account("other merchant").await;
    let reviewer = s.account("reviewer").await;
    let ws = |name: &str, kind: &str| json!({"name": name, "kind": kind});
    let (_, m) = s
        .post("/v1/workspaces", &master.1, ws("Coffee Co", "merchant"))
        .await;
    let merchant = m["id"].as_str().expect("ws").to_owned();
    let (_, i) = s
        .post("/v1/workspaces", &isv_master.1, ws("Apps Ltd", "isv"))
        .await;
    let isv = i["id"].as_str().expect("ws").to_owned();
    let (_, o) = s
        .post("/v1/workspaces", &other.1, ws("Tea Co", "merchant"))
        .await;
    let other_merchant = o["id"].as_str().expect("ws").to_owned();
    for (acct, role) in [
        (&owner.0, "owner"),
        (&dev.0, "developer"),
        (&dev2.0, "developer"),
    ] {
        let (st, v) = s
            .post(
                &format!("/v1/workspaces/{merchant}/members"),
                &master.1,
                json!({"accountId": acct, "role": role}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let key = SecretKey::from_seed(&[7; 32]).expect("key");
    let isv_key = SecretKey::from_seed(&[8; 32]).expect("key");
    let (st, v) = s
        .post(
            &format!("/v1/workspaces/{merchant}/keys"),
            &owner.1,
            json!({"publicKeyHex": key.public().to_hex()}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s
        .post(
            &format!("/v1/workspaces/{isv}/keys"),
            &isv_master.1,
            json!({"publicKeyHex": isv_key.public().to_hex()}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s
        .post(
            &format!("/v1/workspaces/{merchant}/apps"),
            &master.1,
            json!({"appId": APP, "name": "Coffee Club"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s
        .post(
            &format!("/v1/workspaces/{merchant}/apps"),
            &master.1,
            json!({"appId": ISV_APP, "name": "Loyalty", "developerWorkspace": isv}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["kind"], "third_party");
    let (st, v) = s
        .post(
            &format!("/v1/workspaces/{other_merchant}/apps"),
            &other.1,
            json!({"appId": OTHER_APP, "name": "Tea"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s
        .post(
            &format!("/v1/apps/{APP}/assignments"),
            &owner.1,
            json!({"accountId": dev.0}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s.post(&format!("/v1/workspaces/{merchant}/isv-authorizations"), &master.1, json!({"isvWorkspace": isv, "appId": ISV_APP, "actions": ["read", "upload", "release"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let isv_auth = v["id"].as_str().expect("id").to_owned();
    let (st, v) = s.post("/v1/target-apps", &s.admin, json!({"id": TARGET, "name": "Wallet SG", "allowedPermissions": ["getLocation", "scope.location", "request"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s
        .post(
            &format!("/v1/target-apps/{TARGET}/reviewers"),
            &s.admin,
            json!({"accountId": reviewer.0}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    World {
        merchant,
        isv,
        other_merchant,
        master,
        owner,
        dev,
        dev2,
        isv_master,
        other,
        reviewer,
        key,
        isv_key,
        isv_auth,
    }
}

/// Uploads a version of `app` signed with `key`.
pub async fn upload_version(
    s: &Srv,
    token: &str,
    app: &str,
    version: &str,
    build: u64,
    key: &SecretKey,
) -> (StatusCode, Value) {
    let b = bundle(
        s.dir(),
        app,
        version,
        build,
        key,
        json!({"jsapi": ["getLocation"], "scopes": ["scope.location"]}),
    );
    s.raw(Method::POST, &format!("/v1/apps/{app}/versions"), token, b)
        .await
}

/// Uploads `version` of APP and takes a release of it to review; its id.
pub async fn to_review(s: &Srv, w: &World, version: &str, build: u64) -> String {
    let (st, v) = upload_version(s, &w.dev.1, APP, version, build, &w.key).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
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
            json!({"passed": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(&format!("/v1/releases/{id}/apply"), t, json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    id
}

/// Approves a release and releases it to everyone.
pub async fn approve_and_release(s: &Srv, w: &World, id: &str) {
    let (st, v) = s
        .post(
            &format!("/v1/releases/{id}/review"),
            &w.reviewer.1,
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .post(&format!("/v1/releases/{id}/full"), &w.owner.1, json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

/// The resolve answer's payload for APP in TARGET (the signature is the API tests' business).
pub async fn resolved(s: &Srv, user: &str) -> mpkit_platform_client::wire::ResolveAnswer {
    let (st, v) = s
        .call(
            Method::GET,
            &format!("/v1/resolve?app={APP}&targetApp={TARGET}&user={user}"),
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let signed: mpkit_platform_client::wire::Signed = serde_json::from_value(v).expect("signed");
    serde_json::from_str(&signed.payload).expect("payload")
}

/// Waits up to `limit` for `cond`, checking every 20 ms; whether it held.
pub async fn eventually<F, Fut>(limit: std::time::Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = tokio::time::Instant::now() + limit;
    loop {
        if cond().await {
            return true;
        }
        if tokio::time::Instant::now() >= end {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
