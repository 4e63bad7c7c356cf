//! `mpkit compat`: a mini program against compatibility profiles, with a JSON
//! or HTML report, optionally attached to a release on the platform. The
//! engine is `mpkit_compat` (its `visual` feature for `--screenshots`); this
//! is its command line.

use crate::args::{worker_config, IsolationArg, TrustArgs};
use crate::error::{Coded, Reported};
use crate::output::{escape_line, spinner, Output};
use crate::session::Session;
use anyhow::{Context as _, Result};
use clap::Args;
use mpkit_compat::{self as compat, Input, Options, Report, Severity};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub(crate) struct CompatArgs {
    /// A mini program directory (packed with a throwaway key for the check) or a signed .mpk.
    app: PathBuf,
    /// Only these profiles, by name (comma-separated); default: every profile.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    profiles: Vec<String>,
    /// Also every *.json profile in DIR (one named like a default replaces it).
    #[arg(long, value_name = "DIR")]
    profiles_dir: Option<PathBuf>,
    /// Write a self-contained HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Attach the JSON report to a release's compatibility step on the platform
    /// (the server and token of `mpkit login`, or MPKIT_SERVER/MPKIT_TOKEN).
    #[arg(long, requires = "release")]
    upload: bool,
    /// The release to attach the report to (with --upload).
    #[arg(long, value_name = "ID", requires = "upload")]
    release: Option<String>,
    /// Trust for an .mpk (a directory is signed with a throwaway key for the check).
    #[command(flatten)]
    trust: TrustArgs,
    /// A loopback origin the mini program may reach, e.g. http://127.0.0.1:8080
    /// (nothing else is reachable: compatibility runs resolve no names).
    #[arg(long = "dev-origin", value_name = "URL")]
    dev_origin: Vec<String>,
    /// Add KEY=VALUE to every page's launch query (e.g. apiBase=http://127.0.0.1:8080).
    #[arg(long = "query", value_name = "KEY=VALUE")]
    query: Vec<String>,
    /// Where the mini program's JS runs.
    #[arg(long, value_enum, default_value_t = IsolationArg::Thread)]
    isolation: IsolationArg,
    /// Visual checks: a PNG of every page at each profile's first screen size,
    /// rendered in a real webview, into DIR/<profile>/<page>.png. A blank page
    /// fails its profile. Needs a display (xvfb-run -a).
    #[arg(long, value_name = "DIR")]
    screenshots: Option<PathBuf>,
}

pub(crate) fn run(a: CompatArgs, o: &mut Output<'_>) -> Result<()> {
    let extra = match &a.profiles_dir {
        Some(d) => compat::load_dir(d).map_err(|e| Coded::err("bad_profile", e.to_string()))?,
        None => Vec::new(),
    };
    let all = compat::with_defaults(extra);
    let profiles =
        compat::select(&all, &a.profiles).map_err(|e| Coded::err("unknown_profile", e))?;
    if !a.app.exists() {
        return Err(Coded::err(
            "bad_input",
            format!("{}: no such file or directory", a.app.display()),
        ));
    }
    let input = if a.app.is_dir() {
        Input::Dir(a.app.clone())
    } else {
        if a.trust.is_empty() {
            return Err(Coded::err(
                "usage",
                "checking a bundle needs --trust KEY.pub or --root root.json (a directory needs neither)",
            ));
        }
        let trust = a.trust.load()?;
        Input::Bundle {
            path: a.app.clone(),
            trust,
        }
    };
    // The runs' own log output (the mini program's console) only with MPKIT_LOG.
    let mut opts = Options::new()
        .dev_origins(a.dev_origin.clone())
        .logs(std::env::var_os("MPKIT_LOG").is_some());
    for q in &a.query {
        let (k, v) = q
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| Coded::err("usage", format!("--query {q:?} must be KEY=VALUE")))?;
        opts = opts.query(k, v);
    }
    if a.isolation == IsolationArg::Process {
        opts = opts.isolation(a.isolation.isolation(worker_config()));
    }
    // The session is opened first, so a missing login fails before the runs.
    let session = if a.upload {
        Some(Session::open()?)
    } else {
        None
    };

    let pb = spinner(&format!("checking {} profiles", profiles.len()));
    let report = compat::check(&input, &profiles, &opts);
    pb.finish_and_clear();
    let mut report = report.with_context(|| format!("checking {}", a.app.display()))?;
    if let Some(dir) = &a.screenshots {
        let (note, shots, problems) = compat::visual::run(&input, &profiles, &report, dir)
            .map_err(|e| match e.code() {
                "failed" => anyhow::Error::new(e),
                code => Coded::err(code, e.to_string()),
            })?;
        report.add_visual(note, shots, problems);
    }

    if let Some(path) = &a.html {
        std::fs::write(path, report.to_html())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let mut uploaded = None;
    if let (Some(s), Some(id)) = (&session, &a.release) {
        let c = s.call(
            format_args!("attaching the report to release {id}"),
            s.client.compat_report(id, &report.to_json()),
        )?;
        uploaded = Some((c.id, c.state.to_string()));
    }
    o.emit(&report.to_json(), || {
        human(&report, a.html.as_ref(), uploaded.as_ref())
    })?;
    if report.failed() {
        let failed: Vec<&str> = report
            .profiles
            .iter()
            .filter(|p| p.status == compat::Status::Fail)
            .map(|p| p.name.as_str())
            .collect();
        return Err(Reported(format!(
            "{} of {} profiles failed: {}",
            failed.len(),
            report.profiles.len(),
            failed.join(", ")
        ))
        .into());
    }
    Ok(())
}

fn human(r: &Report, html: Option<&PathBuf>, uploaded: Option<&(String, String)>) -> String {
    let mut s = format!(
        "{} {} ({}): {} pages, {} JS files, package {} bytes\n",
        escape_line(&r.app.name),
        r.app.version,
        r.app.app_id,
        r.app.pages.len(),
        r.js_files,
        r.app.package_bytes
    );
    let width = r.profiles.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in &r.profiles {
        let count = |sev: Severity| p.problems.iter().filter(|x| x.severity == sev).count();
        let runs: Vec<&str> = p.runs.iter().map(|r| r.name.as_str()).collect();
        s.push_str(&format!(
            "{:<4}  {:<width$}  {} errors, {} warnings, {} notes  ({})\n",
            p.status.as_str().to_uppercase(),
            p.name,
            count(Severity::Error),
            count(Severity::Warn),
            count(Severity::Info),
            runs.join(", ")
        ));
        for x in p.problems.iter().filter(|x| x.severity != Severity::Info) {
            let sev = if x.severity == Severity::Error {
                "error"
            } else {
                "warn"
            };
            let mut at = String::new();
            if let Some(page) = &x.page {
                at.push_str(page);
                at.push(' ');
            }
            if let Some(f) = &x.file {
                at.push_str(f);
                if let Some(l) = x.line {
                    at.push_str(&format!(":{l}"));
                }
                at.push(' ');
            }
            let mut line = format!("      {sev:<5} {} {at}{}", x.kind, x.message);
            if let Some(c) = &x.context {
                line.push_str(&format!(" [{c}]"));
            }
            if !x.conditions.is_empty() {
                line.push_str(&format!(" ({})", x.conditions.join(", ")));
            }
            // One line per problem, whatever the bundle put in its messages,
            // and no control characters (terminal escapes) from it.
            s.push_str(&escape_line(&line));
            s.push('\n');
        }
    }
    s.push_str(&format!("{}\n", r.visual.note));
    if let Some(h) = html {
        s.push_str(&format!("HTML report: {}\n", h.display()));
    }
    if let Some((id, state)) = uploaded {
        s.push_str(&format!("attached to release {id} (now {state})\n"));
    }
    s.push_str(&format!(
        "checked {} profiles in {:.1} s: {}\n",
        r.profiles.len(),
        r.elapsed_ms as f64 / 1000.0,
        r.status.as_str()
    ));
    s
}
