//! # mpkit-testkit
//!
//! The helpers mpkit's tests share, written once: a thread with room for boa
//! ([`big_stack`]), mini program fixtures ([`MiniProgram`], [`fixture`],
//! [`copy_dir`], [`snapshot`]), the binaries of the workspace as cargo builds
//! them ([`cargo_bins`]), and behind features:
//!
//! - `platform`: [`LocalPlatform`], the real management platform on
//!   127.0.0.1 with a temporary SQLite database (or a fresh PostgreSQL one)
//!   and storage, its admin token and the typed client; [`Merchant`], a
//!   merchant with a mini program on a target app, for the release flow.
//! - `host`: [`offline_network`], for hosts whose mini programs must not
//!   leave the machine.
//! - `cli`: [`mpkit`], the command line run in-process as the binary runs
//!   it, and [`env_lock`] for the environment it reads.
//!
//! A dev-dependency only: no product crate depends on it. Helpers panic with
//! a message on anything unexpected; they are for tests.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod bins;
mod files;
mod stack;

#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "host")]
mod host;
#[cfg(feature = "platform")]
mod platform;

pub use bins::cargo_bins;
pub use files::{copy_dir, fixture, repo_dir, snapshot, MiniProgram};
pub use stack::{big_stack, BIG_STACK};

#[cfg(feature = "cli")]
pub use cli::{env_lock, mpkit, Run};
#[cfg(feature = "host")]
pub use host::offline_network;
#[cfg(feature = "platform")]
pub use platform::{Db, LocalPlatform, Merchant};
