//! Before/after benchmark of issue 21 (the view moving into the isolation
//! unit): the same measurements, compiled once against the host before the
//! move and once against it after (feature `after`, for its paths), and run
//! alternately on one machine by `run.sh`.
#![allow(clippy::print_stdout)]
#[cfg(not(feature = "after"))]
use mpkit_host::{
    logic::worker::{enter_if_worker, WorkerConfig},
    runtime::files::{DirFiles, MemFiles},
    runtime::{Isolation, LaunchOptions, Runtime},
    surface::headless::HeadlessSurface,
};
#[cfg(feature = "after")]
use mpkit_host::{
    enter_if_worker,
    internals::{DirFiles, LaunchOptions, MemFiles, Runtime},
    HeadlessSurface, Isolation, WorkerConfig,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn opts(process: bool) -> LaunchOptions {
    LaunchOptions {
        isolation: if process {
            let mut cfg = WorkerConfig::default();
            cfg.exe = std::env::var_os("BENCH_EXE").map(Into::into);
            Isolation::Process(cfg)
        } else {
            Isolation::Thread
        },
        ..LaunchOptions::default()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn children() -> Vec<u32> {
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let after = stat.rsplit(')').next().unwrap_or("");
        if after.split_whitespace().nth(1) == Some(me.as_str()) {
            out.push(pid);
        }
    }
    out
}

fn files(axml: &str, js: &str) -> MemFiles {
    let mut m = BTreeMap::new();
    m.insert("app.json".to_string(), br#"{"appId": "bench.app", "name": "b", "version": "1.0.0", "pages": ["pages/index/index"]}"#.to_vec());
    m.insert("app.js".to_string(), b"App({});".to_vec());
    m.insert("pages/index/index.axml".to_string(), axml.as_bytes().to_vec());
    m.insert("pages/index/index.js".to_string(), js.as_bytes().to_vec());
    MemFiles(m)
}

fn payload_app(bytes: usize) -> MemFiles {
    let rows = bytes / 52;
    let js = format!(
        "function make(n) {{ const items = []; for (let i = 0; i < {rows}; i++) items.push({{ id: 'i' + i, name: 'item ' + i + ' of run ' + n, price: i * n }}); return items; }} \
         Page({{ data: {{ items: [], n: 0 }}, \
         go() {{ const n = this.data.n + 1; this.setData({{ items: make(n), n: n }}); }}, \
         build() {{ globalThis.sink = make(this.data.n + 1); }} }});"
    );
    files(
        r#"<button id="go" onTap="go">go</button><button id="build" onTap="build">build</button><view a:for="{{items}}" a:key="id"><text>{{item.name}}</text><text>{{item.price}}</text></view>"#,
        &js,
    )
}

fn rows_app() -> MemFiles {
    files(
        r#"<button id="one" onTap="one">one</button><button id="none" onTap="none">none</button><view a:for="{{rows}}" a:key="id" class="row {{item.done ? 'done' : ''}}" data-id="{{item.id}}"><text>{{item.name}}</text><text>{{item.price}}</text></view>"#,
        "const rows = []; for (let i = 0; i < 1000; i++) rows.push({ id: 'r' + i, name: 'Item ' + i, price: 100 + i, done: false }); \
         Page({ data: { rows, k: 0 }, \
         one() { const k = this.data.k + 1; const i = (k * 7919) % 1000; this.setData({ ['rows[' + i + '].name']: 'Changed ' + k, k }); }, \
         none() { const k = this.data.k + 1; const i = (k * 7919) % 1000; globalThis.sink = ['rows[' + i + '].name', 'Changed ' + k]; } });",
    )
}

fn main() {
    enter_if_worker();
    let mut args = std::env::args().skip(1);
    let sample = args.next().expect("sample app dir");
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(15);
    // Profiling: only the taps of one measurement, in thread mode.
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        let process = std::env::var("BENCH_PROCESS").is_ok();
        if only == "cold" {
            for _ in 0..runs {
                let rt = Runtime::launch(Box::new(DirFiles::new(&sample)), HeadlessSurface::new(), opts(process)).expect("launch");
                assert!(rt.html().len() > 100);
            }
            return;
        }
        let (mut rt, tap) = match only.as_str() {
            "row" => (Runtime::launch(Box::new(rows_app()), HeadlessSurface::new(), opts(process)).expect("launch"), "#one"),
            _ => {
                let mut rt = Runtime::launch(Box::new(payload_app(16 * 1024)), HeadlessSurface::new(), opts(process)).expect("launch");
                rt.tap("#go").expect("go");
                (rt, "#go")
            }
        };
        for _ in 0..runs {
            rt.tap(tap).expect("tap");
        }
        assert!(rt.errors().is_empty());
        return;
    }
    let mut out = Vec::new();
    for process in [false, true] {
        let mode = if process { "process" } else { "thread" };
        // Cold start: the sample app from its directory to its first page.
        let mut t = Vec::new();
        for _ in 0..runs {
            let s = Instant::now();
            let rt = Runtime::launch(Box::new(DirFiles::new(&sample)), HeadlessSurface::new(), opts(process)).expect("launch");
            assert!(rt.html().len() > 100);
            t.push(s.elapsed().as_secs_f64() * 1e3);
        }
        out.push(format!("cold start {mode}: {:.2} ms", median(t)));
        // setData 16 KB, handler time less building the data without setData.
        let mut rt = Runtime::launch(Box::new(payload_app(16 * 1024)), HeadlessSurface::new(), opts(process)).expect("launch");
        rt.tap("#go").expect("go");
        let (mut t, mut host) = (Vec::new(), Vec::new());
        for _ in 0..runs.max(9) * 2 {
            let s = Instant::now();
            let c = cpu_ns();
            rt.tap("#build").expect("build");
            let (b, bc) = (s.elapsed(), cpu_ns() - c);
            let s = Instant::now();
            let c = cpu_ns();
            rt.tap("#go").expect("go");
            let (g, gc) = (s.elapsed(), cpu_ns() - c);
            t.push(g.saturating_sub(b).as_secs_f64() * 1e3);
            host.push(gc.saturating_sub(bc) as f64 / 1e6);
        }
        assert!(rt.errors().is_empty(), "{:?}", rt.errors());
        out.push(format!("setData 16 KB {mode}: {:.3} ms", median(t)));
        if process {
            out.push(format!("  host CPU per setData 16 KB (process): {:.3} ms", median(host)));
        }
        // One changed row in 1,000.
        let mut rt = Runtime::launch(Box::new(rows_app()), HeadlessSurface::new(), opts(process)).expect("launch");
        let (mut t, mut host) = (Vec::new(), Vec::new());
        for _ in 0..runs.max(9) * 4 {
            let s = Instant::now();
            let c = cpu_ns();
            rt.tap("#none").expect("none");
            let (b, bc) = (s.elapsed(), cpu_ns() - c);
            let s = Instant::now();
            let c = cpu_ns();
            rt.tap("#one").expect("one");
            let (g, gc) = (s.elapsed(), cpu_ns() - c);
            t.push(g.saturating_sub(b).as_secs_f64() * 1e3);
            host.push(gc.saturating_sub(bc) as f64 / 1e6);
        }
        assert!(rt.errors().is_empty(), "{:?}", rt.errors());
        assert!(rt.html().contains("Changed"));
        out.push(format!("one changed row in 1,000 {mode}: {:.3} ms", median(t)));
        if process {
            out.push(format!("  host CPU per changed row (process): {:.3} ms", median(host)));
        }
    }
    // Memory: 20 sample apps, each in its worker.
    let before = rss_kib(std::process::id());
    let mut running = Vec::new();
    for _ in 0..20 {
        running.push(Runtime::launch(Box::new(DirFiles::new(&sample)), HeadlessSurface::new(), opts(true)).expect("launch"));
    }
    std::thread::sleep(Duration::from_millis(200));
    let host = rss_kib(std::process::id()).saturating_sub(before);
    let workers: u64 = children().iter().map(|p| rss_kib(*p)).sum();
    out.push(format!(
        "memory per app, 20 running: {:.2} MiB (host {:.2}, worker {:.2})",
        (host + workers) as f64 / 1024.0 / 20.0,
        host as f64 / 1024.0 / 20.0,
        workers as f64 / 1024.0 / 20.0
    ));
    drop(running);
    for l in out {
        println!("{l}");
    }
}
