//! `mpkit demo`: the whole product end to end on embedded defaults.
//!
//! A management platform starts on 127.0.0.1 with an embedded SQLite database.
//! A merchant's developer uploads Coffee Club; it goes through the release
//! workflow and is re-signed by the platform's publisher key. A wallet host
//! asks which version its user gets, checks the signed answer and the pinned
//! package, installs it, and runs it headless with the JSAPI layer. A pilot
//! version reaches only its tester, the last good version is kept, and a
//! tampered package is refused while the current version keeps running.

use super::platform_api::Api;
use crate::cli::IsolationArg;
use crate::Output;
use anyhow::{anyhow, ensure, Context as _, Result};
use mpkit_bundle::{AppId, Caps, Context, Expected, PackOptions, SecretKey, Trust, TrustedRoot};
use mpkit_host::apis::net::NetConfig;
use mpkit_host::delegate::{Answers, RecordingDelegate};
use mpkit_host::host::{Host, LaunchSource};
use mpkit_host::logic::worker::WorkerConfig;
use mpkit_host::runtime::Isolation;
use mpkit_host::surface::headless::HeadlessSurface;
use mpkit_platform_client::wire::{ResolveAnswer, Rule, Signed};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TARGET: &str = "demo.wallet";

/// Fetches and checks a resolve answer: the policy key of the trusted root
/// signed it, and it is about this app, target and user.
fn resolve(api: &Api, root: &TrustedRoot, app: &str, user: &str) -> Result<ResolveAnswer> {
    let v = api.get(
        &format!("/v1/resolve?app={app}&targetApp={TARGET}&user={user}"),
        "",
    )?;
    let signed: Signed = serde_json::from_value(v)?;
    let (keys, _) = root
        .role(mpkit_bundle::Role::Policy)
        .ok_or_else(|| anyhow!("no policy role"))?;
    let sig = hex::decode(&signed.sig)?;
    ensure!(
        keys.iter().any(|k| k
            .verify(Context::Policy, signed.payload.as_bytes(), &sig)
            .is_ok()),
        "the resolve answer is not signed by the policy key"
    );
    let a: ResolveAnswer = serde_json::from_str(&signed.payload)?;
    ensure!(
        a.kind == "resolve" && a.app_id == app && a.target_app == TARGET && a.user == user,
        "the answer is for someone else"
    );
    ensure!(a.expires > mpkit_platform::now(), "the answer has expired");
    Ok(a)
}

/// Downloads the pinned package and checks its length and sha256 before anything else.
fn download(api: &Api, dir: &Path, app: &str, a: &ResolveAnswer) -> Result<PathBuf> {
    let pin = a
        .version
        .as_ref()
        .ok_or_else(|| anyhow!("nothing is released"))?;
    let bytes = api
        .http
        .get(format!(
            "{}/v1/packages/{app}/{TARGET}/{}",
            api.base, pin.version
        ))
        .send()?
        .bytes()?;
    ensure!(
        bytes.len() as u64 == pin.length,
        "the package is not the pinned length"
    );
    ensure!(
        hex::encode(Sha256::digest(&bytes)) == pin.sha256,
        "the package is not the pinned sha256"
    );
    let path = dir.join(format!("{app}-{}.mpk", pin.version));
    std::fs::write(&path, &bytes)?;
    Ok(path)
}

pub(crate) fn run(
    workdir: Option<PathBuf>,
    isolation: IsolationArg,
    o: &mut Output<'_>,
) -> Result<()> {
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
    o.line("mpkit demo: Coffee Club from source, through the platform, into a wallet")?;
    o.line(format!("  work directory: {}", work.display()))?;

    // 1. The platform, on loopback, on embedded SQLite.
    let local = super::platform_api::LocalPlatform::start(&work.join("platform"))?;
    let (rt, api, admin, addr) = (local.rt, local.api, local.admin, local.addr);
    let root_bytes = api
        .http
        .get(format!("{}/v1/trust/root.json", api.base))
        .send()?
        .bytes()?;
    std::fs::write(work.join("root.json"), &root_bytes)?;
    let root = TrustedRoot::load(&root_bytes, time::OffsetDateTime::now_utc())?;
    o.line(format!(
        "[1/8] platform on http://{addr} (SQLite in {}); the wallet trusts its root v{}",
        work.join("platform").display(),
        root.version()
    ))?;

    // 2. Accounts, a merchant workspace, a target app with a reviewer, a developer key.
    let merchant = api.post("/v1/accounts", &admin, json!({"name": "Coffee Co master"}))?;
    let reviewer = api.post(
        "/v1/accounts",
        &admin,
        json!({"name": "Demo Wallet reviewer"}),
    )?;
    let (mt, rt_token) = (
        merchant["token"].as_str().unwrap_or_default().to_owned(),
        reviewer["token"].as_str().unwrap_or_default().to_owned(),
    );
    let ws = api.post(
        "/v1/workspaces",
        &mt,
        json!({"name": "Coffee Co", "kind": "merchant"}),
    )?;
    let ws = ws["id"].as_str().unwrap_or_default().to_owned();
    let dev_key = SecretKey::generate()?;
    api.post(
        &format!("/v1/workspaces/{ws}/keys"),
        &mt,
        json!({"publicKeyHex": dev_key.public().to_hex()}),
    )?;
    let (manifest, _) = mpkit_bundle::pack_dir(&src, &dev_key, &PackOptions::default())?;
    let app = manifest.app_id.to_string();
    api.post(
        &format!("/v1/workspaces/{ws}/apps"),
        &mt,
        json!({"appId": app, "name": manifest.name}),
    )?;
    api.post(
        "/v1/target-apps",
        &admin,
        json!({"id": TARGET, "name": "Demo Wallet", "allowedPermissions": ["request", "getAuthCode", "tradePay", "getOpenUserInfo", "scope.userInfo"]}),
    )?;
    api.post(
        &format!("/v1/target-apps/{TARGET}/reviewers"),
        &admin,
        json!({"accountId": reviewer["id"]}),
    )?;
    o.line(format!(
        "[2/8] merchant workspace, target app {TARGET} with a reviewer, developer key {}",
        dev_key.public().id()
    ))?;

    // 3. Upload: developer-signed, verified by the platform; hosts in production refuse it.
    let upload = |version: &str, build: u64| api.upload(&src, &dev_key, &app, version, build, &mt);
    let dev_bundle = upload("1.0.0", 1)?;
    let refused = mpkit_bundle::open(
        &dev_bundle,
        &Trust::Root(root.clone()),
        &Expected::any(),
        &Caps::default(),
    )
    .err()
    .context("a developer-signed bundle must not pass production trust")?;
    o.line(format!("[3/8] {app} 1.0.0 uploaded and verified ({} bytes); a wallet refuses the developer build itself: {refused}", dev_bundle.len()))?;

    // 4. The release workflow, to full release.
    let to_approved = |version: &str| -> Result<(String, Value)> {
        let (id, r) = api.approved_release(&app, TARGET, version, &mt, &rt_token)?;
        Ok((id, r["permissions"].clone()))
    };
    let (first, perms) = to_approved("1.0.0")?;
    api.post(&format!("/v1/releases/{first}/full"), &mt, json!({}))?;
    o.line(format!(
        "[4/8] release {first}: package re-signed by the publisher (approved {}; not allowed here {}), reviewed, fully released",
        perms["approved"]["jsapi"], perms["notAllowedByTargetApp"]
    ))?;

    // 5. The wallet: resolve for alice, check the signature and the pin, install.
    let store = work.join("wallet");
    let delegate = Rc::new(RecordingDelegate::new(Answers::default()));
    let host = Host::builder()
        .trust(Trust::Root(root.clone()))
        .storage_dir(&store)
        .delegate(delegate.clone())
        .isolation(match isolation {
            IsolationArg::Process => Isolation::Process(WorkerConfig::default()),
            IsolationArg::Thread => Isolation::Thread,
        })
        // The demo runs offline: no name resolves, so Coffee Club's menu
        // request fails at once and the app shows its built-in menu.
        .network(NetConfig {
            lookup: Some(Arc::new(|_: &str| {
                Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the demo runs offline",
                ))
            })),
            ..NetConfig::default()
        })
        .build()?;
    let a = resolve(&api, &root, &app, "alice")?;
    ensure!(
        a.rule == Rule::Stable,
        "alice should get the stable version"
    );
    let path = download(&api, &work, &app, &a)?;
    let t = Instant::now();
    let app_id = AppId::new(app.clone())?;
    host.install(&path, &Expected::app(app_id.clone()))?;
    o.line(format!(
        "[5/8] alice resolves to {} ({:?}, policy seq {}), signed answer and pinned package checked, installed in {:.1} ms",
        a.version.as_ref().map(|v| v.version.as_str()).unwrap_or("-"),
        a.rule,
        a.seq,
        t.elapsed().as_secs_f64() * 1000.0
    ))?;

    // 6. Run it headless for alice, with the JSAPI layer.
    let mut h = host.launch(
        LaunchSource::Installed(app_id.clone()),
        "alice",
        Default::default(),
        HeadlessSurface::new(),
    )?;
    h.wait_for(".menu-item[data-id=latte]", Duration::from_secs(10))
        .map_err(anyhow::Error::msg)?;
    h.tap(".menu-item[data-id=latte]")
        .map_err(anyhow::Error::msg)?;
    h.wait_for(".add", Duration::from_secs(5))
        .map_err(anyhow::Error::msg)?;
    let title = h.runtime().text(".title").map_err(anyhow::Error::msg)?;
    h.tap(".add").map_err(anyhow::Error::msg)?;
    h.run_until_idle(Duration::from_millis(20), Duration::from_secs(5));
    let calls: Vec<String> = h
        .runtime()
        .calls()
        .iter()
        .map(|c| match c.error {
            None => format!("{} ok", c.api),
            Some(e) => format!("{} error {e}", c.api),
        })
        .collect();
    let route = h.current_page().unwrap_or("-").to_owned();
    ensure!(
        h.stopped().is_none(),
        "Coffee Club stopped: {:?}",
        h.stopped()
    );
    h.close();
    o.line(format!("[6/8] Coffee Club ran for alice: opened {title:?} on {route}, added it to the cart; my.* calls: {}", calls.join(", ")))?;

    // 7. 1.0.1 in pilot testing with alice as the only tester.
    upload("1.0.1", 2)?;
    let (second, _) = to_approved("1.0.1")?;
    api.post(
        &format!("/v1/releases/{second}/pilot"),
        &mt,
        json!({"testers": ["alice"]}),
    )?;
    let pilot = resolve(&api, &root, &app, "alice")?;
    let bob = resolve(&api, &root, &app, "bob")?;
    ensure!(
        pilot.rule == Rule::Pilot && bob.rule == Rule::Stable,
        "the pilot reaches only its tester"
    );
    let path = download(&api, &work, &app, &pilot)?;
    let up = host.install(&path, &Expected::app(app_id.clone()))?;
    o.line(format!(
        "[7/8] 1.0.1 in pilot: alice gets it ({:?}), bob stays on {} ({:?}); installed, last good {} kept",
        pilot.rule,
        bob.version.as_ref().map(|v| v.version.as_str()).unwrap_or("-"),
        bob.rule,
        up.previous.as_ref().map(ToString::to_string).unwrap_or_default()
    ))?;

    // 8. A tampered package is refused; the current version keeps running.
    let mut tampered = std::fs::read(&path)?;
    let at = tampered.len() / 2;
    tampered[at] ^= 0x20;
    let bad = work.join("tampered.mpk");
    std::fs::write(&bad, &tampered)?;
    let err = host
        .install(&bad, &Expected::app(app_id.clone()))
        .err()
        .context("a tampered package must be refused")?;
    let current = host.store().current(&app_id)?;
    ensure!(
        current.as_ref().map(ToString::to_string).as_deref() == Some("1.0.1"),
        "the last good version must stay current"
    );
    let mut h = host.launch(
        LaunchSource::Installed(app_id.clone()),
        "alice",
        Default::default(),
        HeadlessSurface::new(),
    )?;
    h.wait_for(".menu-item", Duration::from_secs(10))
        .map_err(anyhow::Error::msg)?;
    h.close();
    o.line(format!("[8/8] tampered package refused ({err}); {app} 1.0.1 still current, re-verified and running"))?;
    drop(rt);

    let elapsed = started.elapsed().as_secs_f64();
    o.line("")?;
    o.emit(
        &json!({
            "ok": true,
            "appId": app,
            "current": "1.0.1",
            "versions": host.store().versions(&app_id)?.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "ranTitle": title,
            "jsapiCalls": calls,
            "hostEvents": delegate.events(),
            "pilotRule": pilot.rule,
            "bobRule": bob.rule,
            "tamperedUpdateRefused": err.to_string(),
            "seconds": elapsed,
        }),
        || format!("demo finished in {elapsed:.2} s"),
    )?;
    Ok(())
}
