//! `cargo xtask bench jsapi`: the cost of a Sync JSAPI round trip against a no-op
//! native call in the same run, and `setStorage` throughput against the disk's
//! own write+fsync rate in the same directory.

use crate::report::table;
use crate::report::Output;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use mpkit_bundle::{AppId, Permissions};
use mpkit_host::internals::Files;
use mpkit_host::internals::ToLogic;
use mpkit_host::internals::UserData;
use mpkit_host::internals::{setup, ApiEnv};
use mpkit_host::internals::{JsLimits, LogicLayer};
use mpkit_host::NetConfig;
use mpkit_host::NoDelegate;
use mpkit_host::SystemInfo;
use mpkit_sandbox::storage::StorageQuota;
use serde_json::{json, Value};
use std::rc::Rc;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `cargo xtask bench jsapi`.
#[derive(Debug, Args)]
pub(crate) struct JsapiArgs {
    /// Measured runs (the median is reported).
    #[arg(long, default_value_t = 15)]
    runs: u32,
    /// setStorage writes (and fsyncs) to time.
    #[arg(long, default_value_t = 300)]
    writes: u32,
}

pub(crate) fn run(args: JsapiArgs, o: &mut Output) -> Result<()> {
    let JsapiArgs { runs, writes } = args;
    if runs == 0 || writes == 0 {
        bail!("--runs and --writes must be at least 1");
    }
    let dir = tempfile::tempdir()?;
    let data = Rc::new(
        UserData::open(&dir.path().join("kv.sqlite"), StorageQuota::default())
            .map_err(|e| anyhow!("{e}"))?,
    );
    let app = AppId::new("2021000000000001")?;
    let js = setup(&ApiEnv {
        app: app.clone(),
        version: "1.0.0".into(),
        env_version: "release".into(),
        ext: serde_json::json!({}),
        user: "bench-user".into(),
        permissions: Permissions::default(),
        data: data.clone(),
        files: Files::new(dir.path().join("files"), 1 << 20),
        net: NetConfig::default(),
        dev_origins: Vec::new(),
        open_network: false,
        delegate: Rc::new(NoDelegate),
        system: SystemInfo::default(),
        custom: Vec::new(),
        available: None,
    })
    .map_err(|e| anyhow!("{e}"))?;
    data.set("bench-user", app.as_str(), "k", "{\"n\":1}")
        .map_err(|e| anyhow!("{e}"))?;

    // 1. Sync round trip: getStorageSync of a small key, through the prelude,
    //    the gates and SQLite, against my.canIUse (a native call that does no work).
    // `my` offers exactly the names the host gives it (Alipay's plain object).
    let offered = vec!["navigateTo".into(), "getStorageSync".into()];
    let mut l = LogicLayer::new(JsLimits::default(), offered).map_err(|e| anyhow!(e.message))?;
    let setup_for_js = js.clone();
    l.set_sync_handler(Box::new(move |name: &str, params: &Value| {
        setup_for_js
            .dispatcher
            .dispatch(
                &setup_for_js.context,
                name,
                params,
                &*setup_for_js.consents,
                &*setup_for_js.prompter,
                0,
            )
            .map_err(|e| e.to_js())
    }));
    l.load_script("app.js", "App({});", None)
        .map_err(|e| anyhow!(e.message))?;
    l.load_script(
        "pages/b/b.js",
        "Page({ \
           get() { for (let i = 0; i < 2000; i++) my.getStorageSync({ key: 'k' }); }, \
           noop() { for (let i = 0; i < 2000; i++) my.canIUse('navigateTo'); }, \
           none() {} });",
        Some("pages/b/b"),
    )
    .map_err(|e| anyhow!(e.message))?;
    l.handle(&ToLogic::PageCreate {
        page: 1,
        route: "pages/b/b".into(),
        query: Default::default(),
    });
    let time_event = |l: &mut LogicLayer, h: &str| {
        let t = Instant::now();
        let out = l.handle(&ToLogic::Event {
            page: 1,
            handler: h.into(),
            event: json!({}),
            site: String::new(),
        });
        (t.elapsed(), out)
    };
    // The handler must really have read the value: check once.
    let probe = js
        .dispatcher
        .dispatch(
            &js.context,
            "getStorageSync",
            &json!({"key": "k"}),
            &*js.consents,
            &*js.prompter,
            0,
        )
        .map_err(|e| anyhow!("{e}"))?;
    if probe != json!({"data": {"n": 1}}) {
        bail!("getStorageSync returned {probe}");
    }
    // The host side alone (gates, SQLite, JSON), for the breakdown.
    let n = 20_000u32;
    let params = json!({"key": "k"});
    let t = Instant::now();
    for _ in 0..n {
        js.dispatcher
            .dispatch(
                &js.context,
                "getStorageSync",
                &params,
                &*js.consents,
                &*js.prompter,
                0,
            )
            .map_err(|e| anyhow!("{e}"))?;
    }
    let host_side = t.elapsed() / n;
    let t = Instant::now();
    for _ in 0..n {
        data.get("bench-user", app.as_str(), "k")
            .map_err(|e| anyhow!("{e}"))?;
    }
    let sqlite_read = t.elapsed() / n;
    let (mut get, mut noop) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (g, out) = time_event(&mut l, "get");
        if let Some(e) = out.iter().find_map(|m| match m {
            mpkit_host::internals::FromLogic::Error { error } => Some(error),
            _ => None,
        }) {
            bail!("the benchmark handler failed: {}", e.message);
        }
        let (n, _) = time_event(&mut l, "noop");
        let (z, _) = time_event(&mut l, "none");
        get.push(g.saturating_sub(z) / 2000);
        noop.push(n.saturating_sub(z) / 2000);
    }
    let (m_get, m_noop) = (median(get), median(noop));
    let ratio = m_get.as_secs_f64() / m_noop.as_secs_f64().max(1e-12);

    // 2. setStorage throughput (synchronous=FULL: each write is one durable
    //    transaction) against write+fdatasync of a small record in the same directory.
    // Every write changes its value: SQLite skips writing identical bytes, and
    // a transaction that changes nothing commits without a sync.
    let pad = "x".repeat(100);
    let value = |i: u32| format!("{{\"n\":{i},\"pad\":\"{pad}\"}}");
    let t = Instant::now();
    for i in 0..writes {
        data.set(
            "bench-user",
            app.as_str(),
            &format!("w{}", i % 50),
            &value(i),
        )
        .map_err(|e| anyhow!("{e}"))?;
    }
    let set_s = t.elapsed().as_secs_f64();
    // The peer overwrites records in a preallocated file, as a WAL does, so
    // each fdatasync flushes data only, not a growing file's size.
    let probe = dir.path().join("fsync.probe");
    std::fs::write(&probe, vec![0u8; 64 * 1024])?;
    let f = std::fs::OpenOptions::new().write(true).open(&probe)?;
    f.sync_all()?;
    let t = Instant::now();
    for i in 0..writes {
        use std::os::unix::fs::FileExt;
        f.write_all_at(value(i).as_bytes(), u64::from(i % 256) * 256)?;
        f.sync_data()?;
    }
    let fsync_s = t.elapsed().as_secs_f64();
    let set_rate = f64::from(writes) / set_s;
    let fsync_rate = f64::from(writes) / fsync_s;

    let v = json!({
        "runs": runs, "writes": writes,
        "syncGetStorageUs": m_get.as_secs_f64() * 1e6,
        "noopNativeCallUs": m_noop.as_secs_f64() * 1e6,
        "hostSideUs": host_side.as_secs_f64() * 1e6,
        "sqliteReadUs": sqlite_read.as_secs_f64() * 1e6,
        "syncRoundTripToNativeCall": ratio,
        "setStoragePerSec": set_rate,
        "fsyncPerSec": fsync_rate,
        "setStorageToFsync": set_rate / fsync_rate,
        "durability": "SQLite WAL, synchronous=FULL: every setStorage is durable when it returns",
        "goals": {"syncRoundTripAtMost2xNativeCall": ratio <= 2.0},
    });
    o.emit(&v, || {
        let rows = vec![
            vec!["getStorageSync round trip (thread mode)".into(), format!("{:.2} us", m_get.as_secs_f64() * 1e6)],
            vec!["no-op native call (my.canIUse)".into(), format!("{:.2} us", m_noop.as_secs_f64() * 1e6)],
            vec!["  of the round trip: host side (gates, read, JSON)".into(), format!("{:.2} us", host_side.as_secs_f64() * 1e6)],
            vec!["  of which the SQLite read".into(), format!("{:.2} us", sqlite_read.as_secs_f64() * 1e6)],
            vec!["setStorage, durable (WAL, synchronous=FULL)".into(), format!("{set_rate:.0} /s")],
            vec!["overwrite + fdatasync, same directory".into(), format!("{fsync_rate:.0} /s")],
        ];
        format!(
            "median of {runs} runs, {writes} writes\n{}sync round trip / native call: {ratio:.2}x (goal <= 2x: {})\nsetStorage / fsync rate: {:.2}\n",
            table(&["what", "cost"], &rows),
            if ratio <= 2.0 { "met" } else { "NOT met" },
            set_rate / fsync_rate
        )
    })?;
    Ok(())
}
