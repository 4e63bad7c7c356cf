//! Wire types shared by the platform server and its clients (the CLI, hosts).
//!
//! Every request body and answer of the API, one file per resource, all
//! re-exported here: `wire::Release`, `wire::NewRelease`, and so on. Request
//! bodies refuse unknown fields, so a client built from these types and the
//! server cannot drift apart.

use serde::{Deserialize, Serialize};

mod accounts;
mod apps;
mod identity;
mod releases;
mod rollout;
mod webhooks;
mod workspaces;

pub use accounts::*;
pub use apps::*;
pub use identity::*;
pub use releases::*;
pub use rollout::*;
pub use webhooks::*;
pub use workspaces::*;

/// Every error the API returns: `{code, message}` with a matching HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorBody {
    /// Stable machine-readable code, e.g. `forbidden`, `not_found`, `conflict`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
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
