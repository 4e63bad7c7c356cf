//! The one table of JSAPI error codes, and the one conversion to what JS sees.

use serde::Serialize;
use serde_json::{json, Value};

/// Every way a JSAPI call can fail. Codes follow Alipay's published ones where known.
///
/// A code is named once, as a constant below, and what JS sees
/// (`{error, errorMessage}`) is built only by [`ApiError::to_js`].
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
    /// The page stack refused a navigation (a page not in app.json, a full
    /// stack, a tab page opened as a page or the reverse).
    #[error("{0}")]
    Navigation(String),
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
    /// 1: the API does not exist in this host, or the device has no such
    /// capability. Alipay has no common meaning for 1 (some APIs use it for
    /// their own failures); mpkit answers it for a name the host does not
    /// offer, as `my.canIUse` would say false.
    pub const NOT_AVAILABLE: i64 = 1;
    /// 2: a parameter is missing or wrong (Alipay: "参数错误", invalid parameter).
    pub const INVALID_PARAM: i64 = 2;
    /// 3: the call failed inside the host (Alipay: "未知错误", an error while
    /// running the API).
    pub const INTERNAL: i64 = 3;
    /// 4: no permission (Alipay: "无权调用该接口", not allowed to call this API,
    /// and for `my.request` a domain outside the list). mpkit also uses it for an
    /// argument outside the app's lists and quotas, and for a navigation the
    /// page stack refuses.
    pub const NO_PERMISSION: i64 = 4;
    /// 11: the user said no (Alipay: "用户取消操作", the user cancelled, or
    /// declined authorization).
    pub const USER_DENIED: i64 = 11;
    /// 12: the network failed (Alipay: "网络出错").
    pub const NETWORK: i64 = 12;
    /// 13: the call timed out (Alipay: "超时").
    pub const TIMEOUT: i64 = 13;
    /// 14: the response could not be decoded as asked (Alipay: "解码失败",
    /// `JSON parse data error`).
    pub const DECODE: i64 = 14;
    /// 19: the server answered with an HTTP error status (Alipay: "HTTP 错误",
    /// `http status error`).
    pub const HTTP: i64 = 19;
    /// 20: the request was stopped, or the host would not start it (Alipay:
    /// "请求已被停止/服务端不支持"); mpkit: too many calls of one API in flight.
    pub const TOO_MANY: i64 = 20;
    /// 1001: the device's storage is full and nothing was written (mpkit's own
    /// code; Alipay has none for it).
    pub const NO_SPACE: i64 = 1001;

    /// Every code JS can see, with what it means, in order: the reference
    /// (docs/jsapi.md) is generated from this table.
    pub const CODES: &'static [(i64, &'static str)] = &[
        (ApiError::NOT_AVAILABLE, "the API is not available in this host"),
        (ApiError::INVALID_PARAM, "invalid parameter"),
        (ApiError::INTERNAL, "internal error"),
        (
            ApiError::NO_PERMISSION,
            "no permission: not approved by the platform, an argument outside the app's lists and quotas, or a navigation the page stack refuses",
        ),
        (ApiError::USER_DENIED, "the user did not authorize the scope"),
        (ApiError::NETWORK, "network error"),
        (ApiError::TIMEOUT, "timeout"),
        (ApiError::DECODE, "the response could not be decoded"),
        (ApiError::HTTP, "HTTP error"),
        (ApiError::TOO_MANY, "too many concurrent calls"),
        (
            ApiError::NO_SPACE,
            "the device's storage is full; the old value is kept (mpkit)",
        ),
    ];

    /// The numeric code JS sees as `error`.
    pub fn code(&self) -> i64 {
        match self {
            ApiError::NotAvailable(_) => ApiError::NOT_AVAILABLE,
            ApiError::InvalidParam { .. } => ApiError::INVALID_PARAM,
            ApiError::Internal(_) => ApiError::INTERNAL,
            ApiError::NotApproved { .. } | ApiError::Forbidden(_) | ApiError::Navigation(_) => {
                ApiError::NO_PERMISSION
            }
            ApiError::UserDenied(_) => ApiError::USER_DENIED,
            ApiError::Network(_) => ApiError::NETWORK,
            ApiError::Timeout(_) => ApiError::TIMEOUT,
            ApiError::Decode(_) => ApiError::DECODE,
            ApiError::Http(_) => ApiError::HTTP,
            ApiError::TooMany { .. } => ApiError::TOO_MANY,
            ApiError::NoSpace => ApiError::NO_SPACE,
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
