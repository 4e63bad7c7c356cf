//! The sample wallet, Coffee Club and the merchant backend, end to end.
//!
//! Each test starts the real management platform on 127.0.0.1 (SQLite in a
//! temporary directory), walks Coffee Club through the release workflow with
//! the typed client, and launches it in the sample wallet through the update
//! manager against the real merchant backend on 127.0.0.1. Nothing leaves
//! the machine: the only origins reached are loopback IP literals.

use mpkit_bundle::{AppId, PackOptions};
use mpkit_host::AppHandle;
use mpkit_host::HeadlessSurface;
use mpkit_host::{Isolation, ThreadOptIn};
use mpkit_platform_client::wire;
use mpkit_platform_client::Client;
use mpkit_sample_app::backend::{MerchantBackend, MerchantLink, OrderStatus, COFFEE_CLUB_APP_ID};
use mpkit_sample_app::signing::{SharedSecret, SIGNATURE_HEADER};
use mpkit_sample_app::wallet::{order_through_ui, ConsentPolicy, Wallet, WalletConfig};
use mpkit_testkit::{big_stack, offline_network, LocalPlatform};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

const TARGET: &str = "sample.wallet";
const WAIT: Duration = Duration::from_secs(20);

/// The platform with Coffee Club 1.0.0 fully released to the sample wallet,
/// an operator account for the wallet's server (auth codes) and an app
/// secret for Coffee Club's backend (exchanging them).
struct World {
    dir: PathBuf,
    platform: String,
    root: PathBuf,
    app: AppId,
    /// The merchant's Master.
    owner: Client,
    /// The wallet server's operator account.
    operator: Client,
    operator_token: String,
    app_secret: wire::AppSecretCreated,
    // Last: the wallets' data goes with it.
    lp: LocalPlatform,
}

impl World {
    fn new() -> World {
        let lp = LocalPlatform::start();
        let dir = lp.dir().to_path_buf();
        let src = mpkit_sample_app::miniprogram_dir();
        // The sample wallet allows what Coffee Club asks for, its own API included.
        let m = lp.block(
            lp.merchant(
                &src,
                wire::NewTarget {
                    id: TARGET.into(),
                    name: "Sample Wallet".into(),
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
                },
            ),
        );
        let (manifest, bytes) =
            mpkit_bundle::pack_dir(&src, &m.dev_key, &PackOptions::default()).expect("pack");
        lp.block(m.owner.upload_version(m.app.as_str(), bytes.into(), None))
            .expect("upload");
        let id = lp.block(m.approved(&manifest.version.to_string()));
        lp.block(m.owner.full(&id)).expect("full");
        // The wallet is handed the platform's root.json, as the demo does.
        let root = dir.join("root.json");
        let root_bytes = lp.block(m.admin.root_json()).expect("root");
        std::fs::write(&root, &root_bytes).expect("write root");
        let op = lp
            .block(m.admin.create_account("Sample Wallet server"))
            .expect("account");
        lp.block(m.admin.add_operator(TARGET, &op.id))
            .expect("operator");
        let app_secret = lp
            .block(
                m.owner
                    .create_app_secret(m.app.as_str(), "Coffee Club backend"),
            )
            .expect("app secret");
        World {
            dir,
            platform: lp.base.clone(),
            root,
            app: m.app.clone(),
            operator: m.admin.with_token(op.token.clone()),
            owner: m.owner,
            operator_token: op.token,
            app_secret,
            lp,
        }
    }

    fn block<F: std::future::Future>(&self, f: F) -> F::Output {
        self.lp.block(f)
    }

    /// Coffee Club's backend, exchanging codes with the app secret.
    fn backend(&self) -> MerchantBackend {
        MerchantBackend::start(&self.platform, &self.app_secret.secret).expect("backend")
    }

    /// An auth code for `user`, as the wallet's server gets one.
    fn code(&self, user: &str) -> wire::AuthCodeIssued {
        self.block(self.operator.issue_auth_code(&wire::NewAuthCode {
            app_id: self.app.to_string(),
            target_app: TARGET.into(),
            user_id: user.into(),
            scopes: vec!["auth_base".into()],
        }))
        .expect("auth code")
    }

    /// A wallet keeping its data in `name`, linked to `backend`.
    fn config(&self, name: &str, backend: Option<MerchantLink>, grants: &[&str]) -> WalletConfig {
        let mut c = WalletConfig::new(&self.platform, TARGET, &self.root, self.dir.join(name));
        c.merchant = backend;
        c.platform_token = Some(self.operator_token.clone());
        c.consent = ConsentPolicy::granting(grants.iter().copied());
        c.confirm_payments = true;
        c.isolation = Isolation::Thread(ThreadOptIn::ACCEPT_UNCONTAINED);
        // Tests never leave this machine: the backend is a loopback dev
        // origin (never looked up) and every name lookup fails at once.
        c.network = offline_network();
        c
    }

    fn wallet(&self, name: &str, backend: &MerchantBackend, grants: &[&str]) -> Wallet {
        Wallet::new(self.config(name, Some(backend.link()), grants)).expect("wallet")
    }
}

fn launch(w: &Wallet, app: &AppId, user: &str) -> AppHandle<HeadlessSurface> {
    let l = w.launch(app, user).expect("launch");
    assert_eq!(l.version.to_string(), "1.0.0");
    l.handle
}

fn text(h: &AppHandle<HeadlessSurface>, sel: &str) -> String {
    h.text(sel).unwrap_or_default().trim().to_owned()
}

fn consent_prompts(w: &Wallet, scope: &str) -> Vec<Value> {
    w.events()
        .into_iter()
        .filter(|e| e["event"] == "consent" && e["scope"] == scope)
        .collect()
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

#[test]
fn an_order_placed_through_the_jsapis_ends_paid_at_the_backend() {
    big_stack(|| {
        let w = World::new();
        let backend = w.backend();
        let wallet = w.wallet("wallet", &backend, &[]);
        let mut h = launch(&wallet, &w.app, "alice");

        // The menu comes from the merchant backend on loopback (flat-white is only there).
        h.wait_for(".menu-item[data-id=flat-white]", WAIT)
            .expect("the backend's menu");
        assert!(h.text(".notice").is_err(), "not offline");

        let run = order_through_ui(&mut h, "latte", 2, WAIT).expect("order");
        let errors = h.errors().to_vec();
        assert!(errors.is_empty(), "{errors:?}");
        let calls: Vec<(String, Option<i64>)> =
            h.calls().iter().map(|c| (c.api.clone(), c.error)).collect();
        for api in ["getAuthCode", "request", "tradePay"] {
            assert!(
                calls.contains(&(api.to_owned(), None)),
                "{api} succeeded: {calls:?}"
            );
        }
        h.close();

        // The backend is the authority: the order is PAID, priced by the backend.
        let id = run.order_id.clone().expect("an order id on the page");
        let order = backend.order(&id).expect("the order");
        assert_eq!(order.status, OrderStatus::Paid, "{run:?}");
        assert_eq!(order.total, 2 * 450);
        assert_eq!(order.lines.len(), 1);
        assert_eq!(
            (order.lines[0].id.as_str(), order.lines[0].qty),
            ("latte", 2)
        );
        let alice = wallet.open_id("alice", &w.app).expect("an open id");
        assert_eq!(
            order.buyer, alice,
            "the buyer is the auth code's user, as the platform's app-scoped id"
        );
        assert!(!alice.contains("alice"));
        assert_eq!(w.code("alice").open_id, alice, "the platform keeps it");
        assert!(order.notify_id.is_some());
        assert_eq!(backend.orders().len(), 1);
        assert!(run.result_text.contains("Payment submitted"), "{run:?}");
        assert!(run.order_status.starts_with("Paid"), "{run:?}");

        // The wallet's side: one code issued, a sheet with the backend's amount,
        // the ledger debited, a signed notification the backend accepted.
        assert_eq!(wallet.issued_auth_codes("alice", &w.app).len(), 1);
        let events = wallet.events();
        let sheet = events
            .iter()
            .find(|e| e["event"] == "paymentSheet")
            .expect("a payment sheet");
        assert_eq!(sheet["amount"], 900);
        assert_eq!(sheet["confirmed"], true);
        assert!(events
            .iter()
            .any(|e| e["event"] == "notify" && e["status"] == 200));
        assert!(events
            .iter()
            .any(|e| e["event"] == "pay" && e["resultCode"] == "9000"));
        assert_eq!(wallet.balance("alice"), 5000 - 900);
        assert_eq!(wallet.ledger().len(), 1);
        assert_eq!(wallet.ledger()[0].amount, -900);
        // auth_base is silent: nobody was asked anything.
        assert!(events.iter().all(|e| e["event"] != "consent"), "{events:?}");
    });
}

#[test]
fn a_cancelled_payment_leaves_the_order_pending_and_a_forged_notify_is_refused() {
    big_stack(|| {
        let w = World::new();
        let backend = w.backend();
        let mut config = w.config("wallet", Some(backend.link()), &[]);
        config.confirm_payments = false;
        let wallet = Wallet::new(config).expect("wallet");
        let mut h = launch(&wallet, &w.app, "bob");
        let run = order_through_ui(&mut h, "mocha", 1, WAIT).expect("order");
        h.close();
        assert!(run.result_text.contains("cancelled"), "{run:?}");
        let [order] = &backend.orders()[..] else {
            panic!("one order: {:?}", backend.orders());
        };
        assert_eq!(order.status, OrderStatus::Pending);
        assert_eq!(wallet.balance("bob"), 5000, "nothing was debited");

        let good = json!({
            "notifyId": "ntf1",
            "appId": COFFEE_CLUB_APP_ID,
            "tradeNO": order.trade_no,
            "orderId": order.order_id,
            "tradeStatus": "TRADE_SUCCESS",
            "totalAmount": order.total,
            "currency": "USD",
            "buyerOpenId": order.buyer,
        })
        .to_string();
        let post = |body: &str, sig: Option<String>| {
            let mut r = http()
                .post(format!("{}/notify", backend.url()))
                .header("content-type", "application/json")
                .body(body.to_owned());
            if let Some(s) = sig {
                r = r.header(SIGNATURE_HEADER, s);
            }
            let resp = r.send().expect("notify");
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().unwrap_or(Value::Null))
        };
        let other = SharedSecret::generate().expect("secret");
        let tampered = good.replace("\"notifyId\":\"ntf1\"", "\"notifyId\":\"ntf2\"");
        assert_ne!(tampered, good);
        for (body, sig) in [
            (good.clone(), None),
            (good.clone(), Some(String::new())),
            (good.clone(), Some("not hex".into())),
            (good.clone(), Some(other.sign_body(good.as_bytes()))),
            (
                tampered.clone(),
                Some(backend.secret().sign_body(good.as_bytes())),
            ),
        ] {
            let (status, v) = post(&body, sig);
            assert_eq!(status, 401, "{v}");
            assert_eq!(v["code"], "bad_signature");
            assert_eq!(
                backend.order(&order.order_id).expect("order").status,
                OrderStatus::Pending,
                "a refused notification changes nothing"
            );
        }
        // Signed, but for another amount: refused too.
        let cheaper = good.replace(
            &format!("\"totalAmount\":{}", order.total),
            "\"totalAmount\":1",
        );
        let (status, _) = post(
            &cheaper,
            Some(backend.secret().sign_body(cheaper.as_bytes())),
        );
        assert_eq!(status, 400);
        assert_eq!(
            backend.order(&order.order_id).expect("order").status,
            OrderStatus::Pending
        );
        // The genuine notification, signed with the shared secret, is accepted once
        // and again (retries are normal).
        for _ in 0..2 {
            let (status, v) = post(&good, Some(backend.secret().sign_body(good.as_bytes())));
            assert_eq!(status, 200, "{v}");
            assert_eq!(v["status"], "PAID");
        }
        let status: Value = http()
            .get(format!("{}/orders/{}", backend.url(), order.order_id))
            .send()
            .expect("get")
            .json()
            .expect("json");
        assert_eq!(status["status"], "PAID");
    });
}

#[test]
fn the_wallet_balance_api_is_refused_without_its_scope_and_works_with_it() {
    big_stack(|| {
        let w = World::new();
        let backend = w.backend();
        {
            let wallet = w.wallet("wallet", &backend, &[]);
            let mut h = launch(&wallet, &w.app, "carol");
            h.wait_for(".account-link", WAIT).expect("home");
            h.tap(".account-link").expect("to the profile");
            h.wait_for(".balance-note", WAIT)
                .expect("a note instead of a balance");
            let note = text(&h, ".balance-note");
            assert!(note.contains("chose not to share"), "{note}");
            assert!(note.contains("(error 11)"), "{note}");
            assert!(h.text(".balance").is_err());
            let calls = h.calls().to_vec();
            assert!(
                calls
                    .iter()
                    .any(|c| c.api == "getWalletBalance" && c.error == Some(11)),
                "{calls:?}"
            );
            h.close();
            let asked = consent_prompts(&wallet, "scope.walletBalance");
            assert_eq!(asked.len(), 1, "asked once");
            assert_eq!(asked[0]["granted"], false);
        }
        // The same wallet data, a user who grants the scope.
        let wallet = w.wallet("wallet", &backend, &["scope.walletBalance"]);
        let mut h = launch(&wallet, &w.app, "dan");
        h.wait_for(".account-link", WAIT).expect("home");
        h.tap(".account-link").expect("to the profile");
        h.wait_for(".balance", WAIT).expect("the balance");
        assert_eq!(text(&h, ".balance"), "$50.00 USD");
        assert!(h.text(".balance-note").is_err());
        h.close();
        assert_eq!(
            consent_prompts(&wallet, "scope.walletBalance")[0]["granted"],
            true
        );
        let grants = wallet.host().grants("dan", &w.app).expect("grants");
        assert!(grants.iter().any(|g| g.scope == "scope.walletBalance"));
    });
}

#[test]
fn a_location_denial_persists_across_launches() {
    big_stack(|| {
        let w = World::new();
        let backend = w.backend();
        let denial = |h: &mut AppHandle<HeadlessSurface>| {
            h.wait_for(".find-store", WAIT).expect("home");
            h.tap(".find-store").expect("find a store");
            h.wait_for(".store-error", WAIT).expect("the denial");
            let e = text(h, ".store-error");
            assert!(
                e.contains("the user did not authorize scope.location"),
                "{e}"
            );
            assert!(e.contains("(error 11)"), "{e}");
            assert!(h.text(".store-name").is_err());
        };
        {
            let wallet = w.wallet("wallet", &backend, &[]);
            let mut h = launch(&wallet, &w.app, "erin");
            denial(&mut h);
            h.close();
            let asked = consent_prompts(&wallet, "scope.location");
            assert_eq!(asked.len(), 1);
            assert_eq!(asked[0]["granted"], false);
            assert!(wallet.events().iter().all(|e| e["event"] != "device"));
        }
        // A new wallet process on the same storage whose user would now say yes:
        // the stored denial answers, nobody is asked, no location is read.
        let wallet = w.wallet("wallet", &backend, &["scope.location"]);
        let mut h = launch(&wallet, &w.app, "erin");
        denial(&mut h);
        h.close();
        assert!(consent_prompts(&wallet, "scope.location").is_empty());
        assert!(wallet.events().iter().all(|e| e["event"] != "device"));
        let grants = wallet.host().grants("erin", &w.app).expect("grants");
        let g = grants
            .iter()
            .find(|g| g.scope == "scope.location")
            .expect("the stored decision");
        assert!(format!("{:?}", g.decision).contains("Denied"), "{g:?}");

        // Another user of that wallet grants it and finds the nearest store.
        let mut h = launch(&wallet, &w.app, "finn");
        h.wait_for(".find-store", WAIT).expect("home");
        h.tap(".find-store").expect("find a store");
        h.wait_for(".store-name", WAIT).expect("a store");
        assert_eq!(text(&h, ".store-name"), "Raffles Place");
        h.close();
        assert_eq!(consent_prompts(&wallet, "scope.location").len(), 1);
    });
}

#[test]
fn the_backend_refuses_unknown_items_bad_carts_and_codes_the_platform_did_not_issue() {
    let w = World::new();
    let backend = w.backend();
    let code = w.code("gus").auth_code;
    let order_at = |url: &str, body: Value| {
        let r = http()
            .post(format!("{url}/orders"))
            .json(&body)
            .send()
            .expect("post");
        let status = r.status().as_u16();
        (status, r.json::<Value>().unwrap_or(Value::Null))
    };
    let order = |body: Value| order_at(backend.url(), body);
    for (items, want) in [
        (json!([{"id": "caviar", "qty": 1}]), "not on the menu"),
        (
            json!([{"id": "latte", "qty": 1}, {"id": "unicorn-frappe", "qty": 2}]),
            "not on the menu",
        ),
        (json!([]), "empty"),
        (json!([{"id": "latte", "qty": 0}]), "1 to 20"),
        (json!([{"id": "latte", "qty": 99}]), "1 to 20"),
    ] {
        let (status, v) = order(json!({"authCode": code, "items": items}));
        assert_eq!(status, 400, "{items}: {v}");
        assert!(
            v["message"].as_str().expect("message").contains(want),
            "{v}"
        );
    }
    assert!(backend.orders().is_empty());
    // Codes the platform did not issue, or already exchanged: refused.
    let spent = w.code("gus").auth_code;
    let exchanger = Client::new(&w.platform, Some(w.app_secret.secret.clone())).expect("client");
    w.block(exchanger.exchange_auth_code(&spent))
        .expect("exchanged once");
    for bad in [
        json!("headless-1-0011223344556677"),
        json!(format!("ac_{}", "0".repeat(64))),
        json!(spent),
    ] {
        let (status, v) = order(json!({"authCode": bad, "items": [{"id": "latte", "qty": 1}]}));
        assert_eq!(status, 401, "{bad}: {v}");
        assert_eq!(v["code"], "bad_auth_code");
    }
    let (status, v) = order(json!({"items": [{"id": "latte", "qty": 1}]}));
    assert_eq!(
        (status, v["code"].as_str()),
        (401, Some("bad_auth_code")),
        "{v}"
    );
    // A backend whose platform is down, or whose app secret is not (any
    // more) good: 502, and the code is not spent.
    let down = MerchantBackend::start("http://127.0.0.1:9", &w.app_secret.secret).expect("backend");
    let unknown = MerchantBackend::start(&w.platform, "mpks_not-a-secret").expect("backend");
    for b in [&down, &unknown] {
        let (status, v) = order_at(
            b.url(),
            json!({"authCode": code, "items": [{"id": "latte", "qty": 1}]}),
        );
        assert_eq!(
            (status, v["code"].as_str()),
            (502, Some("platform_unavailable")),
            "{v}"
        );
        assert!(b.orders().is_empty());
    }
    assert!(backend.orders().is_empty());
    // The refused calls did not spend the code; a good cart does, once.
    let (status, v) =
        order(json!({"authCode": code, "items": [{"id": "espresso", "qty": 3}], "price": 1}));
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["total"], 900,
        "priced by the backend, whatever the client says"
    );
    let (status, _) = order(json!({"authCode": code, "items": [{"id": "espresso", "qty": 1}]}));
    assert_eq!(status, 401, "an auth code is single-use");
    assert_eq!(backend.orders().len(), 1);
    assert_eq!(backend.orders()[0].buyer, w.code("gus").open_id);
    // Revoked, the backend's secret exchanges nothing more.
    w.block(
        w.owner
            .revoke_app_secret(w.app.as_str(), &w.app_secret.info.id),
    )
    .expect("revoke");
    let fresh = w.code("gus").auth_code;
    let (status, v) = order(json!({"authCode": fresh, "items": [{"id": "latte", "qty": 1}]}));
    assert_eq!(
        (status, v["code"].as_str()),
        (502, Some("platform_unavailable")),
        "{v}"
    );
    assert_eq!(backend.orders().len(), 1);
    let url = backend.url().to_owned();
    drop(backend);
    assert!(
        http().get(format!("{url}/menu")).send().is_err(),
        "the backend stops on drop"
    );
}

#[test]
fn coffee_club_takes_only_an_exact_loopback_api_base_from_the_launch_query() {
    big_stack(|| {
        let w = World::new();
        let backend = w.backend();
        let mut config = w.config("wallet", Some(backend.link()), &[]);
        // Offline: no name resolves, so the production URL fails at once.
        config.network = offline_network();
        let wallet = Wallet::new(config).expect("wallet");
        let port = backend.url().rsplit(':').next().expect("port").to_owned();
        for bad in [
            format!("http://127.0.0.1:{port}/"),
            format!("http://127.0.0.1:{port}/evil"),
            format!("https://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
            format!("http://127.0.0.1:0{port}"),
            "http://10.0.0.1:80".to_owned(),
        ] {
            let mut q = serde_json::Map::new();
            q.insert("apiBase".into(), Value::String(bad.clone()));
            let l = wallet
                .updates()
                .launch(
                    wallet.host(),
                    &w.app,
                    "hana",
                    q,
                    mpkit_update::UpdateMode::Sync,
                    HeadlessSurface::new,
                )
                .expect("launch");
            let mut h = l.handle;
            h.wait_for(".menu-item[data-id=latte]", WAIT).expect("menu");
            h.run_until_idle(Duration::from_millis(20), WAIT);
            // The built-in menu: the app kept its production URL, which is offline here.
            assert!(h.text(".notice").is_ok(), "{bad}: offline notice");
            assert!(
                h.text(".menu-item[data-id=flat-white]").is_err(),
                "{bad}: not the backend's menu"
            );
            let warned = h
                .console()
                .iter()
                .any(|(_, line)| line.contains("ignoring launch query apiBase"));
            assert!(warned, "{bad}: {:?}", h.console());
            h.close();
        }
        // The wallet's own query reaches the backend.
        let mut h = launch(&wallet, &w.app, "hana");
        h.wait_for(".menu-item[data-id=flat-white]", WAIT)
            .expect("the backend's menu");
        h.close();
    });
}

fn sample_wallet(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sample-wallet"))
        .args(args)
        .output()
        .expect("run sample-wallet");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_sample_wallet_binary_orders_a_coffee_with_worker_processes() {
    let w = World::new();
    let data = w.dir.join("cli-wallet");
    let token_file = w.dir.join("operator.token");
    std::fs::write(&token_file, &w.operator_token).expect("token");
    let app_secret_file = w.dir.join("app.secret");
    std::fs::write(&app_secret_file, &w.app_secret.secret).expect("secret");
    let (code, stdout, stderr) = sample_wallet(&[
        "--platform",
        &w.platform,
        "--root",
        &w.root.to_string_lossy(),
        "--target",
        TARGET,
        "--app",
        w.app.as_str(),
        "--user",
        "ivy",
        "--grant",
        "scope.walletBalance",
        "--item",
        "cappuccino",
        "--qty",
        "3",
        "--data-dir",
        &data.to_string_lossy(),
        "--operator-token-file",
        &token_file.to_string_lossy(),
        "--app-secret-file",
        &app_secret_file.to_string_lossy(),
        "--json",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["version"], "1.0.0");
    assert_eq!(v["backendStatus"], "PAID");
    assert_eq!(v["order"]["qty"], 3);
    assert_eq!(v["balanceBefore"], 5000);
    assert_eq!(v["balanceAfter"], 5000 - 3 * 420);
    assert!(v["launchedFrom"]
        .as_str()
        .expect("from")
        .starts_with("Updated"));
    // The app was installed through the update manager into the wallet's store.
    assert!(data.join("updates").join("state.json").is_file());

    // The backend in another process, named with its shared secret.
    let backend = w.backend();
    let secret_file = w.dir.join("merchant.secret");
    std::fs::write(&secret_file, backend.secret().to_hex()).expect("secret");
    let (code, stdout, stderr) = sample_wallet(&[
        "--platform",
        &w.platform,
        "--root",
        &w.root.to_string_lossy(),
        "--target",
        TARGET,
        "--app",
        w.app.as_str(),
        "--user",
        "ivy",
        "--backend",
        backend.url(),
        "--backend-secret-file",
        &secret_file.to_string_lossy(),
        "--operator-token-file",
        &token_file.to_string_lossy(),
        "--data-dir",
        &data.to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("PAID"), "{stdout}");
    let [order] = &backend.orders()[..] else {
        panic!("one order: {:?}", backend.orders());
    };
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(order.buyer, w.code("ivy").open_id);
}

#[test]
fn a_window_wallet_with_a_bad_root_fails_with_the_reason_and_writes_no_png() {
    let dir = tempfile::tempdir().expect("tempdir");
    let png = dir.path().join("never.png");
    let root = dir.path().join("root.json");
    std::fs::write(&root, b"{ not a root").expect("write");
    let secret = dir.path().join("app.secret");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--platform",
            "http://127.0.0.1:9",
            "--root",
            root.to_str().expect("utf-8"),
            "--target",
            TARGET,
            "--user",
            "u",
            "--window",
            "--screenshot",
            png.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        sample_wallet(&args)
    };
    // The built-in backend needs the app's secret on the platform.
    let (code, stdout, stderr) = run(&[]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("--app-secret-file"), "{stderr}");
    std::fs::write(&secret, "  \n").expect("write");
    let (code, _, stderr) = run(&["--app-secret-file", secret.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is empty"), "{stderr}");
    std::fs::write(&secret, "mpks_x").expect("write");
    let (code, stdout, stderr) = run(&["--app-secret-file", secret.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("trust root"), "{stderr}");
    assert!(!png.exists());
}

#[test]
fn the_sample_wallet_shows_coffee_club_in_a_window() {
    // A real WebKitGTK window under the test command's Xvfb: the update
    // manager resolves, verifies and installs from the platform, then the
    // menu renders from the merchant backend in the window.
    let w = World::new();
    let data = w.dir.join("window-wallet");
    let png = w.dir.join("wallet.png");
    let secret_file = w.dir.join("app.secret");
    std::fs::write(&secret_file, &w.app_secret.secret).expect("secret");
    let (code, stdout, stderr) = sample_wallet(&[
        "--platform",
        &w.platform,
        "--root",
        &w.root.to_string_lossy(),
        "--target",
        TARGET,
        "--app",
        w.app.as_str(),
        "--user",
        "jon",
        "--data-dir",
        &data.to_string_lossy(),
        "--app-secret-file",
        &secret_file.to_string_lossy(),
        "--window",
        "--screenshot",
        &png.to_string_lossy(),
        "--json",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["width"], 375, "{v}");
    assert!(v["colours"].as_u64().unwrap_or(0) >= 8, "blank window? {v}");
    assert!(png.is_file());
    // Installed through the update manager into the wallet's store.
    assert!(data.join("updates").join("state.json").is_file());

    // --screenshot without --window is a usage error, and nothing is written.
    let other = w.dir.join("never.png");
    let (code, _, _) = sample_wallet(&[
        "--platform",
        &w.platform,
        "--root",
        &w.root.to_string_lossy(),
        "--target",
        TARGET,
        "--user",
        "jon",
        "--screenshot",
        &other.to_string_lossy(),
    ]);
    assert_eq!(code, 2);
    assert!(!other.exists());
}
