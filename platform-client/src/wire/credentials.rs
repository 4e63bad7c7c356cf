//! Credentials and who holds them: account tokens, developer keys, the
//! reviewers and operators of target apps. Each can be listed and revoked;
//! a revoked one fails on its next call.

use serde::{Deserialize, Serialize};

/// [`CREATE_TOKEN`](crate::paths::CREATE_TOKEN): a new token for the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewToken {
    /// Seconds until it expires (1 second to 5 years); it never expires when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u64>,
}

/// The longest expiry a token may be given: five years, in seconds.
pub const MAX_TOKEN_LIFETIME: u64 = 5 * 365 * 24 * 3600;

/// A new token (shown once; only its hash is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenCreated {
    /// The token's id (to list and revoke it by; not the token).
    pub id: String,
    /// The bearer token.
    pub token: String,
    /// Unix seconds; `None`: it does not expire.
    pub expires_at: Option<i64>,
}

/// One of the caller's tokens (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    /// The token's id.
    pub id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; `None`: it does not expire.
    pub expires_at: Option<i64>,
    /// Unix seconds, once revoked.
    pub revoked_at: Option<i64>,
    /// Whether this is the token the call was made with.
    pub current: bool,
}

/// Tokens revoked at once (an admin revoking an account's tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokensRevoked {
    /// The account.
    pub account_id: String,
    /// How many tokens were live and are now revoked.
    pub revoked: u64,
}

/// A developer key registered to a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DevKey {
    /// Workspace id.
    pub workspace: String,
    /// The key's id.
    pub key_id: String,
    /// The ed25519 public key, hex.
    pub public_key_hex: String,
    /// Who registered it.
    pub added_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, once revoked: uploads signed with it are refused, and
    /// so are approvals of versions it signed.
    pub revoked_at: Option<i64>,
}
