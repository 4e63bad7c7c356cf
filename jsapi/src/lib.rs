//! # mpkit-jsapi
//!
//! The `my.*` JSAPI registry and its single gating dispatcher.
//!
//! **Invariant**: every call passes one dispatcher that checks, in order, the host
//! (the API exists), the platform (its permission key is approved in the signed
//! manifest), the user (consent for its scope) and its arguments (the sandbox's
//! allowlists). Deny wins and the default is deny. Identity comes from the host,
//! never from JS. The registry arrives with the JSAPI and sandbox issue.
