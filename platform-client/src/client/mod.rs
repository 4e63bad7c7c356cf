//! The typed async client of the platform's HTTP API.
//!
//! One method per endpoint, taking and returning the [`wire`](crate::wire)
//! types the server itself uses. Errors keep the HTTP status and the server's
//! error code ([`Error::Api`]). Idempotent calls (GET, PUT, DELETE) are retried
//! with exponential backoff on connection failures, timeouts, 429 and 5xx;
//! POST and PATCH never are, so a step of the release workflow is never sent
//! twice by the client. Uploads and downloads stream with progress callbacks,
//! and a download is held to a byte cap and a minimum transfer rate so a
//! hostile or broken server can neither feed endless data nor trickle it.

use crate::paths::{self, Route};
use crate::wire::ApiErrorBody;
use bytes::Bytes;
use reqwest::{header, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod accounts;
mod apps;
mod credentials;
mod identity;
mod releases;
mod rollout;
mod webhooks;
mod workspaces;

/// Progress of a transfer: bytes done so far, and the total when known.
pub type Progress = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// What went wrong talking to the platform.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error: its HTTP status and error code.
    #[error("{status}: {code}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The server's stable error code (`forbidden`, `conflict`, ...), or
        /// `http_<status>` when the body was not the platform's error shape.
        code: String,
        /// The server's message.
        message: String,
    },
    /// No connection could be made (the server is down or unreachable).
    #[error("cannot connect to {url}: {message}")]
    Connect {
        /// The URL tried.
        url: String,
        /// The transport's reason.
        message: String,
    },
    /// The call did not finish within its timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The connection broke or the transport failed otherwise.
    #[error("transport error: {0}")]
    Transport(String),
    /// A success answer that is not the expected JSON.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
    /// A download went past its cap (the pinned length): endless data.
    #[error("the download exceeds its limit of {limit} bytes")]
    TooLarge {
        /// The cap.
        limit: u64,
    },
    /// A download ended before its expected length.
    #[error("the download was truncated: {got} of {expected} bytes")]
    Truncated {
        /// Bytes expected.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// A download fell below the minimum transfer rate: slow retrieval.
    #[error("the download is too slow: {rate} bytes/s, below the minimum of {min} bytes/s")]
    TooSlow {
        /// Observed average rate.
        rate: u64,
        /// The minimum.
        min: u64,
    },
    /// A base URL or path that is not valid.
    #[error("invalid URL: {0}")]
    Url(String),
    /// Reading a local file to upload failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A stable code for every error: the server's code for API errors.
    pub fn code(&self) -> &str {
        match self {
            Error::Api { code, .. } => code,
            Error::Connect { .. } => "unreachable",
            Error::Timeout(_) => "timeout",
            Error::Transport(_) => "transport",
            Error::Decode(_) => "bad_answer",
            Error::TooLarge { .. } => "too_large",
            Error::Truncated { .. } => "truncated",
            Error::TooSlow { .. } => "too_slow",
            Error::Url(_) => "invalid_url",
            Error::Io(_) => "io",
        }
    }

    /// Whether a retry can help: the transport failed, or the server is
    /// overloaded or broken (429, 5xx). Client errors (4xx) never are.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Connect { .. } | Error::Timeout(_) | Error::Transport(_) => true,
            Error::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

/// Result of a client call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How the client behaves on the network.
#[derive(Debug, Clone)]
pub struct Config {
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for a whole JSON call (not for streaming transfers,
    /// which are held to [`Limits`] instead).
    pub timeout: Duration,
    /// Retries after the first attempt, for idempotent calls only.
    pub retries: u32,
    /// The first backoff; it doubles per retry, up to `max_backoff`.
    pub backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Limits a download is held to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most bytes accepted; more is [`Error::TooLarge`].
    pub max_bytes: u64,
    /// The exact length expected, when known; fewer is [`Error::Truncated`].
    pub expected: Option<u64>,
    /// The minimum average rate once `grace` has passed, in bytes per second.
    pub min_rate: u64,
    /// How long a transfer may run before the minimum rate applies.
    pub grace: Duration,
    /// The longest wait for any one chunk (a stalled connection).
    pub stall: Duration,
}

impl Limits {
    /// Limits for a package pinned at exactly `length` bytes: at least
    /// 16 KiB/s after 5 s, and no chunk later than 10 s.
    pub fn pinned(length: u64) -> Limits {
        Limits {
            max_bytes: length,
            expected: Some(length),
            min_rate: 16 * 1024,
            grace: Duration::from_secs(5),
            stall: Duration::from_secs(10),
        }
    }
}

/// A client of one platform server.
#[derive(Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
    config: Config,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A request body.
pub(crate) enum Payload {
    None,
    Json(Vec<u8>),
    Text(String),
}

impl Client {
    /// A client of the server at `base` (e.g. `http://127.0.0.1:8080`),
    /// calling as the holder of `token` when given.
    pub fn new(base: &str, token: Option<String>) -> Result<Client> {
        Client::with_config(base, token, Config::default())
    }

    /// As [`Client::new`], with explicit network behaviour.
    pub fn with_config(base: &str, token: Option<String>, config: Config) -> Result<Client> {
        let url = url::Url::parse(base).map_err(|e| Error::Url(format!("{base}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::Url(format!("{base}: not an http(s) server URL")));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::Url(format!(
                "{base}: credentials belong in the token, not the URL"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("mpkit-platform-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Transport(e.to_string()))?;
        Ok(Client {
            base: base.trim_end_matches('/').to_owned(),
            token: token.filter(|t| !t.is_empty()),
            http,
            config,
        })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The same client calling with another token.
    pub fn with_token(&self, token: impl Into<String>) -> Client {
        Client {
            token: Some(token.into()).filter(|t| !t.is_empty()),
            ..self.clone()
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn request(&self, method: Method, path: &str, payload: &Payload) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, self.url(path));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        match payload {
            Payload::None => r,
            Payload::Json(b) => r
                .header(header::CONTENT_TYPE, "application/json")
                .body(b.clone()),
            Payload::Text(t) => r
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(t.clone()),
        }
    }

    /// One attempt: send, and read the whole answer within the timeout.
    async fn attempt(&self, method: Method, path: &str, payload: &Payload) -> Result<Bytes> {
        let url = self.url(path);
        let send = async {
            let resp = self
                .request(method, path, payload)
                .send()
                .await
                .map_err(|e| transport(&url, e))?;
            let status = resp.status();
            let body = resp.bytes().await.map_err(|e| transport(&url, e))?;
            if !status.is_success() {
                return Err(api_error(status, &body));
            }
            Ok(body)
        };
        tokio::time::timeout(self.config.timeout, send)
            .await
            .map_err(|_| Error::Timeout(self.config.timeout))?
    }

    /// Sends a call; idempotent methods are retried on transient failures.
    async fn send(&self, method: Method, path: &str, payload: Payload) -> Result<Bytes> {
        let idempotent = matches!(method, Method::GET | Method::PUT | Method::DELETE);
        let mut delay = self.config.backoff;
        let mut attempt = 0;
        loop {
            match self.attempt(method.clone(), path, &payload).await {
                Err(e) if idempotent && attempt < self.config.retries && e.is_transient() => {
                    attempt += 1;
                    tracing::debug!(%path, attempt, error = %e, "retrying");
                    tokio::time::sleep(jitter(delay)).await;
                    delay = (delay * 2).min(self.config.max_backoff);
                }
                other => return other,
            }
        }
    }

    /// Every item of a paged list (`?limit=&after=`): pages of 500, each
    /// after the `key` of the last item before, until an empty page.
    pub(crate) async fn all_pages<T: DeserializeOwned>(
        &self,
        route: Route,
        args: &[&str],
        key: impl Fn(&T) -> String,
    ) -> Result<Vec<T>> {
        let mut all: Vec<T> = Vec::new();
        let limit = accounts::PAGE.to_string();
        loop {
            let after = all.last().map(&key);
            let mut query = vec![("limit", limit.as_str())];
            query.extend(after.as_deref().map(|a| ("after", a)));
            let page: Vec<T> = self.call(route, args, &query, Payload::None).await?;
            if page.is_empty() {
                return Ok(all);
            }
            all.extend(page);
        }
    }

    /// Calls `route` with its path parameters `args` and `query`, and reads
    /// the JSON answer. The method is the route's: GET, PUT and DELETE are
    /// retried on transient failures, POST and PATCH never.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        route: Route,
        args: &[&str],
        query: &[(&str, &str)],
        payload: Payload,
    ) -> Result<T> {
        let path = with_query(route.path(args), query);
        let body = self.send(method(route.method), &path, payload).await?;
        serde_json::from_slice(&body).map_err(|e| Error::Decode(format!("{path}: {e}")))
    }

    /// As [`Client::call`] without a body, answering the raw bytes.
    pub(crate) async fn call_bytes(
        &self,
        route: Route,
        args: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Bytes> {
        let path = with_query(route.path(args), query);
        self.send(method(route.method), &path, Payload::None).await
    }

    /// Streams `path` into memory under `limits`. Connection failures before
    /// the first byte are retried like any GET; a transfer that started and
    /// failed is not (the caller decides whether to try again).
    pub async fn download(
        &self,
        path: &str,
        limits: Limits,
        progress: Option<Progress>,
    ) -> Result<Vec<u8>> {
        let url = self.url(path);
        let mut delay = self.config.backoff;
        let mut attempt = 0;
        let resp = loop {
            let sent = tokio::time::timeout(
                limits.stall,
                self.request(Method::GET, path, &Payload::None).send(),
            )
            .await
            .map_err(|_| Error::Timeout(limits.stall))
            .and_then(|r| r.map_err(|e| transport(&url, e)));
            let r = match sent {
                Ok(resp) if resp.status().is_success() => Ok(resp),
                Ok(resp) => {
                    let status = resp.status();
                    let body = resp.bytes().await.unwrap_or_default();
                    Err(api_error(status, &body))
                }
                Err(e) => Err(e),
            };
            match r {
                Err(e) if attempt < self.config.retries && e.is_transient() => {
                    attempt += 1;
                    tokio::time::sleep(jitter(delay)).await;
                    delay = (delay * 2).min(self.config.max_backoff);
                }
                other => break other?,
            }
        };
        let declared = resp.content_length();
        if let Some(n) = declared {
            if n > limits.max_bytes {
                return Err(Error::TooLarge {
                    limit: limits.max_bytes,
                });
            }
        }
        let total = limits.expected.or(declared);
        let mut resp = resp;
        let started = Instant::now();
        let mut out = Vec::with_capacity(total.unwrap_or(0).min(limits.max_bytes) as usize);
        loop {
            let chunk = tokio::time::timeout(limits.stall, resp.chunk())
                .await
                .map_err(|_| Error::Timeout(limits.stall))?
                .map_err(|e| transport(&url, e))?;
            let Some(chunk) = chunk else { break };
            if out.len() as u64 + chunk.len() as u64 > limits.max_bytes {
                return Err(Error::TooLarge {
                    limit: limits.max_bytes,
                });
            }
            out.extend_from_slice(&chunk);
            if let Some(p) = &progress {
                p(out.len() as u64, total);
            }
            let elapsed = started.elapsed();
            if elapsed > limits.grace {
                let rate = (out.len() as f64 / elapsed.as_secs_f64()) as u64;
                if rate < limits.min_rate {
                    return Err(Error::TooSlow {
                        rate,
                        min: limits.min_rate,
                    });
                }
            }
        }
        if let Some(expected) = limits.expected {
            if (out.len() as u64) < expected {
                return Err(Error::Truncated {
                    expected,
                    got: out.len() as u64,
                });
            }
        }
        Ok(out)
    }
}

const CHUNK: usize = 64 * 1024;

/// Percent-encodes one path segment or query value.
pub(crate) fn seg(s: &str) -> String {
    paths::encode(s)
}

/// `path` with `query` appended, each value percent-encoded.
pub(super) fn with_query(mut path: String, query: &[(&str, &str)]) -> String {
    for (i, (k, v)) in query.iter().enumerate() {
        path.push(if i == 0 { '?' } else { '&' });
        path.push_str(k);
        path.push('=');
        path.push_str(&seg(v));
    }
    path
}

/// A JSON request body.
pub(crate) fn json<B: Serialize>(body: &B) -> Result<Payload> {
    serde_json::to_vec(body)
        .map(Payload::Json)
        .map_err(|e| Error::Decode(e.to_string()))
}

/// The HTTP method of a route.
fn method(m: paths::Method) -> Method {
    match m {
        paths::Method::Get => Method::GET,
        paths::Method::Post => Method::POST,
        paths::Method::Put => Method::PUT,
        paths::Method::Patch => Method::PATCH,
        paths::Method::Delete => Method::DELETE,
    }
}

fn transport(url: &str, e: reqwest::Error) -> Error {
    if e.is_connect() {
        Error::Connect {
            url: url.to_owned(),
            message: root_cause(&e),
        }
    } else if e.is_timeout() {
        Error::Timeout(Duration::ZERO)
    } else {
        Error::Transport(root_cause(&e))
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

/// The platform's `{code, message}` error, or a generic one for other bodies.
fn api_error(status: StatusCode, body: &[u8]) -> Error {
    match serde_json::from_slice::<ApiErrorBody>(body) {
        Ok(b) => Error::Api {
            status: status.as_u16(),
            code: b.code,
            message: b.message,
        },
        Err(_) => Error::Api {
            status: status.as_u16(),
            code: format!("http_{}", status.as_u16()),
            message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        },
    }
}

/// Up to a quarter less than `d`, so retrying clients spread out.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0);
    let quarter = d / 4;
    d - quarter.mul_f64(f64::from(nanos % 1000) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        for bad in [
            "ftp://h",
            "not a url",
            "http://user:pw@127.0.0.1:1",
            "file:///etc",
        ] {
            assert_eq!(
                Client::new(bad, None).expect_err("refused").code(),
                "invalid_url"
            );
        }
        let c = Client::new("http://127.0.0.1:9/", Some(String::new())).expect("client");
        assert_eq!(c.base(), "http://127.0.0.1:9");
        assert!(c.token.is_none(), "an empty token is no token");
        assert!(!format!("{:?}", c.with_token("secret")).contains("secret"));
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(seg("a b/c?d&e"), "a%20b%2Fc%3Fd%26e");
        assert_eq!(seg("1.0.0"), "1.0.0");
    }

    #[test]
    fn error_bodies_keep_status_and_code() {
        let e = api_error(
            StatusCode::CONFLICT,
            br#"{"code":"conflict","message":"exists"}"#,
        );
        assert_eq!((e.status(), e.code()), (Some(409), "conflict"));
        assert!(!e.is_transient());
        let e = api_error(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>");
        assert_eq!((e.status(), e.code()), (Some(502), "http_502"));
        assert!(e.is_transient());
        assert!(api_error(StatusCode::TOO_MANY_REQUESTS, b"").is_transient());
    }

    #[test]
    fn jitter_stays_within_a_quarter() {
        let d = Duration::from_millis(400);
        for _ in 0..100 {
            let j = jitter(d);
            assert!(j <= d && j >= d - d / 4, "{j:?}");
        }
    }
}
