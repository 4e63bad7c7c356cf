//! Module resolution as Alipay's tools do it, run inside the isolation unit:
//! `/`-rooted (from the package root), relative, and bare names
//! (`node_modules`, walking up to the root, with package.json's `alipay`,
//! `module` and `main` fields), each tried as `P`, `P.js`, `P.json`, the
//! folder's package.json, `P/index.js`, `P/index.json`.
//!
//! Files are probed through the unit's reader; every answer is cached, so a
//! path is asked for once.

use std::collections::HashMap;

/// The deepest chain of package.json `main` fields followed.
const MAX_MAIN_HOPS: usize = 4;

/// A resolved module: its package path, and a warning when it was found only
/// by a fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub path: String,
    pub warning: Option<String>,
}

/// Reads package files for resolution, caching what it learns.
pub struct Probe<'a> {
    read: &'a mut dyn FnMut(&str) -> Option<String>,
    cache: &'a mut HashMap<String, Option<String>>,
}

impl std::fmt::Debug for Probe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe")
            .field("known", &self.cache.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Probe<'a> {
    pub fn new(
        read: &'a mut dyn FnMut(&str) -> Option<String>,
        cache: &'a mut HashMap<String, Option<String>>,
    ) -> Probe<'a> {
        Probe { read, cache }
    }

    fn exists(&mut self, path: &str) -> bool {
        self.text(path).is_some()
    }

    fn text(&mut self, path: &str) -> Option<String> {
        if let Some(v) = self.cache.get(path) {
            return v.clone();
        }
        let v = (self.read)(path);
        self.cache.insert(path.to_owned(), v.clone());
        v
    }
}

/// Joins `spec` onto the folder `dir` (`""` is the root). `None` when the
/// result leaves the package root or is empty.
pub(crate) fn join(dir: &str, spec: &str) -> Option<String> {
    let mut parts: Vec<&str> = if spec.starts_with('/') || dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for seg in spec.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn folder_of(file: &str) -> &str {
    file.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The candidates for a path `p`, first hit wins.
fn as_path(p: &str, probe: &mut Probe<'_>, hops: usize) -> Option<String> {
    if (p.ends_with(".js") || p.ends_with(".json")) && probe.exists(p) {
        return Some(p.to_owned());
    }
    for ext in [".js", ".json"] {
        let c = format!("{p}{ext}");
        if probe.exists(&c) {
            return Some(c);
        }
    }
    if hops < MAX_MAIN_HOPS {
        if let Some(pkg) = probe.text(&format!("{p}/package.json")) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&pkg) {
                let main = ["alipay", "module", "main"]
                    .iter()
                    .find_map(|k| v.get(k).and_then(|m| m.as_str()).filter(|m| !m.is_empty()));
                if let Some(main) = main {
                    if let Some(target) = join(p, main) {
                        if let Some(hit) = as_path(&target, probe, hops + 1) {
                            return Some(hit);
                        }
                    }
                }
            }
        }
    }
    [format!("{p}/index.js"), format!("{p}/index.json")]
        .into_iter()
        .find(|c| probe.exists(c))
}

/// Resolves `spec` as required from the package file `from`.
pub fn resolve(from: &str, spec: &str, probe: &mut Probe<'_>) -> Result<Resolved, String> {
    let not_found = || format!("Cannot find module '{spec}' from '{from}'");
    if spec.is_empty() {
        return Err(not_found());
    }
    if spec.starts_with("plugin://") {
        return Err(format!(
            "Cannot load '{spec}' from '{from}': plugins are not supported"
        ));
    }
    let dir = folder_of(from);
    let relative = spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == "..";
    if spec.starts_with('/') || relative {
        let p = join(dir, spec).ok_or_else(|| {
            format!("Cannot find module '{spec}' from '{from}': it leaves the package")
        })?;
        return as_path(&p, probe, 0)
            .map(|path| Resolved {
                path,
                warning: None,
            })
            .ok_or_else(not_found);
    }
    // A bare name: node_modules from the file's folder up to the root.
    let mut d = Some(dir);
    while let Some(cur) = d {
        let base = if cur.is_empty() {
            format!("node_modules/{spec}")
        } else {
            format!("{cur}/node_modules/{spec}")
        };
        if let Some(p) = join("", &base) {
            if let Some(path) = as_path(&p, probe, 0) {
                return Ok(Resolved {
                    path,
                    warning: None,
                });
            }
        }
        d = (!cur.is_empty()).then(|| folder_of(cur));
    }
    // Code ported from WeChat writes `require('utils/util')` for a path.
    for p in [join(dir, spec), join("", spec)].into_iter().flatten() {
        if let Some(path) = as_path(&p, probe, 0) {
            return Ok(Resolved {
                warning: Some(format!(
                    "bare specifier '{spec}' in {from} resolved as a path ({path}); write './{spec}' or '/{spec}'"
                )),
                path,
            });
        }
    }
    Err(not_found())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files<'a>(list: &'a [(&'a str, &'a str)]) -> impl FnMut(&str) -> Option<String> + 'a {
        move |p: &str| {
            list.iter()
                .find(|(n, _)| *n == p)
                .map(|(_, t)| (*t).to_owned())
        }
    }

    fn run(list: &[(&str, &str)], from: &str, spec: &str) -> Result<Resolved, String> {
        let mut read = files(list);
        let mut cache = HashMap::new();
        resolve(from, spec, &mut Probe::new(&mut read, &mut cache))
    }

    #[test]
    fn the_shapes_real_programs_use() {
        let list = [
            ("app.js", ""),
            ("lib/fetch.js", ""),
            ("utils/util.js", ""),
            ("pages/a/common.js", ""),
            ("data/cities.json", "{}"),
            ("node_modules/@babel/runtime/regenerator/index.js", ""),
            ("node_modules/@babel/runtime/helpers/extends.js", ""),
            (
                "node_modules/some-lib/package.json",
                r#"{"main":"lib/main","module":"es/index.js"}"#,
            ),
            ("node_modules/some-lib/es/index.js", ""),
            ("node_modules/some-lib/plugin/x.js", ""),
            (
                "node_modules/ali/package.json",
                r#"{"alipay":"mini/","main":"node.js"}"#,
            ),
            ("node_modules/ali/mini/index.js", ""),
            ("pages/a/node_modules/local/index.js", ""),
        ];
        let cases = [
            ("pages/a/a.js", "../../lib/fetch", "lib/fetch.js"),
            ("pages/a/a.js", "/utils/util.js", "utils/util.js"),
            ("pages/a/a.js", "./common", "pages/a/common.js"),
            ("pages/a/a.js", "../../app", "app.js"),
            ("pages/a/a.js", "/data/cities", "data/cities.json"),
            (
                "pages/a/a.js",
                "@babel/runtime/regenerator",
                "node_modules/@babel/runtime/regenerator/index.js",
            ),
            (
                "pages/a/a.js",
                "@babel/runtime/helpers/extends",
                "node_modules/@babel/runtime/helpers/extends.js",
            ),
            (
                "pages/a/a.js",
                "some-lib",
                "node_modules/some-lib/es/index.js",
            ),
            (
                "pages/a/a.js",
                "some-lib/plugin/x",
                "node_modules/some-lib/plugin/x.js",
            ),
            ("app.js", "ali", "node_modules/ali/mini/index.js"),
            (
                "pages/a/a.js",
                "local",
                "pages/a/node_modules/local/index.js",
            ),
        ];
        for (from, spec, want) in cases {
            let r = run(&list, from, spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!((r.path.as_str(), r.warning), (want, None), "{spec}");
        }
        let r = run(&list, "pages/a/a.js", "utils/util").expect("ok");
        assert_eq!(r.path, "utils/util.js");
        assert!(r
            .warning
            .expect("ok")
            .contains("bare specifier 'utils/util'"));
    }

    #[test]
    fn refusals_name_the_specifier_and_the_file() {
        let list = [("a.js", ""), ("a.ts", ""), ("b.mjs", "")];
        for (spec, want) in [
            (
                "./missing",
                "Cannot find module './missing' from 'pages/x.js'",
            ),
            ("../../../etc/passwd", "leaves the package"),
            ("fs", "Cannot find module 'fs' from 'pages/x.js'"),
            ("plugin://myPlugin/x", "plugins are not supported"),
            ("/b", "Cannot find module '/b'"),
            ("", "Cannot find module ''"),
        ] {
            let e = run(&list, "pages/x.js", spec).expect_err("an error");
            assert!(e.contains(want), "{spec}: {e}");
        }
        // .ts is never a candidate.
        assert_eq!(run(&list, "x.js", "./a").expect("ok").path, "a.js");
    }

    #[test]
    fn a_package_json_loop_ends() {
        let list = [
            ("node_modules/l/package.json", r#"{"main":"."}"#),
            ("node_modules/m/package.json", r#"{"main":"../m"}"#),
        ];
        assert!(run(&list, "a.js", "l").is_err());
        assert!(run(&list, "a.js", "m").is_err());
    }
}
