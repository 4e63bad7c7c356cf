//! Wire types shared by the platform server and its clients (the CLI, hosts).

use serde::{Deserialize, Serialize};

/// Every error the API returns: `{code, message}` with a matching HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Stable machine-readable code, e.g. `forbidden`, `not_found`, `conflict`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

/// One version of a package, pinned by the exact bytes a host downloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinnedVersion {
    /// The semantic version.
    pub version: String,
    /// sha256 of the release package, hex.
    pub sha256: String,
    /// Its length in bytes.
    pub length: u64,
}

/// A grayscale in the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grayscale {
    /// The version users in the grayscale get.
    pub version: PinnedVersion,
    /// Basis points (0.01% steps), only ever raised.
    pub percent_bp: u16,
    /// The bucket salt, minted when the grayscale started.
    pub salt: String,
}

/// The release policy of one (mini program, target app), signed by the
/// platform's policy key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleasePolicy {
    /// Always `"policy"`, so a policy can never be taken for a resolve answer.
    pub kind: String,
    /// The mini program.
    pub app_id: String,
    /// The target (super) app.
    pub target_app: String,
    /// Only increases; a host refuses a lower one.
    pub seq: u64,
    /// Unix seconds after which a host refuses it.
    pub expires: i64,
    /// The last fully released version.
    pub stable: Option<PinnedVersion>,
    /// The active grayscale.
    pub grayscale: Option<Grayscale>,
    /// The version in pilot testing.
    pub pilot: Option<PinnedVersion>,
}

/// Why a user gets the version they get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Rule {
    /// The user is a pilot tester.
    Pilot,
    /// The user's bucket is inside the grayscale.
    Grayscale,
    /// The stable version.
    Stable,
    /// Nothing is released.
    None,
}

/// The signed answer to `GET /v1/resolve`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolveAnswer {
    /// Always `"resolve"`.
    pub kind: String,
    /// The mini program.
    pub app_id: String,
    /// The target app.
    pub target_app: String,
    /// The user it was decided for.
    pub user: String,
    /// The version to run, if any.
    pub version: Option<PinnedVersion>,
    /// The rule that decided.
    pub rule: Rule,
    /// The user's bucket in the active grayscale, if there is one.
    pub bucket: Option<u16>,
    /// The policy's sequence number.
    pub seq: u64,
    /// The policy's expiry (unix seconds).
    pub expires: i64,
}

/// A signed document: the exact JSON bytes that were signed (as a string),
/// the signature (hex) and the signing key's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Signed {
    /// The signed JSON text.
    pub payload: String,
    /// ed25519 signature over the payload in the policy context, hex.
    pub sig: String,
    /// The policy key's id.
    pub key_id: String,
}
