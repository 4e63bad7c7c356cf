//! What the sample wallet and the merchant backend share: one secret, set up
//! when the merchant is onboarded, and the three messages it authenticates.
//!
//! - **Auth codes** (wallet → mini program → merchant): minted by the wallet for
//!   (app, user), random, single-use, expiring in five minutes. A code carries
//!   the user's *open id* for that app (an app-scoped pseudonym, never the
//!   wallet's own user id) and an HMAC, so the backend can tell a code the
//!   wallet issued from anything else, and learn who placed the order.
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

/// How long an auth code is valid, in seconds.
pub const AUTH_CODE_TTL_SECS: u64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// The secret the wallet and one merchant share. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedSecret([u8; 32]);

impl std::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

/// An auth code the backend accepted (its signature and expiry checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCodeClaims {
    /// The random part: what single use is tracked by.
    pub nonce: String,
    /// The user's open id for this app.
    pub open_id: String,
    /// Unix seconds after which the code is refused.
    pub expires: u64,
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

    /// The user's open id for `app`: stable, app-scoped, and not the user id.
    pub fn open_id(&self, app: &str, user: &str) -> String {
        format!("oid{}", self.tag_hex("openid", &[app, user], 12))
    }

    /// Mints an auth code for (`app`, `user`) valid until `now + AUTH_CODE_TTL_SECS`.
    pub fn mint_auth_code(&self, app: &str, user: &str, now: u64) -> anyhow::Result<String> {
        let mut n = [0u8; 12];
        getrandom::getrandom(&mut n).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let nonce = hex::encode(n);
        let open_id = self.open_id(app, user);
        let expires = (now + AUTH_CODE_TTL_SECS).to_string();
        let tag = self.tag_hex("authcode", &[app, &open_id, &nonce, &expires], 16);
        Ok(format!("ac.{nonce}.{expires}.{open_id}.{tag}"))
    }

    /// Checks an auth code for `app` at `now`: its form, its signature and its
    /// expiry. Single use is the caller's to enforce (by `nonce`).
    pub fn check_auth_code(
        &self,
        app: &str,
        code: &str,
        now: u64,
    ) -> Result<AuthCodeClaims, String> {
        let parts: Vec<&str> = code.split('.').collect();
        let [prefix, nonce, expires, open_id, tag] = parts[..] else {
            return Err("the auth code is malformed".into());
        };
        let well_formed = prefix == "ac"
            && nonce.len() == 24
            && nonce.bytes().all(|b| b.is_ascii_hexdigit())
            && open_id.starts_with("oid")
            && open_id.len() <= 64;
        if !well_formed {
            return Err("the auth code is malformed".into());
        }
        if !self.tag_ok("authcode", &[app, open_id, nonce, expires], tag) {
            return Err("the auth code was not issued by the wallet for this app".into());
        }
        let expires: u64 = expires
            .parse()
            .map_err(|_| "the auth code is malformed".to_string())?;
        if now > expires {
            return Err("the auth code has expired".into());
        }
        Ok(AuthCodeClaims {
            nonce: nonce.to_owned(),
            open_id: open_id.to_owned(),
            expires,
        })
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
    fn auth_codes_verify_once_minted_and_not_otherwise() {
        let s = secret();
        let code = s.mint_auth_code("app1", "alice", 1000).expect("code");
        let c = s.check_auth_code("app1", &code, 1100).expect("valid");
        assert_eq!(c.open_id, s.open_id("app1", "alice"));
        assert!(!c.open_id.contains("alice"));
        // Another app, another secret, expired, or tampered: refused.
        assert!(s.check_auth_code("app2", &code, 1100).is_err());
        assert!(secret().check_auth_code("app1", &code, 1100).is_err());
        assert!(s
            .check_auth_code("app1", &code, 1000 + AUTH_CODE_TTL_SECS + 1)
            .is_err());
        let forged = code.replace(&s.open_id("app1", "alice"), &s.open_id("app1", "bob"));
        assert!(s.check_auth_code("app1", &forged, 1100).is_err());
        assert!(s
            .check_auth_code("app1", "headless-1-abcdef", 1100)
            .is_err());
        // Two codes for the same user differ.
        assert_ne!(code, s.mint_auth_code("app1", "alice", 1000).expect("code"));
    }

    #[test]
    fn trades_bind_amount_buyer_and_app() {
        let s = secret();
        let oid = s.open_id("app1", "alice");
        let t = s.trade_no("app1", &oid, "ord1", 870, "USD");
        let c = s.check_trade("app1", &oid, &t, "USD").expect("valid");
        assert_eq!((c.order_id.as_str(), c.amount), ("ord1", 870));
        let cheaper = t.replace(".870.", ".1.");
        assert!(s.check_trade("app1", &oid, &cheaper, "USD").is_err());
        let bob = s.open_id("app1", "bob");
        assert!(s.check_trade("app1", &bob, &t, "USD").is_err());
        assert!(s.check_trade("app2", &oid, &t, "USD").is_err());
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
