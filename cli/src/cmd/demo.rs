//! `mpkit demo`: the whole product end to end on embedded defaults.
//!
//! Today it walks the chain of trust: a trust root, a developer build, the
//! publisher's release package, verification, an atomic install, an update, and a
//! tampered update that is refused while the last good version keeps running.

use crate::cmd::bundle::describe;
use crate::Output;
use anyhow::{ensure, Context as _, Result};
use mpkit_bundle::{
    AppId, Caps, Expected, PackOptions, Role, RootSpec, SecretKey, Store, Trust, TrustedRoot,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;
use time::{Duration, OffsetDateTime};

pub(crate) fn run(workdir: Option<PathBuf>, o: &mut Output<'_>) -> Result<()> {
    let started = Instant::now();
    let _tmp;
    let work = match workdir {
        Some(w) => {
            std::fs::create_dir_all(&w)?;
            w
        }
        None => {
            let t = tempfile::tempdir()?;
            let p = t.path().to_path_buf();
            _tmp = t;
            p
        }
    };
    let src = mpkit_sample_app::miniprogram_dir();
    o.line("mpkit demo: a mini program from source to a verified install")?;
    o.line(format!("  work directory: {}", work.display()))?;

    // 1. The wallet's trust root: root, publisher and policy keys.
    let root_key = SecretKey::generate()?;
    let publisher = SecretKey::generate()?;
    let policy = SecretKey::generate()?;
    let spec = RootSpec {
        version: 1,
        expires: OffsetDateTime::now_utc() + Duration::days(365),
        roles: BTreeMap::from([
            (Role::Root, (vec![root_key.public().clone()], 1)),
            (Role::Publisher, (vec![publisher.public().clone()], 1)),
            (Role::Policy, (vec![policy.public().clone()], 1)),
        ]),
    };
    let root_bytes = spec.sign(&[&root_key])?;
    std::fs::write(work.join("root.json"), &root_bytes)?;
    let root = TrustedRoot::load(&root_bytes, OffsetDateTime::now_utc())?;
    o.line(format!(
        "[1/6] trust root v{} created: root {}, publisher {}, policy {}",
        root.version(),
        root_key.public().id(),
        publisher.public().id(),
        policy.public().id()
    ))?;

    // 2. The developer packs and signs Coffee Club with a workspace key.
    let dev = SecretKey::generate()?;
    let (dev_manifest, dev_bundle) = mpkit_bundle::pack_dir(&src, &dev, &PackOptions::default())
        .with_context(|| format!("packing {}", src.display()))?;
    let dev_trust = Trust::Developer(vec![dev.public().clone()]);
    mpkit_bundle::open(&dev_bundle, &dev_trust, &Expected::any(), &Caps::default())?
        .check_contents()?;
    o.line(format!(
        "[2/6] developer build {} {}: {} files, {} bytes, signed by developer key {}",
        dev_manifest.app_id,
        dev_manifest.version,
        dev_manifest.files.len(),
        dev_bundle.len(),
        dev.public().id()
    ))?;
    let trust = Trust::Root(root);
    let refused = mpkit_bundle::open(&dev_bundle, &trust, &Expected::any(), &Caps::default())
        .err()
        .context("a developer-signed bundle must not pass production trust")?;
    o.line(format!("      production hosts refuse it: {refused}"))?;

    // 3. The platform signs the release package with the publisher key.
    let opts = PackOptions {
        role: Role::Publisher,
        ..PackOptions::default()
    };
    let (manifest, release) = mpkit_bundle::pack_dir(&src, &publisher, &opts)?;
    let app = manifest.app_id.clone();
    let release_path = work.join(format!("{app}-{}.mpk", manifest.version));
    std::fs::write(&release_path, &release)?;
    o.line(format!(
        "[3/6] release package signed by the publisher: {}",
        release_path.display()
    ))?;

    // 4. The wallet verifies and installs it atomically.
    let store = Store::open(work.join("store"))?;
    let t = Instant::now();
    let installed = store.install(
        &release,
        &trust,
        &Expected::app(app.clone()),
        &Caps::default(),
    )?;
    o.line(format!(
        "[4/6] verified and installed {} {} in {:.1} ms at {}",
        app,
        manifest.version,
        t.elapsed().as_secs_f64() * 1000.0,
        installed.path.display()
    ))?;

    // 5. An update arrives and installs; the previous version is kept as last good.
    let next = semver::Version::new(
        manifest.version.major,
        manifest.version.minor,
        manifest.version.patch + 1,
    );
    let opts = PackOptions {
        role: Role::Publisher,
        version: Some(next.clone()),
        ..PackOptions::default()
    };
    let (current_manifest, update) = mpkit_bundle::pack_dir(&src, &publisher, &opts)?;
    let up = store.install(
        &update,
        &trust,
        &Expected::app(app.clone()).version(next.clone()),
        &Caps::default(),
    )?;
    o.line(format!(
        "[5/6] update {} installed; last good version kept: {}",
        next,
        up.previous
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    ))?;

    // 6. A tampered update is refused and the current version keeps running.
    let bad_version = semver::Version::new(next.major, next.minor, next.patch + 1);
    let opts = PackOptions {
        role: Role::Publisher,
        version: Some(bad_version),
        ..PackOptions::default()
    };
    let (_, mut tampered) = mpkit_bundle::pack_dir(&src, &publisher, &opts)?;
    let at = tampered.len() / 2;
    tampered[at] ^= 0x20;
    let err = store
        .install(
            &tampered,
            &trust,
            &Expected::app(app.clone()),
            &Caps::default(),
        )
        .err()
        .context("a tampered update must be refused")?;
    let current = store.current(&app)?;
    ensure!(
        current.as_ref() == Some(&next),
        "the last good version must stay current"
    );
    store.check_installed(&app, &next, &trust)?;
    o.line(format!(
        "[6/6] tampered update refused ({err}); {app} {next} still current and intact"
    ))?;

    let elapsed = started.elapsed().as_secs_f64();
    o.line("")?;
    o.line("Manifest of the current version:")?;
    o.emit(
        &json!({
            "ok": true,
            "appId": app,
            "current": next.to_string(),
            "versions": store.versions(&AppId::new(app.as_str())?)?.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "manifest": current_manifest,
            "tamperedUpdateRefused": err.to_string(),
            "seconds": elapsed,
        }),
        || format!("{}\ndemo finished in {elapsed:.2} s", describe(&current_manifest)),
    )?;
    Ok(())
}
