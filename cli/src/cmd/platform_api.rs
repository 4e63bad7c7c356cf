//! A small blocking client of the platform's HTTP API, for the demo and the
//! benchmarks. (The typed client for integrators arrives with the client issue.)

use anyhow::{bail, Result};
use serde_json::Value;

/// A small blocking client of the platform's API (demo and benchmarks).
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
            &format!("/v1/apps/{app}/versions"),
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
            &format!("/v1/apps/{app}/releases"),
            owner,
            serde_json::json!({"targetApp": target, "version": version}),
        )?;
        let id = r["id"].as_str().unwrap_or_default().to_owned();
        self.post(
            &format!("/v1/releases/{id}/compat-report"),
            owner,
            serde_json::json!({"suite": "mpkit", "passed": 1, "failed": 0}),
        )?;
        self.post(
            &format!("/v1/releases/{id}/apply"),
            owner,
            serde_json::json!({}),
        )?;
        self.post(
            &format!("/v1/releases/{id}/review"),
            reviewer,
            serde_json::json!({"decision": "approve"}),
        )?;
        Ok((id, r))
    }

    pub(crate) fn get(&self, path: &str, token: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, token, None, None)
    }
}
