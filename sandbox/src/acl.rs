//! Access resolution: the host's API registry, the platform's approval (carried
//! in the signed manifest) and the user's consent, resolved into one table
//! where deny wins and the default is deny.

use crate::net::NetKind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What one API needs, as its declaration says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiNeeds {
    /// Platform permission key, if the API needs approval.
    pub permission: Option<String>,
    /// User authorization scope, if the API needs consent.
    pub scope: Option<String>,
    /// The network list its URL argument is checked against, if any.
    pub net: Option<&'static str>,
}

/// How one API resolves for one mini program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "access", rename_all = "camelCase")]
pub enum Access {
    /// Passes the host and platform gates; may still need consent and argument checks.
    Allowed {
        /// The scope to ask consent for.
        #[serde(skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
        /// The list its URLs must match.
        #[serde(skip_serializing_if = "Option::is_none")]
        net: Option<&'static str>,
    },
    /// Refused at the platform gate: the permission key is not approved.
    NotApproved {
        /// The missing key.
        permission: String,
    },
    /// Refused: the scope is not among the approved scopes.
    ScopeNotApproved {
        /// The scope.
        scope: String,
    },
}

/// The resolved table for one mini program in one host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResolvedAcl {
    apis: BTreeMap<String, Access>,
    scopes: BTreeSet<String>,
}

impl ResolvedAcl {
    /// Resolves every API the host offers against the approved permission keys
    /// and scopes. An API the host does not offer is absent (and so denied).
    pub fn resolve(
        registry: &BTreeMap<String, ApiNeeds>,
        approved_keys: &BTreeSet<String>,
        approved_scopes: &BTreeSet<String>,
    ) -> ResolvedAcl {
        let apis = registry
            .iter()
            .map(|(name, needs)| {
                let access = match (&needs.permission, &needs.scope) {
                    (Some(key), _) if !approved_keys.contains(key) => Access::NotApproved {
                        permission: key.clone(),
                    },
                    (_, Some(scope))
                        if !approved_scopes.contains(scope) && scope != "auth_base" =>
                    {
                        Access::ScopeNotApproved {
                            scope: scope.clone(),
                        }
                    }
                    _ => Access::Allowed {
                        scope: needs.scope.clone(),
                        net: needs.net,
                    },
                };
                (name.clone(), access)
            })
            .collect();
        ResolvedAcl {
            apis,
            scopes: approved_scopes.clone(),
        }
    }

    /// Whether the platform approved `scope` for this mini program (`auth_base`
    /// needs no approval).
    pub fn scope_approved(&self, scope: &str) -> bool {
        scope == "auth_base" || self.scopes.contains(scope)
    }

    /// The access of `api`; `None` means the host has no such API (denied).
    pub fn get(&self, api: &str) -> Option<&Access> {
        self.apis.get(api)
    }
}

/// The map key of a [`NetKind`] in `ApiNeeds::net`.
pub fn net_name(kind: NetKind) -> &'static str {
    kind.name()
}

/// A user's recorded decision on a scope, per (host user, appId, scope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ScopeDecision {
    /// Granted at `at` (unix seconds), with a receipt id, optionally until a time.
    Granted {
        /// When.
        at: u64,
        /// The consent receipt's id.
        receipt: String,
        /// Expiry (unix seconds) for a time-limited grant.
        until: Option<u64>,
    },
    /// Denied at `at`; stays until the user changes it in openSetting.
    Denied {
        /// When.
        at: u64,
    },
}

/// What the user gate says for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Consent {
    /// Go ahead.
    Allow,
    /// Ask the user through the host delegate.
    Prompt,
    /// Refuse without asking.
    Deny,
}

/// Decides the user gate from the stored decision at time `now` (unix seconds).
/// `auth_base` is silent.
pub fn consent(scope: &str, decision: Option<&ScopeDecision>, now: u64) -> Consent {
    if scope == "auth_base" {
        return Consent::Allow;
    }
    match decision {
        None => Consent::Prompt,
        Some(ScopeDecision::Denied { .. }) => Consent::Deny,
        Some(ScopeDecision::Granted { until: Some(t), .. }) if now >= *t => Consent::Prompt,
        Some(ScopeDecision::Granted { .. }) => Consent::Allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(permission: Option<&str>, scope: Option<&str>, net: Option<&'static str>) -> ApiNeeds {
        ApiNeeds {
            permission: permission.map(str::to_owned),
            scope: scope.map(str::to_owned),
            net,
        }
    }

    #[test]
    fn resolved_table_snapshot() {
        let registry = BTreeMap::from([
            ("showToast".to_string(), needs(None, None, None)),
            (
                "request".to_string(),
                needs(Some("request"), None, Some("request")),
            ),
            (
                "getLocation".to_string(),
                needs(Some("getLocation"), Some("scope.location"), None),
            ),
            (
                "getOpenUserInfo".to_string(),
                needs(Some("getOpenUserInfo"), Some("scope.userInfo"), None),
            ),
            (
                "getAuthCode".to_string(),
                needs(Some("getAuthCode"), Some("auth_base"), None),
            ),
            ("tradePay".to_string(), needs(Some("tradePay"), None, None)),
            (
                "getWalletBalance".to_string(),
                needs(Some("getWalletBalance"), Some("scope.walletBalance"), None),
            ),
        ]);
        let keys = BTreeSet::from(
            [
                "request",
                "getLocation",
                "getOpenUserInfo",
                "getAuthCode",
                "getWalletBalance",
            ]
            .map(String::from),
        );
        let scopes = BTreeSet::from(["scope.userInfo".to_string()]);
        let acl = ResolvedAcl::resolve(&registry, &keys, &scopes);
        insta::assert_json_snapshot!(acl);
        assert_eq!(
            acl.get("unknownApi"),
            None,
            "what the host does not offer is denied"
        );
    }

    #[test]
    fn consent_states() {
        let granted = ScopeDecision::Granted {
            at: 10,
            receipt: "r1".into(),
            until: Some(100),
        };
        assert_eq!(consent("scope.location", None, 0), Consent::Prompt);
        assert_eq!(
            consent("scope.location", Some(&granted), 50),
            Consent::Allow
        );
        assert_eq!(
            consent("scope.location", Some(&granted), 100),
            Consent::Prompt,
            "a time-limited grant expires"
        );
        assert_eq!(
            consent("scope.location", Some(&ScopeDecision::Denied { at: 5 }), 6),
            Consent::Deny
        );
        assert_eq!(consent("auth_base", None, 0), Consent::Allow);
    }
}
