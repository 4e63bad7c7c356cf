//! The host's update manager against the real platform server.
//!
//! Each test starts the platform on 127.0.0.1 (SQLite in a temporary
//! directory), walks the release flow through the typed client, and points a
//! host's update manager at a small faulty proxy in front of the platform.
//! Every fault of the update path is injected there (or, for a full disk, at
//! the store's install checkpoints) and must give its own typed error while
//! the previously installed version keeps working and nothing is left
//! half-installed.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use mpkit_bundle::{AppId, Context, PackOptions, SecretKey, Step, Trust, TrustedRoot};
use mpkit_host::host::Host;
use mpkit_host::runtime::Isolation;
use mpkit_host::surface::headless::HeadlessSurface;
use mpkit_host::update::{
    LaunchedFrom, UpdateConfig, UpdateError, UpdateEvent, UpdateManager, UpdateMode,
};
use mpkit_platform_client::wire::{self, ResolveAnswer, Rule, Signed};
use mpkit_platform_client::Client;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TARGET: &str = "test.wallet";

/// Runs a test body on a thread with room for boa's parser in debug builds.
fn big(f: impl FnOnce() + Send + 'static) {
    let t = std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(f)
        .expect("spawn");
    if let Err(p) = t.join() {
        std::panic::resume_unwind(p);
    }
}

/// What the proxy does to the next requests.
#[derive(Debug, Clone, Default)]
enum Fault {
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
struct Proxy {
    upstream: String,
    fault: Arc<Mutex<Fault>>,
    resolves: Arc<AtomicUsize>,
    hits: Arc<AtomicUsize>,
    http: reqwest::Client,
}

async fn proxy(State(p): State<Proxy>, req: Request) -> Response {
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

/// A platform, a proxy in front of it, and a released app.
struct World {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    rt: tokio::runtime::Runtime,
    platform: String,
    proxy: String,
    fault: Arc<Mutex<Fault>>,
    resolves: Arc<AtomicUsize>,
    hits: Arc<AtomicUsize>,
    root: TrustedRoot,
    owner: Client,
    reviewer: Client,
    app: AppId,
    dev_key: SecretKey,
    build: u64,
}

impl World {
    fn new() -> World {
        let d = tempfile::tempdir().expect("dir");
        let dir = d.path().to_path_buf();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("rt");
        let (platform, boot) = rt
            .block_on(mpkit_platform::Platform::open(mpkit_platform::Config::new(
                dir.join("platform"),
            )))
            .expect("platform");
        let admin = boot.expect("fresh").token;
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let router = platform.router();
        rt.spawn(async move { axum::serve(listener, router).await });

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
        let pl = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let proxy_base = format!("http://{}", pl.local_addr().expect("addr"));
        let app = axum::Router::new().fallback(proxy).with_state(state);
        rt.spawn(async move { axum::serve(pl, app).await });

        // The management side, through the typed client.
        let admin = Client::new(&base, Some(admin)).expect("client");
        let master = rt
            .block_on(admin.create_account("Coffee Co master"))
            .expect("account");
        let rev = rt
            .block_on(admin.create_account("Wallet reviewer"))
            .expect("account");
        let owner = admin.with_token(master.token);
        let reviewer = admin.with_token(rev.token.clone());
        let ws = rt
            .block_on(owner.create_workspace("Coffee Co", "merchant"))
            .expect("ws");
        let dev_key = SecretKey::generate().expect("key");
        rt.block_on(owner.register_key(&ws.id, &dev_key.public().to_hex()))
            .expect("key");
        let src = mpkit_sample_app::miniprogram_dir();
        let (m, _) = mpkit_bundle::pack_dir(&src, &dev_key, &PackOptions::default()).expect("pack");
        rt.block_on(owner.create_app(
            &ws.id,
            &wire::NewApp {
                app_id: m.app_id.to_string(),
                name: m.name.clone(),
                developer_workspace: None,
            },
        ))
        .expect("app");
        rt.block_on(admin.create_target(&wire::NewTarget {
            id: TARGET.into(),
            name: "Test Wallet".into(),
            allowed_permissions: vec!["request".into(), "getAuthCode".into(), "tradePay".into()],
        }))
        .expect("target");
        rt.block_on(admin.add_reviewer(TARGET, &rev.id))
            .expect("reviewer");
        let root_bytes = rt.block_on(admin.root_json()).expect("root");
        let root = TrustedRoot::load(&root_bytes, time_now()).expect("root");
        let mut w = World {
            _dir: d,
            dir,
            rt,
            platform: base,
            proxy: proxy_base,
            fault,
            resolves,
            hits,
            root,
            owner,
            reviewer,
            app: m.app_id.clone(),
            dev_key,
            build: 0,
        };
        let id = w.approved("1.0.0", &src);
        w.block(w.owner.full(&id)).expect("full");
        w
    }

    fn block<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    fn fault(&self, f: Fault) {
        *self.fault.lock().expect("fault") = f;
    }

    /// Uploads `src` as `version` and walks a release of it to approved.
    fn approved(&mut self, version: &str, src: &Path) -> String {
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
        let r = self
            .block(self.owner.start_release(
                self.app.as_str(),
                &wire::NewRelease {
                    target_app: TARGET.into(),
                    version: version.into(),
                    basic_info: None,
                },
            ))
            .expect("start");
        let report = serde_json::json!({"suite": "mpkit", "passed": 1, "failed": 0});
        self.block(self.owner.compat_report(&r.id, &report))
            .expect("report");
        self.block(self.owner.apply(&r.id)).expect("apply");
        let ok = self.block(self.reviewer.approve(&r.id)).expect("approve");
        assert_eq!(ok.state, "approved");
        r.id
    }

    fn host(&self, name: &str) -> Host {
        Host::builder()
            .trust(Trust::Root(self.root.clone()))
            .storage_dir(self.dir.join(name))
            .isolation(Isolation::Thread)
            .build()
            .expect("host")
    }

    /// A manager through the proxy, quick to give up, recording its events.
    fn manager(&self, host: &Host) -> (UpdateManager, Arc<Mutex<Vec<UpdateEvent>>>) {
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
    fn policy_key(&self) -> SecretKey {
        mpkit_platform::PlatformKeys::load_or_create(&self.dir.join("platform").join("keys"))
            .expect("keys")
            .policy
    }

    fn answer(&self, user: &str) -> (Signed, ResolveAnswer) {
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

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn sign(key: &SecretKey, a: &ResolveAnswer) -> String {
    let payload = serde_json::to_string(a).expect("json");
    serde_json::to_string(&Signed {
        sig: hex::encode(key.sign(Context::Policy, payload.as_bytes())),
        key_id: key.public().id().to_string(),
        payload,
    })
    .expect("json")
}

fn launch(
    m: &UpdateManager,
    host: &Host,
    app: &AppId,
    user: &str,
    mode: UpdateMode,
) -> Result<mpkit_host::update::Launched<HeadlessSurface>, UpdateError> {
    m.launch(
        host,
        app,
        user,
        Default::default(),
        mode,
        HeadlessSurface::new,
    )
}

fn v(s: &str) -> semver::Version {
    s.parse().expect("semver")
}

/// Nothing half-installed: no staging left, only whole versions.
fn assert_clean(host: &Host, app: &AppId, versions: &[&str]) {
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

fn codes(events: &Arc<Mutex<Vec<UpdateEvent>>>) -> Vec<String> {
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

/// A world where `host` already runs 1.0.0 and 1.0.1 is released, so the
/// next launch must download it.
fn with_pending_update(name: &str) -> (World, Host) {
    let mut w = World::new();
    let host = w.host(name);
    let (m, _) = w.manager(&host);
    let l = launch(&m, &host, &w.app.clone(), "bob", UpdateMode::Sync).expect("first launch");
    assert_eq!(l.version, v("1.0.0"));
    l.handle.close();
    let id = w.approved("1.0.1", &mpkit_sample_app::miniprogram_dir());
    w.block(w.owner.full(&id)).expect("full");
    (w, host)
}

#[test]
fn pilot_grayscale_and_stable_users_each_get_their_version() {
    big(|| {
        let mut w = World::new();
        let app = w.app.clone();
        let host = w.host("wallet");
        let (m, events) = w.manager(&host);

        let l = launch(&m, &host, &app, "alice", UpdateMode::Sync).expect("launch");
        assert_eq!(l.version, v("1.0.0"));
        assert_eq!(l.from, LaunchedFrom::Updated { previous: None });
        assert_eq!(l.handle.current_page(), Some("pages/index/index"));
        l.handle.close();
        assert!(events
            .lock()
            .expect("events")
            .contains(&UpdateEvent::MarkedGood {
                app: app.to_string(),
                version: "1.0.0".into()
            }));

        // 1.0.1 in pilot for alice only.
        let id = w.approved("1.0.1", &mpkit_sample_app::miniprogram_dir());
        w.block(w.owner.start_pilot(&id, &["alice".to_string()]))
            .expect("pilot");
        let a = m.check(&app, "alice").expect("alice");
        assert_eq!(a.rule, Rule::Pilot);
        let l = launch(&m, &host, &app, "alice", UpdateMode::Sync).expect("pilot launch");
        assert_eq!(l.version, v("1.0.1"));
        assert_eq!(
            l.from,
            LaunchedFrom::Updated {
                previous: Some("1.0.0".into())
            }
        );
        l.handle.close();
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("stable launch");
        assert_eq!(
            (l.version.clone(), l.from.clone()),
            (v("1.0.0"), LaunchedFrom::UpToDate)
        );
        l.handle.close();

        // Grayscale at 50%: users in the bucket get 1.0.1, the rest 1.0.0.
        w.block(w.owner.complete_pilot(&id)).expect("complete");
        let g = w.block(w.owner.grayscale(&id, "50")).expect("gray");
        let salt = g.salt.expect("salt");
        let inside = (0..200)
            .map(|i| format!("user-{i}"))
            .find(|u| mpkit_platform_client::rollout::in_grayscale(&salt, u, 5000))
            .expect("someone inside");
        let outside = (0..200)
            .map(|i| format!("user-{i}"))
            .find(|u| !mpkit_platform_client::rollout::in_grayscale(&salt, u, 5000))
            .expect("someone outside");
        let a = m.check(&app, &inside).expect("inside");
        assert_eq!(a.rule, Rule::Grayscale);
        let l = launch(&m, &host, &app, &inside, UpdateMode::Sync).expect("gray launch");
        assert_eq!(l.version, v("1.0.1"));
        l.handle.close();
        let l = launch(&m, &host, &app, &outside, UpdateMode::Sync).expect("stable launch");
        assert_eq!(l.version, v("1.0.0"));
        l.handle.close();

        // Full release: everyone gets 1.0.1. The manager lists what is installed.
        w.block(w.owner.full(&id)).expect("full");
        let l = launch(&m, &host, &app, &outside, UpdateMode::Sync).expect("launch");
        assert_eq!(
            (l.version.clone(), l.from.clone()),
            (v("1.0.1"), LaunchedFrom::UpToDate)
        );
        l.handle.close();
        let listed = m.installed().expect("installed");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].current.as_deref(), Some("1.0.1"));
        assert_eq!(listed[0].versions, vec!["1.0.0", "1.0.1"]);
        assert_eq!(listed[0].good, vec!["1.0.0", "1.0.1"]);
        assert!(codes(&events).is_empty(), "{:?}", codes(&events));
    });
}

#[test]
fn async_mode_launches_the_cached_version_and_installs_the_new_one_for_next_time() {
    big(|| {
        let (w, host) = with_pending_update("async");
        let app = w.app.clone();
        let (m, _) = w.manager(&host);
        let l = launch(&m, &host, &app, "bob", UpdateMode::Async).expect("launch");
        assert_eq!(l.version, v("1.0.0"));
        assert!(
            matches!(l.from, LaunchedFrom::Cached { .. }),
            "{:?}",
            l.from
        );
        let installed = l
            .update
            .expect("a background update")
            .wait()
            .expect("update");
        assert_eq!(installed, v("1.0.1"));
        l.handle.close();
        let l = launch(&m, &host, &app, "bob", UpdateMode::Async).expect("next launch");
        assert_eq!(
            (l.version.clone(), l.from.clone()),
            (v("1.0.1"), LaunchedFrom::UpToDate)
        );
        assert!(l.update.is_none());
        l.handle.close();
    });
}

#[test]
fn the_server_down_timeouts_and_5xx_keep_the_cached_version_running() {
    big(|| {
        let (w, host) = with_pending_update("faults");
        let app = w.app.clone();

        // Down: nothing listens where the manager looks.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = closed.local_addr().expect("addr");
        drop(closed);
        let mut cfg = UpdateConfig::new(format!("http://{addr}"), TARGET);
        cfg.client.retries = 1;
        cfg.client.backoff = Duration::from_millis(10);
        let down = UpdateManager::new(&host, cfg).expect("manager");
        match down.check(&app, "bob") {
            Err(e @ UpdateError::Platform(_)) => assert_eq!(e.code(), "unreachable"),
            other => panic!("{other:?}"),
        }
        let l = launch(&down, &host, &app, "bob", UpdateMode::Sync).expect("cached launch");
        assert_eq!(l.version, v("1.0.0"));
        assert!(
            matches!(&l.from, LaunchedFrom::Cached { reason } if reason.contains("cannot connect"))
        );
        l.handle.close();
        drop(down);

        let (m, events) = w.manager(&host);
        // 5xx: retried (GET is idempotent), then the cached version.
        w.fault(Fault::ResolveStatus(503));
        let before = w.resolves.load(Ordering::SeqCst);
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("cached launch");
        assert_eq!(l.version, v("1.0.0"));
        l.handle.close();
        assert_eq!(
            w.resolves.load(Ordering::SeqCst) - before,
            3,
            "1 try + 2 retries"
        );
        match m.check(&app, "bob") {
            Err(UpdateError::Platform(e)) => {
                assert_eq!((e.status(), e.code()), (Some(503), "http_503"))
            }
            other => panic!("{other:?}"),
        }

        // A hanging server: the timeout, then the cached version.
        w.fault(Fault::ResolveHang);
        let mut cfg = UpdateConfig::new(&w.proxy, TARGET);
        cfg.client.timeout = Duration::from_millis(300);
        cfg.client.retries = 0;
        let slow = UpdateManager::new(&host, cfg).expect("manager");
        let t = std::time::Instant::now();
        match slow.check(&app, "bob") {
            Err(e) => assert_eq!(e.code(), "timeout", "{e}"),
            Ok(a) => panic!("{a:?}"),
        }
        assert!(t.elapsed() < Duration::from_secs(5));
        let l = launch(&slow, &host, &app, "bob", UpdateMode::Sync).expect("cached launch");
        assert_eq!(l.version, v("1.0.0"));
        l.handle.close();

        assert_eq!(codes(&events), vec!["platform_error"]);
        assert_eq!(
            host.store().current(&app).expect("current"),
            Some(v("1.0.0"))
        );
        assert_clean(&host, &app, &["1.0.0"]);
    });
}

#[test]
fn bad_downloads_are_refused_and_nothing_is_half_installed() {
    big(|| {
        let (w, host) = with_pending_update("downloads");
        let app = w.app.clone();
        let mut cfg = UpdateConfig::new(&w.proxy, TARGET);
        cfg.client.retries = 0;
        cfg.min_rate = 64 * 1024;
        cfg.grace = Duration::from_millis(300);
        cfg.stall = Duration::from_secs(2);
        let m = UpdateManager::new(&host, cfg).expect("manager");
        for (fault, code) in [
            (Fault::Truncate(1000), "truncated"),
            (Fault::Endless, "too_large"),
            (Fault::Trickle, "too_slow"),
            (Fault::Flip, "hash_mismatch"),
        ] {
            w.fault(fault.clone());
            match m.update(&app, "bob") {
                Err(e) => assert_eq!(e.code(), code, "{fault:?}: {e}"),
                Ok(v) => panic!("{fault:?} installed {v}"),
            }
            let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("cached launch");
            assert_eq!(l.version, v("1.0.0"), "{fault:?}");
            assert!(matches!(l.from, LaunchedFrom::Cached { .. }), "{fault:?}");
            l.handle.close();
            assert_clean(&host, &app, &["1.0.0"]);
        }
        // The fault gone, the update goes through.
        w.fault(Fault::None);
        assert_eq!(m.update(&app, "bob").expect("update"), v("1.0.1"));
    });
}

#[test]
fn a_full_disk_during_install_keeps_the_last_good_version() {
    big(|| {
        let (w, host) = with_pending_update("disk");
        let app = w.app.clone();
        let (m, _) = w.manager(&host);
        let m = m.install_hook(Arc::new(|step| {
            if step == Step::Extracting {
                return Err(mpkit_bundle::Error::Io {
                    op: "write",
                    path: "staging".into(),
                    source: std::io::Error::from(std::io::ErrorKind::StorageFull),
                });
            }
            Ok(())
        }));
        match m.update(&app, "bob") {
            Err(e @ UpdateError::Install { .. }) => assert_eq!(e.code(), "disk_full"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            host.store().current(&app).expect("current"),
            Some(v("1.0.0"))
        );
        assert_clean(&host, &app, &["1.0.0"]);
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("cached launch");
        assert_eq!(l.version, v("1.0.0"));
        l.handle.close();
    });
}

#[test]
fn forged_replayed_foreign_and_expired_answers_are_refused() {
    big(|| {
        let mut w = World::new();
        let app = w.app.clone();
        let host = w.host("policies");
        let (m, events) = w.manager(&host);
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("launch");
        l.handle.close();
        let (old_doc, old) = w.answer("bob");
        let id = w.approved("1.0.1", &mpkit_sample_app::miniprogram_dir());
        w.block(w.owner.full(&id)).expect("full");
        let (_, fresh) = w.answer("bob");
        assert!(fresh.seq > old.seq);
        assert_eq!(m.check(&app, "bob").expect("fresh").seq, fresh.seq);
        let key = w.policy_key();

        // Signed by a key the root does not name.
        let stranger = SecretKey::generate().expect("key");
        w.fault(Fault::ResolveWith(sign(&stranger, &fresh)));
        assert_eq!(
            m.check(&app, "bob").expect_err("unknown key").code(),
            "bad_signature"
        );
        // The real policy's bytes, one changed: the signature fails.
        let mut tampered: Signed = serde_json::from_str(&sign(&key, &fresh)).expect("doc");
        tampered.payload = tampered.payload.replace("\"bob\"", "\"bib\"");
        w.fault(Fault::ResolveWith(
            serde_json::to_string(&tampered).expect("json"),
        ));
        assert_eq!(
            m.check(&app, "bob").expect_err("tampered").code(),
            "bad_signature"
        );
        // A genuine, older answer: replayed.
        w.fault(Fault::ResolveWith(
            serde_json::to_string(&old_doc).expect("json"),
        ));
        match m.check(&app, "bob") {
            Err(UpdateError::Replayed { seq, last_seen }) => {
                assert_eq!((seq, last_seen), (old.seq, fresh.seq))
            }
            other => panic!("{other:?}"),
        }
        // Genuinely signed, but for another app, another user, another target.
        for (field, edit) in [
            (
                "appId",
                &(|a: &mut ResolveAnswer| a.app_id = "2021000000000999".into())
                    as &dyn Fn(&mut ResolveAnswer),
            ),
            ("user", &|a: &mut ResolveAnswer| a.user = "mallory".into()),
            ("targetApp", &|a: &mut ResolveAnswer| {
                a.target_app = "other.wallet".into()
            }),
        ] {
            let mut a = fresh.clone();
            edit(&mut a);
            w.fault(Fault::ResolveWith(sign(&key, &a)));
            match m.check(&app, "bob") {
                Err(UpdateError::WrongSubject { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        // Genuinely signed, current, but expired: a freeze.
        let mut a = fresh.clone();
        a.expires = mpkit_platform::now() - 60;
        w.fault(Fault::ResolveWith(sign(&key, &a)));
        assert_eq!(m.check(&app, "bob").expect_err("expired").code(), "expired");

        // Through all of it, launches run the cached, last good version.
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("cached");
        assert_eq!(l.version, v("1.0.0"));
        assert!(matches!(&l.from, LaunchedFrom::Cached { reason } if reason.contains("expired")));
        l.handle.close();
        // `check` returns its errors; the launch reports its own as events.
        assert_eq!(codes(&events), vec!["expired"]);
        assert_clean(&host, &app, &["1.0.0"]);

        // The sequence seen survives a restart of the host.
        drop(m);
        let (m, _) = w.manager(&host);
        w.fault(Fault::ResolveWith(
            serde_json::to_string(&old_doc).expect("json"),
        ));
        assert_eq!(
            m.check(&app, "bob").expect_err("replayed").code(),
            "replayed"
        );
    });
}

#[test]
fn offline_runs_the_last_good_version_until_its_policy_expires() {
    big(|| {
        let (w, host) = with_pending_update("offline");
        let app = w.app.clone();
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = closed.local_addr().expect("addr");
        drop(closed);
        let offline = |clock: i64| {
            let mut cfg = UpdateConfig::new(format!("http://{addr}"), TARGET);
            cfg.client.retries = 0;
            UpdateManager::new(&host, cfg)
                .expect("manager")
                .clock(Arc::new(move || mpkit_platform::now() + clock))
        };
        let l = launch(&offline(0), &host, &app, "bob", UpdateMode::Sync).expect("offline");
        assert_eq!(l.version, v("1.0.0"));
        l.handle.close();
        // Two days later the one-day policy has expired: the host refuses.
        match launch(&offline(2 * 86_400), &host, &app, "bob", UpdateMode::Sync) {
            Err(e) => assert_eq!(e.code(), "expired", "{e}"),
            Ok(l) => panic!("ran {} on an expired policy", l.version),
        }
        // A host that never reached the platform has nothing to run.
        let fresh = w.host("never-online");
        let mut cfg = UpdateConfig::new(format!("http://{addr}"), TARGET);
        cfg.client.retries = 0;
        let m = UpdateManager::new(&fresh, cfg).expect("manager");
        match launch(&m, &fresh, &app, "bob", UpdateMode::Sync) {
            Err(e) => assert_eq!(e.code(), "unreachable", "{e}"),
            Ok(l) => panic!("ran {}", l.version),
        }
        assert!(fresh.store().versions(&app).expect("versions").is_empty());
    });
}

#[test]
fn a_version_that_fails_to_start_falls_back_and_is_not_retried() {
    big(|| {
        let mut w = World::new();
        let app = w.app.clone();
        let host = w.host("broken");
        let (m, events) = w.manager(&host);
        launch(&m, &host, &app, "bob", UpdateMode::Sync)
            .expect("launch")
            .handle
            .close();

        // 1.0.1's first page throws as it loads.
        let src = tempfile::tempdir().expect("dir");
        copy_dir(&mpkit_sample_app::miniprogram_dir(), src.path());
        std::fs::write(
            src.path().join("pages/index/index.js"),
            "throw new Error('broken build');\n",
        )
        .expect("write");
        let id = w.approved("1.0.1", src.path());
        w.block(w.owner.full(&id)).expect("full");

        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("fell back");
        assert_eq!(l.version, v("1.0.0"));
        match &l.from {
            LaunchedFrom::FellBack { failed, error } => {
                assert_eq!(failed, "1.0.1");
                assert!(error.contains("failed to start"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        l.handle.close();
        assert_eq!(
            host.store().current(&app).expect("current"),
            Some(v("1.0.0"))
        );
        {
            let ev = events.lock().expect("events");
            assert!(ev.iter().any(
                |e| matches!(e, UpdateEvent::MarkedBad { version, .. } if version == "1.0.1")
            ));
            assert!(ev.iter().any(|e| matches!(e, UpdateEvent::FellBack { from, to, .. } if from == "1.0.1" && to == "1.0.0")));
        }
        // The bad package is not tried again.
        let l = launch(&m, &host, &app, "bob", UpdateMode::Sync).expect("cached");
        assert_eq!(l.version, v("1.0.0"));
        assert!(
            matches!(&l.from, LaunchedFrom::Cached { reason } if reason.contains("not tried again"))
        );
        l.handle.close();
    });
}

#[test]
fn a_takedown_refuses_to_launch_and_package_management_removes() {
    big(|| {
        let w = World::new();
        let app = w.app.clone();
        let host = w.host("takedown");
        let (m, events) = w.manager(&host);
        launch(&m, &host, &app, "bob", UpdateMode::Sync)
            .expect("launch")
            .handle
            .close();
        let t = w
            .block(w.owner.takedown(app.as_str(), TARGET))
            .expect("takedown");
        assert_eq!(t.stable, None);
        match launch(&m, &host, &app, "bob", UpdateMode::Sync) {
            Err(e @ UpdateError::NotAvailable { .. }) => assert_eq!(e.code(), "not_available"),
            other => panic!("{:?}", other.map(|l| l.version)),
        }
        assert!(events
            .lock()
            .expect("events")
            .contains(&UpdateEvent::NotAvailable {
                app: app.to_string()
            }));

        assert_eq!(m.installed().expect("list").len(), 1);
        assert!(m.remove(&app).expect("remove"));
        assert!(!m.remove(&app).expect("again"));
        assert!(m.installed().expect("list").is_empty());
        assert_eq!(m.clear().expect("clear"), 0);
        assert_eq!(host.store().current(&app).expect("current"), None);
    });
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("dir").flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            std::fs::create_dir_all(&t).expect("mkdir");
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).expect("copy");
        }
    }
}

#[test]
fn the_client_retries_only_idempotent_calls_and_keeps_the_server_code() {
    big(|| {
        let w = World::new();
        let c = Client::with_config(
            &w.proxy,
            None,
            mpkit_platform_client::Config {
                retries: 3,
                backoff: Duration::from_millis(5),
                ..mpkit_platform_client::Config::default()
            },
        )
        .expect("client");

        w.fault(Fault::AllStatus(503));
        let before = w.hits.load(Ordering::SeqCst);
        let e = w.block(c.targets()).expect_err("503");
        assert_eq!((e.status(), e.code()), (Some(503), "http_503"));
        assert_eq!(
            w.hits.load(Ordering::SeqCst) - before,
            4,
            "a GET: 1 try + 3 retries"
        );
        let before = w.hits.load(Ordering::SeqCst);
        let e = w
            .block(c.create_workspace("x", "merchant"))
            .expect_err("503");
        assert_eq!(e.status(), Some(503));
        assert_eq!(
            w.hits.load(Ordering::SeqCst) - before,
            1,
            "a POST is never retried"
        );

        // Through a healthy path, the server's own status and code arrive intact.
        w.fault(Fault::None);
        let e = w.block(c.me()).expect_err("no token");
        assert_eq!(e.status(), Some(401));
        let e = w
            .block(w.reviewer.create_workspace("", "merchant"))
            .expect_err("bad name");
        assert_eq!((e.status(), e.code()), (Some(400), "bad_request"), "{e}");
        let e = w
            .block(w.reviewer.app(w.app.as_str()))
            .expect_err("not theirs");
        assert_eq!(e.status(), Some(404), "{e}");
    });
}
