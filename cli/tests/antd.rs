//! Ant Design Mini 3.4.3 (`antd-mini` on npm, Alipay's own component
//! library) as a peer test suite: its 72 components rendered with their
//! default props, each of them again with the props and data of its
//! documentation on a page of its family (`families/*.json` drive them),
//! and interactions with fifteen of them and with its Form
//! (a `Form` object fed by `ref`, through FormSwitch and FormInput), each asserting what
//! the page's handler received, in a gallery mini program of ours
//! (`tests/antd-gallery`), run unmodified by the real `mpkit` binary in both
//! isolation modes. `scripts/test` installs the package from npm with
//! `npm ci` (pinned by package-lock.json's integrity hashes).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn gallery() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/antd-gallery")
}

/// The component directories of the installed package: 72 of them.
fn components(dir: &Path) -> Vec<String> {
    let pkg = dir.join("node_modules/antd-mini/package.json");
    let pkg: Value = serde_json::from_slice(&std::fs::read(&pkg).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; `scripts/test` installs Ant Design Mini (npm ci in tests/antd-gallery)",
            pkg.display()
        )
    }))
    .expect("package.json");
    assert_eq!(pkg["version"], "3.4.3");
    let components: Vec<String> = std::fs::read_dir(dir.join("node_modules/antd-mini/es"))
        .expect("es")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(|c: char| c.is_ascii_uppercase()))
        .filter(|n| {
            dir.join(format!("node_modules/antd-mini/es/{n}/index.axml"))
                .is_file()
        })
        .collect();
    assert_eq!(components.len(), 72, "{components:?}");
    components
}

/// Runs `mpkit run` on the gallery with a script; its JSON report.
fn run(dir: &Path, isolation: &str, script: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_mpkit"))
        .args([
            "run",
            &dir.to_string_lossy(),
            "--headless",
            "--json",
            "--isolation",
            isolation,
        ])
        .arg("--script")
        .arg(script)
        .output()
        .expect("run mpkit");
    let r: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{isolation} {}: {r:#}",
        script.display()
    );
    r
}

/// Each `<view class="case" data-name="…">` of a page's HTML and what is in
/// it, up to the next case (the cases are siblings, the last one runs to the
/// end of the page).
fn cases(html: &str) -> Vec<(String, String)> {
    const OPEN: &str = "<view class=\"case\" data-name=\"";
    html.split(OPEN)
        .skip(1)
        .map(|s| {
            let (name, rest) = s.split_once("\">").expect("case name");
            (name.to_owned(), rest.to_owned())
        })
        .collect()
}

/// The families of components, as Ant Design Mini's documentation groups them.
const FAMILIES: [&str; 9] = [
    "general",
    "layout",
    "navigation",
    "data-entry",
    "data-display",
    "feedback",
    "business",
    "other",
    "ai",
];

#[test]
fn ant_design_mini_renders_every_component_with_its_documented_props() {
    let dir = gallery();
    let components = components(&dir);
    for isolation in ["process", "thread"] {
        let mut placed: Vec<(String, &str)> = Vec::new();
        for family in FAMILIES {
            let script = dir.join(format!("families/{family}.json"));
            let r = run(&dir, isolation, &script);
            let at = format!("{isolation} {family}");
            assert_eq!(r["errors"], serde_json::json!([]), "{at}");
            let warnings = r["warnings"].as_array().expect("warnings");
            assert!(
                warnings
                    .iter()
                    .all(|w| w["kind"] != "rejection" && w["kind"] != "uncaught"),
                "{at}: {warnings:#?}"
            );
            // Every step passed: the tap to the page, the waits for each
            // component's content, and the expected texts (a Table's cell,
            // the Steps' titles, an open ActionSheet's actions, …).
            let steps = r["steps"].as_array().expect("steps");
            assert!(
                steps.len() > 5 && steps.iter().all(|s| s["ok"] == true),
                "{at}: {steps:#?}"
            );
            assert!(
                steps.iter().any(|s| s["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(" contains "))),
                "{at}: no expected text"
            );
            assert_eq!(r["route"], format!("pages/{family}/{family}"), "{at}");
            let html = r["html"].as_str().expect("html");
            let cases = cases(html);
            assert!(cases.len() >= 3, "{at}: {} cases", cases.len());
            for (name, inner) in cases {
                assert!(
                    components.contains(&name),
                    "{at}: {name} is not a component"
                );
                // The component's own element is in its case, with content
                // of its own rendered inside it.
                let host = format!(
                    "<a-{} is=\"/node_modules/antd-mini/es/{name}/index\">",
                    name.to_lowercase()
                );
                let (_, content) = inner
                    .split_once(&host)
                    .unwrap_or_else(|| panic!("{at}: {name} is not rendered: {inner}"));
                assert!(
                    content.starts_with('<') && !content.starts_with("</"),
                    "{at}: {name} rendered nothing: {inner}"
                );
                placed.push((name, family));
            }
        }
        // Each of the 72 components is on exactly one family page.
        for c in &components {
            let on: Vec<&str> = placed
                .iter()
                .filter(|(n, _)| n == c)
                .map(|(_, f)| *f)
                .collect();
            assert_eq!(
                on.len(),
                1,
                "{isolation}: {c} is on the family pages {on:?}"
            );
        }
        assert_eq!(placed.len(), components.len(), "{isolation}: {placed:?}");
    }
}

#[test]
fn ant_design_mini_renders_every_component_and_answers_taps_and_typing() {
    let dir = gallery();
    let components = components(&dir);
    for isolation in ["process", "thread"] {
        let r = run(&dir, isolation, &dir.join("steps.json"));
        assert_eq!(r["errors"], serde_json::json!([]), "{isolation}");
        // No component failed quietly either: every selector query,
        // component context and prop default answered as on Alipay.
        let warnings = r["warnings"].as_array().expect("warnings");
        assert!(
            warnings
                .iter()
                .all(|w| w["kind"] != "rejection" && w["kind"] != "uncaught"),
            "{isolation}: {warnings:#?}"
        );
        let steps = r["steps"].as_array().expect("steps");
        assert!(
            steps.len() > 20 && steps.iter().all(|s| s["ok"] == true),
            "{isolation}: {steps:#?}"
        );
        // The gallery is on top: each component rendered in its case.
        assert_eq!(r["route"], "pages/all/all");
        let html = r["html"].as_str().expect("html");
        for c in &components {
            let host = format!(
                "<view class=\"case\" data-name=\"{c}\"><a-{} is=\"/node_modules/antd-mini/es/{c}/index\">",
                c.to_lowercase()
            );
            assert!(html.contains(&host), "{isolation}: {c} is not rendered");
        }
    }
}
