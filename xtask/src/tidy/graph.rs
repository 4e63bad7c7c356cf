//! Rule `graph`: which workspace crate may depend on which, read from
//! `cargo metadata` (each package's direct dependencies).
//!
//! Normal and build dependencies must follow [`RULES`]; dev-dependencies
//! (tests, benches, examples) may point at any workspace crate but `xtask`.
//! `mpkit-testkit` may only ever be a dev-dependency, `xtask` never a
//! dependency at all. An optional dependency must be enabled by the feature
//! its rule names and by no other.

use super::Problem;
use anyhow::{Context as _, Result};
use serde_json::Value;
use std::path::Path;

/// What one workspace crate may depend on (workspace crates and the few
/// outside crates that matter).
pub(crate) struct Rule {
    /// The package.
    pub(crate) krate: &'static str,
    /// Workspace crates it may depend on; `None`: any product crate (the
    /// crates on top: the CLI, xtask, the tests).
    pub(crate) may_use: Option<&'static [&'static str]>,
    /// Optional dependencies it may have, each with the one feature that
    /// enables it.
    pub(crate) optional: &'static [(&'static str, &'static str)],
    /// Crates it must never depend on directly (workspace or not).
    pub(crate) never: &'static [&'static str],
}

const fn rule(krate: &'static str, may_use: &'static [&'static str]) -> Rule {
    Rule {
        krate,
        may_use: Some(may_use),
        optional: &[],
        never: &[],
    }
}

const fn top(krate: &'static str) -> Rule {
    Rule {
        krate,
        may_use: None,
        optional: &[],
        never: &[],
    }
}

/// The allowed graph (ARCHITECTURE.md, "The crate graph").
pub(crate) const RULES: &[Rule] = &[
    // Leaves.
    rule("mpkit-bundle", &[]),
    rule("mpkit-sandbox", &[]),
    rule("mpkit-render", &[]),
    rule("mpkit-modules", &[]),
    rule("mpkit-platform-client", &[]),
    rule("mpkit-jsapi", &["mpkit-sandbox"]),
    Rule {
        krate: "mpkit-host",
        may_use: Some(&[
            "mpkit-bundle",
            "mpkit-jsapi",
            "mpkit-sandbox",
            "mpkit-render",
            "mpkit-modules",
        ]),
        optional: &[],
        never: &["mpkit-platform-client", "wry", "tao", "axum"],
    },
    rule(
        "mpkit-update",
        &["mpkit-host", "mpkit-bundle", "mpkit-platform-client"],
    ),
    Rule {
        krate: "mpkit-compat",
        may_use: Some(&["mpkit-host", "mpkit-jsapi", "mpkit-bundle"]),
        optional: &[("mpkit-webview", "visual")],
        never: &[],
    },
    rule(
        "mpkit-webview",
        &["mpkit-host", "mpkit-render", "mpkit-bundle"],
    ),
    rule(
        "mpkit-platform",
        &["mpkit-bundle", "mpkit-platform-client", "mpkit-sandbox"],
    ),
    // The sample wallet uses public APIs only, and the typed platform
    // client for its auth codes.
    rule(
        "mpkit-sample-app",
        &[
            "mpkit-host",
            "mpkit-bundle",
            "mpkit-jsapi",
            "mpkit-webview",
            "mpkit-update",
            "mpkit-platform-client",
        ],
    ),
    // On top.
    top("mpkit"),
    top("xtask"),
    top("mpkit-tests"),
    top("mpkit-testkit"),
];

/// Crates that only sit on top: no product crate depends on them.
const TOP_ONLY: [&str; 4] = ["mpkit-sample-app", "xtask", "mpkit-testkit", "mpkit-tests"];

/// Checks every workspace package of `metadata` against `rules`.
pub(crate) fn check(metadata: &Value, root: &Path) -> Result<Vec<Problem>> {
    check_with(metadata, root, RULES)
}

pub(crate) fn check_with(metadata: &Value, root: &Path, rules: &[Rule]) -> Result<Vec<Problem>> {
    let packages = metadata["packages"]
        .as_array()
        .context("cargo metadata lists no packages")?;
    let members: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut problems = Vec::new();
    for p in packages {
        let name = p["name"].as_str().unwrap_or_default();
        let manifest = p["manifest_path"].as_str().unwrap_or_default();
        let file = Path::new(manifest)
            .strip_prefix(root)
            .map(super::source::slash)
            .unwrap_or_else(|_| manifest.to_owned());
        let mut problem = |message: String| {
            problems.push(Problem {
                file: file.clone(),
                rule: "graph",
                message,
            })
        };
        let Some(rule) = rules.iter().find(|r| r.krate == name) else {
            problem(format!(
                "{name} is not in the crate graph's rules (xtask/src/tidy/graph.rs): add it with what it may depend on, and to ARCHITECTURE.md"
            ));
            continue;
        };
        for d in p["dependencies"].as_array().into_iter().flatten() {
            let dep = d["name"].as_str().unwrap_or_default();
            let dev = d["kind"].as_str() == Some("dev");
            let optional = d["optional"].as_bool().unwrap_or(false);
            // A crate of the workspace, or one the rules know (a fixture
            // need not list every package).
            let member = members.contains(&dep) || rules.iter().any(|r| r.krate == dep);
            if rule.never.contains(&dep) && !dev {
                problem(format!("{name} must never depend on {dep}"));
                continue;
            }
            if !member {
                continue;
            }
            if dep == "xtask" {
                problem(format!(
                    "{name} depends on xtask, which is tooling: nothing depends on it"
                ));
                continue;
            }
            if dev {
                continue;
            }
            if dep == "mpkit-testkit" {
                problem(format!(
                    "{name} depends on mpkit-testkit as a normal dependency; it is a dev-dependency only"
                ));
                continue;
            }
            if let Some(allowed) = rule.may_use {
                if optional {
                    match rule.optional.iter().find(|(d, _)| *d == dep) {
                        None => problem(format!(
                            "{name} may not depend on {dep}, even as an optional dependency"
                        )),
                        Some((_, feature)) => {
                            let wrong = enabling_features(p, dep)
                                .into_iter()
                                .filter(|f| f != feature)
                                .collect::<Vec<_>>();
                            if !wrong.is_empty() {
                                problem(format!(
                                    "{name} may depend on {dep} only through its \"{feature}\" feature, not through {}",
                                    wrong.join(", ")
                                ));
                            }
                        }
                    }
                } else if !allowed.contains(&dep) {
                    let why = if TOP_ONLY.contains(&dep) {
                        format!("{dep} sits on top of the graph: no product crate depends on it")
                    } else if allowed.is_empty() {
                        format!("{name} is a leaf: it depends on no workspace crate")
                    } else {
                        format!("{name} may depend on {} only", allowed.join(", "))
                    };
                    problem(format!("{name} depends on {dep}; {why}"));
                }
            } else if dep == "mpkit-tests" {
                problem(format!(
                    "{name} depends on mpkit-tests; {dep} sits on top of the graph"
                ));
            }
        }
    }
    Ok(problems)
}

/// The features of package `p` that enable its optional dependency `dep`.
fn enabling_features(p: &Value, dep: &str) -> Vec<String> {
    let Some(features) = p["features"].as_object() else {
        return Vec::new();
    };
    features
        .iter()
        .filter(|(_, enables)| {
            enables.as_array().into_iter().flatten().any(|e| {
                let e = e.as_str().unwrap_or_default();
                e == dep
                    || e == format!("dep:{dep}")
                    || e.starts_with(&format!("{dep}/"))
                    || e.starts_with(&format!("{dep}?/"))
            })
        })
        .map(|(f, _)| f.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn package(name: &str, deps: Value, features: Value) -> Value {
        json!({"name": name, "manifest_path": format!("/ws/{name}/Cargo.toml"), "dependencies": deps, "features": features})
    }

    fn dep(name: &str, kind: Option<&str>, optional: bool) -> Value {
        json!({"name": name, "kind": kind, "optional": optional})
    }

    fn problems(packages: Vec<Value>) -> Vec<String> {
        let m = json!({ "packages": packages });
        check(&m, Path::new("/ws"))
            .expect("check")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// A graph like the real one, with the leaves and host as they should be.
    fn base() -> Vec<Value> {
        vec![
            package("mpkit-bundle", json!([]), json!({})),
            package("mpkit-sandbox", json!([]), json!({})),
            package("mpkit-render", json!([]), json!({})),
            package(
                "mpkit-jsapi",
                json!([dep("mpkit-sandbox", None, false)]),
                json!({}),
            ),
        ]
    }

    #[test]
    fn a_graph_that_follows_the_rules_passes() {
        let mut p = base();
        p.push(package(
            "mpkit-host",
            json!([
                dep("mpkit-bundle", None, false),
                dep("mpkit-render", None, false),
                dep("mpkit-sample-app", Some("dev"), false)
            ]),
            json!({}),
        ));
        p.push(package(
            "mpkit-compat",
            json!([
                dep("mpkit-host", None, false),
                dep("mpkit-webview", None, true)
            ]),
            json!({"visual": ["dep:mpkit-webview"]}),
        ));
        assert_eq!(problems(p), Vec::<String>::new());
    }

    #[test]
    fn a_leaf_that_depends_on_a_workspace_crate_is_named() {
        let mut p = base();
        p[2] = package(
            "mpkit-render",
            json!([dep("mpkit-host", None, false)]),
            json!({}),
        );
        assert_eq!(
            problems(p),
            ["mpkit-render/Cargo.toml: [graph] mpkit-render depends on mpkit-host; mpkit-render is a leaf: it depends on no workspace crate"]
        );
    }

    #[test]
    fn host_never_depends_on_the_platform_client_or_a_web_stack() {
        let mut p = base();
        p.push(package(
            "mpkit-host",
            json!([
                dep("mpkit-platform-client", None, false),
                dep("axum", None, false)
            ]),
            json!({}),
        ));
        assert_eq!(
            problems(p),
            [
                "mpkit-host/Cargo.toml: [graph] mpkit-host must never depend on mpkit-platform-client",
                "mpkit-host/Cargo.toml: [graph] mpkit-host must never depend on axum",
            ]
        );
    }

    #[test]
    fn no_product_crate_depends_on_the_sample_app() {
        let mut p = base();
        p.push(package(
            "mpkit-webview",
            json!([dep("mpkit-sample-app", None, false)]),
            json!({}),
        ));
        assert_eq!(
            problems(p),
            ["mpkit-webview/Cargo.toml: [graph] mpkit-webview depends on mpkit-sample-app; mpkit-sample-app sits on top of the graph: no product crate depends on it"]
        );
    }

    #[test]
    fn testkit_is_a_dev_dependency_only_and_xtask_no_dependency_at_all() {
        let mut p = base();
        p.push(package(
            "mpkit-update",
            json!([dep("mpkit-testkit", Some("dev"), false)]),
            json!({}),
        ));
        p.push(package(
            "mpkit",
            json!([dep("mpkit-testkit", None, false)]),
            json!({}),
        ));
        p.push(package(
            "mpkit-tests",
            json!([dep("xtask", Some("dev"), false)]),
            json!({}),
        ));
        assert_eq!(
            problems(p),
            [
                "mpkit/Cargo.toml: [graph] mpkit depends on mpkit-testkit as a normal dependency; it is a dev-dependency only",
                "mpkit-tests/Cargo.toml: [graph] mpkit-tests depends on xtask, which is tooling: nothing depends on it",
            ]
        );
    }

    #[test]
    fn webview_reaches_compat_only_through_its_visual_feature() {
        let mut p = base();
        p.push(package(
            "mpkit-compat",
            json!([dep("mpkit-webview", None, true)]),
            json!({"visual": ["dep:mpkit-webview"], "default": ["mpkit-webview/devtools"]}),
        ));
        p.push(package(
            "mpkit-update",
            json!([dep("mpkit-webview", None, true)]),
            json!({"window": ["dep:mpkit-webview"]}),
        ));
        assert_eq!(
            problems(p),
            [
                "mpkit-compat/Cargo.toml: [graph] mpkit-compat may depend on mpkit-webview only through its \"visual\" feature, not through default",
                "mpkit-update/Cargo.toml: [graph] mpkit-update may not depend on mpkit-webview, even as an optional dependency",
            ]
        );
    }

    #[test]
    fn a_crate_without_a_rule_is_named() {
        let mut p = base();
        p.push(package("mpkit-extra", json!([]), json!({})));
        assert_eq!(
            problems(p),
            ["mpkit-extra/Cargo.toml: [graph] mpkit-extra is not in the crate graph's rules (xtask/src/tidy/graph.rs): add it with what it may depend on, and to ARCHITECTURE.md"]
        );
    }
}
