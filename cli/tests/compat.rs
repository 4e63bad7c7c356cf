//! `mpkit compat` in-process: exit codes, JSON and HTML reports, hostile
//! profiles and bundles, and `--upload` against a real platform on 127.0.0.1
//! (SQLite in a temp dir). Nothing leaves the machine.
//!
//! The CLI reads `MPKIT_CONFIG_DIR`, `MPKIT_SERVER` and `MPKIT_TOKEN` from the
//! process environment, which every test thread shares: each test holds
//! [`ENV`] for its whole run, so they never race.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static ENV: Mutex<()> = Mutex::new(());

struct Run {
    code: u8,
    out: String,
    err: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.out)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.out, self.err))
    }
}

/// Runs the CLI on a thread with room for boa in debug builds.
fn mpkit(args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let code = mpkit::run(
                std::iter::once("mpkit".to_string()).chain(args),
                &mut out,
                &mut err,
            );
            Run {
                code,
                out: String::from_utf8_lossy(&out).into_owned(),
                err: String::from_utf8_lossy(&err).into_owned(),
            }
        })
        .expect("spawn")
        .join()
        .expect("the CLI panicked")
}

fn env_lock() -> MutexGuard<'static, ()> {
    let g = ENV.lock().unwrap_or_else(|e| e.into_inner());
    for v in [
        "MPKIT_SERVER",
        "MPKIT_TOKEN",
        "XDG_CONFIG_HOME",
        "MPKIT_LOG",
    ] {
        std::env::remove_var(v);
    }
    g
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/compat")
        .join(name)
        .to_str()
        .expect("utf-8")
        .to_owned()
}

/// A profiles directory with one quick profile (online only) named `quick`.
fn quick_profiles(dir: &Path) -> PathBuf {
    let d = dir.join("profiles");
    std::fs::create_dir_all(&d).expect("mkdir");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../compat/profiles/ios-17-iphone15.json"),
    )
    .expect("default profile");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    v["name"] = "quick".into();
    v["network"] = serde_json::json!([{"kind": "online"}, {"kind": "offline"}]);
    std::fs::write(d.join("quick.json"), v.to_string()).expect("write");
    d
}

#[test]
fn exit_code_json_and_html_follow_the_profiles_verdicts() {
    let _g = env_lock();
    let dir = tempfile::tempdir().expect("tmp");
    let app = fixture("missing-api");

    // A profile that has the API: pass, exit 0.
    let r = mpkit(&["compat", &app, "--profiles", "ios-17-iphone15", "--json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let v = r.json();
    assert_eq!(v["schema"], "mpkit.compat/1");
    assert_eq!(v["app"]["appId"], "test.compat.clipboard");
    assert_eq!(v["profiles"][0]["name"], "ios-17-iphone15");
    assert_eq!(v["profiles"][0]["status"], "pass");
    assert_eq!(v["visual"]["available"], false);

    // One without it: fail, exit 1; the report is still printed and written.
    let html = dir.path().join("report.html");
    let r = mpkit(&[
        "compat",
        &app,
        "--profiles",
        "ios-17-iphone15,android-10-lowend",
        "--html",
        html.to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    let v = r.json();
    assert_eq!(v["status"], "fail");
    assert_eq!(v["profiles"][1]["status"], "fail");
    let p = &v["profiles"][1]["problems"][0];
    assert_eq!(
        (&p["kind"], &p["severity"], &p["file"], &p["line"]),
        (
            &Value::from("api-missing"),
            &Value::from("error"),
            &Value::from("pages/index/index.js"),
            &Value::from(6)
        ),
        "{p}"
    );
    assert!(r.err.contains("android-10-lowend"), "{}", r.err);
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("android-10-lowend"));
    assert!(page.contains("visual checks: not run"));

    // Human output names the verdicts and the problem.
    let r = mpkit(&["compat", &app, "--profiles", "android-10-lowend"]);
    assert_eq!(r.code, 1);
    assert!(r.out.contains("FAIL  android-10-lowend"), "{}", r.out);
    assert!(r.out.contains("my.setClipboard"), "{}", r.out);

    // Unknown profile names and half an upload are refused before any run.
    let r = mpkit(&["compat", &app, "--profiles", "nokia-3310", "--json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["code"], "unknown_profile");
    let r = mpkit(&["compat", &app, "--upload"]);
    assert_eq!(r.code, 2, "{}", r.err);
}

#[test]
fn a_profile_with_an_unknown_field_is_refused_naming_the_file() {
    let _g = env_lock();
    let dir = tempfile::tempdir().expect("tmp");
    let d = quick_profiles(dir.path());
    let bad = d.join("typo.json");
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("quick.json")).expect("read"))
            .expect("json");
    v["name"] = "typo".into();
    v["screens"][0]["dpi"] = 460.into();
    std::fs::write(&bad, serde_json::to_string_pretty(&v).expect("json")).expect("write");
    let r = mpkit(&[
        "compat",
        &fixture("missing-api"),
        "--profiles-dir",
        d.to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(r.code, 1, "{}", r.out);
    let e = r.json();
    assert_eq!(e["error"]["code"], "bad_profile");
    let msg = e["error"]["message"].as_str().expect("message");
    assert!(msg.contains(bad.to_str().expect("utf-8")), "{msg}");
    assert!(msg.contains("unknown field `dpi`"), "{msg}");
    assert!(r.err.contains("typo.json"), "{}", r.err);
}

#[test]
fn hostile_bundles_are_reported_not_crashed_on_and_escaped() {
    let _g = env_lock();
    let dir = tempfile::tempdir().expect("tmp");
    let d = quick_profiles(dir.path());
    let d = d.to_str().expect("utf-8");

    // JS that does not parse: a static problem with its file and line.
    let r = mpkit(&[
        "compat",
        &fixture("broken-js"),
        "--profiles-dir",
        d,
        "--profiles",
        "quick",
        "--json",
    ]);
    assert_eq!(r.code, 1, "{}", r.err);
    let p = &r.json()["profiles"][0]["problems"][0];
    assert_eq!(p["kind"], "parse-error", "{p}");
    assert_eq!(p["file"], "pages/index/index.js");
    assert_eq!(p["line"], 4);

    // A page titled <script>, a thrown <img onerror>: escaped in the HTML.
    let html = dir.path().join("hostile.html");
    let r = mpkit(&[
        "compat",
        &fixture("hostile-title"),
        "--profiles-dir",
        d,
        "--profiles",
        "quick",
        "--html",
        html.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 1, "{}", r.err);
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(!page.contains("<script>"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(3)&lt;/script&gt;"));
    assert!(page.contains("&lt;img src=x onerror=alert(5)&gt;"));

    // A bundle needs a trust anchor; with one it is verified and checked.
    let key = dir.path().join("dev.key");
    let r = mpkit(&["keygen", "--out", key.to_str().expect("utf-8")]);
    assert_eq!(r.code, 0, "{}", r.err);
    let mpk = dir.path().join("big.mpk");
    let r = mpkit(&[
        "pack",
        &fixture("big-setdata"),
        "--key",
        key.to_str().expect("utf-8"),
        "--out",
        mpk.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 0, "{}", r.err);
    let r = mpkit(&["compat", mpk.to_str().expect("utf-8"), "--json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["code"], "usage");
    let pub_key = format!("{}.pub", key.display());
    let r = mpkit(&[
        "compat",
        mpk.to_str().expect("utf-8"),
        "--trust",
        &pub_key,
        "--profiles-dir",
        d,
        "--profiles",
        "quick",
        "--json",
    ]);
    assert_eq!(r.code, 0, "a warning is not a failure: {}", r.err);
    let v = r.json();
    assert_eq!(v["profiles"][0]["status"], "warn");
    assert_eq!(v["profiles"][0]["problems"][0]["kind"], "set-data-size");
}

/// A platform served in this process.
struct Platform {
    _rt: tokio::runtime::Runtime,
    base: String,
    admin: String,
    dir: tempfile::TempDir,
}

impl Platform {
    fn start() -> Platform {
        let dir = tempfile::tempdir().expect("tmp");
        std::env::set_var("MPKIT_CONFIG_DIR", dir.path().join("config"));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (platform, boot) = rt
            .block_on(mpkit_platform::Platform::open(mpkit_platform::Config::new(
                dir.path().join("platform"),
            )))
            .expect("platform");
        let admin = boot.expect("a fresh platform").token;
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = platform.router();
        rt.spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Platform {
            _rt: rt,
            base: format!("http://{addr}"),
            admin,
            dir,
        }
    }
}

fn ok(r: Run) -> Value {
    assert_eq!(r.code, 0, "stdout: {}\nstderr: {}", r.out, r.err);
    r.json()
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

#[test]
fn upload_attaches_the_report_to_the_release_and_its_view_shows_it() {
    let _g = env_lock();
    let p = Platform::start();
    let path = |n: &str| p.dir.path().join(n).to_str().expect("utf-8").to_owned();

    // Without a login, --upload fails before anything runs.
    let r = mpkit(&[
        "compat",
        &fixture("missing-api"),
        "--upload",
        "--release",
        "r1",
        "--json",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["code"], "not_logged_in");

    ok(mpkit(&[
        "login", "--server", &p.base, "--token", &p.admin, "--json",
    ]));
    let owner = ok(mpkit(&["account", "create", "--name", "owner", "--json"]));
    std::env::set_var("MPKIT_TOKEN", s(&owner["token"]));
    let ws = s(&ok(mpkit(&[
        "workspace",
        "create",
        "--name",
        "Coffee Co",
        "--kind",
        "merchant",
        "--json",
    ]))["id"]);
    ok(mpkit(&["keygen", "--out", &path("dev.key"), "--json"]));
    ok(mpkit(&[
        "key",
        "register",
        "--workspace",
        &ws,
        "--key",
        &path("dev.key.pub"),
        "--json",
    ]));
    let sample = mpkit_sample_app::miniprogram_dir();
    let sample = sample.to_str().expect("utf-8");
    let packed = ok(mpkit(&[
        "pack",
        sample,
        "--key",
        &path("dev.key"),
        "--out",
        &path("coffee.mpk"),
        "--json",
    ]));
    let app = s(&packed["appId"]);
    ok(mpkit(&[
        "app",
        "create",
        "--workspace",
        &ws,
        "--app-id",
        &app,
        "--name",
        "Coffee Club",
        "--json",
    ]));
    ok(mpkit(&["version", "upload", &path("coffee.mpk"), "--json"]));
    std::env::remove_var("MPKIT_TOKEN");
    ok(mpkit(&[
        "target",
        "create",
        "--id",
        "demo.wallet",
        "--name",
        "Demo Wallet",
        "--allow",
        "request,tradePay",
        "--json",
    ]));
    std::env::set_var("MPKIT_TOKEN", s(&owner["token"]));
    let release = s(&ok(mpkit(&[
        "release",
        "start",
        "--app",
        &app,
        "--target",
        "demo.wallet",
        "--version",
        "1.0.0",
        "--json",
    ]))["id"]);

    // The check of the uploaded bundle itself (verified with the developer's
    // key), attached to the release's compatibility step.
    let d = quick_profiles(p.dir.path());
    let html = path("report.html");
    let printed = ok(mpkit(&[
        "compat",
        &path("coffee.mpk"),
        "--trust",
        &path("dev.key.pub"),
        "--profiles-dir",
        d.to_str().expect("utf-8"),
        "--profiles",
        "quick",
        "--html",
        &html,
        "--upload",
        "--release",
        &release,
        "--json",
    ]));
    assert_eq!(printed["schema"], "mpkit.compat/1");
    assert_eq!(printed["status"], "pass", "{printed}");
    assert!(std::fs::metadata(&html).is_ok());

    // The platform's release view shows exactly that report.
    let status = ok(mpkit(&[
        "release",
        "status",
        "--release",
        &release,
        "--json",
    ]));
    assert_eq!(status["state"], "tested", "{status}");
    assert_eq!(status["compatReport"], printed);
    let client =
        mpkit_platform_client::Client::new(&p.base, Some(s(&owner["token"]))).expect("client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let view = rt.block_on(client.release(&release)).expect("GET release");
    assert_eq!(view.compat_report.as_ref(), Some(&printed));
    let human = mpkit(&["release", "status", "--release", &release]);
    assert!(
        human
            .out
            .contains("report:    attached (mpkit.compat/1: pass)"),
        "{}",
        human.out
    );
    std::env::remove_var("MPKIT_TOKEN");
}
