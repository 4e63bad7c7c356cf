//! # mpkit-host
//!
//! The embeddable mini program host: loads verified bundles from an
//! `mpkit_bundle::Store`, runs their logic in boa_engine on an isolated logic layer,
//! and renders pages to a surface (a wry/tao webview, or a headless DOM).
//!
//! **Invariant**: only `host` spawns threads and processes; JS values never leave
//! their logic thread; a hostile mini program can only ever kill itself; a host
//! never runs a bundle that did not verify against its trust anchor.
#![warn(missing_docs)]

pub mod apis;
pub mod delegate;
pub mod host;
pub mod logic;
pub use mpkit_render as render;
pub mod runtime;
pub mod surface;
