//! Shared by the end-to-end tests: testkit's platform on 127.0.0.1 (SQLite in
//! a temporary directory) with Coffee Club released, a faulty proxy in front
//! of it, the release flow through the typed client, and hosts with their
//! update managers.
#![allow(dead_code, unreachable_pub)]

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use mpkit_bundle::{AppId, Context, PackOptions, SecretKey, Trust, TrustedRoot};
use mpkit_host::HeadlessSurface;
use mpkit_host::Host;
use mpkit_host::{Isolation, ThreadOptIn};
use mpkit_platform_client::wire::{self, ResolveAnswer, Signed};
use mpkit_platform_client::Client;
use mpkit_testkit::{offline_network, LocalPlatform, Merchant};
use mpkit_update::{UpdateConfig, UpdateError, UpdateEvent, UpdateManager, UpdateMode};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const TARGET: &str = "test.wallet";

/// What the proxy does to the next requests.
#[derive(Debug, Clone, Default)]
pub enum Fault {
    #[default]
    None,
    /// Resolve answers this status with a non-platform body.
    ResolveStatus(u16),
    /// Every request answers this status.
    AllStatus(u16),
    /// Resolve never answers within the client's timeout.
    ResolveHang,
    /// Resolve answers this document instead of the platform's.
    ResolveWith(String),
    /// Packages stop after this many bytes (chunked, no length).
    Truncate(usize),
    /// Packages never end.
    Endless,
    /// Packages trickle a byte at a time.
    Trickle,
    /// Packages arrive with one byte flipped.
    Flip,
}

#[derive(Clone)]
pub struct Proxy {
    upstream: String,
    fault: Arc<Mutex<Fault>>,
    resolves: Arc<AtomicUsize>,
    hits: Arc<AtomicUsize>,
    http: reqwest::Client,
}

pub async fn proxy(State(p): State<Proxy>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map(|x| x.as_str().to_owned())
        .unwrap_or_default();
    let fault = p.fault.lock().expect("fault").clone();
    p.hits.fetch_add(1, Ordering::SeqCst);
    if let Fault::AllStatus(s) = fault {
        return (
            axum::http::StatusCode::from_u16(s).expect("status"),
            "overloaded",
        )
            .into_response();
    }
    if path.starts_with("/v1/resolve") {
        p.resolves.fetch_add(1, Ordering::SeqCst);
        match fault {
            Fault::ResolveStatus(s) => {
                return (
                    axum::http::StatusCode::from_u16(s).expect("status"),
                    "<html>upstream broke</html>",
                )
                    .into_response()
            }
            Fault::ResolveHang => {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            Fault::ResolveWith(doc) => {
                return ([("content-type", "application/json")], doc).into_response()
            }
            _ => {}
        }
    }
    let upstream = p
        .http
        .get(format!("{}{path}", p.upstream))
        .send()
        .await
        .expect("upstream");
    let status = upstream.status();
    let body = upstream.bytes().await.expect("upstream body");
    if !path.starts_with("/v1/packages/") || !status.is_success() {
        return (status, body).into_response();
    }
    match fault {
        Fault::Truncate(n) => {
            let part = body.slice(..n.min(body.len()));
            let s = futures_util::stream::iter([Ok::<Bytes, std::io::Error>(part)]);
            Body::from_stream(s).into_response()
        }
        Fault::Endless => {
            let s = futures_util::stream::repeat_with(|| {
                Ok::<Bytes, std::io::Error>(Bytes::from(vec![0u8; 16 * 1024]))
            });
            Body::from_stream(s).into_response()
        }
        Fault::Trickle => {
            let s = futures_util::stream::unfold(body, |b| async move {
                if b.is_empty() {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some((Ok::<Bytes, std::io::Error>(b.slice(..1)), b.slice(1..)))
            });
            Body::from_stream(s).into_response()
        }
        Fault::Flip => {
            let mut v = body.to_vec();
            let at = v.len() / 2;
            v[at] ^= 1;
            v.into_response()
        }
        _ => body.into_response(),
    }
}

/// A platform, a proxy in front of it, and a released app. It derefs to its
/// [`Merchant`] (`w.owner`, `w.reviewer`, `w.admin`, `w.app`, `w.dev_key`, ...).
pub struct World {
    pub dir: PathBuf,
    pub platform: String,
    pub proxy: String,
    pub fault: Arc<Mutex<Fault>>,
    pub resolves: Arc<AtomicUsize>,
    pub hits: Arc<AtomicUsize>,
    pub root: TrustedRoot,
    pub merchant: Merchant,
    pub build: u64,
    // Last: the proxy and the hosts' storage go with it.
    lp: LocalPlatform,
}

impl std::ops::Deref for World {
    type Target = Merchant;
    fn deref(&self) -> &Merchant {
        &self.merchant
    }
}

impl World {
    pub fn new() -> World {
        let lp = LocalPlatform::start();
        let dir = lp.dir().to_path_buf();
        let base = lp.base.clone();

        let fault = Arc::new(Mutex::new(Fault::None));
        let resolves = Arc::new(AtomicUsize::new(0));
        let hits = Arc::new(AtomicUsize::new(0));
        let state = Proxy {
            upstream: base.clone(),
            fault: fault.clone(),
            resolves: resolves.clone(),
            hits: hits.clone(),
            http: reqwest::Client::new(),
        };
        let pl = lp
            .block(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let proxy_base = format!("http://{}", pl.local_addr().expect("addr"));
        let app = axum::Router::new().fallback(proxy).with_state(state);
        lp.handle().spawn(async move { axum::serve(pl, app).await });

        // The management side, through the typed client.
        let src = mpkit_sample_app::miniprogram_dir();
        let merchant = lp.block(lp.merchant(
            &src,
            wire::NewTarget {
                id: TARGET.into(),
                name: "Test Wallet".into(),
                allowed_permissions: vec![
                    "request".into(),
                    "getAuthCode".into(),
                    "tradePay".into(),
                ],
            },
        ));
        let root_bytes = lp.block(merchant.admin.root_json()).expect("root");
        let root = TrustedRoot::load(&root_bytes, time_now()).expect("root");
        let mut w = World {
            dir,
            platform: base,
            proxy: proxy_base,
            fault,
            resolves,
            hits,
            root,
            merchant,
            build: 0,
            lp,
        };
        let id = w.approved("1.0.0", &src);
        w.block(w.owner.full(&id)).expect("full");
        w
    }

    pub fn block<F: std::future::Future>(&self, f: F) -> F::Output {
        self.lp.block(f)
    }

    pub fn fault(&self, f: Fault) {
        *self.fault.lock().expect("fault") = f;
    }

    /// Uploads `src` as `version` and walks a release of it to approved.
    pub fn approved(&mut self, version: &str, src: &Path) -> String {
        self.build += 1;
        let opts = PackOptions {
            version: Some(version.parse().expect("semver")),
            build: Some(self.build),
            ..PackOptions::default()
        };
        let (_, bytes) = mpkit_bundle::pack_dir(src, &self.dev_key, &opts).expect("pack");
        let len = bytes.len() as u64;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let progress: mpkit_platform_client::Progress =
            Arc::new(move |done, total| s2.lock().expect("progress").push((done, total)));
        let up = self
            .block(
                self.owner
                    .upload_version(self.app.as_str(), bytes.into(), Some(progress)),
            )
            .expect("upload");
        assert_eq!((up.version.as_str(), up.length), (version, len));
        let seen = seen.lock().expect("progress");
        assert_eq!(
            seen.last(),
            Some(&(len, Some(len))),
            "progress reaches the total"
        );
        assert!(
            seen.windows(2).all(|w| w[0].0 < w[1].0),
            "progress only grows"
        );
        self.block(self.merchant.approved(version))
    }

    pub fn host(&self, name: &str) -> Host {
        Host::builder()
            .trust(Trust::Root(self.root.clone()))
            .storage_dir(self.dir.join(name))
            .isolation(Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED))
            // Tests never leave this machine: Coffee Club's menu request to
            // its production name fails at once and it shows its built-in menu.
            .network(offline_network())
            .build()
            .expect("host")
    }

    /// A manager through the proxy, quick to give up, recording its events.
    pub fn manager(&self, host: &Host) -> (UpdateManager, Arc<Mutex<Vec<UpdateEvent>>>) {
        let mut cfg = UpdateConfig::new(&self.proxy, TARGET);
        cfg.client.timeout = Duration::from_millis(1500);
        cfg.client.retries = 2;
        cfg.client.backoff = Duration::from_millis(20);
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let m = UpdateManager::new(host, cfg)
            .expect("manager")
            .on_event(Arc::new(move |e: &UpdateEvent| {
                if !matches!(e, UpdateEvent::Downloading { .. }) {
                    sink.lock().expect("events").push(e.clone());
                }
            }));
        (m, events)
    }

    /// The policy key, to forge answers the way a compromised mirror could not.
    pub fn policy_key(&self) -> SecretKey {
        mpkit_platform::PlatformKeys::load_or_create(&self.lp.config.storage.join("keys"))
            .expect("keys")
            .policy
    }

    pub fn answer(&self, user: &str) -> (Signed, ResolveAnswer) {
        let s = self
            .block(Client::new(&self.platform, None).expect("client").resolve(
                self.app.as_str(),
                TARGET,
                user,
            ))
            .expect("resolve");
        let a = serde_json::from_str(&s.payload).expect("answer");
        (s, a)
    }
}

pub fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

pub fn sign(key: &SecretKey, a: &ResolveAnswer) -> String {
    let payload = serde_json::to_string(a).expect("json");
    serde_json::to_string(&Signed {
        sig: hex::encode(key.sign(Context::Policy, payload.as_bytes())),
        key_id: key.public().id().to_string(),
        payload,
    })
    .expect("json")
}

pub fn launch(
    m: &UpdateManager,
    host: &Host,
    app: &AppId,
    user: &str,
    mode: UpdateMode,
) -> Result<mpkit_update::Launched<HeadlessSurface>, UpdateError> {
    m.launch(
        host,
        app,
        user,
        Default::default(),
        mode,
        HeadlessSurface::new,
    )
}

pub fn v(s: &str) -> semver::Version {
    s.parse().expect("semver")
}

/// Nothing half-installed: no staging left, only whole versions.
pub fn assert_clean(host: &Host, app: &AppId, versions: &[&str]) {
    let staging = host.store().root().join(".staging");
    let left: Vec<_> = std::fs::read_dir(&staging)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "staging holds {left:?}");
    let got: Vec<String> = host
        .store()
        .versions(app)
        .expect("versions")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(got, versions);
    for s in versions {
        host.store()
            .check_installed(app, &v(s), host.trust())
            .expect("every kept version verifies");
    }
}

pub fn codes(events: &Arc<Mutex<Vec<UpdateEvent>>>) -> Vec<String> {
    events
        .lock()
        .expect("events")
        .iter()
        .filter_map(|e| match e {
            UpdateEvent::Failed { code, .. } => Some(code.clone()),
            _ => None,
        })
        .collect()
}
