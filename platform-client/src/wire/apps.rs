//! Mini programs, their versions and assignments, and the target (super) apps
//! they are released into.

use super::AppKind;
use super::ReleaseSummary;
use serde::{Deserialize, Serialize};

/// [`CREATE_APP`](crate::paths::CREATE_APP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewApp {
    /// The appId (16 digits). Leave it out and the platform assigns a
    /// fresh one (as Alipay does); a taken one is refused alike whoever
    /// holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Display name.
    pub name: String,
    /// The ISV workspace that develops it (third-party); none when self-developed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_workspace: Option<String>,
}

/// A mini program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct App {
    /// The appId.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// The merchant workspace that owns it.
    pub owner: String,
    /// The ISV workspace that develops it, if third-party.
    pub developer: Option<String>,
    /// Who develops it.
    pub kind: AppKind,
}

/// [`APP`](crate::paths::APP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppDetail {
    /// The appId.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Owner workspace.
    pub owner: String,
    /// Developer workspace (third-party).
    pub developer: Option<String>,
    /// Its releases, oldest first.
    pub releases: Vec<ReleaseSummary>,
}

/// [`ASSIGN`](crate::paths::ASSIGN): assigns a mini program to a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewAssignment {
    /// The account.
    pub account_id: String,
    /// Grants production decisions (rollback, takedown) on this mini
    /// program to a Developer; off by default (least privilege). Assigning
    /// again with another value changes the grant (audited).
    #[serde(default)]
    pub production: bool,
}

/// A developer assigned to a mini program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    /// The appId.
    pub app_id: String,
    /// The developer's account.
    pub account_id: String,
    /// Whether production decisions (rollback, takedown) are granted.
    pub production: bool,
}

/// An uploaded version as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VersionUploaded {
    /// The appId.
    pub app_id: String,
    /// The version.
    pub version: String,
    /// Its build number.
    pub build: u64,
    /// sha256 of the uploaded bundle, hex.
    pub sha256: String,
    /// Its length.
    pub length: u64,
    /// The permissions the manifest requests.
    pub requested_permissions: Permissions,
}

/// The permissions a bundle's manifest requests (the manifest's own shape).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Permissions {
    /// JSAPI permission keys, e.g. `getLocation`.
    #[serde(default)]
    pub jsapi: Vec<String>,
    /// User authorization scopes, e.g. `scope.location`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Network domains per API kind, e.g. `request` → `["api.example.com"]`.
    #[serde(default)]
    pub domains: std::collections::BTreeMap<String, Vec<String>>,
}

/// One stored version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    /// The version.
    pub version: String,
    /// Its build number.
    pub build: u64,
    /// sha256, hex.
    pub sha256: String,
    /// Length in bytes.
    pub length: u64,
    /// Unix seconds.
    pub created_at: i64,
}

/// [`CREATE_TARGET`](crate::paths::CREATE_TARGET) (admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewTarget {
    /// Its id, e.g. `demo.wallet`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// JSAPI permission keys this super app allows.
    pub allowed_permissions: Vec<String>,
}

/// A target (super) app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TargetApp {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// JSAPI permission keys it allows.
    pub allowed_permissions: Vec<String>,
}

/// A reviewer added to a target app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviewerAdded {
    /// The target app.
    pub target_app: String,
    /// The reviewer's account.
    pub account_id: String,
}
