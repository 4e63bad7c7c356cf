//! The one dispatcher every `my.*` call passes, navigation included. Gates,
//! in order: host (the API exists), platform (its permission key is
//! approved), argument shape (types), user (consent for its scope), sandbox
//! lists (URLs against the app's lists). Deny wins; the default is deny.

use crate::error::ApiError;
use crate::registry::{ApiDecl, Kind, Nav, ViewApi};

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

/// How a call answers: now, later from another thread (network calls), or,
/// for a navigation, by the host's page stack.
#[derive(Debug)]
pub enum Outcome {
    /// The result is ready.
    Ready(Result<Value, ApiError>),
    /// The result arrives on this channel; the host keeps pumping meanwhile.
    Pending(std::sync::mpsc::Receiver<Result<Value, ApiError>>),
    /// A navigation passed every gate; the host's page stack carries it out
    /// and answers the call.
    Navigate {
        /// Which navigation.
        nav: Nav,
        /// Its checked parameters (`url`, or `delta`).
        params: Map<String, Value>,
    },
    /// A view API passed every gate; the host's page and surface answer it.
    View {
        /// Which one.
        api: ViewApi,
        /// Its checked parameters.
        params: Map<String, Value>,
    },
}

impl Outcome {
    /// Waits for the result (Sync APIs, tools). A handler that drops its sender
    /// without answering is an internal error, never a hang. A navigation has
    /// no result here: only a page stack carries it out.
    pub fn wait(self) -> Result<Value, ApiError> {
        match self {
            Outcome::Ready(r) => r,
            Outcome::Pending(rx) => rx
                .recv()
                .unwrap_or_else(|_| Err(ApiError::Internal("the handler went away".into()))),
            Outcome::Navigate { nav, .. } => Err(ApiError::Internal(format!(
                "my.{nav} is carried out by the page stack"
            ))),
            Outcome::View { api, .. } => Err(ApiError::Internal(format!(
                "my.{api} is answered by the page's view"
            ))),
        }
    }
}

/// Carries out one API.
pub trait Handler {
    /// Runs the call; the gates have already passed.
    fn call(&self, call: &Call<'_>) -> Result<Value, ApiError>;

    /// Starts the call. Handlers that finish later (on another thread) override
    /// this and return [`Outcome::Pending`]; the default answers at once.
    fn start(&self, call: &Call<'_>) -> Outcome {
        Outcome::Ready(self.call(call))
    }
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

const CUSTOM_APIS: &str = r#"
## Custom APIs

An embedding app adds its own `my.*` APIs with the same declaration as the
built-ins. They pass the same gates: the permission key must be approved
for the mini program in its signed manifest, the scope (if any) asks the user
once, and parameters are type-checked before the handler runs. The handler
gets the host's identity (`call.user`, `call.app_id`), never the payload's.

```rust
use mpkit_host::Host;
use mpkit_jsapi::registry::{ApiDecl, Kind, ParamType};
use mpkit_jsapi::{ApiError, Call};
use serde_json::{json, Value};

let host = Host::builder()
    // .trust(..).storage_dir(..).delegate(..)
    .register_api(
        ApiDecl::new("getBalance", Kind::Async, "The wallet balance of the current user.")
            .permission("getBalance")            // approved per mini program by the platform
            .param("currency", ParamType::String, true),
        |c: &Call<'_>| -> Result<Value, ApiError> {
            Ok(json!({"currency": c.params["currency"], "amount": wallet_balance(c.user)}))
        },
    )
    .build()?;
```

In the mini program: `const r = await my.getBalance({currency: 'SGD'})`, and
`my.canIUse('getBalance.currency')` is `true`. Without `getBalance` among its
approved permissions the call fails with error 4 and nobody is asked.
"#;

/// The user gate for one scope: the stored decision, or (on first use, or
/// after a time-limited grant expired) the user's answer, which is stored with
/// its time and a receipt. A denial stays until the user changes it in
/// `my.openSetting`. `auth_base` is silent.
pub fn user_gate(
    user: &str,
    app: &str,
    scope: &str,
    consents: &dyn ConsentStore,
    prompter: &dyn Prompter,
    now: u64,
) -> Result<(), ApiError> {
    match consent(scope, consents.decision(user, app, scope).as_ref(), now) {
        Consent::Allow => Ok(()),
        Consent::Deny => Err(ApiError::UserDenied(scope.to_owned())),
        Consent::Prompt => {
            let granted = prompter.ask(app, scope);
            let decision = if granted {
                ScopeDecision::Granted {
                    at: now,
                    receipt: receipt_id(user, app, scope, now),
                    until: None,
                }
            } else {
                ScopeDecision::Denied { at: now }
            };
            consents.record(user, app, scope, decision);
            if granted {
                Ok(())
            } else {
                Err(ApiError::UserDenied(scope.to_owned()))
            }
        }
    }
}

/// A consent receipt's id: stable for (user, app, scope, time), and not the
/// user id itself (FNV-1a, 64 bits, hex).
pub fn receipt_id(user: &str, app: &str, scope: &str, at: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in [user, "\0", app, "\0", scope, "\0", &at.to_string()]
        .iter()
        .flat_map(|s| s.bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("rcpt-{at}-{h:016x}")
}

/// Who carries out a declared API.
enum Carrier {
    /// Its handler.
    Handler(Box<dyn Handler>),
    /// The host's page stack, after the gate ([`Outcome::Navigate`]).
    Nav(Nav),
    /// The host's page and surface, after the gate ([`Outcome::View`]).
    View(ViewApi),
}

/// The registry: declarations with their handlers.
#[derive(Default)]
pub struct Dispatcher {
    apis: BTreeMap<String, (ApiDecl, Carrier)>,
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
    /// Custom APIs pass exactly the same gates. A later registration of the
    /// same name replaces the earlier one. A [`Kind::Nav`] declaration of a
    /// [`Nav`] name is navigation: the host's page stack carries it out and
    /// `handler` is never called.
    pub fn register(&mut self, decl: ApiDecl, handler: Box<dyn Handler>) {
        let nav = Nav::from_name(&decl.name).filter(|_| decl.kind == Kind::Nav);
        let view = ViewApi::from_name(&decl.name).filter(|_| decl.kind == Kind::View);
        let carrier = match (nav, view) {
            (Some(nav), _) => Carrier::Nav(nav),
            (None, Some(view)) => Carrier::View(view),
            (None, None) => Carrier::Handler(handler),
        };
        self.apis.insert(decl.name.clone(), (decl, carrier));
    }

    /// Declares every navigation ([`Nav::ALL`]), carried out by the host's
    /// page stack once it passed the gate.
    pub fn register_navigation(&mut self) {
        for nav in Nav::ALL {
            let decl = nav.decl();
            self.apis
                .insert(decl.name.clone(), (decl, Carrier::Nav(nav)));
        }
    }

    /// Declares the view's own APIs ([`ViewApi::ALL`]), answered by the
    /// host's page and surface once they passed the gate.
    pub fn register_view(&mut self) {
        for view in ViewApi::ALL {
            let decl = view.decl();
            self.apis
                .insert(decl.name.clone(), (decl, Carrier::View(view)));
        }
    }

    /// Keeps only the APIs `keep` accepts (a host that ships a subset, a
    /// compatibility profile); the rest are not available, for `canIUse` too.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.apis.retain(|name, _| keep(name));
    }

    /// Whether the host has this API.
    pub fn has(&self, api: &str) -> bool {
        self.apis.contains_key(api)
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
                    || matches!(first, "success" | "fail" | "complete") && decl.kind != Kind::Sync
            }
        }
    }

    /// Runs every gate without calling the handler: host, platform, argument
    /// shape, user, sandbox lists, in that order.
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
        // 3. Argument shape, before anyone is asked anything.
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
        // 4. User. A scope may be static, or named by an argument
        // (`getAuthCode({scopes: 'auth_user'})` needs `scope.userInfo`).
        let dynamic = decl.scope_for(&params);
        if let Some(scope) = dynamic.as_ref().filter(|s| decl.scope.as_ref() != Some(*s)) {
            if !ctx.acl.scope_approved(scope) {
                return Err(ApiError::NotApproved {
                    api: api.to_owned(),
                    permission: scope.clone(),
                });
            }
        }
        if let Some(scope) = &dynamic {
            user_gate(&ctx.user, &ctx.app_id, scope, consents, prompter, now)?;
        }
        // 5. Sandbox lists: URLs against the app's list for this API.
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

    /// Gates a call and runs it to the end (Sync APIs, tools).
    pub fn dispatch(
        &self,
        ctx: &AppContext,
        api: &str,
        params: &Value,
        consents: &dyn ConsentStore,
        prompter: &dyn Prompter,
        now: u64,
    ) -> Result<Value, ApiError> {
        self.start(ctx, api, params, consents, prompter, now).wait()
    }

    /// Gates a call and starts it; the result may arrive later.
    pub fn start(
        &self,
        ctx: &AppContext,
        api: &str,
        params: &Value,
        consents: &dyn ConsentStore,
        prompter: &dyn Prompter,
        now: u64,
    ) -> Outcome {
        let cleared = match self.gate(ctx, api, params, consents, prompter, now) {
            Ok(c) => c,
            Err(e) => return Outcome::Ready(Err(e)),
        };
        let handler = match self.apis.get(api) {
            Some((_, Carrier::Handler(h))) => h,
            Some((_, Carrier::Nav(nav))) => {
                return Outcome::Navigate {
                    nav: *nav,
                    params: cleared.params,
                }
            }
            Some((_, Carrier::View(view))) => {
                return Outcome::View {
                    api: *view,
                    params: cleared.params,
                }
            }
            None => return Outcome::Ready(Err(ApiError::NotAvailable(api.to_owned()))),
        };
        handler.start(&Call {
            api,
            app_id: &ctx.app_id,
            user: &ctx.user,
            params: &cleared.params,
            url: cleared.url.as_ref(),
        })
    }

    /// Every name `my.canIUse` answers true for: each API, and each
    /// `api.param` (with `success`/`fail`/`complete` for async APIs).
    pub fn can_i_use_table(&self) -> Vec<String> {
        let mut out = Vec::new();
        for d in self.decls() {
            out.push(d.name.clone());
            for p in &d.params {
                out.push(format!("{}.{}", d.name, p.name));
            }
            if d.kind != Kind::Sync {
                for cb in ["success", "fail", "complete"] {
                    out.push(format!("{}.{cb}", d.name));
                }
            }
        }
        out
    }

    /// docs/jsapi.md, generated from the declarations.
    pub fn reference_markdown(decls: &[ApiDecl]) -> String {
        let mut s = String::from(
            "# JSAPI reference\n\nGenerated from `mpkit_jsapi::registry::builtin_decls()`; a test fails when this file is stale \
             (regenerate with `MPKIT_UPDATE_DOCS=1 cargo test -p mpkit-jsapi`).\n\n\
             Every call, navigation included, passes one dispatcher: host → platform permission → argument shape → user scope → sandbox lists. Deny wins. \
             A `Nav` API is called as an async one; once it passed the gate, the page stack carries it out.\n\n\
             | API | kind | permission | scope | network list | parameters | summary |\n|---|---|---|---|---|---|---|\n",
        );
        for d in decls {
            let params: Vec<String> = d
                .params
                .iter()
                .map(|p| {
                    // The name as the program spells it (camelCase, as in
                    // the typings); only the type is written in lower case.
                    format!(
                        "`{}`{}: {}",
                        p.name,
                        if p.required { "" } else { "?" },
                        format!("{:?}", p.ty).to_lowercase()
                    )
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
                match (&d.scope, d.scope_if) {
                    (Some(p), _) => format!("`{p}`"),
                    (None, Some((param, value, scope))) => {
                        format!("`{scope}` when `{param}` has `{value}`")
                    }
                    (None, None) => "—".into(),
                },
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
        for (code, meaning) in ApiError::CODES {
            s.push_str(&format!("| {code} | {meaning} |\n"));
        }
        s.push_str(CUSTOM_APIS);
        s
    }
}
