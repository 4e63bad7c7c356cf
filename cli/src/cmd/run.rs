//! `mpkit run`: launch a mini program headless and drive it with steps.

use crate::cli::{IsolationArg, OptionalTrust, TrustArgs};
use crate::Output;
use anyhow::{bail, Context as _, Result};
use mpkit_bundle::{Caps, Expected, PackOptions, SecretKey, Store, Trust};
use mpkit_host::logic::worker::WorkerConfig;
use mpkit_host::runtime::files::DirFiles;
use mpkit_host::runtime::{Isolation, LaunchOptions, Runtime};
use mpkit_host::surface::headless::HeadlessSurface;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// One step of a script.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Step {
    Tap(String),
    Input { selector: String, value: String },
    Back(usize),
    WaitFor(String),
    ExpectText { selector: String, text: String },
}

pub(crate) struct RunOptions {
    pub(crate) headless: bool,
    pub(crate) script: Option<std::path::PathBuf>,
    pub(crate) width: f64,
    pub(crate) isolation: IsolationArg,
    pub(crate) timeout_ms: u64,
    pub(crate) memory_mb: u64,
}

pub(crate) fn run(
    app: &Path,
    ro: &RunOptions,
    trust: &OptionalTrust,
    o: &mut Output<'_>,
) -> Result<()> {
    let script = ro.script.as_deref();
    if !ro.headless {
        bail!("only --headless is available until the webview surface lands; pass --headless");
    }
    let steps: Vec<Step> = match script {
        Some(p) => {
            let text = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            serde_json::from_slice(&text).with_context(|| {
                format!(
                    "{}: steps must be a JSON array of one-key objects",
                    p.display()
                )
            })?
        }
        None => Vec::new(),
    };
    let work = tempfile::tempdir()?;
    let store = Store::open(work.path().join("store"))?;
    let installed = if app.is_dir() {
        // A throwaway key signs the directory and is trusted for this run only.
        let key = SecretKey::generate()?;
        let (_, bytes) = mpkit_bundle::pack_dir(app, &key, &PackOptions::default())?;
        store.install(
            &bytes,
            &Trust::Developer(vec![key.public().clone()]),
            &Expected::any(),
            &Caps::default(),
        )?
    } else {
        if trust.trust.is_empty() && trust.root.is_empty() {
            bail!("running a bundle needs --trust KEY.pub or --root root.json");
        }
        let t = super::load_trust(&TrustArgs {
            trust: trust.trust.clone(),
            root: trust.root.clone(),
        })?;
        store.install_file(app, &t, &Expected::any(), &Caps::default())?
    };
    let isolation = match ro.isolation {
        IsolationArg::Thread => Isolation::Thread,
        IsolationArg::Process => Isolation::Process(WorkerConfig {
            exe: None,
            memory_bytes: ro.memory_mb.saturating_mul(1024 * 1024),
            timeout: Duration::from_millis(ro.timeout_ms.max(1)),
        }),
    };
    let opts = LaunchOptions {
        screen_width: ro.width,
        isolation,
        ..LaunchOptions::default()
    };
    let mut rt = Runtime::launch(
        Box::new(DirFiles::new(&installed.path)),
        HeadlessSurface::new(),
        opts,
    )?;

    let mut results = Vec::new();
    let mut failed = false;
    for step in &steps {
        let r: Result<String, String> = match step {
            Step::Tap(sel) => rt.tap(sel).map(|()| format!("tapped {sel}")),
            Step::Input { selector, value } => rt
                .input(selector, value)
                .map(|()| format!("typed {value:?} into {selector}")),
            Step::Back(n) => {
                rt.back(*n);
                Ok(format!("went back {n}"))
            }
            Step::WaitFor(sel) => rt
                .wait_for(sel, Duration::from_secs(5))
                .map(|()| format!("found {sel}")),
            Step::ExpectText { selector, text } => match rt.text(selector) {
                Ok(t) if t.contains(text.as_str()) => Ok(format!("{selector} contains {text:?}")),
                Ok(t) => Err(format!(
                    "{selector} has {t:?}, expected it to contain {text:?}"
                )),
                Err(e) => Err(e),
            },
        };
        let (ok, message) = match r {
            Ok(m) => (true, m),
            Err(m) => (false, m),
        };
        failed |= !ok;
        results.push(json!({"ok": ok, "message": message}));
        if !ok {
            break;
        }
    }
    let stopped = rt.stopped().map(ToString::to_string);
    let errors: Vec<Value> = rt
        .errors()
        .iter()
        .map(|e| json!({"kind": e.kind, "file": e.file, "line": e.line, "column": e.column, "message": e.message}))
        .collect();
    let calls: Vec<Value> = rt
        .calls()
        .iter()
        .map(|c| json!({"api": c.api, "ok": c.ok, "error": c.error}))
        .collect();
    let value = json!({
        "route": rt.route(),
        "stack": rt.routes(),
        "html": rt.html(),
        "steps": results,
        "jsapi_calls": calls,
        "errors": errors,
        "stopped": stopped,
    });
    o.emit(&value, || {
        let mut s = String::new();
        for (i, r) in results.iter().enumerate() {
            let mark = if r["ok"] == true { "ok  " } else { "FAIL" };
            s.push_str(&format!(
                "step {:>2} {mark} {}\n",
                i + 1,
                r["message"].as_str().unwrap_or_default()
            ));
        }
        s.push_str(&format!(
            "route: {}\nstack: {}\n",
            rt.route().unwrap_or("-"),
            rt.routes().join(" > ")
        ));
        for e in rt.errors() {
            s.push_str(&format!(
                "error: {}:{}:{}: {}\n",
                e.file, e.line, e.column, e.message
            ));
        }
        s
    })?;
    rt.close();
    if failed {
        return Err(crate::Reported("a step failed".into()).into());
    }
    if !rt.errors().is_empty() {
        return Err(crate::Reported(format!(
            "the mini program hit {} uncaught error(s)",
            rt.errors().len()
        ))
        .into());
    }
    Ok(())
}
