//! Wire types shared by the platform server and its clients (the CLI, hosts).

use serde::{Deserialize, Serialize};

/// Every error the API returns: `{code, message}` with a matching HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorBody {
    /// Stable machine-readable code, e.g. `forbidden`, `not_found`, `conflict`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

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

/// Why a user gets the version they get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Signed {
    /// The signed JSON text.
    pub payload: String,
    /// ed25519 signature over the payload in the policy context, hex.
    pub sig: String,
    /// The policy key's id.
    pub key_id: String,
}

// ------------------------------------------------------------------ requests
//
// Every request body the platform accepts. The server refuses unknown fields,
// so a client built from these types and the server cannot drift apart.

/// `POST /v1/accounts` (admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Display name.
    pub name: String,
}

/// `POST /v1/workspaces`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWorkspace {
    /// Display name.
    pub name: String,
    /// `merchant` or `isv`.
    pub kind: String,
}

/// `POST /v1/workspaces/{ws}/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewMember {
    /// The account to add.
    pub account_id: String,
    /// `master`, `owner` or `developer`.
    pub role: String,
}

/// `PATCH /v1/workspaces/{ws}/members/{account}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetRole {
    /// The new role.
    pub role: String,
}

/// `POST /v1/workspaces/{ws}/keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewKey {
    /// The developer's ed25519 public key, hex.
    pub public_key_hex: String,
}

/// `POST /v1/workspaces/{ws}/apps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewApp {
    /// The appId (16 digits).
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// The ISV workspace that develops it (third-party); none when self-developed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_workspace: Option<String>,
}

/// `POST /v1/workspaces/{ws}/isv-authorizations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewAuth {
    /// The ISV workspace authorized.
    pub isv_workspace: String,
    /// One mini program, or all of the merchant's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Allowed actions: `read`, `upload`, `release`, `manage`.
    pub actions: Vec<String>,
}

/// `POST /v1/target-apps` (admins only).
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

/// A body naming one account: reviewers and assignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccountRef {
    /// The account.
    pub account_id: String,
}

/// `POST /v1/apps/{app}/releases`.
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

/// `POST /v1/releases/{id}/review` (reviewers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// `approve` or `reject`.
    pub decision: String,
    /// Required when rejecting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /v1/releases/{id}/pilot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Pilot {
    /// Tester user ids.
    pub testers: Vec<String>,
}

/// `POST /v1/releases/{id}/grayscale`.
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

/// `POST /v1/apps/{app}/targets/{t}/rollback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rollback {
    /// A version that was fully released in this target before.
    pub version: String,
}

/// `POST /v1/apps/{app}/targets/{t}/dry-run`.
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

// ----------------------------------------------------------------- responses

/// A new account and its API token (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountCreated {
    /// Account id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The bearer token; only its hash is stored.
    pub token: String,
}

/// One membership of the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    /// Workspace id.
    pub workspace: String,
    /// The caller's role there.
    pub role: String,
}

/// `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// Account id.
    pub id: String,
    /// Platform administrator.
    pub admin: bool,
    /// Where the caller is a member.
    pub workspaces: Vec<Membership>,
}

/// A workspace as created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workspace {
    /// Workspace id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `merchant` or `isv`.
    pub kind: String,
    /// The caller's role.
    pub role: String,
}

/// A member's role in a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// Workspace id.
    pub workspace: String,
    /// Account id.
    pub account_id: String,
    /// Role.
    pub role: String,
}

/// A registered developer key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct KeyRegistered {
    /// Workspace id.
    pub workspace: String,
    /// The key's id.
    pub key_id: String,
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
    /// `self_developed` or `third_party`.
    pub kind: String,
}

/// An ISV authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IsvAuthorization {
    /// Authorization id.
    pub id: String,
    /// The merchant workspace.
    pub merchant: String,
    /// The ISV workspace.
    pub isv: String,
    /// One app, or all when absent.
    pub app_id: Option<String>,
    /// Allowed actions.
    pub actions: Vec<String>,
}

/// A revoked authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revoked {
    /// Authorization id.
    pub id: String,
    /// Always true.
    pub revoked: bool,
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

/// A developer assigned to a mini program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    /// The appId.
    pub app_id: String,
    /// The developer's account.
    pub account_id: String,
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
    pub state: String,
}

/// `GET /v1/apps/{app}`.
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

/// A release package: the publisher-signed bundle hosts download.
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
    pub state: String,
    /// The release package.
    pub package: PackageRef,
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

/// `GET /v1/releases/{id}`.
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
    pub state: String,
    /// The release package.
    pub package: PackageRef,
    /// The attached compatibility report.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub compat_report: Option<serde_json::Value>,
    /// Basic info.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub basic_info: serde_json::Value,
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
    pub state: String,
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
    /// The line's text.
    pub text: String,
    /// Why it was refused.
    pub reason: String,
}

/// `PUT /v1/releases/{id}/testers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestersReplaced {
    /// Release id.
    pub id: String,
    /// Valid ids stored.
    pub accepted: u64,
    /// Lines refused.
    pub rejected: Vec<RejectedLine>,
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

/// `GET /v1/apps/{app}/targets/{t}/explain`.
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

/// `POST /v1/apps/{app}/targets/{t}/dry-run`.
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

/// One audit record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    /// Account id.
    pub actor: String,
    /// What was done, e.g. `release.apply`.
    pub action: String,
    /// What it was done to, e.g. `release:<id>`.
    pub object: String,
    /// State before.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    /// State after.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
}

/// One inbox message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxMessage {
    /// Unix seconds.
    pub at: i64,
    /// The message.
    pub text: String,
    /// The release it is about.
    pub release: Option<String>,
}

// ------------------------------------------------------------------ webhooks

/// `POST /v1/workspaces/{ws}/webhooks` (Master).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where events are POSTed: `http` or `https`, no user info; not a
    /// loopback or private address.
    pub url: String,
    /// The events to send (see [`WEBHOOK_EVENTS`]); every event when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
}

/// Every webhook event: the release results that also go to the inbox.
pub const WEBHOOK_EVENTS: &[&str] = &[
    "release.approved",
    "release.rejected",
    "release.released",
    "release.cancelled",
];

/// A registered webhook, with its signing secret (shown once, on creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreated {
    /// Webhook id.
    pub id: String,
    /// The workspace whose events it receives.
    pub workspace: String,
    /// Where events are POSTed.
    pub url: String,
    /// The events it receives.
    pub events: Vec<String>,
    /// The HMAC-SHA256 key of `X-Mpkit-Signature: sha256=<hex>`; shown once.
    pub secret: String,
}

/// A webhook, as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Webhook id.
    pub id: String,
    /// The workspace whose events it receives.
    pub workspace: String,
    /// Where events are POSTed.
    pub url: String,
    /// The events it receives.
    pub events: Vec<String>,
    /// Who registered it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// The JSON body of a webhook request. Its exact bytes are signed:
/// `X-Mpkit-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload {
    /// The event's id: the same for every webhook and every retry, so a
    /// receiver can drop duplicates.
    pub id: String,
    /// What happened, e.g. `release.approved`.
    pub event: String,
    /// When (unix seconds).
    pub at: i64,
    /// The release id.
    pub release: String,
    /// The mini program.
    pub app_id: String,
    /// The target app.
    pub target_app: String,
    /// The inbox message, for people.
    pub text: String,
}

/// One attempt to deliver a webhook event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttempt {
    /// 1 for the first attempt.
    pub n: u32,
    /// When it was made (unix seconds).
    pub at: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

/// One event queued for one webhook, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// Delivery id (the `X-Mpkit-Delivery` header).
    pub id: String,
    /// The webhook.
    pub webhook: String,
    /// The event's id (the payload's `id`).
    pub event_id: String,
    /// The event.
    pub event: String,
    /// `pending` (more attempts to come), `delivered` or `failed` (out of attempts).
    pub status: String,
    /// Every attempt so far, the first first.
    pub attempts: Vec<WebhookAttempt>,
    /// When the next attempt is due (unix milliseconds), while pending.
    pub next_attempt_at_ms: Option<i64>,
    /// The body sent.
    pub payload: WebhookPayload,
    /// Unix seconds.
    pub created_at: i64,
}

// ------------------------------------------------------------ user identity

/// An operator named for a target app: an account of the super app's own
/// server, which issues auth codes for the target app's users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OperatorAdded {
    /// The target app.
    pub target_app: String,
    /// The operator's account.
    pub account_id: String,
}

/// `POST /v1/apps/{app}/secrets`: a credential for the mini program's own
/// server (its merchant backend), which exchanges auth codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewAppSecret {
    /// What it is for, e.g. `orders backend` (1 to 64 characters).
    pub name: String,
}

/// An app secret as listed: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppSecret {
    /// Its id (what revoking names).
    pub id: String,
    /// The mini program it belongs to.
    pub app_id: String,
    /// What it is for.
    pub name: String,
    /// The account that created it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// When it was revoked (unix seconds), if it was.
    pub revoked_at: Option<i64>,
}

/// A new app secret: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppSecretCreated {
    /// The secret as listed.
    #[serde(flatten)]
    pub info: AppSecret,
    /// The secret (`mpks_…`): the bearer token of `POST /v1/auth-codes/exchange`.
    pub secret: String,
}

/// `POST /v1/auth-codes`: the super app's server asks for an auth code for one
/// of its users and one mini program (what `my.getAuthCode` answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewAuthCode {
    /// The mini program.
    pub app_id: String,
    /// The super app (the caller must be one of its operators).
    pub target_app: String,
    /// The super app's own user id (1 to 128 characters, no control characters).
    pub user_id: String,
    /// `auth_base` and/or `auth_user`.
    pub scopes: Vec<String>,
}

/// An auth code: single use, bound to the mini program, expiring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthCodeIssued {
    /// The code (`ac_…`), handed to the mini program.
    pub auth_code: String,
    /// The user's open id for this mini program: stable, and unlinkable to
    /// the user id or to the same user's open id in another mini program.
    pub open_id: String,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// Seconds until the code expires.
    pub expires_in: u64,
}

/// `POST /v1/auth-codes/exchange`, authenticated with an app secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CodeExchange {
    /// The auth code the mini program sent its server.
    pub code: String,
}

/// Who an auth code stood for. A code is exchanged once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CodeExchanged {
    /// The mini program (always the app secret's own).
    pub app_id: String,
    /// The super app the user came from.
    pub target_app: String,
    /// The user's open id for this mini program.
    pub open_id: String,
    /// The scopes the user granted.
    pub scopes: Vec<String>,
    /// When the code was issued (unix seconds).
    pub issued_at: i64,
}
