//! # mpkit-sandbox
//!
//! Per-app storage, file and network policy for mini programs, as pure policy.
//!
//! **Invariant**: this crate does no I/O. It decides (storage quotas, file paths
//! inside an app's own space, network allowlists where deny wins and an empty list
//! denies); callers in `host` carry the decisions out. The policy itself arrives
//! with the JSAPI and sandbox issue.
