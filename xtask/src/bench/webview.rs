//! `cargo xtask bench webview`: the webview surface under the real WebKitGTK.
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

use crate::report::Output;
use anyhow::{anyhow, Context as _, Result};
use clap::Args;
use mpkit_bundle::{AppId, SecretKey, Trust};
use mpkit_host::{Host, LaunchSource};
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

/// setData-to-DOM at one size.
struct SetData {
    kb: usize,
    median_ms: f64,
    patch_bytes: usize,
    /// The median over samples of each one's time over the empty-script
    /// round trip taken just before it.
    over_floor: f64,
    /// Medians, ms, of where the time went: to the UI thread, on it, and in
    /// the web process and back (`ApplyStages`).
    stages: [f64; 3],
}

struct Figures {
    cold: f64,
    warm: f64,
    bare: f64,
    set_data: Vec<SetData>,
    /// setData samples per size.
    samples: usize,
    round_trip: f64,
    /// The same, timed in the UI process from the event's arrival.
    event_trip: f64,
    floor: f64,
    one_app_mb: f64,
    breakdown: Breakdown,
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
    let mut event_trips = Vec::new();
    let mut n = 0;
    // An empty script's round trip, taken just before each setData sample,
    // so each sample has a floor from the same moment of the machine.
    let mut floor = Vec::new();
    let empty_trip = || -> Result<f64> {
        let t = std::time::Instant::now();
        d.eval(s, "0")?;
        Ok(t.elapsed().as_secs_f64() * 1000.0)
    };
    // At least 31 samples a size: a median of 9 moved with a single busy
    // moment of the machine.
    let samples = runs.max(31);
    for kb in SIZES_KB {
        let mut lat = Vec::new();
        let mut ratios = Vec::new();
        let mut stages = Vec::new();
        let mut bytes = 0;
        for _ in 0..samples {
            // Each sample starts from a page at rest: the frame that shows
            // the previous patch has been drawn. Otherwise a patch can land
            // while the web process is still laying out and painting the
            // last one, and waits for it (2-8 ms on a busy machine).
            d.eval(
                s,
                "window.__mpkitRest = false; requestAnimationFrame(() => requestAnimationFrame(() => { window.__mpkitRest = true; }))",
            )?;
            d.wait_js(s, "window.__mpkitRest === true", wait)?;
            let at_floor = empty_trip()?;
            floor.push(at_floor);
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
            let new = before.applied.len();
            let (i, (b, t)) = after.applied[new..]
                .iter()
                .copied()
                .enumerate()
                .max_by_key(|(_, (b, _))| *b)
                .ok_or_else(|| anyhow!("no patch applied"))?;
            if let Some(st) = after.apply_stages.get(new + i) {
                stages.push(*st);
            }
            bytes = b;
            let ms = t.as_secs_f64() * 1000.0;
            lat.push(ms);
            ratios.push(ms / at_floor);
            if kb == 1 {
                round_trips.extend(
                    after.round_trips[before.round_trips.len()..]
                        .iter()
                        .copied(),
                );
                event_trips.extend(
                    after.event_trips[before.event_trips.len()..]
                        .iter()
                        .map(|d| d.as_secs_f64() * 1000.0),
                );
            }
        }
        set_data.push(SetData {
            kb,
            median_ms: median_ms(lat),
            patch_bytes: bytes,
            over_floor: median_ms(ratios),
            stages: [
                median_ms(
                    stages
                        .iter()
                        .map(|x| x.to_ui_thread.as_secs_f64() * 1000.0)
                        .collect(),
                ),
                median_ms(
                    stages
                        .iter()
                        .map(|x| x.on_ui_thread.as_secs_f64() * 1000.0)
                        .collect(),
                ),
                median_ms(
                    stages
                        .iter()
                        .map(|x| x.in_web_process.as_secs_f64() * 1000.0)
                        .collect(),
                ),
            ],
        });
    }
    let breakdown = breakdown(d, s)?;
    d.close(s)?;
    Ok(Figures {
        one_app_mb: one_app as f64 / (1024.0 * 1024.0),
        floor: median_ms(floor),
        cold: median_ms(cold),
        warm: median_ms(warm),
        bare: median_ms(bare),
        set_data,
        samples,
        round_trip: median_ms(round_trips),
        event_trip: median_ms(event_trips),
        breakdown,
    })
}

/// `cargo xtask bench webview`.
#[derive(Debug, Args)]
pub(crate) struct WebviewArgs {
    /// Measured runs of each figure (the median is reported).
    #[arg(long, default_value_t = 9)]
    runs: usize,
}

pub(crate) fn run(args: WebviewArgs, o: &mut Output) -> Result<()> {
    let WebviewArgs { runs } = args;
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
        "setDataSamples": f.samples,
        "setDataToDomMs": f.set_data.iter().map(|x| json!({"kb": x.kb, "medianMs": x.median_ms, "patchBytes": x.patch_bytes, "overFloor": x.over_floor, "stagesMs": {"toUiThread": x.stages[0], "onUiThread": x.stages[1], "webProcessAndBack": x.stages[2]}})).collect::<Vec<_>>(),
        "eventRoundTripMs": f.round_trip,
        "eventRoundTripUiProcessMs": f.event_trip,
        "emptyScriptRoundTripMs": f.floor,
        "rssOneAppMb": f.one_app_mb,
        "pushedPatchBreakdown": {
            "patchBytes": f.breakdown.bytes,
            "emptyScriptMs": f.breakdown.empty_ms,
            "asStringLiteralMs": f.breakdown.literal_ms,
            "jsonParseMs": f.breakdown.parse_ms,
            "asJsonAssignmentMs": f.breakdown.assigned_ms,
            "asCodeMs": f.breakdown.as_code_ms,
            "inPageJsonParseMs": f.breakdown.page_parse_ms,
            "inPageJsonParseAsObjectsMs": f.breakdown.page_parse_objects_ms,
            "asObjectsBytes": f.breakdown.objects_bytes,
            "inPage630TextNodesMs": f.breakdown.page_text_ms,
        },
        "peakRssMb": peak_mb,
    });
    o.emit(&value, || {
        let mut s = format!(
            "first render, launch to first painted page (median of {runs}):\n  cold (new webview, built while the logic layer starts)  {:.0} ms  (goal <= 600)\n  pre-warmed webview                                      {:.0} ms  (goal <= 250)\n  bare wry webview, one line of HTML (peer)               {:.0} ms  -> cold is {:.2}x\n",
            f.cold, f.warm, f.bare, f.cold / f.bare
        );
        s.push_str(&format!(
            "setData-to-DOM (app thread -> DOM patched -> acknowledged), median of {}; floor: an empty script's round trip, {:.2} ms, taken before each sample:\n",
            f.samples,
            f.floor
        ));
        for x in &f.set_data {
            s.push_str(&format!(
                "  {:>3} KB of data ({:>4} KB of patch ops{})  {:.2} ms  ({:.1}x the floor it met; to the UI thread {:.2}, on it {:.2}, web process and back {:.2})\n",
                x.kb,
                x.patch_bytes / 1024,
                if x.patch_bytes > 64 * 1024 { ", pulled" } else { ", pushed" },
                x.median_ms,
                x.over_floor,
                x.stages[0],
                x.stages[1],
                x.stages[2],
            ));
        }
        let b = &f.breakdown;
        s.push_str(&format!(
            "  where a pushed {} KB patch's time goes: its trip and parse as pushed (JSON assigned) +{:.2} ms, 630 text nodes set in the page {:.2} ms\n  the same ops sent other ways: as a string for JSON.parse +{:.2} ms (the string's trip +{:.2}, JSON.parse +{:.2}; in the page {:.3} ms, and as objects, {} KB: {:.3} ms), as code +{:.2} ms\n",
            b.bytes / 1024,
            b.assigned_ms,
            b.page_text_ms,
            b.literal_ms + b.parse_ms,
            b.literal_ms,
            b.parse_ms,
            b.page_parse_ms,
            b.objects_bytes / 1024,
            b.page_parse_objects_ms,
            b.as_code_ms,
        ));
        s.push_str(&format!(
            "event round trip, page -> logic -> page (1 KB setData), median: {:.1} ms in the page (its clock counts whole ms), {:.2} ms in the UI process (from the event's arrival to the patch's acknowledgement)\nRSS of the process tree with one mini program open: {:.0} MiB; peak over the whole run: {peak_mb:.0} MiB\n",
            f.round_trip, f.event_trip, f.one_app_mb
        ));
        s
    })?;
    Ok(())
}

/// Where a pushed patch's time goes in the web process, for a patch of about
/// the 16 KB setData's size (630 text ops).
struct Breakdown {
    /// The patch's JSON size in bytes.
    bytes: usize,
    /// An empty script's round trip from the driver (the floor).
    empty_ms: f64,
    /// The patch as a string literal in the script (how patches went until
    /// the JSON assignment): its trip and lexing, above the floor.
    literal_ms: f64,
    /// `JSON.parse` of that literal, above the literal alone.
    parse_ms: f64,
    /// The ops as the surface pushes them: JSON assigned in a script of
    /// assignments alone (`x=[...];x=0`), which JavaScriptCore reads with its
    /// JSON parser ("JSONP") instead of compiling. Trip and parse, above the
    /// floor, to set beside `literal_ms + parse_ms`.
    assigned_ms: f64,
    /// The same ops as an expression compiled as code (`void [...]`): trip,
    /// compile and run, above the floor.
    as_code_ms: f64,
    /// In the page: `JSON.parse` of the text.
    page_parse_ms: f64,
    /// In the page: `JSON.parse` of the same ops as objects with named
    /// fields (the form before 2026-12-04), alternated with the above.
    page_parse_objects_ms: f64,
    /// That form's size.
    objects_bytes: usize,
    /// In the page: setting 630 text nodes, as the ops do.
    page_text_ms: f64,
}

fn breakdown(d: &Driver, s: mpkit_webview::Slot) -> Result<Breakdown> {
    // As the surface writes them (`[5, id, text]`), with texts as long as
    // the 16 KB setData's.
    let ops: Vec<serde_json::Value> = (0..630)
        .map(|i| json!([5, 100_000 + i, format!("{i}-{}", "x".repeat(12))]))
        .collect();
    let text = serde_json::to_string(&ops)?;
    let literal = serde_json::to_string(&text)?;
    d.eval(s, &format!("void (window.__mpkitBench = {literal})"))?;
    // The same ops as objects with named fields, as they went before 2026-12-04.
    let objects: Vec<serde_json::Value> = (0..630)
        .map(|i| json!({"op": "setText", "id": 100_000 + i, "text": format!("{i}-{}", "x".repeat(12))}))
        .collect();
    let objects_text = serde_json::to_string(&objects)?;
    let objects = serde_json::to_string(&objects_text)?;
    d.eval(s, &format!("void (window.__mpkitBenchObjects = {objects})"))?;
    // The ways of sending are alternated, round by round, so each meets the
    // same moments of the machine. Each round's ops differ (the first op's
    // id is the round's number), as real patches do, so JavaScriptCore's
    // cache of compiled source never answers for a script it has seen.
    let mut times: [Vec<f64>; 5] = Default::default();
    for round in 0..31 {
        let text = text.replacen("100000", &round.to_string(), 1);
        let literal = serde_json::to_string(&text)?;
        let scripts = [
            format!("{round}"),
            format!("void {literal}"),
            format!("void JSON.parse({literal})"),
            format!("__mpkitBenchSink={text};__mpkitBenchSink=0"),
            format!("void {text}"),
        ];
        for (i, js) in scripts.iter().enumerate() {
            let start = std::time::Instant::now();
            d.eval(s, js)?;
            times[i].push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let [empty, with_literal, parsed, assigned, as_code] = times.map(median_ms);
    // performance.now() is coarse in WebKit (1 ms), so each is timed over
    // 200 repetitions in one script.
    let in_page = |js: &str| -> Result<f64> {
        let v: serde_json::Value = serde_json::from_str(&d.eval(s, js)?)?;
        v.as_f64().ok_or_else(|| anyhow!("in-page timing: {v}"))
    };
    // Arrays against objects, alternated in one script so both meet the
    // same machine.
    let parse_both: serde_json::Value = serde_json::from_str(&d.eval(
        s,
        "(() => { let a = 0, o = 0; for (let r = 0; r < 20; r++) { \
           let t0 = performance.now(); for (let k = 0; k < 10; k++) JSON.parse(window.__mpkitBench); a += performance.now() - t0; \
           t0 = performance.now(); for (let k = 0; k < 10; k++) JSON.parse(window.__mpkitBenchObjects); o += performance.now() - t0; } \
           return [a / 200, o / 200]; })()",
    )?)?;
    let page_parse = parse_both[0]
        .as_f64()
        .ok_or_else(|| anyhow!("in-page timing: {parse_both}"))?;
    let page_parse_objects = parse_both[1]
        .as_f64()
        .ok_or_else(|| anyhow!("in-page timing: {parse_both}"))?;
    let page_text = in_page(
        "(() => { const root = document.querySelector('.mp-page:not([hidden])').shadowRoot; const texts = []; \
         const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT); while (w.nextNode() && texts.length < 630) texts.push(w.currentNode); \
         const t0 = performance.now(); for (let r = 0; r < 200; r++) for (let i = 0; i < texts.length; i++) texts[i].data = r + '-' + i + 'xxxxxxxxxxxx'; \
         return (performance.now() - t0) / 200 * 630 / Math.max(texts.length, 1); })()",
    )?;
    Ok(Breakdown {
        bytes: text.len(),
        empty_ms: empty,
        literal_ms: with_literal - empty,
        parse_ms: parsed - with_literal,
        assigned_ms: assigned - empty,
        as_code_ms: as_code - empty,
        page_parse_ms: page_parse,
        page_parse_objects_ms: page_parse_objects,
        objects_bytes: objects_text.len(),
        page_text_ms: page_text,
    })
}
