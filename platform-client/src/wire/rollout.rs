//! What devices act on (the signed policy and resolve answers) and the
//! rollout controls around it: rollback, takedown, explain, dry run.

use super::Rule;
use serde::{Deserialize, Serialize};

/// One version of a package, pinned by the exact bytes a host downloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// The signed answer to [`RESOLVE`](crate::paths::RESOLVE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The version to run, if any. The answer does not say why (anyone
    /// may ask for any user id): a member asks `explain` for the rule.
    pub version: Option<PinnedVersion>,
    /// The policy's sequence number.
    pub seq: u64,
    /// The policy's expiry (unix seconds).
    pub expires: i64,
}

/// [`ROLLBACK`](crate::paths::ROLLBACK).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rollback {
    /// A version that was fully released in this target before.
    pub version: String,
}

/// Rollback or takedown: the stable version of a target afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StableChanged {
    /// The appId.
    pub app_id: String,
    /// The target app.
    pub target_app: String,
    /// The stable version now; none after a takedown.
    pub stable: Option<String>,
    /// The policy's new sequence number.
    pub seq: u64,
}

/// [`EXPLAIN`](crate::paths::EXPLAIN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    /// The user.
    pub user: String,
    /// What they get.
    pub version: Option<PinnedVersion>,
    /// The deciding rule.
    pub rule: Rule,
    /// Their bucket in the active grayscale.
    pub bucket: Option<u16>,
    /// Why, for people.
    pub why: String,
    /// The policy's sequence number.
    pub seq: u64,
}

/// [`DRY_RUN`](crate::paths::DRY_RUN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DryRun {
    /// The percentage to try.
    pub percent: String,
    /// The users to place.
    pub users: Vec<String>,
    /// A salt; the active grayscale's (or a fresh one) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

/// [`DRY_RUN`](crate::paths::DRY_RUN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DryRunResult {
    /// Basis points tried.
    pub percent_bp: u16,
    /// Users placed.
    pub users: u64,
    /// Users inside.
    pub reached: u64,
    /// The salt used.
    pub salt: String,
    /// True when the salt is the one a real grayscale would use (given or
    /// active); false when no grayscale is active and the count is an estimate.
    pub exact: bool,
}
