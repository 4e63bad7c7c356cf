//! # mpkit-jsapi
//!
//! The `my.*` JSAPI registry and its single gating dispatcher.
//!
//! **Invariant**: every call passes one dispatcher that checks, in order, the host
//! (the API exists), the platform (its permission key is approved in the signed
//! manifest), the user (consent for its scope) and its arguments (types, and the
//! sandbox's allowlists). Deny wins and the default is deny. Identity comes from
//! the host, never from JS. Rust errors become JS errors in one function,
//! [`ApiError::to_js`].
#![warn(missing_docs)]

pub mod dispatch;
mod error;
pub mod registry;
mod session;

pub use dispatch::{AppContext, Call, ConsentStore, Dispatcher, Handler, Outcome, Prompter};
pub use error::ApiError;
pub use session::Session;

#[cfg(test)]
mod tests;
