//! `cargo xtask bench render`: the render core's incremental path against a full
//! re-render in the same run, and the logic layer's fixed costs.

use crate::report::table;
use crate::report::Output;
use anyhow::{bail, Result};
use clap::Args;
use mpkit_host::internals::ToLogic;
use mpkit_host::internals::{JsLimits, LogicLayer};
use mpkit_host::DomNode;
use mpkit_render::axml;
use mpkit_render::diff::{diff_root, Ids};
use mpkit_render::template::{Changes, Loader, RenderCache, Renderer};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct NoFiles;
impl Loader for NoFiles {
    fn load(&self, path: &str) -> Result<Arc<axml::Document>, String> {
        Err(format!("no {path}"))
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

const TEMPLATE: &str = r#"<view class="list">
  <view a:for="{{rows}}" a:key="id" class="row {{item.done ? 'done' : ''}}" data-id="{{item.id}}" onTap="open">
    <text class="name">{{item.name}}</text><text class="price">{{item.price / 100}}</text>
  </view>
</view>"#;

/// `cargo xtask bench render`.
#[derive(Debug, Args)]
pub(crate) struct RenderArgs {
    /// Measured runs (the median is reported).
    #[arg(long, default_value_t = 30)]
    runs: u32,
    /// Rows in the list.
    #[arg(long, default_value_t = 1000)]
    rows: u32,
}

pub(crate) fn run(args: RenderArgs, o: &mut Output) -> Result<()> {
    let RenderArgs { runs, rows } = args;
    if runs == 0 || rows < 2 {
        bail!("--runs must be at least 1 and --rows at least 2");
    }
    let doc = axml::parse(TEMPLATE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut data = json!({"rows": (0..rows).map(|i| json!({"id": format!("r{i}"), "name": format!("Item {i}"), "price": 100 + i, "done": false})).collect::<Vec<_>>()});
    let mut renderer = Renderer::new(&NoFiles, 375.0);

    let (mut full, mut incr) = (Vec::new(), Vec::new());
    let (mut full_bytes, mut patch_bytes) = (0usize, 0usize);
    for run in 0..=runs {
        // Full: render and mount everything from an empty page, as a first paint or a re-render would.
        let t = Instant::now();
        let nodes = renderer
            .render(&doc, "bench.axml", &data)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut fresh = DomNode::root();
        let ops = diff_root(&mut fresh, nodes, &mut Ids::default());
        let bytes = serde_json::to_vec(&ops)?.len();
        let d_full = t.elapsed();

        // Incremental: the page rendered once with its render cache, then one row
        // changes (setData {'rows[i].name': ...}): re-render, diff, serialize.
        let mut page = DomNode::root();
        let mut ids = Ids::default();
        let mut cache = RenderCache::default();
        let base = renderer
            .render_cached(
                &doc,
                "bench.axml",
                &data,
                &mut cache,
                &Changes::everything(),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        diff_root(&mut page, base, &mut ids);
        let i = (run as usize * 7919) % rows as usize;
        data["rows"][i]["name"] = Value::String(format!("Changed {run}"));
        let mut changes = Changes::default();
        changes.record(&format!("rows[{i}].name"));
        let t = Instant::now();
        let nodes = renderer
            .render_cached(&doc, "bench.axml", &data, &mut cache, &changes)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let ops = diff_root(&mut page, nodes, &mut ids);
        let pbytes = serde_json::to_vec(&ops)?.len();
        let d_incr = t.elapsed();
        drop(fresh);
        if run > 0 {
            full.push(d_full);
            incr.push(d_incr);
            full_bytes = bytes;
            patch_bytes = pbytes;
        }
    }

    // The logic layer: context creation, and one native call from JS.
    let mut create = Vec::new();
    for _ in 0..runs.min(10) {
        let t = Instant::now();
        let l =
            LogicLayer::new(JsLimits::default(), vec![]).map_err(|e| anyhow::anyhow!(e.message))?;
        create.push(t.elapsed());
        drop(l);
    }
    let mut l = LogicLayer::new(JsLimits::default(), vec!["navigateTo".into()])
        .map_err(|e| anyhow::anyhow!(e.message))?;
    l.load_script("app.js", "App({});", None)
        .map_err(|e| anyhow::anyhow!(e.message))?;
    l.load_script(
        "pages/b/b.js",
        "Page({ one() { my.canIUse('navigateTo'); }, many() { for (let i = 0; i < 10000; i++) my.canIUse('navigateTo'); }, none() {} });",
        Some("pages/b/b"),
    )
    .map_err(|e| anyhow::anyhow!(e.message))?;
    l.handle(&ToLogic::PageCreate {
        page: 1,
        route: "pages/b/b".into(),
        query: Default::default(),
    });
    let time_event = |l: &mut LogicLayer, h: &str| {
        let t = Instant::now();
        l.handle(&ToLogic::Event {
            page: 1,
            handler: h.into(),
            event: json!({}),
            site: String::new(),
        });
        t.elapsed()
    };
    let mut per_call = Vec::new();
    for _ in 0..runs.min(10) {
        let many = time_event(&mut l, "many");
        let none = time_event(&mut l, "none");
        per_call.push(many.saturating_sub(none) / 10_000);
    }

    let gate = gate_cost()?;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (m_full, m_incr) = (median(full), median(incr));
    let speedup = ms(m_full) / ms(m_incr).max(1e-9);
    let byte_ratio = patch_bytes as f64 / full_bytes as f64;
    let (m_create, m_call) = (median(create), median(per_call));
    let value = json!({
        "rows": rows, "runs": runs,
        "fullRenderMs": ms(m_full), "incrementalMs": ms(m_incr), "speedup": speedup,
        "fullRenderBytes": full_bytes, "patchBytes": patch_bytes, "patchToFullBytes": byte_ratio,
        "contextCreateMs": ms(m_create), "nativeCallUs": m_call.as_secs_f64() * 1e6,
        "gateCheckUs": gate.as_secs_f64() * 1e6,
        "goals": {"patchUnder1PercentOfFull": byte_ratio < 0.01, "atLeast20xFaster": speedup >= 20.0},
    });
    o.emit(&value, || {
        let rows_t = vec![
            vec!["full re-render (render + mount + serialize)".into(), format!("{:.3} ms", ms(m_full)), format!("{full_bytes} B")],
            vec!["one changed row (render + diff + serialize)".into(), format!("{:.3} ms", ms(m_incr)), format!("{patch_bytes} B")],
            vec!["boa context + prelude".into(), format!("{:.3} ms", ms(m_create)), String::new()],
            vec!["one native call from JS".into(), format!("{:.2} us", m_call.as_secs_f64() * 1e6), String::new()],
            vec!["one JSAPI gate check (request, URL on the list)".into(), format!("{:.3} us", gate.as_secs_f64() * 1e6), String::new()],
        ];
        format!(
            "{} rows, median of {runs} runs\n{}patch/full bytes: {:.4}% (goal < 1%: {}); speedup: {speedup:.1}x (goal >= 20x: {})",
            rows,
            table(&["what", "time", "bytes"], &rows_t),
            byte_ratio * 100.0,
            if byte_ratio < 0.01 { "met" } else { "NOT met" },
            if speedup >= 20.0 { "met" } else { "NOT met" },
        )
    })?;
    Ok(())
}

/// The cost of the dispatcher's four gates for `my.request` with an allowed URL.
fn gate_cost() -> Result<Duration> {
    use mpkit_jsapi::registry::builtin_decls;
    use mpkit_jsapi::{AppContext, Call, ConsentStore, Dispatcher, Prompter};
    use mpkit_sandbox::acl::ScopeDecision;
    struct NoConsent;
    impl ConsentStore for NoConsent {
        fn decision(&self, _: &str, _: &str, _: &str) -> Option<ScopeDecision> {
            None
        }
        fn record(&self, _: &str, _: &str, _: &str, _: ScopeDecision) {}
    }
    impl Prompter for NoConsent {
        fn ask(&self, _: &str, _: &str) -> bool {
            false
        }
    }
    let mut d = Dispatcher::new();
    for decl in builtin_decls() {
        d.register(decl, Box::new(|_: &Call<'_>| Ok(Value::Null)));
    }
    let keys = ["request".to_string()].into_iter().collect();
    let lists = [(
        "request".to_string(),
        vec!["api.coffee.example".to_string()],
    )]
    .into_iter()
    .collect();
    let ctx = AppContext {
        app_id: "bench".into(),
        user: "u".into(),
        acl: d.resolve(&keys, &Default::default()),
        net: mpkit_sandbox::net::NetPolicy::from_lists(&lists).map_err(|e| anyhow::anyhow!(e))?,
    };
    let params = json!({"url": "https://api.coffee.example/menu?page=2", "method": "GET"});
    let n = 20_000u32;
    let t = Instant::now();
    for _ in 0..n {
        d.gate(&ctx, "request", &params, &NoConsent, &NoConsent, 0)
            .map_err(|e| anyhow::anyhow!(e))?;
    }
    Ok(t.elapsed() / n)
}
