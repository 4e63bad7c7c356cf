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
    pub(crate) fn get(&self, path: &str, token: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, token, None, None)
    }
}
