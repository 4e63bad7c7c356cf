//! `mpkit run`: a mini program driven headless by a script, as a developer or CI runs it.
//! These run in-process, so the logic layer runs on a thread; cli/tests/isolation.rs
//! drives the real binary with worker processes.

use mpkit_testkit::mpkit;
use std::path::PathBuf;

/// A fixture's path, as an argument.
fn fixture(name: &str) -> String {
    mpkit_testkit::fixture(name).to_string_lossy().into_owned()
}

/// A copy of some of the counter fixture's files in `app`, with `files`
/// written over them: a mini program directory to break on purpose.
fn counter_app(app: &std::path::Path, entries: &[&str], files: &[(&str, &str)]) {
    let from = PathBuf::from(fixture("counter"));
    for entry in entries {
        let to = app.join(entry);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(from.join(entry), &to).expect("copy");
    }
    for (name, text) in files {
        let to = app.join(name);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::write(&to, text).expect("write");
    }
}

/// `mpkit run APP --headless --isolation thread --script SCRIPT --json`.
fn run_json(app: &str, script: &str) -> mpkit_testkit::Run {
    mpkit([
        "run",
        app,
        "--headless",
        "--isolation",
        "thread",
        "--script",
        script,
        "--json",
    ])
}

fn steps(dir: &tempfile::TempDir, json: &str) -> String {
    let p = dir.path().join("steps.json");
    std::fs::write(&p, json).expect("write steps");
    p.to_string_lossy().into_owned()
}

#[test]
fn scripted_run_reports_route_stack_html_and_steps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = steps(
        &dir,
        r##"[{"tap": "#inc"}, {"tap": "#inc"}, {"expect_text": {"selector": "#count", "text": "2"}},
            {"input": {"selector": "#name", "value": "Ann"}}, {"expect_text": {"selector": "#greeting", "text": "Hello, Ann!"}},
            {"tap": "#later"}, {"wait_for": "#ready"},
            {"tap": ".row[data-id=b]"}, {"expect_text": {"selector": "#which", "text": "Detail b"}},
            {"expect_text": {"selector": "#launches", "text": "1"}}]"##,
    );
    let r = run_json(&fixture("counter"), &script);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(v["route"], "pages/detail/detail");
    assert_eq!(
        v["stack"],
        serde_json::json!(["pages/index/index", "pages/detail/detail"])
    );
    assert!(v["html"].as_str().expect("html").contains("Detail b"));
    assert_eq!(v["steps"].as_array().expect("steps").len(), 10);
    assert!(v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .all(|s| s["ok"] == true));
    assert_eq!(v["jsapi_calls"][0]["api"], "navigateTo");
    assert_eq!(v["errors"], serde_json::json!([]));
}

#[test]
fn failing_step_exits_1_with_one_json_object() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = steps(
        &dir,
        r##"[{"expect_text": {"selector": "#count", "text": "99"}}, {"tap": "#inc"}]"##,
    );
    let r = run_json(&fixture("counter"), &script);
    assert_eq!(r.code, 1);
    let v = r.json();
    let steps = v["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 1, "the run stops at the failing step");
    assert_eq!(steps[0]["ok"], false);
    assert!(steps[0]["message"]
        .as_str()
        .expect("msg")
        .contains("expected it to contain \"99\""));
}

/// An event step whose type is no event's, or whose selector matches
/// nothing, fails there with what is wrong, and the steps after it do not run.
#[test]
fn an_event_step_of_an_unknown_type_or_element_fails_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (json, said) in [
        (
            r##"[{"event": {"selector": "#inc", "type": "click"}}, {"tap": "#inc"}]"##,
            "\"click\" is not an event type",
        ),
        (
            r##"[{"touch": {"selector": "#nothing-here", "points": [[1, 2]]}}, {"tap": "#inc"}]"##,
            "no element matches \"#nothing-here\"",
        ),
    ] {
        let script = steps(&dir, json);
        let r = run_json(&fixture("counter"), &script);
        assert_eq!(r.code, 1, "{}", r.stdout);
        let v = r.json();
        let steps = v["steps"].as_array().expect("steps");
        assert_eq!(steps.len(), 1, "the run stops at the failing step");
        assert!(
            steps[0]["message"].as_str().expect("msg").contains(said),
            "{steps:?}"
        );
        assert!(
            v["html"].as_str().expect("html").contains(">0<"),
            "nothing was tapped"
        );
    }
}

#[test]
fn script_errors_are_reported_with_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app");
    counter_app(
        &app,
        &[
            "app.json",
            "app.js",
            "pages/index/index.axml",
            "pages/detail/detail.axml",
            "pages/detail/detail.js",
        ],
        &[(
            "pages/index/index.js",
            "Page({\n  inc() {\n    const o = null;\n    if (!o) throw new TypeError('no order');\n  }\n});",
        )],
    );
    let script = steps(&dir, r##"[{"tap": "#inc"}]"##);
    let r = run_json(app.to_str().expect("utf8"), &script);
    assert_eq!(r.code, 1);
    let v = r.json();
    let e = &v["errors"][0];
    assert_eq!(e["file"], "pages/index/index.js");
    assert_eq!(e["line"], 4);
    assert!(e["column"].as_u64().expect("col") > 0);
    assert!(
        e["message"].as_str().expect("msg").contains("TypeError"),
        "{e}"
    );
}

#[test]
fn run_needs_headless_and_trust_for_bundles() {
    let r = mpkit(["run", &fixture("counter")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--headless"));
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("x.mpk");
    std::fs::write(&bundle, b"not a bundle").expect("write");
    let r = mpkit(["run", bundle.to_str().expect("utf8"), "--headless"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--trust"), "{}", r.stderr);
}

#[test]
fn bad_script_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = steps(&dir, r##"[{"fly": "#inc"}]"##);
    let r = mpkit([
        "run",
        &fixture("counter"),
        "--headless",
        "--isolation",
        "thread",
        "--script",
        &script,
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("steps must be a JSON array"),
        "{}",
        r.stderr
    );
}

/// The runtime issue's bad inputs, each through `mpkit run --json`: nothing
/// crashes, the exit code is 1, the error names its file, line and column,
/// and the page's HTML carries the error state. (A page file missing from a
/// directory is refused when it is packed, below; in an installed bundle it
/// cannot happen, since verification checks every page's files, and the
/// runtime's own error state for it is tested in `host`.)
#[test]
fn every_bad_input_is_reported_with_its_position_and_shown_on_the_page() {
    struct Case {
        name: &'static str,
        files: &'static [(&'static str, &'static str)],
        steps: &'static str,
        file: &'static str,
        line: u64,
        column: Option<u64>,
    }
    let cases = [
        Case {
            name: "AXML syntax error",
            files: &[("pages/index/index.axml", "<view>\n  <text>{{ oops }</text>\n</view>")],
            steps: "[]",
            file: "pages/index/index.axml",
            line: 2,
            column: None,
        },
        Case {
            name: "unknown component",
            files: &[("pages/index/index.axml", "<view>\n  <marquee>hi</marquee>\n</view>")],
            steps: "[]",
            file: "pages/index/index.axml",
            line: 2,
            column: Some(3),
        },
        Case {
            name: "JS syntax error",
            files: &[("pages/index/index.js", "Page({\n  inc() {\n    return ;;\n  }\n  broken(\n});")],
            steps: "[]",
            file: "pages/index/index.js",
            line: 5,
            column: None,
        },
        Case {
            name: "throw in onLoad",
            files: &[("pages/index/index.js", "Page({\n  data: { count: 0 },\n  onLoad() {\n    throw new Error('load failed');\n  }\n});")],
            steps: "[]",
            file: "pages/index/index.js",
            line: 4,
            column: None,
        },
        Case {
            name: "handler that does not exist",
            files: &[
                ("pages/index/index.axml", "<view>\n  <button id=\"inc\" onTap=\"noSuch\">x</button>\n</view>"),
                ("pages/index/index.js", "Page({});"),
            ],
            steps: r##"[{"tap": "#inc"}]"##,
            file: "pages/index/index.axml",
            line: 2,
            column: Some(20),
        },
        Case {
            name: "navigating to a page not in app.json",
            files: &[
                ("pages/index/index.axml", r#"<button id="inc" onTap="inc">go</button>"#),
                ("pages/index/index.js", "Page({\n  inc() {\n    my.navigateTo({ url: '/pages/ghost/ghost' });\n  }\n});"),
            ],
            steps: r##"[{"tap": "#inc"}]"##,
            file: "pages/index/index.js",
            line: 3,
            column: None,
        },
    ];
    for case in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = dir.path().join("app");
        counter_app(
            &app,
            &[
                "app.json",
                "app.js",
                "pages/index/index.axml",
                "pages/index/index.js",
                "pages/detail/detail.axml",
                "pages/detail/detail.js",
            ],
            case.files,
        );
        let script = steps(&dir, case.steps);
        let r = run_json(app.to_str().expect("utf8"), &script);
        assert_eq!(r.code, 1, "{}: {}", case.name, r.stderr);
        let v = r.json();
        let errors = v["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: {v} {}", case.name, r.stderr));
        let e = errors
            .iter()
            .find(|e| e["file"] == case.file)
            .unwrap_or_else(|| panic!("{}: no error in {}: {v}", case.name, case.file));
        assert_eq!(e["line"], case.line, "{}: {e}", case.name);
        let column = e["column"].as_u64().expect("column");
        match case.column {
            Some(c) => assert_eq!(column, c, "{}: {e}", case.name),
            None => assert!(column > 0, "{}: {e}", case.name),
        }
        let html = v["html"].as_str().expect("html");
        let shown = format!("<error file=\"{}\" line=\"{}\"", case.file, case.line);
        assert!(html.contains(&shown), "{}: {html}", case.name);
    }
}

#[test]
fn a_page_file_missing_from_a_directory_is_refused_when_it_is_packed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app");
    counter_app(
        &app,
        &[
            "app.json",
            "app.js",
            "pages/index/index.axml",
            "pages/index/index.js",
        ],
        &[],
    );
    let r = mpkit(["run", app.to_str().expect("utf8"), "--headless", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["error"]["code"], "invalid_manifest", "{v}");
    let message = v["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("page \"pages/detail/detail\" has no pages/detail/detail.axml"),
        "{message}"
    );
}

/// A signed bundle runs with `--trust`, and the `back` step pops pages; a
/// bundle signed by another key is refused before anything runs.
#[test]
fn a_signed_bundle_runs_with_its_key_and_back_pops_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (key, other, bundle) = (s("dev.key"), s("other.key"), s("counter.mpk"));
    assert_eq!(mpkit(["keygen", "--out", &key]).code, 0);
    assert_eq!(mpkit(["keygen", "--out", &other]).code, 0);
    let r = mpkit(["pack", &fixture("counter"), "--key", &key, "--out", &bundle]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let script = steps(
        &dir,
        r##"[{"tap": "#inc"}, {"tap": ".row[data-id=a]"}, {"expect_text": {"selector": "#which", "text": "Detail a"}},
            {"back": 1}, {"expect_text": {"selector": "#count", "text": "1"}}, {"back": 5}]"##,
    );
    let run = |trust: &str| {
        mpkit([
            "run",
            &bundle,
            "--headless",
            "--isolation",
            "thread",
            "--trust",
            trust,
            "--script",
            &script,
            "--json",
        ])
    };
    let r = run(&format!("{key}.pub"));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(v["route"], "pages/index/index");
    // Back never pops the last page.
    assert_eq!(v["stack"], serde_json::json!(["pages/index/index"]));
    assert_eq!(v["steps"].as_array().expect("steps").len(), 6);
    assert!(
        v["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["ok"] == true),
        "{v}"
    );
    let r = run(&format!("{other}.pub"));
    assert_eq!(r.code, 1);
    let v = r.json();
    assert_eq!(v["ok"], false, "{v}");
    assert!(v.get("steps").is_none(), "nothing ran: {v}");
}
