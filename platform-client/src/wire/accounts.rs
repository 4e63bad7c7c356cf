//! Accounts, the caller, the audit log and the inbox.

use super::Role;
use serde::{Deserialize, Serialize};

/// [`CREATE_ACCOUNT`](crate::paths::CREATE_ACCOUNT) (admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Display name.
    pub name: String,
}

/// A body naming one account: reviewers and assignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccountRef {
    /// The account.
    pub account_id: String,
}

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
    pub role: Role,
}

/// [`ME`](crate::paths::ME).
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

/// One audit record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// The entry's id, in the order entries were written: the cursor for
    /// the next page (`?after=ID`).
    pub id: String,
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
    /// The message's id, in the order messages arrived: the cursor for the
    /// next page (`?after=ID`).
    pub id: String,
    /// Unix seconds.
    pub at: i64,
    /// The message.
    pub text: String,
    /// The release it is about.
    pub release: Option<String>,
}
