//! # mpkit-sandbox
//!
//! Per-app storage, file and network policy for mini programs, as pure policy.
//!
//! **Invariant**: this crate does no I/O (clippy's `disallowed-methods` in
//! `sandbox/clippy.toml` enforces it). It decides, `host` carries the decisions out.
//! Deny wins, and an empty list denies.
#![warn(missing_docs)]

mod error;
pub mod net;

pub use error::Denied;
pub mod acl;
pub mod storage;
