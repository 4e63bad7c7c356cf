//! # mpkit-platform-client
//!
//! The typed client of the mpkit management platform, and what it shares
//! with the server: the wire types and names ([`wire`]), the routes
//! ([`paths`]), the rollout function ([`rollout`]) and the tester-file parser
//! ([`testers`]).
//!
//! **Invariant**: never depends on `host`, `jsapi`, boa or wry, so a CI job or a
//! server can use it without a runtime. The grayscale bucket is computed in
//! exactly one function, [`rollout::bucket`], used by the server and by hosts;
//! each route, wire type and wire name is declared once, here.
#![warn(missing_docs)]

#[cfg(feature = "client")]
pub use client::{Client, Config, Error, Limits, Progress};

#[cfg(feature = "client")]
pub mod client;
pub mod paths;
pub mod rollout;
pub mod testers;
pub mod wire;
