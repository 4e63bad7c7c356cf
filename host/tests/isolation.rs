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

const AXML: &str = r#"<text id="n">{{n}}</text><button id="go" onTap="go">go</button>"#;

fn app(axml: &str, js: &str) -> MemFiles {
    let mut m = std::collections::BTreeMap::new();
    m.insert(
        "app.json".to_string(),
        br#"{"pages": ["pages/index/index"]}"#.to_vec(),
    );
    m.insert("app.js".to_string(), b"App({});".to_vec());
    m.insert(
        "pages/index/index.axml".to_string(),
        axml.as_bytes().to_vec(),
    );
    m.insert("pages/index/index.js".to_string(), js.as_bytes().to_vec());
    MemFiles(m)
}

fn launch(js: &str, timeout: Duration) -> Runtime<HeadlessSurface> {
    launch_page(AXML, js, timeout)
}

fn launch_page(axml: &str, js: &str, timeout: Duration) -> Runtime<HeadlessSurface> {
    let opts = LaunchOptions {
        isolation: Isolation::Process(WorkerConfig {
            timeout,
            ..WorkerConfig::default()
        }),
        ..LaunchOptions::default()
    };
    Runtime::launch(Box::new(app(axml, js)), HeadlessSurface::new(), opts).expect("launch")
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

/// The host reads a worker's patch text straight into the page's data,
/// reusing what is there: every step renders exactly what was sent, and the
/// host's copy of the data ends as the page's own `this.data`.
fn patches_read_in_place_render_what_was_sent() {
    let mut rt = launch_page(
        r#"<view a:for="{{list}}" a:key="id" class="row">{{item.id}}:{{item.name}}</view><text id="n">{{n}}</text><button id="go" onTap="go">go</button>"#,
        r#"const steps = [
  { list: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }], n: { a: 1, b: [1, 2] } },
  { list: [{ id: 1, name: 'uno, longer than before' }, { id: 2, name: 'two' }, { id: 3, name: 'three' }], n: 'text' },
  { list: [{ id: 3, name: 'x' }], n: 7 },
  { 'list[2]': { id: 9, name: 'nine' }, 'list[1]': { id: 4, name: null } },
  { list: [{ id: 1, name: '\u00e9\u2028"q"' }], n: { b: [3] } },
  { 'n.b[0]': 'deep', 'n.c': false },
];
Page({ data: { list: [], n: 0, step: 0 },
  go() { this.setData(Object.assign({ step: this.data.step + 1 }, steps[this.data.step])); } });"#,
        Duration::from_secs(5),
    );
    let rows = |rt: &Runtime<HeadlessSurface>| -> Vec<String> {
        let s = rt.surface();
        s.query(".row")
            .expect("rows")
            .into_iter()
            .map(|id| s.node(id).expect("row").text_content())
            .collect()
    };
    let expected: [&[&str]; 6] = [
        &["1:one", "2:two"],
        &["1:uno, longer than before", "2:two", "3:three"],
        &["3:x"],
        &["3:x", "4:", "9:nine"],
        &["1:\u{e9}\u{2028}\"q\""],
        &["1:\u{e9}\u{2028}\"q\""],
    ];
    for want in expected {
        rt.tap("#go").expect("tap");
        assert_eq!(rows(&rt), want);
    }
    let data = rt.data().expect("data").clone();
    assert_eq!(data["n"], serde_json::json!({"b": ["deep"], "c": false}));
    assert_eq!(
        data["list"],
        serde_json::json!([{"id": 1, "name": "\u{e9}\u{2028}\"q\""}])
    );
    assert!(rt.errors().is_empty(), "{:?}", rt.errors());
}

/// Data nested deeper than the logic layer converts is a `RangeError` the
/// mini program catches, in a worker as on the host's thread. Before, the
/// worker wrote the line, and the host, which reads 128 levels, stopped the
/// app for sending garbage.
fn deep_data_is_a_range_error_in_the_workers_own_code() {
    let mut rt = launch(
        "Page({ data: { n: 0 }, go() { let d = 1; for (let i = 0; i < 150; i++) d = [d]; \
         try { this.setData({ d }); } catch (e) { this.setData({ n: e.name }); } \
         try { my.setStorageSync({ key: 'k', data: d }); } catch (e) { this.setData({ n: this.data.n + '/' + e.name }); } } });",
        Duration::from_secs(5),
    );
    rt.tap("#go").expect("tap");
    assert!(rt.stopped().is_none(), "{:?}", rt.stopped());
    assert_eq!(rt.text("#n").expect("text"), "RangeError/RangeError");
}

/// A worker that lies: it speaks the protocol, then answers each tap with a
/// line no logic layer of ours writes. `exe` is what the host starts.
const LIAR: &str = r#"#!/usr/bin/env python3
import json, sys
def send(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
lies = {
    "deep": '{"n": %s1%s}' % ("[" * 200, "]" * 200),
    "notObject": '[1, 2]',
    "longPath": '{"%s": 1, "n": 5}' % ".".join(["a"] * 200000),
}
for line in sys.stdin:
    m = json.loads(line)
    if "init" in m:
        send('"ready"')
    elif "load" in m:
        send('{"loaded": {"result": {"Ok": null}}}')
    elif "handle" in m:
        msg = m["handle"]["msg"]
        if msg["kind"] == "pageCreate":
            send('{"out": {"msgs": [{"initialData": {"page": %d, "data": {"n": 0}}}]}}' % msg["page"])
        elif msg["kind"] == "event":
            patch = lies[msg["handler"]]
            send('{"out": {"msgs": [{"setData": {"page": %d, "patch": %s, "callback": 0, "size": %d}}]}}'
                 % (msg["page"], patch, len(patch)))
        else:
            send('{"out": {"msgs": []}}')
"#;

fn launch_liar(dir: &std::path::Path) -> Runtime<HeadlessSurface> {
    use std::os::unix::fs::PermissionsExt;
    let exe = dir.join("liar.py");
    std::fs::write(&exe, LIAR).expect("write");
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let opts = LaunchOptions {
        isolation: Isolation::Process(WorkerConfig {
            exe: Some(exe),
            ..WorkerConfig::default()
        }),
        ..LaunchOptions::default()
    };
    let axml = r#"<text id="n">{{n}}</text><button id="deep" onTap="deep">d</button><button id="notObject" onTap="notObject">o</button><button id="longPath" onTap="longPath">l</button>"#;
    Runtime::launch(Box::new(app(axml, "")), HeadlessSurface::new(), opts).expect("launch")
}

/// Patches no logic layer of ours writes, from a worker that lies: one
/// nested past what the host reads, or not an object, stops that app with a
/// typed reason; a path key of 200,000 segments is refused on its own (data
/// that deep would overflow the host's stack when freed) and the rest of the
/// patch is applied. The app beside it never notices.
fn a_lying_workers_patches_stop_only_its_own_app() {
    let dir = tempfile::tempdir().expect("dir");
    let mut good = launch(
        "Page({ data: { n: 0 }, go() { this.setData({ n: this.data.n + 1 }); } });",
        Duration::from_secs(5),
    );

    let mut liar = launch_liar(dir.path());
    assert_eq!(liar.text("#n").expect("text"), "0");
    liar.tap("#longPath").expect("tap");
    assert!(liar.stopped().is_none(), "{:?}", liar.stopped());
    assert_eq!(liar.text("#n").expect("text"), "5", "the rest of the patch");
    let data = liar.data().expect("data").clone();
    assert_eq!(
        data,
        serde_json::json!({"n": 5}),
        "nothing of the long path"
    );
    let e = liar.errors().last().expect("error");
    assert_eq!(e.message, "setData path has 200000 segments, more than 64");

    liar.tap("#deep").expect("tap");
    match liar.stopped() {
        Some(Stopped::Crashed(m)) => assert!(
            m.contains("setData patch unreadable") && m.contains("recursion limit exceeded"),
            "{m}"
        ),
        other => panic!("not stopped as a crash: {other:?}"),
    }
    assert!(liar
        .page_error()
        .expect("error state")
        .message
        .contains("unreadable"));

    let mut liar = launch_liar(dir.path());
    liar.tap("#notObject").expect("tap");
    match liar.stopped() {
        Some(Stopped::Crashed(m)) => assert!(
            m.contains(
                "setData patch unreadable: invalid type: sequence, expected a setData object"
            ),
            "{m}"
        ),
        other => panic!("not stopped as a crash: {other:?}"),
    }

    good.tap("#go").expect("tap");
    assert_eq!(good.text("#n").expect("text"), "1");
    assert!(good.stopped().is_none());
}

fn main() {
    enter_if_worker();
    let tests: [(&str, fn()); 5] = [
        (
            "a_lying_workers_patches_stop_only_its_own_app",
            a_lying_workers_patches_stop_only_its_own_app,
        ),
        (
            "patches_read_in_place_render_what_was_sent",
            patches_read_in_place_render_what_was_sent,
        ),
        (
            "deep_data_is_a_range_error_in_the_workers_own_code",
            deep_data_is_a_range_error_in_the_workers_own_code,
        ),
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
