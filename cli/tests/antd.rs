//! Ant Design Mini 3.4.3 (`antd-mini` on npm, Alipay's own component
//! library) as a peer test suite: its 72 components rendered with their
//! default props, and interactions with fifteen of them and with its Form
//! (a `Form` object fed by `ref`, through FormSwitch and FormInput), each asserting what
//! the page's handler received, in a gallery mini program of ours
//! (`tests/antd-gallery`), run unmodified by the real `mpkit` binary in both
//! isolation modes. `scripts/test` installs the package from npm with
//! `npm ci` (pinned by package-lock.json's integrity hashes).

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn gallery() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/antd-gallery")
}

#[test]
fn ant_design_mini_renders_every_component_and_answers_taps_and_typing() {
    let dir = gallery();
    let installed = dir.join("node_modules/antd-mini/package.json");
    let pkg: Value = serde_json::from_slice(&std::fs::read(&installed).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; `scripts/test` installs Ant Design Mini (npm ci in tests/antd-gallery)",
            installed.display()
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
    for isolation in ["process", "thread"] {
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
            .arg(dir.join("steps.json"))
            .output()
            .expect("run mpkit");
        let r: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(out.status.code(), Some(0), "{isolation}: {r:#}");
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
