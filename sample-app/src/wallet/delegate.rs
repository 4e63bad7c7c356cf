//! The sample wallet's [`HostDelegate`]: consent from its policy, the
//! payment sheet over its own ledger, auth codes from the platform, the
//! user's public profile and a fixed location. Every request is recorded.

use super::{loopback_origin, ConsentPolicy, LedgerEntry, WalletConfig};
use crate::backend::{MerchantLink, CURRENCY};
use crate::signing::SIGNATURE_HEADER;
use anyhow::Context as _;
use mpkit_bundle::AppId;
use mpkit_host::{
    DeviceRequest, HostDelegate, PayResult, ScriptError, Stopped, UiReply, UiRequest,
};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
/// The platform, as the wallet's server calls it for auth codes.
pub(super) struct Issuer {
    pub(super) client: mpkit_platform_client::Client,
    pub(super) target: String,
    pub(super) rt: tokio::runtime::Runtime,
}

pub(super) struct WalletDelegate {
    pub(super) merchant: Option<MerchantLink>,
    pub(super) issuer: Option<Issuer>,
    /// Each (user, app)'s open id, as the platform named it with a code.
    pub(super) open_ids: RefCell<BTreeMap<(String, String), String>>,
    pub(super) consent: ConsentPolicy,
    pub(super) confirm_payments: bool,
    pub(super) opening_balance: u64,
    pub(super) location: Value,
    pub(super) http: Option<reqwest::blocking::Client>,
    pub(super) balances: RefCell<BTreeMap<String, u64>>,
    pub(super) ledger: RefCell<Vec<LedgerEntry>>,
    /// Trades paid (debited and not refunded).
    pub(super) settled: RefCell<BTreeSet<String>>,
    pub(super) codes: RefCell<BTreeMap<(String, String), Vec<String>>>,
    pub(super) events: RefCell<Vec<Value>>,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl WalletDelegate {
    pub(super) fn new(config: &WalletConfig) -> anyhow::Result<WalletDelegate> {
        let mut merchant = config.merchant.clone();
        let http = match &mut merchant {
            Some(m) => {
                m.url = loopback_origin(&m.url)?;
                Some(
                    reqwest::blocking::Client::builder()
                        .no_proxy()
                        .timeout(Duration::from_secs(5))
                        .build()
                        .context("the wallet's HTTP client")?,
                )
            }
            None => None,
        };
        let issuer = match &config.platform_token {
            Some(token) => Some(Issuer {
                client: mpkit_platform_client::Client::with_config(
                    &config.platform,
                    Some(token.clone()),
                    mpkit_platform_client::Config {
                        timeout: Duration::from_secs(5),
                        ..Default::default()
                    },
                )
                .context("the platform client for auth codes")?,
                target: config.target_app.clone(),
                rt: tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("the runtime for auth codes")?,
            }),
            None => None,
        };
        Ok(WalletDelegate {
            merchant,
            issuer,
            open_ids: RefCell::new(BTreeMap::new()),
            consent: config.consent.clone(),
            confirm_payments: config.confirm_payments,
            opening_balance: config.opening_balance,
            location: config.location.clone(),
            http,
            balances: RefCell::new(BTreeMap::new()),
            ledger: RefCell::new(Vec::new()),
            settled: RefCell::new(BTreeSet::new()),
            codes: RefCell::new(BTreeMap::new()),
            events: RefCell::new(Vec::new()),
        })
    }

    pub(super) fn log(&self, v: Value) {
        let mut e = self.events.borrow_mut();
        if e.len() < 10_000 {
            e.push(v);
        }
    }

    pub(super) fn balance(&self, user: &str) -> u64 {
        self.balances
            .borrow()
            .get(user)
            .copied()
            .unwrap_or(self.opening_balance)
    }

    /// The user's open id for `app`, as the platform named it with a code.
    pub(super) fn open_id(&self, app: &AppId, user: &str) -> Result<String, String> {
        self.open_ids
            .borrow()
            .get(&(user.to_owned(), app.to_string()))
            .cloned()
            .ok_or_else(|| format!("{user} has no open id for {app}: no auth code was issued"))
    }

    pub(super) fn merchant_for(&self, app: &AppId) -> Result<&MerchantLink, String> {
        self.merchant
            .as_ref()
            .filter(|m| m.app_id == app.as_str())
            .ok_or_else(|| format!("no merchant backend is set up for {app}"))
    }

    /// Sends the signed notification; retried on network errors.
    pub(super) fn notify(&self, m: &MerchantLink, body: &[u8]) -> Result<u16, String> {
        let http = self.http.as_ref().ok_or("no HTTP client")?;
        let sig = m.secret.sign_body(body);
        let mut last = String::new();
        for attempt in 0..3 {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(100 * attempt));
            }
            match http
                .post(format!("{}/notify", m.url))
                .header("content-type", "application/json")
                .header(SIGNATURE_HEADER, &sig)
                .body(body.to_vec())
                .send()
            {
                Ok(r) => return Ok(r.status().as_u16()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(last)
    }

    pub(super) fn settle(
        &self,
        app: &AppId,
        user: &str,
        trade_no: &str,
    ) -> Result<PayResult, String> {
        let m = self.merchant_for(app)?;
        let open_id = self.open_id(app, user)?;
        let trade = m
            .secret
            .check_trade(app.as_str(), &open_id, trade_no, CURRENCY)?;
        if self.settled.borrow().contains(trade_no) {
            // Paid already (a second tap, a retried call): never charged twice.
            self.log(json!({"event": "alreadyPaid", "app": app.as_str(), "tradeNO": trade_no}));
            return Ok(PayResult::Paid);
        }
        let mut id = [0u8; 8];
        getrandom::getrandom(&mut id).map_err(|e| e.to_string())?;
        let before = self.balance(user);
        let Some(after) = before.checked_sub(trade.amount) else {
            return Err(format!(
                "insufficient funds: {} cents for a payment of {}",
                before, trade.amount
            ));
        };
        self.balances.borrow_mut().insert(user.to_owned(), after);
        self.settled.borrow_mut().insert(trade_no.to_owned());
        let entry = LedgerEntry {
            user: user.to_owned(),
            app_id: app.to_string(),
            trade_no: trade_no.to_owned(),
            amount: -(trade.amount as i64),
        };
        self.ledger.borrow_mut().push(entry);
        let body = json!({
            "notifyId": format!("ntf{}", hex::encode(id)),
            "appId": app.as_str(),
            "tradeNO": trade_no,
            "orderId": trade.order_id,
            "tradeStatus": "TRADE_SUCCESS",
            "totalAmount": trade.amount,
            "currency": CURRENCY,
            "buyerOpenId": open_id,
            "gmtPayment": now_secs(),
        })
        .to_string();
        match self.notify(m, body.as_bytes()) {
            Ok(status) if (200..300).contains(&status) => {
                self.log(json!({"event": "notify", "app": app.as_str(), "tradeNO": trade_no, "status": status}));
                Ok(PayResult::Paid)
            }
            Ok(status) => {
                // The merchant refused the payment: give the money back.
                self.balances.borrow_mut().insert(user.to_owned(), before);
                self.settled.borrow_mut().remove(trade_no);
                self.ledger.borrow_mut().push(LedgerEntry {
                    user: user.to_owned(),
                    app_id: app.to_string(),
                    trade_no: trade_no.to_owned(),
                    amount: trade.amount as i64,
                });
                Err(format!(
                    "the merchant refused the notification (HTTP {status}); refunded"
                ))
            }
            Err(e) => {
                // Paid, but the merchant has not heard yet: JS sees "processing".
                self.log(json!({"event": "notify", "app": app.as_str(), "tradeNO": trade_no, "error": e}));
                Ok(PayResult::Processing)
            }
        }
    }
}

impl HostDelegate for WalletDelegate {
    fn app_stopped(&self, app: &AppId, reason: &Stopped) {
        self.log(json!({"event": "stopped", "app": app.as_str(), "reason": reason.to_string()}));
    }
    fn app_error(&self, app: &AppId, error: &ScriptError) {
        self.log(json!({"event": "error", "app": app.as_str(), "message": error.message}));
    }
    fn ask_consent(&self, app: &AppId, scope: &str) -> bool {
        let granted = self.consent.grants(scope);
        self.log(
            json!({"event": "consent", "app": app.as_str(), "scope": scope, "granted": granted}),
        );
        granted
    }
    fn open_setting(
        &self,
        app: &AppId,
        current: &BTreeMap<String, bool>,
    ) -> BTreeMap<String, bool> {
        // The headless user sets every shown scope to what the policy says.
        let next: BTreeMap<String, bool> = current
            .keys()
            .map(|s| (s.clone(), self.consent.grants(s)))
            .collect();
        self.log(
            json!({"event": "openSetting", "app": app.as_str(), "before": current, "after": next}),
        );
        next
    }
    fn ui(&self, app: &AppId, request: &UiRequest) -> UiReply {
        self.log(json!({"event": "ui", "app": app.as_str(), "request": request}));
        UiReply::cancelled(request)
    }
    fn device(&self, app: &AppId, request: &DeviceRequest) -> Result<Value, String> {
        self.log(json!({"event": "device", "app": app.as_str(), "request": request}));
        match request {
            DeviceRequest::Location => Ok(self.location.clone()),
            _ => Err("not available on this headless wallet".into()),
        }
    }
    fn auth_code(&self, app: &AppId, user: &str, scopes: &[String]) -> Result<String, String> {
        let p = self
            .issuer
            .as_ref()
            .ok_or("this wallet has no platform operator token to issue auth codes")?;
        let req = mpkit_platform_client::wire::NewAuthCode {
            app_id: app.to_string(),
            target_app: p.target.clone(),
            user_id: user.to_owned(),
            scopes: scopes.to_vec(),
        };
        let issued =
            p.rt.block_on(p.client.issue_auth_code(&req))
                .map_err(|e| format!("the platform issued no auth code: {e}"))?;
        self.open_ids
            .borrow_mut()
            .insert((user.to_owned(), app.to_string()), issued.open_id);
        let code = issued.auth_code;
        let mut codes = self.codes.borrow_mut();
        let list = codes.entry((user.to_owned(), app.to_string())).or_default();
        if list.len() >= 100 {
            list.remove(0);
        }
        list.push(code.clone());
        self.log(json!({"event": "authCode", "app": app.as_str(), "user": user, "scopes": scopes}));
        Ok(code)
    }
    fn open_user_info(&self, app: &AppId, user: &str) -> Result<Value, String> {
        self.log(json!({"event": "openUserInfo", "app": app.as_str(), "user": user}));
        let nick: String = user.chars().take(32).collect();
        Ok(json!({"nickName": nick, "avatar": "", "countryCode": "SG"}))
    }
    fn confirm_payment(&self, app: &AppId, user: &str, trade_no: &str) -> bool {
        // The sheet shows what the merchant bound into the trade, or why it cannot be paid.
        let shown = self.merchant_for(app).and_then(|m| {
            let oid = self.open_id(app, user)?;
            m.secret.check_trade(app.as_str(), &oid, trade_no, CURRENCY)
        });
        let confirmed = self.confirm_payments;
        match shown {
            Ok(t) => self.log(json!({"event": "paymentSheet", "app": app.as_str(), "user": user, "tradeNO": trade_no,
                "amount": t.amount, "currency": CURRENCY, "balance": self.balance(user), "confirmed": confirmed})),
            Err(e) => self.log(json!({"event": "paymentSheet", "app": app.as_str(), "user": user, "tradeNO": trade_no,
                "error": e, "confirmed": confirmed})),
        }
        confirmed
    }
    fn pay(&self, app: &AppId, user: &str, trade_no: &str) -> PayResult {
        let r = self.settle(app, user, trade_no).unwrap_or_else(|e| {
            self.log(json!({"event": "paymentFailed", "app": app.as_str(), "tradeNO": trade_no, "error": e}));
            PayResult::Failed
        });
        self.log(
            json!({"event": "pay", "app": app.as_str(), "user": user, "tradeNO": trade_no,
            "resultCode": r.code(), "balance": self.balance(user)}),
        );
        r
    }
}
