//! Mini programs written the way real ones are (tests/corpus/: no identity
//! in app.json, modules of both kinds, npm packages, mini.project.json,
//! subpackages, lenient templates, `my` as a plain object), each run by the
//! real `mpkit` binary in both isolation modes with its steps, and checked
//! by `mpkit compat`. Hostile projects are refused with their reason.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/corpus")
        .join(name)
}

struct Out {
    code: Option<i32>,
    json: Value,
    stderr: String,
}

fn mpkit(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args(args)
        .output()
        .expect("run mpkit");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    Out {
        code: out.status.code(),
        json,
        stderr,
    }
}

fn run_dir(dir: &Path, isolation: &str) -> Out {
    run_dir_with(dir, isolation, &[])
}

fn run_dir_with(dir: &Path, isolation: &str, extra: &[&str]) -> Out {
    let steps = dir.join("steps.json");
    let dir = dir.to_string_lossy();
    let steps = steps.to_string_lossy();
    let mut args = vec![
        "run",
        &dir,
        "--headless",
        "--json",
        "--isolation",
        isolation,
        "--script",
        &steps,
    ];
    args.extend_from_slice(extra);
    mpkit(&args)
}

/// Runs `name` in both modes; every step passes, nothing is uncaught, and
/// each of `warned` (kind, text) is among its warnings. Returns the warnings.
fn passes(name: &str, warned: &[(&str, &str)]) -> Vec<Value> {
    passes_with(name, warned, &[])
}

fn passes_with(name: &str, warned: &[(&str, &str)], extra: &[&str]) -> Vec<Value> {
    let mut last = Vec::new();
    for isolation in ["process", "thread"] {
        let r = run_dir_with(&corpus(name), isolation, extra);
        assert_eq!(
            r.code,
            Some(0),
            "{name} ({isolation}): {:#}\n{}",
            r.json,
            r.stderr
        );
        assert_eq!(
            r.json["errors"],
            serde_json::json!([]),
            "{name} ({isolation})"
        );
        let steps = r.json["steps"].as_array().expect("steps");
        assert!(
            !steps.is_empty() && steps.iter().all(|s| s["ok"] == true),
            "{name} ({isolation}): {steps:?}"
        );
        let warnings = r.json["warnings"].as_array().expect("warnings").clone();
        for (kind, text) in warned {
            assert!(
                warnings.iter().any(|w| w["kind"] == *kind
                    && w["message"].as_str().is_some_and(|m| m.contains(text))),
                "{name} ({isolation}): no {kind} warning with {text:?} in {warnings:#?}"
            );
        }
        // The identity came from the folder, and was said once.
        assert_eq!(
            r.stderr.matches("development identity: dev.").count(),
            1,
            "{}",
            r.stderr
        );
        last = warnings;
    }
    // And `mpkit compat` finds nothing that fails.
    let dir = corpus(name);
    let c = mpkit(&[
        "compat",
        &dir.to_string_lossy(),
        "--profiles",
        "ios-17-iphone15",
        "--json",
    ]);
    assert_eq!(c.code, Some(0), "{name}: compat {:#}", c.json);
    assert_ne!(c.json["status"], "fail", "{name}: {:#}", c.json);
    last
}

/// Whole apps of ten or more pages, each mixing what the features above
/// test alone, driven through their main flows.
#[test]
fn a_mall_of_eleven_pages_with_subpackages_npm_es_modules_and_a_recorded_backend() {
    let fixtures = corpus("app-mall").join("fixtures");
    let net = format!("fixtures={}", fixtures.display());
    let w = passes_with(
        "app-mall",
        &[
            ("rejection", "request failed: 19"),
            ("view", "unquoted attribute value for \"a:for\""),
            ("network", "my.request reached https://api.mall.example"),
        ],
        &["--net", &net],
    );
    assert!(!w
        .iter()
        .any(|w| w["message"].as_str().is_some_and(|m| m.contains("eslint"))));
}

#[test]
fn a_news_app_of_ten_pages_ported_from_wechat() {
    passes(
        "app-news",
        &[
            ("module", "bare specifier 'utils/util'"),
            ("view", "<view> is never closed"),
        ],
    );
}

#[test]
fn framework_output_of_ten_pages_registers_chunks_on_my() {
    let w = passes("app-framework", &[]);
    assert!(w.is_empty(), "{w:#?}");
}

#[test]
fn commonjs_modules_one_registry_cycles_json_and_retries() {
    let w = passes("modules-cjs", &[]);
    assert!(w.is_empty(), "{w:#?}");
}

#[test]
fn es_modules_with_babel_interop_and_npm_packages() {
    passes("modules-esm", &[]);
}

#[test]
fn project_layout_miniprogram_root_subpackages_and_app_json_tolerance() {
    passes(
        "project-layout",
        &[("project", "unknown field \"someNewAlipayField\"")],
    );
}

#[test]
fn my_is_a_plain_object_and_rejections_are_warnings() {
    passes("my-object", &[("rejection", "Error: nobody listens")]);
}

#[test]
fn lenient_templates_render_with_warnings_that_say_where() {
    let w = passes(
        "lenient-templates",
        &[
            ("view", "unquoted attribute value for \"a:for\""),
            ("view", "unknown directive \"a:index\""),
            ("view", "<view> is never closed"),
            ("view", "@import \"../../missing.wxss\": no such file"),
        ],
    );
    let unquoted = w
        .iter()
        .find(|w| w["message"] == "unquoted attribute value for \"a:for\"")
        .expect("warning");
    assert_eq!(
        (&unquoted["file"], &unquoted["line"], &unquoted["column"]),
        (
            &Value::from("pages/index/index.axml"),
            &Value::from(2),
            &Value::from(15)
        )
    );
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
}

/// A fresh developer key made by `mpkit keygen`: its folder (kept alive by
/// the caller) and the key file's path.
fn dev_key() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let k = dir.path().join("dev.key").to_string_lossy().into_owned();
    let made = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args(["keygen", "--out", &k])
        .output()
        .expect("keygen");
    assert!(made.status.success(), "{made:?}");
    (dir, k)
}

const PAGE: (&str, &str) = ("pages/a/a.axml", "<text id=\"t\">{{t}}</text>");

#[test]
fn module_errors_name_the_module_file_line_and_column() {
    for isolation in ["process", "thread"] {
        let t = tempfile::tempdir().expect("tempdir");
        write(
            t.path(),
            &[
                ("app.json", r#"{"pages":["pages/a/a","pages/b/b"]}"#),
                PAGE,
                (
                    "pages/a/a.js",
                    "const u = require('../../utils/bad');\nPage({});",
                ),
                (
                    "utils/bad.js",
                    "// fine\nconst x = 1;\nthrow new Error('util broke');\n",
                ),
                ("pages/b/b.axml", "<text>b</text>"),
                (
                    "pages/b/b.js",
                    "import { x } from '../../utils/syntax';\nPage({});",
                ),
                (
                    "utils/syntax.js",
                    "export const x = 1;\nexport const y = (;\n",
                ),
                ("steps.json", "[]"),
            ],
        );
        let r = run_dir(t.path(), isolation);
        assert_eq!(r.code, Some(1), "{:#}", r.json);
        let errors = r.json["errors"].as_array().expect("errors");
        let thrown = errors
            .iter()
            .find(|e| {
                e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("util broke"))
            })
            .unwrap_or_else(|| panic!("{errors:#?}"));
        assert_eq!(
            (&thrown["file"], &thrown["line"]),
            (&Value::from("utils/bad.js"), &Value::from(3)),
            "{isolation}: {thrown:#}"
        );
        let syntax = errors
            .iter()
            .find(|e| e["kind"] == "syntax")
            .unwrap_or_else(|| panic!("{errors:#?}"));
        assert_eq!(
            (&syntax["file"], &syntax["line"]),
            (&Value::from("utils/syntax.js"), &Value::from(2)),
            "{isolation}: {syntax:#}"
        );
    }
}

#[test]
fn hostile_projects_are_refused_and_nothing_is_written() {
    let (_key_dir, k) = dev_key();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("mini.project.json", r#"{"miniprogramRoot":"../outside"}"#)],
            "leaves the project",
        ),
        (
            &[(
                "mini.project.json",
                r#"{"compileType":"plugin","pluginRoot":"plugin"}"#,
            )],
            "plugin project",
        ),
        (
            &[("app.json", r#"{"pages":["pages/a/a"]}"#)],
            "no appId: pass --app-id or add mpkit.json",
        ),
        (
            &[
                ("app.json", r#"{"pages":["pages/a/a"]}"#),
                ("mpkit.json", r#"{"appId":"x.y","signingKey":"nope"}"#),
            ],
            "unknown field `signingKey`",
        ),
        (
            &[
                ("app.json", r#"{"pages":["pages/a/a"]}"#),
                PAGE,
                (
                    "mpkit.json",
                    r#"{"appId":"x.y","permissions":{"jsapi":["request"],"domains":{"request":["*.co.uk"]}}}"#,
                ),
            ],
            "covers a public suffix",
        ),
        (&[("app.json", r#"{"pages":["../../etc/passwd"]}"#)], "page"),
    ];
    for (files, want) in cases {
        let t = tempfile::tempdir().expect("tempdir");
        write(t.path(), files);
        let out = t.path().join("out.mpk");
        let r = mpkit(&[
            "pack",
            &t.path().to_string_lossy(),
            "--key",
            &k,
            "--out",
            &out.to_string_lossy(),
            "--json",
        ]);
        assert_eq!(r.code, Some(1), "{files:?}: {:#}", r.json);
        let message = r.json["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(want), "{files:?}: {:#}", r.json);
        assert!(!out.exists(), "nothing is written for {files:?}");
    }
    // With --app-id the same Alipay project packs, and says what it stamped.
    let t = tempfile::tempdir().expect("tempdir");
    write(
        t.path(),
        &[
            (
                "app.json",
                r#"{"pages":["pages/a/a"],"subPackages":[{"root":"s","pages":["p/p"]}]}"#,
            ),
            PAGE,
            ("s/p/p.axml", "<text>sub</text>"),
        ],
    );
    let out = t.path().join("out.mpk");
    let r = mpkit(&[
        "pack",
        &t.path().to_string_lossy(),
        "--key",
        &k,
        "--out",
        &out.to_string_lossy(),
        "--app-id",
        "2021000000000001",
        "--version",
        "1.2.3",
        "--json",
    ]);
    assert_eq!(r.code, Some(0), "{:#}\n{}", r.json, r.stderr);
    assert_eq!(r.json["appId"], "2021000000000001");
    assert_eq!(r.json["version"], "1.2.3");
    assert_eq!(r.json["pages"], serde_json::json!(["pages/a/a", "s/p/p"]));
}

#[test]
fn a_require_that_leaves_the_package_or_names_a_plugin_is_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    write(
        t.path(),
        &[
            ("app.json", r#"{"pages":["pages/a/a"]}"#),
            PAGE,
            (
                "pages/a/a.js",
                "const out = [];\nfor (const s of ['../../../../etc/passwd', 'plugin://p/x', 'fs', '/missing']) {\n  try { require(s); out.push('loaded ' + s); } catch (e) { out.push(e.code + ' ' + e.message); }\n}\nPage({ data: { t: out.join(' | ') } });",
            ),
            ("steps.json", "[]"),
        ],
    );
    let r = run_dir(t.path(), "process");
    assert_eq!(r.code, Some(0), "{:#}", r.json);
    let html = r.json["html"].as_str().expect("html");
    for want in [
        "MODULE_NOT_FOUND Cannot find module &#39;../../../../etc/passwd&#39; from &#39;pages/a/a.js&#39;: it leaves the package",
        "plugins are not supported",
        "Cannot find module &#39;fs&#39;",
        "Cannot find module &#39;/missing&#39;",
    ] {
        assert!(
            html.contains(want) || html.contains(&want.replace("&#39;", "'")),
            "{want}: {html}"
        );
    }
    assert!(!html.contains("loaded"), "{html}");
}

#[test]
fn new_projects_run_at_once_and_an_existing_folder_is_left_alone() {
    let t = tempfile::tempdir().expect("tempdir");
    for template in ["blank", "tabs", "components"] {
        let dir = t.path().join(format!("My {template} app"));
        let d = dir.to_string_lossy().into_owned();
        let made = mpkit(&["new", &d, "--template", template, "--json"]);
        assert_eq!(made.code, Some(0), "{:#}\n{}", made.json, made.stderr);
        assert_eq!(made.json["name"], format!("my-{template}-app"));
        // As Alipay's tools write it: no identity in app.json.
        let app: Value =
            serde_json::from_slice(&std::fs::read(dir.join("app.json")).expect("app.json"))
                .expect("json");
        assert!(app.get("appId").is_none() && app.get("permissions").is_none());
        assert!(dir.join("mini.project.json").is_file());
        let steps = dir.join("steps.json");
        let script = match template {
            "blank" => {
                r##"[{"tap": "#tap"}, {"expect_text": {"selector": "#tap", "text": "Tapped 1 times"}}]"##
            }
            "tabs" => {
                r##"[{"tap": ".row[data-id=b]"}, {"expect_text": {"selector": ".detail", "text": "Item b"}}]"##
            }
            _ => {
                r##"[{"expect_text": {"selector": ".hint", "text": "Tap Add"}}, {"tap": ".card-add"}, {"tap": ".card-add"}, {"expect_text": {"selector": ".card-badge", "text": "4"}}, {"expect_text": {"selector": ".total", "text": "Coffee cups: 4"}}, {"expect_text": {"selector": ".page", "text": "Tea0Nothing here yet."}}]"##
            }
        };
        std::fs::write(&steps, script).expect("steps");
        for isolation in ["process", "thread"] {
            let r = run_dir(&dir, isolation);
            assert_eq!(r.code, Some(0), "{template} {isolation}: {:#}", r.json);
            assert_eq!(r.json["errors"], serde_json::json!([]));
            assert_eq!(r.json["warnings"], serde_json::json!([]), "{template}");
        }
        // Writing over it is refused, and nothing in it changes.
        let before = std::fs::read(dir.join("app.js")).expect("app.js");
        let again = mpkit(&["new", &d, "--json"]);
        assert_eq!(again.code, Some(1));
        assert!(
            again.json["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("is not empty")),
            "{:#}",
            again.json
        );
        assert_eq!(std::fs::read(dir.join("app.js")).expect("app.js"), before);
    }
    // A file in the way is refused too, and left as it was.
    let file = t.path().join("taken");
    std::fs::write(&file, "mine").expect("write");
    let r = mpkit(&["new", &file.to_string_lossy(), "--json"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "mine");
    // Nothing was left behind by the refused calls.
    let left: Vec<_> = std::fs::read_dir(t.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".mpkit-new-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `--net`: `off` fails every call as offline (error 12) before it leaves,
/// `declared` keeps a release's lists (no domain declared: refused), and the
/// default names each origin reached once, in `warnings`.
#[test]
fn the_development_network_switches() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s2 = served.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            s2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut conn, &mut buf);
            let _ = std::io::Write::write_all(
                &mut conn,
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{\"ok\":true}",
            );
        }
    });
    let t = tempfile::tempdir().expect("tempdir");
    let base = format!("http://127.0.0.1:{port}");
    write(
        t.path(),
        &[
            ("app.json", r#"{"pages":["pages/a/a"]}"#),
            PAGE,
            (
                "pages/a/a.js",
                &format!(
                    "Page({{ data: {{ t: '' }}, onLoad() {{ const self = this; let n = 0; const got = []; const done = (x) => {{ got.push(x); if (++n === 2) self.setData({{ t: got.sort().join(' ') }}); }};\n  for (const p of ['/a', '/b']) my.request({{ url: '{base}' + p, success: (r) => done('ok'), fail: (e) => done('error ' + e.error) }});\n}} }});"
                ),
            ),
            ("steps.json", r##"[{"wait_for": "#t"}, {"idle": 2000}]"##),
        ],
    );
    let dir = t.path().to_string_lossy().into_owned();
    let steps = t.path().join("steps.json").to_string_lossy().into_owned();
    let text = |extra: &[&str]| -> (Value, String) {
        let mut args = vec![
            "run",
            &dir,
            "--headless",
            "--json",
            "--script",
            &steps,
            "--dev-origin",
            &base,
        ];
        args.extend_from_slice(extra);
        let r = mpkit(&args);
        assert_eq!(r.code, Some(0), "{extra:?}: {:#}", r.json);
        let html = r.json["html"].as_str().expect("html").to_owned();
        (r.json, html)
    };
    let (v, html) = text(&[]);
    assert!(html.contains("ok ok"), "{html}");
    let network: Vec<&Value> = v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["kind"] == "network")
        .collect();
    assert_eq!(network.len(), 1, "one warning per origin: {network:?}");
    assert!(network[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains(&format!("my.request reached {base}"))));
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 2);

    let (_, html) = text(&["--net", "off"]);
    assert!(html.contains("error 12 error 12"), "{html}");
    assert_eq!(
        served.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "nothing left with --net off"
    );
}

/// Modules nest deeper than a real program needs (a chain of 150 requires),
/// and a hostile chain of 5,000 is the engine's recursion limit, reported
/// with the module it reached, in both isolation modes: the app stops
/// itself, never the host.
#[test]
fn deep_require_chains_end_in_a_limit_not_a_crash() {
    for (depth, ok) in [(150usize, true), (5_000, false)] {
        let t = tempfile::tempdir().expect("tempdir");
        let mut files: Vec<(String, String)> = vec![
            ("app.json".into(), r#"{"pages":["pages/a/a"]}"#.into()),
            (PAGE.0.into(), PAGE.1.into()),
            (
                "pages/a/a.js".into(),
                "Page({ data: { t: String(require('../../lib/m0').v) } });".into(),
            ),
            ("steps.json".into(), "[]".into()),
        ];
        for i in 0..depth {
            let next = if i + 1 < depth {
                format!("require('./m{}').v + 1", i + 1)
            } else {
                "1".into()
            };
            files.push((format!("lib/m{i}.js"), format!("exports.v = {next};\n")));
        }
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        write(t.path(), &refs);
        for isolation in ["process", "thread"] {
            let r = run_dir(t.path(), isolation);
            if ok {
                assert_eq!(r.code, Some(0), "{depth} {isolation}: {:#}", r.json);
                assert!(r.json["html"]
                    .as_str()
                    .expect("html")
                    .contains(&depth.to_string()));
            } else {
                assert_eq!(r.code, Some(1), "{depth} {isolation}: {:#}", r.json);
                let e = &r.json["errors"][0];
                assert_eq!(e["kind"], "limit", "{e:#}");
                assert!(
                    e["file"].as_str().is_some_and(|f| f.starts_with("lib/m")),
                    "{e:#}"
                );
                assert!(r.json["stopped"].is_null(), "the app itself lives on");
            }
        }
    }
}

/// `--net fixtures=DIR`: requests are answered from recorded files and
/// nothing leaves the machine: a request with no fixture is a network error
/// (12), a recorded 500 an HTTP error (19). A file that is not a fixture, or
/// a second answer to one request, is refused before anything runs.
#[test]
fn fixtures_answer_requests_and_nothing_leaves() {
    let t = tempfile::tempdir().expect("tempdir");
    let app = t.path().join("app");
    write(
        &app,
        &[
            ("app.json", r#"{"pages":["pages/a/a"]}"#),
            PAGE,
            (
                "pages/a/a.js",
                "Page({ data: { t: '' }, async onLoad() {\n  const out = [];\n  for (const u of ['https://api.shop.example/menu?city=1', 'https://api.shop.example/broken', 'https://api.gone.example/x']) {\n    try { const r = await my.request({ url: u }); out.push(r.status + ':' + JSON.stringify(r.data)); } catch (e) { out.push('error ' + e.error); }\n  }\n  const p = await my.request({ url: 'https://api.shop.example/orders', method: 'POST', data: { n: 1 } });\n  out.push(p.data);\n  this.setData({ t: out.join(' | ') });\n} });",
            ),
            ("steps.json", r##"[{"wait_for": "#t"}, {"idle": 1000}]"##),
        ],
    );
    let fixtures = t.path().join("fixtures");
    write(
        &fixtures,
        &[
            (
                "menu.json",
                r#"{"request": {"url": "https://api.shop.example/menu?city=1"}, "response": {"body": {"items": ["latte"]}}}"#,
            ),
            (
                "nested/broken.json",
                r#"{"request": {"method": "get", "url": "https://api.shop.example/broken"}, "response": {"status": 500, "body": "down"}}"#,
            ),
            (
                "orders.json",
                r#"{"request": {"method": "POST", "url": "https://api.shop.example/orders"}, "response": {"status": 201, "headers": {"content-type": "text/plain"}, "body": "\"created\""}}"#,
            ),
            ("notes.txt", "not a fixture, not read"),
        ],
    );
    let dir = app.to_string_lossy().into_owned();
    let steps = app.join("steps.json").to_string_lossy().into_owned();
    let net = format!("fixtures={}", fixtures.display());
    for isolation in ["process", "thread"] {
        let r = mpkit(&[
            "run",
            &dir,
            "--headless",
            "--json",
            "--script",
            &steps,
            "--net",
            &net,
            "--isolation",
            isolation,
        ]);
        assert_eq!(r.code, Some(0), "{:#}\n{}", r.json, r.stderr);
        let html = r.json["html"].as_str().expect("html");
        assert!(
            html.contains(
                r#"200:{&quot;items&quot;:[&quot;latte&quot;]} | error 19 | error 12 | created"#
            ) || html.contains(r#"200:{"items":["latte"]} | error 19 | error 12 | created"#),
            "{isolation}: {html}"
        );
    }
    // Hostile fixture folders are refused, naming the file.
    for (name, text, want) in [
        ("bad.json", "{", "not a fixture"),
        (
            "extra.json",
            r#"{"request": {"url": "https://a.example/"}, "response": {}, "secret": 1}"#,
            "unknown field",
        ),
        (
            "status.json",
            r#"{"request": {"url": "https://a.example/"}, "response": {"status": 42}}"#,
            "not an HTTP status",
        ),
        (
            "url.json",
            r#"{"request": {"url": "not a url"}, "response": {}}"#,
            "request.url",
        ),
    ] {
        let f = t.path().join(format!("hostile-{name}"));
        write(&f, &[(name, text)]);
        let r = mpkit(&[
            "run",
            &dir,
            "--headless",
            "--json",
            "--net",
            &format!("fixtures={}", f.display()),
        ]);
        assert_eq!(r.code, Some(1), "{name}: {:#}", r.json);
        let m = r.json["error"]["message"].as_str().unwrap_or_default();
        assert!(m.contains(name) && m.contains(want), "{name}: {m}");
    }
    let twice = t.path().join("twice");
    write(
        &twice,
        &[
            (
                "a.json",
                r#"{"request": {"url": "https://a.example/x"}, "response": {}}"#,
            ),
            (
                "b.json",
                r#"{"request": {"method": "GET", "url": "https://a.example/x"}, "response": {}}"#,
            ),
        ],
    );
    let r = mpkit(&[
        "run",
        &dir,
        "--headless",
        "--json",
        "--net",
        &format!("fixtures={}", twice.display()),
    ]);
    assert_eq!(r.code, Some(1));
    assert!(r.json["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("a second answer"));
}

/// TypeScript pages, app and modules (enums, namespaces, parameter
/// properties, type-only imports, `satisfies`), a CommonJS file requiring a
/// compiled module, an npm package shipping `.ts` and `.d.ts` beside its
/// JavaScript: compiled when packed, run in both modes, checked by compat.
#[test]
fn typescript_pages_and_modules_run_as_alipay_compiles_them() {
    passes("typescript", &[]);
    // The bundle holds the compiled JavaScript and its maps, never the
    // TypeScript, the declarations or tsconfig.json.
    let (key_dir, k) = dev_key();
    let out = key_dir.path().join("ts.mpk");
    let r = mpkit(&[
        "pack",
        &corpus("typescript").to_string_lossy(),
        "--key",
        &k,
        "--out",
        &out.to_string_lossy(),
        "--app-id",
        "2021000000000077",
        "--json",
    ]);
    assert_eq!(r.code, Some(0), "{:#}\n{}", r.json, r.stderr);
    let listed = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args(["inspect", &out.to_string_lossy(), "--json"])
        .output()
        .expect("inspect");
    let listed: Value = serde_json::from_slice(&listed.stdout).expect("inspect json");
    let files: Vec<&str> = listed["manifest"]["files"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed:#}"))
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for want in [
        "app.js",
        "app.js.map",
        "pages/index/index.js",
        "pages/index/index.js.map",
        "utils/levels.js",
        "utils/legacy.js",
        "node_modules/typed-lib/lib/index.js",
    ] {
        assert!(files.contains(&want), "{want} in {files:?}");
    }
    for f in &files {
        assert!(
            !f.ends_with(".ts") && *f != "tsconfig.json",
            "{f} is not packed"
        );
    }
}

/// An error in compiled TypeScript names the `.ts` file, line and column;
/// a file that does not compile is refused with its place, and nothing runs.
#[test]
fn typescript_errors_name_the_ts_file_line_and_column() {
    for isolation in ["process", "thread"] {
        let t = tempfile::tempdir().expect("tempdir");
        write(
            t.path(),
            &[
                ("app.json", r#"{"pages":["pages/a/a"]}"#),
                PAGE,
                (
                    "pages/a/a.ts",
                    "interface Order {\n  id: number;\n  lines?: string[];\n}\n\nconst order: Order = { id: 1 };\n\nPage({\n  data: { t: '' },\n  onLoad(): void {\n    const n: number = order.lines!.length;\n    this.setData({ t: String(n) });\n  },\n});\n",
                ),
                ("steps.json", "[]"),
            ],
        );
        let r = run_dir(t.path(), isolation);
        assert_eq!(r.code, Some(1), "{:#}", r.json);
        let errors = r.json["errors"].as_array().expect("errors");
        let e = errors
            .iter()
            .find(|e| e["file"] == "pages/a/a.ts")
            .unwrap_or_else(|| panic!("{isolation}: {errors:#?}"));
        assert_eq!(e["line"], 11, "{isolation}: {e:#}");
        let column = e["column"].as_u64().expect("column");
        assert!(
            (23..=36).contains(&column),
            "{isolation}: column {column} lies in `order.lines!.length`: {e:#}"
        );
    }
    // Not TypeScript: refused when packed, with the place; nothing runs.
    let (_key_dir, k) = dev_key();
    let deep = format!(
        "export const x = {}1{};\n",
        "[".repeat(1_200),
        "]".repeat(1_200)
    );
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("utils/u.ts", "export const a: number = 1;\nlet b = (;\n")],
            "cannot compile utils/u.ts:2:10: ",
        ),
        (
            &[("pages/a/a.js", "Page({});"), ("pages/a/a.ts", "Page({});")],
            "pages/a/a.ts: pages/a/a.js exists too",
        ),
        (
            &[("utils/deep.ts", deep.as_str())],
            "utils/deep.ts:1:1018: nested more than 1000 levels deep",
        ),
    ];
    for (files, want) in cases {
        let t = tempfile::tempdir().expect("tempdir");
        write(
            t.path(),
            &[("app.json", r#"{"pages":["pages/a/a"]}"#), PAGE],
        );
        write(t.path(), files);
        let out = t.path().join("out.mpk");
        let r = mpkit(&[
            "pack",
            &t.path().to_string_lossy(),
            "--key",
            &k,
            "--out",
            &out.to_string_lossy(),
            "--app-id",
            "2021000000000078",
            "--json",
        ]);
        assert_eq!(r.code, Some(1), "{files:?}: {:#}", r.json);
        let message = r.json["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(want), "{want:?} in {:#}", r.json);
        assert!(!out.exists(), "nothing is written for {files:?}");
        // `mpkit run` of the folder refuses it the same way, before any code runs.
        write(t.path(), &[("steps.json", "[]")]);
        let r = run_dir(t.path(), "thread");
        assert_ne!(r.code, Some(0), "{files:?}: {:#}", r.json);
        assert!(
            r.json.to_string().contains(want),
            "{want:?} in {:#}",
            r.json
        );
    }
}

/// Coffee Club, as Alipay's tools write it, opens a page of its `stores`
/// subpackage from the menu, and the page uses a main-package module.
#[test]
fn coffee_club_opens_its_stores_subpackage() {
    let t = tempfile::tempdir().expect("tempdir");
    let script = t.path().join("steps.json");
    std::fs::write(
        &script,
        r#"[
          {"tap": ".all-stores"},
          {"wait_for": ".store-row"},
          {"expect_text": {"selector": ".store-row[data-id=orchard] .store-row-name", "text": "Orchard"}},
          {"tap": ".store-row[data-id=tiong-bahru]"},
          {"expect_text": {"selector": ".picked-name", "text": "Tiong Bahru"}}
        ]"#,
    )
    .expect("script");
    let app = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sample-app/miniprogram");
    for isolation in ["process", "thread"] {
        let r = mpkit(&[
            "run",
            &app.to_string_lossy(),
            "--headless",
            "--json",
            "--net",
            "off",
            "--isolation",
            isolation,
            "--script",
            &script.to_string_lossy(),
        ]);
        assert_eq!(r.code, Some(0), "{isolation}: {:#}\n{}", r.json, r.stderr);
        let steps = r.json["steps"].as_array().expect("steps");
        assert!(
            steps.len() == 5 && steps.iter().all(|s| s["ok"] == true),
            "{isolation}: {steps:#?}"
        );
    }
}

/// A `my.*` call whose arguments are over 1 MB throws a `RangeError` where
/// it is made and reaches nothing; a toast or dialog text over 4,096
/// characters fails with error 2. A flood of them cannot fill the host.
#[test]
fn oversized_jsapi_arguments_are_refused_where_they_are_made() {
    for isolation in ["process", "thread"] {
        let t = tempfile::tempdir().expect("tempdir");
        write(
            t.path(),
            &[
                ("app.json", r#"{"pages":["pages/a/a"]}"#),
                (
                    "pages/a/a.axml",
                    r#"<text id="t">{{t}}</text><text a:if="{{ui}}" id="ui">{{ui}}</text>"#,
                ),
                (
                    "pages/a/a.js",
                    r#"Page({
  data: { t: '', ui: '' },
  onLoad() {
    const out = [];
    const big = 'x'.repeat(1100000);
    try { my.setStorageSync({ key: 'k', data: big }); out.push('sync sent'); }
    catch (e) { out.push(e.name + ': ' + e.message); }
    try { my.showToast({ content: big }); out.push('promise sent'); } catch (e) { out.push(e.name); }
    try { my.showToast({ content: big, fail() {} }); out.push('callback sent'); } catch (e) { out.push(e.name); }
    my.showToast({ content: 'y'.repeat(5000), fail: (e) => { this.setData({ ui: e.error + ' ' + e.errorMessage }); } });
    this.setData({ t: out.join('|') });
  }
});"#,
                ),
                ("steps.json", r##"[{"wait_for": "#ui"}]"##),
            ],
        );
        let r = run_dir(t.path(), isolation);
        assert_eq!(r.code, Some(0), "{isolation}: {:#}", r.json);
        let html = r.json["html"].as_str().expect("html");
        assert!(
            html.contains(
                "RangeError: my.setStorageSync arguments are over the 1 MB limit; send less data per call|RangeError|RangeError"
            ),
            "{isolation}: {html}"
        );
        assert!(
            html.contains("2 ") && html.contains("longer than 4096 characters"),
            "{isolation}: {html}"
        );
        // Only the 5,000-character toast reached the host, and it failed there.
        let calls = r.json["jsapi_calls"].as_array().expect("calls");
        let names: Vec<&str> = calls.iter().filter_map(|c| c["api"].as_str()).collect();
        assert_eq!(names, ["showToast"], "{isolation}: {calls:?}");
        assert_eq!(calls[0]["ok"], false, "{isolation}: {calls:?}");
    }
}

/// A flood of `my.*` calls or console lines in one turn (issue 22, item
/// 15): past 1,000 calls, or 8 MB of arguments, a call throws a
/// `RangeError` where it is made; console lines past 10,000 in a turn are
/// dropped. The host keeps what it answered and nothing more, in both modes.
#[test]
fn a_flood_of_calls_in_one_turn_is_refused_in_the_mini_program() {
    for isolation in ["process", "thread"] {
        let t = tempfile::tempdir().expect("tempdir");
        write(
            t.path(),
            &[
                ("app.json", r#"{"pages":["pages/a/a"]}"#),
                (
                    "pages/a/a.axml",
                    r#"<text a:if="{{t}}" id="t">{{t}}</text>"#,
                ),
                (
                    "pages/a/a.js",
                    r#"Page({
  data: { t: '' },
  onLoad() {
    let sent = 0, error = '';
    try { for (let i = 0; i < 100000; i++) { my.showToast({ content: 'x' }); sent++; } }
    catch (e) { error = e.name + ': ' + e.message; }
    for (let i = 0; i < 20000; i++) console.log('line ' + i);
    setTimeout(() => {
      let big = 0, bigError = '';
      const mb = 'y'.repeat(1000000);
      try { for (let i = 0; i < 20; i++) { my.showToast({ content: mb, fail() {} }); big++; } }
      catch (e) { bigError = e.name; }
      this.setData({ t: sent + '|' + error + '|' + big + '|' + bigError });
    }, 10);
  }
});"#,
                ),
                ("steps.json", r##"[{"wait_for": "#t"}]"##),
            ],
        );
        let r = run_dir(t.path(), isolation);
        assert_eq!(r.code, Some(0), "{isolation}: {:#}", r.json);
        let html = r.json["html"].as_str().expect("html");
        assert!(
            html.contains("1000|RangeError: my.showToast: more than 1000 my.* calls in one turn"),
            "{isolation}: {html}"
        );
        assert!(html.contains("|8|RangeError"), "{isolation}: {html}");
        // The console shows on stderr: the turn's first 10,000 lines.
        let lines = r.stderr.lines().filter(|l| l.contains("line ")).count();
        assert_eq!(lines, 10_000, "{isolation}");
        let calls = r.json["jsapi_calls"].as_array().expect("calls");
        assert!(calls.len() <= 1_008, "{isolation}: {}", calls.len());
    }
}

#[test]
fn custom_components_props_slots_lifecycles_and_events_run_as_in_alipay() {
    let warnings = passes("components", &[]);
    // Every component json says `component: true`, so nothing is said about it.
    assert!(
        !warnings.iter().any(|w| w["message"]
            .as_str()
            .is_some_and(|m| m.contains("usingComponents"))),
        "{warnings:#?}"
    );
}

/// Instances of plain components are made by the view and their JS objects
/// later (logic/components.rs `Summary`); nothing of that shows, in both
/// modes: a handler's first call sees its instance's props as last rendered
/// (after a relabel), its data, mixins, `is`, `$id` and `$page`; a plain
/// owner's method handed to a child works at once; a component whose
/// `data()` is a function has it run once per instance; instances removed
/// and made again start afresh. The typings' instance methods that read
/// the tree (`$selectComponent`, `$selectAllComponents` by tag, id and
/// class, `selectOwnerComponent`, `selectComposedParentComponent`) find
/// deferred instances too, `ref()` deciding what is found; `this.router`
/// resolves a relative url against the component's folder; a selector
/// that does not parse finds nothing, with a warning. A page's component
/// inside a list's scoped slot content resolves through the page's
/// `usingComponents` (the content is the page's).
#[test]
fn plain_components_instances_wait_for_their_js_unseen() {
    let warnings = passes(
        "deferred-instances",
        &[(
            "component",
            "$selectComponent: bad selector \"a:hover\": pseudo-classes are not supported",
        )],
    );
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
}

/// `relations` behind `options.relations`, in both modes: slot content's
/// items link to the list around them once mounted (both sides' `linked`,
/// `getRelationNodes` in order), not an item outside it; an item removed
/// is unlinked, one added is linked; a `descendant` relation by `target`
/// (a `Mixin()` the items use) counts every item inside; without the
/// option they are ignored with a warning.
#[test]
fn relations_link_items_to_the_list_around_them() {
    let warnings = passes(
        "relations",
        &[(
            "component",
            "relations apply only with options: { relations: true }; these are ignored",
        )],
    );
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
}

/// `Mixin()` by identifier (with its `definitionFilter` and `pageEvents`),
/// `lifetimes` behind `options.lifetimes` around the component2 hooks,
/// `pageEvents` following the page through navigation, `deriveDataFromProps`
/// at the instance's own setData, and `externalClasses`, in both modes;
/// `lifetimes` and `externalClasses` without their option are ignored with a
/// warning.
#[test]
fn mixins_lifetimes_and_page_events_run_in_order() {
    passes(
        "component-events",
        &[
            (
                "component",
                "lifetimes run only with options: { lifetimes: true }; these are ignored",
            ),
            (
                "component",
                "externalClasses apply only with options: { externalClasses: true }; these are ignored",
            ),
        ],
    );
}

/// my.createSelectorQuery (page-wide, and a component's own template),
/// the canvas context's draw, and the placeholders' contexts, in both modes:
/// a selector that does not parse selects nothing with a warning, and an
/// exec past 256 queries answers null for the rest with one; a context
/// method this host cannot carry out fails with error 1 naming it, and one
/// without callbacks says so as a warning, not an uncaught rejection.
#[test]
fn selector_queries_and_component_contexts_answer_from_the_page() {
    passes(
        "view-apis",
        &[
            (
                "createSelectorQuery",
                "bad selector \"view:hover\": pseudo-classes are not supported",
            ),
            (
                "createVideoContext",
                "my.createVideoContext().play is not available in this host",
            ),
            (
                "createSelectorQuery",
                "one exec holds at most 256 queries; the rest answer null",
            ),
        ],
    );
}

/// A component tree that never ends, or grows past the page's limits, is a
/// render error that names the limit; the run ends normally, in both modes.
/// usingComponents that leave the package or name a plugin resolve to
/// nothing: a warning says why, and the tag is an unknown component.
#[test]
fn hostile_component_trees_end_at_a_limit_and_bad_paths_resolve_to_nothing() {
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case<'_>] = &[
        (
            "itself",
            &[
                (
                    "pages/a/a.json",
                    r#"{"usingComponents":{"r":"/components/r/r"}}"#,
                ),
                ("pages/a/a.axml", "<r/>"),
                (
                    "components/r/r.json",
                    r#"{"component":true,"usingComponents":{"r":"./r"}}"#,
                ),
                ("components/r/r.axml", "<view><r/></view>"),
            ],
            "components nested more than 32 deep (does <r> use itself?)",
            "",
        ),
        (
            "fan-out",
            &[
                (
                    "pages/a/a.json",
                    r#"{"usingComponents":{"f":"/components/f/f"}}"#,
                ),
                ("pages/a/a.axml", "<f/>"),
                (
                    "components/f/f.json",
                    r#"{"component":true,"usingComponents":{"f":"./f"}}"#,
                ),
                ("components/f/f.axml", "<view a:for=\"{{12}}\"><f/></view>"),
            ],
            "more than 10000 component instances",
            "",
        ),
        (
            "outside",
            &[
                (
                    "pages/a/a.json",
                    r#"{"usingComponents":{"x":"/../../etc/passwd"}}"#,
                ),
                ("pages/a/a.axml", "<view><x/></view>"),
            ],
            "unknown component <x>",
            "names no component",
        ),
        (
            "plugin",
            &[
                (
                    "pages/a/a.json",
                    r#"{"usingComponents":{"p":"plugin://myPlugin/card"}}"#,
                ),
                ("pages/a/a.axml", "<view><p/></view>"),
                ("pages/a/a.js", "Page({ onLoad() { requirePlugin('myPlugin'); } });"),
            ],
            "plugin 'myPlugin' is not available in this host",
            "plugin://myPlugin/card is a plugin, and this host runs no plugins; <p> renders as a placeholder",
        ),
    ];
    for (what, files, error, warning) in cases {
        for isolation in ["process", "thread"] {
            let t = tempfile::tempdir().expect("tempdir");
            write(
                t.path(),
                &[
                    ("app.json", r#"{"pages":["pages/a/a"]}"#),
                    ("steps.json", "[]"),
                ],
            );
            write(t.path(), files);
            let r = run_dir(t.path(), isolation);
            assert_eq!(
                r.code,
                Some(1),
                "{what} ({isolation}): {:#}\n{}",
                r.json,
                r.stderr
            );
            let errors = r.json["errors"].as_array().expect("errors");
            assert!(
                errors
                    .iter()
                    .any(|e| e["message"].as_str().is_some_and(|m| m.contains(error))),
                "{what} ({isolation}): {errors:#?}"
            );
            if !warning.is_empty() {
                let warnings = r.json["warnings"].as_array().expect("warnings");
                assert!(
                    warnings
                        .iter()
                        .any(|w| w["message"].as_str().is_some_and(|m| m.contains(warning))),
                    "{what} ({isolation}): {warnings:#?}"
                );
            }
            // The app was not stopped: the host answered to the end.
            assert_eq!(r.json["route"], "pages/a/a", "{what} ({isolation})");
            if *what == "plugin" {
                let html = r.json["html"].as_str().expect("html");
                assert!(
                    html.contains(
                        r#"<plugin-component src="plugin://myPlugin/card"></plugin-component>"#
                    ),
                    "{html}"
                );
            }
        }
    }
}

/// An sjs function that throws, spins or reaches for the logic layer is a
/// warning at its expression, which renders empty; the rest of the page
/// renders and the app runs on (compat.md B12).
#[test]
fn sjs_that_throws_spins_or_reaches_for_my_renders_empty_with_a_warning() {
    for isolation in ["process", "thread"] {
        let t = tempfile::tempdir().expect("tempdir");
        write(
            t.path(),
            &[
                ("app.json", r#"{"pages":["pages/a/a"]}"#),
                (
                    "pages/a/a.axml",
                    "<import-sjs name=\"m\" from=\"./m.sjs\"/>\n<text id=\"a\">{{m.boom()}}</text>\n<text id=\"b\">{{m.spin()}}</text>\n<text id=\"c\">{{m.reach()}}</text>\n<text id=\"d\">{{m.ok(2)}}</text>",
                ),
                (
                    "pages/a/m.sjs",
                    "export default {\n  boom() { throw new Error('sjs broke'); },\n  spin() { for (;;) {} },\n  reach() { return my.getStorageSync({ key: 'k' }); },\n  ok(n) { return n * 21; },\n};\n",
                ),
                ("steps.json", r##"[{"expect_text": {"selector": "#d", "text": "42"}}]"##),
            ],
        );
        let r = run_dir(t.path(), isolation);
        assert_eq!(r.code, Some(0), "{isolation}: {:#}\n{}", r.json, r.stderr);
        let html = r.json["html"].as_str().expect("html");
        for id in ["a", "b", "c"] {
            assert!(
                html.contains(&format!("<text id=\"{id}\"></text>")),
                "{html}"
            );
        }
        let warnings = r.json["warnings"].as_array().expect("warnings");
        for (line, text) in [
            (2, "m.boom(…): Error: sjs broke"),
            (3, "m.spin(…): RuntimeLimitError"),
            (4, "m.reach(…): ReferenceError"),
        ] {
            assert!(
                warnings.iter().any(|w| w["line"] == line
                    && w["file"] == "pages/a/a.axml"
                    && w["message"].as_str().is_some_and(|m| m.contains(text))),
                "{isolation}: no {text:?} at line {line}: {warnings:#?}"
            );
        }
    }
}
