//! Two mini programs in one host, each in its own worker process: the hostile
//! one is stopped with a typed reason, the other keeps working. This binary is
//! its own harness because workers re-enter it through `enter_if_worker`.

#![allow(clippy::print_stdout)]

use mpkit_host::internals::MemFiles;
use mpkit_host::internals::{LaunchOptions, Runtime};
use mpkit_host::HeadlessSurface;
use mpkit_host::Stopped;
use mpkit_host::{enter_if_worker, WorkerConfig};
use mpkit_host::{Isolation, ThreadOptIn};
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
    let mut opts = LaunchOptions {
        isolation: Isolation::Process(WorkerConfig {
            timeout,
            ..WorkerConfig::default()
        }),
        ..LaunchOptions::default()
    };
    // `my` offers what the host names; this host has no dispatcher, so
    // each answers "not available", across the pipe.
    opts.apis
        .extend(["getStorageSync", "setStorageSync"].map(String::from));
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

/// Navigation from a worker, by JS and by a `<navigator>` whose request
/// crosses the pipe typed, passes the host's gate and its page stack.
fn navigation_crosses_the_process_boundary() {
    let mut files = app(
        r#"<text id="out">{{out}}</text><button id="go" onTap="go">go</button><button id="bad" onTap="bad">bad</button><navigator id="nav" url="/pages/b/b?from=nav">b</navigator>"#,
        r#"Page({ data: { out: '' },
  go() { my.navigateTo({ url: '/pages/b/b?from=js' }); },
  bad() { my.redirectTo({ url: 7, fail: (e) => this.setData({ out: 'error ' + e.error }) }); } });"#,
    );
    files.0.insert(
        "app.json".to_string(),
        br#"{"pages": ["pages/index/index", "pages/b/b"]}"#.to_vec(),
    );
    files.0.insert(
        "pages/b/b.axml".to_string(),
        br#"<text id="from">{{from}}</text><navigator id="up" open-type="navigateBack">up</navigator>"#.to_vec(),
    );
    files.0.insert(
        "pages/b/b.js".to_string(),
        b"Page({ onLoad(q) { this.setData({ from: q.from }); } });".to_vec(),
    );
    let opts = LaunchOptions {
        isolation: Isolation::Process(WorkerConfig::default()),
        ..LaunchOptions::default()
    };
    let mut rt = Runtime::launch(Box::new(files), HeadlessSurface::new(), opts).expect("launch");
    rt.tap("#go").expect("tap");
    assert_eq!(rt.routes(), ["pages/index/index", "pages/b/b"]);
    assert_eq!(rt.text("#from").expect("from"), "js");
    rt.tap("#up").expect("tap");
    assert_eq!(rt.routes(), ["pages/index/index"]);
    rt.tap("#nav").expect("tap");
    assert_eq!(rt.text("#from").expect("from"), "nav");
    rt.tap("#up").expect("tap");
    rt.tap("#bad").expect("tap");
    assert_eq!(
        rt.text("#out").expect("out"),
        "error 2",
        "the gate checked the url"
    );
    assert_eq!(rt.routes(), ["pages/index/index"]);
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

/// A worker that lies: it speaks the protocol, shows a page, then answers
/// each tap with patch ops no view of ours sends. `exe` is what the host starts.
const LIAR: &str = r##"#!/usr/bin/env python3
import json, sys
def send(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
def node(id, depth, tag, text="", attrs=()):
    return [id, depth, tag, text, None, list(attrs)]
def patch(page, ops):
    return '{"out": {"msgs": [{"patch": {"page": %d, "ops": %s, "first": true, "callbacks": []}}]}}' % (page, json.dumps(ops))
LIES = ["deep", "deeper", "unknown", "many", "flood", "notOps"]
def lie(name, page):
    if name == "deep":
        # One subtree of 200 levels.
        return patch(page, [[0, 0, 0, [node(1000 + d, d, "view") for d in range(200)]]])
    if name == "deeper":
        # Two subtrees of 100 levels, the second under the first's deepest node.
        a = [[0, 0, 0, [node(1000 + d, d, "view") for d in range(100)]]]
        b = [[0, 1099, 0, [node(2000 + d, d, "view") for d in range(100)]]]
        return patch(page, a + b)
    if name == "unknown":
        return patch(page, [[5, 999, "x"]])
    if name == "many":
        return patch(page, [[0, 0, 0, [node(1000, 0, "view")] + [node(1001 + i, 1, "text") for i in range(300001)]]])
    if name == "flood":
        return patch(page, [[5, 2, "x" * (65 << 20)]])
    if name == "notOps":
        return '{"out": {"msgs": [{"patch": {"page": %d, "ops": {"op": "remove"}, "first": false, "callbacks": []}}]}}' % page
for line in sys.stdin:
    m = json.loads(line)
    if "init" in m:
        send('"ready"')
    elif "load" in m:
        send('{"loaded": {"result": {"Ok": null}}}')
    elif "handle" in m:
        msg = m["handle"]["msg"]
        kind = msg["kind"]
        if kind == "pageView":
            send('{"out": {"msgs": [{"pageView": {"page": %d, "css": "", "error": null, "warnings": []}}]}}' % msg["page"])
        elif kind == "pageCreate":
            nodes = [[0, 0, 0, [node(1, 0, "text", "", ["id", "n"]), node(2, 1, "#text", "0")]]]
            for i, name in enumerate(LIES):
                nodes.append([0, 0, i + 1, [node(10 + i, 0, "button", "", ["id", name, "onTap", name])]])
            send(patch(msg["page"], nodes))
        elif kind == "domEvent":
            name = LIES[msg["target"] - 10]
            send('{"out": {"msgs": [{"resolved": {"page": %d, "calls": [{"handler": "%s", "event": {}, "site": ""}], "form": null, "navigate": null}}]}}' % (msg["page"], name))
        elif kind == "event":
            send(lie(msg["handler"], msg["page"]))
        else:
            send('{"out": {"msgs": []}}')
"##;

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
    Runtime::launch(Box::new(app(AXML, "")), HeadlessSurface::new(), opts).expect("launch")
}

/// Patch ops no view of ours sends, from a worker that lies: a subtree past
/// the depth limit, one built past it in two inserts, a change to a node
/// that is not there, more nodes than a page may hold, a line longer than
/// the host reads, ops that are not a list. Each stops that app with a
/// typed reason naming what was refused, before the surface sees any of it;
/// the app beside it never notices.
fn a_lying_workers_patches_stop_only_its_own_app() {
    let dir = tempfile::tempdir().expect("dir");
    let mut good = launch(
        "Page({ data: { n: 0 }, go() { this.setData({ n: this.data.n + 1 }); } });",
        Duration::from_secs(5),
    );
    for (lie, why) in [
        (
            "#deep",
            "worker sent garbage: an inserted subtree is deeper than 129 levels",
        ),
        (
            "#deeper",
            "the mini program's view sent patch ops the host refused: an insert would make the page deeper than 129 levels",
        ),
        (
            "#unknown",
            "the mini program's view sent patch ops the host refused: text on unknown node 999",
        ),
        (
            "#many",
            "the mini program's view sent patch ops the host refused: an insert would give the page more than 300001 nodes",
        ),
        ("#flood", "the worker sent a line over 67108864 bytes"),
        ("#notOps", "worker sent garbage: invalid type: map, expected a list of patch ops"),
    ] {
        let mut liar = launch_liar(dir.path());
        assert_eq!(liar.text("#n").expect("the liar's page"), "0");
        let before = liar.surface().dom().cloned();
        liar.tap(lie).expect("tap");
        match liar.stopped() {
            Some(Stopped::Crashed(m)) => assert!(m.starts_with(why), "{lie}: {m}"),
            other => panic!("{lie}: not stopped as a crash: {other:?}"),
        }
        let shown = liar.page_error().expect("error state").message.clone();
        assert!(shown.contains(why), "{lie}: {shown}");
        // Nothing of the lie reached the surface: its page is as it was,
        // with the error over it.
        assert_eq!(liar.surface().dom().cloned(), before, "{lie}");
        assert!(liar.surface().error().is_some());
    }
    good.tap("#go").expect("tap");
    assert_eq!(good.text("#n").expect("text"), "1");
    assert!(good.stopped().is_none());
}

/// The hostile pages of issue 21 in process mode, the host on a 1 MB
/// thread: each is parsed and rendered in its own worker, never on the
/// host's stack. A chain of 25,000 links or sums is a page error with its
/// line and column; a render that would take minutes stops its own app
/// with `Stopped::RenderBudget`; the app beside them keeps working.
fn hostile_templates_stop_only_their_own_app_in_process_mode() {
    let t = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let mut good = launch(
                "Page({ data: { n: 0 }, go() { this.setData({ n: this.data.n + 1 }); } });",
                Duration::from_secs(5),
            );
            let budget = Duration::from_millis(300);
            let hostile = |axml: String| {
                let opts = LaunchOptions {
                    isolation: Isolation::Process(WorkerConfig::default()),
                    render_budget: budget,
                    ..LaunchOptions::default()
                };
                Runtime::launch(
                    Box::new(app(&axml, "Page({ data: { n: 100000 } });")),
                    HeadlessSurface::new(),
                    opts,
                )
                .expect("launch")
            };
            for chain in [".b".repeat(25_000), "+1".repeat(25_000)] {
                let rt = hostile(format!("<view>\n<text>{{{{ a{chain} }}}}</text></view>"));
                assert!(rt.stopped().is_none());
                let e = rt.page_error().expect("error state");
                assert_eq!((e.file.as_str(), e.line), ("pages/index/index.axml", 2));
                assert!(e.column > 500, "{e:?}");
                assert!(
                    e.message
                        .starts_with("in expression: expression too long: more than 256"),
                    "{e:?}"
                );
            }
            let started = std::time::Instant::now();
            let rt = hostile(
                r#"<block a:for="{{n}}"><view a:for="{{n}}" a:if="{{false}}"/></block>"#.into(),
            );
            assert_eq!(
                rt.stopped(),
                Some(&Stopped::RenderBudget {
                    route: "pages/index/index".into(),
                    after: budget,
                })
            );
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "before the watchdog"
            );
            assert!(rt
                .page_error()
                .expect("error state")
                .message
                .contains("did not finish rendering within 300ms"));
            good.tap("#go").expect("tap");
            assert_eq!(good.text("#n").expect("text"), "1");
            assert!(good.stopped().is_none());
        })
        .expect("spawn");
    if let Err(p) = t.join() {
        std::panic::resume_unwind(p);
    }
}

/// setData paths that would reach a prototype, or that are malformed, throw
/// before anything is sent or set, in a worker as on the host's thread; the
/// bridge the host calls is no global of the mini program's realm.
fn setdata_paths_cannot_pollute_and_the_bridge_is_out_of_reach() {
    let axml = r#"<text id="n">{{n}}</text><text id="msg">{{msg}}</text><button id="go" onTap="go">go</button>"#;
    let js = r#"Page({
  data: { n: '', msg: '', a: { b: 1 }, list: [1] },
  go() {
    const tries = ['__proto__.polluted', 'a.__proto__.x', 'constructor.prototype.y',
      'list[-1]', 'list[1e3]', 'a..b', 'a[""]', 'list[100001]'];
    const out = [];
    let first = '';
    for (const p of tries) {
      try { this.setData({ [p]: 'P1', ok: 1 }); out.push(p + ' was set'); }
      catch (e) { out.push(e.name); if (!first) first = e.message; }
    }
    out.push(typeof ({}).polluted, typeof Object.prototype.x, typeof Object.prototype.y,
      typeof this.data.ok, JSON.stringify(this.data.a) + JSON.stringify(this.data.list));
    out.push([typeof __mp_dispatch, typeof __mp_reply, typeof __mp_rejection,
      typeof __mp_entry, typeof __mp, typeof globalThis.__mp_dispatch].join(','));
    this.setData({ n: out.join('|'), msg: first });
  }
});"#;
    let modes = [
        Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED),
        Isolation::Process(WorkerConfig {
            timeout: Duration::from_secs(5),
            ..WorkerConfig::default()
        }),
    ];
    for isolation in modes {
        let opts = LaunchOptions {
            isolation,
            ..LaunchOptions::default()
        };
        let mut rt =
            Runtime::launch(Box::new(app(axml, js)), HeadlessSurface::new(), opts).expect("launch");
        rt.tap("#go").expect("tap");
        assert_eq!(
            rt.text("#n").expect("text"),
            "TypeError|TypeError|TypeError|TypeError|TypeError|TypeError|TypeError|RangeError|\
             undefined|undefined|undefined|undefined|{\"b\":1}[1]|\
             undefined,undefined,undefined,undefined,undefined,undefined"
        );
        assert_eq!(
            rt.text("#msg").expect("text"),
            "setData path \"__proto__.polluted\" is refused: \"__proto__\" is not a data key"
        );
        // The view's copy of the data has none of it either.
        let data = rt.data().expect("data");
        assert!(
            data.get("ok").is_none() && data.get("polluted").is_none(),
            "{data}"
        );
        assert!(rt.errors().is_empty(), "{:?}", rt.errors());
        assert!(rt.stopped().is_none());
    }
}

/// What boa 0.22 cannot interrupt (issue 22, item 14): native iteration
/// with a JS callback, regex backtracking and unbounded allocation. Process
/// mode stops each (watchdog, memory cap) and the neighbour keeps working;
/// thread mode, which takes the explicit [`ThreadOptIn`], is measured: the
/// time grows with the input, and nothing stops it.
fn runaway_code_boa_cannot_interrupt_is_stopped_in_process_mode() {
    let attacks = [
        (
            "nested forEach",
            "const a = new Array(100000).fill(0); a.forEach(() => a.forEach(() => {}));",
            Stopped::Timeout {
                after: Duration::from_millis(1500),
            },
        ),
        (
            "regex backtracking",
            "/^(a+)+$/.test('a'.repeat(40) + 'b');",
            Stopped::Timeout {
                after: Duration::from_millis(1500),
            },
        ),
        (
            "unbounded allocation",
            "let s = 'ab'; for (let i = 0; i < 40; i++) { s += s; } this.setData({ n: s.length });",
            Stopped::OutOfMemory,
        ),
    ];
    let mut good = launch(
        "Page({ data: { n: 0 }, go() { this.setData({ n: this.data.n + 1 }); } });",
        Duration::from_secs(5),
    );
    for (what, body, want) in attacks {
        let mut bad = launch_page(
            AXML,
            &format!("Page({{ data: {{ n: 0 }}, go() {{ {body} }} }});"),
            Duration::from_millis(1500),
        );
        let t = std::time::Instant::now();
        bad.tap("#go").expect("tap");
        let took = t.elapsed();
        // An allocation that outgrows the cap may also be refused by boa
        // as a RangeError before the allocator fails: either way the app
        // ends, the host does not.
        match (&want, bad.stopped()) {
            (Stopped::OutOfMemory, Some(Stopped::OutOfMemory)) => {}
            (Stopped::OutOfMemory, None) => {
                assert!(
                    !bad.errors().is_empty(),
                    "{what}: neither stopped nor refused"
                );
            }
            (w, got) => assert_eq!(got, Some(w), "{what}"),
        }
        assert!(took < Duration::from_secs(10), "{what}: {took:?}");
        good.tap("#go").expect("the neighbour");
        eprintln!("{what}: stopped in process mode after {took:?}");
    }
    assert_eq!(good.text("#n").expect("text"), "3");

    // Thread mode: the same code grows without bound. Quadratic for the
    // nested forEach (4x the items: ~16x the time), exponential for the
    // regex (4 more characters: ~16x). Small sizes, so the test ends.
    let time = |body: String| {
        let opts = LaunchOptions {
            isolation: Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED),
            ..LaunchOptions::default()
        };
        let js =
            format!("Page({{ data: {{ n: 0 }}, go() {{ {body} this.setData({{ n: 1 }}); }} }});");
        let mut rt = Runtime::launch(Box::new(app(AXML, &js)), HeadlessSurface::new(), opts)
            .expect("launch");
        let t = std::time::Instant::now();
        rt.tap("#go").expect("tap");
        let took = t.elapsed();
        assert_eq!(
            rt.text("#n").expect("text"),
            "1",
            "it ran to the end: nothing stopped it"
        );
        took
    };
    let each = |n: usize| {
        time(format!(
            "const a = new Array({n}).fill(0); a.forEach(() => a.forEach(() => {{}}));"
        ))
    };
    let regex = |n: usize| time(format!("/^(a+)+$/.test('a'.repeat({n}) + 'b');"));
    let (e1, e2) = (each(150), each(600));
    let (r1, r2) = (regex(14), regex(18));
    eprintln!(
        "thread mode: nested forEach 150 items {e1:?}, 600 items {e2:?} ({:.1}x); \
         regex 14 chars {r1:?}, 18 chars {r2:?} ({:.1}x)",
        e2.as_secs_f64() / e1.as_secs_f64(),
        r2.as_secs_f64() / r1.as_secs_f64()
    );
    assert!(e2 > e1 * 4, "quadratic: {e1:?} then {e2:?}");
    assert!(r2 > r1 * 4, "exponential: {r1:?} then {r2:?}");
}

fn main() {
    enter_if_worker();
    let tests: [(&str, fn()); 9] = [
        (
            "runaway_code_boa_cannot_interrupt_is_stopped_in_process_mode",
            runaway_code_boa_cannot_interrupt_is_stopped_in_process_mode,
        ),
        (
            "setdata_paths_cannot_pollute_and_the_bridge_is_out_of_reach",
            setdata_paths_cannot_pollute_and_the_bridge_is_out_of_reach,
        ),
        (
            "navigation_crosses_the_process_boundary",
            navigation_crosses_the_process_boundary,
        ),
        (
            "hostile_templates_stop_only_their_own_app_in_process_mode",
            hostile_templates_stop_only_their_own_app_in_process_mode,
        ),
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
