//! Coffee Club's merchant backend: a small real HTTP server (axum) with the
//! menu and the orders, as Coffee Club calls it.
//!
//! | endpoint | what |
//! |---|---|
//! | `GET /menu` | `{items: [{id, name, price, image, desc}]}`, prices in cents |
//! | `POST /orders` | `{authCode, items: [{id, qty}]}` → `{orderId, tradeNO, total}`. The backend prices the order from its own menu. Unknown ids, quantities outside 1..=20, repeated ids and empty carts are 400; the auth code is exchanged at the platform (`POST /v1/auth-codes/exchange`, with this backend's app secret) for the buyer's open id, after the cart is priced, so a bad cart spends no code; a code the platform refuses (not this app's, used, expired, made up) is 401 `bad_auth_code`, and a platform that is down or refuses the app secret is 502 `platform_unavailable`. Errors are `{code, message}`. |
//! | `GET /orders/{id}` | `{orderId, status: PENDING\|PAID\|CLOSED, total}` |
//! | `POST /notify` | the payment notification from the wallet's payment service, signed with HMAC-SHA256 over the body ([`crate::signing`]); a bad or missing signature is 401 and changes nothing |
//!
//! Orders live in memory behind a mutex. The server runs on its own tokio
//! runtime on 127.0.0.1 and stops when the [`MerchantBackend`] is dropped.

use crate::signing::{SharedSecret, SIGNATURE_HEADER};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mpkit_platform_client::Client;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Coffee Club's appId (as in `miniprogram/app.json`).
pub const COFFEE_CLUB_APP_ID: &str = "2021000000000001";

/// The currency every price is in.
pub const CURRENCY: &str = "USD";

/// The most of one item per order, and the most lines per order.
pub const MAX_QTY: u64 = 20;
const MAX_LINES: usize = 50;

/// One item on the menu; the price is in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MenuItem {
    /// Stable id, as the mini program sends it back.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Price in cents.
    pub price: u64,
    /// A path inside the mini program's bundle.
    pub image: String,
    /// One line of description.
    pub desc: String,
}

/// The backend's menu. It has one item the mini program's built-in menu
/// lacks (`flat-white`), which shows where a menu came from.
pub fn menu() -> Vec<MenuItem> {
    let item = |id: &str, name: &str, price: u64, image: &str, desc: &str| MenuItem {
        id: id.into(),
        name: name.into(),
        price,
        image: image.into(),
        desc: desc.into(),
    };
    vec![
        item(
            "espresso",
            "Espresso",
            300,
            "/assets/espresso.svg",
            "A double shot of our house blend.",
        ),
        item(
            "latte",
            "Caffe Latte",
            450,
            "/assets/latte.svg",
            "Espresso with steamed milk and a thin layer of foam.",
        ),
        item(
            "cappuccino",
            "Cappuccino",
            420,
            "/assets/cappuccino.svg",
            "Equal parts espresso, steamed milk and foam.",
        ),
        item(
            "flat-white",
            "Flat White",
            440,
            "/assets/placeholder.svg",
            "Ristretto with velvety microfoam. Today only.",
        ),
        item(
            "mocha",
            "Mocha",
            480,
            "/assets/mocha.svg",
            "Espresso, dark chocolate and steamed milk.",
        ),
        item(
            "cold-brew",
            "Cold Brew",
            400,
            "/assets/cold-brew.svg",
            "Steeped for 18 hours, served over ice.",
        ),
        item(
            "croissant",
            "Butter Croissant",
            350,
            "/assets/croissant.svg",
            "Baked every morning.",
        ),
    ]
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OrderStatus {
    /// Created; no payment notification yet.
    Pending,
    /// The wallet's payment service notified a successful payment.
    Paid,
    /// The wallet's payment service notified that the trade was closed unpaid.
    Closed,
}

impl OrderStatus {
    /// `PENDING`, `PAID` or `CLOSED`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Paid => "PAID",
            OrderStatus::Closed => "CLOSED",
        }
    }
}

/// One priced line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderLine {
    /// The menu item.
    pub id: String,
    /// How many.
    pub qty: u64,
    /// The unit price in cents, from the backend's menu.
    pub price: u64,
}

/// An order as the backend keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The order's id.
    pub order_id: String,
    /// The trade number the mini program pays with.
    #[serde(rename = "tradeNO")]
    pub trade_no: String,
    /// The buyer's open id (from the auth code).
    pub buyer: String,
    /// What was ordered, priced by the backend.
    pub lines: Vec<OrderLine>,
    /// The total in cents.
    pub total: u64,
    /// Where it stands.
    pub status: OrderStatus,
    /// The notification that changed its status last, if any.
    pub notify_id: Option<String>,
}

/// How a [`MerchantBackend`] is set up.
#[derive(Clone)]
pub struct BackendConfig {
    /// The mini program it serves (auth codes and trades are bound to it).
    pub app_id: String,
    /// The secret shared with the wallet's payment service (trades and
    /// payment notifications).
    pub secret: SharedSecret,
    /// The platform's base URL, where auth codes are exchanged.
    pub platform: String,
    /// This mini program's app secret on the platform (`mpkit app secret create`).
    pub app_secret: String,
}

impl std::fmt::Debug for BackendConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendConfig")
            .field("app_id", &self.app_id)
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

impl BackendConfig {
    /// Coffee Club, with a fresh shared secret, exchanging auth codes at
    /// `platform` with `app_secret`.
    pub fn coffee_club(
        platform: impl Into<String>,
        app_secret: impl Into<String>,
    ) -> anyhow::Result<BackendConfig> {
        Ok(BackendConfig {
            app_id: COFFEE_CLUB_APP_ID.into(),
            secret: SharedSecret::generate()?,
            platform: platform.into(),
            app_secret: app_secret.into(),
        })
    }
}

/// What a wallet needs to work with a merchant backend: the app it serves,
/// where it listens, and the secret they share. Hand it to
/// [`crate::wallet::WalletConfig::merchant`].
#[derive(Debug, Clone)]
pub struct MerchantLink {
    /// The mini program's appId.
    pub app_id: String,
    /// The backend's base URL, `http://127.0.0.1:<port>`.
    pub url: String,
    /// The shared secret.
    pub secret: SharedSecret,
}

#[derive(Debug, Default)]
struct Orders {
    by_id: BTreeMap<String, Order>,
}

#[derive(Clone)]
struct AppState {
    app_id: Arc<str>,
    secret: SharedSecret,
    /// The platform, with this backend's app secret as the bearer token.
    platform: Client,
    orders: Arc<Mutex<Orders>>,
    menu: Arc<Vec<MenuItem>>,
}

/// The running merchant backend. Dropping it stops the server.
#[derive(Debug)]
pub struct MerchantBackend {
    url: String,
    config: BackendConfig,
    orders: Arc<Mutex<Orders>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    rt: Option<tokio::runtime::Runtime>,
}

impl MerchantBackend {
    /// Starts Coffee Club's backend on `127.0.0.1:0` with a fresh shared
    /// secret, exchanging auth codes at `platform` with `app_secret`.
    pub fn start(platform: &str, app_secret: &str) -> anyhow::Result<MerchantBackend> {
        MerchantBackend::start_with(BackendConfig::coffee_club(platform, app_secret)?)
    }

    /// Starts a backend with this configuration on `127.0.0.1:0`.
    pub fn start_with(config: BackendConfig) -> anyhow::Result<MerchantBackend> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("merchant-backend")
            .enable_all()
            .build()?;
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let url = format!("http://{}", listener.local_addr()?);
        let orders = Arc::new(Mutex::new(Orders::default()));
        let state = AppState {
            app_id: config.app_id.as_str().into(),
            secret: config.secret.clone(),
            platform: Client::with_config(
                &config.platform,
                Some(config.app_secret.clone()),
                mpkit_platform_client::Config {
                    timeout: std::time::Duration::from_secs(5),
                    ..Default::default()
                },
            )?,
            orders: orders.clone(),
            menu: Arc::new(menu()),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(state);
        rt.spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(MerchantBackend {
            url,
            config,
            orders,
            stop: Some(stop),
            rt: Some(rt),
        })
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The appId it serves.
    pub fn app_id(&self) -> &str {
        &self.config.app_id
    }

    /// Every order, oldest id first.
    pub fn orders(&self) -> Vec<Order> {
        self.lock().by_id.values().cloned().collect()
    }

    /// One order.
    pub fn order(&self, id: &str) -> Option<Order> {
        self.lock().by_id.get(id).cloned()
    }

    /// The secret it shares with the wallet.
    pub fn secret(&self) -> &SharedSecret {
        &self.config.secret
    }

    /// What a wallet needs to work with this backend.
    pub fn link(&self) -> MerchantLink {
        MerchantLink {
            app_id: self.config.app_id.clone(),
            url: self.url.clone(),
            secret: self.config.secret.clone(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Orders> {
        self.orders.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Places an order for `buyer` (an open id) as `POST /orders` would after
    /// the auth code exchange: for the wallet's own tests of payment, which
    /// are not about identity.
    #[cfg(test)]
    pub(crate) fn place_order(&self, buyer: &str, items: &Value) -> Result<Order, String> {
        let (lines, total) = price(&menu(), items)?;
        open_order(
            &self.config.app_id,
            &self.config.secret,
            &self.orders,
            buyer.to_owned(),
            lines,
            total,
        )
    }
}

impl Drop for MerchantBackend {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(rt) = self.rt.take() {
            // Safe from any context, async or not.
            rt.shutdown_background();
        }
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/menu", get(get_menu))
        .route("/orders", post(create_order))
        .route("/orders/{id}", get(get_order))
        .route("/notify", post(notify))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"code": code, "message": message.into()})),
    )
        .into_response()
}

fn bad(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "bad_request", message)
}

fn random_id(prefix: &str) -> Result<String, String> {
    let mut b = [0u8; 8];
    getrandom::getrandom(&mut b).map_err(|e| format!("no randomness: {e}"))?;
    Ok(format!("{prefix}{}", hex::encode(b)))
}

impl AppState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Orders> {
        self.orders.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn get_menu(State(s): State<AppState>) -> Response {
    Json(json!({"items": *s.menu})).into_response()
}

/// Prices `items` from the menu, or says what is wrong with them.
fn price(menu: &[MenuItem], items: &Value) -> Result<(Vec<OrderLine>, u64), String> {
    let items = items
        .as_array()
        .ok_or("items must be an array of {id, qty}")?;
    if items.is_empty() {
        return Err("the cart is empty".into());
    }
    if items.len() > MAX_LINES {
        return Err(format!("at most {MAX_LINES} lines per order"));
    }
    let mut lines: Vec<OrderLine> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let id = it
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("items[{i}].id must be a string"))?;
        let qty = it
            .get("qty")
            .and_then(Value::as_u64)
            .filter(|q| (1..=MAX_QTY).contains(q))
            .ok_or_else(|| format!("items[{i}].qty must be a whole number from 1 to {MAX_QTY}"))?;
        let m = menu
            .iter()
            .find(|m| m.id == id)
            .ok_or_else(|| format!("{id:?} is not on the menu"))?;
        if lines.iter().any(|l| l.id == id) {
            return Err(format!("{id:?} is listed twice"));
        }
        lines.push(OrderLine {
            id: m.id.clone(),
            qty,
            price: m.price,
        });
    }
    let total = lines.iter().map(|l| l.qty * l.price).sum();
    Ok((lines, total))
}

async fn create_order(State(s): State<AppState>, body: axum::body::Bytes) -> Response {
    let req: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return bad("the body must be a JSON object {authCode, items}"),
    };
    let Some(code) = req.get("authCode").and_then(Value::as_str) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "bad_auth_code",
            "authCode is required",
        );
    };
    // Priced first: a cart that is refused spends no code.
    let (lines, total) = match price(&s.menu, req.get("items").unwrap_or(&Value::Null)) {
        Ok(x) => x,
        Err(e) => return bad(e),
    };
    // The platform says who the code stands for, once.
    let buyer = match s.platform.exchange_auth_code(code).await {
        Ok(who) if who.app_id == *s.app_id => who.open_id,
        Ok(who) => {
            return error(
                StatusCode::BAD_GATEWAY,
                "platform_unavailable",
                format!("the platform answered for another app ({})", who.app_id),
            )
        }
        Err(e) if e.code() == "invalid_grant" => return error(
            StatusCode::UNAUTHORIZED,
            "bad_auth_code",
            "the platform refused the auth code: not issued for this app, already used, or expired",
        ),
        Err(e) => {
            tracing::warn!(error = %e, "exchanging an auth code");
            return error(
                StatusCode::BAD_GATEWAY,
                "platform_unavailable",
                "the platform could not exchange the auth code",
            );
        }
    };
    match open_order(&s.app_id, &s.secret, &s.orders, buyer, lines, total) {
        Ok(o) => Json(
            json!({"orderId": o.order_id, "tradeNO": o.trade_no, "total": o.total, "currency": CURRENCY}),
        )
        .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e),
    }
}

/// Records a new pending order for `buyer`, its trade number binding the
/// total to the order, the buyer and the app.
fn open_order(
    app_id: &str,
    secret: &SharedSecret,
    orders: &Mutex<Orders>,
    buyer: String,
    lines: Vec<OrderLine>,
    total: u64,
) -> Result<Order, String> {
    let order_id = random_id("ord")?;
    let order = Order {
        trade_no: secret.trade_no(app_id, &buyer, &order_id, total, CURRENCY),
        order_id: order_id.clone(),
        buyer,
        lines,
        total,
        status: OrderStatus::Pending,
        notify_id: None,
    };
    orders
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .by_id
        .insert(order_id, order.clone());
    Ok(order)
}

async fn get_order(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    match s.lock().by_id.get(&id) {
        Some(o) => Json(json!({"orderId": o.order_id, "status": o.status, "total": o.total}))
            .into_response(),
        None => error(StatusCode::NOT_FOUND, "not_found", "no such order"),
    }
}

/// The payment notification from the wallet's payment service.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    notify_id: String,
    app_id: String,
    #[serde(rename = "tradeNO")]
    trade_no: String,
    order_id: String,
    trade_status: String,
    total_amount: u64,
    currency: String,
    buyer_open_id: String,
}

async fn notify(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // Authenticate before reading anything: a bad signature changes nothing.
    let sig = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !s.secret.verify_body(&body, sig) {
        return error(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "the notification is not signed by the wallet's payment service",
        );
    }
    let n: Notification = match serde_json::from_slice(&body) {
        Ok(n) => n,
        Err(e) => return bad(format!("malformed notification: {e}")),
    };
    if n.app_id != *s.app_id {
        return bad("the notification is for another app");
    }
    let mut o = s.lock();
    let Some(order) = o.by_id.get_mut(&n.order_id) else {
        return error(StatusCode::NOT_FOUND, "not_found", "no such order");
    };
    if order.trade_no != n.trade_no
        || order.total != n.total_amount
        || order.buyer != n.buyer_open_id
        || n.currency != CURRENCY
    {
        return bad("the notification does not match the order's trade, amount or buyer");
    }
    let next = match n.trade_status.as_str() {
        "TRADE_SUCCESS" => OrderStatus::Paid,
        "TRADE_CLOSED" => OrderStatus::Closed,
        other => return bad(format!("unknown tradeStatus {other:?}")),
    };
    match (order.status, next) {
        (OrderStatus::Pending, _) => {
            order.status = next;
            order.notify_id = Some(n.notify_id);
        }
        // Notifications are retried: the same news again is fine.
        (now, next) if now == next => {}
        (now, _) => {
            return error(
                StatusCode::CONFLICT,
                "conflict",
                format!("the order is already {}", now.as_str()),
            )
        }
    }
    Json(json!({"ok": true, "orderId": order.order_id, "status": order.status})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pricing_uses_the_menu_and_refuses_bad_carts() {
        let m = menu();
        let (lines, total) = price(
            &m,
            &json!([{"id": "latte", "qty": 2}, {"id": "croissant", "qty": 1}]),
        )
        .expect("priced");
        assert_eq!(lines.len(), 2);
        assert_eq!(total, 2 * 450 + 350);
        for (items, want) in [
            (json!([]), "empty"),
            (json!({}), "array"),
            (json!([{"id": "caviar", "qty": 1}]), "not on the menu"),
            (json!([{"id": "latte", "qty": 0}]), "1 to 20"),
            (json!([{"id": "latte", "qty": 21}]), "1 to 20"),
            (json!([{"id": "latte", "qty": 1.5}]), "1 to 20"),
            (json!([{"id": "latte", "qty": -1}]), "1 to 20"),
            (json!([{"id": "latte", "qty": "2"}]), "1 to 20"),
            (json!([{"id": 7, "qty": 1}]), "string"),
            (
                json!([{"id": "latte", "qty": 1}, {"id": "latte", "qty": 1}]),
                "twice",
            ),
        ] {
            let e = price(&m, &items).expect_err("refused");
            assert!(e.contains(want), "{items}: {e}");
        }
    }

    #[test]
    fn the_app_id_is_coffee_clubs() {
        // In mpkit.json: app.json holds only Alipay's fields.
        let text = std::fs::read_to_string(crate::miniprogram_dir().join("mpkit.json"))
            .expect("mpkit.json");
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["appId"], COFFEE_CLUB_APP_ID);
        let app =
            std::fs::read_to_string(crate::miniprogram_dir().join("app.json")).expect("app.json");
        let app: Value = serde_json::from_str(&app).expect("json");
        assert!(app.get("appId").is_none(), "{app}");
    }
}
