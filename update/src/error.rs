//! [`UpdateError`]: why an update or a launch through the update manager
//! failed, each with a stable code.

use mpkit_host::HostError;

/// Why an update or a launch through the update manager failed. Every
/// variant has a stable [`UpdateError::code`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// The platform could not be reached, timed out, or answered an error.
    #[error("the platform: {0}")]
    Platform(#[source] mpkit_platform_client::Error),
    /// The answer is not signed by a policy key of the trust root.
    #[error("the resolve answer is not signed by the trust root's policy key: {0}")]
    Signature(String),
    /// The answer is about another app, target app or user, or is not a resolve answer.
    #[error("the resolve answer is for {field} {got:?}, not {expected:?}")]
    WrongSubject {
        /// Which field disagreed.
        field: &'static str,
        /// What this launch asked for.
        expected: String,
        /// What the answer says.
        got: String,
    },
    /// A sequence number lower than one already seen: a replayed policy.
    #[error("replayed policy: sequence {seq} is lower than {last_seen}, already seen")]
    Replayed {
        /// The answer's sequence.
        seq: u64,
        /// The highest sequence seen for this app and target.
        last_seen: u64,
    },
    /// The policy has expired (a freeze, or a host offline for too long).
    #[error("the policy expired at {expires} (now {now})")]
    Expired {
        /// Unix seconds.
        expires: i64,
        /// Unix seconds.
        now: i64,
    },
    /// Nothing is released for this user (never released, or taken down).
    #[error("{app} is not available in {target}")]
    NotAvailable {
        /// The app.
        app: String,
        /// The target app.
        target: String,
    },
    /// The package download failed (truncated, too large, too slow, refused).
    #[error("downloading {version}: {source}")]
    Download {
        /// The version.
        version: String,
        /// What went wrong.
        #[source]
        source: mpkit_platform_client::Error,
    },
    /// The downloaded bytes are not the package the policy pinned.
    #[error("the package of {version} is not the pinned one: sha256 {got}, pinned {expected}")]
    HashMismatch {
        /// The version.
        version: String,
        /// The pinned sha256.
        expected: String,
        /// The downloaded bytes' sha256.
        got: String,
    },
    /// The package failed verification against the trust root.
    #[error("the package of {version} failed verification: {source}")]
    Verification {
        /// The version.
        version: String,
        /// Why.
        #[source]
        source: mpkit_bundle::Error,
    },
    /// Writing the verified package failed (the disk is full, say); nothing
    /// was installed and the previous version stays current.
    #[error("installing {version}: {source}")]
    Install {
        /// The version.
        version: String,
        /// Why.
        #[source]
        source: mpkit_bundle::Error,
    },
    /// The version did not render its first page.
    #[error("{version} failed to start: {reason}")]
    StartFailed {
        /// The version.
        version: String,
        /// Why.
        reason: String,
    },
    /// Nothing usable is installed to fall back on.
    #[error("no good version of {app} is installed")]
    NothingInstalled {
        /// The app.
        app: String,
    },
    /// The host refused (configuration, or an installed tree that no longer verifies).
    #[error(transparent)]
    Host(#[from] HostError),
    /// The update state file could not be read or written.
    #[error("update state {path}: {reason}")]
    State {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

impl UpdateError {
    /// A stable code for every error.
    pub fn code(&self) -> &str {
        match self {
            UpdateError::Platform(e) => match e {
                mpkit_platform_client::Error::Api { .. } => "platform_error",
                other => other.code(),
            },
            UpdateError::Signature(_) => "bad_signature",
            UpdateError::WrongSubject { .. } => "wrong_subject",
            UpdateError::Replayed { .. } => "replayed",
            UpdateError::Expired { .. } => "expired",
            UpdateError::NotAvailable { .. } => "not_available",
            UpdateError::Download { source, .. } => source.code(),
            UpdateError::HashMismatch { .. } => "hash_mismatch",
            UpdateError::Verification { .. } => "verification_failed",
            UpdateError::Install { source, .. } => match source {
                mpkit_bundle::Error::Io { source, .. }
                    if source.kind() == std::io::ErrorKind::StorageFull =>
                {
                    "disk_full"
                }
                _ => "install_failed",
            },
            UpdateError::StartFailed { .. } => "start_failed",
            UpdateError::NothingInstalled { .. } => "nothing_installed",
            UpdateError::Host(_) => "host",
            UpdateError::State { .. } => "state",
        }
    }
}
