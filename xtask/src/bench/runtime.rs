//! `cargo xtask bench runtime`: what a mini program costs its host, in both
//! isolation modes, side by side in one run.
//!
//! - Cold start: the sample app, installed and verified, launched by a
//!   `Host` (with its JSAPI, offline) to its first rendered page.
//! - setData at 16 KB: a handler's setData through the isolation unit
//!   (logic, render, diff) to the surface, less the same handler's work
//!   without setData.
//! - One changed row in 1,000, end to end: `setData({'rows[i].name': ...})`
//!   from JS to the patched surface, less the handler alone.
//! - The host process's own CPU time per setData in process mode
//!   (`CLOCK_PROCESS_CPUTIME_ID`): what is left to the host once the
//!   worker renders and diffs, i.e. applying the patch ops.
//! - Memory per app with N sample apps running, each in its worker.
//!
//! Everything goes through the embedding API (`Host`, `AppHandle`), as a
//! wallet runs mini programs. The two modes' samples are interleaved, so a
//! busy moment of the machine falls on both alike; medians are reported,
//! with the process/thread ratio.

use crate::report::table;
use crate::report::Output;
use anyhow::{anyhow, bail, ensure, Result};
use clap::Args;
use mpkit_bundle::{AppId, Expected, PackOptions, SecretKey, Trust};
use mpkit_host::{
    AppHandle, HeadlessSurface, Host, Isolation, LaunchSource, NetConfig, ThreadOptIn,
    WorkerConfig, WORKER_ARG,
};
use serde_json::{json, Map};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `cargo xtask bench runtime`.
#[derive(Debug, Args)]
pub(crate) struct RuntimeArgs {
    /// Measured runs (the median is reported).
    #[arg(long, default_value_t = 15)]
    runs: u32,
    /// Mini programs running at once for the memory figure.
    #[arg(long, default_value_t = 20)]
    apps: u32,
}

/// The two isolation modes, in the order each round samples them.
const MODES: [Mode; 2] = [Mode::Thread, Mode::Process];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Thread,
    Process,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Thread => "thread",
            Mode::Process => "process",
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// CPU time of this whole process (every thread), in ms.
fn cpu_ms() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
}

/// Resident memory of a process in KiB, from /proc (Linux).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Writes a one-page mini program: `axml` and `js` for its page.
fn write_app(dir: &Path, app_id: &str, axml: &str, js: &str) -> Result<()> {
    std::fs::create_dir_all(dir.join("pages/index"))?;
    let app_json = json!({"appId": app_id, "name": "Bench", "version": "1.0.0",
        "minHostVersion": "0.1.0", "pages": ["pages/index/index"]});
    std::fs::write(dir.join("app.json"), app_json.to_string())?;
    std::fs::write(dir.join("app.js"), "App({});")?;
    std::fs::write(dir.join("pages/index/index.axml"), axml)?;
    std::fs::write(dir.join("pages/index/index.js"), js)?;
    Ok(())
}

/// A page whose `go` sends about `bytes` of list data through setData, and
/// whose `build` does the same work without setData, so the difference is
/// what setData itself costs.
fn write_payload_app(dir: &Path, bytes: usize) -> Result<()> {
    let rows = bytes / 52;
    let js = format!(
        "function make(n) {{ const items = []; for (let i = 0; i < {rows}; i++) items.push({{ id: 'i' + i, name: 'item ' + i + ' of run ' + n, price: i * n }}); return items; }} \
         Page({{ data: {{ items: [], n: 0 }}, \
         go() {{ const n = this.data.n + 1; this.setData({{ items: make(n), n: n }}); }}, \
         build() {{ globalThis.sink = make(this.data.n + 1); }} }});"
    );
    write_app(
        dir,
        "3000000000000101",
        r#"<button id="go" onTap="go">go</button><button id="build" onTap="build">build</button><view a:for="{{items}}" a:key="id"><text>{{item.name}}</text><text>{{item.price}}</text></view>"#,
        &js,
    )
}

/// A 1,000-row list whose `one` changes one row's name with a path key, and
/// whose `none` does the same work without setData.
fn write_rows_app(dir: &Path) -> Result<()> {
    write_app(
        dir,
        "3000000000000102",
        r#"<button id="one" onTap="one">one</button><button id="none" onTap="none">none</button><view a:for="{{rows}}" a:key="id" class="row {{item.done ? 'done' : ''}}" data-id="{{item.id}}"><text>{{item.name}}</text><text>{{item.price}}</text></view>"#,
        "const rows = []; for (let i = 0; i < 1000; i++) rows.push({ id: 'r' + i, name: 'Item ' + i, price: 100 + i, done: false }); \
         Page({ data: { rows, k: 0 }, \
         one() { const k = this.data.k + 1; const i = (k * 7919) % 1000; this.setData({ ['rows[' + i + '].name']: 'Changed ' + k, k }); }, \
         none() { const k = this.data.k + 1; const i = (k * 7919) % 1000; globalThis.sink = ['rows[' + i + '].name', 'Changed ' + k]; } });",
    )
}

/// One host per mode, each with its own storage (a host owns its directory),
/// offline: every name lookup fails at once, so the sample's menu request
/// falls back to its built-in menu without leaving the machine.
struct Hosts {
    thread: Host,
    process: Host,
}

impl Hosts {
    fn new(work: &Path, trust: &Trust, worker: &WorkerConfig) -> Result<Hosts> {
        let build = |mode: Mode| -> Result<Host> {
            let offline = NetConfig {
                lookup: Some(Arc::new(|_: &str| {
                    Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "the benchmark stays on this machine",
                    ))
                })),
                ..NetConfig::default()
            };
            Ok(Host::builder()
                .trust(trust.clone())
                .storage_dir(work.join(mode.name()))
                .isolation(match mode {
                    Mode::Thread => Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED),
                    Mode::Process => Isolation::Process(worker.clone()),
                })
                .network(offline)
                .dev_mode(true)
                .build()?)
        };
        Ok(Hosts {
            thread: build(Mode::Thread)?,
            process: build(Mode::Process)?,
        })
    }

    fn get(&self, mode: Mode) -> &Host {
        match mode {
            Mode::Thread => &self.thread,
            Mode::Process => &self.process,
        }
    }
}

fn launch(host: &Host, source: LaunchSource) -> Result<AppHandle<HeadlessSurface>> {
    Ok(host.launch(source, "bench-user", Map::new(), HeadlessSurface::new())?)
}

/// A launched app that must have run without a script error.
fn check(h: &AppHandle<HeadlessSurface>, what: &str) -> Result<()> {
    ensure!(
        h.errors().is_empty() && h.stopped().is_none(),
        "{what} failed: {:?} {:?}",
        h.errors(),
        h.stopped()
    );
    Ok(())
}

/// Per mode: the median wall time of `go` less `base`, and the median host
/// CPU time of the same difference, over interleaved samples.
struct Paired {
    wall: [f64; 2],
    host_cpu: [f64; 2],
}

/// Taps `base` then `go` on each mode's app in turn, `samples` times.
fn paired(
    apps: &mut [AppHandle<HeadlessSurface>; 2],
    base: &str,
    go: &str,
    samples: usize,
) -> Result<Paired> {
    let mut wall: [Vec<f64>; 2] = Default::default();
    let mut cpu: [Vec<f64>; 2] = Default::default();
    for _ in 0..samples {
        for (i, app) in apps.iter_mut().enumerate() {
            let (t, c) = (Instant::now(), cpu_ms());
            app.tap(base).map_err(|e| anyhow!("{base}: {e}"))?;
            let (base_wall, base_cpu) = (t.elapsed(), cpu_ms() - c);
            let (t, c) = (Instant::now(), cpu_ms());
            app.tap(go).map_err(|e| anyhow!("{go}: {e}"))?;
            let (go_wall, go_cpu) = (t.elapsed(), cpu_ms() - c);
            wall[i].push(ms(go_wall.saturating_sub(base_wall)));
            // Not clamped per sample: the host's share is small, and a
            // median of clamped differences would lean high.
            cpu[i].push(go_cpu - base_cpu);
        }
    }
    Ok(Paired {
        wall: wall.map(median),
        host_cpu: cpu.map(|v| median(v).max(0.0)),
    })
}

pub(crate) fn run(args: RuntimeArgs, o: &mut Output) -> Result<()> {
    let RuntimeArgs { runs, apps } = args;
    if runs == 0 || apps == 0 {
        bail!("--runs and --apps must be at least 1");
    }
    let worker = super::tools::worker()?;
    let work = tempfile::tempdir()?;
    // The sample app as a wallet gets it: a signed bundle, installed.
    let key = SecretKey::generate()?;
    let (manifest, bytes) = mpkit_bundle::pack_dir(
        &mpkit_sample_app::miniprogram_dir(),
        &key,
        &PackOptions::default(),
    )?;
    let bundle = work.path().join("sample.mpk");
    std::fs::write(&bundle, &bytes)?;
    let trust = Trust::Developer(vec![key.public().clone()]);
    let hosts = Hosts::new(work.path(), &trust, &worker)?;
    for mode in MODES {
        hosts.get(mode).install(&bundle, &Expected::any())?;
    }
    let sample = |mode: Mode| -> Result<AppHandle<HeadlessSurface>> {
        let h = launch(
            hosts.get(mode),
            LaunchSource::Installed(AppId::new(manifest.app_id.as_str())?),
        )?;
        ensure!(
            h.html().len() >= 100,
            "the sample did not render its first page ({})",
            mode.name()
        );
        check(&h, "the sample app")?;
        Ok(h)
    };

    // Cold start, each mode in turn, after one untimed launch each.
    let mut cold: [Vec<f64>; 2] = Default::default();
    for round in 0..=runs {
        for (i, mode) in MODES.into_iter().enumerate() {
            let t = Instant::now();
            let h = sample(mode)?;
            let d = t.elapsed();
            h.close();
            if round > 0 {
                cold[i].push(ms(d));
            }
        }
    }
    let cold = cold.map(median);

    // setData at 16 KB, and one changed row in 1,000, on apps launched from
    // their directories (packed on the fly, as in development).
    let samples = (runs as usize).max(9);
    let (set_data_samples, row_samples) = (samples * 2, samples * 4);
    let dir = |name: &str| work.path().join(name);
    write_payload_app(&dir("payload"), 16 * 1024)?;
    write_rows_app(&dir("rows"))?;
    let launch_both = |name: &str| -> Result<[AppHandle<HeadlessSurface>; 2]> {
        let one = |mode: Mode| launch(hosts.get(mode), LaunchSource::DevDir(dir(name)));
        Ok([one(Mode::Thread)?, one(Mode::Process)?])
    };
    let mut payload = launch_both("payload")?;
    for app in payload.iter_mut() {
        app.tap("#go").map_err(|e| anyhow!("#go: {e}"))?;
    }
    let set_data = paired(&mut payload, "#build", "#go", set_data_samples)?;
    for app in &payload {
        check(app, "the 16 KB setData app")?;
    }
    let sent = serde_json::to_vec(&json!({"items": (0..16 * 1024 / 52).map(|i| json!({"id": format!("i{i}"), "name": format!("item {i} of run 2"), "price": i * 2})).collect::<Vec<_>>()}))?.len();
    let mut rows = launch_both("rows")?;
    let row = paired(&mut rows, "#none", "#one", row_samples)?;
    for app in &rows {
        check(app, "the 1,000-row app")?;
        ensure!(app.html().contains("Changed"), "no row changed");
    }
    drop((payload, rows));

    // Memory: N sample apps running at once, each in its worker.
    let host_before = rss_kib(std::process::id()).unwrap_or(0);
    let running = (0..apps)
        .map(|_| sample(Mode::Process))
        .collect::<Result<Vec<_>>>()?;
    std::thread::sleep(Duration::from_millis(200));
    let host_after = rss_kib(std::process::id()).unwrap_or(0);
    let workers: Vec<u64> = worker_pids().iter().filter_map(|p| rss_kib(*p)).collect();
    for h in running {
        h.close();
    }
    ensure!(
        workers.len() == apps as usize,
        "found {} logic workers for {apps} apps",
        workers.len()
    );
    let per_app = |kib: u64| kib as f64 / 1024.0 / f64::from(apps);
    let worker_mib = per_app(workers.iter().sum());
    let host_mib = per_app(host_after.saturating_sub(host_before));
    let per_app_mib = worker_mib + host_mib;

    let ratio = |v: [f64; 2]| v[1] / v[0].max(1e-9);
    let mode_json =
        |v: [f64; 2]| json!({"thread": v[0], "process": v[1], "processToThread": ratio(v)});
    let goal_met = set_data.wall.iter().all(|t| *t <= 1.0);
    let value = json!({
        "runs": runs,
        "samples": {"setData16Kb": set_data_samples, "oneRowOf1000": row_samples},
        "coldStartMs": mode_json(cold),
        "setData16KbMs": mode_json(set_data.wall),
        "setDataBytes": sent,
        "oneRowOf1000Ms": mode_json(row.wall),
        "hostCpuMsPerSetData": {
            "setData16Kb": set_data.host_cpu[1],
            "oneRowOf1000": row.host_cpu[1],
            "setData16KbShareOfWall": set_data.host_cpu[1] / set_data.wall[1].max(1e-9),
        },
        "apps": apps,
        "workersMeasured": workers.len(),
        "memoryPerAppMiB": per_app_mib,
        "memoryPerAppMiBHost": host_mib,
        "memoryPerAppMiBWorker": worker_mib,
        "goals": {"setDataUnder1ms": goal_met},
    });
    o.emit(&value, || {
        let both = |what: String, v: [f64; 2], digits: usize| {
            vec![
                what,
                format!("{:.*} ms", digits, v[0]),
                format!("{:.*} ms", digits, v[1]),
                format!("{:.2}x", ratio(v)),
            ]
        };
        let host_only = |what: &str, v: f64| {
            vec![what.to_owned(), "-".into(), format!("{v:.4} ms"), "-".into()]
        };
        let rows = vec![
            both("cold start, sample app (installed, verified)".into(), cold, 1),
            both(format!("setData {sent} B"), set_data.wall, 3),
            both("one changed row in 1,000 (rows[i].name)".into(), row.wall, 3),
            host_only("host CPU per setData 16 KB", set_data.host_cpu[1]),
            host_only("host CPU per changed row", row.host_cpu[1]),
            vec![
                format!("memory per app, {apps} running"),
                "-".into(),
                format!("{per_app_mib:.1} MiB"),
                "-".into(),
            ],
        ];
        format!(
            "medians per mode, the modes interleaved: {runs} cold starts, {set_data_samples} setData and {row_samples} changed-row samples\n{}host CPU share of a 16 KB setData (process): {:.0}% of its wall time; memory per app: host {host_mib:.2} MiB, worker {worker_mib:.2} MiB\ncold start vs Alipay's 3 s first-screen guidance: {:.1}% (process); setData goal <= 1 ms: {}",
            table(&["what", "thread", "process", "process/thread"], &rows),
            100.0 * set_data.host_cpu[1] / set_data.wall[1].max(1e-9),
            cold[1] / 30.0,
            if goal_met { "met" } else { "NOT met" }
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
            ppid == Some(me) && String::from_utf8_lossy(&cmdline).contains(WORKER_ARG)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample runs in the benchmark as in a wallet: with its JSAPI, so its
    /// launch raises no script error (a bare runtime without the JSAPI threw
    /// in `onLaunch`, and the errors went to the log on every launch).
    #[test]
    fn the_sample_launches_without_a_script_error() {
        // Thread mode runs the mini program on this thread: give it the
        // stack a debug build of the engine needs.
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(launch_the_sample)
            .expect("thread")
            .join()
            .expect("the launch panicked");
    }

    fn launch_the_sample() {
        let work = tempfile::tempdir().expect("tempdir");
        let key = SecretKey::generate().expect("key");
        let (m, bytes) = mpkit_bundle::pack_dir(
            &mpkit_sample_app::miniprogram_dir(),
            &key,
            &PackOptions::default(),
        )
        .expect("pack");
        let bundle = work.path().join("s.mpk");
        std::fs::write(&bundle, bytes).expect("write");
        let trust = Trust::Developer(vec![key.public().clone()]);
        let hosts = Hosts::new(work.path(), &trust, &WorkerConfig::default()).expect("hosts");
        hosts
            .thread
            .install(&bundle, &Expected::any())
            .expect("install");
        let h = launch(
            &hosts.thread,
            LaunchSource::Installed(AppId::new(m.app_id.as_str()).expect("id")),
        )
        .expect("launch");
        assert!(h.html().len() >= 100, "{}", h.html());
        assert_eq!(h.errors(), [], "{:?}", h.errors());
        check(&h, "the sample").expect("no error");
        h.close();
    }
}
