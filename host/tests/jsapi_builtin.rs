//! The built-in `my.*` APIs end to end, as a mini program calls them: a real
//! Host, a real SQLite file, real HTTP on 127.0.0.1, and the recording delegate.
//! Each mini program is a tiny directory whose page runs a script on load and
//! logs `R <json>` lines that the test reads back.

use mpkit_bundle::{AppId, SecretKey, Trust};
use mpkit_host::HeadlessSurface;
use mpkit_host::NetConfig;
use mpkit_host::{Answers, PayResult, RecordingDelegate};
use mpkit_host::{Host, LaunchSource};
use mpkit_host::{Isolation, ThreadOptIn};
use mpkit_jsapi::registry::{ApiDecl, Kind, ParamType};
use mpkit_jsapi::{ApiError, Call};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const APP: &str = "2021000000000777";
const OTHER: &str = "2021000000000888";

/// Writes a one-page mini program whose `onLoad` runs `script` (an async
/// function body; `log(x)` records a result).
fn miniprogram(root: &Path, app_id: &str, permissions: Value, script: &str) -> PathBuf {
    let dir = root.join(format!("mp-{app_id}-{}", rand_suffix()));
    std::fs::create_dir_all(dir.join("pages/index")).expect("mkdir");
    let app = json!({
        "appId": app_id, "name": "JSAPI test", "version": format!("1.0.{}", VERSION.fetch_add(1, Ordering::SeqCst)),
        "pages": ["pages/index/index"], "permissions": permissions,
    });
    std::fs::write(dir.join("app.json"), app.to_string()).expect("app.json");
    std::fs::write(dir.join("app.js"), "App({});").expect("app.js");
    std::fs::write(
        dir.join("pages/index/index.axml"),
        "<view a:if=\"{{done}}\" id=\"done\">{{done}}</view>",
    )
    .expect("axml");
    let js = format!(
        "function log(x) {{ console.log('R ' + JSON.stringify(x === undefined ? null : x)); }}\n\
         function err(e) {{ return {{error: e.error, errorMessage: e.errorMessage}}; }}\n\
         Page({{ data: {{done: ''}}, onLoad: function () {{ var self = this; (async function () {{\n{script}\n}})().then(\
         function () {{ self.setData({{done: 'yes'}}); }}, function (e) {{ log({{thrown: String(e && e.message || e)}}); self.setData({{done: 'yes'}}); }}); }} }});"
    );
    std::fs::write(dir.join("pages/index/index.js"), js).expect("js");
    dir
}

/// Runs a test body on a thread with a large stack: in Thread isolation boa's
/// recursive-descent parser runs on the caller's stack, and debug builds use
/// more than the test harness's 2 MiB for ordinary nesting.
fn big(f: impl FnOnce() + Send + 'static) {
    let t = std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(f)
        .expect("spawn");
    if let Err(p) = t.join() {
        std::panic::resume_unwind(p);
    }
}

static VERSION: AtomicUsize = AtomicUsize::new(0);

fn rand_suffix() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    delegate: Rc<RecordingDelegate>,
}

fn env(answers: Answers) -> Env {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path().to_path_buf();
    Env {
        _tmp: tmp,
        root,
        delegate: Rc::new(RecordingDelegate::new(answers)),
    }
}

fn host_with(e: &Env, f: impl FnOnce(mpkit_host::HostBuilder) -> mpkit_host::HostBuilder) -> Host {
    let key = SecretKey::generate().expect("key");
    f(Host::builder()
        .trust(Trust::Developer(vec![key.public().clone()]))
        .storage_dir(e.root.join("store"))
        .delegate(e.delegate.clone())
        .isolation(Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED))
        .dev_mode(true))
    .build()
    .expect("host")
}

/// Runs a script as `user` and returns what it logged.
fn run(
    host: &Host,
    e: &Env,
    app_id: &str,
    user: &str,
    permissions: Value,
    script: &str,
) -> Vec<Value> {
    let dir = miniprogram(&e.root, app_id, permissions, script);
    let h = launch_dir(host, dir, user);
    assert!(h.errors().is_empty(), "{:?}", h.errors());
    logged(&h)
}

/// Launches a written mini program as `user` and waits until its script ran.
fn launch_dir(host: &Host, dir: PathBuf, user: &str) -> mpkit_host::AppHandle<HeadlessSurface> {
    let mut h = host
        .launch(
            LaunchSource::DevDir(dir),
            user,
            Default::default(),
            HeadlessSurface::new(),
        )
        .expect("launch");
    h.wait_for("#done", Duration::from_secs(20))
        .unwrap_or_else(|err| {
            panic!(
                "{err}; console: {:?}; errors: {:?}",
                h.console(),
                h.errors()
            )
        });
    h
}

/// What the script logged so far.
fn logged(h: &mpkit_host::AppHandle<HeadlessSurface>) -> Vec<Value> {
    h.console()
        .iter()
        .filter_map(|(_, t)| t.strip_prefix("R "))
        .map(|t| serde_json::from_str(t).expect("json"))
        .collect()
}

fn storage_perms() -> Value {
    json!({})
}

#[test]
fn storage_round_trips_sync_and_async_and_persists() {
    big(|| {
        let e = env(Answers::default());
        let host = host_with(&e, |b| b);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            storage_perms(),
            r#"
            my.setStorageSync({key: 'k', data: {n: 1, s: 'x'}});
            log(my.getStorageSync({key: 'k'}));
            await my.setStorage({key: 'k2', data: [1, 2, 3]});
            log(await my.getStorage({key: 'k2'}));
            log(my.getStorageSync({key: 'missing'}));
            my.removeStorageSync({key: 'k2'});
            log(my.getStorageInfoSync());
            await new Promise(function (res) { my.setStorage({key: 'cb', data: 'v', success: function (r) { log(['success', r]); }, complete: function () { log('complete'); res(); }}); });
        "#,
        );
        assert_eq!(out[0], json!({"data": {"n": 1, "s": "x"}}));
        assert_eq!(out[1], json!({"data": [1, 2, 3]}));
        assert_eq!(out[2], json!({"data": null}));
        assert_eq!(out[3]["keys"], json!(["k"]));
        assert_eq!(out[3]["limitSize"], json!(10240));
        assert_eq!(out[4], json!(["success", {}]));
        assert_eq!(out[5], json!("complete"));
        drop(host);
        // A new host on the same directory sees the committed data.
        let host = host_with(&e, |b| b);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            storage_perms(),
            "log(my.getStorageSync({key: 'cb'}));",
        );
        assert_eq!(out, vec![json!({"data": "v"})]);
    });
}

#[test]
fn no_app_sees_another_apps_data_and_no_user_another_users() {
    big(|| {
        let e = env(Answers::default());
        let host = host_with(&e, |b| b);
        run(
            &host,
            &e,
            APP,
            "alice",
            storage_perms(),
            "my.setStorageSync({key: 'secret', data: 'alice-777'});",
        );
        let read = "log(my.getStorageSync({key: 'secret'})); log(my.getStorageInfoSync().keys);";
        assert_eq!(
            run(&host, &e, OTHER, "alice", storage_perms(), read),
            vec![json!({"data": null}), json!([])]
        );
        assert_eq!(
            run(&host, &e, APP, "bob", storage_perms(), read),
            vec![json!({"data": null}), json!([])]
        );
        // Identity in the payload is ignored: the host's context decides.
        run(&host, &e, APP, "bob", storage_perms(),
            "my.setStorageSync({key: 'secret', data: 'from-bob', appId: '2021000000000888', userId: 'alice'});");
        assert_eq!(
            run(&host, &e, APP, "alice", storage_perms(), read),
            vec![json!({"data": "alice-777"}), json!(["secret"])]
        );
        assert_eq!(
            run(&host, &e, OTHER, "alice", storage_perms(), read),
            vec![json!({"data": null}), json!([])]
        );
    });
}

#[test]
fn hostile_storage_keys_and_values_get_typed_errors_and_write_nothing() {
    big(|| {
        let e = env(Answers::default());
        let host = host_with(&e, |b| b);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            storage_perms(),
            r#"
            my.setStorageSync({key: 'keep', data: 'old'});
            var bad = [['../etc/passwd', 1], ['a\u0000b', 1], [new Array(64 * 1024 + 1).join('k'), 1],
                       ['', 1], ['big', new Array(200 * 1024 + 2).join('v')]];
            for (var i = 0; i < bad.length; i++) {
                try { my.setStorageSync({key: bad[i][0], data: bad[i][1]}); log('written'); }
                catch (e) { log(err(e)); }
            }
            try { my.setStorageSync({key: 1, data: 1}); } catch (e) { log(err(e)); }
            try { my.setStorageSync({data: 1}); } catch (e) { log(err(e)); }
            try { await my.setStorage({key: 'big', data: new Array(200 * 1024 + 2).join('v')}); } catch (e) { log(err(e)); }
            try { await my.noSuchApi({}); } catch (e) { log({error: typeof my.noSuchApi, errorMessage: e.name}); }
            log(my.getStorageInfoSync().keys);
            log(my.getStorageSync({key: 'keep'}));
        "#,
        );
        // "../etc/passwd" is a legal key (keys are data, never paths): it is stored
        // in the app's own rows and nowhere else.
        assert_eq!(out[0], json!("written"));
        assert_eq!(out[1]["error"], 2, "NUL: {:?}", out[1]);
        // (A key over 1 MB is refused before it leaves the logic layer: a
        // RangeError, see the oversized-arguments test in cli/tests/corpus.rs.)
        assert_eq!(out[2]["error"], 2, "64 KB key: {:?}", out[2]);
        assert!(
            out[2]["errorMessage"]
                .as_str()
                .unwrap_or_default()
                .contains("256"),
            "{:?}",
            out[2]
        );
        assert_eq!(out[3]["error"], 2, "empty key: {:?}", out[3]);
        assert_eq!(out[4]["error"], 4, "oversize value: {:?}", out[4]);
        assert_eq!(out[5]["error"], 2, "number key: {:?}", out[5]);
        assert_eq!(out[6]["error"], 2, "missing key: {:?}", out[6]);
        assert_eq!(out[7]["error"], 4, "oversize async: {:?}", out[7]);
        // An unknown name is undefined on `my`, as on Alipay: calling it is a TypeError.
        assert_eq!(
            (&out[8]["error"], &out[8]["errorMessage"]),
            (&json!("undefined"), &json!("TypeError")),
            "unknown API: {:?}",
            out[8]
        );
        assert_eq!(out[9], json!(["../etc/passwd", "keep"]));
        assert_eq!(out[10], json!({"data": "old"}));
        // Nothing but the database and (empty) file spaces exists in the data dir.
        let mut names: Vec<String> = std::fs::read_dir(e.root.join("store/userdata"))
            .expect("ls")
            .map(|d| d.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert!(
            names
                .iter()
                .all(|n| n.starts_with("kv.sqlite") || n == "files"),
            "{names:?}"
        );
        assert!(!e.root.join("etc").exists());
    });
}

#[test]
fn the_app_quota_is_held_across_keys() {
    big(|| {
        let e = env(Answers::default());
        let host = host_with(&e, |b| {
            b.storage_quota(mpkit_sandbox::storage::StorageQuota {
                per_app: 4096,
                per_key: 2048,
            })
        });
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            storage_perms(),
            r#"
            var v = new Array(1500).join('x');
            my.setStorageSync({key: 'a', data: v});
            my.setStorageSync({key: 'b', data: v});
            try { my.setStorageSync({key: 'c', data: v}); log('written'); } catch (e) { log(err(e)); }
            my.setStorageSync({key: 'a', data: 'small'});
            my.setStorageSync({key: 'c', data: v});
            log(my.getStorageInfoSync());
        "#,
        );
        assert_eq!(out[0]["error"], 4, "{:?}", out[0]);
        assert!(out[0]["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("4096"));
        assert_eq!(out[1]["keys"], json!(["a", "b", "c"]));
        assert_eq!(out[1]["limitSize"], json!(4));
    });
}

#[test]
fn a_write_that_hits_disk_full_keeps_the_old_value() {
    big(|| {
        let tmp = tempfile::tempdir().expect("tmp");
        let db = mpkit_host::internals::UserData::open(
            &tmp.path().join("kv.sqlite"),
            mpkit_sandbox::storage::StorageQuota::default(),
        )
        .expect("open");
        db.set("u", APP, "k", "\"old\"").expect("first write");
        db.cap_pages_for_test(8).expect("cap");
        let big = format!("\"{}\"", "x".repeat(150 * 1024));
        let mut full = None;
        for i in 0..40 {
            if let Err(err) = db.set("u", APP, &format!("k{i}"), &big) {
                full = Some(err);
                break;
            }
        }
        assert_eq!(full, Some(ApiError::NoSpace));
        assert_eq!(ApiError::NoSpace.code(), 1001);
        // Overwriting an existing key under the same condition keeps its old value.
        assert_eq!(db.set("u", APP, "k", &big), Err(ApiError::NoSpace));
        assert_eq!(
            db.get("u", APP, "k").expect("read"),
            Some("\"old\"".to_string())
        );
    });
}

// ---------------------------------------------------------------- network

/// A tiny HTTP/1.1 server on 127.0.0.1 with scripted routes; records requests.
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

/// A route table: (method, path, body) → (status, headers, body, delay in ms).
type Routes = fn(&str, &str, &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>, u64);

fn serve(routes: Routes) -> Server {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            let seen = s2.clone();
            std::thread::spawn(move || handle(conn, routes, &seen));
        }
    });
    Server { port, seen }
}

fn handle(conn: TcpStream, routes: Routes, seen: &Mutex<Vec<String>>) {
    let mut r = BufReader::new(conn.try_clone().expect("clone"));
    let mut line = String::new();
    if r.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let mut len = 0usize;
    let mut headers = String::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        headers.push_str(&h);
    }
    let mut body = vec![0u8; len];
    let _ = r.read_exact(&mut body);
    seen.lock().expect("lock").push(format!(
        "{method} {path}\n{headers}\n{}",
        String::from_utf8_lossy(&body)
    ));
    let (status, hdrs, out, delay_ms) = routes(&method, &path, &body);
    std::thread::sleep(Duration::from_millis(delay_ms));
    let mut w = conn;
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        out.len()
    );
    for (k, v) in hdrs {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = w.write_all(head.as_bytes());
    let _ = w.write_all(&out);
}

fn routes(method: &str, path: &str, body: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>, u64) {
    match path {
        "/hello" => (
            200,
            vec![("content-type".into(), "application/json".into())],
            br#"{"hello":"world"}"#.to_vec(),
            0,
        ),
        "/echo" => (
            200,
            vec![],
            format!("{method}:{}", String::from_utf8_lossy(body)).into_bytes(),
            0,
        ),
        p if p.starts_with("/query") => (200, vec![], p.as_bytes().to_vec(), 0),
        "/slow" => (200, vec![], b"{}".to_vec(), 1500),
        "/hold" => (200, vec![], b"{}".to_vec(), 800),
        "/fail" => (500, vec![], b"{\"oops\":1}".to_vec(), 0),
        "/notjson" => (200, vec![], b"<html>".to_vec(), 0),
        "/big" => (200, vec![], vec![b'x'; 64 * 1024], 0),
        "/to-evil" => (
            302,
            vec![("location".into(), "https://evil.example/steal".into())],
            vec![],
            0,
        ),
        "/to-http" => (
            302,
            vec![("location".into(), "http://api.allowed.example/x".into())],
            vec![],
            0,
        ),
        "/to-metadata" => (
            302,
            vec![("location".into(), "http://169.254.169.254/latest".into())],
            vec![],
            0,
        ),
        "/to-hello" => (302, vec![("location".into(), "/hello".into())], vec![], 0),
        "/file.txt" => (200, vec![], b"downloaded bytes".to_vec(), 0),
        "/upload" => (200, vec![], b"stored".to_vec(), 0),
        _ => (404, vec![], vec![], 0),
    }
}

fn net_perms() -> Value {
    json!({"jsapi": ["request", "downloadFile", "uploadFile"], "domains": {
        "request": ["api.allowed.example"], "downloadFile": ["api.allowed.example"], "uploadFile": ["api.allowed.example"]}})
}

fn net_host(
    e: &Env,
    port: u16,
    f: impl FnOnce(mpkit_host::HostBuilder) -> mpkit_host::HostBuilder,
) -> Host {
    host_with(
        e,
        |b| f(b.dev_origins([format!("http://127.0.0.1:{port}")])),
    )
}

#[test]
fn request_reaches_a_dev_origin_with_json_text_and_methods() {
    big(|| {
        let srv = serve(routes);
        let e = env(Answers::default());
        let host = net_host(&e, srv.port, |b| b);
        let base = format!("http://127.0.0.1:{}", srv.port);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            net_perms(),
            &format!(
                r#"
            var r = await my.request({{url: '{base}/hello'}});
            log([r.status, r.data]);
            r = await my.request({{url: '{base}/echo', method: 'POST', data: {{a: 1}}, dataType: 'text'}});
            log(r.data);
            r = await my.request({{url: '{base}/echo', method: 'put', data: 'raw', dataType: 'text'}});
            log(r.data);
            r = await my.request({{url: '{base}/query?x=1', data: {{y: 'a b'}}, dataType: 'text'}});
            log(r.data);
            r = await my.httpRequest({{url: '{base}/to-hello'}});
            log(r.data);
            r = await my.request({{url: '{base}/big', dataType: 'base64'}});
            log(r.data.length);
        "#
            ),
        );
        assert_eq!(out[0], json!([200, {"hello": "world"}]));
        assert_eq!(out[1], json!("POST:{\"a\":1}"));
        assert_eq!(out[2], json!("PUT:raw"));
        assert_eq!(out[3], json!("/query?x=1&y=a+b"));
        assert_eq!(
            out[4],
            json!({"hello": "world"}),
            "a redirect on the same dev origin is followed"
        );
        assert_eq!(out[5], json!(87384));
        let seen = srv.seen.lock().expect("lock");
        assert!(
            seen.iter().any(
                |r| r.starts_with("POST /echo") && r.contains("content-type: application/json")
            ),
            "{seen:?}"
        );
    });
}

#[test]
fn request_failures_have_their_codes() {
    big(|| {
        let srv = serve(routes);
        let e = env(Answers::default());
        let host = net_host(&e, srv.port, |b| {
            b.network(NetConfig {
                max_response_bytes: 16 * 1024,
                ..NetConfig::default()
            })
        });
        let base = format!("http://127.0.0.1:{}", srv.port);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            net_perms(),
            &format!(
                r#"
            var urls = [['{base}/slow', {{timeout: 200}}], ['{base}/fail', {{}}], ['{base}/notjson', {{}}],
                        ['{base}/big', {{}}], ['{base}/nothing', {{}}],
                        ['{base}/hello', {{method: 'TRACE'}}], ['{base}/hello', {{headers: {{Host: 'internal.corp'}}}}],
                        ['{base}/hello', {{timeout: -1}}], ['{base}/hello', {{headers: 'x'}}]];
            for (var i = 0; i < urls.length; i++) {{
                var o = urls[i][1]; o.url = urls[i][0];
                try {{ await my.request(o); log('ok'); }} catch (e) {{ log(err(e)); }}
            }}
        "#
            ),
        );
        let codes: Vec<i64> = out
            .iter()
            .map(|v| v["error"].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(codes, vec![13, 19, 14, 4, 19, 2, 2, 2, 2], "{out:?}");
        assert!(out[3]["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("16384"));
    });
}

#[test]
fn url_tricks_and_redirects_off_the_list_are_refused() {
    big(|| {
        let srv = serve(routes);
        let e = env(Answers::default());
        let host = net_host(&e, srv.port, |b| b);
        let base = format!("http://127.0.0.1:{}", srv.port);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            net_perms(),
            &format!(
                r#"
            var urls = ['https://user:pw@api.allowed.example/', 'https://api.allowed.example@evil.example/',
                        'https://127.0.0.1/', 'https://2130706433/', 'https://0x7f000001/', 'https://[::1]/',
                        'https://api.allowed.example.evil.example/', 'https://api-allowed.example/',
                        'https://xn--pple-43d.com/', 'http://api.allowed.example/', 'https://localhost/',
                        'ftp://api.allowed.example/', 'not a url', 'http://127.0.0.1:1/',
                        '{base}/to-evil', '{base}/to-http', '{base}/to-metadata'];
            for (var i = 0; i < urls.length; i++) {{
                try {{ await my.request({{url: urls[i]}}); log('ok'); }} catch (e) {{ log(err(e)); }}
            }}
        "#
            ),
        );
        let codes: Vec<i64> = out
            .iter()
            .map(|v| v["error"].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(
            codes,
            vec![4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 2, 4, 4, 4, 4],
            "{out:?}"
        );
        let seen = srv.seen.lock().expect("lock");
        // Only the three redirecting requests reached the server; none of their targets did.
        assert_eq!(seen.len(), 3, "{seen:?}");
    });
}

#[test]
fn a_listed_name_that_resolves_to_an_internal_address_is_refused() {
    big(|| {
        let srv = serve(routes);
        let e = env(Answers::default());
        let lookups = Arc::new(AtomicUsize::new(0));
        let l2 = lookups.clone();
        let host = host_with(&e, |b| {
            b.network(NetConfig {
                lookup: Some(Arc::new(move |_name: &str| {
                    l2.fetch_add(1, Ordering::SeqCst);
                    // DNS rebinding: the allowed name points at loopback.
                    Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)])
                })),
                ..NetConfig::default()
            })
        });
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            net_perms(),
            r#"
            try { await my.request({url: 'https://api.allowed.example/hello'}); log('ok'); } catch (e) { log(err(e)); }
        "#,
        );
        assert_eq!(out[0]["error"], 4, "{out:?}");
        assert!(
            out[0]["errorMessage"]
                .as_str()
                .unwrap_or_default()
                .contains("127.0.0.1"),
            "{out:?}"
        );
        assert_eq!(lookups.load(Ordering::SeqCst), 1);
        assert!(srv.seen.lock().expect("lock").is_empty());
    });
}

#[test]
fn an_eleventh_concurrent_request_is_refused() {
    big(|| {
        let srv = serve(routes);
        let e = env(Answers::default());
        let host = net_host(&e, srv.port, |b| b);
        let base = format!("http://127.0.0.1:{}", srv.port);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            net_perms(),
            &format!(
                r#"
            var all = [];
            for (var i = 0; i < 11; i++) {{
                all.push(my.request({{url: '{base}/hold'}}).then(function () {{ return 0; }}, function (e) {{ return e.error; }}));
            }}
            log(await Promise.all(all));
            // Slots free up when calls end.
            log((await my.request({{url: '{base}/hello'}})).status);
        "#
            ),
        );
        let codes = out[0].as_array().expect("codes");
        assert_eq!(
            codes.iter().filter(|c| **c == json!(20)).count(),
            1,
            "{out:?}"
        );
        assert_eq!(
            codes.iter().filter(|c| **c == json!(0)).count(),
            10,
            "{out:?}"
        );
        assert_eq!(out[1], json!(200));
    });
}

#[test]
fn an_unapproved_network_api_fails_at_once_and_an_empty_list_denies() {
    big(|| {
        let srv = serve(routes);
        let e = env(Answers::default());
        let host = net_host(&e, srv.port, |b| b);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            json!({"jsapi": ["request"]}),
            r#"
            try { await my.request({url: 'https://api.allowed.example/'}); } catch (e) { log(err(e)); }
            try { await my.downloadFile({url: 'https://api.allowed.example/'}); } catch (e) { log(err(e)); }
        "#,
        );
        assert_eq!(out[0]["error"], 4);
        assert!(
            out[0]["errorMessage"]
                .as_str()
                .unwrap_or_default()
                .contains("domain list"),
            "{out:?}"
        );
        assert_eq!(out[1]["error"], 4);
        assert!(
            out[1]["errorMessage"]
                .as_str()
                .unwrap_or_default()
                .contains("not approved"),
            "{out:?}"
        );
    });
}

// ---------------------------------------------------------------- files

#[test]
fn files_stay_in_the_apps_space_and_download_and_upload_use_it() {
    big(|| {
        let srv = serve(routes);
        let e = env(Answers::default());
        let host = net_host(&e, srv.port, |b| b.file_quota(64 * 1024));
        let base = format!("http://127.0.0.1:{}", srv.port);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            net_perms(),
            &format!(
                r#"
            const fs = my.getFileSystemManager();
            log([typeof my.writeFile, typeof my.readFile, my.canIUse('readFile'), my.canIUse('getFileSystemManager'), fs === my.getFileSystemManager()]);
            log(await fs.writeFile({{filePath: 'mpkitfile://usr/notes/a.txt', data: 'hello'}}));
            log(await fs.readFile({{filePath: 'mpkitfile://usr/notes/a.txt'}}));
            log(await fs.readFile({{filePath: 'usr/notes/./a.txt', encoding: 'base64'}}));
            log(await fs.readdir({{dirPath: 'mpkitfile://usr/notes'}}));
            var bad = ['mpkitfile://usr/../../../etc/passwd', '/etc/passwd', 'mpkitfile://usr/a\u0000b',
                       'mpkitfile://tmp/x', 'mpkitfile://usr/a\\..\\b', 'C:/x'];
            for (var i = 0; i < bad.length; i++) {{
                try {{ await fs.writeFile({{filePath: bad[i], data: 'x'}}); log('written'); }} catch (e) {{ log(err(e)); }}
            }}
            try {{ await fs.writeFile({{filePath: 'mpkitfile://usr/huge', data: new Array(70 * 1024).join('x')}}); }} catch (e) {{ log(err(e)); }}
            var d = await my.downloadFile({{url: '{base}/file.txt'}});
            log((await fs.readFile({{filePath: d.apFilePath}})).data);
            var u = await my.uploadFile({{url: '{base}/upload', filePath: 'mpkitfile://usr/notes/a.txt', fileName: 'doc', formData: {{k: 'v'}}}});
            log([u.statusCode, u.data]);
            await fs.unlink({{filePath: 'mpkitfile://usr/notes/a.txt'}});
            try {{ await fs.readFile({{filePath: 'mpkitfile://usr/notes/a.txt'}}); }} catch (e) {{ log(err(e)); }}
        "#
            ),
        );
        // Alipay keeps the file methods on the FileSystemManager, not on `my`.
        assert_eq!(out[0], json!(["undefined", "undefined", false, true, true]));
        let out = &out[1..];
        assert_eq!(out[0], json!({"filePath": "mpkitfile://usr/notes/a.txt"}));
        assert_eq!(out[1], json!({"data": "hello"}));
        assert_eq!(out[2], json!({"data": "aGVsbG8="}));
        assert_eq!(out[3]["files"], json!(["a.txt"]));
        for (i, v) in out[4..10].iter().enumerate() {
            assert_eq!(v["error"], 2, "hostile path {i}: {v:?}");
        }
        assert_eq!(out[10]["error"], 4, "quota: {:?}", out[10]);
        assert_eq!(out[11], json!("downloaded bytes"));
        assert_eq!(out[12], json!([200, "stored"]));
        assert_eq!(out[13]["error"], 2);
        let seen = srv.seen.lock().expect("lock");
        let up = seen
            .iter()
            .find(|r| r.starts_with("POST /upload"))
            .expect("upload seen");
        assert!(
            up.contains("name=\"doc\"; filename=\"a.txt\"")
                && up.contains("hello")
                && up.contains("name=\"k\""),
            "{up}"
        );
        // Nothing was written outside the store.
        let outside: Vec<_> = std::fs::read_dir(&e.root)
            .expect("ls")
            .map(|d| d.expect("e").file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with("mp-") && n != "store")
            .collect();
        assert!(outside.is_empty(), "{outside:?}");
    });
}

// ---------------------------------------------------------------- UI, consent, auth, payment

#[test]
fn ui_calls_reach_the_delegate_which_answers() {
    big(|| {
        let e = env(Answers {
            confirm: true,
            prompt: Some("typed".into()),
            action: Some(1),
            ..Answers::default()
        });
        let host = host_with(&e, |b| b);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            json!({}),
            r#"
            log(await my.showToast({content: 'Saved', type: 'success'}));
            log(await my.confirm({title: 'Sure?'}));
            log(await my.prompt({title: 'Name'}));
            log(await my.showActionSheet({items: ['a', 'b']}));
            log(await my.alert({content: 'hi'}));
            await my.showLoading({content: 'wait'}); await my.hideLoading();
            await my.setNavigationBar({title: 'T'});
            try { await my.showActionSheet({items: []}); } catch (e) { log(err(e)); }
            try { await my.showActionSheet({items: 'ab'}); } catch (e) { log(err(e)); }
            log(my.getSystemInfoSync().SDKVersion.length > 0);
            log(await my.getNetworkType());
            log([my.canIUse('request'), my.canIUse('request.timeout'), my.canIUse('request.nope'), my.canIUse('nope'), my.canIUse('getStorage.success')]);
        "#,
        );
        assert_eq!(out[0], json!({}));
        assert_eq!(out[1], json!({"confirm": true}));
        assert_eq!(out[2], json!({"ok": true, "inputValue": "typed"}));
        assert_eq!(out[3], json!({"index": 1}));
        assert_eq!(out[5]["error"], 2);
        assert_eq!(out[6]["error"], 2);
        assert_eq!(out[7], json!(true));
        assert_eq!(
            out[8],
            json!({"networkType": "WIFI", "networkAvailable": true})
        );
        assert_eq!(out[9], json!([true, true, false, false, true]));
        let kinds: Vec<String> = e
            .delegate
            .events()
            .iter()
            .filter(|v| v["event"] == "ui")
            .map(|v| v["request"]["ui"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            kinds,
            [
                "toast",
                "confirm",
                "prompt",
                "actionSheet",
                "alert",
                "showLoading",
                "hideLoading",
                "navigationBar"
            ]
        );
    });
}

fn consent_perms() -> Value {
    json!({"jsapi": ["getLocation", "getOpenUserInfo", "getAuthCode", "tradePay", "setClipboard", "getClipboard"],
           "scopes": ["scope.location", "scope.userInfo", "scope.clipboard"]})
}

#[test]
fn consent_is_asked_once_remembered_reported_and_changed_in_open_setting() {
    big(|| {
        let e = env(Answers::default()); // the user says no
        let host = host_with(&e, |b| b);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            consent_perms(),
            r#"
            try { await my.getLocation(); } catch (e) { log(err(e)); }
            try { await my.getLocation(); } catch (e) { log(err(e)); }
            log(await my.getSetting());
        "#,
        );
        assert_eq!(out[0]["error"], 11);
        assert_eq!(out[1]["error"], 11);
        assert_eq!(out[2], json!({"authSetting": {"location": false}}));
        let asked = |e: &Env| {
            e.delegate
                .events()
                .iter()
                .filter(|v| v["event"] == "consent")
                .count()
        };
        assert_eq!(asked(&e), 1, "a denial is remembered, not asked again");
        // The user turns it on in openSetting.
        e.delegate
            .answers
            .borrow_mut()
            .consent
            .insert("scope.location".into(), true);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            consent_perms(),
            r#"
            log(await my.openSetting());
            log(await my.getLocation());
        "#,
        );
        assert_eq!(out[0], json!({"authSetting": {"location": true}}));
        assert_eq!(out[1]["latitude"], "31.230416");
        assert_eq!(asked(&e), 1);
        let app = AppId::new(APP).expect("app");
        let grants = host.grants("alice", &app).expect("grants");
        assert_eq!(grants.len(), 1);
        assert!(
            host.grants("bob", &app).expect("grants").is_empty(),
            "per user"
        );
        let receipts = host.consent_receipts("alice", &app).expect("receipts");
        assert_eq!(
            receipts.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
            ["denied", "granted"]
        );
        // The embedding app revokes; the next use asks again.
        assert_eq!(host.revoke("alice", &app, None).expect("revoke"), 1);
        e.delegate.answers.borrow_mut().consent.clear();
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            consent_perms(),
            "try { await my.getLocation(); } catch (e) { log(err(e)); }",
        );
        assert_eq!(out[0]["error"], 11);
        assert_eq!(asked(&e), 2);
    });
}

#[test]
fn a_time_limited_grant_expires_into_a_new_prompt() {
    big(|| {
        let e = env(Answers::default());
        let host = host_with(&e, |b| b);
        let app = AppId::new(APP).expect("app");
        // Long enough that a loaded machine still uses it before it ends.
        let granted = std::time::Instant::now();
        let receipt = host
            .grant_for("alice", &app, "scope.clipboard", Duration::from_secs(4))
            .expect("grant");
        assert!(receipt.starts_with("rcpt-"));
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            consent_perms(),
            "log(await my.setClipboard({text: 'hi'})); log(await my.getClipboard());",
        );
        assert_eq!(out, vec![json!({}), json!({"text": "hi"})]);
        assert_eq!(
            e.delegate
                .events()
                .iter()
                .filter(|v| v["event"] == "consent")
                .count(),
            0
        );
        std::thread::sleep(Duration::from_millis(5100).saturating_sub(granted.elapsed()));
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            consent_perms(),
            "try { await my.getClipboard(); } catch (e) { log(err(e)); }",
        );
        assert_eq!(out[0]["error"], 11);
        assert_eq!(
            e.delegate
                .events()
                .iter()
                .filter(|v| v["event"] == "consent")
                .count(),
            1
        );
    });
}

#[test]
fn unapproved_apis_and_scopes_fail_without_a_prompt() {
    big(|| {
        let e = env(Answers {
            consent: [("scope.location".to_string(), true)].into(),
            ..Answers::default()
        });
        let host = host_with(&e, |b| b);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            json!({"jsapi": ["getLocation"]}),
            r#"
            try { await my.getLocation(); } catch (e) { log(err(e)); }
            try { await my.scan(); } catch (e) { log(err(e)); }
            try { await my.authorize({scope: 'scope.camera'}); } catch (e) { log(err(e)); }
        "#,
        );
        assert_eq!(out[0]["error"], 4, "scope not approved: {out:?}");
        assert_eq!(out[1]["error"], 4, "permission not approved: {out:?}");
        assert_eq!(out[2]["error"], 4, "authorize an unapproved scope: {out:?}");
        assert!(e.delegate.events().iter().all(|v| v["event"] != "consent"));
    });
}

#[test]
fn auth_codes_come_from_the_delegate_and_auth_user_needs_consent() {
    big(|| {
        let e = env(Answers {
            consent: [("scope.userInfo".to_string(), true)].into(),
            ..Answers::default()
        });
        let host = host_with(&e, |b| b);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            consent_perms(),
            r#"
            var a = await my.getAuthCode({scopes: 'auth_base'});
            var b = await my.getAuthCode({scopes: ['auth_user']});
            log([a.authSuccessScopes, b.authSuccessScopes, a.authCode !== b.authCode]);
            log(JSON.parse((await my.getOpenUserInfo()).response).response.nickName);
            try { await my.getAuthCode({scopes: 'auth_admin'}); } catch (e) { log(err(e)); }
            try { await my.getAuthCode({scopes: 3}); } catch (e) { log(err(e)); }
        "#,
        );
        assert_eq!(out[0], json!([["auth_base"], ["auth_user"], true]));
        assert_eq!(out[1], json!("Test User"));
        assert_eq!(out[2]["error"], 2);
        assert_eq!(out[3]["error"], 2);
        let ev = e.delegate.events();
        let consents: Vec<&Value> = ev.iter().filter(|v| v["event"] == "consent").collect();
        assert_eq!(
            consents.len(),
            1,
            "auth_base is silent; auth_user asks once: {ev:?}"
        );
        assert_eq!(consents[0]["scope"], "scope.userInfo");
        assert!(ev
            .iter()
            .filter(|v| v["event"] == "authCode")
            .all(|v| v["user"] == "alice" && v["app"] == APP));
    });
}

#[test]
fn trade_pay_is_always_confirmed_by_the_user() {
    big(|| {
        let e = env(Answers {
            pay_confirm: false,
            ..Answers::default()
        });
        let host = host_with(&e, |b| b);
        let script = r#"
            log(await my.tradePay({tradeNO: 'T-1001'}));
            try { await my.tradePay({tradeNO: ''}); } catch (e) { log(err(e)); }
            try { await my.tradePay({}); } catch (e) { log(err(e)); }
        "#;
        let out = run(&host, &e, APP, "alice", consent_perms(), script);
        assert_eq!(out[0], json!({"resultCode": "6001"}));
        assert_eq!(out[1]["error"], 2);
        assert_eq!(out[2]["error"], 2);
        assert!(
            e.delegate.events().iter().all(|v| v["event"] != "pay"),
            "no payment without confirmation"
        );
        e.delegate.answers.borrow_mut().pay_confirm = true;
        e.delegate.answers.borrow_mut().pay_result = PayResult::Paid;
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            consent_perms(),
            "log(await my.tradePay({tradeNO: 'T-1002'}));",
        );
        assert_eq!(out[0], json!({"resultCode": "9000"}));
        let ev: Vec<String> = e
            .delegate
            .events()
            .iter()
            .filter(|v| v["tradeNO"] == "T-1002")
            .map(|v| v["event"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(ev, ["confirmPayment", "pay"]);
    });
}

#[test]
fn custom_apis_pass_the_same_gates() {
    big(|| {
        let e = env(Answers::default());
        let host =
            host_with(&e, |b| {
                b.register_api(
                ApiDecl::new("getBalance", Kind::Async, "The wallet balance of the current user.")
                    .permission("getBalance")
                    .param("currency", ParamType::String, true),
                |c: &Call<'_>| -> Result<Value, ApiError> {
                    Ok(json!({"user": c.user, "currency": c.params["currency"], "amount": "12.30"}))
                },
            )
            });
        let script = r#"
            try { log(await my.getBalance({currency: 'SGD', userId: 'mallory'})); } catch (e) { log(err(e)); }
            try { log(await my.getBalance({})); } catch (e) { log(err(e)); }
            log(my.canIUse('getBalance.currency'));
        "#;
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            json!({"jsapi": ["getBalance"]}),
            script,
        );
        assert_eq!(
            out[0],
            json!({"user": "alice", "currency": "SGD", "amount": "12.30"})
        );
        assert_eq!(out[1]["error"], 2);
        assert_eq!(out[2], json!(true));
        let out = run(&host, &e, APP, "alice", json!({}), script);
        assert_eq!(out[0]["error"], 4, "not approved for this app");
    });
}

/// A user's files live under the one per-user directory name the host has
/// (which the webview's data directory uses too), never under the user id.
#[test]
fn a_users_files_live_under_the_one_per_user_directory_name() {
    let tmp = tempfile::tempdir().expect("tmp");
    let files = mpkit_host::internals::Files::new(tmp.path(), 1 << 20);
    files
        .write("dave", APP, "mpkitfile://usr/notes/a.txt", b"hello")
        .expect("write");
    let dir = mpkit_host::user_dir_name("dave");
    assert_eq!(dir, "61ea0803f8853523b777d414ace3130c");
    let on_disk = tmp.path().join(&dir).join(APP).join("usr/notes/a.txt");
    assert_eq!(std::fs::read(on_disk).expect("read"), b"hello");
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [dir]);
}

/// A folder in development with the open network (`dev_network(true)`, what
/// `mpkit run` does) reaches any public https host with no domain declared;
/// IP literals, localhost, http and resolved internal addresses stay
/// refused. Without it, the same program is refused before any lookup.
#[test]
fn the_open_development_network_passes_any_public_host_and_nothing_else() {
    big(|| {
        let e = env(Answers::default());
        let script = r#"
            for (const url of ['https://api.anything.example/x', 'https://127.0.0.1/x', 'https://localhost/x', 'http://api.anything.example/x']) {
                try { await my.request({url}); log('ok'); } catch (e) { log(err(e)); }
            }
        "#;
        let lookups = Arc::new(Mutex::new(Vec::new()));
        let l2 = lookups.clone();
        let network = NetConfig {
            lookup: Some(Arc::new(move |name: &str| {
                l2.lock().expect("lock").push(name.to_owned());
                // The name points at a private address: refused after the lookup.
                Ok(vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))])
            })),
            ..NetConfig::default()
        };
        let open = host_with(&e, |b| b.network(network.clone()).dev_network(true));
        let out = run(&open, &e, APP, "alice", json!({}), script);
        assert_eq!(out.len(), 4, "{out:?}");
        assert!(
            out[0]["errorMessage"]
                .as_str()
                .unwrap_or_default()
                .contains("10.0.0.1"),
            "the open network let the name through to its lookup: {out:?}"
        );
        for refused in &out[1..] {
            assert_eq!(refused["error"], 4, "{out:?}");
        }
        assert_eq!(*lookups.lock().expect("lock"), ["api.anything.example"]);

        // The same program with the declared lists only: refused before any lookup.
        lookups.lock().expect("lock").clear();
        let e2 = env(Answers::default());
        let closed = host_with(&e2, |b| b.network(network));
        let out = run(&closed, &e2, APP, "alice", json!({}), script);
        assert!(out.iter().all(|o| o["error"] != Value::Null), "{out:?}");
        assert!(lookups.lock().expect("lock").is_empty());
    });
}

/// The system family as the typings shape it (issue 25, item 3): window,
/// app base info, settings, the account (identity from the host: the
/// bundle it launched, never JS) and the run scene of a development
/// directory.
#[test]
fn the_system_family_answers_as_the_typings_shape_it() {
    big(|| {
        let e = env(Answers::default());
        let host = host_with(&e, |b| b);
        let out = run(
            &host,
            &e,
            APP,
            "alice",
            json!({}),
            r#"
            log(my.getWindowInfo());
            log(my.getAppBaseInfo());
            log(my.getSystemSetting());
            log(my.getAccountInfoSync());
            log(my.getAppIdSync());
            log(await my.getRunScene());
            const s = my.getSystemInfoSync();
            log([s.statusBarHeight, s.safeArea.top, s.safeArea.height, typeof s.titleBarHeight]);
            log([my.canIUse('getWindowInfo'), my.canIUse('getRunScene.success'), my.canIUse('getDeviceBaseInfo')]);
            "#,
        );
        assert_eq!(
            out[0],
            json!({"pixelRatio": 2, "screenWidth": 375, "screenHeight": 812,
                   "windowWidth": 375, "windowHeight": 812, "statusBarHeight": 44,
                   "safeArea": {"left": 0, "right": 375, "top": 44, "bottom": 778,
                                "width": 375, "height": 734},
                   "screenTop": 0})
        );
        assert_eq!(out[1]["language"], "en-US");
        assert!(out[1]["SDKVersion"].is_string() && out[1]["version"].is_string());
        assert_eq!(
            out[2],
            json!({"bluetoothEnabled": false, "locationEnabled": true, "wifiEnabled": true})
        );
        assert_eq!(out[3]["miniProgram"]["appId"], APP);
        assert_eq!(out[3]["miniProgram"]["envVersion"], "develop");
        assert!(out[3]["miniProgram"]["version"].is_string(), "{}", out[3]);
        assert_eq!(out[4], json!({"appId": APP}));
        assert_eq!(out[5], json!({"envVersion": "develop"}));
        assert_eq!(out[6], json!([44, 44, 734, "number"]));
        assert_eq!(out[7], json!([true, true, false]));
    });
}

/// App events through `my.on*` (issue 25, item 3): listeners hear the app
/// come to the front and go to the back, uncaught errors (message and
/// stack) and unhandled rejections, each once and in order; `my.off*`
/// removes one, or all without a callback; a throwing listener is reported
/// and the others still run.
#[test]
fn app_events_reach_their_listeners_until_removed() {
    big(|| {
        let e = env(Answers::default());
        let host = host_with(&e, |b| b);
        let dir = miniprogram(
            &e.root,
            APP,
            json!({}),
            r#"
            const removed = () => log('removed listener ran');
            my.onAppShow(removed);
            const shown = (o) => log('show:' + typeof o);
            my.onAppShow(shown);
            my.onAppShow(shown);
            my.onAppShow(() => { throw new Error('listener fails'); });
            my.onAppShow(() => log('show2'));
            my.onAppHide(() => log('hide'));
            my.onError((m, st) => log('error:' + m + ':' + typeof st));
            my.onUnhandledRejection((r) => log('rejection:' + r.reason));
            log([my.canIUse('onAppShow'), my.canIUse('offUnhandledRejection')]);
            my.offAppShow(removed);
            setTimeout(() => { throw new Error('boom'); }, 0);
            Promise.reject('nope');
            await new Promise((r) => setTimeout(r, 20));
            "#,
        );
        let mut h = launch_dir(&host, dir, "alice");
        h.hide();
        h.show();
        let logged: Vec<Value> = logged(&h);
        assert_eq!(logged[0], json!([true, true]), "{logged:?}");
        let mut during: Vec<&Value> = logged[1..logged.len() - 3].iter().collect();
        during.sort_by_key(|v| v.to_string());
        assert_eq!(
            during,
            [&json!("error:Error: boom:string"), &json!("rejection:nope")],
            "{logged:?}"
        );
        // After the launch: hidden, then shown: each listener once (the
        // same function added twice counts once), in order; the removed one
        // never runs.
        assert_eq!(
            logged[logged.len() - 3..],
            [json!("hide"), json!("show:object"), json!("show2")],
            "{logged:?}"
        );
        // The listener that threw is reported; the one after it still ran.
        assert!(
            h.errors()
                .iter()
                .any(|e| e.message.contains("listener fails")),
            "{:?}",
            h.errors()
        );
    });
}

/// `my.getExtConfig(Sync)` answers the `ext` field of the bundle's
/// ext.json (a template's custom data), `{}` without one (issue 25).
#[test]
fn ext_config_is_the_ext_field_of_ext_json() {
    big(|| {
        let e = env(Answers::default());
        let host = host_with(&e, |b| b);
        let script = r#"
            log(my.getExtConfigSync());
            log(await my.getExtConfig());
        "#;
        let launch = |ext: Option<&str>| {
            let dir = miniprogram(&e.root, APP, json!({}), script);
            if let Some(text) = ext {
                std::fs::write(dir.join("ext.json"), text).expect("ext.json");
            }
            logged(&launch_dir(&host, dir, "alice"))
        };
        let out = launch(Some(
            r##"{"extEnable": true, "extAppid": "2021000000000777", "ext": {"shop": "Bean Bar", "theme": {"color": "#c60"}}}"##,
        ));
        let ext = json!({"shop": "Bean Bar", "theme": {"color": "#c60"}});
        assert_eq!(out[0], ext);
        assert_eq!(out[1], json!({"data": ext, "extConfig": ext}));
        for (text, why) in [
            (None, "no ext.json"),
            (
                Some(r#"{"extEnable": false, "ext": {"shop": "x"}}"#),
                "disabled",
            ),
            (Some("{not json"), "malformed"),
        ] {
            let out = launch(text);
            assert_eq!(out[0], json!({}), "{why}");
            assert_eq!(out[1], json!({"data": {}, "extConfig": {}}), "{why}");
        }
    });
}
