//! The sample wallet: a super app that embeds `mpkit-host` exactly as an
//! integrator would, through public APIs only.
//!
//! - **Trust**: its own trust root, the platform's `root.json`, loaded with
//!   [`TrustedRoot::load`]; nothing runs that its publisher role did not sign.
//! - **Updates**: every launch goes through the [`UpdateManager`] pointed at the
//!   platform: the signed answer, the pinned package, the verified install.
//! - **Its delegate** ([`HostDelegate`]): consent prompts answered from a
//!   [`ConsentPolicy`] (headless: the scopes the user grants; every other scope
//!   is refused) and every prompt recorded; a payment sheet; auth codes from
//!   the platform; the user's public profile; a fixed device location.
//! - **Auth codes**: `my.getAuthCode` asks the platform (`POST /v1/auth-codes`)
//!   as an operator of the wallet's target app, with the operator token in
//!   [`WalletConfig::platform_token`]. A real wallet would make that call from
//!   its own server; the sample is client and server in one process. The
//!   answer also carries the user's open id for the app, which the payment
//!   sheet checks trades against.
//! - **Payments**: the payment sheet shows the amount bound in the `tradeNO`
//!   by the merchant ([`crate::signing`]); on confirm the wallet debits its own
//!   ledger and sends the merchant backend the signed `POST /notify`, and
//!   `my.tradePay` reports `9000`. What JS sees stays informational: the order
//!   is paid when the backend has the notification.
//! - **A custom JSAPI**, `my.getWalletBalance`, registered with
//!   [`mpkit_host::HostBuilder::register_api`]: it needs the platform
//!   permission `getWalletBalance` and the user scope `scope.walletBalance`,
//!   so the host's dispatcher gates it like any built-in.
//! - **The network**: Coffee Club reaches the merchant backend on loopback
//!   only because the wallet names that origin in
//!   [`mpkit_host::HostBuilder::dev_origins`] and passes it in the launch
//!   query as `apiBase`.
//!
//! Headless ([`Wallet::launch`]) or in a window ([`Wallet::with_delegate`] with
//! a window's chrome, and [`Wallet::launch_on`] its surface; the
//! `sample-wallet --window` binary).

mod delegate;

use crate::backend::{MerchantLink, CURRENCY};
use anyhow::{bail, Context as _};
use delegate::WalletDelegate;
use mpkit_bundle::{AppId, Trust, TrustedRoot};
use mpkit_host::HeadlessSurface;
use mpkit_host::HostDelegate;
use mpkit_host::Isolation;
use mpkit_host::NetConfig;
use mpkit_host::Surface;
use mpkit_host::SystemInfo;
use mpkit_host::{AppHandle, Host};
use mpkit_jsapi::registry::{ApiDecl, Kind};
use mpkit_jsapi::{ApiError, Call};
use mpkit_update::{Launched, UpdateConfig, UpdateError, UpdateEvent, UpdateManager, UpdateMode};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The custom JSAPI's name (`my.getWalletBalance`), permission key and scope.
pub const BALANCE_API: &str = "getWalletBalance";
/// The user scope `my.getWalletBalance` needs.
pub const BALANCE_SCOPE: &str = "scope.walletBalance";

/// The declaration of `my.getWalletBalance`: platform permission
/// `getWalletBalance`, user scope `scope.walletBalance`, no parameters.
pub fn balance_api() -> ApiDecl {
    ApiDecl::new(
        BALANCE_API,
        Kind::Async,
        "The user's wallet balance: {balance (in cents), currency}.",
    )
    .permission(BALANCE_API)
    .scope(BALANCE_SCOPE)
}

/// How the headless user answers consent prompts: the scopes granted;
/// every other scope is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentPolicy {
    /// Scopes the user says yes to, e.g. `scope.location`.
    pub granted: BTreeSet<String>,
}

impl ConsentPolicy {
    /// A policy that grants exactly these scopes.
    pub fn granting<I: IntoIterator<Item = S>, S: Into<String>>(scopes: I) -> ConsentPolicy {
        ConsentPolicy {
            granted: scopes.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether the user grants `scope`.
    pub fn grants(&self, scope: &str) -> bool {
        self.granted.contains(scope)
    }
}

/// Everything a [`Wallet`] is set up with.
#[derive(Debug, Clone)]
pub struct WalletConfig {
    /// The platform's base URL.
    pub platform: String,
    /// This wallet's id on the platform (its target app).
    pub target_app: String,
    /// The platform's `root.json`, the wallet's trust root.
    pub root: PathBuf,
    /// Installed mini programs, user data, consent and update state.
    pub storage_dir: PathBuf,
    /// The merchant backend of one mini program, with the secret they share.
    pub merchant: Option<MerchantLink>,
    /// The token of an operator account of `target_app` on the platform,
    /// which auth codes are issued to. Without it `my.getAuthCode` fails.
    pub platform_token: Option<String>,
    /// How the headless user answers consent prompts.
    pub consent: ConsentPolicy,
    /// Whether the headless user confirms payment sheets.
    pub confirm_payments: bool,
    /// Every user's opening balance, in cents.
    pub opening_balance: u64,
    /// What `my.getLocation` reports (the headless device has no GPS).
    pub location: Value,
    /// Where mini programs' JS runs (a worker process each by default).
    pub isolation: Isolation,
    /// Network limits for mini programs (and, in tests, the name lookup).
    pub network: NetConfig,
    /// When a new version is applied (default: wait for it).
    pub update_mode: UpdateMode,
}

impl WalletConfig {
    /// Defaults: no merchant, no operator token (no auth codes), every scope refused, payments not confirmed,
    /// $50.00 for everyone, a location in Singapore, process isolation,
    /// sync updates.
    pub fn new(
        platform: impl Into<String>,
        target_app: impl Into<String>,
        root: impl Into<PathBuf>,
        storage_dir: impl Into<PathBuf>,
    ) -> WalletConfig {
        WalletConfig {
            platform: platform.into(),
            target_app: target_app.into(),
            root: root.into(),
            storage_dir: storage_dir.into(),
            merchant: None,
            platform_token: None,
            consent: ConsentPolicy::default(),
            confirm_payments: false,
            opening_balance: 5000,
            location: json!({"latitude": "1.283400", "longitude": "103.860700", "accuracy": 30}),
            isolation: Isolation::Process(Default::default()),
            network: NetConfig::default(),
            update_mode: UpdateMode::Sync,
        }
    }
}

/// One entry of the wallet's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    /// The user.
    pub user: String,
    /// The app that was paid.
    pub app_id: String,
    /// The trade.
    #[serde(rename = "tradeNO")]
    pub trade_no: String,
    /// Cents; negative is a debit.
    pub amount: i64,
}

/// The sample wallet: a host, its update manager and its delegate.
pub struct Wallet {
    host: Host,
    updates: UpdateManager,
    delegate: Rc<WalletDelegate>,
    update_events: Arc<Mutex<Vec<UpdateEvent>>>,
    update_mode: UpdateMode,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("host", &self.host)
            .field("updates", &self.updates)
            .finish_non_exhaustive()
    }
}

/// `http://127.0.0.1:<port>` and nothing else, as Coffee Club accepts it.
fn loopback_origin(url: &str) -> anyhow::Result<String> {
    let u = url::Url::parse(url).with_context(|| format!("merchant backend URL {url:?}"))?;
    let ok = u.scheme() == "http"
        && u.host() == Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
        && u.port().is_some()
        && u.path() == "/"
        && u.query().is_none()
        && u.fragment().is_none()
        && u.username().is_empty()
        && u.password().is_none();
    if !ok {
        bail!("the merchant backend must be at http://127.0.0.1:<port>, not {url:?}");
    }
    Ok(format!("http://127.0.0.1:{}", u.port().unwrap_or_default()))
}

impl Wallet {
    /// Loads the trust root, builds the host (delegate, custom API, dev
    /// origin of the merchant backend) and the update manager.
    pub fn new(config: WalletConfig) -> anyhow::Result<Wallet> {
        Wallet::with_delegate(config, |d| d)
    }

    /// As [`Wallet::new`], with the wallet's delegate wrapped by `wrap`: a
    /// window's chrome (`mpkit_webview::LaunchContext::chrome`) shows UI,
    /// consent and the payment sheet, and hands the rest to the wallet.
    pub fn with_delegate(
        config: WalletConfig,
        wrap: impl FnOnce(Rc<dyn HostDelegate>) -> Rc<dyn HostDelegate>,
    ) -> anyhow::Result<Wallet> {
        let root_bytes = std::fs::read(&config.root)
            .with_context(|| format!("reading the trust root {}", config.root.display()))?;
        let root = TrustedRoot::load(&root_bytes, time::OffsetDateTime::now_utc())
            .with_context(|| format!("loading the trust root {}", config.root.display()))?;
        let delegate = Rc::new(WalletDelegate::new(&config)?);
        let origin = delegate.merchant.as_ref().map(|m| m.url.clone());
        let ledger = delegate.clone();
        let mut builder = Host::builder()
            .trust(Trust::Root(root))
            .storage_dir(&config.storage_dir)
            .delegate(wrap(delegate.clone()))
            .isolation(config.isolation.clone())
            .network(config.network.clone())
            .system_info(SystemInfo {
                app: "mpkit Sample Wallet".into(),
                ..SystemInfo::default()
            })
            .register_api(
                balance_api(),
                move |c: &Call<'_>| -> Result<Value, ApiError> {
                    // Identity comes from the host (`c.user`), never from the payload.
                    Ok(json!({"balance": ledger.balance(c.user), "currency": CURRENCY}))
                },
            );
        if let Some(o) = origin {
            builder = builder.dev_origins([o]);
        }
        let host = builder.build()?;
        let update_events = Arc::new(Mutex::new(Vec::new()));
        let sink = update_events.clone();
        let updates = UpdateManager::new(
            &host,
            UpdateConfig::new(config.platform.clone(), config.target_app.clone()),
        )?
        .on_event(Arc::new(move |e: &UpdateEvent| {
            if !matches!(e, UpdateEvent::Downloading { .. }) {
                if let Ok(mut v) = sink.lock() {
                    v.push(e.clone());
                }
            }
        }));
        Ok(Wallet {
            host,
            updates,
            delegate,
            update_events,
            update_mode: config.update_mode,
        })
    }

    /// Launches `app` for `user` through the update manager, headless. The
    /// merchant's mini program gets `apiBase` (its backend on loopback) in
    /// its launch query.
    pub fn launch(
        &self,
        app: &AppId,
        user: &str,
    ) -> Result<Launched<HeadlessSurface>, UpdateError> {
        self.updates.launch(
            &self.host,
            app,
            user,
            self.launch_query(app),
            self.update_mode,
            HeadlessSurface::new,
        )
    }

    /// As [`Wallet::launch`], onto any surface (a window's, for one).
    pub fn launch_on<S: Surface>(
        &self,
        app: &AppId,
        user: &str,
        surface: impl FnMut() -> S,
    ) -> Result<Launched<S>, UpdateError> {
        self.updates.launch(
            &self.host,
            app,
            user,
            self.launch_query(app),
            self.update_mode,
            surface,
        )
    }

    /// The query `app` is launched with: `{apiBase}` for the merchant's app.
    pub fn launch_query(&self, app: &AppId) -> Map<String, Value> {
        let mut q = Map::new();
        if let Ok(m) = self.delegate.merchant_for(app) {
            q.insert("apiBase".into(), Value::String(m.url.clone()));
        }
        q
    }

    /// The embedded host (consent management: `grants`, `revoke`, ...).
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The update manager.
    pub fn updates(&self) -> &UpdateManager {
        &self.updates
    }

    /// Everything the mini programs asked the wallet, in order: consent
    /// prompts, UI, device requests, auth codes, payment sheets,
    /// notifications, payments.
    pub fn events(&self) -> Vec<Value> {
        self.delegate.events.borrow().clone()
    }

    /// What the update manager did, in order (download progress left out).
    pub fn update_events(&self) -> Vec<UpdateEvent> {
        self.update_events
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default()
    }

    /// `user`'s balance in cents.
    pub fn balance(&self, user: &str) -> u64 {
        self.delegate.balance(user)
    }

    /// Every debit and refund, oldest first.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.delegate.ledger.borrow().clone()
    }

    /// The user's open id for `app`, once the platform issued them a code.
    pub fn open_id(&self, user: &str, app: &AppId) -> Option<String> {
        self.delegate.open_id(app, user).ok()
    }

    /// The auth codes issued for (`user`, `app`), oldest first (the last 100).
    pub fn issued_auth_codes(&self, user: &str, app: &AppId) -> Vec<String> {
        self.delegate
            .codes
            .borrow()
            .get(&(user.to_owned(), app.to_string()))
            .cloned()
            .unwrap_or_default()
    }
}

/// How an order tapped through Coffee Club's pages ended, as its pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRun {
    /// The item ordered.
    pub item: String,
    /// How many.
    pub qty: u32,
    /// The order id the checkout page shows, if an order was created.
    pub order_id: Option<String>,
    /// The payment result the checkout page shows (informational).
    pub result_text: String,
    /// The order status the checkout page got from the merchant backend.
    pub order_status: String,
    /// The top page at the end.
    pub route: Option<String>,
}

fn step<E: std::fmt::Display>(r: Result<(), E>, what: &str) -> anyhow::Result<()> {
    r.map_err(|e| anyhow::anyhow!("{what}: {e}"))
}

/// Taps through an order in Coffee Club as a user would: the menu, the item,
/// `qty` with the stepper, add to cart, the cart, checkout, pay; then waits
/// for the payment and the order status to settle.
pub fn order_through_ui(
    h: &mut AppHandle<HeadlessSurface>,
    item: &str,
    qty: u32,
    timeout: Duration,
) -> anyhow::Result<OrderRun> {
    if !(1..=20).contains(&qty) {
        bail!("qty must be 1 to 20");
    }
    let sel = format!(".menu-item[data-id={item}]");
    step(h.wait_for(&sel, timeout), "the menu")?;
    step(h.tap(&sel), "tapping the item")?;
    step(h.wait_for(".add", timeout), "the item page")?;
    for _ in 1..qty {
        step(h.tap(".plus"), "the + button")?;
    }
    step(h.tap(".add"), "add to cart")?;
    step(h.wait_for(".link", timeout), "the cart was not saved")?;
    step(h.tap(".link"), "view cart")?;
    step(h.wait_for(".checkout", timeout), "the cart page")?;
    step(h.tap(".checkout"), "checkout")?;
    step(h.wait_for(".pay", timeout), "the checkout page")?;
    step(h.tap(".pay"), "pay")?;
    // Every outcome shows a result text (paid, cancelled, refused); then the
    // status check against the backend finishes.
    step(h.wait_for(".result-text", timeout), "the payment result")?;
    h.run_until_idle(Duration::from_millis(50), timeout);
    let text =
        |h: &AppHandle<HeadlessSurface>, s: &str| h.text(s).ok().map(|t| t.trim().to_owned());
    let status_text = text(h, ".order-status").unwrap_or_default();
    let result_text = text(h, ".result-text").unwrap_or_default();
    Ok(OrderRun {
        item: item.to_owned(),
        qty,
        order_id: text(h, ".order-id").filter(|s| !s.is_empty()),
        result_text,
        order_status: status_text,
        route: h.current_page().map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpkit_host::PayResult;

    #[test]
    fn only_exact_loopback_origins_are_accepted() {
        assert_eq!(
            loopback_origin("http://127.0.0.1:8080").expect("ok"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            loopback_origin("http://127.0.0.1:8080/").expect("ok"),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "https://127.0.0.1:8080",
            "http://localhost:8080",
            "http://10.0.0.1:8080",
            "http://127.0.0.1",
            "http://127.0.0.1:8080/api",
            "http://u@127.0.0.1:8080",
            "http://127.0.0.1:8080?x=1",
            "http://[::1]:8080",
        ] {
            assert!(loopback_origin(bad).is_err(), "{bad}");
        }
    }

    /// A delegate paying into a real backend, and an order there for `user`.
    /// Identity is not what these tests are about: the user's open id is
    /// set as an auth code would have set it, and the order is placed as
    /// the backend places it after the exchange (the identity flow runs
    /// against the real platform in `tests/wallet.rs`).
    fn shop(
        user: &str,
    ) -> (
        crate::backend::MerchantBackend,
        WalletDelegate,
        AppId,
        String,
    ) {
        let backend = crate::backend::MerchantBackend::start("http://127.0.0.1:9", "mpks_unused")
            .expect("backend");
        let mut c = WalletConfig::new("http://127.0.0.1:9", "t", "root.json", "unused");
        c.merchant = Some(backend.link());
        c.opening_balance = 1000;
        let d = WalletDelegate::new(&c).expect("delegate");
        let app = AppId::new(backend.app_id()).expect("app");
        let oid = format!("oid_{user}");
        d.open_ids
            .borrow_mut()
            .insert((user.to_owned(), app.to_string()), oid.clone());
        let order = backend
            .place_order(&oid, &json!([{"id": "latte", "qty": 2}]))
            .expect("order");
        (backend, d, app, order.trade_no)
    }

    #[test]
    fn without_an_operator_token_no_auth_code_is_issued() {
        let c = WalletConfig::new("http://127.0.0.1:9", "t", "root.json", "unused");
        let d = WalletDelegate::new(&c).expect("delegate");
        let app = AppId::new("2021000000000001").expect("app");
        let e = d
            .auth_code(&app, "alice", &["auth_base".into()])
            .expect_err("no token");
        assert!(e.contains("no platform operator token"), "{e}");
        assert!(d.open_id(&app, "alice").is_err());
    }

    #[test]
    fn a_trade_is_charged_once_and_only_to_its_buyer() {
        let (backend, d, app, trade) = shop("alice");
        assert_eq!(d.pay(&app, "alice", &trade), PayResult::Paid);
        assert_eq!(d.pay(&app, "alice", &trade), PayResult::Paid);
        assert_eq!(d.balance("alice"), 100, "charged once");
        assert_eq!(d.ledger.borrow().len(), 1);
        let orders = backend.orders();
        assert_eq!(orders[0].status, crate::backend::OrderStatus::Paid);
        // Someone else's trade, or a changed amount: refused, nothing charged.
        // Mallory, with an open id of her own, cannot pay Alice's trade.
        d.open_ids
            .borrow_mut()
            .insert(("mallory".into(), app.to_string()), "oid_mallory".into());
        assert_eq!(d.pay(&app, "mallory", &trade), PayResult::Failed);
        let cheaper = trade.replacen(".900.", ".1.", 1);
        assert_eq!(d.pay(&app, "alice", &cheaper), PayResult::Failed);
        assert_eq!(d.balance("mallory"), 1000);
        assert_eq!(d.balance("alice"), 100);
    }

    #[test]
    fn insufficient_funds_and_refused_notifications_charge_nothing() {
        let (backend, d, app, trade) = shop("bob");
        d.balances.borrow_mut().insert("bob".into(), 899);
        assert_eq!(d.pay(&app, "bob", &trade), PayResult::Failed);
        assert_eq!(d.balance("bob"), 899);
        // A trade the backend does not know (signed with its secret, for an
        // order it never made): the notification is refused and the money returned.
        let oid = d.open_id(&app, "bob").expect("open id");
        let ghost = backend
            .secret()
            .trade_no(app.as_str(), &oid, "ord-ghost", 100, CURRENCY);
        assert_eq!(d.pay(&app, "bob", &ghost), PayResult::Failed);
        assert_eq!(d.balance("bob"), 899);
        let amounts: Vec<i64> = d.ledger.borrow().iter().map(|e| e.amount).collect();
        assert_eq!(amounts, [-100, 100]);
        assert_eq!(
            backend.orders()[0].status,
            crate::backend::OrderStatus::Pending
        );
    }

    #[test]
    fn the_balance_api_is_gated_by_a_permission_and_a_scope() {
        let d = balance_api();
        assert_eq!(d.permission.as_deref(), Some(BALANCE_API));
        assert_eq!(d.scope.as_deref(), Some(BALANCE_SCOPE));
    }
}
