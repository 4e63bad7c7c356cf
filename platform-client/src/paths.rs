//! Every route of the platform's API, spelled once. The server builds its
//! router from [`ALL`] (a test checks that it serves exactly these routes and
//! that the OpenAPI document describes exactly these), and the client builds
//! every URL with [`Route::path`], so the two cannot name a route differently.
//!
//! ```
//! use mpkit_platform_client::paths;
//! assert_eq!(paths::MEMBERS.template, "/v1/workspaces/{ws}/members");
//! assert_eq!(paths::MEMBERS.path(&["a b"]), "/v1/workspaces/a%20b/members");
//! assert_eq!(paths::MEMBERS.method, paths::Method::Get);
//! ```

use std::fmt;

/// An HTTP method of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// GET: reads; the client retries it.
    Get,
    /// POST: creates and workflow steps; never retried.
    Post,
    /// PUT: replaces; the client retries it.
    Put,
    /// PATCH: edits; never retried.
    Patch,
    /// DELETE: removes or revokes; the client retries it.
    Delete,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    /// Its name in HTTP, e.g. `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One route: a method and a path template whose `{name}` segments are
/// parameters (the router's own syntax).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path, e.g. `/v1/releases/{id}/apply`.
    pub template: &'static str,
}

impl Route {
    const fn new(method: Method, template: &'static str) -> Route {
        Route { method, template }
    }

    /// The path with its parameters filled in, in order, each
    /// percent-encoded as one segment. A missing argument leaves its
    /// parameter empty and an extra one is ignored; the client's tests call
    /// every route with its own arity.
    pub fn path(&self, args: &[&str]) -> String {
        let mut out = String::with_capacity(self.template.len() + 16);
        let mut args = args.iter();
        let mut rest = self.template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
            if let Some(a) = args.next() {
                out.push_str(&encode(a));
            }
            rest = &rest[close..];
        }
        out.push_str(rest);
        out
    }

    /// The names of its parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = &'static str> {
        self.template
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.template)
    }
}

/// Percent-encodes one path segment or query value: ASCII letters, digits and
/// `*-._` stay, a space is `%20`, every other byte is `%XX`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"*-._".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

macro_rules! routes {
    ($( $(#[$doc:meta])* $name:ident = $method:ident $template:literal; )+) => {
        $( $(#[$doc])* pub const $name: Route = Route::new(Method::$method, $template); )+

        /// Every route of the API, the OpenAPI document's own included.
        pub const ALL: &[Route] = &[$($name),+];
    };
}

routes! {
    /// The OpenAPI document.
    OPENAPI = Get "/openapi.json";

    /// Creates an account (admins).
    CREATE_ACCOUNT = Post "/v1/accounts";
    /// The caller and their workspaces.
    ME = Get "/v1/me";
    /// The audit log (admins); `?object=` narrows it.
    AUDIT = Get "/v1/audit";
    /// The caller's notifications.
    INBOX = Get "/v1/inbox";
    /// The caller's tokens.
    TOKENS = Get "/v1/me/tokens";
    /// A new token for the caller.
    CREATE_TOKEN = Post "/v1/me/tokens";
    /// Revokes one of the caller's tokens.
    REVOKE_TOKEN = Delete "/v1/me/tokens/{id}";
    /// Revokes every token of an account (admins).
    REVOKE_ACCOUNT_TOKENS = Delete "/v1/accounts/{account}/tokens";

    /// Creates a workspace.
    CREATE_WORKSPACE = Post "/v1/workspaces";
    /// A workspace's members.
    MEMBERS = Get "/v1/workspaces/{ws}/members";
    /// Adds a member.
    ADD_MEMBER = Post "/v1/workspaces/{ws}/members";
    /// Changes a member's role.
    SET_ROLE = Patch "/v1/workspaces/{ws}/members/{account}";
    /// Removes a member.
    REMOVE_MEMBER = Delete "/v1/workspaces/{ws}/members/{account}";
    /// Registers a developer key.
    REGISTER_KEY = Post "/v1/workspaces/{ws}/keys";
    /// A workspace's developer keys.
    KEYS = Get "/v1/workspaces/{ws}/keys";
    /// Revokes a developer key.
    REVOKE_KEY = Delete "/v1/workspaces/{ws}/keys/{key}";
    /// A workspace's mini programs.
    APPS = Get "/v1/workspaces/{ws}/apps";
    /// Creates a mini program.
    CREATE_APP = Post "/v1/workspaces/{ws}/apps";
    /// Authorizes an ISV.
    AUTHORIZE_ISV = Post "/v1/workspaces/{ws}/isv-authorizations";
    /// Revokes an ISV authorization.
    REVOKE_ISV = Delete "/v1/isv-authorizations/{id}";

    /// Every target app.
    TARGETS = Get "/v1/target-apps";
    /// Creates a target app (admins).
    CREATE_TARGET = Post "/v1/target-apps";
    /// Names a reviewer of a target app (admins).
    ADD_REVIEWER = Post "/v1/target-apps/{t}/reviewers";
    /// A target app's reviewers (admins).
    REVIEWERS = Get "/v1/target-apps/{t}/reviewers";
    /// Removes a reviewer (admins).
    REMOVE_REVIEWER = Delete "/v1/target-apps/{t}/reviewers/{account}";

    /// A mini program and its releases.
    APP = Get "/v1/apps/{app}";
    /// Assigns a developer to a mini program.
    ASSIGN = Post "/v1/apps/{app}/assignments";
    /// A mini program's versions.
    VERSIONS = Get "/v1/apps/{app}/versions";
    /// Uploads a version.
    UPLOAD_VERSION = Post "/v1/apps/{app}/versions";

    /// Starts a release.
    START_RELEASE = Post "/v1/apps/{app}/releases";
    /// A release.
    RELEASE = Get "/v1/releases/{id}";
    /// Attaches a compatibility report.
    COMPAT_REPORT = Post "/v1/releases/{id}/compat-report";
    /// Edits basic info.
    BASIC_INFO = Patch "/v1/releases/{id}/basic-info";
    /// Applies for release.
    APPLY = Post "/v1/releases/{id}/apply";
    /// A reviewer's decision.
    REVIEW = Post "/v1/releases/{id}/review";
    /// Starts pilot testing.
    START_PILOT = Post "/v1/releases/{id}/pilot";
    /// Replaces the tester list from a file.
    PUT_TESTERS = Put "/v1/releases/{id}/testers";
    /// Completes pilot testing.
    COMPLETE_PILOT = Post "/v1/releases/{id}/complete-pilot";
    /// Starts or raises the grayscale.
    GRAYSCALE = Post "/v1/releases/{id}/grayscale";
    /// Releases to everyone.
    FULL = Post "/v1/releases/{id}/full";
    /// Cancels a release.
    CANCEL = Post "/v1/releases/{id}/cancel";

    /// Rolls back to an earlier full release.
    ROLLBACK = Post "/v1/apps/{app}/targets/{t}/rollback";
    /// Takes a mini program down from a target app.
    TAKEDOWN = Post "/v1/apps/{app}/targets/{t}/takedown";
    /// The signed release policy.
    POLICY = Get "/v1/apps/{app}/targets/{t}/policy";
    /// Why a user gets what they get; `?user=`.
    EXPLAIN = Get "/v1/apps/{app}/targets/{t}/explain";
    /// How many users a percentage would reach.
    DRY_RUN = Post "/v1/apps/{app}/targets/{t}/dry-run";
    /// A launch or trial QR code; `?format=` and `?release=`.
    QR = Get "/v1/apps/{app}/targets/{t}/qr";
    /// The signed answer for one user (hosts); `?app=&targetApp=&user=`.
    RESOLVE = Get "/v1/resolve";
    /// A release package (hosts).
    PACKAGE = Get "/v1/packages/{app}/{t}/{version}";
    /// The platform's trust root.
    ROOT_JSON = Get "/v1/trust/root.json";

    /// A workspace's webhooks.
    WEBHOOKS = Get "/v1/workspaces/{ws}/webhooks";
    /// Registers a webhook.
    CREATE_WEBHOOK = Post "/v1/workspaces/{ws}/webhooks";
    /// Deletes a webhook.
    DELETE_WEBHOOK = Delete "/v1/webhooks/{id}";
    /// A webhook's deliveries.
    WEBHOOK_DELIVERIES = Get "/v1/webhooks/{id}/deliveries";

    /// Names an operator of a target app (admins).
    ADD_OPERATOR = Post "/v1/target-apps/{t}/operators";
    /// A target app's operators (admins).
    OPERATORS = Get "/v1/target-apps/{t}/operators";
    /// Removes an operator (admins).
    REMOVE_OPERATOR = Delete "/v1/target-apps/{t}/operators/{account}";
    /// A mini program's app secrets.
    APP_SECRETS = Get "/v1/apps/{app}/secrets";
    /// Creates an app secret.
    CREATE_APP_SECRET = Post "/v1/apps/{app}/secrets";
    /// Revokes an app secret.
    REVOKE_APP_SECRET = Delete "/v1/apps/{app}/secrets/{id}";
    /// Issues an auth code (operators).
    ISSUE_AUTH_CODE = Post "/v1/auth-codes";
    /// Exchanges an auth code (app secrets).
    EXCHANGE_AUTH_CODE = Post "/v1/auth-codes/exchange";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_route_is_declared_once() {
        let set: HashSet<&Route> = ALL.iter().collect();
        assert_eq!(set.len(), ALL.len(), "a route is listed twice");
        for r in ALL {
            assert!(r.template.starts_with('/'), "{r}");
            assert!(!r.template.ends_with('/'), "{r}");
            // Parameters are whole segments.
            for seg in r.template.split('/') {
                assert!(
                    !seg.contains(['{', '}']) || (seg.starts_with('{') && seg.ends_with('}')),
                    "{r}"
                );
            }
        }
    }

    #[test]
    fn paths_fill_and_encode_their_parameters() {
        assert_eq!(ME.path(&[]), "/v1/me");
        assert_eq!(
            SET_ROLE.path(&["ws/1", "a b"]),
            "/v1/workspaces/ws%2F1/members/a%20b"
        );
        assert_eq!(PACKAGE.path(&["1", "t", "1.0.0"]), "/v1/packages/1/t/1.0.0");
        assert_eq!(
            PACKAGE.params().collect::<Vec<_>>(),
            ["app", "t", "version"]
        );
        assert_eq!(encode("a b/c?d&e+é*~"), "a%20b%2Fc%3Fd%26e%2B%C3%A9*%7E");
    }
}
