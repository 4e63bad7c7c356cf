//! Workspaces, their members and roles, developer keys and ISV authorizations.

use super::{IsvAction, Role, WorkspaceKind};
use serde::{Deserialize, Serialize};

/// [`CREATE_WORKSPACE`](crate::paths::CREATE_WORKSPACE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWorkspace {
    /// Display name.
    pub name: String,
    /// What it is.
    pub kind: WorkspaceKind,
}

/// [`ADD_MEMBER`](crate::paths::ADD_MEMBER).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewMember {
    /// The account to add.
    pub account_id: String,
    /// Its role.
    pub role: Role,
}

/// [`SET_ROLE`](crate::paths::SET_ROLE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetRole {
    /// The new role.
    pub role: Role,
}

/// [`REGISTER_KEY`](crate::paths::REGISTER_KEY).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewKey {
    /// The developer's ed25519 public key, hex.
    pub public_key_hex: String,
}

/// [`AUTHORIZE_ISV`](crate::paths::AUTHORIZE_ISV).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewAuth {
    /// The ISV workspace authorized.
    pub isv_workspace: String,
    /// One mini program, or all of the merchant's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// What the ISV may do (at least one).
    pub actions: Vec<IsvAction>,
}

/// A workspace as created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workspace {
    /// Workspace id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it is.
    pub kind: WorkspaceKind,
    /// The caller's role.
    pub role: Role,
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
    pub role: Role,
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
    /// Allowed actions, by name.
    pub actions: Vec<IsvAction>,
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
