//! `mpkit preview`: a mini program in a real window, sized to a device
//! profile. A directory is packed and signed with a throwaway dev key on the
//! fly and reloaded when it changes, keeping the current route; JS and AXML
//! errors show in an overlay. `--screenshot OUT.png --exit-after-render`
//! renders the first page, writes a PNG and exits (tests, compatibility runs).
//! The mini program's console shows on stderr (`crate::console`), unless
//! `--quiet`.

use crate::args::{announce_dev_identity, ConsoleArgs, IdentityArgs, TrustArgs};
use crate::error::Coded;
use crate::output::Output;
use anyhow::Result;
use clap::Args;
use mpkit_bundle::{SecretKey, Trust};
use mpkit_host::NoDelegate;
use mpkit_host::{Host, LaunchSource};
use mpkit_webview::{find_device, Driver, LaunchFn, OpenOptions, WebviewApp, WebviewConfig};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, Args)]
pub(crate) struct PreviewArgs {
    /// A mini program directory (packed with a throwaway dev key, reloaded on
    /// change) or a signed .mpk.
    app: PathBuf,
    /// The device profile the window is sized to: iphone-se, iphone-15,
    /// iphone-15-pro-max, pixel-8, galaxy-a14, ipad-mini.
    #[arg(long, default_value = "iphone-se")]
    device: String,
    /// The host user the mini program runs for.
    #[arg(long, default_value = "dev-user")]
    user: String,
    /// Open the web inspector.
    #[arg(long)]
    devtools: bool,
    /// Write a PNG of the first rendered page here.
    #[arg(long, value_name = "OUT.png")]
    screenshot: Option<PathBuf>,
    /// Exit once the screenshot is written (an error if the page failed).
    #[arg(long, requires = "screenshot")]
    exit_after_render: bool,
    /// Trust for an .mpk (a directory is signed with a throwaway key).
    #[command(flatten)]
    trust: TrustArgs,
    /// The identity a directory runs under, over its own.
    #[command(flatten)]
    identity: IdentityArgs,
    /// A loopback origin the mini program may reach, e.g. http://127.0.0.1:8080.
    #[arg(long = "dev-origin", value_name = "URL")]
    dev_origin: Vec<String>,
    /// Keep user data (storage, files, consent, webview data) here across runs.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) console: ConsoleArgs,
}

/// How long the first page may take before `--exit-after-render` gives up.
const RENDER_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) fn run(a: PreviewArgs, o: &mut Output<'_>) -> Result<()> {
    let device = find_device(&a.device).map_err(|e| Coded::err("unknown_device", e))?;
    if !a.app.exists() {
        return Err(Coded::err(
            "bad_input",
            format!("{}: no such file or directory", a.app.display()),
        ));
    }
    let is_dir = a.app.is_dir();
    let trust = if is_dir {
        announce_dev_identity(&a.app, &a.identity, o.diag())?;
        None
    } else {
        if a.trust.is_empty() {
            return Err(Coded::err(
                "bad_input",
                "previewing a bundle needs --trust KEY.pub or --root root.json",
            ));
        }
        Some(a.trust.load()?)
    };
    for origin in &a.dev_origin {
        mpkit_host::parse_dev_origin(origin).map_err(|e| Coded::err("bad_input", e))?;
    }
    let work = tempfile::tempdir()?;
    let data = a.data_dir.clone().unwrap_or_else(|| work.path().to_owned());
    let app = WebviewApp::new(WebviewConfig {
        data_dir: data.join("webview"),
        exit_when_closed: true,
    })
    .map_err(|e| Coded::err("no_display", e.to_string()))?;
    let launch = launcher(
        a.app.clone(),
        trust,
        data.join("store"),
        device.width as f64,
        a.dev_origin.clone(),
        a.identity.flags(),
    );
    let opts = OpenOptions {
        title: format!("{} · {}", a.app.display(), device.label),
        width: device.width,
        height: device.height,
        user: a.user.clone(),
        devtools: a.devtools,
        overlay_errors: true,
        ..OpenOptions::default()
    };
    let driver = app.driver();
    let job = Job {
        dir: is_dir.then(|| a.app.clone()),
        screenshot: a.screenshot.clone(),
        exit_after_render: a.exit_after_render,
    };
    let worker = std::thread::spawn(move || job.run(&driver, opts, launch));
    o.line(format!(
        "previewing {} on {} ({}x{}){}",
        a.app.display(),
        device.label,
        device.width,
        device.height,
        if is_dir {
            "; reloads when it changes"
        } else {
            ""
        }
    ))?;
    app.run();
    let outcome = worker
        .join()
        .map_err(|_| Coded::err("internal", "the preview thread panicked"))??;
    if let Some(shot) = outcome {
        o.emit(
            &json!({
                "screenshot": shot.path,
                "width": shot.width,
                "height": shot.height,
                "colours": shot.colours,
                "firstPaintMs": shot.first_paint.as_secs_f64() * 1000.0,
            }),
            || {
                format!(
                    "wrote {} ({}x{} px, first page painted in {:.0} ms)",
                    shot.path.display(),
                    shot.width,
                    shot.height,
                    shot.first_paint.as_secs_f64() * 1000.0
                )
            },
        )?;
    }
    Ok(())
}

fn launcher(
    app: PathBuf,
    trust: Option<Trust>,
    store: PathBuf,
    width: f64,
    dev_origins: Vec<String>,
    identity: mpkit_bundle::IdentityFlags,
) -> LaunchFn {
    Arc::new(move |ctx| {
        let (trust, source, dev) = match &trust {
            Some(t) => (t.clone(), LaunchSource::Bundle(app.clone()), false),
            None => {
                // Dev mode: each (re)launch signs the directory with a throwaway key.
                let unused = SecretKey::generate()?;
                (
                    Trust::Developer(vec![unused.public().clone()]),
                    LaunchSource::DevDirAs(app.clone(), identity.clone()),
                    true,
                )
            }
        };
        let host = Host::builder()
            .trust(trust)
            .storage_dir(store.clone())
            .dev_mode(dev)
            .screen_width(width)
            .dev_origins(&dev_origins)
            // A folder in development may reach any public https host.
            .dev_network(dev)
            .delegate(ctx.chrome(Rc::new(NoDelegate)))
            .build()?;
        host.launch_at(
            source,
            &ctx.user,
            ctx.route.as_deref(),
            ctx.query.clone(),
            ctx.surface,
        )
    })
}

struct Shot {
    path: PathBuf,
    width: i32,
    height: i32,
    colours: usize,
    first_paint: Duration,
}

struct Job {
    dir: Option<PathBuf>,
    screenshot: Option<PathBuf>,
    exit_after_render: bool,
}

impl Job {
    fn run(self, d: &Driver, opts: OpenOptions, launch: LaunchFn) -> Result<Option<Shot>> {
        let r = self.steps(d, opts, launch);
        if r.is_err() || self.exit_after_render {
            let _ = d.exit();
        }
        r
    }

    fn steps(&self, d: &Driver, opts: OpenOptions, launch: LaunchFn) -> Result<Option<Shot>> {
        let slot = d.open(opts, launch)?;
        let mut shot = None;
        if let Some(path) = &self.screenshot {
            let first_paint = d
                .wait_painted(slot, RENDER_TIMEOUT)
                .map_err(|e| Coded::err("render_failed", e.to_string()))?;
            // Images and fonts of the first page load from the bundle first.
            let _ = d.wait_js(
                slot,
                "Array.from(document.querySelectorAll('.mp-page')).every(p => Array.from(p.shadowRoot.querySelectorAll('img')).every(i => i.complete))",
                Duration::from_secs(5),
            );
            d.screenshot(slot, path)
                .map_err(|e| Coded::err("screenshot_failed", e.to_string()))?;
            let facts = mpkit_webview::describe_png(path)
                .map_err(|e| Coded::err("screenshot_failed", e))?;
            // The PNG shows the error overlay; the exit code says it failed.
            let status = d.status(slot)?.unwrap_or_default();
            if let Some(first) = status.page_errors.first() {
                if self.exit_after_render {
                    return Err(Coded::err(
                        "page_error",
                        format!(
                            "the first page rendered with {} error(s) (screenshot in {}): {first}",
                            status.page_errors.len(),
                            path.display()
                        ),
                    ));
                }
            }
            shot = Some(Shot {
                path: path.clone(),
                width: facts.width,
                height: facts.height,
                colours: facts.colours,
                first_paint,
            });
            if self.exit_after_render {
                return Ok(shot);
            }
        }
        if let Some(dir) = &self.dir {
            watch(d, slot, dir);
        }
        Ok(shot)
    }
}

/// Polls the directory; any change reloads the mini program on its route.
/// Returns when the window is closed.
fn watch(d: &Driver, slot: mpkit_webview::Slot, dir: &Path) {
    let mut last = fingerprint(dir);
    let mut changed_at: Option<Instant> = None;
    loop {
        std::thread::sleep(Duration::from_millis(250));
        match d.status(slot) {
            Ok(Some(_)) => {}
            _ => return,
        }
        let now = fingerprint(dir);
        if now != last {
            last = now;
            // Editors write in bursts: reload once things settle.
            changed_at = Some(Instant::now());
            continue;
        }
        if changed_at.is_some_and(|t| t.elapsed() >= Duration::from_millis(200)) {
            changed_at = None;
            tracing::info!("{} changed: reloading", dir.display());
            let launches = match d.status(slot) {
                Ok(Some(s)) => s.launches,
                _ => return,
            };
            if d.reload(slot).is_err() {
                return;
            }
            // Told once the app is running again, with the route it kept.
            let back = d.wait_status(slot, Duration::from_secs(30), "the reload", |s| {
                s.launches > launches && s.route.is_some()
            });
            match back {
                Ok(s) => tracing::info!(route = s.route.as_deref().unwrap_or_default(), "reloaded"),
                Err(e) => tracing::warn!("reload: {e}"),
            }
        }
    }
}

/// Every file's path, size and modification time, in order.
fn fingerprint(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                if out.len() < 100_000 {
                    stack.push(p);
                }
            } else {
                out.push((p, m.len(), m.modified().ok()));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_sees_edits_additions_and_removals() {
        let t = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(t.path().join("pages/a")).expect("mkdir");
        std::fs::write(t.path().join("app.json"), "{}").expect("write");
        let a = fingerprint(t.path());
        assert_eq!(a.len(), 1);
        std::fs::write(t.path().join("pages/a/a.axml"), "<view/>").expect("write");
        let b = fingerprint(t.path());
        assert_eq!(b.len(), 2);
        std::fs::write(t.path().join("app.json"), "{\"pages\":[]}").expect("write");
        let c = fingerprint(t.path());
        assert_ne!(b, c);
        std::fs::remove_file(t.path().join("pages/a/a.axml")).expect("rm");
        assert_eq!(fingerprint(t.path()).len(), 1);
    }
}
