//! What the sample wallet's payment service and the merchant backend share:
//! one secret, set up when the merchant is onboarded, and the two messages it
//! authenticates. (Who the buyer is comes from the platform instead: the
//! wallet's server asks it for an auth code, and the backend exchanges the
//! code there for the buyer's open id.)
//!
//! - **Trades** (merchant → mini program → wallet): the backend prices an
//!   order and binds its amount to the order, the buyer and the app in the
//!   `tradeNO`, so the wallet's payment sheet shows an amount nobody on the way
//!   could change, and refuses a trade that is not for the paying user.
//! - **Payment notifications** (wallet → merchant, server to server): the JSON
//!   body of `POST /notify`, signed with HMAC-SHA256 over the exact bytes in
//!   the `X-Mpkit-Signature` header (lowercase hex).
//!
//! One symmetric secret keeps the sample small; a production wallet would give
//! each side its own key pair so neither could mint the other's messages.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header that carries a notification's signature.
pub const SIGNATURE_HEADER: &str = "x-mpkit-signature";

type HmacSha256 = Hmac<Sha256>;

/// The secret the wallet and one merchant share. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedSecret([u8; 32]);

impl std::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

/// A trade the wallet accepted (its binding to app and buyer checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeClaims {
    /// The merchant's order id.
    pub order_id: String,
    /// The amount in minor units (cents).
    pub amount: u64,
}

impl SharedSecret {
    /// A fresh random secret.
    pub fn generate() -> anyhow::Result<SharedSecret> {
        let mut k = [0u8; 32];
        getrandom::getrandom(&mut k).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        Ok(SharedSecret(k))
    }

    /// A secret from 64 hex digits (as [`SharedSecret::to_hex`] writes it).
    pub fn from_hex(s: &str) -> anyhow::Result<SharedSecret> {
        let v = hex::decode(s.trim())
            .map_err(|e| anyhow::anyhow!("the shared secret is not hex: {e}"))?;
        let k: [u8; 32] = v
            .try_into()
            .map_err(|_| anyhow::anyhow!("the shared secret must be 32 bytes (64 hex digits)"))?;
        Ok(SharedSecret(k))
    }

    /// The secret as 64 hex digits, for handing to the other side.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        // 32-byte keys are always accepted by HMAC.
        let mut m = <HmacSha256 as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        for p in parts {
            m.update(p);
        }
        m
    }

    /// HMAC-SHA256 over `body`, lowercase hex: a notification's signature.
    pub fn sign_body(&self, body: &[u8]) -> String {
        hex::encode(self.mac(&[body]).finalize().into_bytes())
    }

    /// Whether `signature` (hex) is the HMAC of `body`, compared in constant time.
    pub fn verify_body(&self, body: &[u8], signature: &str) -> bool {
        match hex::decode(signature.trim()) {
            Ok(sig) => self.mac(&[body]).verify_slice(&sig).is_ok(),
            Err(_) => false,
        }
    }

    /// A domain-separated tag over fields (never confusable with a JSON body).
    fn tag(&self, purpose: &str, fields: &[&str]) -> HmacSha256 {
        let mut m = self.mac(&[b"mpkit-sample:", purpose.as_bytes()]);
        for f in fields {
            m.update(b"\n");
            m.update(f.as_bytes());
        }
        m
    }

    fn tag_hex(&self, purpose: &str, fields: &[&str], bytes: usize) -> String {
        let full = self.tag(purpose, fields).finalize().into_bytes();
        hex::encode(&full[..bytes])
    }

    fn tag_ok(&self, purpose: &str, fields: &[&str], tag: &str) -> bool {
        match hex::decode(tag) {
            Ok(t) if t.len() >= 16 => self.tag(purpose, fields).verify_truncated_left(&t).is_ok(),
            _ => false,
        }
    }

    /// The `tradeNO` for an order: its id and amount, bound to app, buyer and currency.
    pub fn trade_no(
        &self,
        app: &str,
        open_id: &str,
        order_id: &str,
        amount: u64,
        currency: &str,
    ) -> String {
        let amount_s = amount.to_string();
        let tag = self.tag_hex("trade", &[app, open_id, order_id, &amount_s, currency], 16);
        format!("{order_id}.{amount}.{tag}")
    }

    /// Checks a `tradeNO` for the paying user's open id; gives the order and amount.
    pub fn check_trade(
        &self,
        app: &str,
        open_id: &str,
        trade_no: &str,
        currency: &str,
    ) -> Result<TradeClaims, String> {
        let parts: Vec<&str> = trade_no.split('.').collect();
        let [order_id, amount, tag] = parts[..] else {
            return Err("the trade number is malformed".into());
        };
        if !self.tag_ok("trade", &[app, open_id, order_id, amount, currency], tag) {
            return Err("the trade was not created by this app's merchant for this user".into());
        }
        let amount: u64 = amount
            .parse()
            .map_err(|_| "the trade number is malformed".to_string())?;
        Ok(TradeClaims {
            order_id: order_id.to_owned(),
            amount,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SharedSecret {
        SharedSecret::generate().expect("secret")
    }

    #[test]
    fn trades_bind_amount_buyer_and_app() {
        let s = secret();
        let oid = "oid_alice";
        let t = s.trade_no("app1", oid, "ord1", 870, "USD");
        let c = s.check_trade("app1", oid, &t, "USD").expect("valid");
        assert_eq!((c.order_id.as_str(), c.amount), ("ord1", 870));
        let cheaper = t.replace(".870.", ".1.");
        assert!(s.check_trade("app1", oid, &cheaper, "USD").is_err());
        assert!(s.check_trade("app1", "oid_bob", &t, "USD").is_err());
        assert!(s.check_trade("app2", oid, &t, "USD").is_err());
    }

    #[test]
    fn body_signatures_are_hmac_sha256_hex() {
        let s = SharedSecret::from_hex(&"ab".repeat(32)).expect("hex");
        let sig = s.sign_body(b"{}");
        assert_eq!(sig.len(), 64);
        assert!(s.verify_body(b"{}", &sig));
        assert!(!s.verify_body(b"{ }", &sig));
        assert!(!s.verify_body(b"{}", "zz"));
        assert_eq!(SharedSecret::from_hex(&s.to_hex()).expect("hex"), s);
        assert!(SharedSecret::from_hex("abcd").is_err());
        assert_eq!(format!("{s:?}"), "SharedSecret(..)");
    }
}
