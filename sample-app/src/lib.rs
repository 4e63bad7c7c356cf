//! # mpkit-sample-app
//!
//! The samples that show mpkit as an integrator and a merchant would use it:
//!
//! - **Coffee Club** (`miniprogram/`, [`miniprogram_dir`]): the sample mini
//!   program: menu, item, cart, checkout with `my.tradePay`, profile with the
//!   wallet balance, "find a store near me" with `my.getLocation`.
//! - **The merchant backend** ([`backend::MerchantBackend`]): Coffee Club's
//!   server, a real HTTP server on 127.0.0.1 (`GET /menu`, `POST /orders`,
//!   `GET /orders/{id}`, the signed `POST /notify`).
//! - **The sample wallet** ([`wallet::Wallet`], and the `sample-wallet`
//!   binary): a super app that embeds `mpkit-host` with its own trust root,
//!   delegate, payment sheet, auth codes, a custom JSAPI
//!   (`my.getWalletBalance`) and the update manager.
//! - **What wallet and merchant share** ([`signing`]): one secret, and the
//!   trades and payment notifications it authenticates. Who the buyer is
//!   comes from the platform: the wallet asks it for auth codes as an
//!   operator of its target app, and the backend exchanges them there with
//!   the mini program's app secret.
//!
//! ```no_run
//! use mpkit_sample_app::backend::MerchantBackend;
//! use mpkit_sample_app::wallet::{order_through_ui, ConsentPolicy, Wallet, WalletConfig};
//! # fn main() -> anyhow::Result<()> {
//! mpkit_host::enter_if_worker(); // first thing in main
//! // The app secret from `mpkit app secret create`, the operator token of an
//! // account named with `mpkit target operator add`.
//! let backend = MerchantBackend::start("http://127.0.0.1:8080", "mpks_…")?;
//! let mut config = WalletConfig::new("http://127.0.0.1:8080", "demo.wallet", "root.json", "wallet-data");
//! config.merchant = Some(backend.link());
//! config.platform_token = Some("mpk_…".into());
//! config.consent = ConsentPolicy::granting(["scope.walletBalance"]);
//! config.confirm_payments = true;
//! let wallet = Wallet::new(config)?;
//! let app = mpkit_bundle::AppId::new(backend.app_id())?;
//! let mut launched = wallet.launch(&app, "alice")?;
//! let run = order_through_ui(&mut launched.handle, "latte", 2, std::time::Duration::from_secs(10))?;
//! assert_eq!(backend.order(run.order_id.as_deref().unwrap_or_default()).map(|o| o.status),
//!            Some(mpkit_sample_app::backend::OrderStatus::Paid));
//! # Ok(()) }
//! ```
//!
//! **Invariant**: the samples use only public APIs of the other crates, exactly
//! as an outside integrator would.

use std::path::PathBuf;

pub mod backend;
pub mod signing;
pub mod wallet;

/// The Coffee Club mini program's source directory.
pub fn miniprogram_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("miniprogram")
}

#[cfg(test)]
mod tests {
    #[test]
    fn coffee_club_has_an_app_json_naming_its_pages() {
        let dir = super::miniprogram_dir();
        let text = std::fs::read_to_string(dir.join("app.json")).expect("app.json");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        let pages = v["pages"].as_array().expect("pages");
        assert!(!pages.is_empty());
        let mut routes: Vec<String> = pages
            .iter()
            .map(|p| p.as_str().expect("page path").to_owned())
            .collect();
        // The stores subpackage: its pages are routes like any other.
        for sub in v["subPackages"].as_array().expect("subPackages") {
            let root = sub["root"].as_str().expect("root");
            for p in sub["pages"].as_array().expect("pages") {
                routes.push(format!("{root}/{}", p.as_str().expect("page path")));
            }
        }
        assert!(routes.contains(&"packages/stores/pages/list/list".to_owned()));
        for p in &routes {
            assert!(dir.join(format!("{p}.axml")).is_file(), "{p}.axml");
            assert!(dir.join(format!("{p}.js")).is_file(), "{p}.js");
        }
    }
}

/// The README's Rust examples, compiled with this crate's doctests (it
/// depends on everything they use), so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
