//! `cargo xtask bench modules`: what modules cost a launch, against the
//! engine's floor, in both isolation modes, side by side in one run.
//!
//! - 200 modules (about 1 KB each, each requiring the next two, so a tree
//!   eight deep, as a program's pages, utils and packages are), as CommonJS
//!   and as ES modules, against the same code concatenated into app.js: one
//!   script, no registry, no resolution, no file reads (the floor).
//! - A 300 KB framework runtime file required by app.js, against the same
//!   text inline in app.js, and against an app without it.
//!
//! Each program is packed and installed once; every sample is a cold
//! launch of the installed version to its first rendered page, through the
//! embedding API. Samples of all programs and both modes are interleaved.

use crate::report::table;
use crate::report::Output;
use anyhow::{bail, ensure, Result};
use clap::Args;
use mpkit_bundle::{AppId, Expected, PackOptions, SecretKey, Trust};
use mpkit_host::{HeadlessSurface, Host, Isolation, LaunchSource, ThreadOptIn};
use serde_json::{json, Map};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// `cargo xtask bench modules`.
#[derive(Debug, Args)]
pub(crate) struct ModulesArgs {
    /// Measured runs (the median is reported).
    #[arg(long, default_value_t = 15)]
    runs: u32,
}

const MODULES: usize = 200;

/// Module `i`'s children in the tree: `2i+1` and `2i+2`, those that exist.
fn children(i: usize) -> Vec<usize> {
    [2 * i + 1, 2 * i + 2]
        .into_iter()
        .filter(|c| *c < MODULES)
        .collect()
}

/// One module's body; `kids` are how it reaches its children's values.
fn body(i: usize, kids: &[String]) -> String {
    let mut s = String::new();
    for k in 0..6 {
        let _ = writeln!(
            s,
            "function f{i}_{k}(x) {{\n  let s = 0;\n  for (let k = 0; k < 4; k++) {{ s += (x * k + {k}) % 7; }}\n  const o = {{ a: x, b: [s, {k}], c: 'module {i} function {k}' }};\n  return o.b[0] + o.a;\n}}"
        );
    }
    let sum: String = kids.iter().map(|k| format!(" + {k}.value")).collect();
    let _ = writeln!(
        s,
        "const value{i} = 1{sum};\nconst table{i} = [f{i}_0, f{i}_1, f{i}_2, f{i}_3, f{i}_4, f{i}_5];"
    );
    s
}

fn write(dir: &Path, files: &[(String, String)]) -> Result<()> {
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().expect("a parent"))?;
        std::fs::write(p, text)?;
    }
    Ok(())
}

const PAGE_AXML: &str = "<view><text id=\"v\">{{v}}</text></view>";

/// An app whose app.js ends with `value` as the chain's last value, and a page showing it.
fn program(dir: &Path, app_js: String, mut more: Vec<(String, String)>) -> Result<()> {
    more.push((
        "app.json".into(),
        r#"{"pages":["pages/index/index"]}"#.into(),
    ));
    more.push(("app.js".into(), app_js));
    more.push(("pages/index/index.axml".into(), PAGE_AXML.into()));
    more.push((
        "pages/index/index.js".into(),
        "Page({ data: { v: getApp().globalData.v } });".into(),
    ));
    write(dir, &more)
}

fn cjs(dir: &Path) -> Result<()> {
    let mut files = Vec::new();
    for i in 0..MODULES {
        let mut head = String::new();
        let mut kids = Vec::new();
        for c in children(i) {
            let _ = writeln!(head, "const c{c} = require('./m{c}');");
            kids.push(format!("c{c}"));
        }
        files.push((
            format!("lib/m{i}.js"),
            format!(
                "{head}{}exports.value = value{i};\nexports.table = table{i};\n",
                body(i, &kids)
            ),
        ));
    }
    program(
        dir,
        "const root = require('./lib/m0');\nApp({ globalData: { v: root.value } });\n".into(),
        files,
    )
}

fn esm(dir: &Path) -> Result<()> {
    let mut files = Vec::new();
    for i in 0..MODULES {
        let mut head = String::new();
        let mut kids = Vec::new();
        for c in children(i) {
            let _ = writeln!(head, "import * as c{c} from './m{c}';");
            kids.push(format!("c{c}"));
        }
        files.push((
            format!("lib/m{i}.js"),
            format!(
                "{head}{}export const value = value{i};\nexport const table = table{i};\n",
                body(i, &kids)
            ),
        ));
    }
    program(
        dir,
        "import { value } from './lib/m0';\nApp({ globalData: { v: value } });\n".into(),
        files,
    )
}

/// The floor: the same bodies in one script, each in its own function
/// scope, children first.
fn concatenated(dir: &Path) -> Result<()> {
    let mut s = String::new();
    for i in (0..MODULES).rev() {
        let kids: Vec<String> = children(i).iter().map(|c| format!("m{c}")).collect();
        let _ = writeln!(
            s,
            "var m{i} = (function () {{\n{}return {{ value: value{i}, table: table{i} }};\n}})();",
            body(i, &kids)
        );
    }
    s.push_str("App({ globalData: { v: m0.value } });\n");
    program(dir, s, Vec::new())
}

/// A framework runtime of about 300 KB: one CommonJS file of many small functions.
fn framework_text() -> String {
    let mut s = String::from("var runtime = {};\n");
    let mut i = 0;
    while s.len() < 300 * 1024 {
        let _ = writeln!(
            s,
            "runtime.h{i} = function (a, b) {{ if (a === undefined) {{ return b; }} var out = {{ kind: 'h{i}', a: a, b: b, list: [a, b, {i}] }}; return out.list.length + (typeof b === 'string' ? b.length : 0); }};"
        );
        i += 1;
    }
    s.push_str("module.exports = runtime;\n");
    s
}

fn framework(dir: &Path) -> Result<()> {
    program(
        dir,
        "const runtime = require('./vendor/runtime');\nApp({ globalData: { v: runtime.h1(1, 'x') } });\n".into(),
        vec![("vendor/runtime.js".into(), framework_text())],
    )
}

fn framework_inline(dir: &Path) -> Result<()> {
    let text = framework_text().replace("module.exports = runtime;\n", "");
    program(
        dir,
        format!("{text}App({{ globalData: {{ v: runtime.h1(1, 'x') }} }});\n"),
        Vec::new(),
    )
}

fn no_framework(dir: &Path) -> Result<()> {
    program(dir, "App({ globalData: { v: 2 } });\n".into(), Vec::new())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub(crate) fn run(args: ModulesArgs, o: &mut Output) -> Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let worker = super::tools::worker()?;
    let work = tempfile::tempdir()?;
    let key = SecretKey::generate()?;
    let trust = Trust::Developer(vec![key.public().clone()]);
    type Make = fn(&Path) -> Result<()>;
    let programs: [(&str, Make, &str); 6] = [
        (
            "concat",
            concatenated,
            "200 modules' code in one script (floor)",
        ),
        ("cjs", cjs, "200 CommonJS modules"),
        ("esm", esm, "200 ES modules"),
        ("none", no_framework, "app without a framework"),
        (
            "inline",
            framework_inline,
            "300 KB framework inline in app.js (floor)",
        ),
        (
            "framework",
            framework,
            "300 KB framework required by app.js",
        ),
    ];
    let modes = [
        ("thread", Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED)),
        ("process", Isolation::Process(worker)),
    ];
    let mut hosts = Vec::new();
    for (name, iso) in &modes {
        hosts.push(
            Host::builder()
                .trust(trust.clone())
                .storage_dir(work.path().join(name))
                .isolation(iso.clone())
                .build()?,
        );
    }
    for (name, make, _) in &programs {
        let dir = work.path().join("src").join(name);
        make(&dir)?;
        let opts = PackOptions {
            app_id: Some(format!("bench.{name}")),
            ..PackOptions::default()
        };
        let packed = mpkit_bundle::pack_project(&dir, &key, &opts)?;
        let file = work.path().join(format!("{name}.mpk"));
        std::fs::write(&file, &packed.bytes)?;
        for h in &hosts {
            h.install(&file, &Expected::any())?;
        }
    }
    let launch = |h: &Host, name: &str| -> Result<f64> {
        let t = Instant::now();
        let app = h.launch(
            LaunchSource::Installed(AppId::new(format!("bench.{name}"))?),
            "bench-user",
            Map::new(),
            HeadlessSurface::new(),
        )?;
        let d = t.elapsed().as_secs_f64() * 1000.0;
        ensure!(
            app.errors().is_empty() && app.html().contains("id=\"v\""),
            "{name}: {:?}",
            app.errors()
        );
        app.close();
        Ok(d)
    };
    let mut samples = vec![vec![Vec::new(); programs.len()]; hosts.len()];
    for round in 0..=args.runs {
        for (m, h) in hosts.iter().enumerate() {
            for (p, (name, _, _)) in programs.iter().enumerate() {
                let d = launch(h, name)?;
                if round > 0 {
                    samples[m][p].push(d);
                }
            }
        }
    }
    let med: Vec<Vec<f64>> = samples
        .into_iter()
        .map(|per| per.into_iter().map(median).collect())
        .collect();
    let mut rows = Vec::new();
    let mut out = Map::new();
    for (m, (mode, _)) in modes.iter().enumerate() {
        let f = &med[m];
        for (p, (name, _, what)) in programs.iter().enumerate() {
            let against = match *name {
                "cjs" | "esm" => Some(f[0]),
                "framework" => Some(f[4]),
                "inline" => Some(f[3]),
                _ => None,
            };
            rows.push(vec![
                mode.to_string(),
                (*what).to_string(),
                format!("{:.1} ms", f[p]),
                against.map_or("-".into(), |a| format!("{:.2}x", f[p] / a)),
            ]);
            out.insert(format!("{mode}_{name}_ms"), json!(f[p]));
        }
        // What modules add to a launch, over the floor.
        out.insert(format!("{mode}_cjs_ratio"), json!(f[1] / f[0]));
        out.insert(format!("{mode}_esm_ratio"), json!(f[2] / f[0]));
        out.insert(format!("{mode}_framework_ratio"), json!(f[5] / f[4]));
    }
    o.emit(&serde_json::Value::Object(out), || {
        format!(
            "Cold launch to the first rendered page, median of {} runs (release):\n{}",
            args.runs,
            table(&["mode", "program", "launch", "vs floor"], &rows)
        )
    })?;
    Ok(())
}
