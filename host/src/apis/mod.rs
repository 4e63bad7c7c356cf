//! The built-in `my.*` handlers and the per-launch JSAPI setup.
//!
//! [`setup`] turns a launch (app, host user, the signed manifest's approved
//! permissions, the host's delegate and services) into the [`Session`] the
//! runtime dispatches through. Every handler receives identity from the
//! dispatcher's `Call` (the host's context), never from the payload. Each API
//! family registers its handlers from its own file: `storage.rs`, `files.rs`,
//! `net.rs`, `ui.rs`, `system.rs`, `auth.rs`, `device.rs` (`store.rs` is the
//! SQLite store behind storage and consent; `common.rs` what they share).

mod auth;
mod common;
mod device;
pub(crate) mod files;
pub(crate) mod net;
mod storage;
pub(crate) mod store;
mod system;
mod ui;

pub use system::SystemInfo;

use crate::delegate::HostDelegate;
use auth::DelegatePrompter;
use common::Shared;
use files::Files;
use mpkit_bundle::{AppId, Permissions};
use mpkit_jsapi::registry::{builtin_decls, ApiDecl};
use mpkit_jsapi::{ApiError, AppContext, Dispatcher, Handler, Nav, Session, ViewApi};
use mpkit_sandbox::net::{DevOrigin, NetPolicy};
use net::NetConfig;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use store::UserData;

/// A custom JSAPI of the embedding app: its declaration and its handler.
pub type CustomApi = (ApiDecl, Rc<dyn Handler>);

/// Everything [`setup`] needs for one launch.
#[derive(Clone)]
pub struct ApiEnv {
    /// The mini program.
    pub app: AppId,
    /// The version that runs.
    pub version: String,
    /// Which build: `release` (a verified, installed bundle) or `develop`
    /// (a development directory); `trial` and `gray` are Alipay's names
    /// for a pilot's and a grayscale's.
    pub env_version: String,
    /// The `ext` field of the bundle's `ext.json` (a template's custom
    /// data; `{}` without one), for `my.getExtConfig`.
    pub ext: serde_json::Value,
    /// The host user.
    pub user: String,
    /// Approved permissions, from the verified manifest.
    pub permissions: Permissions,
    /// The host's storage and consent database.
    pub data: Rc<UserData>,
    /// The host's file spaces.
    pub files: Files,
    /// Network limits.
    pub net: NetConfig,
    /// Loopback origins allowed for development (the embedding app's choice).
    pub dev_origins: Vec<DevOrigin>,
    /// Development only: any public https host passes the domain lists
    /// ([`mpkit_sandbox::net::NetPolicy::with_any_public_host`]).
    pub open_network: bool,
    /// The embedding app.
    pub delegate: Rc<dyn HostDelegate>,
    /// Device and host facts.
    pub system: SystemInfo,
    /// The embedding app's own APIs (they pass the same gates).
    pub custom: Vec<CustomApi>,
    /// When set, only these `my.*` names are offered (a host that ships a
    /// subset, a compatibility profile); every other API answers error 1 and
    /// `canIUse` says false. Navigation and `canIUse` itself always stay.
    pub available: Option<BTreeSet<String>>,
}

impl std::fmt::Debug for ApiEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiEnv")
            .field("app", &self.app)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// APIs that no subset removes: the page stack carries out navigation, the
/// page's view answers the selector query and the component contexts, and
/// `canIUse` is how a mini program finds out about the rest.
pub const ALWAYS_AVAILABLE: &[&str] = &[
    Nav::To.name(),
    Nav::Redirect.name(),
    Nav::Back.name(),
    Nav::ReLaunch.name(),
    Nav::SwitchTab.name(),
    ViewApi::SelectorQuery.name(),
    ViewApi::Canvas.name(),
    ViewApi::Map.name(),
    ViewApi::Video.name(),
    ViewApi::WebView.name(),
    ViewApi::Lottie.name(),
    ViewApi::IntersectionObserver.name(),
    "canIUse",
];

/// Builds the dispatcher with every built-in handler, plus the embedding app's
/// custom APIs, and the resolved context for this launch.
pub fn setup(env: &ApiEnv) -> Result<Session, ApiError> {
    let decls: BTreeMap<String, ApiDecl> = builtin_decls()
        .into_iter()
        .map(|d| (d.name.clone(), d))
        .collect();
    let mut d = Dispatcher::new();
    storage::register_storage(&mut d, &decls, &env.data);
    files::register_files(&mut d, &env.files);
    let mut policy = NetPolicy::from_lists(&env.permissions.domains)
        .map_err(ApiError::from)?
        .with_dev_origins(env.dev_origins.clone());
    if env.open_network {
        policy = policy.with_any_public_host();
    }
    net::register_net(&mut d, &decls, env, &policy);
    ui::register_ui(&mut d, &decls, env);
    system::register_system(&mut d, &decls, env);
    auth::register_auth(&mut d, &decls, env);
    device::register_device(&mut d, &decls, env);
    // Gated like every API, then carried out by the runtime's page stack.
    d.register_navigation();
    // Gated like every API, then answered by the runtime's page and surface.
    d.register_view();
    for (decl, handler) in &env.custom {
        d.register(decl.clone(), Box::new(Shared(handler.clone())));
    }
    if let Some(only) = &env.available {
        d.retain(|name| only.contains(name) || ALWAYS_AVAILABLE.contains(&name));
    }
    // canIUse answers from the finished table.
    system::register_can_i_use(&mut d, &decls);
    let keys: BTreeSet<String> = env.permissions.jsapi.iter().cloned().collect();
    let scopes: BTreeSet<String> = env.permissions.scopes.iter().cloned().collect();
    let acl = d.resolve(&keys, &scopes);
    Ok(Session {
        dispatcher: Rc::new(d),
        context: AppContext {
            app_id: env.app.to_string(),
            user: env.user.clone(),
            acl,
            net: policy,
        },
        consents: env.data.clone(),
        prompter: Rc::new(DelegatePrompter {
            app: env.app.clone(),
            delegate: env.delegate.clone(),
        }),
    })
}
