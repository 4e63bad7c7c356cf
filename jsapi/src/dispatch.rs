//! The one dispatcher every `my.*` call passes. Gates, in order: host (the API
//! exists), platform (its permission key is approved), user (consent for its
//! scope), arguments (types, and URLs against the sandbox's lists). Deny wins;
//! the default is deny.

use crate::error::ApiError;
use crate::registry::{ApiDecl, Kind};
use mpkit_sandbox::acl::{consent, Access, ApiNeeds, Consent, ResolvedAcl, ScopeDecision};
use mpkit_sandbox::net::{AllowedUrl, NetKind, NetPolicy};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Identity and policy of one running mini program, from the host (never from JS).
#[derive(Debug, Clone)]
pub struct AppContext {
    /// The mini program.
    pub app_id: String,
    /// The host's user.
    pub user: String,
    /// Resolved access.
    pub acl: ResolvedAcl,
    /// Network lists.
    pub net: NetPolicy,
}

/// One call as a handler sees it: validated parameters and the host's identity.
#[derive(Debug)]
pub struct Call<'a> {
    /// The API.
    pub api: &'a str,
    /// The mini program, from the host.
    pub app_id: &'a str,
    /// The user, from the host.
    pub user: &'a str,
    /// Parameters, with any `appId`/`userId` a payload carried removed.
    pub params: &'a Map<String, Value>,
    /// The checked URL, for network APIs.
    pub url: Option<&'a AllowedUrl>,
}

/// Carries out one API.
pub trait Handler {
    /// Runs the call; the gates have already passed.
    fn call(&self, call: &Call<'_>) -> Result<Value, ApiError>;
}

impl<F: Fn(&Call<'_>) -> Result<Value, ApiError>> Handler for F {
    fn call(&self, call: &Call<'_>) -> Result<Value, ApiError> {
        self(call)
    }
}

/// Where consent decisions live (per host user, appId and scope). The host
/// implements it over its storage.
pub trait ConsentStore {
    /// The stored decision.
    fn decision(&self, user: &str, app: &str, scope: &str) -> Option<ScopeDecision>;
    /// Stores a decision.
    fn record(&self, user: &str, app: &str, scope: &str, decision: ScopeDecision);
}

/// Asks the user, through the host delegate. Returns true when granted.
pub trait Prompter {
    /// Asks for `scope` on behalf of `app`.
    fn ask(&self, app: &str, scope: &str) -> bool;
}

/// The registry: declarations with their handlers.
#[derive(Default)]
pub struct Dispatcher {
    apis: BTreeMap<String, (ApiDecl, Box<dyn Handler>)>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("apis", &self.apis.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// What the gates decided, before the handler runs.
#[derive(Debug)]
pub struct Cleared {
    params: Map<String, Value>,
    url: Option<AllowedUrl>,
}

impl Dispatcher {
    /// An empty registry.
    pub fn new() -> Dispatcher {
        Dispatcher::default()
    }

    /// Registers an API (built-in or the embedding app's own) with its handler.
    /// Custom APIs pass exactly the same gates.
    pub fn register(&mut self, decl: ApiDecl, handler: Box<dyn Handler>) {
        self.apis.insert(decl.name.clone(), (decl, handler));
    }

    /// The declarations, by name.
    pub fn decls(&self) -> impl Iterator<Item = &ApiDecl> {
        self.apis.values().map(|(d, _)| d)
    }

    /// The registry as the sandbox's ACL input.
    pub fn needs(&self) -> BTreeMap<String, ApiNeeds> {
        self.decls()
            .map(|d| {
                (
                    d.name.clone(),
                    ApiNeeds {
                        permission: d.permission.clone(),
                        scope: d.scope.clone(),
                        net: d.net,
                    },
                )
            })
            .collect()
    }

    /// Resolves this host's APIs against approved keys and scopes.
    pub fn resolve(
        &self,
        approved_keys: &BTreeSet<String>,
        approved_scopes: &BTreeSet<String>,
    ) -> ResolvedAcl {
        ResolvedAcl::resolve(&self.needs(), approved_keys, approved_scopes)
    }

    /// `my.canIUse('api')` or `my.canIUse('api.param')`.
    pub fn can_i_use(&self, query: &str) -> bool {
        let mut parts = query.splitn(2, '.');
        let Some((decl, _)) = parts.next().and_then(|name| self.apis.get(name)) else {
            return false;
        };
        match parts.next() {
            None => true,
            Some(param) => {
                let first = param.split('.').next().unwrap_or(param);
                decl.params.iter().any(|p| p.name == first)
                    || matches!(first, "success" | "fail" | "complete") && decl.kind == Kind::Async
            }
        }
    }

    /// Runs gates 1 to 4 without calling the handler.
    pub fn gate(
        &self,
        ctx: &AppContext,
        api: &str,
        params: &Value,
        consents: &dyn ConsentStore,
        prompter: &dyn Prompter,
        now: u64,
    ) -> Result<Cleared, ApiError> {
        // 1. Host.
        let (decl, _) = self
            .apis
            .get(api)
            .ok_or_else(|| ApiError::NotAvailable(api.to_owned()))?;
        // 2. Platform: resolved from the signed manifest; no prompt on refusal.
        match ctx.acl.get(api) {
            Some(Access::Allowed { .. }) => {}
            Some(Access::NotApproved { permission }) => {
                return Err(ApiError::NotApproved {
                    api: api.to_owned(),
                    permission: permission.clone(),
                })
            }
            Some(Access::ScopeNotApproved { scope }) => {
                return Err(ApiError::NotApproved {
                    api: api.to_owned(),
                    permission: scope.clone(),
                })
            }
            None => return Err(ApiError::NotAvailable(api.to_owned())),
        }
        // 4a. Argument shape before anyone is asked anything.
        let mut params = match params {
            Value::Object(m) => m.clone(),
            Value::Null => Map::new(),
            _ => {
                return Err(ApiError::InvalidParam {
                    param: "(argument)".into(),
                    reason: "must be an object".into(),
                })
            }
        };
        // Identity comes from the host, never from JS.
        params.remove("appId");
        params.remove("userId");
        decl.validate(&params)?;
        // 3. User.
        if let Some(scope) = &decl.scope {
            match consent(
                scope,
                consents.decision(&ctx.user, &ctx.app_id, scope).as_ref(),
                now,
            ) {
                Consent::Allow => {}
                Consent::Deny => return Err(ApiError::UserDenied(scope.clone())),
                Consent::Prompt => {
                    let granted = prompter.ask(&ctx.app_id, scope);
                    let decision = if granted {
                        ScopeDecision::Granted {
                            at: now,
                            receipt: format!("{}:{}:{}:{now}", ctx.user, ctx.app_id, scope),
                            until: None,
                        }
                    } else {
                        ScopeDecision::Denied { at: now }
                    };
                    consents.record(&ctx.user, &ctx.app_id, scope, decision);
                    if !granted {
                        return Err(ApiError::UserDenied(scope.clone()));
                    }
                }
            }
        }
        // 4b. URLs against the app's list for this API.
        let url = match decl.net {
            Some(kind) => {
                let kind = match kind {
                    "socket" => NetKind::Socket,
                    "downloadFile" => NetKind::DownloadFile,
                    "uploadFile" => NetKind::UploadFile,
                    _ => NetKind::Request,
                };
                let raw = params
                    .get("url")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Some(ctx.net.check_url(kind, raw)?)
            }
            None => None,
        };
        Ok(Cleared { params, url })
    }

    /// Gates a call and runs it.
    pub fn dispatch(
        &self,
        ctx: &AppContext,
        api: &str,
        params: &Value,
        consents: &dyn ConsentStore,
        prompter: &dyn Prompter,
        now: u64,
    ) -> Result<Value, ApiError> {
        let cleared = self.gate(ctx, api, params, consents, prompter, now)?;
        let (_, handler) = self
            .apis
            .get(api)
            .ok_or_else(|| ApiError::NotAvailable(api.to_owned()))?;
        handler.call(&Call {
            api,
            app_id: &ctx.app_id,
            user: &ctx.user,
            params: &cleared.params,
            url: cleared.url.as_ref(),
        })
    }

    /// docs/jsapi.md, generated from the declarations.
    pub fn reference_markdown(decls: &[ApiDecl]) -> String {
        let mut s = String::from(
            "# JSAPI reference\n\nGenerated from `mpkit_jsapi::registry::builtin_decls()`; a test fails when this file is stale \
             (regenerate with `MPKIT_UPDATE_DOCS=1 cargo test -p mpkit-jsapi`).\n\n\
             Every call passes one dispatcher: host → platform permission → user scope → arguments. Deny wins.\n\n\
             | API | kind | permission | scope | network list | parameters | summary |\n|---|---|---|---|---|---|---|\n",
        );
        for d in decls {
            let params: Vec<String> = d
                .params
                .iter()
                .map(|p| {
                    format!(
                        "`{}`{}: {:?}",
                        p.name,
                        if p.required { "" } else { "?" },
                        p.ty
                    )
                    .to_lowercase()
                })
                .collect();
            s.push_str(&format!(
                "| `my.{}` | {:?} | {} | {} | {} | {} | {} |\n",
                d.name,
                d.kind,
                d.permission
                    .as_deref()
                    .map(|p| format!("`{p}`"))
                    .unwrap_or_else(|| "—".into()),
                d.scope
                    .as_deref()
                    .map(|p| format!("`{p}`"))
                    .unwrap_or_else(|| "—".into()),
                d.net
                    .map(|p| format!("`{p}`"))
                    .unwrap_or_else(|| "—".into()),
                if params.is_empty() {
                    "—".into()
                } else {
                    params.join(", ")
                },
                d.summary
            ));
        }
        s.push_str("\n## Error codes\n\n| code | meaning |\n|---|---|\n");
        for (code, meaning) in [
            (1, "the API is not available in this host"),
            (2, "invalid parameter"),
            (3, "internal error"),
            (4, "no permission: not approved by the platform, or an argument outside the app's lists and quotas"),
            (11, "the user did not authorize the scope"),
            (12, "network error"),
            (13, "timeout"),
            (14, "the response could not be decoded"),
            (19, "HTTP error"),
            (20, "too many concurrent calls"),
        ] {
            s.push_str(&format!("| {code} | {meaning} |\n"));
        }
        s
    }
}
