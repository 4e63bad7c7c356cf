//! `cargo xtask bench components`: custom components against the same
//! markup inlined into the page, side by side in one run, through the
//! embedding API (thread isolation, a headless surface that counts the
//! bytes of the patch ops it is given).
//!
//! - First render: 100 instances of a small component against its markup
//!   repeated 100 times in the page (goal: at most 2x). The component is
//!   plain (no lifecycle), as most small ones are: the view makes its
//!   instances; the same with a `didMount`, whose instances each need
//!   their JS object at once, is recorded beside it.
//! - One instance's own setData (one counter bumped) against re-rendering
//!   the page (every instance given a new prop): time (goal: at least 20x
//!   faster) and patch bytes (goal: at most 1% of a full render). It is
//!   the instance's second tap; the first, which makes its JS object, is
//!   recorded.
//! - sjs: one call per `{{ }}` in a 1,000-item list against the same list
//!   with a plain expression; the difference per expression.
//!
//! Each measured tap has a no-op tap beside it in the same round; its time
//! is taken off, so what is left is the render, the diff and the patch.

use crate::report::table;
use crate::report::Output;
use anyhow::{anyhow, ensure, Result};
use clap::Args;
use mpkit_host::{
    AppHandle, HeadlessSurface, Host, Isolation, LaunchSource, PageChrome, Surface, ThreadOptIn,
};
use mpkit_render::diff::PatchOp;
use serde_json::{json, Map};
use std::cell::Cell;
use std::path::Path;
use std::rc::Rc;
use std::time::Instant;

/// `cargo xtask bench components`.
#[derive(Debug, Args)]
pub(crate) struct ComponentsArgs {
    /// Measured rounds (the median is reported).
    #[arg(long, default_value_t = 30)]
    runs: u32,
}

/// A headless surface that adds up the serialized size of the ops it applies.
struct Counting {
    inner: HeadlessSurface,
    bytes: Rc<Cell<usize>>,
}

impl Surface for Counting {
    fn page_shown(&mut self, page: mpkit_host::PageId, chrome: &PageChrome, css: &str) {
        self.inner.page_shown(page, chrome, css);
    }
    fn page_closed(&mut self, page: mpkit_host::PageId) {
        self.inner.page_closed(page);
    }
    fn apply(&mut self, page: mpkit_host::PageId, ops: &[PatchOp]) -> Result<(), String> {
        let n = serde_json::to_vec(ops).map_or(0, |v| v.len());
        self.bytes.set(self.bytes.get() + n);
        self.inner.apply(page, ops)
    }
    fn show_error(&mut self, page: mpkit_host::PageId, error: &mpkit_host::ErrorView) {
        self.inner.show_error(page, error);
    }
    fn draw_canvas(
        &mut self,
        page: mpkit_host::PageId,
        node: u64,
        actions: &[mpkit_host::CanvasAction],
        reserve: bool,
    ) {
        self.inner.draw_canvas(page, node, actions, reserve);
    }
}

const ITEM: &str = r#"<view class="item"><text class="label">#{{n}}</text><text class="v">{{v}}</text><text class="count">{{count}}</text><button id="b{{n}}" onTap="bump">+</button></view>"#;

fn write_app(dir: &Path) -> Result<()> {
    let w = |p: &str, text: &str| -> Result<()> {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().ok_or_else(|| anyhow!("{p}"))?)?;
        std::fs::write(path, text)?;
        Ok(())
    };
    w(
        "app.json",
        &json!({"pages": ["pages/index/index"], "usingComponents": {"item": "/components/item/item", "hooked": "/components/hooked/hooked"}}).to_string(),
    )?;
    w("app.js", "App({});")?;
    w("components/item/item.json", r#"{"component": true}"#)?;
    // The same component with a lifecycle: each instance needs its JS
    // object at once (not plain, logic/components.rs `Summary`).
    w("components/hooked/hooked.json", r#"{"component": true}"#)?;
    w("components/hooked/hooked.axml", ITEM)?;
    w(
        "components/hooked/hooked.js",
        "Component({ props: { n: 0, v: 0 }, data: { count: 0 }, didMount() {}, methods: { bump() { this.setData({ count: this.data.count + 1 }); } } });",
    )?;
    w("components/item/item.axml", ITEM)?;
    w(
        "components/item/item.js",
        "Component({ props: { n: 0, v: 0 }, data: { count: 0 }, methods: { bump() { this.setData({ count: this.data.count + 1 }); } } });",
    )?;
    w(
        "pages/index/m.sjs",
        "export default { f: function (x) { return x + 1; } };",
    )?;
    let inline = ITEM
        .replace("{{n}}", "{{item}}")
        .replace("{{count}}", "{{0}}")
        .replace(" onTap=\"bump\"", "");
    w(
        "pages/index/index.axml",
        &r#"<import-sjs name="m" from="./m.sjs"/>
<button id="noop" onTap="noop">noop</button>
<button id="comp" onTap="comp">comp</button><button id="inline" onTap="inline">inline</button><button id="off" onTap="off">off</button>
<button id="all" onTap="all">all</button>
<button id="sjs" onTap="sjs">sjs</button><button id="plain" onTap="plain">plain</button>
<button id="hooked" onTap="hooked">hooked</button>
<view a:if="{{mode == 'comp'}}"><item a:for="{{list}}" a:key="*this" n="{{item}}" v="{{v}}"/></view>
<view a:if="{{mode == 'hooked'}}"><hooked a:for="{{list}}" a:key="*this" n="{{item}}" v="{{v}}"/></view>
<view a:if="{{mode == 'inline'}}"><block a:for="{{list}}" a:key="*this">INLINE</block></view>
<view a:if="{{mode == 'sjs'}}"><text a:for="{{big}}">{{m.f(item)}}</text></view>
<view a:if="{{mode == 'plain'}}"><text a:for="{{big}}">{{item + 1}}</text></view>"#
            .replace("INLINE", &inline),
    )?;
    w(
        "pages/index/index.js",
        "const list = []; for (let i = 0; i < 100; i++) list.push(i);\n\
         const big = []; for (let i = 0; i < 1000; i++) big.push(i);\n\
         Page({ data: { mode: '', list, big, v: 0 },\n\
           noop() {}, comp() { this.setData({ mode: 'comp' }); }, inline() { this.setData({ mode: 'inline' }); }, hooked() { this.setData({ mode: 'hooked' }); },\n\
           off() { this.setData({ mode: '' }); }, all() { this.setData({ v: this.data.v + 1 }); },\n\
           sjs() { this.setData({ mode: 'sjs' }); }, plain() { this.setData({ mode: 'plain' }); } });",
    )?;
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Taps `sel` and returns its time in ms, less a no-op tap's, and the
/// patch bytes it made.
fn timed(app: &mut AppHandle<Counting>, bytes: &Cell<usize>, sel: &str) -> Result<(f64, usize)> {
    let t = Instant::now();
    app.tap("#noop").map_err(|e| anyhow!("noop: {e}"))?;
    let base = t.elapsed().as_secs_f64() * 1e3;
    bytes.set(0);
    let t = Instant::now();
    app.tap(sel).map_err(|e| anyhow!("{sel}: {e}"))?;
    let took = t.elapsed().as_secs_f64() * 1e3;
    ensure!(app.errors().is_empty(), "{sel}: {:?}", app.errors());
    Ok(((took - base).max(0.001), bytes.get()))
}

pub(crate) fn run(args: ComponentsArgs, o: &mut Output) -> Result<()> {
    let value = measure(args.runs)?;
    let f = |k: &str| value[k].as_f64().unwrap_or_default();
    let (fc, fi, own_t, page_t) = (
        f("first_render_components_ms"),
        f("first_render_inline_ms"),
        f("own_setdata_ms"),
        f("page_rerender_ms"),
    );
    let (own_bytes, full_bytes) = (f("own_setdata_patch_bytes"), f("full_render_patch_bytes"));
    let tap_t = f("own_first_tap_ms");
    let fh = f("first_render_hooked_ms");
    let (sjs_t, plain_t, sjs_us) = (
        f("sjs_list_ms"),
        f("plain_list_ms"),
        f("sjs_call_us_per_expression"),
    );
    o.emit(&value, || {
        let rows = vec![
            vec!["first render, 100 instances".into(), format!("{fc:.2} ms"), format!("{fi:.2} ms inlined"), format!("{:.2}x (goal <= 2x)", fc / fi)],
            vec!["  the same with didMount".into(), format!("{fh:.2} ms"), format!("{fi:.2} ms inlined"), format!("{:.2}x (recorded)", fh / fi)],
            vec!["one instance's setData".into(), format!("{own_t:.3} ms"), format!("{page_t:.2} ms page re-render"), format!("{:.0}x faster (goal >= 20x)", page_t / own_t)],
            vec!["  the instance's first tap".into(), format!("{tap_t:.3} ms"), String::new(), "makes its JS object (recorded)".into()],
            vec!["  its patch".into(), format!("{own_bytes} B"), format!("{full_bytes} B full render"), format!("{:.2}% (goal <= 1%)", 100.0 * own_bytes / full_bytes.max(1.0))],
            vec!["1,000 sjs calls".into(), format!("{sjs_t:.2} ms"), format!("{plain_t:.2} ms plain"), format!("{sjs_us:.2} µs per call")],
        ];
        format!(
            "Components against inlined markup, median of {} rounds (release, thread isolation):\n{}",
            args.runs,
            table(&["what", "components", "peer", "ratio"], &rows)
        )
    })?;
    Ok(())
}

/// The figures, as the JSON `--json` prints.
fn measure(runs: u32) -> Result<serde_json::Value> {
    ensure!(runs > 0, "--runs must be at least 1");
    let work = tempfile::tempdir()?;
    let dir = work.path().join("app");
    write_app(&dir)?;
    let key = mpkit_bundle::SecretKey::generate()?;
    let host = Host::builder()
        .trust(mpkit_bundle::Trust::Developer(vec![key.public().clone()]))
        .storage_dir(work.path().join("host"))
        .isolation(Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED))
        .dev_mode(true)
        .build()?;
    let bytes = Rc::new(Cell::new(0));
    let surface = Counting {
        inner: HeadlessSurface::new(),
        bytes: bytes.clone(),
    };
    let mut app = host.launch(
        LaunchSource::DevDir(dir.clone()),
        "bench-user",
        Map::new(),
        surface,
    )?;
    ensure!(app.errors().is_empty(), "launch: {:?}", app.errors());
    let (mut first_c, mut first_i, mut own, mut page, mut sjs, mut plain) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut first_tap, mut first_h) = (vec![], vec![]);
    let (mut full_bytes, mut own_bytes, mut page_bytes) = (0, 0, 0);
    for round in 0..runs + 2 {
        let warm = round < 2;
        let (t, b) = timed(&mut app, &bytes, "#comp")?;
        let c = app
            .surface()
            .inner
            .query(".item")
            .map_err(|e| anyhow!("{e}"))?
            .len();
        ensure!(
            c == 100,
            "100 instances rendered, not {c}: {:?} {}",
            app.warnings(),
            app.surface()
                .inner
                .html()
                .chars()
                .take(2000)
                .collect::<String>()
        );
        if !warm {
            first_c.push(t);
            full_bytes = b;
        }
        // The first tap on an instance makes its JS object (a plain
        // component's instances are made by the view alone); the second
        // is an instance's setData as it is from then on.
        let button = format!("#b{}", round % 100);
        let (t, _) = timed(&mut app, &bytes, &button)?;
        if !warm {
            first_tap.push(t);
        }
        let (t, b) = timed(&mut app, &bytes, &button)?;
        if !warm {
            own.push(t);
            own_bytes = b;
        }
        let (t, b) = timed(&mut app, &bytes, "#all")?;
        if !warm {
            page.push(t);
            page_bytes = b;
        }
        timed(&mut app, &bytes, "#off")?;
        let (t, _) = timed(&mut app, &bytes, "#inline")?;
        if !warm {
            first_i.push(t);
        }
        timed(&mut app, &bytes, "#off")?;
        let (t, _) = timed(&mut app, &bytes, "#hooked")?;
        if !warm {
            first_h.push(t);
        }
        timed(&mut app, &bytes, "#off")?;
        let (t, _) = timed(&mut app, &bytes, "#sjs")?;
        if !warm {
            sjs.push(t);
        }
        timed(&mut app, &bytes, "#off")?;
        let (t, _) = timed(&mut app, &bytes, "#plain")?;
        if !warm {
            plain.push(t);
        }
        timed(&mut app, &bytes, "#off")?;
    }
    let (fc, fi) = (median(first_c), median(first_i));
    let (own_t, page_t) = (median(own), median(page));
    let first_tap_t = median(first_tap);
    let first_h_t = median(first_h);
    let (sjs_t, plain_t) = (median(sjs), median(plain));
    let sjs_us = ((sjs_t - plain_t) * 1000.0 / 1000.0).max(0.0);
    let value = json!({
        "first_render_components_ms": fc,
        "first_render_inline_ms": fi,
        "first_render_ratio": fc / fi,
        "first_render_hooked_ms": first_h_t,
        "first_render_hooked_ratio": first_h_t / fi,
        "own_setdata_ms": own_t,
        "own_first_tap_ms": first_tap_t,
        "page_rerender_ms": page_t,
        "own_vs_page_speedup": page_t / own_t,
        "own_setdata_patch_bytes": own_bytes,
        "full_render_patch_bytes": full_bytes,
        "page_rerender_patch_bytes": page_bytes,
        "own_patch_share": own_bytes as f64 / full_bytes.max(1) as f64,
        "sjs_list_ms": sjs_t,
        "plain_list_ms": plain_t,
        "sjs_call_us_per_expression": sjs_us,
    });
    Ok(value)
}

#[cfg(test)]
mod tests {
    /// The benchmark's page runs as measured (debug build, one round):
    /// 100 instances, and one instance's setData patches a sliver.
    #[test]
    fn the_benchmark_page_renders_its_instances_and_patches_one() {
        let v = super::measure(1).expect("measures");
        let share = v["own_patch_share"].as_f64().expect("share");
        assert!(share > 0.0 && share < 0.01, "{v:#}");
        assert!(
            v["page_rerender_patch_bytes"].as_f64().expect("bytes")
                > v["own_setdata_patch_bytes"].as_f64().expect("bytes")
        );
    }
}
