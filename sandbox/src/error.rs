//! The one error type of the sandbox.

/// Why the sandbox said no. Every variant names the reason; hosts map them to
/// JSAPI error codes in one place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Denied {
    /// The URL does not parse.
    #[error("{0:?} is not a valid URL")]
    BadUrl(String),
    /// Only https (and wss for sockets) leave the device.
    #[error("scheme {scheme:?} is not allowed; use {want}")]
    Scheme {
        /// What was asked for.
        scheme: String,
        /// What is allowed.
        want: &'static str,
    },
    /// `user:pass@host` is refused outright.
    #[error("URLs with user info are not allowed")]
    UserInfo,
    /// Numeric hosts (including decimal and hex IPv4 forms) are refused.
    #[error("IP address hosts are not allowed ({0})")]
    IpLiteral(String),
    /// `localhost` and its subdomains.
    #[error("localhost is not allowed")]
    Localhost,
    /// The host is not on the app's list for this API (an empty list denies).
    #[error("{host} is not on this mini program's {kind} domain list")]
    NotAllowed {
        /// The normalised host.
        host: String,
        /// The API kind.
        kind: String,
    },
    /// The host resolved to an address no mini program may reach.
    #[error("{0} is a private, loopback or otherwise internal address")]
    InternalAddress(std::net::IpAddr),
    /// A domain-list entry is malformed.
    #[error("domain list entry {entry:?} is invalid: {reason}")]
    BadPattern {
        /// The entry.
        entry: String,
        /// Why.
        reason: &'static str,
    },
    /// A storage key is empty, too long, or holds NUL or path tricks.
    #[error("storage key is invalid: {0}")]
    BadKey(&'static str),
    /// A value or the app's total would exceed its quota.
    #[error("{what} would be {size} bytes, over the {limit}-byte limit")]
    Quota {
        /// What is limited.
        what: &'static str,
        /// The size it would reach.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A virtual file path that is malformed or leaves the app's space.
    #[error("file path {path:?} is invalid: {reason}")]
    BadPath {
        /// The path as given.
        path: String,
        /// Why.
        reason: &'static str,
    },
}
