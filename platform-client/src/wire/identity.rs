//! User identity: target app operators, app secrets and auth codes.

use serde::{Deserialize, Serialize};

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

/// [`CREATE_APP_SECRET`](crate::paths::CREATE_APP_SECRET): a credential for the mini program's own
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
    /// The secret (`mpks_…`): the bearer token of [`EXCHANGE_AUTH_CODE`](crate::paths::EXCHANGE_AUTH_CODE).
    pub secret: String,
}

/// [`ISSUE_AUTH_CODE`](crate::paths::ISSUE_AUTH_CODE): the super app's server asks for an auth code for one
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

/// [`EXCHANGE_AUTH_CODE`](crate::paths::EXCHANGE_AUTH_CODE), authenticated with an app secret.
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
