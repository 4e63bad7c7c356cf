//! Visual checks (the `visual` feature; `mpkit compat --screenshots DIR`):
//! every page rendered in a real webview at each profile's first screen size,
//! written as PNG, and checked. A page that renders blank (one colour) or
//! paints nothing fails its profile; errors the page showed are recorded with
//! its shot. They need a display, and [`run`] runs the webview's event loop on
//! the calling thread (the main thread, for GTK).

use crate::{Input, Problem, Profile, Report, Severity, Shot};
use mpkit_bundle::{SecretKey, Trust};
use mpkit_host::NoDelegate;
use mpkit_host::{Host, LaunchSource};
use mpkit_webview::{Driver, LaunchFn, OpenOptions, WebviewApp, WebviewConfig, WebviewError};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Why the visual checks could not be taken. A page that renders blank or
/// never paints is not this: it is a finding, in the result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VisualError {
    /// The screenshot directory could not be made.
    #[error("{0}")]
    BadInput(String),
    /// The webview could not start (no display).
    #[error("{0}")]
    NoDisplay(String),
    /// The thread taking the screenshots panicked.
    #[error("the screenshot thread panicked")]
    Panicked,
    /// The webview failed while taking the screenshots.
    #[error(transparent)]
    Webview(#[from] WebviewError),
    /// A screenshot could not be written or read back.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A screenshot is not a PNG this reads.
    #[error("{0}")]
    Snapshot(String),
}

impl VisualError {
    /// A stable code: `bad_input`, `no_display`, `internal` or `failed`.
    pub fn code(&self) -> &'static str {
        match self {
            VisualError::BadInput(_) => "bad_input",
            VisualError::NoDisplay(_) => "no_display",
            VisualError::Panicked => "internal",
            _ => "failed",
        }
    }
}

/// How long one page may take to paint.
const PAINT_TIMEOUT: Duration = Duration::from_secs(30);

/// Findings, each with the profile it belongs to.
pub type Findings = Vec<(String, Problem)>;
/// What [`run`] took: a note for the report, the shots and the findings, the
/// three arguments of [`Report::add_visual`].
pub type Visual = (String, Vec<Shot>, Findings);

/// Takes a screenshot of every page of `report`'s app at each profile's first
/// screen size into `dir/<profile>/<page>.png` and checks them.
pub fn run(
    input: &Input,
    profiles: &[Profile],
    report: &Report,
    dir: &Path,
) -> Result<Visual, VisualError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| VisualError::BadInput(format!("{}: {e}", dir.display())))?;
    let pages: Vec<String> = report.app.pages.iter().map(|p| p.route.clone()).collect();
    let queries = match input {
        Input::Dir(d) => crate::launch_queries(&d.join("app.json"), &pages),
        _ => Default::default(),
    };
    let work = tempfile::tempdir()?;
    let ui = WebviewApp::new(WebviewConfig {
        data_dir: work.path().join("webview"),
        exit_when_closed: false,
    })
    .map_err(|e| VisualError::NoDisplay(e.to_string()))?;
    let driver = ui.driver();
    let jobs: Vec<(String, u32, u32, String)> = profiles
        .iter()
        .flat_map(|p| {
            let (w, h) = p
                .screens
                .first()
                .map(|s| (s.width.round() as u32, s.height.round() as u32))
                .unwrap_or((375, 667));
            pages
                .iter()
                .map(move |page| (p.name.clone(), w.max(200), h.max(200), page.clone()))
        })
        .collect();
    let source = match input {
        Input::Dir(d) => Source::Dir(d.clone()),
        Input::Bundle { path, trust } => Source::Bundle(path.clone(), trust.clone()),
    };
    let store = work.path().join("store");
    let out = dir.to_owned();
    let job = std::thread::spawn(move || {
        let r = shoot(&driver, &jobs, &source, &queries, &store, &out);
        let _ = driver.exit();
        r
    });
    ui.run();
    let (shots, problems) = job.join().map_err(|_| VisualError::Panicked)??;
    let note = format!(
        "visual checks: {} screenshots ({} pages x {} profiles) in {}",
        shots.len(),
        pages.len(),
        profiles.len(),
        dir.display()
    );
    Ok((note, shots, problems))
}

#[derive(Clone)]
enum Source {
    Dir(PathBuf),
    Bundle(PathBuf, Trust),
}

fn launcher(
    source: Source,
    store: PathBuf,
    width: f64,
    page: String,
    query: Map<String, Value>,
) -> LaunchFn {
    Arc::new(move |ctx| {
        let (trust, src, dev) = match &source {
            Source::Dir(d) => (
                Trust::Developer(vec![SecretKey::generate()?.public().clone()]),
                LaunchSource::DevDir(d.clone()),
                true,
            ),
            Source::Bundle(p, t) => (t.clone(), LaunchSource::Bundle(p.clone()), false),
        };
        let host = Host::builder()
            .trust(trust)
            .storage_dir(store.clone())
            .dev_mode(dev)
            .screen_width(width)
            // Compatibility runs resolve no names: nothing leaves the machine.
            .network(mpkit_host::NetConfig {
                lookup: Some(Arc::new(|_: &str| {
                    Err(std::io::Error::other("compatibility runs resolve no names"))
                })),
                ..Default::default()
            })
            .delegate(ctx.chrome(Rc::new(NoDelegate)))
            .build()?;
        host.launch_at(src, &ctx.user, Some(&page), query.clone(), ctx.surface)
    })
}

fn file_name(page: &str) -> String {
    page.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        + ".png"
}

fn shoot(
    d: &Driver,
    jobs: &[(String, u32, u32, String)],
    source: &Source,
    queries: &std::collections::BTreeMap<String, Map<String, Value>>,
    store: &Path,
    out: &Path,
) -> Result<(Vec<Shot>, Findings), VisualError> {
    let mut shots = Vec::new();
    let mut problems = Vec::new();
    for (profile, w, h, page) in jobs {
        let pdir = out.join(profile);
        std::fs::create_dir_all(&pdir)?;
        let path = pdir.join(file_name(page));
        let opts = OpenOptions {
            title: format!("{profile} {page}"),
            width: *w,
            height: *h,
            user: "compat".into(),
            ..OpenOptions::default()
        };
        let query = queries.get(page).cloned().unwrap_or_default();
        let slot = d.open(
            opts,
            launcher(
                source.clone(),
                store.to_owned(),
                *w as f64,
                page.clone(),
                query,
            ),
        )?;
        let mut problem = |kind: &str, message: String| {
            let mut p = Problem::new(kind, Severity::Error, message);
            p.page = Some(page.clone());
            p.context = Some(format!("screenshot at {w}x{h}"));
            problems.push((profile.clone(), p));
        };
        match d.wait_painted(slot, PAINT_TIMEOUT) {
            Ok(painted) => {
                let _ = d.wait_js(
                    slot,
                    "Array.from(document.querySelectorAll('.mp-page')).every(p => Array.from(p.shadowRoot.querySelectorAll('img')).every(i => i.complete))",
                    Duration::from_secs(5),
                );
                d.screenshot(slot, &path)?;
                let facts = mpkit_webview::describe_png(&path).map_err(VisualError::Snapshot)?;
                let status = d.status(slot)?.unwrap_or_default();
                // The page area alone: the chrome always has a few colours.
                let body = d
                    .eval(
                        slot,
                        "(function(){const p=document.querySelector('.mp-page:not([hidden])');if(!p)return 0;const b=p.shadowRoot.querySelector('.mp-body');return b?b.getBoundingClientRect().height*b.getBoundingClientRect().width>0&&(b.textContent.trim().length>0||b.querySelector('img,progress,input,button,textarea')!==null):0})()",
                    )
                    .unwrap_or_default();
                if facts.colours <= 1 || body != "true" {
                    problem(
                        "blank-page",
                        format!(
                            "the page rendered nothing visible at {w}x{h} ({} colours)",
                            facts.colours
                        ),
                    );
                }
                shots.push(Shot {
                    profile: profile.clone(),
                    screen: format!("{w}x{h}"),
                    page: page.clone(),
                    file: path.display().to_string(),
                    colours: facts.colours,
                    first_paint_ms: painted.as_millis() as u64,
                    errors: status.page_errors.clone(),
                });
            }
            Err(e) => problem("no-paint", format!("the page never painted: {e}")),
        }
        d.close(slot)?;
        // The next page's host opens the same store: wait for this one to end.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while d.status(slot)?.is_some() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    Ok((shots, problems))
}
