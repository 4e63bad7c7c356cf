//! `cargo xtask bench runtime`: cold start, setData at 16 KB, and memory per app.

use crate::report::table;
use crate::report::Output;
use anyhow::{anyhow, bail, Result};
use mpkit_bundle::{Caps, Expected, PackOptions, SecretKey, Store, Trust};
use mpkit_host::internals::{DirFiles, MemFiles};
use mpkit_host::internals::{LaunchOptions, Runtime};
use mpkit_host::HeadlessSurface;
use mpkit_host::Isolation;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn opts(process: bool) -> LaunchOptions {
    LaunchOptions {
        isolation: if process {
            Isolation::Process(super::worker_config())
        } else {
            Isolation::Thread
        },
        ..LaunchOptions::default()
    }
}

/// Resident memory of a process in KiB, from /proc (Linux).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A page whose handler sends `bytes` of list data through setData.
fn payload_app(bytes: usize) -> MemFiles {
    let rows = bytes / 52;
    // `go` builds the data and sends it; `build` does the same work without
    // setData, so the difference is what setData itself costs.
    let js = format!(
        "function make(n) {{ const items = []; for (let i = 0; i < {rows}; i++) items.push({{ id: 'i' + i, name: 'item ' + i + ' of run ' + n, price: i * n }}); return items; }} \
         Page({{ data: {{ items: [], n: 0 }}, \
         go() {{ const n = this.data.n + 1; this.setData({{ items: make(n), n: n }}); }}, \
         build() {{ globalThis.sink = make(this.data.n + 1); }} }});"
    );
    let mut m = BTreeMap::new();
    m.insert(
        "app.json".to_string(),
        br#"{"pages": ["pages/index/index"]}"#.to_vec(),
    );
    m.insert("app.js".to_string(), b"App({});".to_vec());
    m.insert(
        "pages/index/index.axml".to_string(),
        br#"<button id="go" onTap="go">go</button><button id="build" onTap="build">build</button><view a:for="{{items}}" a:key="id"><text>{{item.name}}</text><text>{{item.price}}</text></view>"#.to_vec(),
    );
    m.insert("pages/index/index.js".to_string(), js.into_bytes());
    MemFiles(m)
}

pub(crate) fn runtime(runs: u32, apps: u32, o: &mut Output) -> Result<()> {
    if runs == 0 || apps == 0 {
        bail!("--runs and --apps must be at least 1");
    }
    // The sample app, verified and installed as a host would have it.
    let work = tempfile::tempdir()?;
    let store = Store::open(work.path().join("store"))?;
    let key = SecretKey::generate()?;
    let (_, bytes) = mpkit_bundle::pack_dir(
        &mpkit_sample_app::miniprogram_dir(),
        &key,
        &PackOptions::default(),
    )?;
    let trust = Trust::Developer(vec![key.public().clone()]);
    let installed = store.install(&bytes, &trust, &Expected::any(), &Caps::default())?;

    let mut cold = BTreeMap::new();
    for process in [false, true] {
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let app = installed.manifest.app_id.clone();
            let version = store
                .current(&app)?
                .ok_or_else(|| anyhow!("not installed"))?;
            store.check_installed(&app, &version, &trust)?;
            let rt = Runtime::launch(
                Box::new(DirFiles::new(&installed.path)),
                HeadlessSurface::new(),
                opts(process),
            )?;
            if rt.route().is_none() || rt.html().len() < 100 {
                bail!("the sample did not render its first page");
            }
            times.push(t.elapsed());
        }
        cold.insert(if process { "process" } else { "thread" }, median(times));
    }

    // setData of a 16 KB payload: handler, IPC, data mirror, render, diff, surface.
    let payload = 16 * 1024;
    let mut set_data = BTreeMap::new();
    for process in [false, true] {
        let mut rt = Runtime::launch(
            Box::new(payload_app(payload)),
            HeadlessSurface::new(),
            opts(process),
        )?;
        rt.tap("#go").map_err(|e| anyhow!(e))?;
        let mut times = Vec::new();
        for _ in 0..runs.max(5) {
            let t = Instant::now();
            rt.tap("#build").map_err(|e| anyhow!(e))?;
            let only_build = t.elapsed();
            let t = Instant::now();
            rt.tap("#go").map_err(|e| anyhow!(e))?;
            times.push(t.elapsed().saturating_sub(only_build));
        }
        if !rt.errors().is_empty() {
            bail!("the payload app failed: {:?}", rt.errors());
        }
        set_data.insert(if process { "process" } else { "thread" }, median(times));
    }
    let sent = serde_json::to_vec(&json!({"items": (0..payload / 52).map(|i| json!({"id": format!("i{i}"), "name": format!("item {i} of run 2"), "price": i * 2})).collect::<Vec<_>>()}))?.len();

    // Memory: N sample apps running at once, each in its worker.
    let host_before = rss_kib(std::process::id()).unwrap_or(0);
    let mut running = Vec::new();
    for _ in 0..apps {
        running.push(Runtime::launch(
            Box::new(DirFiles::new(&installed.path)),
            HeadlessSurface::new(),
            opts(true),
        )?);
    }
    let host_after = rss_kib(std::process::id()).unwrap_or(0);
    let workers: Vec<u64> = worker_pids().iter().filter_map(|p| rss_kib(*p)).collect();
    drop(running);
    let worker_total: u64 = workers.iter().sum();
    let per_app_mib =
        (worker_total + host_after.saturating_sub(host_before)) as f64 / 1024.0 / f64::from(apps);

    let value = json!({
        "coldStartMs": {"thread": ms(cold["thread"]), "process": ms(cold["process"])},
        "setData16KbMs": {"thread": ms(set_data["thread"]), "process": ms(set_data["process"])},
        "setDataBytes": sent,
        "apps": apps,
        "workersMeasured": workers.len(),
        "memoryPerAppMiB": per_app_mib,
        "goals": {"setDataUnder1ms": ms(set_data["thread"]) <= 1.0 && ms(set_data["process"]) <= 1.0},
    });
    o.emit(&value, || {
        let rows = vec![
            vec!["cold start, sample app (thread)".into(), format!("{:.1} ms", ms(cold["thread"]))],
            vec!["cold start, sample app (worker process)".into(), format!("{:.1} ms", ms(cold["process"]))],
            vec![format!("setData {sent} B (thread)"), format!("{:.3} ms", ms(set_data["thread"]))],
            vec![format!("setData {sent} B (worker process)"), format!("{:.3} ms", ms(set_data["process"]))],
            vec![format!("memory per app, {apps} running"), format!("{per_app_mib:.1} MiB")],
        ];
        format!(
            "{}cold start vs Alipay's 3 s first-screen guidance: {:.1}% (process); setData goal <= 1 ms: {}",
            table(&["what", "median"], &rows),
            ms(cold["process"]) / 30.0,
            if ms(set_data["thread"]) <= 1.0 && ms(set_data["process"]) <= 1.0 { "met" } else { "NOT met" }
        )
    })?;
    Ok(())
}

/// Child processes of this one that are logic workers (Linux /proc).
fn worker_pids() -> Vec<u32> {
    let me = std::process::id();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Field 4 is the parent pid; the command name is in parentheses before it.
            let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            let ppid = after
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok());
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            ppid == Some(me) && String::from_utf8_lossy(&cmdline).contains(mpkit_host::WORKER_ARG)
        })
        .collect()
}
