//! `my.request`, `my.downloadFile` and `my.uploadFile`: real HTTP through
//! reqwest (rustls), on worker threads, answered through [`Outcome::Pending`].
//!
//! The dispatcher has already matched the URL against the app's list. Here:
//! - every redirect is matched again (so it can leave neither the list nor https);
//! - every name is resolved by our resolver, which refuses private, loopback
//!   and other internal addresses (DNS rebinding), except dev loopback origins,
//!   which are IP literals the embedding app named and never resolve;
//! - at most `max_concurrent` calls per app are in flight; the next is refused;
//! - a timeout of at most `max_timeout`; a cap on the response size;
//! - no proxy from the environment, and `Host` and hop-by-hop headers from JS are refused;
//! - a [`NetShaper`] the embedding app installed sees each call before it goes
//!   out and after its answer arrived (simulated network conditions live in
//!   `mpkit-compat`, not here).

use super::files::Files;
use super::ApiEnv;
use mpkit_jsapi::registry::ApiDecl;
use mpkit_jsapi::{ApiError, Call, Dispatcher, Handler, Outcome};
use mpkit_sandbox::net::{check_address, NetKind, NetPolicy};
use mpkit_sandbox::Denied;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Looks a host name up (tests plug in their own; the default asks the system).
pub type Lookup = Arc<dyn Fn(&str) -> std::io::Result<Vec<IpAddr>> + Send + Sync>;

/// Network limits of a host.
#[derive(Clone)]
pub struct NetConfig {
    /// In-flight network calls per app (default 10).
    pub max_concurrent: usize,
    /// The longest timeout a call may ask for, and the default (60 s).
    pub max_timeout: Duration,
    /// The largest response body accepted (default 10 MB).
    pub max_response_bytes: u64,
    /// Redirects followed at most (default 5), each re-checked.
    pub max_redirects: usize,
    /// Name lookup; `None` asks the system resolver.
    pub lookup: Option<Lookup>,
    /// Sees every call before it goes out and after its answer arrived
    /// (see [`NetShaper`]); none by default. Usually installed with
    /// `HostBuilder::net_shaper`.
    pub shaper: Option<Arc<dyn NetShaper>>,
    /// Answers calls from recorded fixtures instead of the network (see
    /// [`NetFixtures`]); none by default.
    pub fixtures: Option<Arc<dyn NetFixtures>>,
}

/// Recorded answers that stand in for the network, for development and CI
/// runs of programs whose backends are gone (`mpkit run --net
/// fixtures=DIR`). Installed by the embedding app (`NetConfig::fixtures`),
/// never by a bundle. With fixtures, no call leaves the machine: it passes
/// the gate, the lists and the shaper as usual, and then either gets its
/// fixture or fails as a network error (12). `downloadFile` and
/// `uploadFile` are not answered.
pub trait NetFixtures: Send + Sync {
    /// The recorded answer to `method` `url`, or `None`.
    fn answer(&self, method: &str, url: &url::Url) -> Option<FixtureAnswer>;
}

/// One recorded answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureAnswer {
    /// The HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// A hook around every network call of a mini program (`my.request`,
/// `httpRequest`, `downloadFile`, `uploadFile`), installed by the embedding
/// app with `HostBuilder::net_shaper`. It can refuse a call before it
/// connects, delay it, or fail it once its answer arrived: simulated network
/// conditions for compatibility runs and tests (`mpkit_compat::NetCondition`),
/// or an embedding app's own offline mode.
///
/// It runs on the call's own network thread, after the dispatcher's gate and
/// the host's checks, so it can only take from what a call may do, never add:
/// it sees the URL but cannot change it, and whatever it answers never reached
/// any address. Time it spends waiting counts against the call's timeout.
pub trait NetShaper: Send + Sync {
    /// Before the call connects. `Err` ends the call with that failure and
    /// nothing goes out; waiting here is latency.
    fn before_request(&self, call: &NetCall<'_>) -> Result<(), NetRefusal>;

    /// After the whole response body (`body_bytes` long) arrived, before the
    /// mini program sees it. `Err` fails the call; waiting here is transfer
    /// time. Does nothing by default.
    fn after_response(&self, call: &NetCall<'_>, body_bytes: usize) -> Result<(), NetRefusal> {
        let _ = (call, body_bytes);
        Ok(())
    }
}

/// One network call, as a [`NetShaper`] sees it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct NetCall<'a> {
    /// The API: `request`, `httpRequest`, `downloadFile` or `uploadFile`.
    pub api: &'a str,
    /// Where it goes (already allowed by the app's lists).
    pub url: &'a url::Url,
    /// The mini program.
    pub app_id: &'a str,
    /// The host user.
    pub user: &'a str,
    /// How many calls this launch of the app started before this one (0 for
    /// the first).
    pub nth: usize,
    /// The call's timeout (its own, at most `NetConfig::max_timeout`).
    pub timeout: Duration,
    /// When the call started, before the shaper ran: `started + timeout` is
    /// its deadline.
    pub started: Instant,
}

impl NetCall<'_> {
    /// The time left before the call's deadline.
    pub fn remaining(&self) -> Duration {
        self.timeout.saturating_sub(self.started.elapsed())
    }
}

/// How a [`NetShaper`] ends a call: what the mini program's `fail` sees.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetRefusal {
    /// A network error (12), with its message.
    Network(String),
    /// A timeout (13), reported as having taken this long.
    Timeout(Duration),
    /// An HTTP error status (19), as if the server had answered it.
    Http(u16),
}

impl From<NetRefusal> for ApiError {
    fn from(r: NetRefusal) -> ApiError {
        match r {
            NetRefusal::Network(message) => ApiError::Network(message),
            NetRefusal::Timeout(after) => ApiError::Timeout(after.as_millis() as u64),
            NetRefusal::Http(status) => ApiError::Http(status),
        }
    }
}

impl std::fmt::Debug for NetConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetConfig")
            .field("max_concurrent", &self.max_concurrent)
            .field("max_timeout", &self.max_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_redirects", &self.max_redirects)
            .field("shaper", &self.shaper.is_some())
            .field("fixtures", &self.fixtures.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for NetConfig {
    fn default() -> NetConfig {
        NetConfig {
            max_concurrent: 10,
            max_timeout: Duration::from_secs(60),
            max_response_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            lookup: None,
            shaper: None,
            fixtures: None,
        }
    }
}

/// The network handler of one running app (request, httpRequest, downloadFile, uploadFile).
#[derive(Debug, Clone)]
pub(crate) struct NetHandler {
    cfg: NetConfig,
    policy: NetPolicy,
    in_flight: Arc<AtomicUsize>,
    files: Files,
    /// Calls started so far (each call's [`NetCall::nth`]).
    started: Arc<AtomicUsize>,
}

/// Frees a concurrency slot when the call ends, however it ends.
struct Slot(Arc<AtomicUsize>);
impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

struct CheckedResolver {
    lookup: Option<Lookup>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let lookup = self.lookup.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let ips: Vec<IpAddr> = match lookup {
                Some(f) => f(&host)?,
                None => (host.as_str(), 0)
                    .to_socket_addrs()?
                    .map(|a| a.ip())
                    .collect(),
            };
            // Any internal answer refuses the name: mixing public and private
            // answers is how rebinding attacks pick their target.
            for ip in &ips {
                check_address(*ip)?;
            }
            let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

const FORBIDDEN_HEADERS: &[&str] = &[
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
];

fn invalid(param: &str, reason: impl Into<String>) -> ApiError {
    ApiError::InvalidParam {
        param: param.into(),
        reason: reason.into(),
    }
}

/// Maps a reqwest error: a policy refusal anywhere in its chain stays a policy
/// refusal (code 4); otherwise a timeout or a network error.
fn net_error(e: &reqwest::Error, timeout: Duration) -> ApiError {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(d) = s.downcast_ref::<Denied>() {
            return ApiError::from(d.clone());
        }
        src = s.source();
    }
    if e.is_timeout() {
        return ApiError::Timeout(timeout.as_millis() as u64);
    }
    if e.is_redirect() {
        return ApiError::Network("too many redirects".into());
    }
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    ApiError::Network(msg)
}

fn form_encode(m: &Map<String, Value>) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in m {
        match v {
            Value::String(s) => ser.append_pair(k, s),
            other => ser.append_pair(k, &other.to_string()),
        };
    }
    ser.finish()
}

/// One prepared call, ready to run on a worker thread.
struct Job {
    api: String,
    kind: NetKind,
    url: url::Url,
    method: reqwest::Method,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    timeout: Duration,
    data_type: String,
    user: String,
    app: String,
}

impl NetHandler {
    /// The handler for one app, with its policy (lists and dev origins) and the host's files.
    pub(crate) fn new(cfg: NetConfig, policy: NetPolicy, files: Files) -> NetHandler {
        NetHandler {
            cfg,
            policy,
            in_flight: Arc::new(AtomicUsize::new(0)),
            files,
            started: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn prepare(&self, call: &Call<'_>) -> Result<Job, ApiError> {
        let kind = match call.api {
            "downloadFile" => NetKind::DownloadFile,
            "uploadFile" => NetKind::UploadFile,
            _ => NetKind::Request,
        };
        let url = call
            .url
            .ok_or_else(|| invalid("url", "is required"))?
            .url
            .clone();
        let p = call.params;
        let method = match kind {
            NetKind::UploadFile => reqwest::Method::POST,
            NetKind::DownloadFile => reqwest::Method::GET,
            _ => {
                let m = p
                    .get("method")
                    .and_then(Value::as_str)
                    .unwrap_or("GET")
                    .to_ascii_uppercase();
                match m.as_str() {
                    "GET" | "POST" | "PUT" | "DELETE" | "HEAD" | "OPTIONS" | "PATCH" => {
                        reqwest::Method::from_bytes(m.as_bytes())
                            .map_err(|_| invalid("method", "is not an HTTP method"))?
                    }
                    _ => return Err(invalid("method", format!("{m:?} is not supported"))),
                }
            }
        };
        let mut headers = Vec::new();
        let header_obj = p.get("headers").or_else(|| p.get("header"));
        if let Some(Value::Object(h)) = header_obj {
            for (k, v) in h {
                let name = k.to_ascii_lowercase();
                if FORBIDDEN_HEADERS.contains(&name.as_str()) {
                    return Err(invalid("headers", format!("{k:?} may not be set")));
                }
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(invalid("headers", format!("{k:?} must be a string"))),
                };
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
                    || reqwest::header::HeaderValue::from_str(&v).is_err()
                {
                    return Err(invalid("headers", format!("{k:?} is not a valid header")));
                }
                headers.push((name, v));
            }
        } else if header_obj.is_some_and(|v| !v.is_null()) {
            return Err(invalid("headers", "must be an object"));
        }
        let timeout = match p.get("timeout") {
            None | Some(Value::Null) => self.cfg.max_timeout,
            Some(v) => {
                let ms = v
                    .as_f64()
                    .filter(|ms| ms.is_finite() && *ms > 0.0)
                    .ok_or_else(|| {
                        invalid("timeout", "must be a positive number of milliseconds")
                    })?;
                Duration::from_millis(ms as u64).min(self.cfg.max_timeout)
            }
        };
        let data_type = p
            .get("dataType")
            .and_then(Value::as_str)
            .unwrap_or("json")
            .to_ascii_lowercase();
        if !matches!(data_type.as_str(), "json" | "text" | "base64") {
            return Err(invalid("dataType", "must be json, text or base64"));
        }
        let mut url = url;
        let mut body = None;
        if kind == NetKind::Request {
            let content_type = headers
                .iter()
                .find(|(k, _)| k == "content-type")
                .map(|(_, v)| v.to_ascii_lowercase());
            match (p.get("data"), method == reqwest::Method::GET) {
                (None | Some(Value::Null), _) => {}
                (Some(Value::Object(m)), true) => {
                    let q = form_encode(m);
                    let joined = match url.query() {
                        Some(old) if !old.is_empty() => format!("{old}&{q}"),
                        _ => q,
                    };
                    url.set_query(Some(&joined));
                }
                (Some(Value::String(s)), _) => body = Some(s.clone().into_bytes()),
                (Some(Value::Object(m)), false)
                    if content_type
                        .as_deref()
                        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")) =>
                {
                    body = Some(form_encode(m).into_bytes());
                }
                (Some(v), _) => {
                    if content_type.is_none() {
                        headers.push(("content-type".into(), "application/json".into()));
                    }
                    body = Some(v.to_string().into_bytes());
                }
            }
        }
        if kind == NetKind::UploadFile {
            let path = p
                .get("filePath")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let field = p.get("fileName").and_then(Value::as_str).unwrap_or("file");
            let bytes = self.files.read(call.user, call.app_id, path)?;
            let file_name = path.rsplit('/').next().unwrap_or("file");
            let mut rand = [0u8; 12];
            getrandom::getrandom(&mut rand).map_err(|e| ApiError::Internal(e.to_string()))?;
            let boundary = format!("mpkit-{}", hex::encode(rand));
            let mut b = Vec::with_capacity(bytes.len() + 512);
            if let Some(Value::Object(form)) = p.get("formData") {
                for (k, v) in form {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    b.extend_from_slice(
                        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{v}\r\n", quote(k))
                            .as_bytes(),
                    );
                }
            }
            b.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                    quote(field),
                    quote(file_name)
                )
                .as_bytes(),
            );
            b.extend_from_slice(&bytes);
            b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            headers.push((
                "content-type".into(),
                format!("multipart/form-data; boundary={boundary}"),
            ));
            body = Some(b);
        }
        Ok(Job {
            api: call.api.to_owned(),
            kind,
            url,
            method,
            headers,
            body,
            timeout,
            data_type,
            user: call.user.to_owned(),
            app: call.app_id.to_owned(),
        })
    }

    fn run(&self, job: Job, nth: usize) -> Result<Value, ApiError> {
        let started = Instant::now();
        let shaped = NetCall {
            api: &job.api,
            url: &job.url,
            app_id: &job.app,
            user: &job.user,
            nth,
            timeout: job.timeout,
            started,
        };
        let budget = match &self.cfg.shaper {
            None => job.timeout,
            Some(shaper) => {
                shaper.before_request(&shaped)?;
                match shaped.remaining() {
                    left if left.is_zero() => {
                        return Err(ApiError::Timeout(job.timeout.as_millis() as u64))
                    }
                    left => left,
                }
            }
        };
        if let Some(fixtures) = &self.cfg.fixtures {
            return self.answer_from_fixture(fixtures.as_ref(), &job, &shaped);
        }
        let policy = self.policy.clone();
        let kind = job.kind;
        let max_redirects = self.cfg.max_redirects;
        let client = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(budget)
            .connect_timeout(budget.min(Duration::from_secs(15)))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > max_redirects {
                    return attempt.stop();
                }
                match policy.check_redirect(kind, attempt.url().as_str()) {
                    Ok(_) => attempt.follow(),
                    Err(d) => attempt.error(d),
                }
            }))
            .dns_resolver(Arc::new(CheckedResolver {
                lookup: self.cfg.lookup.clone(),
            }))
            .build()
            .map_err(|e| ApiError::Internal(format!("http client: {e}")))?;
        let mut req = client.request(job.method.clone(), job.url.clone());
        for (k, v) in &job.headers {
            req = req.header(k, v);
        }
        if let Some(b) = job.body.clone() {
            req = req.body(b);
        }
        let resp = req.send().map_err(|e| net_error(&e, job.timeout))?;
        let status = resp.status().as_u16();
        if resp.status().is_redirection() {
            return Err(ApiError::Network(format!(
                "stopped after {max_redirects} redirects"
            )));
        }
        let mut headers = Map::new();
        for (k, v) in resp.headers() {
            if let Ok(v) = v.to_str() {
                headers.insert(k.as_str().to_owned(), Value::String(v.to_owned()));
            }
        }
        let cap = match kind {
            NetKind::DownloadFile => self
                .files
                .quota()
                .saturating_sub(self.files.used(&job.user, &job.app))
                .min(self.cfg.max_response_bytes),
            _ => self.cfg.max_response_bytes,
        };
        if resp.content_length().is_some_and(|n| n > cap) {
            return Err(too_big(cap));
        }
        let mut bytes = Vec::new();
        resp.take(cap + 1).read_to_end(&mut bytes).map_err(|e| {
            match e.get_ref().and_then(|i| i.downcast_ref::<reqwest::Error>()) {
                Some(re) => net_error(re, job.timeout),
                None if e.kind() == std::io::ErrorKind::TimedOut => {
                    ApiError::Timeout(job.timeout.as_millis() as u64)
                }
                None => ApiError::Network(e.to_string()),
            }
        })?;
        if bytes.len() as u64 > cap {
            return Err(too_big(cap));
        }
        if let Some(shaper) = &self.cfg.shaper {
            shaper.after_response(&shaped, bytes.len())?;
        }
        match kind {
            NetKind::DownloadFile => {
                if status >= 400 {
                    return Err(ApiError::Http(status));
                }
                let name: String = job
                    .url
                    .path_segments()
                    .and_then(|mut s| s.next_back())
                    .unwrap_or("")
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
                    .take(64)
                    .collect();
                let name = name.trim_start_matches('.');
                let mut rand = [0u8; 6];
                getrandom::getrandom(&mut rand).map_err(|e| ApiError::Internal(e.to_string()))?;
                let vpath = format!(
                    "usr/download/{}-{}",
                    hex::encode(rand),
                    if name.is_empty() { "file" } else { name }
                );
                let path = self.files.write(&job.user, &job.app, &vpath, &bytes)?;
                Ok(json!({"apFilePath": path, "tempFilePath": path, "statusCode": status}))
            }
            NetKind::UploadFile => {
                if status >= 400 {
                    return Err(ApiError::Http(status));
                }
                Ok(
                    json!({"data": String::from_utf8_lossy(&bytes), "statusCode": status, "header": headers}),
                )
            }
            _ => request_result(&job, status, headers, &bytes),
        }
    }

    /// A call answered from fixtures: nothing leaves the machine, and a
    /// call without a fixture is a network error.
    fn answer_from_fixture(
        &self,
        fixtures: &dyn NetFixtures,
        job: &Job,
        shaped: &NetCall<'_>,
    ) -> Result<Value, ApiError> {
        if matches!(job.kind, NetKind::DownloadFile | NetKind::UploadFile) {
            return Err(ApiError::Network(format!(
                "no fixtures for my.{}: only requests are answered from fixtures",
                job.api
            )));
        }
        let answer = fixtures
            .answer(job.method.as_str(), &job.url)
            .ok_or_else(|| {
                ApiError::Network(format!("no fixture for {} {}", job.method, job.url))
            })?;
        let cap = self.cfg.max_response_bytes;
        if answer.body.len() as u64 > cap {
            return Err(too_big(cap));
        }
        if let Some(shaper) = &self.cfg.shaper {
            shaper.after_response(shaped, answer.body.len())?;
        }
        let mut headers = Map::new();
        for (k, v) in answer.headers {
            headers.insert(k.to_ascii_lowercase(), Value::String(v));
        }
        request_result(job, answer.status, headers, &answer.body)
    }
}

/// What `my.request` answers for a response: its data as `dataType` asks.
fn request_result(
    job: &Job,
    status: u16,
    headers: Map<String, Value>,
    bytes: &[u8],
) -> Result<Value, ApiError> {
    if status >= 400 {
        return Err(ApiError::Http(status));
    }
    let data = match job.data_type.as_str() {
        "text" => Value::String(String::from_utf8_lossy(bytes).into_owned()),
        "base64" => Value::String(crate::util::base64_encode(bytes)),
        _ if bytes.is_empty() => Value::Null,
        _ => serde_json::from_slice(bytes).map_err(|e| ApiError::Decode(e.to_string()))?,
    };
    Ok(json!({"data": data, "status": status, "headers": headers}))
}

fn quote(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '"' { '\'' } else { c })
        .collect()
}

fn too_big(cap: u64) -> ApiError {
    ApiError::Forbidden(format!("the response is over the {cap}-byte limit"))
}

impl Handler for NetHandler {
    fn call(&self, call: &Call<'_>) -> Result<Value, ApiError> {
        self.start(call).wait()
    }

    fn start(&self, call: &Call<'_>) -> Outcome {
        // Reserve a slot first: the 11th concurrent call is refused at once.
        let before = self.in_flight.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(self.in_flight.clone());
        if before >= self.cfg.max_concurrent {
            return Outcome::Ready(Err(ApiError::TooMany {
                api: call.api.to_owned(),
                limit: self.cfg.max_concurrent,
            }));
        }
        let job = match self.prepare(call) {
            Ok(j) => j,
            Err(e) => return Outcome::Ready(Err(e)),
        };
        let nth = self.started.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = std::sync::mpsc::channel();
        let me = self.clone();
        let spawned = std::thread::Builder::new()
            .name("mpkit-net".into())
            .spawn(move || {
                let _slot = slot;
                let _ = tx.send(me.run(job, nth));
            });
        match spawned {
            Ok(_) => Outcome::Pending(rx),
            Err(e) => Outcome::Ready(Err(ApiError::Internal(format!("no thread: {e}")))),
        }
    }
}

/// `my.request`, its earlier name `my.httpRequest`, `my.downloadFile` and
/// `my.uploadFile`: one handler, checked against `policy`.
pub(super) fn register_net(
    d: &mut Dispatcher,
    decls: &BTreeMap<String, ApiDecl>,
    env: &ApiEnv,
    policy: &NetPolicy,
) {
    let net = NetHandler::new(env.net.clone(), policy.clone(), env.files.clone());
    for name in ["request", "httpRequest", "downloadFile", "uploadFile"] {
        if let Some(decl) = decls.get(name) {
            d.register(decl.clone(), Box::new(net.clone()));
        }
    }
}
