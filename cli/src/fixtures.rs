//! `mpkit run --net fixtures=DIR`: recorded answers that stand in for a
//! mini program's backend, for development and CI runs of programs whose
//! servers are gone. Each `*.json` file in DIR (and its subfolders) is one
//! answer:
//!
//! ```json
//! {"request": {"method": "GET", "url": "https://api.example.com/menu?city=1"},
//!  "response": {"status": 200, "headers": {"x-a": "b"}, "body": {"items": []}}}
//! ```
//!
//! `method` defaults to GET; the URL matches exactly, as the program sends it
//! (after the URL parser's normalisation). A `body` that is a JSON string is
//! sent as text; any other JSON value as JSON (`content-type:
//! application/json`). A file that is not such an answer is an error naming
//! it, before anything runs; two answers to one request are too.

use crate::error::Coded;
use anyhow::Result;
use mpkit_host::{FixtureAnswer, NetFixtures};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The most fixture files read, and the largest one.
const MAX_FILES: usize = 10_000;
const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    request: Request,
    response: Response,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    #[serde(default = "get")]
    method: String,
    url: String,
}

fn get() -> String {
    "GET".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Response {
    #[serde(default = "ok")]
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: serde_json::Value,
}

fn ok() -> u16 {
    200
}

/// Answers keyed by method and URL.
#[derive(Debug, Default)]
pub(crate) struct Fixtures {
    answers: BTreeMap<(String, String), FixtureAnswer>,
}

impl Fixtures {
    /// Reads every `*.json` under `dir`.
    pub(crate) fn load(dir: &Path) -> Result<Fixtures> {
        if !dir.is_dir() {
            return Err(Coded::err(
                "bad_input",
                format!("--net fixtures={}: no such folder", dir.display()),
            ));
        }
        let mut files = Vec::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d)? {
                let e = e?;
                let ft = e.file_type()?;
                if ft.is_dir() {
                    todo.push(e.path());
                } else if ft.is_file() && e.path().extension().is_some_and(|x| x == "json") {
                    files.push(e.path());
                    if files.len() > MAX_FILES {
                        return Err(Coded::err(
                            "bad_input",
                            format!("--net fixtures: more than {MAX_FILES} files"),
                        ));
                    }
                }
            }
        }
        files.sort();
        let mut out = Fixtures::default();
        for path in files {
            let bad = |why: String| Coded::err("bad_input", format!("{}: {why}", path.display()));
            if std::fs::metadata(&path)?.len() > MAX_FILE_BYTES {
                return Err(bad(format!("over {MAX_FILE_BYTES} bytes")));
            }
            let f: File = serde_json::from_slice(&std::fs::read(&path)?)
                .map_err(|e| bad(format!("not a fixture: {e}")))?;
            let url = url::Url::parse(&f.request.url)
                .map_err(|e| bad(format!("request.url {:?}: {e}", f.request.url)))?;
            let method = f.request.method.to_ascii_uppercase();
            if !(100..=599).contains(&f.response.status) {
                return Err(bad(format!(
                    "response.status {} is not an HTTP status",
                    f.response.status
                )));
            }
            let mut headers: Vec<(String, String)> = f.response.headers.into_iter().collect();
            let body = match f.response.body {
                serde_json::Value::String(s) => s.into_bytes(),
                serde_json::Value::Null => Vec::new(),
                v => {
                    if !headers
                        .iter()
                        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                    {
                        headers.push(("content-type".into(), "application/json".into()));
                    }
                    serde_json::to_vec(&v)?
                }
            };
            let key = (method, url.to_string());
            if out.answers.contains_key(&key) {
                return Err(bad(format!("a second answer to {} {}", key.0, key.1)));
            }
            out.answers.insert(
                key,
                FixtureAnswer {
                    status: f.response.status,
                    headers,
                    body,
                },
            );
        }
        Ok(out)
    }
}

impl NetFixtures for Fixtures {
    fn answer(&self, method: &str, url: &url::Url) -> Option<FixtureAnswer> {
        self.answers
            .get(&(method.to_ascii_uppercase(), url.to_string()))
            .cloned()
    }
}
