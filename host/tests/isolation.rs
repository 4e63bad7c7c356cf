//! Two mini programs in one host, each in its own worker process: the hostile
//! one is stopped with a typed reason, the other keeps working. This binary is
//! its own harness because workers re-enter it through `enter_if_worker`.

#![allow(clippy::print_stdout)]

use mpkit_host::logic::worker::{enter_if_worker, WorkerConfig};
use mpkit_host::logic::Stopped;
use mpkit_host::runtime::files::MemFiles;
use mpkit_host::runtime::{Isolation, LaunchOptions, Runtime};
use mpkit_host::surface::headless::HeadlessSurface;
use std::time::Duration;

fn app(js: &str) -> MemFiles {
    let mut m = std::collections::BTreeMap::new();
    m.insert(
        "app.json".to_string(),
        br#"{"pages": ["pages/index/index"]}"#.to_vec(),
    );
    m.insert("app.js".to_string(), b"App({});".to_vec());
    m.insert(
        "pages/index/index.axml".to_string(),
        br#"<text id="n">{{n}}</text><button id="go" onTap="go">go</button>"#.to_vec(),
    );
    m.insert("pages/index/index.js".to_string(), js.as_bytes().to_vec());
    MemFiles(m)
}

fn launch(js: &str, timeout: Duration) -> Runtime<HeadlessSurface> {
    let opts = LaunchOptions {
        isolation: Isolation::Process(WorkerConfig {
            timeout,
            ..WorkerConfig::default()
        }),
        ..LaunchOptions::default()
    };
    Runtime::launch(Box::new(app(js)), HeadlessSurface::new(), opts).expect("launch")
}

fn hostile_app_is_stopped_and_its_neighbour_keeps_working() {
    let mut good = launch(
        "Page({ data: { n: 0 }, go() { this.setData({ n: this.data.n + 1 }); } });",
        Duration::from_secs(5),
    );
    let mut bad = launch(
        "Page({ go() { const t = Date.now(); let x = 0; while (true) { x = (x + Date.now() - t) % 7; } } });",
        Duration::from_millis(800),
    );
    good.tap("#go").expect("tap");
    bad.tap("#go").expect("tap");
    assert_eq!(
        bad.stopped(),
        Some(&Stopped::Timeout {
            after: Duration::from_millis(800)
        })
    );
    assert!(bad
        .page_error()
        .expect("error state")
        .message
        .contains("was stopped"));
    // The stopped app ignores further input without panicking.
    bad.tap("#go").expect("tap on a stopped app is harmless");
    good.tap("#go").expect("tap");
    assert_eq!(good.text("#n").expect("text"), "2");
    assert!(good.stopped().is_none());
}

fn sync_calls_cross_the_process_boundary() {
    let mut rt = launch(
        "Page({ data: { n: 0 }, go() { try { my.getStorageSync({ key: 'k' }); } catch (e) { this.setData({ n: e.error }); } } });",
        Duration::from_secs(5),
    );
    rt.tap("#go").expect("tap");
    assert_eq!(
        rt.text("#n").expect("text"),
        "1",
        "the host's answer reached the worker"
    );
    assert_eq!(rt.calls()[0].api, "getStorageSync");
}

fn main() {
    enter_if_worker();
    let tests: [(&str, fn()); 2] = [
        (
            "hostile_app_is_stopped_and_its_neighbour_keeps_working",
            hostile_app_is_stopped_and_its_neighbour_keeps_working,
        ),
        (
            "sync_calls_cross_the_process_boundary",
            sync_calls_cross_the_process_boundary,
        ),
    ];
    let mut failed = 0;
    for (name, f) in tests {
        let ok = std::panic::catch_unwind(f).is_ok();
        println!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
        failed += usize::from(!ok);
    }
    let passed = tests.len() - failed;
    println!("\ntest result: {}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out\n", if failed == 0 { "ok" } else { "FAILED" });
    if failed > 0 {
        std::process::exit(101);
    }
}
