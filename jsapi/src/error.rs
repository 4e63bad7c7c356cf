//! The one table of JSAPI error codes, and the one conversion to what JS sees.

use serde::Serialize;
use serde_json::{json, Value};

/// Every way a JSAPI call can fail. Codes follow Alipay's published ones where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum ApiError {
    /// The host has no such API.
    #[error("my.{0} is not available in this host")]
    NotAvailable(String),
    /// A parameter is missing or of the wrong type.
    #[error("invalid parameter {param}: {reason}")]
    InvalidParam {
        /// The parameter.
        param: String,
        /// What is wrong.
        reason: String,
    },
    /// Something failed inside the host.
    #[error("internal error: {0}")]
    Internal(String),
    /// The platform did not approve the API for this mini program (no prompt is shown).
    #[error("my.{api} is not approved for this mini program (permission {permission})")]
    NotApproved {
        /// The API.
        api: String,
        /// The missing permission key.
        permission: String,
    },
    /// An argument is outside what the mini program may do (a domain, a path, a quota).
    #[error("{0}")]
    Forbidden(String),
    /// The user declined (or earlier declined) the scope.
    #[error("the user did not authorize {0}")]
    UserDenied(String),
    /// The network failed.
    #[error("network error: {0}")]
    Network(String),
    /// The call took too long.
    #[error("timed out after {0} ms")]
    Timeout(u64),
    /// The response could not be decoded as asked.
    #[error("could not decode the response: {0}")]
    Decode(String),
    /// The server answered with an HTTP error.
    #[error("HTTP {0}")]
    Http(u16),
    /// The device ran out of space; nothing was changed.
    #[error("the device's storage is full; nothing was written")]
    NoSpace,
    /// Too many calls of this API are in flight.
    #[error("too many concurrent {api} calls (at most {limit})")]
    TooMany {
        /// The API.
        api: String,
        /// The limit.
        limit: usize,
    },
}

impl ApiError {
    /// The numeric code JS sees as `error`.
    pub fn code(&self) -> i64 {
        match self {
            ApiError::NotAvailable(_) => 1,
            ApiError::InvalidParam { .. } => 2,
            ApiError::Internal(_) => 3,
            ApiError::NotApproved { .. } | ApiError::Forbidden(_) => 4,
            ApiError::UserDenied(_) => 11,
            ApiError::Network(_) => 12,
            ApiError::Timeout(_) => 13,
            ApiError::Decode(_) => 14,
            ApiError::Http(_) => 19,
            ApiError::TooMany { .. } => 20,
            ApiError::NoSpace => 1001,
        }
    }

    /// What JS receives in `fail` or as the rejection: `{error, errorMessage}`.
    /// This is the only place a Rust error becomes a JS error.
    pub fn to_js(&self) -> Value {
        json!({"error": self.code(), "errorMessage": self.to_string()})
    }
}

impl From<mpkit_sandbox::Denied> for ApiError {
    fn from(d: mpkit_sandbox::Denied) -> ApiError {
        match d {
            mpkit_sandbox::Denied::BadKey(r) => ApiError::InvalidParam {
                param: "key".into(),
                reason: r.into(),
            },
            mpkit_sandbox::Denied::BadUrl(u) => ApiError::InvalidParam {
                param: "url".into(),
                reason: format!("{u:?} is not a valid URL"),
            },
            other => ApiError::Forbidden(other.to_string()),
        }
    }
}
