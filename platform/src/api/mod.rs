//! The HTTP API under `/v1`: the one route table and the OpenAPI document.
//! Every handler authenticates the caller, checks its rights on the object
//! itself, validates input (unknown fields are refused, so a body can never
//! set a state or an owner), and audits what it changed in the same
//! transaction as the change.

use crate::error::Error;
use crate::Platform;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post, put};
use axum::Router;
use extract::{ok, ApiResult};
use mpkit_platform_client::wire::{
    AccountCreated, AccountRef, ApiErrorBody, App, AppDetail, AppSecret, AppSecretCreated,
    Assignment, AuditEntry, AuthCodeIssued, CodeExchange, CodeExchanged, DryRun, DryRunResult,
    Explanation, Gray, Grayscale, InboxMessage, IsvAuthorization, KeyRegistered, Me, Member,
    Membership, NewAccount, NewApp, NewAppSecret, NewAuth, NewAuthCode, NewKey, NewMember,
    NewRelease, NewTarget, NewWebhook, NewWorkspace, OperatorAdded, PackageRef, Permissions, Pilot,
    PinnedVersion, RejectedLine, Release, ReleaseGray, ReleasePermissions, ReleasePolicy,
    ReleaseStarted, ReleaseSummary, ResolveAnswer, Review, ReviewerAdded, Revoked, Rollback, Rule,
    SetRole, Signed, StableChanged, StateChanged, TargetApp, TestersReplaced, VersionInfo,
    VersionUploaded, Webhook, WebhookAttempt, WebhookCreated, WebhookDelivery, WebhookPayload,
    Workspace,
};
use std::sync::Arc;

mod accounts;
mod apps;
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
        identity::add_operator, identity::create_secret, identity::list_secrets, identity::revoke_secret, identity::issue_code, identity::exchange),
    components(schemas(
        // Requests.
        AccountRef, DryRun, Gray, NewAccount, NewApp, NewAuth, NewKey, NewMember, NewRelease, NewTarget, NewWebhook, NewWorkspace, Pilot, Review, Rollback, SetRole,
        // Answers.
        AccountCreated, App, AppDetail, Assignment, AuditEntry, DryRunResult, Explanation, InboxMessage, IsvAuthorization, KeyRegistered, Me, Member, Membership,
        PackageRef, Permissions, RejectedLine, Release, ReleaseGray, ReleasePermissions, ReleaseStarted, ReleaseSummary, Revoked, ReviewerAdded, StableChanged,
        StateChanged, TargetApp, TestersReplaced, VersionInfo, VersionUploaded, Workspace,
        Webhook, WebhookCreated, WebhookDelivery, WebhookAttempt, WebhookPayload,
        // User identity.
        OperatorAdded, NewAppSecret, AppSecret, AppSecretCreated, NewAuthCode, AuthCodeIssued, CodeExchange, CodeExchanged,
        // Signed documents and what they carry.
        Signed, ReleasePolicy, ResolveAnswer, PinnedVersion, Grayscale, Rule,
        // Every error.
        ApiErrorBody,
    )),
    modifiers(&Bearer)
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

pub(super) async fn openapi() -> ApiResult {
    use utoipa::OpenApi;
    ok(ApiDoc::openapi())
}

pub(crate) fn router(p: Arc<Platform>) -> Router {
    let limit = p.config.max_upload;
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/v1/accounts", post(create_account))
        .route("/v1/me", get(me))
        .route("/v1/workspaces", post(create_workspace))
        .route(
            "/v1/workspaces/{ws}/members",
            post(add_member).get(list_members),
        )
        .route(
            "/v1/workspaces/{ws}/members/{account}",
            patch(set_role).delete(remove_member),
        )
        .route("/v1/workspaces/{ws}/keys", post(add_key))
        .route("/v1/workspaces/{ws}/apps", post(create_app).get(list_apps))
        .route(
            "/v1/workspaces/{ws}/isv-authorizations",
            post(authorize_isv),
        )
        .route("/v1/isv-authorizations/{id}", delete(revoke_isv))
        .route("/v1/target-apps", post(create_target).get(list_target_apps))
        .route("/v1/target-apps/{t}/reviewers", post(add_reviewer))
        .route(
            "/v1/target-apps/{t}/operators",
            post(identity::add_operator),
        )
        .route(
            "/v1/apps/{app}/secrets",
            post(identity::create_secret).get(identity::list_secrets),
        )
        .route(
            "/v1/apps/{app}/secrets/{id}",
            delete(identity::revoke_secret),
        )
        .route("/v1/auth-codes", post(identity::issue_code))
        .route("/v1/auth-codes/exchange", post(identity::exchange))
        .route("/v1/apps/{app}", get(get_app))
        .route("/v1/apps/{app}/assignments", post(assign))
        .route("/v1/apps/{app}/versions", post(upload).get(list_versions))
        .route("/v1/apps/{app}/releases", post(start_release))
        .route("/v1/releases/{id}", get(get_release))
        .route("/v1/releases/{id}/compat-report", post(attach_report))
        .route("/v1/releases/{id}/basic-info", patch(edit_basic_info))
        .route("/v1/releases/{id}/apply", post(apply))
        .route("/v1/releases/{id}/review", post(review))
        .route("/v1/releases/{id}/pilot", post(start_pilot))
        .route("/v1/releases/{id}/testers", put(put_testers))
        .route("/v1/releases/{id}/complete-pilot", post(complete_pilot))
        .route("/v1/releases/{id}/grayscale", post(grayscale))
        .route("/v1/releases/{id}/full", post(full))
        .route("/v1/releases/{id}/cancel", post(cancel))
        .route("/v1/apps/{app}/targets/{t}/rollback", post(rollback))
        .route("/v1/apps/{app}/targets/{t}/takedown", post(takedown))
        .route("/v1/apps/{app}/targets/{t}/policy", get(get_policy))
        .route("/v1/apps/{app}/targets/{t}/explain", get(explain))
        .route("/v1/apps/{app}/targets/{t}/dry-run", post(dry_run))
        .route("/v1/apps/{app}/targets/{t}/qr", get(qr_code))
        .route("/v1/resolve", get(resolve))
        .route("/v1/packages/{app}/{t}/{version}", get(package))
        .route("/v1/trust/root.json", get(root_json))
        .route("/v1/audit", get(audit_log))
        .route("/v1/inbox", get(inbox))
        .route(
            "/v1/workspaces/{ws}/webhooks",
            post(create_webhook).get(list_webhooks),
        )
        .route("/v1/webhooks/{id}", delete(delete_webhook))
        .route("/v1/webhooks/{id}/deliveries", get(webhook_deliveries))
        .fallback(|| async { Error::NotFound("no such endpoint".into()) })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(p)
}
