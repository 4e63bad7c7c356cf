//! `mpkit demo`: the whole product end to end on embedded defaults.
//!
//! A management platform starts on 127.0.0.1 with an embedded SQLite database.
//! A merchant's developer uploads Coffee Club; it goes through the release
//! workflow and is re-signed by the platform's publisher key. A wallet host's
//! update manager asks which version its user gets, verifies the signed
//! answer and the pinned package, installs it and launches it headless with
//! the JSAPI layer. A pilot version reaches only its tester, the last good
//! version is kept, and a tampered package is refused while the current
//! version keeps running. With a display, the tester orders again in a real
//! window, and its screenshot is kept.

use crate::args::{worker_config, IsolationArg};
use crate::output::Output;
use anyhow::{ensure, Context as _, Result};
use clap::Args;
use mpkit_bundle::{AppId, Caps, Expected, PackOptions, SecretKey, Trust, TrustedRoot};
use mpkit_host::{HeadlessSurface, HostError, LaunchSource, NetConfig};
use mpkit_platform_client::wire::{self, Rule};
use mpkit_platform_client::{Client, Limits};
use mpkit_sample_app::backend::{MerchantBackend, OrderStatus};
use mpkit_sample_app::wallet::{order_through_ui, ConsentPolicy, Wallet, WalletConfig};
use mpkit_update::{verify_answer, LaunchedFrom};
use mpkit_webview::{LaunchFn, OpenOptions, WebviewApp, WebviewConfig};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `mpkit demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Keep the demo's working directory here instead of a temporary one.
    #[arg(long)]
    workdir: Option<PathBuf>,
    /// Where the mini program's JS runs.
    #[arg(long, value_enum, default_value_t = IsolationArg::Process)]
    isolation: IsolationArg,
}

const TARGET: &str = "demo.wallet";
/// Simulated users resolved before and after each release step.
const COHORT: usize = 10_000;

/// Resolves every user (16 at a time), verifies each signed answer against
/// the root's policy keys, and counts who gets which version.
async fn cohort_counts(
    client: &Client,
    policy_keys: &[mpkit_bundle::PublicKey],
    app: &str,
    users: &[String],
) -> Result<BTreeMap<String, usize>> {
    use futures_util::StreamExt as _;
    let answers: Vec<Result<String>> = futures_util::stream::iter(users)
        .map(|u| async move {
            let signed = client.resolve(app, TARGET, u).await?;
            let a = verify_answer(policy_keys, &signed, app, TARGET, u)?;
            Ok(a.version
                .map(|v| v.version)
                .unwrap_or_else(|| "none".into()))
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut counts = BTreeMap::new();
    for a in answers {
        *counts.entry(a?).or_insert(0) += 1;
    }
    Ok(counts)
}

/// The cohorts as a compact table: one row per step, one column per version.
fn cohort_table(rows: &[(String, BTreeMap<String, usize>)]) -> String {
    let mut versions: Vec<&String> = rows.iter().flat_map(|(_, c)| c.keys()).collect();
    versions.sort();
    versions.dedup();
    let mut header = vec![format!("users ({COHORT})")];
    header.extend(versions.iter().map(|v| v.to_string()));
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|(label, c)| {
            let mut r = vec![label.clone()];
            r.extend(
                versions
                    .iter()
                    .map(|v| c.get(*v).copied().unwrap_or(0).to_string()),
            );
            r
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    crate::output::table(&header, &body)
}

pub(crate) fn run(args: DemoArgs, o: &mut Output<'_>) -> Result<()> {
    let DemoArgs { workdir, isolation } = args;
    let started = Instant::now();
    // A temporary work directory is removed at the end, unless it holds what
    // the demo tells the user to look at.
    let mut tmp = None;
    let work = match workdir {
        Some(w) => {
            std::fs::create_dir_all(&w)?;
            w
        }
        None => {
            let t = tempfile::tempdir()?;
            let p = t.path().to_path_buf();
            tmp = Some(t);
            p
        }
    };
    let src = mpkit_sample_app::miniprogram_dir();
    o.line("mpkit demo: Coffee Club from source, through the platform, into a wallet")?;
    o.line(format!("  work directory: {}", work.display()))?;

    // 1. The platform, on loopback, on embedded SQLite.
    let (rt, addr, admin_token) = serve_platform(&work.join("platform"))?;
    let io = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let admin = Client::new(&format!("http://{addr}"), Some(admin_token))?;
    let root_bytes = io.block_on(admin.root_json())?;
    std::fs::write(work.join("root.json"), &root_bytes)?;
    let root = TrustedRoot::load(&root_bytes, time::OffsetDateTime::now_utc())?;
    o.line(format!(
        "[1/8] platform on http://{addr} (SQLite in {}); the wallet trusts the platform's root v{}",
        work.join("platform").display(),
        root.version()
    ))?;

    // 2. A merchant, an ISV it authorizes over Coffee Club, a target app with a reviewer.
    let account = |name: &str| -> Result<Client> {
        let a = io.block_on(admin.create_account(name))?;
        Ok(admin.with_token(a.token))
    };
    let merchant = account("Coffee Co master")?;
    let isv = account("Brew Studio (ISV) master")?;
    let reviewer_acct = io.block_on(admin.create_account("Demo Wallet reviewer"))?;
    let reviewer = admin.with_token(reviewer_acct.token.clone());
    let mws = io.block_on(merchant.create_workspace("Coffee Co", wire::WorkspaceKind::Merchant))?;
    let iws = io.block_on(isv.create_workspace("Brew Studio", wire::WorkspaceKind::Isv))?;
    let dev_key = SecretKey::generate()?;
    io.block_on(isv.register_key(&iws.id, &dev_key.public().to_hex()))?;
    let (manifest, _) = mpkit_bundle::pack_dir(&src, &dev_key, &PackOptions::default())?;
    let app = manifest.app_id.to_string();
    io.block_on(merchant.create_app(
        &mws.id,
        &wire::NewApp {
            app_id: Some(app.clone()),
            name: manifest.name.clone(),
            developer_workspace: Some(iws.id.clone()),
        },
    ))?;
    let auth = io.block_on(merchant.authorize_isv(
        &mws.id,
        &wire::NewAuth {
            isv_workspace: iws.id.clone(),
            app_id: Some(app.clone()),
            actions: vec![
                wire::IsvAction::Read,
                wire::IsvAction::Upload,
                wire::IsvAction::Release,
            ],
        },
    ))?;
    io.block_on(
        admin.create_target(&wire::NewTarget {
            id: TARGET.into(),
            name: "Demo Wallet".into(),
            allowed_permissions: [
                "request",
                "getAuthCode",
                "tradePay",
                "getOpenUserInfo",
                "getLocation",
                "getWalletBalance",
                "scope.userInfo",
                "scope.location",
                "scope.walletBalance",
            ]
            .map(String::from)
            .to_vec(),
        }),
    )?;
    io.block_on(admin.add_reviewer(TARGET, &reviewer_acct.id))?;
    // The wallet's server issues auth codes as an operator of its target app;
    // the merchant backend exchanges them with an app secret.
    let operator = io.block_on(admin.create_account("Demo Wallet server"))?;
    io.block_on(admin.add_operator(TARGET, &operator.id))?;
    let app_secret = io.block_on(merchant.create_app_secret(&app, "Coffee Club orders backend"))?;
    let backend = MerchantBackend::start(admin.base(), &app_secret.secret)?;
    o.line(format!(
        "[2/8] merchant Coffee Co authorizes ISV Brew Studio over {app} ({}); target app {TARGET} with a reviewer and an operator (the wallet's server, which asks for auth codes); Coffee Club's merchant backend on {} exchanges them with app secret {}",
        auth.actions
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        backend.url(),
        app_secret.info.id
    ))?;

    // 3. The ISV uploads: developer-signed, verified by the platform; wallets refuse it as is.
    let pack = |version: &str, build: u64| -> Result<Vec<u8>> {
        let opts = PackOptions {
            version: Some(version.parse()?),
            build: Some(build),
            ..PackOptions::default()
        };
        Ok(mpkit_bundle::pack_dir(&src, &dev_key, &opts)?.1)
    };
    let dev_bundle = pack("1.0.0", 1)?;
    let up = io.block_on(isv.upload_version(&app, dev_bundle.clone().into(), None))?;
    let refused = mpkit_bundle::open(
        &dev_bundle,
        &Trust::Root(root.clone()),
        &Expected::any(),
        &Caps::default(),
    )
    .err()
    .context("a developer-signed bundle must not pass production trust")?;
    o.line(format!("[3/8] the ISV uploads {app} {} ({} bytes, developer key {}); a wallet refuses the developer build itself: {refused}", up.version, up.length, dev_key.public().id()))?;

    // 4. The release, with the cohorts of 10,000 users before and after each step.
    let policy_keys = root
        .role(mpkit_bundle::Role::Policy)
        .map(|(k, _)| k)
        .unwrap_or_default();
    let users: Vec<String> = (0..COHORT).map(|i| format!("user-{i:05}")).collect();
    let testers: Vec<String> = users[..3].to_vec();
    let mut cohorts: Vec<(String, BTreeMap<String, usize>)> = Vec::new();
    let mut cohort = |label: &str| -> Result<()> {
        let counts = io.block_on(cohort_counts(&admin, &policy_keys, &app, &users))?;
        cohorts.push((label.to_owned(), counts));
        Ok(())
    };
    cohort("before the release")?;
    let r = io.block_on(isv.start_release(
        &app,
        &wire::NewRelease {
            target_app: TARGET.into(),
            version: "1.0.0".into(),
            basic_info: Some(json!({"releaseNotes": "First release"})),
        },
    ))?;
    let report = json!({"suite": "mpkit", "passed": 1, "failed": 0});
    io.block_on(isv.compat_report(&r.id, &report))?;
    io.block_on(isv.apply(&r.id))?;
    io.block_on(reviewer.approve(&r.id))?;
    cohort("approved")?;
    io.block_on(isv.start_pilot(&r.id, &testers))?;
    cohort("pilot, 3 testers")?;
    io.block_on(isv.complete_pilot(&r.id))?;
    io.block_on(isv.grayscale(&r.id, "20"))?;
    cohort("grayscale 20%")?;
    io.block_on(isv.full(&r.id))?;
    cohort("full release")?;
    o.line(format!(
        "[4/8] release {}: compatibility report, applied, approved by the reviewer (JSAPIs approved: {}), pilot with {}, grayscale 20%, full release",
        r.id,
        r.permissions.approved["jsapi"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(", "))
            .unwrap_or_default(),
        testers.join(", ")
    ))?;
    o.line(cohort_table(&cohorts))?;
    // 5. The sample wallet (its own delegate, payment sheet, auth codes, a
    // custom JSAPI and the update manager) launches Coffee Club for a pilot
    // tester: resolve, verify, download the pinned package, verify, install, launch.
    let tester = testers[0].clone();
    let mut cfg = WalletConfig::new(
        admin.base().to_owned(),
        TARGET,
        work.join("root.json"),
        work.join("wallet"),
    );
    cfg.merchant = Some(backend.link());
    cfg.platform_token = Some(operator.token.clone());
    cfg.consent = ConsentPolicy::granting(["scope.userInfo", "scope.walletBalance"]);
    cfg.confirm_payments = true;
    // The demo reaches only loopback: the merchant backend is a dev origin
    // (an IP literal, never looked up); every name lookup fails at once, so
    // nothing ever leaves this machine.
    cfg.network = NetConfig {
        lookup: Some(Arc::new(|_: &str| {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the demo stays on this machine",
            ))
        })),
        ..NetConfig::default()
    };
    cfg.isolation = isolation.isolation(worker_config());
    let window_cfg = cfg.clone();
    let wallet = Wallet::new(cfg)?;
    let (host, updates) = (wallet.host(), wallet.updates());
    let app_id = AppId::new(app.clone())?;
    let t = Instant::now();
    let launched = wallet.launch(&app_id, &tester)?;
    ensure!(
        matches!(launched.from, LaunchedFrom::Updated { .. }),
        "the tester's first launch should install: {:?}",
        launched.from
    );
    let a = updates.check(&app_id, &tester)?;
    // The public answer says which version, not why; the platform's
    // `explain` tells a member the rule.
    let why = io.block_on(admin.explain(&app, TARGET, &tester))?;
    o.line(format!(
        "[5/8] the sample wallet launches Coffee Club for pilot tester {tester}: {} ({:?}, policy seq {}), answer verified, pinned package downloaded, verified, installed and launched in {:.1} ms, headless",
        launched.version,
        why.rule,
        a.seq,
        t.elapsed().as_secs_f64() * 1000.0
    ))?;

    // 6. An order through the JSAPIs: the menu from the merchant backend,
    // getAuthCode, request POST /orders, tradePay through the wallet's
    // payment sheet, the signed payment notification, the order status.
    let mut h = launched.handle;
    let run = order_through_ui(&mut h, "latte", 2, Duration::from_secs(20))?;
    let calls: Vec<String> = h
        .calls()
        .iter()
        .map(|c| match c.error {
            None => format!("{} ok", c.api),
            Some(e) => format!("{} error {e}", c.api),
        })
        .collect();
    ensure!(
        h.stopped().is_none(),
        "Coffee Club stopped: {:?}",
        h.stopped()
    );
    h.close();
    let order = run
        .order_id
        .as_deref()
        .and_then(|id| backend.order(id))
        .context("the merchant backend has no order")?;
    ensure!(
        order.status == OrderStatus::Paid,
        "the order should be paid: {:?}",
        order.status
    );
    ensure!(
        wallet.open_id(&tester, &app_id).as_deref() == Some(order.buyer.as_str()),
        "the backend's buyer should be the open id the platform named for the tester"
    );
    o.line(format!(
        "[6/8] {tester} ordered {} x {}: order {} for {} cents is {:?} at the merchant backend, bought by {} (the open id the platform exchanged the auth code for; the app shows \"{}\"); wallet balance now {} cents; my.* calls: {}",
        run.qty,
        run.item,
        order.order_id,
        order.total,
        order.status,
        order.buyer,
        run.order_status,
        wallet.balance(&tester),
        calls.join(", ")
    ))?;

    // 7. 1.0.1 in pilot testing with the tester alone.
    io.block_on(isv.upload_version(&app, pack("1.0.1", 2)?.into(), None))?;
    let r2 = io.block_on(isv.start_release(
        &app,
        &wire::NewRelease {
            target_app: TARGET.into(),
            version: "1.0.1".into(),
            basic_info: None,
        },
    ))?;
    io.block_on(isv.compat_report(&r2.id, &report))?;
    io.block_on(isv.apply(&r2.id))?;
    io.block_on(reviewer.approve(&r2.id))?;
    io.block_on(isv.start_pilot(&r2.id, std::slice::from_ref(&tester)))?;
    let other = users[COHORT - 1].clone();
    let pilot = io.block_on(admin.explain(&app, TARGET, &tester))?;
    let bob = updates.check(&app_id, &other)?;
    let bob_why = io.block_on(admin.explain(&app, TARGET, &other))?;
    ensure!(
        pilot.rule == Rule::Pilot && bob_why.rule != Rule::Pilot,
        "the pilot reaches only its tester"
    );
    let up = wallet.launch(&app_id, &tester)?;
    ensure!(
        up.version.to_string() == "1.0.1",
        "the tester runs the pilot version"
    );
    let previous = match &up.from {
        LaunchedFrom::Updated { previous } => previous.clone().unwrap_or_default(),
        other => anyhow::bail!("the pilot should install: {other:?}"),
    };
    up.handle.close();
    o.line(format!(
        "[7/8] 1.0.1 in pilot: {tester} gets it ({:?}) and it launched, {other} stays on {} ({:?}); last good {previous} kept",
        pilot.rule,
        bob.version.as_ref().map(|v| v.version.as_str()).unwrap_or("-"),
        bob_why.rule,
    ))?;

    // 8. A tampered package is refused; the current version keeps running.
    // The genuine 1.0.1 package as the platform serves it, one byte changed.
    let mut tampered = io.block_on(admin.download_package(
        &app,
        TARGET,
        "1.0.1",
        None,
        Limits {
            max_bytes: 64 << 20,
            expected: None,
            min_rate: 0,
            grace: Duration::from_secs(10),
            stall: Duration::from_secs(10),
        },
        None,
    ))?;
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
        &tester,
        wallet.launch_query(&app_id),
        HeadlessSurface::new(),
    )?;
    h.wait_for(".menu-item", Duration::from_secs(10))
        .map_err(anyhow::Error::msg)?;
    h.close();
    o.line(format!("[8/8] tampered package refused ({err}); {app} 1.0.1 still current, re-verified and running"))?;
    let versions: Vec<String> = host
        .store()
        .versions(&app_id)?
        .iter()
        .map(ToString::to_string)
        .collect();
    let balance = wallet.balance(&tester);
    let events = wallet.events();
    // The wallet owns its storage directory; the window's wallet opens it next.
    drop(wallet);

    // With a display, the same tester orders again, in a real window.
    let window = if std::env::var_os("DISPLAY").is_some() {
        let w = window_order(window_cfg, &app_id, &tester, &work.join("coffee-club.png"))?;
        let placed = backend.order(&w.order_id);
        let status = placed.as_ref().map(|o| o.status);
        ensure!(
            status == Some(OrderStatus::Paid),
            "the order placed in the window should be paid: {status:?}"
        );
        ensure!(
            placed.as_ref().map(|o| o.buyer.as_str()) == Some(order.buyer.as_str()),
            "a new auth code in another wallet process names the same buyer"
        );
        let kept = keep_for(tmp.take(), &w.screenshot);
        o.line(format!(
            "[window] {tester} ordered again in a window (first page painted in {:.0} ms): order {} is Paid at the merchant backend, bought by the same open id from a new auth code; screenshot {}{}",
            w.first_paint.as_secs_f64() * 1000.0,
            w.order_id,
            w.screenshot.display(),
            match &kept {
                Some(dir) => format!(" (its work directory {} is kept for it; remove it when done, or pass --workdir DIR)", dir.display()),
                None => String::new(),
            }
        ))?;
        Some(w)
    } else {
        o.line(
            "[window] no display: the window step is skipped (run under xvfb-run -a to see it)",
        )?;
        None
    };
    drop(rt);

    let elapsed = started.elapsed().as_secs_f64();
    o.line("")?;
    o.emit(
        &json!({
            "ok": true,
            "appId": app,
            "current": "1.0.1",
            "versions": versions,
            "order": {"id": order.order_id, "buyer": order.buyer, "total": order.total, "status": format!("{:?}", order.status), "item": run.item, "qty": run.qty},
            "windowOrder": window.as_ref().map(|w| json!({"id": w.order_id, "firstPaintMs": w.first_paint.as_secs_f64() * 1000.0, "screenshot": w.screenshot})),
            "workdir": work,
            "walletBalance": balance,
            "jsapiCalls": calls,
            "hostEvents": events,
            "cohorts": cohorts.iter().map(|(label, c)| json!({"step": label, "versions": c})).collect::<Vec<_>>(),
            "pilotRule": pilot.rule,
            "bobRule": bob_why.rule,
            "tamperedUpdateRefused": err.to_string(),
            "seconds": elapsed,
        }),
        || format!("demo finished in {elapsed:.2} s"),
    )?;
    drop(tmp);
    Ok(())
}

/// Keeps a temporary work directory that holds `file` (a screenshot the
/// demo points the user to) instead of removing it; returns the directory
/// when it was temporary.
fn keep_for(tmp: Option<tempfile::TempDir>, file: &Path) -> Option<PathBuf> {
    let t = tmp?;
    if !file.starts_with(t.path()) {
        return None;
    }
    Some(t.keep())
}

/// Opens a fresh platform in `dir` (embedded SQLite) and serves it on a free
/// loopback port from a runtime of its own; dropping the runtime stops it.
/// Returns the runtime, the address and the bootstrap admin's token.
fn serve_platform(dir: &Path) -> Result<(tokio::runtime::Runtime, SocketAddr, String)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (platform, boot) = rt.block_on(mpkit_platform::Platform::open(
        mpkit_platform::Config::new(dir),
    ))?;
    let admin = boot
        .with_context(|| {
            format!(
                "{} already holds a platform; use a fresh directory",
                dir.display()
            )
        })?
        .token;
    let addr = rt.block_on(platform.serve_loopback())?;
    Ok((rt, addr, admin))
}

/// What the window step did.
struct WindowOrder {
    order_id: String,
    first_paint: Duration,
    screenshot: PathBuf,
}

/// The sample wallet in a real window: the update manager launches the
/// tester's version, and the order is placed by clicking in the page, as a
/// user would. Nobody is at the keyboard, so consent and the payment sheet
/// are answered by the wallet's own policy rather than its chrome.
fn window_order(
    cfg: WalletConfig,
    app: &AppId,
    user: &str,
    shot: &std::path::Path,
) -> Result<WindowOrder> {
    let ui = WebviewApp::new(WebviewConfig {
        data_dir: cfg.storage_dir.join("webview"),
        exit_when_closed: false,
    })?;
    let d = ui.driver();
    let target = app.clone();
    let launch: LaunchFn = Arc::new(move |ctx| {
        let wallet = Wallet::new(cfg.clone()).map_err(|e| HostError::Config(format!("{e:#}")))?;
        let launched = wallet
            .launch_on(&target, &ctx.user, ctx.surfaces())
            .map_err(|e| HostError::Config(format!("the update manager: {e}")))?;
        Ok(launched.handle)
    });
    let opts = OpenOptions {
        title: "Sample Wallet · Coffee Club (demo)".into(),
        user: user.into(),
        app: Some(app.clone()),
        ..OpenOptions::default()
    };
    let shot = shot.to_owned();
    let job = std::thread::spawn(move || {
        // The window closes however this thread ends, a panic included, so
        // `ui.run()` below always returns and a failure is reported, not a hang.
        struct CloseOnDrop<'a>(&'a mpkit_webview::Driver);
        impl Drop for CloseOnDrop<'_> {
            fn drop(&mut self) {
                let _ = self.0.exit();
            }
        }
        let _close = CloseOnDrop(&d);
        let r = (|| -> Result<WindowOrder> {
            let wait = Duration::from_secs(30);
            let s = d.open(opts, launch)?;
            let first_paint = d.wait_painted(s, wait)?;
            let find = |sel: &str| {
                format!(
                    "(function(){{const p=document.querySelector('.mp-page:not([hidden])');return p?p.shadowRoot.querySelector({}):null}})()",
                    serde_json::to_string(sel).unwrap_or_default()
                )
            };
            let shown = |sel: &str| d.wait_js(s, &format!("!!{}", find(sel)), wait);
            let click = |sel: &str| -> Result<()> {
                shown(sel)?;
                let ok = d.eval(
                    s,
                    &format!(
                        "(function(){{const e={};if(!e)return false;e.click();return true}})()",
                        find(sel)
                    ),
                )?;
                ensure!(ok == "true", "nothing to click at {sel}");
                Ok(())
            };
            click(".menu-item[data-id=latte]")?;
            click(".plus")?;
            click(".add")?;
            click(".link")?;
            click(".checkout")?;
            click(".pay")?;
            shown(".order-id")?;
            let id = d.eval(s, &format!("{}.textContent.trim()", find(".order-id")))?;
            let order_id: String = serde_json::from_str(&id)?;
            d.screenshot(s, &shot)?;
            Ok(WindowOrder {
                order_id,
                first_paint,
                screenshot: shot.clone(),
            })
        })();
        r
    });
    ui.run();
    job.join()
        .map_err(|_| anyhow::anyhow!("the window thread panicked"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The screenshot the demo names in a temporary work directory is
    /// still there once the demo is over (the directory was removed with it).
    #[test]
    fn a_temporary_work_directory_is_kept_for_its_screenshot() {
        let t = tempfile::tempdir().expect("tempdir");
        let shot = t.path().join("wallet").join("coffee-club.png");
        std::fs::create_dir_all(shot.parent().expect("parent")).expect("mkdir");
        std::fs::write(&shot, b"png").expect("write");
        let kept = keep_for(Some(t), &shot).expect("kept");
        assert!(shot.is_file(), "the screenshot is gone");
        assert!(shot.starts_with(&kept));
        std::fs::remove_dir_all(kept).expect("clean up");

        // Nothing to keep: the temporary directory goes as before.
        let t = tempfile::tempdir().expect("tempdir");
        let dir = t.path().to_path_buf();
        assert_eq!(keep_for(Some(t), Path::new("/elsewhere.png")), None);
        assert!(!dir.exists());
        // A --workdir is the user's: nothing to decide.
        assert_eq!(keep_for(None, &dir.join("x.png")), None);
    }
}
