//! Wire types shared by the platform server and its clients (the CLI, hosts).
//!
//! Every request body and answer of the API, one file per resource, all
//! re-exported here: `wire::Release`, `wire::NewRelease`, and so on. Request
//! bodies refuse unknown fields, so a client built from these types and the
//! server cannot drift apart.

use serde::{Deserialize, Serialize};
use std::fmt;

mod accounts;
mod apps;
mod credentials;
mod identity;
mod releases;
mod rollout;
mod webhooks;
mod workspaces;

pub use accounts::*;
pub use apps::*;
pub use credentials::*;
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

/// A name the wire does not know, e.g. `"boss"` read as a [`Role`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What was expected, e.g. `role`.
    pub what: &'static str,
    /// The text given.
    pub given: String,
    /// Every name there is.
    pub known: &'static [&'static str],
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a {}; one of: {}",
            self.given,
            self.what,
            self.known.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// Declares a closed set of names that travel on the wire, once: the enum
/// (serde and OpenAPI use these names), `as_str`, `ALL`, `Display` and `FromStr`.
macro_rules! names {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            const NAMES: &'static [&'static str] = &[$($text),+];

            /// Its name on the wire and in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<$name, UnknownName> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownName {
                        what: $what,
                        given: s.to_owned(),
                        known: $name::NAMES,
                    })
            }
        }
    };
}

names! {
    /// Where a release is in the workflow. Every step goes through the
    /// platform's one transition function; a request never sets a state.
    ReleaseState, "release state" {
        /// Started: the package for the target app is built.
        Built = "built",
        /// A compatibility report is attached.
        Tested = "tested",
        /// Applied to release; waiting for a reviewer. Only basic info may change.
        InReview = "in_review",
        /// Rejected with a reason: edit basic info and apply again, or start over.
        Rejected = "rejected",
        /// Approved by a reviewer of the target app.
        Approved = "approved",
        /// In pilot testing with a tester list.
        Pilot = "pilot",
        /// Pilot testing completed.
        Piloted = "piloted",
        /// In grayscale at a percentage.
        Grayscale = "grayscale",
        /// Fully released (final).
        Released = "released",
        /// Cancelled (final).
        Cancelled = "cancelled",
    }
}

impl ReleaseState {
    /// Whether the release is still the active one of its (app, target app):
    /// neither released nor cancelled.
    pub fn is_active(self) -> bool {
        !matches!(self, ReleaseState::Released | ReleaseState::Cancelled)
    }

    /// Whether the release is still open for work: active, and not rejected
    /// (a rejected release is replaced by starting a new one).
    pub fn is_open(self) -> bool {
        self.is_active() && self != ReleaseState::Rejected
    }

    /// Where the release is, in plain words (for messages), e.g.
    /// `"in pilot testing"`.
    pub fn describe(self) -> &'static str {
        match self {
            ReleaseState::Built => "built: its package is ready, and no compatibility report is attached yet",
            ReleaseState::Tested => "tested: a compatibility report is attached, and it has not been sent for review yet",
            ReleaseState::InReview => "in review: it waits for a reviewer of the target app",
            ReleaseState::Rejected => "rejected by a reviewer",
            ReleaseState::Approved => "approved",
            ReleaseState::Pilot => "in pilot testing",
            ReleaseState::Piloted => "done with its pilot",
            ReleaseState::Grayscale => "in grayscale",
            ReleaseState::Released => "released to everyone",
            ReleaseState::Cancelled => "cancelled",
        }
    }
}

names! {
    /// Why a user gets the version they get.
    Rule, "rule" {
        /// The user is a pilot tester.
        Pilot = "pilot",
        /// The user's bucket is inside the grayscale.
        Grayscale = "grayscale",
        /// The stable version.
        Stable = "stable",
        /// Nothing is released.
        None = "none",
    }
}

names! {
    /// A member's role in a workspace, ordered by what it may do:
    /// `Developer < Owner < Master`.
    Role, "role" {
        /// Only the mini programs assigned to them.
        Developer = "developer",
        /// Every mini program of the workspace.
        Owner = "owner",
        /// Everything, including members.
        Master = "master",
    }
}

names! {
    /// What a workspace is.
    WorkspaceKind, "workspace kind" {
        /// Owns mini programs.
        Merchant = "merchant",
        /// Develops mini programs for merchants that authorize it.
        Isv = "isv",
    }
}

names! {
    /// What an ISV authorization allows on a merchant's mini programs; also
    /// what any caller does to a mini program, for the access checks.
    IsvAction, "action" {
        /// See it, its versions and releases.
        Read = "read",
        /// Upload versions.
        Upload = "upload",
        /// Run the release workflow.
        Release = "release",
        /// Assign developers, roll back, take down, manage app secrets.
        Manage = "manage",
    }
}

names! {
    /// A release result sent to webhooks (and, as text, to the inbox).
    WebhookEvent, "webhook event" {
        /// A reviewer approved a release.
        ReleaseApproved = "release.approved",
        /// A reviewer rejected a release.
        ReleaseRejected = "release.rejected",
        /// A release reached everyone.
        ReleaseReleased = "release.released",
        /// A release was cancelled.
        ReleaseCancelled = "release.cancelled",
    }
}

names! {
    /// A reviewer's decision.
    ReviewDecision, "decision" {
        /// The release may go on to pilot, grayscale or full release.
        Approve = "approve",
        /// The release goes back with a reason.
        Reject = "reject",
    }
}

names! {
    /// Who develops a mini program.
    AppKind, "app kind" {
        /// Its merchant's own members.
        SelfDeveloped = "self_developed",
        /// An ISV the merchant authorizes.
        ThirdParty = "third_party",
    }
}

names! {
    /// What became of a webhook delivery.
    DeliveryStatus, "delivery status" {
        /// More attempts to come.
        Pending = "pending",
        /// The receiver answered 2xx.
        Delivered = "delivered",
        /// Out of attempts.
        Failed = "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_display_and_from_str() {
        fn check<T>(all: &[T])
        where
            T: Copy
                + fmt::Display
                + std::str::FromStr
                + Serialize
                + serde::de::DeserializeOwned
                + PartialEq
                + fmt::Debug,
            <T as std::str::FromStr>::Err: fmt::Debug,
        {
            for v in all {
                let json = serde_json::to_string(v).expect("json");
                assert_eq!(json, format!("\"{v}\""), "serde and Display agree");
                assert_eq!(serde_json::from_str::<T>(&json).expect("back"), *v);
                assert_eq!(v.to_string().parse::<T>().expect("parse"), *v);
            }
        }
        check(ReleaseState::ALL);
        check(Role::ALL);
        check(WorkspaceKind::ALL);
        check(IsvAction::ALL);
        check(WebhookEvent::ALL);
        check(ReviewDecision::ALL);
        check(AppKind::ALL);
        check(DeliveryStatus::ALL);
        check(Rule::ALL);
    }

    #[test]
    fn the_wire_names_are_the_ones_clients_already_send() {
        let names = |v: &[&dyn fmt::Display]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(&[
                &ReleaseState::InReview,
                &ReleaseState::Grayscale,
                &Role::Master
            ]),
            ["in_review", "grayscale", "master"]
        );
        assert_eq!(
            names(&[
                &WebhookEvent::ReleaseApproved,
                &AppKind::ThirdParty,
                &IsvAction::Manage
            ]),
            ["release.approved", "third_party", "manage"]
        );
    }

    #[test]
    fn unknown_names_say_what_is_known() {
        let e = "boss".parse::<Role>().expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "\"boss\" is not a role; one of: developer, owner, master"
        );
        assert!(
            serde_json::from_str::<Role>("\"Master\"").is_err(),
            "names are exact"
        );
        assert!(Role::Developer < Role::Owner && Role::Owner < Role::Master);
        assert!(ReleaseState::Rejected.is_active() && !ReleaseState::Rejected.is_open());
        assert!(!ReleaseState::Released.is_active() && !ReleaseState::Cancelled.is_open());
    }
}
