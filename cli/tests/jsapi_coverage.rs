//! The `my.*` surface against Alipay's official typings (issue 25, item 1):
//! every name `@mini-types/my@3.0.14` declares on `my` is in
//! docs/jsapi-coverage.md as implemented (defined on `my` by a full host),
//! delegated (answered through a typed `HostDelegate` method) or absent
//! (undefined on `my`, `my.canIUse` false), and the names mpkit defines
//! that the typings do not are listed apart. The runtime's names are read
//! from a real run (`Object.keys(my)` under `mpkit run`), so the table can
//! never claim what the runtime does not have. Regenerate with
//! `MPKIT_UPDATE_DOCS=1 cargo test -p mpkit --test jsapi_coverage`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The typings the test command installs (`npm ci` in tests/antd-gallery,
/// pinned by its lock file's integrity hashes): antd-mini depends on
/// `@mini-types/alipay`, which brings `@mini-types/my` 3.0.14.
fn typings() -> (String, String) {
    let dir = root().join("tests/antd-gallery/node_modules/@mini-types/my");
    let pkg = std::fs::read_to_string(dir.join("package.json")).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `(cd tests/antd-gallery && npm ci)` (scripts/test does)",
            dir.display()
        )
    });
    let version = serde_json::from_str::<serde_json::Value>(&pkg).expect("package.json")["version"]
        .as_str()
        .expect("version")
        .to_owned();
    let text = std::fs::read_to_string(dir.join("types/lib.my.d.ts")).expect("lib.my.d.ts");
    (version, text)
}

/// What `declare namespace my { ... }` declares at its top level: functions
/// and constants (not `my.ap` or `my.cloud`, which come after it).
fn declared(text: &str) -> BTreeSet<String> {
    let body = text
        .split("declare namespace my.ap")
        .next()
        .expect("the my namespace");
    let mut out = BTreeSet::new();
    for line in body.lines() {
        let Some(rest) = line.strip_prefix("  ") else {
            continue;
        };
        if rest.starts_with(' ') {
            continue;
        }
        let rest = rest.strip_prefix("export ").unwrap_or(rest);
        let name = rest
            .strip_prefix("function ")
            .or_else(|| rest.strip_prefix("const "))
            .map(|r| {
                r.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
            });
        if let Some(Some(n)) = name {
            if !n.is_empty() {
                out.insert(n.to_owned());
            }
        }
    }
    out
}

/// The names a full host defines on `my`, from a real headless run.
fn defined() -> BTreeSet<String> {
    let t = tempfile::tempdir().expect("tempdir");
    let write = |p: &str, s: &str| {
        let f = t.path().join(p);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("dir");
        std::fs::write(f, s).expect("write");
    };
    write("app.json", r#"{"pages":["pages/a/a"]}"#);
    write("app.js", "App({});");
    write(
        "pages/a/a.axml",
        r#"<text a:if="{{k}}" id="k">{{k}}</text>"#,
    );
    write(
        "pages/a/a.js",
        "Page({ data: { k: '' }, onLoad() { this.setData({ k: Object.keys(my).sort().join(',') }); } });",
    );
    write("steps.json", r##"[{"wait_for": "#k"}]"##);
    let out = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args([
            "run",
            &t.path().to_string_lossy(),
            "--headless",
            "--json",
            "--isolation",
            "thread",
            "--script",
            &t.path().join("steps.json").to_string_lossy(),
        ])
        .output()
        .expect("run mpkit");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let html = json["html"].as_str().expect("html");
    let start = html.find("id=\"k\"").expect("the keys");
    let text = &html[start..];
    let text = &text[text.find('>').expect(">") + 1..];
    let text = &text[..text.find('<').expect("<")];
    text.split(',').map(str::to_owned).collect()
}

/// Answered through a typed `HostDelegate` method (host/src/delegate.rs):
/// the embedding wallet implements them; the headless host answers from
/// its settings, and a host without an answer refuses clearly.
const DELEGATED: &[&str] = &[
    "getLocation",
    "scan",
    "setClipboard",
    "getClipboard",
    "makePhoneCall",
    "vibrate",
    "getAuthCode",
    "getOpenUserInfo",
    "tradePay",
    "openSetting",
];

fn render(version: &str, declared: &BTreeSet<String>, defined: &BTreeSet<String>) -> String {
    let status = |n: &str| {
        if !defined.contains(n) {
            "absent"
        } else if DELEGATED.contains(&n) {
            "delegated"
        } else {
            "implemented"
        }
    };
    let count = |s: &str| declared.iter().filter(|n| status(n) == s).count();
    let mut out = format!(
        "# `my.*` coverage against Alipay's typings\n\n\
         Generated by `cli/tests/jsapi_coverage.rs` from `@mini-types/my@{version}` \
         (`types/lib.my.d.ts`, the `my` namespace) and the names a full host defines on `my` in a \
         real run; regenerate with `MPKIT_UPDATE_DOCS=1 cargo test -p mpkit --test \
         jsapi_coverage`. *implemented*: defined by the host; *delegated*: answered through a \
         typed `HostDelegate` method the wallet implements; *absent*: undefined on `my` \
         (`my.canIUse` is false).\n\n\
         | of {} declared | implemented | delegated | absent |\n|---|---|---|---|\n| count | {} | {} | {} |\n\n\
         | name | status |\n|---|---|\n",
        declared.len(),
        count("implemented"),
        count("delegated"),
        count("absent"),
    );
    for n in declared {
        out.push_str(&format!("| `{n}` | {} |\n", status(n)));
    }
    let extra: Vec<&String> = defined.difference(declared).collect();
    out.push_str(&format!(
        "\n## Defined by mpkit, not declared in the typings ({})\n\n",
        extra.len()
    ));
    for n in extra {
        out.push_str(&format!("- `{n}`\n"));
    }
    out
}

#[test]
fn every_name_in_the_typings_is_accounted_for() {
    let (version, text) = typings();
    assert_eq!(version, "3.0.14", "the pinned typings");
    let declared = declared(&text);
    // The issue counts 279 functions in `my` itself, plus `env`, `SDKVersion`
    // and `isIDE`.
    assert!(
        declared.len() >= 279 && declared.contains("getSystemInfoSync"),
        "{}",
        declared.len()
    );
    let defined = defined();
    assert!(
        defined.contains("showToast") && defined.contains("canIUse"),
        "{defined:?}"
    );
    for d in DELEGATED {
        assert!(
            defined.contains(*d),
            "{d} is listed as delegated but not defined on my"
        );
    }
    let want = render(&version, &declared, &defined);
    let path: &Path = &root().join("docs/jsapi-coverage.md");
    let have = std::fs::read_to_string(path).unwrap_or_default();
    if have != want {
        if std::env::var_os("MPKIT_UPDATE_DOCS").is_some() {
            std::fs::write(path, &want).expect("write");
        } else {
            panic!(
                "docs/jsapi-coverage.md is stale (a name in the typings or the runtime changed); \
                 run with MPKIT_UPDATE_DOCS=1"
            );
        }
    }
}
