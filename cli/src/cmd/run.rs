//! `mpkit run`: launch a mini program headless and drive it with steps. Its
//! console shows on stderr as it runs, each line tagged with its level.

use crate::args::{
    announce_dev_identity, worker_config, ConsoleArgs, IdentityArgs, IsolationArg, TrustArgs,
};
use crate::console;
use crate::error::Reported;
use crate::output::Output;
use anyhow::{bail, Context as _, Result};
use clap::Args;
use mpkit_bundle::{SecretKey, Trust};
use mpkit_host::{
    Answers, AppHandle, EventKind, HeadlessSurface, Host, LaunchSource, RecordingDelegate,
    WorkerConfig,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

/// `mpkit run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// A mini program directory (packed on the fly with a throwaway dev key) or an .mpk.
    app: PathBuf,
    /// Render into the headless DOM (required; `mpkit preview` shows a window).
    #[arg(long)]
    headless: bool,
    /// A JSON array of steps: {"tap": SEL}, {"input": {"selector", "value"}}, {"back": N},
    /// {"wait_for": SEL}, {"expect_text": {"selector", "text"}}, {"idle": MS},
    /// {"event": {"selector", "type", "detail"}}, {"touch": {"selector", "points": [[X, Y], ...]}}.
    #[arg(long)]
    script: Option<PathBuf>,
    /// The identity a directory runs under, over its own.
    #[command(flatten)]
    identity: IdentityArgs,
    /// Trust for an .mpk (a directory is signed with a throwaway key and trusted for this run).
    #[command(flatten)]
    trust: TrustArgs,
    /// Screen width in px (750rpx).
    #[arg(long, default_value_t = 375.0)]
    width: f64,
    /// Where the JS runs: a worker process (memory cap and watchdog) or this thread.
    #[arg(long, value_enum, default_value_t = IsolationArg::Process)]
    isolation: IsolationArg,
    /// Watchdog: how long one handler may run, in milliseconds (process mode).
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,
    /// Memory cap of the worker, in MiB (process mode).
    #[arg(long, default_value_t = 1024)]
    memory_mb: u64,
    /// The host user the mini program runs for (identity comes from the host).
    #[arg(long, default_value = "dev-user")]
    user: String,
    /// Answer yes when the mini program asks for this scope (e.g. scope.location).
    #[arg(long = "grant", value_name = "SCOPE")]
    grant: Vec<String>,
    /// Answer no when the mini program asks for this scope (the default answer).
    #[arg(long = "deny", value_name = "SCOPE")]
    deny: Vec<String>,
    /// Confirm payment sheets (tradePay); without it every payment is cancelled.
    #[arg(long)]
    confirm_payments: bool,
    /// A loopback origin the mini program may reach in development, e.g. http://127.0.0.1:8080.
    #[arg(long = "dev-origin", value_name = "URL")]
    dev_origin: Vec<String>,
    /// The network of a directory run: `open` (any public https host, one
    /// warning per origin; the default, as Alipay's IDE can skip the domain
    /// check), `declared` (only mpkit.json's domains, as a release), `off`
    /// (every call fails as offline, error 12), `fixtures=DIR` (requests are
    /// answered from the recorded files in DIR; nothing leaves the machine).
    /// A bundle keeps its approved lists.
    #[arg(long, default_value = "open", value_parser = parse_net)]
    net: NetArg,
    /// Keep user data (storage, files, consent) here across runs instead of a temporary directory.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) console: ConsoleArgs,
}

/// `--net`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NetArg {
    Open,
    Declared,
    Off,
    Fixtures(PathBuf),
}

fn parse_net(s: &str) -> Result<NetArg, String> {
    match s {
        "open" => Ok(NetArg::Open),
        "declared" => Ok(NetArg::Declared),
        "off" => Ok(NetArg::Off),
        _ => match s.strip_prefix("fixtures=") {
            Some(dir) if !dir.is_empty() => Ok(NetArg::Fixtures(PathBuf::from(dir))),
            _ => Err(format!(
                "{s:?}: expected open, declared, off or fixtures=DIR"
            )),
        },
    }
}

/// Sees a run's network calls: the origins reached (each said once), or,
/// with `--net off`, refuses every call as offline.
#[derive(Debug, Default)]
pub(crate) struct DevNet {
    off: bool,
    origins: std::sync::Mutex<Vec<(String, String)>>,
}

impl mpkit_host::NetShaper for DevNet {
    fn before_request(&self, call: &mpkit_host::NetCall<'_>) -> Result<(), mpkit_host::NetRefusal> {
        if self.off {
            return Err(mpkit_host::NetRefusal::Network(
                "offline (mpkit run --net off)".into(),
            ));
        }
        let origin = call.url.origin().ascii_serialization();
        let mut seen = self.origins.lock().unwrap_or_else(|e| e.into_inner());
        if !seen.iter().any(|(_, o)| *o == origin) {
            seen.push((call.api.to_owned(), origin));
        }
        Ok(())
    }
}

/// One step of a script.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Step {
    Tap(String),
    Input {
        selector: String,
        value: String,
    },
    Back(usize),
    WaitFor(String),
    ExpectText {
        selector: String,
        text: String,
    },
    Idle(u64),
    /// An event of any kind, as a surface reports it: `{"event":
    /// {"selector", "type": "animationEnd", "detail": {…}}}`.
    Event {
        selector: String,
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        detail: Value,
    },
    /// A finger through points in px: `{"touch": {"selector", "points": [[x, y], …]}}`.
    Touch {
        selector: String,
        points: Vec<(f64, f64)>,
    },
}

pub(crate) fn run(ro: RunArgs, o: &mut Output<'_>) -> Result<()> {
    let app = ro.app.as_path();
    let trust = &ro.trust;
    let script = ro.script.as_deref();
    if !ro.headless {
        bail!(
            "mpkit run drives the headless DOM: pass --headless (for a window, use mpkit preview)"
        );
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
    if let Some(both) = ro.grant.iter().find(|g| ro.deny.contains(g)) {
        bail!("{both} is both granted and denied");
    }
    let work = tempfile::tempdir()?;
    let isolation = ro.isolation.isolation(WorkerConfig {
        memory_bytes: ro.memory_mb.saturating_mul(1024 * 1024),
        timeout: Duration::from_millis(ro.timeout_ms.max(1)),
        ..worker_config()
    });
    let mut answers = Answers {
        pay_confirm: ro.confirm_payments,
        ..Answers::default()
    };
    for s in &ro.grant {
        answers.consent.insert(s.clone(), true);
    }
    for s in &ro.deny {
        answers.consent.insert(s.clone(), false);
    }
    let delegate = Rc::new(RecordingDelegate::new(answers));
    let (trust, source) = if app.is_dir() {
        // Dev mode: a throwaway key signs the directory for this run only.
        let unused = SecretKey::generate()?;
        (
            Trust::Developer(vec![unused.public().clone()]),
            LaunchSource::DevDirAs(app.to_path_buf(), ro.identity.flags()),
        )
    } else {
        if trust.is_empty() {
            bail!("running a bundle needs --trust KEY.pub or --root root.json");
        }
        let t = trust.load()?;
        (t, LaunchSource::Bundle(app.to_path_buf()))
    };
    if app.is_dir() {
        announce_dev_identity(app, &ro.identity, o.diag())?;
    }
    let store = match &ro.data_dir {
        Some(d) => d.clone(),
        None => work.path().join("store"),
    };
    let net = std::sync::Arc::new(DevNet {
        off: ro.net == NetArg::Off,
        ..DevNet::default()
    });
    let mut builder = Host::builder()
        .trust(trust)
        .dev_network(app.is_dir() && ro.net != NetArg::Declared)
        .net_shaper(net.clone());
    if let NetArg::Fixtures(dir) = &ro.net {
        builder = builder.net_fixtures(std::sync::Arc::new(crate::fixtures::Fixtures::load(dir)?));
    }
    let host = builder
        .storage_dir(store)
        .delegate(delegate.clone())
        .isolation(isolation)
        .screen_width(ro.width)
        .dev_mode(app.is_dir())
        .dev_origins(&ro.dev_origin)
        .build()?;
    let mut rt = host.launch(source, &ro.user, Default::default(), HeadlessSurface::new())?;
    // The console as it comes: after the launch, and after each step.
    let mut shown = 0;
    let mut show_console = |rt: &AppHandle<HeadlessSurface>, o: &mut Output<'_>| {
        if !ro.console.quiet {
            shown = console::print_new(rt.console(), shown, o.diag());
        }
    };
    show_console(&rt, o);

    let mut results = Vec::new();
    let mut failed = false;
    for step in &steps {
        let r: Result<String, String> = match step {
            Step::Tap(sel) => rt
                .tap(sel)
                .map(|()| format!("tapped {sel}"))
                .map_err(String::from),
            Step::Input { selector, value } => rt
                .input(selector, value)
                .map(|()| format!("typed {value:?} into {selector}"))
                .map_err(String::from),
            Step::Back(n) => {
                rt.back(*n);
                Ok(format!("went back {n}"))
            }
            Step::WaitFor(sel) => rt
                .wait_for(sel, Duration::from_secs(5))
                .map(|()| format!("found {sel}"))
                .map_err(String::from),
            Step::Idle(ms) => {
                if rt.run_until_idle(Duration::from_millis(50), Duration::from_millis(*ms)) {
                    Ok("idle".to_string())
                } else {
                    Err(format!("still busy after {ms} ms"))
                }
            }
            Step::Event {
                selector,
                kind,
                detail,
            } => match EventKind::from_js_type(kind) {
                Some(k) => {
                    let detail = if detail.is_null() {
                        json!({})
                    } else {
                        detail.clone()
                    };
                    rt.fire(selector, k, detail)
                        .map(|()| format!("{kind} at {selector}"))
                        .map_err(String::from)
                }
                None => Err(format!("{kind:?} is not an event type")),
            },
            Step::Touch { selector, points } => rt
                .touch(selector, points)
                .map(|()| format!("touched {selector} through {} points", points.len()))
                .map_err(String::from),
            Step::ExpectText { selector, text } => match rt.text(selector) {
                Ok(t) if t.contains(text.as_str()) => Ok(format!("{selector} contains {text:?}")),
                Ok(t) => Err(format!(
                    "{selector} has {t:?}, expected it to contain {text:?}"
                )),
                Err(e) => Err(e.to_string()),
            },
        };
        let (ok, message) = match r {
            Ok(m) => (true, m),
            Err(m) => (false, m),
        };
        failed |= !ok;
        show_console(&rt, o);
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
    let mut warnings: Vec<Value> = rt
        .warnings()
        .iter()
        .map(|e| json!({"kind": e.kind, "file": e.file, "line": e.line, "column": e.column, "message": e.message}))
        .collect();
    // Each origin the program reached, once: allowed here, but a release
    // needs its domain approved on the platform.
    let origins = net
        .origins
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let reached: Vec<String> = origins
        .iter()
        .map(|(api, origin)| {
            format!("my.{api} reached {origin}: allowed in development; a release needs the domain approved on the platform")
        })
        .collect();
    for m in &reached {
        warnings.push(json!({"kind": "network", "file": "", "line": 0, "column": 0, "message": m}));
    }
    let calls: Vec<Value> = rt
        .calls()
        .iter()
        .map(|c| json!({"api": c.api, "ok": c.ok, "error": c.error}))
        .collect();
    let value = json!({
        "route": rt.current_page(),
        "stack": rt.routes(),
        "html": rt.html(),
        "steps": results,
        "jsapi_calls": calls,
        "host_events": delegate.events(),
        "errors": errors,
        "warnings": warnings,
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
            rt.current_page().unwrap_or("-"),
            rt.routes().join(" > ")
        ));
        for c in rt.calls() {
            match c.error {
                None => s.push_str(&format!("my.{}: ok\n", c.api)),
                Some(code) => s.push_str(&format!("my.{}: error {code}\n", c.api)),
            }
        }
        for m in &reached {
            s.push_str(&format!("warning (network): {m}\n"));
        }
        for w in rt.warnings() {
            s.push_str(&format!(
                "warning ({}): {}{}\n",
                w.kind,
                if w.file.is_empty() {
                    String::new()
                } else {
                    format!("{}:{}:{}: ", w.file, w.line, w.column)
                },
                w.message
            ));
        }
        for e in rt.errors() {
            s.push_str(&format!(
                "error: {}:{}:{}: {}\n",
                e.file, e.line, e.column, e.message
            ));
        }
        s
    })?;
    let uncaught = rt.errors().len();
    rt.close();
    if failed {
        return Err(Reported("a step failed".into()).into());
    }
    if uncaught > 0 {
        return Err(Reported(format!("the mini program hit {uncaught} uncaught error(s)")).into());
    }
    Ok(())
}
