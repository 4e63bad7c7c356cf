//! # mpkit-jsapi
//!
//! The `my.*` JSAPI registry and its single gating dispatcher.
//!
//! **Invariant**: every call, navigation included, passes one dispatcher that
//! checks, in order, the host (the API exists), the platform (its permission
//! key is approved in the signed manifest), the argument shape (types), the
//! user (consent for its scope) and the sandbox's lists (URLs). Deny wins and
//! the default is deny. Identity comes from the host, never from JS. Each
//! `my.*` name is declared once, in [`registry`] (navigation as
//! [`registry::Nav`]); each JS error code once, on [`ApiError`], and Rust
//! errors become JS errors in one function, [`ApiError::to_js`].
//!
//! - `registry.rs`: [`registry::ApiDecl`], the built-in declarations, [`registry::Nav`].
//! - `dispatch.rs`: [`Dispatcher`] and its gate, the handler and consent traits.
//! - `session.rs`: [`Session`], one launch's dispatcher, identity and stores.
//! - `error.rs`: [`ApiError`], its codes and `to_js`.
#![warn(missing_docs)]

pub mod dispatch;
mod error;
pub mod registry;
mod session;

pub use dispatch::{AppContext, Call, ConsentStore, Dispatcher, Handler, Outcome, Prompter};
pub use error::ApiError;
pub use registry::{Nav, ViewApi};
pub use session::{NoConsent, Session};

#[cfg(test)]
mod tests;
