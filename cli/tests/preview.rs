//! `mpkit preview` as a user runs it: the real binary, a real WebKitGTK window
//! under the test command's Xvfb, and the PNG it writes. Hostile and broken
//! inputs each end with their own error code and no PNG.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-app/miniprogram")
}

fn preview(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .arg("preview")
        .args(args)
        .env("MPKIT_LOG", "error")
        .output()
        .expect("run mpkit")
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// The stable code of a `--json` failure (`{"ok": false, "error": {"code"...}}`).
fn error_code(o: &Output) -> String {
    let v = json_of(o);
    assert_eq!(v["ok"], false, "{v}");
    v["error"]["code"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn screenshot_of_the_sample_on_a_device_profile() {
    let t = tempfile::tempdir().expect("tempdir");
    let png = t.path().join("coffee.png");
    let s = sample();
    let o = preview(&[
        s.to_str().expect("utf-8"),
        "--device",
        "pixel-8",
        "--screenshot",
        png.to_str().expect("utf-8"),
        "--exit-after-render",
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json_of(&o);
    assert_eq!(v["width"], 412, "{v}");
    assert_eq!(v["height"], 915, "{v}");
    assert!(v["colours"].as_u64().unwrap_or(0) >= 8, "blank? {v}");
    assert!(v["firstPaintMs"].as_f64().unwrap_or(0.0) > 0.0, "{v}");
    let facts = mpkit_webview::describe_png(&png).expect("a PNG");
    assert_eq!((facts.width, facts.height), (412, 915));
    assert!(facts.colours >= 8, "{facts:?}");
}

#[test]
fn a_broken_page_is_an_error_with_its_file_and_line() {
    let t = tempfile::tempdir().expect("tempdir");
    let app = t.path().join("broken");
    std::fs::create_dir_all(app.join("pages/index")).expect("mkdir");
    std::fs::write(
        app.join("app.json"),
        r#"{"appId": "3000000000000002", "name": "Broken", "version": "1.0.0", "minHostVersion": "0.1.0", "pages": ["pages/index/index"]}"#,
    )
    .expect("write");
    std::fs::write(app.join("app.js"), "App({});").expect("write");
    std::fs::write(
        app.join("pages/index/index.axml"),
        "<view>\n  <text>{{ a + }}</text>\n</view>",
    )
    .expect("write");
    std::fs::write(app.join("pages/index/index.js"), "Page({});").expect("write");
    let png = t.path().join("broken.png");
    let o = preview(&[
        app.to_str().expect("utf-8"),
        "--screenshot",
        png.to_str().expect("utf-8"),
        "--exit-after-render",
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(error_code(&o), "page_error");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("pages/index/index.axml:2"), "{err}");
    // The screenshot shows the overlay, so the developer sees what broke.
    assert!(png.is_file());
}

#[test]
fn hostile_and_wrong_inputs_write_nothing() {
    let t = tempfile::tempdir().expect("tempdir");
    let png = t.path().join("never.png");
    let s = sample();
    let sample = s.to_str().expect("utf-8");
    let out = png.to_str().expect("utf-8");

    let o = preview(&[
        sample,
        "--device",
        "nokia-3310",
        "--screenshot",
        out,
        "--exit-after-render",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(error_code(&o), "unknown_device");

    let missing = t.path().join("nope");
    let o = preview(&[
        missing.to_str().expect("utf-8"),
        "--screenshot",
        out,
        "--exit-after-render",
        "--json",
    ]);
    assert_eq!(error_code(&o), "bad_input");

    // A bundle without trust is refused before any window opens.
    let bundle = t.path().join("app.mpk");
    std::fs::write(&bundle, b"PK\x03\x04 not really").expect("write");
    let o = preview(&[
        bundle.to_str().expect("utf-8"),
        "--screenshot",
        out,
        "--exit-after-render",
        "--json",
    ]);
    assert_eq!(error_code(&o), "bad_input");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("needs --trust"), "{err}");

    // No display: a clear error, not a crash.
    let o = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args([
            "preview",
            sample,
            "--screenshot",
            out,
            "--exit-after-render",
            "--json",
        ])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run mpkit");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(error_code(&o), "no_display");

    // --exit-after-render without a screenshot is a usage error.
    let o = preview(&[sample, "--exit-after-render"]);
    assert_eq!(o.status.code(), Some(2));

    assert!(!png.exists(), "a PNG was written");
}

#[test]
fn compat_screenshots_every_page_per_profile_and_fails_a_blank_one() {
    let t = tempfile::tempdir().expect("tempdir");
    let shots = t.path().join("shots");
    let s = sample();
    let o = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args([
            "compat",
            s.to_str().expect("utf-8"),
            "--profiles",
            "android-10-lowend,ios-17-iphone15",
            "--screenshots",
            shots.to_str().expect("utf-8"),
            "--html",
            t.path().join("report.html").to_str().expect("utf-8"),
            "--json",
        ])
        .env("MPKIT_LOG", "error")
        .output()
        .expect("run mpkit");
    let v = json_of(&o);
    assert_eq!(v["visual"]["available"], true, "{v}");
    let list = v["visual"]["shots"].as_array().expect("shots");
    let pages = v["app"]["pages"].as_array().expect("pages").len();
    assert_eq!(list.len(), pages * 2, "{v}");
    for shot in list {
        let file = PathBuf::from(shot["file"].as_str().expect("file"));
        let facts = mpkit_webview::describe_png(&file).expect("a PNG");
        assert!(facts.colours > 1, "{shot}");
        if shot["profile"] == "android-10-lowend" {
            assert_eq!(shot["screen"], "360x640", "{shot}");
            assert_eq!((facts.width, facts.height), (360, 640));
        }
    }
    assert!(shots
        .join("ios-17-iphone15")
        .join("pages-index-index.png")
        .is_file());
    // The HTML report is self-contained: every screenshot is embedded.
    let html = std::fs::read_to_string(t.path().join("report.html")).expect("html");
    assert_eq!(
        html.matches("src=\"data:image/png;base64,iVBORw0KGgo")
            .count(),
        pages * 2
    );
    assert!(
        !v["profiles"]
            .as_array()
            .expect("profiles")
            .iter()
            .flat_map(|p| p["problems"].as_array().cloned().unwrap_or_default())
            .any(|p| p["kind"] == "blank-page"),
        "{v}"
    );

    // A page that renders nothing fails its profile.
    let app = t.path().join("blank");
    std::fs::create_dir_all(app.join("pages/index")).expect("mkdir");
    std::fs::write(
        app.join("app.json"),
        r#"{"appId": "3000000000000004", "name": "Blank", "version": "1.0.0", "minHostVersion": "0.1.0", "pages": ["pages/index/index"]}"#,
    )
    .expect("write");
    std::fs::write(app.join("app.js"), "App({});").expect("write");
    std::fs::write(
        app.join("pages/index/index.axml"),
        "<view a:if=\"{{show}}\">hidden</view>",
    )
    .expect("write");
    std::fs::write(
        app.join("pages/index/index.js"),
        "Page({ data: { show: false } });",
    )
    .expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args([
            "compat",
            app.to_str().expect("utf-8"),
            "--profiles",
            "ios-17-iphone15",
            "--screenshots",
            t.path().join("blank-shots").to_str().expect("utf-8"),
            "--json",
        ])
        .env("MPKIT_LOG", "error")
        .output()
        .expect("run mpkit");
    assert_eq!(o.status.code(), Some(1));
    let v = json_of(&o);
    let problems = v["profiles"][0]["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["kind"] == "blank-page" && p["page"] == "pages/index/index"),
        "{v}"
    );
    assert_eq!(v["profiles"][0]["status"], "fail");
}

/// The directory is watched: an edit reloads the window, on the route it
/// was on, without the developer doing anything.
#[test]
fn an_edit_to_the_directory_reloads_the_window() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("tmp");
    let app = dir.path().join("app");
    copy_dir(&sample(), &app);
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .arg("preview")
        .arg(&app)
        .env("MPKIT_LOG", "mpkit=info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run mpkit preview");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    // Let the first page open, then edit a page the way an editor saves.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let page = app.join("pages/index/index.axml");
    let text = std::fs::read_to_string(&page).expect("read");
    std::fs::write(&page, format!("{text}\n<text>edited</text>\n")).expect("write");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut seen = Vec::new();
    let reloaded = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("reloaded") => break Some(line),
            Ok(line) => seen.push(line),
            Err(_) => break None,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let line = reloaded.unwrap_or_else(|| panic!("no reload; stderr:\n{}", seen.join("\n")));
    assert!(line.contains("\"pages/index/index\""), "{line}");
    assert!(
        seen.iter().any(|l| l.contains("changed: reloading")),
        "{}",
        seen.join("\n")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// The mini program's console shows on stderr while it is previewed, each
/// line tagged with its level and escaped; --quiet hides it.
#[test]
fn preview_shows_the_console() {
    let t = tempfile::tempdir().expect("tempdir");
    let app = t.path().join("chatty");
    std::fs::create_dir_all(app.join("pages/index")).expect("mkdir");
    std::fs::write(
        app.join("app.json"),
        r#"{"appId": "3000000000000032", "name": "Chatty", "version": "1.0.0", "minHostVersion": "0.1.0", "pages": ["pages/index/index"]}"#,
    )
    .expect("write");
    std::fs::write(
        app.join("app.js"),
        "App({ onLaunch() { console.log('launched'); } });",
    )
    .expect("write");
    std::fs::write(app.join("pages/index/index.axml"), "<view>hi</view>").expect("write");
    std::fs::write(
        app.join("pages/index/index.js"),
        "Page({ onLoad() { console.warn('loaded \\u001b[2J'); } });",
    )
    .expect("write");
    let png = t.path().join("chatty.png");
    let args = [
        app.to_str().expect("utf-8"),
        "--screenshot",
        png.to_str().expect("utf-8"),
        "--exit-after-render",
    ];
    let o = preview(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("[info] launched\n"), "{err}");
    assert!(err.contains("[warn] loaded \\u{1b}[2J\n"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");

    let mut quiet = args.to_vec();
    quiet.push("--quiet");
    let o = preview(&quiet);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("launched") && !err.contains("loaded"),
        "{err}"
    );
}
