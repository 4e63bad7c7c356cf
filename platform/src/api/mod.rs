//! The HTTP API under `/v1`: the one route table and the OpenAPI document.
//! Every handler authenticates the caller, checks its rights on the object
//! itself, validates input (unknown fields are refused, so a body can never
//! set a state or an owner), and audits what it changed in the same
//! transaction as the change.

use crate::error::Error;
use crate::Platform;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use extract::{ok, ApiResult};
use mpkit_platform_client::paths::{self, Method, Route};
use mpkit_platform_client::wire::{
    AccountCreated, AccountRef, ApiErrorBody, App, AppDetail, AppSecret, AppSecretCreated,
    Assignment, AuditEntry, AuthCodeIssued, CodeExchange, CodeExchanged, DevKey, DryRun,
    DryRunResult, Explanation, Gray, Grayscale, InboxMessage, IsvAuthorization, KeyRegistered, Me,
    Member, Membership, NewAccount, NewApp, NewAppSecret, NewAuth, NewAuthCode, NewKey, NewMember,
    NewRelease, NewTarget, NewToken, NewWebhook, NewWorkspace, OperatorAdded, PackageRef,
    Permissions, Pilot, PinnedVersion, RejectedLine, Release, ReleaseGray, ReleasePermissions,
    ReleasePolicy, ReleaseStarted, ReleaseSummary, ResolveAnswer, Review, ReviewerAdded, Revoked,
    Rollback, Rule, SetRole, Signed, StableChanged, StateChanged, TargetApp, TestersReplaced,
    TokenCreated, TokenInfo, TokensRevoked, VersionInfo, VersionUploaded, Webhook, WebhookAttempt,
    WebhookCreated, WebhookDelivery, WebhookPayload, Workspace,
};
use mpkit_platform_client::wire::{
    AppKind, DeliveryStatus, IsvAction, ReleaseState, ReviewDecision, Role, WebhookEvent,
    WorkspaceKind,
};
use std::sync::Arc;

mod accounts;
mod apps;
mod credentials;
pub(crate) mod extract;
mod identity;
mod log;
mod releases;
mod rollout;
mod target_apps;
mod webhooks;
mod workspaces;

use accounts::*;
use apps::*;
use credentials::*;
use log::*;
use releases::*;
use rollout::*;
use target_apps::*;
use webhooks::*;
use workspaces::*;

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "mpkit platform", description = "Workspaces, versions, the release workflow and signed eligibility. Authenticate with `Authorization: Bearer <token>`."),
    paths(create_account, me, create_workspace, list_members, add_member, set_role, remove_member, add_key, list_apps, create_app, revoke_isv, list_target_apps, create_target, add_reviewer, get_app, assign, upload, list_versions, start_release, get_release, attach_report, edit_basic_info, apply, review, start_pilot, put_testers, complete_pilot, grayscale, full, cancel, rollback, takedown, get_policy, explain, dry_run, qr_code, resolve, package, root_json, audit_log, inbox, authorize_isv, create_webhook, list_webhooks, delete_webhook, webhook_deliveries,
        list_tokens, create_token, revoke_token, revoke_account_tokens, list_keys, revoke_key, list_reviewers, remove_reviewer, list_operators, remove_operator,
        identity::add_operator, identity::create_secret, identity::list_secrets, identity::revoke_secret, identity::issue_code, identity::exchange),
    components(schemas(
        // Requests.
        AccountRef, NewToken, DryRun, Gray, NewAccount, NewApp, NewAuth, NewKey, NewMember, NewRelease, NewTarget, NewWebhook, NewWorkspace, Pilot, Review, Rollback, SetRole,
        // Answers.
        AccountCreated, TokenCreated, TokenInfo, TokensRevoked, DevKey, App, AppDetail, Assignment, AuditEntry, DryRunResult, Explanation, InboxMessage, IsvAuthorization, KeyRegistered, Me, Member, Membership,
        PackageRef, Permissions, RejectedLine, Release, ReleaseGray, ReleasePermissions, ReleaseStarted, ReleaseSummary, Revoked, ReviewerAdded, StableChanged,
        StateChanged, TargetApp, TestersReplaced, VersionInfo, VersionUploaded, Workspace,
        Webhook, WebhookCreated, WebhookDelivery, WebhookAttempt, WebhookPayload,
        // User identity.
        OperatorAdded, NewAppSecret, AppSecret, AppSecretCreated, NewAuthCode, AuthCodeIssued, CodeExchange, CodeExchanged,
        // Signed documents and what they carry.
        Signed, ReleasePolicy, ResolveAnswer, PinnedVersion, Grayscale, Rule,
        // The names they share.
        ReleaseState, Role, WorkspaceKind, IsvAction, WebhookEvent, ReviewDecision, AppKind, DeliveryStatus,
        // Every error.
        ApiErrorBody,
    )),
    modifiers(&Bearer, &Errors)
)]
pub(crate) struct ApiDoc;

pub(super) struct Bearer;
impl utoipa::Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation answers its errors as `{code, message}`: added here once
/// instead of in each handler's annotation (an annotation that describes its
/// errors more closely keeps its own text).
pub(super) struct Errors;
impl utoipa::Modify for Errors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let errors = ResponseBuilder::new()
            .description("{code, message}")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ApiErrorBody")))
                    .build(),
            )
            .build();
        for item in doc.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                op.responses
                    .responses
                    .entry("4XX".to_owned())
                    .or_insert_with(|| errors.clone().into());
            }
        }
    }
}

pub(super) async fn openapi() -> ApiResult {
    use utoipa::OpenApi;
    ok(ApiDoc::openapi())
}

/// A handler for `route`, answering only the route's method.
fn handle<H, T>(route: Route, handler: H) -> MethodRouter<Arc<Platform>>
where
    H: Handler<T, Arc<Platform>>,
    T: 'static,
{
    let filter = match route.method {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Put => MethodFilter::PUT,
        Method::Patch => MethodFilter::PATCH,
        Method::Delete => MethodFilter::DELETE,
    };
    on(filter, handler)
}

macro_rules! table {
    ($($route:ident => $handler:path,)+) => {
        vec![$((paths::$route, handle(paths::$route, $handler)),)+]
    };
}

/// The one route table: every route of [`paths::ALL`] and its handler.
fn table() -> Vec<(Route, MethodRouter<Arc<Platform>>)> {
    table! {
        OPENAPI => openapi,
        CREATE_ACCOUNT => accounts::create_account,
        ME => accounts::me,
        AUDIT => log::audit_log,
        INBOX => log::inbox,
        CREATE_WORKSPACE => workspaces::create_workspace,
        MEMBERS => workspaces::list_members,
        ADD_MEMBER => workspaces::add_member,
        SET_ROLE => workspaces::set_role,
        REMOVE_MEMBER => workspaces::remove_member,
        REGISTER_KEY => workspaces::add_key,
        APPS => workspaces::list_apps,
        CREATE_APP => workspaces::create_app,
        AUTHORIZE_ISV => workspaces::authorize_isv,
        REVOKE_ISV => workspaces::revoke_isv,
        TARGETS => target_apps::list_target_apps,
        CREATE_TARGET => target_apps::create_target,
        ADD_REVIEWER => target_apps::add_reviewer,
        REVIEWERS => credentials::list_reviewers,
        REMOVE_REVIEWER => credentials::remove_reviewer,
        APP => apps::get_app,
        ASSIGN => apps::assign,
        VERSIONS => apps::list_versions,
        UPLOAD_VERSION => apps::upload,
        START_RELEASE => releases::start_release,
        RELEASE => releases::get_release,
        COMPAT_REPORT => releases::attach_report,
        BASIC_INFO => releases::edit_basic_info,
        APPLY => releases::apply,
        REVIEW => releases::review,
        START_PILOT => releases::start_pilot,
        PUT_TESTERS => releases::put_testers,
        COMPLETE_PILOT => releases::complete_pilot,
        GRAYSCALE => releases::grayscale,
        FULL => releases::full,
        CANCEL => releases::cancel,
        ROLLBACK => rollout::rollback,
        TAKEDOWN => rollout::takedown,
        POLICY => rollout::get_policy,
        EXPLAIN => rollout::explain,
        DRY_RUN => rollout::dry_run,
        QR => rollout::qr_code,
        RESOLVE => rollout::resolve,
        PACKAGE => rollout::package,
        ROOT_JSON => rollout::root_json,
        WEBHOOKS => webhooks::list_webhooks,
        CREATE_WEBHOOK => webhooks::create_webhook,
        DELETE_WEBHOOK => webhooks::delete_webhook,
        WEBHOOK_DELIVERIES => webhooks::webhook_deliveries,
        ADD_OPERATOR => identity::add_operator,
        OPERATORS => credentials::list_operators,
        REMOVE_OPERATOR => credentials::remove_operator,
        TOKENS => credentials::list_tokens,
        CREATE_TOKEN => credentials::create_token,
        REVOKE_TOKEN => credentials::revoke_token,
        REVOKE_ACCOUNT_TOKENS => credentials::revoke_account_tokens,
        KEYS => credentials::list_keys,
        REVOKE_KEY => credentials::revoke_key,
        APP_SECRETS => identity::list_secrets,
        CREATE_APP_SECRET => identity::create_secret,
        REVOKE_APP_SECRET => identity::revoke_secret,
        ISSUE_AUTH_CODE => identity::issue_code,
        EXCHANGE_AUTH_CODE => identity::exchange,
    }
}

pub(crate) fn router(p: Arc<Platform>) -> Router {
    let limit = p.config.max_upload;
    // Routes that share a path merge into one method router.
    table()
        .into_iter()
        .fold(Router::new(), |r, (route, handler)| {
            r.route(route.template, handler)
        })
        .fallback(|| async { Error::NotFound("no such endpoint".into()) })
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            p.limiters.clone(),
            crate::limits::limit,
        ))
        .layer(axum::middleware::map_response(uniform))
        .with_state(p)
}

/// Every answer says `Cache-Control: no-store` (answers carry tokens,
/// secrets and per-user decisions), and every error is `{code, message}`
/// JSON, also those axum writes itself: a query string it cannot read
/// (plain text) and a method a path does not serve (no body at all).
async fn uniform(resp: axum::response::Response) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    let (mut parts, body) = resp.into_parts();
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(parts.status.is_client_error() || parts.status.is_server_error()) {
        return axum::response::Response::from_parts(parts, body);
    }
    // axum's own rejections are a line of text: read at most 16 KiB of it.
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let code = match parts.status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "error",
    };
    let message = if text.is_empty() {
        match parts.status {
            StatusCode::METHOD_NOT_ALLOWED => "this endpoint does not take that method".to_owned(),
            s => s.canonical_reason().unwrap_or("error").to_owned(),
        }
    } else {
        text
    };
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = mpkit_platform_client::wire::ApiErrorBody {
        code: code.to_owned(),
        message,
    };
    (parts, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The router is built from `table()` alone, so this is the set of routes
    /// it serves: exactly `paths::ALL`, each once. (`tests/api.rs` also probes
    /// every route, and every other method on its path, over HTTP.)
    #[test]
    fn the_table_is_exactly_the_declared_routes() {
        let table: Vec<Route> = table().into_iter().map(|(r, _)| r).collect();
        let served: BTreeSet<Route> = table.iter().copied().collect();
        assert_eq!(served.len(), table.len(), "a route is served twice");
        let declared: BTreeSet<Route> = paths::ALL.iter().copied().collect();
        let missing: Vec<String> = declared.difference(&served).map(Route::to_string).collect();
        let extra: Vec<String> = served.difference(&declared).map(Route::to_string).collect();
        assert!(missing.is_empty(), "declared but not served: {missing:?}");
        assert!(extra.is_empty(), "served but not declared: {extra:?}");
    }
}
