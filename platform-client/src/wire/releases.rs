//! The release workflow: a release, its steps and its pilot testers.

use super::{ReleaseState, ReviewDecision};
use serde::{Deserialize, Serialize};

/// [`START_RELEASE`](crate::paths::START_RELEASE).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewRelease {
    /// The target app.
    pub target_app: String,
    /// An uploaded version.
    pub version: String,
    /// Release notes and the like, free-form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub basic_info: Option<serde_json::Value>,
}

/// [`REVIEW`](crate::paths::REVIEW) (reviewers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Approve or reject.
    pub decision: ReviewDecision,
    /// Required when rejecting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// [`START_PILOT`](crate::paths::START_PILOT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Pilot {
    /// Tester user ids.
    pub testers: Vec<String>,
}

/// [`GRAYSCALE`](crate::paths::GRAYSCALE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Gray {
    /// A percentage with up to two decimals, e.g. `"12.5"`.
    pub percent: String,
    /// The bucket salt, only when the grayscale starts (1 to 64 of
    /// `A-Z a-z 0-9 : . _ -`). When absent the platform mints one. A hotfix
    /// that takes over an unfinished grayscale can keep its cohort by naming
    /// its salt; a raise may repeat the running salt but never change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

/// One release in an app's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReleaseSummary {
    /// Release id.
    pub id: String,
    /// Target app.
    pub target_app: String,
    /// Version.
    pub version: String,
    /// Workflow state.
    pub state: ReleaseState,
}

/// A bundle by its digest: an uploaded version (what reviewers review), or
/// a release package (the publisher-signed bundle hosts download).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackageRef {
    /// sha256, hex.
    pub sha256: String,
    /// Length in bytes.
    pub length: u64,
}

/// The permissions of a release: approved, and refused by the target app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReleasePermissions {
    /// The approved permissions as carried in the signed manifest.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub approved: serde_json::Value,
    /// Requested but not allowed by the target app.
    pub not_allowed_by_target_app: Vec<String>,
}

/// A release as started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReleaseStarted {
    /// Release id.
    pub id: String,
    /// The appId.
    pub app_id: String,
    /// The target app.
    pub target_app: String,
    /// The version.
    pub version: String,
    /// Always `built`.
    pub state: ReleaseState,
    /// The uploaded version under review (developer-signed). The release
    /// package is built and signed by the publisher key only when a
    /// reviewer approves it.
    pub upload: PackageRef,
    /// Its permissions.
    pub permissions: ReleasePermissions,
}

/// A grayscale of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReleaseGray {
    /// Basis points.
    pub percent_bp: i64,
    /// The bucket salt.
    pub salt: Option<String>,
}

/// [`RELEASE`](crate::paths::RELEASE).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// Release id.
    pub id: String,
    /// The appId.
    pub app_id: String,
    /// The target app.
    pub target_app: String,
    /// The version.
    pub version: String,
    /// Workflow state.
    pub state: ReleaseState,
    /// The uploaded version under review (developer-signed).
    pub upload: PackageRef,
    /// The release package hosts download: built and signed by the
    /// publisher key when a reviewer approves; absent before.
    pub package: Option<PackageRef>,
    /// The attached compatibility report.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub compat_report: Option<serde_json::Value>,
    /// Basic info.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub basic_info: serde_json::Value,
    /// What the version asks for (JSAPI keys, scopes, domain lists), as its
    /// signed manifest says: what a reviewer weighs. Absent from answers
    /// that do not carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_permissions: Option<super::Permissions>,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
    /// The grayscale, once started.
    pub grayscale: Option<ReleaseGray>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A release's new state after a workflow step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StateChanged {
    /// Release id.
    pub id: String,
    /// The new state.
    pub state: ReleaseState,
    /// Review: the reject reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Pilot: how many testers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testers: Option<u64>,
    /// Grayscale: basis points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_bp: Option<u16>,
    /// Grayscale: the salt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    /// Basic info after an edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub basic_info: Option<serde_json::Value>,
}

/// A tester-file line that was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectedLine {
    /// 1-based line number.
    pub line: usize,
    /// The line's text (its first 80 characters).
    pub text: String,
    /// Why it was refused.
    pub reason: String,
}

/// [`PUT_TESTERS`](crate::paths::PUT_TESTERS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestersReplaced {
    /// Release id.
    pub id: String,
    /// Valid ids stored.
    pub accepted: u64,
    /// Lines refused: the first 100.
    pub rejected: Vec<RejectedLine>,
    /// Every line refused, counted.
    #[serde(default)]
    pub rejected_total: u64,
}
