//! `mpkit bench webview`: the webview surface under the real WebKitGTK.
//!
//! - First render, launch to first painted page: cold (a new webview, built
//!   while the logic layer starts) and from a pre-warmed webview, against a
//!   bare wry webview showing one line (the peer: Tauri's published hello
//!   world is 0.66-0.75 s).
//! - setData-to-DOM at 1, 16 and 256 KB: from the runtime handing the patch
//!   to the surface on the app thread, to the view script's acknowledgement
//!   that the DOM has it (pushed under 64 KB, pulled over mpkit:// above).
//! - Event round trip: a tap in the page, through the logic layer, back to the
//!   patched DOM, timed in the page.
//! - Peak RSS of the whole process tree (host, logic workers, WebKit's web and
//!   network processes), sampled every 20 ms.

use crate::Output;
use anyhow::{anyhow, Context as _, Result};
use mpkit_bundle::{AppId, SecretKey, Trust};
use mpkit_host::host::{Host, LaunchSource};
use mpkit_webview::{Driver, LaunchFn, OpenOptions, WebviewApp, WebviewConfig};
use serde_json::{json, Map};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const APP_ID: &str = "3000000000000099";
const SIZES_KB: [usize; 3] = [1, 16, 256];

fn write_app(dir: &Path) -> Result<()> {
    let files: [(&str, String); 4] = [
        (
            "app.json",
            json!({"appId": APP_ID, "name": "Bench", "version": "1.0.0",
                   "minHostVersion": "0.1.0", "pages": ["pages/index/index"],
                   "window": {"defaultTitle": "Bench"}})
            .to_string(),
        ),
        ("app.js", "App({});".into()),
        (
            "pages/index/index.axml",
            r#"<view><text id="n">{{n}}</text>
<button id="kb1" data-kb="1" onTap="fill">1</button>
<button id="kb16" data-kb="16" onTap="fill">16</button>
<button id="kb256" data-kb="256" onTap="fill">256</button>
<view id="cells"><view class="c" a:for="{{cells}}" a:key="id">{{item.t}}</view></view></view>"#
                .into(),
        ),
        (
            "pages/index/index.js",
            // About `kb` KB of page data: 16 cells of ~64 bytes per KB, all new each round.
            r#"Page({ data: { n: 0, cells: [] },
  fill(e) {
    const kb = Number(e.currentTarget.dataset.kb);
    const n = this.data.n + 1;
    const cells = [];
    for (let i = 0; i < kb * 16; i++) cells.push({ id: i, t: n + '-' + 'x'.repeat(48) });
    this.setData({ n: n, cells: cells });
  } });"#
                .into(),
        ),
    ];
    for (name, text) in files {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, text).with_context(|| p.display().to_string())?;
    }
    Ok(())
}

fn launcher(dir: PathBuf, store: PathBuf) -> LaunchFn {
    Arc::new(move |ctx| {
        let unused = SecretKey::generate()?;
        let host = Host::builder()
            .trust(Trust::Developer(vec![unused.public().clone()]))
            .storage_dir(store.clone())
            .dev_mode(true)
            .build()?;
        host.launch_at(
            LaunchSource::DevDir(dir.clone()),
            &ctx.user,
            None,
            Map::new(),
            ctx.surface,
        )
    })
}

fn median_ms(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// RSS in bytes of `pid` and every process below it.
fn tree_rss(root: u32) -> u64 {
    let mut parent = std::collections::HashMap::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return 0;
    };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command may contain spaces and parentheses: fields follow the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pp) = ppid {
            parent.insert(pid, pp);
        }
    }
    let in_tree = |mut p: u32| {
        for _ in 0..64 {
            if p == root {
                return true;
            }
            match parent.get(&p) {
                Some(&pp) if pp != p => p = pp,
                _ => return false,
            }
        }
        false
    };
    parent
        .keys()
        .chain(std::iter::once(&root))
        .filter(|p| **p == root || in_tree(**p))
        .map(|p| {
            std::fs::read_to_string(format!("/proc/{p}/status"))
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .and_then(|l| l.split_whitespace().nth(1))
                        .and_then(|kb| kb.parse::<u64>().ok())
                })
                .unwrap_or(0)
                * 1024
        })
        .sum()
}

struct Figures {
    cold: f64,
    warm: f64,
    bare: f64,
    set_data: Vec<(usize, f64, usize)>,
    round_trip: f64,
    floor: f64,
    one_app_mb: f64,
}

fn measure(d: &Driver, runs: usize, dir: &Path, work: &Path) -> Result<Figures> {
    let app = AppId::new(APP_ID)?;
    let wait = Duration::from_secs(60);
    let open = |user: &str, pooled: bool| -> Result<(mpkit_webview::Slot, f64)> {
        let opts = OpenOptions {
            user: user.into(),
            app: Some(app.clone()),
            ..OpenOptions::default()
        };
        let _ = pooled;
        let slot = d.open(
            opts,
            launcher(dir.to_owned(), work.join(format!("store-{user}"))),
        )?;
        let t = d.wait_painted(slot, wait)?;
        Ok((slot, t.as_secs_f64() * 1000.0))
    };
    // One untimed round warms the file cache and WebKit's shared state, and
    // gives the memory of one open mini program (before any other window
    // has left a network process behind).
    let (s, _) = open("warmup", false)?;
    let mut one_app = 0u64;
    for _ in 0..25 {
        one_app = one_app.max(tree_rss(std::process::id()));
        std::thread::sleep(Duration::from_millis(20));
    }
    d.close(s)?;
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut bare = Vec::new();
    for i in 0..runs {
        let (s, t) = open(&format!("cold{i}"), false)?;
        cold.push(t);
        d.close(s)?;
        let user = format!("warm{i}");
        d.prewarm(app.clone(), &user)?;
        // The pool's webview loads its shell before the user asks for the app.
        std::thread::sleep(Duration::from_millis(700));
        let (s, t) = open(&user, true)?;
        warm.push(t);
        d.close(s)?;
        bare.push(d.bare_first_paint()?.as_secs_f64() * 1000.0);
    }
    let (s, _) = open("setdata", false)?;
    let mut set_data = Vec::new();
    let mut round_trips = Vec::new();
    let mut n = 0;
    for kb in SIZES_KB {
        let mut lat = Vec::new();
        let mut bytes = 0;
        for _ in 0..runs {
            let before = d.status(s)?.ok_or_else(|| anyhow!("window closed"))?;
            n += 1;
            d.eval(
                s,
                &format!("document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#kb{kb}').click()"),
            )?;
            // Waits on the UI process's record of the acknowledgement, so no
            // probe of ours runs in the page while the patch is in flight;
            // the DOM is checked after.
            let after = d.wait_status(s, wait, "the patch acknowledgement", |st| {
                st.applied.len() > before.applied.len()
            })?;
            d.wait_js(
                s,
                &format!(
                    "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#n').textContent === '{n}'"
                ),
                wait,
            )?;
            let (b, t) = after.applied[before.applied.len()..]
                .iter()
                .max_by_key(|(b, _)| *b)
                .copied()
                .ok_or_else(|| anyhow!("no patch applied"))?;
            bytes = b;
            lat.push(t.as_secs_f64() * 1000.0);
            if kb == 1 {
                round_trips.extend(
                    after.round_trips[before.round_trips.len()..]
                        .iter()
                        .copied(),
                );
            }
        }
        set_data.push((kb, median_ms(lat), bytes));
    }
    if std::env::var_os("MPKIT_BENCH_SPLIT").is_some() {
        split(d, s)?;
    }
    // The floor: an empty script's round trip to the web process and back.
    let mut floor = Vec::new();
    for _ in 0..runs.max(20) {
        let t = std::time::Instant::now();
        d.eval(s, "0")?;
        floor.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    d.close(s)?;
    Ok(Figures {
        one_app_mb: one_app as f64 / (1024.0 * 1024.0),
        floor: median_ms(floor),
        cold: median_ms(cold),
        warm: median_ms(warm),
        bare: median_ms(bare),
        set_data,
        round_trip: median_ms(round_trips),
    })
}

pub(crate) fn webview(runs: usize, o: &mut Output<'_>) -> Result<()> {
    let runs = runs.max(1);
    let work = tempfile::tempdir()?;
    let dir = work.path().join("bench-app");
    write_app(&dir)?;
    let app = WebviewApp::new(WebviewConfig {
        data_dir: work.path().join("webview"),
        exit_when_closed: false,
    })?;
    let d = app.driver();
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            let me = std::process::id();
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(tree_rss(me), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let work_path = work.path().to_owned();
    let job = std::thread::spawn(move || {
        let r = measure(&d, runs, &dir, &work_path);
        let _ = d.exit();
        r
    });
    app.run();
    let figures = job
        .join()
        .map_err(|_| anyhow!("the bench thread panicked"))?;
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let f = figures?;
    let peak_mb = peak.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0);
    let value = json!({
        "runs": runs,
        "firstRenderColdMs": f.cold,
        "firstRenderWarmMs": f.warm,
        "bareWryFirstPaintMs": f.bare,
        "coldOverBare": f.cold / f.bare,
        "setDataToDomMs": f.set_data.iter().map(|(kb, ms, bytes)| json!({"kb": kb, "medianMs": ms, "patchBytes": bytes})).collect::<Vec<_>>(),
        "eventRoundTripMs": f.round_trip,
        "emptyScriptRoundTripMs": f.floor,
        "rssOneAppMb": f.one_app_mb,
        "peakRssMb": peak_mb,
    });
    o.emit(&value, || {
        let mut s = format!(
            "first render, launch to first painted page (median of {runs}):\n  cold (new webview, built while the logic layer starts)  {:.0} ms  (goal <= 600)\n  pre-warmed webview                                      {:.0} ms  (goal <= 250)\n  bare wry webview, one line of HTML (peer)               {:.0} ms  -> cold is {:.2}x\n",
            f.cold, f.warm, f.bare, f.cold / f.bare
        );
        s.push_str(&format!(
            "setData-to-DOM (app thread -> DOM patched -> acknowledged), median; floor: an empty script's round trip {:.2} ms:\n",
            f.floor
        ));
        for (kb, ms, bytes) in &f.set_data {
            s.push_str(&format!(
                "  {kb:>3} KB of data ({:>4} KB of patch ops{})  {ms:.2} ms  ({:.1}x the floor)\n",
                bytes / 1024,
                if *bytes > 64 * 1024 { ", pulled" } else { ", pushed" },
                ms / f.floor
            ));
        }
        s.push_str(&format!(
            "event round trip, page -> logic -> page (1 KB setData), median: {:.1} ms\nRSS of the process tree with one mini program open: {:.0} MiB; peak over the whole run: {peak_mb:.0} MiB\n",
            f.round_trip, f.one_app_mb
        ));
        s
    })?;
    Ok(())
}

/// Experiment: where a 16 KB patch's time goes in the web process.
fn split(d: &Driver, s: mpkit_webview::Slot) -> Result<()> {
    let page = "document.querySelector('.mp-page:not([hidden])')";
    let _ = page;
    d.eval(s, "(() => { const P = JSON.parse; JSON.parse = function (t) { if (t.length > 10000) window.__last = t; return P.apply(this, arguments); }; return 1; })()")?;
    d.eval(
        s,
        "document.querySelector('.mp-page:not([hidden])').shadowRoot.querySelector('#kb16').click()",
    )?;
    std::thread::sleep(Duration::from_millis(300));
    let ops: Vec<serde_json::Value> = (0..315)
        .map(
            |i| json!({"op": "setText", "id": 1000 + i, "text": format!("{i}-{}", "x".repeat(48))}),
        )
        .collect();
    let last = serde_json::to_string(&ops)?;
    eprintln!("ops text {} bytes", last.len());
    let lit = serde_json::to_string(&last)?;
    d.eval(s, &format!("void (window.__last = {lit})"))?;
    let cases: Vec<(&str, String)> = vec![
        ("empty", "0".to_string()),
        ("21KB literal", format!("void {lit}")),
        ("JSON.parse", format!("void JSON.parse({lit})")),
        (
            "parse from global",
            "void JSON.parse(window.__last)".to_string(),
        ),
    ];
    for js in [
        "(() => { const t0 = performance.now(); for (let r = 0; r < 200; r++) JSON.parse(window.__last); return (performance.now() - t0) / 200; })()",
        "(() => { const root = document.querySelector('.mp-page:not([hidden])').shadowRoot; const texts = []; const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT); while (w.nextNode() && texts.length < 630) texts.push(w.currentNode); const t0 = performance.now(); for (let r = 0; r < 200; r++) for (let i = 0; i < texts.length; i++) texts[i].data = r + '-' + i + 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'; return [texts.length, (performance.now() - t0) / 200]; })()",
        "(() => { const root = document.querySelector('.mp-page:not([hidden])').shadowRoot; const texts = []; const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT); while (w.nextNode() && texts.length < 630) texts.push(w.currentNode); const m = new Map(); texts.forEach((t, i) => m.set(i, t)); const ops = JSON.parse(window.__last); const t0 = performance.now(); for (let r = 0; r < 200; r++) { const o = JSON.parse(window.__last); for (let i = 0; i < o.length; i++) { const n = m.get(i * 2); if (n) n.data = o[i].text + r; } } return (performance.now() - t0) / 200; })()",
    ] {
        eprintln!("in page: {}", d.eval(s, js)?);
    }
    for round in 0..3 {
        for (name, js) in &cases {
            let mut t = Vec::new();
            for _ in 0..25 {
                let start = std::time::Instant::now();
                d.eval(s, js)?;
                t.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            eprintln!("round {round} {name:>20}: {:.3} ms", median_ms(t));
        }
    }
    Ok(())
}
