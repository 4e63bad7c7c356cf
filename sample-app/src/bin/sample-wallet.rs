//! `sample-wallet`: the sample wallet, headless. It launches a mini program
//! for a user through the update manager (signed resolve, pinned download,
//! verified install), taps through a Coffee Club order (menu → item → add →
//! cart → checkout → pay) and prints a summary.
//!
//! ```text
//! sample-wallet --platform URL --root root.json --target T --app APPID --user U
//!     [--operator-token-file F] [--app-secret-file F | --backend URL --backend-secret-file F]
//!     [--grant SCOPE ...] [--json]
//! ```
//!
//! Without `--backend`, the wallet starts Coffee Club's merchant backend
//! itself on 127.0.0.1, shares a fresh secret with it for payments, and hands
//! it the app secret from `--app-secret-file`, with which it exchanges auth
//! codes at the platform. `my.getAuthCode` asks the platform for codes with
//! the operator token from `--operator-token-file`.

use anyhow::{bail, Context as _};
use clap::{Parser, ValueEnum};
use mpkit_bundle::AppId;
use mpkit_host::HostError;
use mpkit_host::WorkerConfig;
use mpkit_host::{Isolation, ThreadOptIn};
use mpkit_sample_app::backend::{MerchantBackend, MerchantLink, COFFEE_CLUB_APP_ID};
use mpkit_sample_app::signing::SharedSecret;
use mpkit_sample_app::wallet::{order_through_ui, ConsentPolicy, Wallet, WalletConfig};
use mpkit_webview::{LaunchFn, OpenOptions, WebviewApp, WebviewConfig};
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum IsolationArg {
    /// A worker process per mini program (memory cap, watchdog).
    Process,
    /// On this process's thread: choosing it accepts that runaway code can
    /// hang or abort the wallet (docs/runtime.md).
    Thread,
}

/// The mpkit sample wallet: launches a mini program through the platform and
/// orders a coffee in it, headless.
#[derive(Debug, Parser)]
#[command(name = "sample-wallet", version)]
struct Args {
    /// The management platform's base URL.
    #[arg(long)]
    platform: String,
    /// The platform's root.json: the wallet's trust root.
    #[arg(long)]
    root: PathBuf,
    /// This wallet's target app id on the platform.
    #[arg(long)]
    target: String,
    /// The mini program to launch.
    #[arg(long, default_value = COFFEE_CLUB_APP_ID)]
    app: String,
    /// The wallet user.
    #[arg(long)]
    user: String,
    /// A merchant backend already running at http://127.0.0.1:PORT (default:
    /// start Coffee Club's backend in this process).
    #[arg(long, requires = "backend_secret_file")]
    backend: Option<String>,
    /// The secret shared with `--backend` (64 hex digits in a file).
    #[arg(long, requires = "backend")]
    backend_secret_file: Option<PathBuf>,
    /// A file holding the token of an operator account of --target (the
    /// wallet's server on the platform): `my.getAuthCode` asks the platform
    /// for codes with it. Without it, no auth codes are issued.
    #[arg(long, value_name = "FILE")]
    operator_token_file: Option<PathBuf>,
    /// For the built-in backend: a file holding the mini program's app secret
    /// on the platform (`mpkit app secret create`), with which the backend
    /// exchanges auth codes.
    #[arg(long, value_name = "FILE", conflicts_with = "backend")]
    app_secret_file: Option<PathBuf>,
    /// A scope the user grants when asked (repeatable); every other scope is refused.
    #[arg(long = "grant", value_name = "SCOPE")]
    grants: Vec<String>,
    /// The item to order.
    #[arg(long, default_value = "latte")]
    item: String,
    /// How many.
    #[arg(long, default_value_t = 1)]
    qty: u32,
    /// Cancel the payment sheet instead of confirming it.
    #[arg(long)]
    cancel_payment: bool,
    /// The user's opening balance in cents.
    #[arg(long, default_value_t = 5000)]
    balance: u64,
    /// Where the wallet keeps installed apps and user data (default: a temporary directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Where mini programs' JS runs.
    #[arg(long, value_enum, default_value = "process")]
    isolation: IsolationArg,
    /// Show the mini program in a window (the user orders by tapping; the
    /// payment sheet and consent prompts are the wallet's, in the window).
    #[arg(long)]
    window: bool,
    /// With --window: write a PNG of the first page and exit.
    #[arg(long, value_name = "OUT.png", requires = "window")]
    screenshot: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

fn main() {
    // Process isolation re-enters this binary as the logic worker.
    mpkit_host::enter_if_worker();
    let args = Args::parse();
    let json_out = args.json;
    let code = match if args.window { window(args) } else { run(args) } {
        Ok((ok, summary, text)) => {
            let mut out = std::io::stdout().lock();
            let _ = if json_out {
                writeln!(out, "{summary}")
            } else {
                writeln!(out, "{text}")
            };
            if ok {
                0
            } else {
                1
            }
        }
        Err(e) => {
            if json_out {
                let v = json!({"ok": false, "error": {"message": format!("{e:#}")}});
                let _ = writeln!(std::io::stdout(), "{v}");
            }
            let _ = writeln!(std::io::stderr(), "sample-wallet: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

/// What both modes set up: the data directory, the merchant backend and the
/// wallet's configuration. The guards keep the backend and the temporary
/// directory alive.
struct Prepared {
    config: WalletConfig,
    backend_url: String,
    _backend: Option<MerchantBackend>,
    _tmp: Option<tempfile::TempDir>,
}

/// A token or secret from a file (kept out of the command line, where other
/// users of the machine could read it), trimmed.
fn read_secret(file: &std::path::Path) -> anyhow::Result<String> {
    let s = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let s = s.trim();
    if s.is_empty() {
        bail!("{} is empty", file.display());
    }
    Ok(s.to_owned())
}

fn prepare(args: &Args) -> anyhow::Result<Prepared> {
    let mut tmp = None;
    let data_dir = match &args.data_dir {
        Some(d) => d.clone(),
        None => {
            let t = tempfile::tempdir()?;
            let p = t.path().to_path_buf();
            tmp = Some(t);
            p
        }
    };
    // The merchant backend: the one given, or Coffee Club's, here.
    let mut backend = None;
    let link = match (&args.backend, &args.backend_secret_file) {
        (Some(url), Some(file)) => {
            let hex = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            MerchantLink {
                app_id: args.app.clone(),
                url: url.clone(),
                secret: SharedSecret::from_hex(&hex)?,
            }
        }
        (None, None) => {
            if args.app != COFFEE_CLUB_APP_ID {
                bail!("the built-in merchant backend serves Coffee Club ({COFFEE_CLUB_APP_ID}); pass --backend for {}", args.app);
            }
            let file = args.app_secret_file.as_ref().context(
                "the built-in merchant backend needs --app-secret-file (the mini program's app secret on the platform)",
            )?;
            let b = MerchantBackend::start(&args.platform, &read_secret(file)?)?;
            let l = b.link();
            backend = Some(b);
            l
        }
        _ => bail!("--backend and --backend-secret-file go together"),
    };
    let backend_url = link.url.clone();
    let mut config = WalletConfig::new(&args.platform, &args.target, &args.root, &data_dir);
    config.merchant = Some(link);
    config.platform_token = args
        .operator_token_file
        .as_deref()
        .map(read_secret)
        .transpose()?;
    config.consent = ConsentPolicy::granting(args.grants.iter().cloned());
    config.confirm_payments = !args.cancel_payment;
    config.opening_balance = args.balance;
    config.isolation = match args.isolation {
        // mpkit-worker beside this executable, which does not link WebKitGTK.
        IsolationArg::Process => Isolation::Process(WorkerConfig::beside_current_exe()),
        IsolationArg::Thread => Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED),
    };
    Ok(Prepared {
        config,
        backend_url,
        _backend: backend,
        _tmp: tmp,
    })
}

/// `--window`: the update manager launches the mini program into a real
/// window; the user orders by tapping. With `--screenshot`, the first page is
/// written as a PNG and the wallet exits.
fn window(args: Args) -> anyhow::Result<(bool, Value, String)> {
    let p = prepare(&args)?;
    let app = AppId::new(args.app.clone())?;
    let ui = WebviewApp::new(WebviewConfig {
        data_dir: p.config.storage_dir.join("webview"),
        exit_when_closed: true,
    })?;
    let config = p.config.clone();
    let target = app.clone();
    let launch: LaunchFn = Arc::new(move |ctx| {
        let wallet = Wallet::with_delegate(config.clone(), |inner| ctx.chrome(inner))
            .map_err(|e| HostError::Config(format!("{e:#}")))?;
        let launched = wallet
            .launch_on(&target, &ctx.user, ctx.surfaces())
            .map_err(|e| HostError::Config(format!("the update manager: {e}")))?;
        Ok(launched.handle)
    });
    let opts = OpenOptions {
        title: format!("Sample Wallet · {app}"),
        user: args.user.clone(),
        app: Some(app.clone()),
        ..OpenOptions::default()
    };
    let driver = ui.driver();
    let shot = args.screenshot.clone();
    let job = std::thread::spawn(
        move || -> anyhow::Result<Option<(Duration, mpkit_webview::PngFacts)>> {
            let r = (|| {
                let slot = driver.open(opts, launch)?;
                let Some(path) = shot else { return Ok(None) };
                let painted = driver.wait_painted(slot, Duration::from_secs(60))?;
                // The menu (and its images) come from the backend and the bundle.
                let _ = driver.wait_js(
                slot,
                "(function(){const p=document.querySelector('.mp-page:not([hidden])');return !!p && p.shadowRoot.querySelectorAll('.menu-item').length > 0})()",
                Duration::from_secs(20),
            );
                driver.screenshot(slot, &path)?;
                let facts = mpkit_webview::describe_png(&path).map_err(anyhow::Error::msg)?;
                Ok(Some((painted, facts)))
            })();
            if r.is_err() || r.as_ref().is_ok_and(Option::is_some) {
                let _ = driver.exit();
            }
            r
        },
    );
    ui.run();
    let shot = job
        .join()
        .map_err(|_| anyhow::anyhow!("the window thread panicked"))??;
    let summary = json!({
        "ok": true,
        "app": app.as_str(),
        "user": args.user,
        "backend": p.backend_url,
        "screenshot": args.screenshot,
        "firstPaintMs": shot.map(|(d, _)| d.as_secs_f64() * 1000.0),
        "width": shot.map(|(_, f)| f.width),
        "height": shot.map(|(_, f)| f.height),
        "colours": shot.map(|(_, f)| f.colours),
    });
    let text = match (&args.screenshot, shot) {
        (Some(path), Some((d, f))) => format!(
            "{app} for {} in a window: first page painted in {:.0} ms; wrote {} ({}x{} px)",
            args.user,
            d.as_secs_f64() * 1000.0,
            path.display(),
            f.width,
            f.height
        ),
        _ => format!("{app} for {}: the window was closed", args.user),
    };
    Ok((true, summary, text))
}

fn run(args: Args) -> anyhow::Result<(bool, Value, String)> {
    let p = prepare(&args)?;
    let backend_url = p.backend_url.clone();
    let config = p.config.clone();
    let wallet = Wallet::new(config)?;
    let app = AppId::new(args.app.clone())?;
    let before = wallet.balance(&args.user);
    let launched = wallet
        .launch(&app, &args.user)
        .with_context(|| format!("launching {app} for {}", args.user))?;
    let version = launched.version.to_string();
    let from = format!("{:?}", launched.from);
    let mut h = launched.handle;
    let run = order_through_ui(&mut h, &args.item, args.qty, Duration::from_secs(20));
    let calls: Vec<String> = h
        .calls()
        .iter()
        .map(|c| match c.error {
            None => format!("{} ok", c.api),
            Some(e) => format!("{} error {e}", c.api),
        })
        .collect();
    let errors: Vec<String> = h.errors().iter().map(|e| e.message.clone()).collect();
    let stopped = h.stopped().map(ToString::to_string);
    h.close();
    let run = run?;
    // The order's status, from the merchant backend (the authority), over HTTP.
    let backend_status = match &run.order_id {
        Some(id) => reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()?
            .get(format!("{backend_url}/orders/{id}"))
            .send()
            .and_then(|r| r.json::<Value>())
            .map(|v| v["status"].as_str().unwrap_or("?").to_owned())
            .unwrap_or_else(|e| format!("unknown ({e})")),
        None => "no order".into(),
    };
    let after = wallet.balance(&args.user);
    let want = if args.cancel_payment {
        "PENDING"
    } else {
        "PAID"
    };
    let ok = backend_status == want && stopped.is_none() && errors.is_empty();
    let summary = json!({
        "ok": ok,
        "app": app.as_str(),
        "user": args.user,
        "version": version,
        "launchedFrom": from,
        "backend": backend_url,
        "order": run,
        "backendStatus": backend_status,
        "balanceBefore": before,
        "balanceAfter": after,
        "jsapiCalls": calls,
        "walletEvents": wallet.events(),
        "updateEvents": wallet.update_events(),
        "errors": errors,
        "stopped": stopped,
    });
    let text = format!(
        "{app} {version} for {user} ({from})\n  ordered {qty} x {item}: order {order}, {result}; the checkout shows {shown:?}\n  merchant backend {backend_url}: {backend_status}\n  balance {before} -> {after} cents\n  my.* calls: {calls}{errs}",
        user = args.user,
        qty = args.qty,
        item = args.item,
        order = run.order_id.as_deref().unwrap_or("-"),
        result = if run.result_text.is_empty() { "no payment result" } else { &run.result_text },
        shown = run.order_status,
        calls = calls.join(", "),
        errs = if errors.is_empty() { String::new() } else { format!("\n  errors: {}", errors.join("; ")) },
    );
    Ok((ok, summary, text))
}
