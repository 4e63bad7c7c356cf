//! `cargo xtask bench update`: the host's update path against its peers in the same
//! run, on a platform served on loopback.
//!
//! - check: `UpdateManager::check` (resolve, ed25519 verification of the
//!   answer, subject, sequence and expiry) against a bare `GET /v1/resolve`.
//! - download: the client's limited, streamed package download against a
//!   plain `reqwest` `bytes()` of the same URL, for a package with 8 MiB of
//!   incompressible assets.
//! - update: resolve, verify, download, check the pin and install, against
//!   `Store::install` of the same bytes already in memory (no network).

use super::platform::LocalPlatform;
use crate::report::table;
use crate::report::Output;
use anyhow::{Context as _, Result};
use clap::Args;
use mpkit_bundle::{AppId, Caps, Expected, PackOptions, SecretKey, Trust, TrustedRoot};
use mpkit_host::Host;
use mpkit_host::{Isolation, ThreadOptIn};
use mpkit_platform_client::{Client, Limits};
use mpkit_update::{UpdateConfig, UpdateManager};
use serde_json::json;
use std::time::Instant;

const TARGET: &str = "bench.wallet";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// `cargo xtask bench update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// Measured runs (the median is reported).
    #[arg(long, default_value_t = 9)]
    runs: usize,
    /// MiB of incompressible assets in the package.
    #[arg(long, default_value_t = 8)]
    mb: usize,
}

pub(crate) fn run(args: UpdateArgs, o: &mut Output) -> Result<()> {
    let UpdateArgs { runs, mb } = args;
    let runs = runs.max(3);
    let tmp = tempfile::tempdir()?;
    let local = LocalPlatform::start(&tmp.path().join("platform"))?;
    let api = &local.api;
    let admin = local.admin.clone();

    // Coffee Club plus `mb` MiB of incompressible assets, fully released.
    let src = tmp.path().join("src");
    copy_dir(&mpkit_sample_app::miniprogram_dir(), &src)?;
    std::fs::create_dir_all(src.join("assets"))?;
    let mut blob = vec![0u8; mb * 1024 * 1024];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in blob.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    std::fs::write(src.join("assets/blob.bin"), &blob)?;
    let master = api.post("/v1/accounts", &admin, json!({"name": "bench master"}))?;
    let reviewer = api.post("/v1/accounts", &admin, json!({"name": "bench reviewer"}))?;
    let mt = master["token"].as_str().unwrap_or_default().to_owned();
    let rt = reviewer["token"].as_str().unwrap_or_default().to_owned();
    let ws = api.post(
        "/v1/workspaces",
        &mt,
        json!({"name": "Bench", "kind": "merchant"}),
    )?;
    let ws = ws["id"].as_str().unwrap_or_default().to_owned();
    let key = SecretKey::generate()?;
    api.post(
        &format!("/v1/workspaces/{ws}/keys"),
        &mt,
        json!({"publicKeyHex": key.public().to_hex()}),
    )?;
    let (m, _) = mpkit_bundle::pack_dir(&src, &key, &PackOptions::default())?;
    let app = m.app_id.to_string();
    api.post(
        &format!("/v1/workspaces/{ws}/apps"),
        &mt,
        json!({"appId": app, "name": "Coffee Club"}),
    )?;
    api.post(
        "/v1/target-apps",
        &admin,
        json!({"id": TARGET, "name": "Bench wallet", "allowedPermissions": ["request"]}),
    )?;
    api.post(
        &format!("/v1/target-apps/{TARGET}/reviewers"),
        &admin,
        json!({"accountId": reviewer["id"]}),
    )?;
    api.upload(&src, &key, &app, "1.0.0", 1, &mt)?;
    let (id, _) = api.approved_release(&app, TARGET, "1.0.0", &mt, &rt)?;
    api.post(&format!("/v1/releases/{id}/full"), &mt, json!({}))?;

    let client = Client::new(&api.base, None)?;
    let io = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let root_bytes = io.block_on(client.root_json())?;
    let root = TrustedRoot::load(&root_bytes, time::OffsetDateTime::now_utc())?;
    let app_id = AppId::new(app.clone())?;
    let host_at = |name: &str| {
        Host::builder()
            .trust(Trust::Root(root.clone()))
            .storage_dir(tmp.path().join(name))
            .isolation(Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED))
            .build()
    };
    let host = host_at("wallet")?;
    let manager = UpdateManager::new(&host, UpdateConfig::new(api.base.clone(), TARGET))?;
    let answer = manager.check(&app_id, "bench-user")?;
    let pin = answer.version.clone().context("nothing released")?;
    let package_url = format!("{}/v1/packages/{app}/{TARGET}/{}", api.base, pin.version);
    let raw = reqwest::Client::builder().no_proxy().build()?;

    // Warm every path once.
    io.block_on(client.resolve(&app, TARGET, "bench-user"))?;
    io.block_on(raw.get(&package_url).send())?
        .error_for_status()?;

    let mut check = Vec::new();
    let mut bare = Vec::new();
    for i in 0..runs * 20 {
        let user = format!("user-{i}");
        let t = Instant::now();
        io.block_on(client.resolve(&app, TARGET, &user))?;
        bare.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        manager.check(&app_id, &user)?;
        check.push(t.elapsed().as_secs_f64());
    }

    let mut dl = Vec::new();
    let mut plain = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let b = io.block_on(async { raw.get(&package_url).send().await?.bytes().await })?;
        plain.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(b.len() as u64 == pin.length, "plain download length");
        let t = Instant::now();
        let b = io.block_on(client.download_package(
            &app,
            TARGET,
            &pin.version,
            None,
            Limits::pinned(pin.length),
            None,
        ))?;
        dl.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(b.len() as u64 == pin.length, "limited download length");
    }

    let bytes = io.block_on(async { raw.get(&package_url).send().await?.bytes().await })?;
    let mut full = Vec::new();
    let mut local_install = Vec::new();
    for i in 0..runs {
        let h = host_at(&format!("fresh-{i}"))?;
        let m = UpdateManager::new(&h, UpdateConfig::new(api.base.clone(), TARGET))?;
        let t = Instant::now();
        m.update(&app_id, "bench-user")?;
        full.push(t.elapsed().as_secs_f64());
        let peer = host_at(&format!("peer-{i}"))?;
        let t = Instant::now();
        peer.store().install(
            &bytes,
            &Trust::Root(root.clone()),
            &Expected::app(app_id.clone()),
            &Caps::default(),
        )?;
        local_install.push(t.elapsed().as_secs_f64());
    }

    let (c, b) = (median(check), median(bare));
    let (d, p) = (median(dl), median(plain));
    let (f, l) = (median(full), median(local_install));
    let mbps = |s: f64| pin.length as f64 / s / 1e6;
    let rows = vec![
        vec![
            "check (verified) vs bare resolve".into(),
            format!("{:.3} ms", c * 1e3),
            format!("{:.3} ms", b * 1e3),
            format!("{:.2}x", c / b),
        ],
        vec![
            format!(
                "download {:.1} MB, limited vs plain",
                pin.length as f64 / 1e6
            ),
            format!("{:.0} MB/s", mbps(d)),
            format!("{:.0} MB/s", mbps(p)),
            format!("{:.2}x", d / p),
        ],
        vec![
            "update (resolve..install) vs local install".into(),
            format!("{:.1} ms", f * 1e3),
            format!("{:.1} ms", l * 1e3),
            format!("{:.2}x", f / l),
        ],
    ];
    drop(local);
    o.emit(
        &json!({
            "runs": runs,
            "packageBytes": pin.length,
            "check": {"ms": c * 1e3, "bareMs": b * 1e3, "ratio": c / b},
            "download": {"mbPerS": mbps(d), "plainMbPerS": mbps(p), "ratio": d / p},
            "update": {"ms": f * 1e3, "localInstallMs": l * 1e3, "ratio": f / l},
        }),
        || table(&["path", "mpkit", "peer", "ratio"], &rows),
    )?;
    Ok(())
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let t = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &t)?;
        } else {
            std::fs::copy(e.path(), &t)?;
        }
    }
    Ok(())
}
