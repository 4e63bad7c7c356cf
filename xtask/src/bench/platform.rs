//! A platform served in this process, and a small blocking client of its HTTP
//! API that times requests as plainly as `wrk` would (the benchmarks measure the
//! server, not a client).

use anyhow::{anyhow, bail, Result};
use mpkit_platform_client::paths;
use serde_json::Value;

/// A small blocking client of the platform's API.
pub(crate) struct Api {
    pub(crate) base: String,
    pub(crate) http: reqwest::blocking::Client,
}

impl Api {
    pub(crate) fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        raw: Option<Vec<u8>>,
    ) -> Result<Value> {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        if let Some(b) = raw {
            r = r.body(b);
        }
        let resp = r.send()?;
        let status = resp.status();
        let v: Value = serde_json::from_slice(&resp.bytes()?).unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{path}: {status} {v}");
        }
        Ok(v)
    }
    pub(crate) fn post(&self, path: &str, token: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, token, Some(body), None)
    }
}

impl Api {
    /// Packs `src` as `version`/`build` with `key` and uploads it; returns the bytes.
    pub(crate) fn upload(
        &self,
        src: &std::path::Path,
        key: &mpkit_bundle::SecretKey,
        app: &str,
        version: &str,
        build: u64,
        token: &str,
    ) -> Result<Vec<u8>> {
        let opts = mpkit_bundle::PackOptions {
            version: Some(version.parse()?),
            build: Some(build),
            ..mpkit_bundle::PackOptions::default()
        };
        let (_, bytes) = mpkit_bundle::pack_dir(src, key, &opts)?;
        self.call(
            reqwest::Method::POST,
            &paths::UPLOAD_VERSION.path(&[app]),
            token,
            None,
            Some(bytes.clone()),
        )?;
        Ok(bytes)
    }

    /// Starts a release of `version` in `target` and walks it to approved:
    /// compatibility report, apply, the reviewer's approval. Returns the
    /// release id and the start answer (with the approved permissions).
    pub(crate) fn approved_release(
        &self,
        app: &str,
        target: &str,
        version: &str,
        owner: &str,
        reviewer: &str,
    ) -> Result<(String, Value)> {
        let r = self.post(
            &paths::START_RELEASE.path(&[app]),
            owner,
            serde_json::json!({"targetApp": target, "version": version}),
        )?;
        let id = r["id"].as_str().unwrap_or_default().to_owned();
        self.post(
            &paths::COMPAT_REPORT.path(&[&id]),
            owner,
            serde_json::json!({"suite": "mpkit", "passed": 1, "failed": 0}),
        )?;
        self.post(&paths::APPLY.path(&[&id]), owner, serde_json::json!({}))?;
        self.post(
            &paths::REVIEW.path(&[&id]),
            reviewer,
            serde_json::json!({"decision": "approve"}),
        )?;
        Ok((id, r))
    }
}

/// A platform started in this process on 127.0.0.1, on SQLite under `dir`.
pub(crate) struct LocalPlatform {
    /// Keeps the server running; dropping it stops the server.
    pub(crate) rt: tokio::runtime::Runtime,
    /// A client of it.
    pub(crate) api: Api,
    /// The bootstrap admin's token.
    pub(crate) admin: String,
    /// Where it listens.
    pub(crate) addr: std::net::SocketAddr,
}

impl LocalPlatform {
    /// Opens a fresh platform in `dir` and serves it on a free loopback port.
    pub(crate) fn start(dir: &std::path::Path) -> Result<LocalPlatform> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        // Benchmarks measure throughput from one address: no rate limits.
        let mut config = mpkit_platform::Config::new(dir);
        config.rate_limits = mpkit_platform::RateLimits::off();
        let (platform, boot) = rt.block_on(mpkit_platform::Platform::open(config))?;
        let admin = boot
            .ok_or_else(|| {
                anyhow!(
                    "{} already holds a platform; use a fresh directory",
                    dir.display()
                )
            })?
            .token;
        let addr = rt.block_on(platform.serve_loopback())?;
        let api = Api {
            base: format!("http://{addr}"),
            http: reqwest::blocking::Client::new(),
        };
        Ok(LocalPlatform {
            rt,
            api,
            admin,
            addr,
        })
    }
}
