//! The HTTP API under `/v1`. Every handler authenticates the caller, checks
//! its rights on the object itself, validates input (unknown fields are
//! refused, so a body can never set a state or an owner), and audits what it
//! changed in the same transaction as the change.

use crate::authz::{app_access, is_reviewer, role_in, token_hash, AppAction, Caller, Role};
use crate::db;
use crate::error::Error;
use crate::identity;
use crate::policy;
use crate::qr;
use crate::webhooks;
use crate::workflow::{transition, Action, State};
use crate::{new_id, now, Bootstrap, Platform};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State as AxState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use mpkit_bundle::{AppId, Caps, Expected, Manifest, PublicKey, Role as KeyRole, Trust};
use mpkit_platform_client::rollout;
use mpkit_platform_client::testers::{self, MAX_TESTERS};
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
use object_store::path::Path as ObjPath;
use object_store::ObjectStore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::{Any, Transaction};
use std::collections::BTreeSet;
use std::sync::Arc;

pub(crate) type P = AxState<Arc<Platform>>;
pub(crate) type R = Result<Response, Error>;

/// 200 with a JSON body (a wire type).
pub(crate) fn ok<T: Serialize>(v: T) -> R {
    Ok(Json(v).into_response())
}

/// 201 with a JSON body (a wire type).
pub(crate) fn created<T: Serialize>(v: T) -> R {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// A workflow step's answer: the release and its new state, nothing else.
fn changed(id: &str, state: State) -> StateChanged {
    StateChanged {
        id: id.to_owned(),
        state: state.as_str().to_owned(),
        reason: None,
        testers: None,
        percent_bp: None,
        salt: None,
        basic_info: None,
    }
}

/// A database count or length (never negative) as the wire's unsigned number.
fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

/// The role as stored and sent.
fn role_name(r: Role) -> String {
    r.as_str().to_owned()
}

/// The kind of a mini program on the wire.
fn app_kind(developer: &Option<String>) -> String {
    if developer.is_some() {
        "third_party"
    } else {
        "self_developed"
    }
    .to_owned()
}

/// A manifest's permissions on the wire. Destructured, so a new manifest
/// field cannot be dropped silently.
fn wire_permissions(p: &mpkit_bundle::Permissions) -> Permissions {
    let mpkit_bundle::Permissions {
        jsapi,
        scopes,
        domains,
    } = p;
    Permissions {
        jsapi: jsapi.iter().cloned().collect(),
        scopes: scopes.iter().cloned().collect(),
        domains: domains.clone(),
    }
}

/// Parses a JSON body strictly: malformed JSON and unknown fields are 400.
pub(crate) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Error> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::BadRequest(format!("malformed request body: {e}")))
}

/// A request body; an over-limit or unreadable body becomes a `{code, message}` error.
pub(crate) struct Body(pub(crate) Bytes);

impl axum::extract::FromRequest<Arc<Platform>> for Body {
    type Rejection = Error;

    async fn from_request(req: axum::extract::Request, p: &Arc<Platform>) -> Result<Body, Error> {
        // A declared length over the limit is refused before any byte is read.
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > p.config.max_upload as u64) {
            return Err(Error::TooLarge(p.config.max_upload));
        }
        Bytes::from_request(req, p).await.map(Body).map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::TooLarge(p.config.max_upload)
            } else {
                Error::BadRequest(r.body_text())
            }
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

/// Actions take no fields: `{}` or nothing. Anything else (a `state`, say) is refused.
fn no_body(bytes: &Bytes) -> Result<(), Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    body::<Empty>(bytes).map(|_| ())
}

fn new_token() -> String {
    format!("mpk_{}{}", new_id(), new_id())
}

/// An id that sorts in creation order (nanoseconds, strictly increasing in
/// this process), then random bits.
pub(crate) fn ordered_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let t = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
    let n = LAST.fetch_max(t, Ordering::SeqCst).max(t);
    let n = if n == t {
        t
    } else {
        LAST.fetch_add(1, Ordering::SeqCst) + 1
    };
    format!("{n:020}-{}", &new_id()[..8])
}

/// Records one mutation: who, what, when, and the state before and after.
pub(crate) async fn audit(
    tx: &mut Transaction<'_, Any>,
    actor: &str,
    action: &str,
    object: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO audit (id, at, actor, action, object, before_state, after_state) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(ordered_id())
        .bind(now())
        .bind(actor)
        .bind(action)
        .bind(object)
        .bind(before.map(|v| v.to_string()))
        .bind(after.map(|v| v.to_string()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Writes a release result to its creator's inbox and queues it for the
/// webhooks that receive `event`, in the mutation's transaction (so both exist
/// exactly when the change committed). Wake the delivery worker after the
/// commit ([`webhooks::Outbox::wake`]).
async fn notify(
    tx: &mut Transaction<'_, Any>,
    r: &Rel,
    event: &str,
    text: &str,
) -> Result<(), Error> {
    let id = ordered_id();
    sqlx::query(
        "INSERT INTO inbox (id, account_id, at, text, release_id) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&r.created_by)
    .bind(now())
    .bind(text)
    .bind(&r.id)
    .execute(&mut **tx)
    .await?;
    webhooks::enqueue(
        tx,
        &webhooks::Event {
            id: &id,
            event,
            release: &r.id,
            app: &r.app,
            target: &r.target,
            text,
        },
    )
    .await?;
    Ok(())
}

/// Bumps the policy sequence of (app, target) inside the mutation's
/// transaction, and tells the other instances on commit (PostgreSQL NOTIFY).
/// The caller drops its own cache entry after the commit.
async fn bump(tx: &mut Transaction<'_, Any>, app: &str, target: &str) -> Result<i64, Error> {
    let cur = sqlx::query("SELECT seq FROM policy_seq WHERE app_id = $1 AND target_app = $2")
        .bind(app)
        .bind(target)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| db::i(&r, "seq"));
    let next = cur.unwrap_or(0) + 1;
    if cur.is_some() {
        sqlx::query("UPDATE policy_seq SET seq = $1 WHERE app_id = $2 AND target_app = $3")
            .bind(next)
            .bind(app)
            .bind(target)
            .execute(&mut **tx)
            .await?;
    } else {
        sqlx::query("INSERT INTO policy_seq (app_id, target_app, seq) VALUES ($1, $2, $3)")
            .bind(app)
            .bind(target)
            .bind(next)
            .execute(&mut **tx)
            .await?;
    }
    policy::notify_change(tx, app, target).await?;
    Ok(next)
}

/// Creates the bootstrap admin on first start.
pub(crate) async fn bootstrap(p: &Platform) -> Result<Option<Bootstrap>, Error> {
    let any = sqlx::query("SELECT id FROM accounts WHERE admin = 1 LIMIT 1")
        .fetch_optional(&p.db)
        .await?;
    if any.is_some() {
        return Ok(None);
    }
    let (id, token) = (new_id(), new_token());
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO accounts (id, name, admin, created_at) VALUES ($1, $2, 1, $3)")
        .bind(&id)
        .bind("admin")
        .bind(now())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO tokens (hash, account_id, created_at) VALUES ($1, $2, $3)")
        .bind(token_hash(&token))
        .bind(&id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        "platform",
        "bootstrap",
        &format!("account:{id}"),
        None,
        Some(json!({"admin": true})),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Bootstrap { admin: id, token }))
}

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

struct Bearer;
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

async fn openapi() -> R {
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

// ------------------------------------------------------------ accounts

#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", summary = "Create an account (admin); its token is shown once", request_body = NewAccount, responses((status = 201, description = "Success", body = AccountCreated), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn create_account(AxState(p): P, c: Caller, Body(b): Body) -> R {
    if !c.admin {
        return Err(Error::Forbidden(
            "only a platform admin creates accounts".into(),
        ));
    }
    let req: NewAccount = body(&b)?;
    let name = req.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::BadRequest("name must be 1 to 100 characters".into()));
    }
    let (id, token) = (new_id(), new_token());
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO accounts (id, name, admin, created_at) VALUES ($1, $2, 0, $3)")
        .bind(&id)
        .bind(name)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO tokens (hash, account_id, created_at) VALUES ($1, $2, $3)")
        .bind(token_hash(&token))
        .bind(&id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "account.create",
        &format!("account:{id}"),
        None,
        Some(json!({"name": name})),
    )
    .await?;
    tx.commit().await?;
    // The token is shown once; only its hash is stored.
    created(AccountCreated {
        id,
        name: name.to_owned(),
        token,
    })
}

#[utoipa::path(get, path = "/v1/me", tag = "me", summary = "The caller and their workspaces", responses((status = 200, description = "Success", body = Me), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn me(AxState(p): P, c: Caller) -> R {
    let rows = sqlx::query(
        "SELECT workspace_id, role FROM members WHERE account_id = $1 ORDER BY workspace_id",
    )
    .bind(&c.account)
    .fetch_all(&p.db)
    .await?;
    let workspaces = rows
        .iter()
        .map(|r| Membership {
            workspace: db::s(r, "workspace_id"),
            role: db::s(r, "role"),
        })
        .collect();
    ok(Me {
        id: c.account,
        admin: c.admin,
        workspaces,
    })
}

// ------------------------------------------------------------ workspaces

#[utoipa::path(post, path = "/v1/workspaces", tag = "workspaces", summary = "Create a merchant or ISV workspace; the creator is its Master", request_body = NewWorkspace, responses((status = 201, description = "Success", body = Workspace), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn create_workspace(AxState(p): P, c: Caller, Body(b): Body) -> R {
    let req: NewWorkspace = body(&b)?;
    if !matches!(req.kind.as_str(), "merchant" | "isv") {
        return Err(Error::BadRequest("kind must be merchant or isv".into()));
    }
    if req.name.trim().is_empty() || req.name.len() > 100 {
        return Err(Error::BadRequest("name must be 1 to 100 characters".into()));
    }
    let id = new_id();
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO workspaces (id, name, kind, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(req.name.trim())
        .bind(&req.kind)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO members (workspace_id, account_id, role) VALUES ($1, $2, 'master')")
        .bind(&id)
        .bind(&c.account)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "workspace.create",
        &format!("workspace:{id}"),
        None,
        Some(json!({"name": req.name, "kind": req.kind})),
    )
    .await?;
    tx.commit().await?;
    created(Workspace {
        id,
        name: req.name.trim().to_owned(),
        kind: req.kind,
        role: role_name(Role::Master),
    })
}

async fn require_ws_role(p: &Platform, c: &Caller, ws: &str, min: Role) -> Result<Role, Error> {
    match role_in(&p.db, ws, &c.account).await? {
        Some(r) if r >= min => Ok(r),
        Some(_) => Err(Error::Forbidden(format!(
            "this needs the {} role in the workspace",
            min.as_str()
        ))),
        None => Err(Error::NotFound(format!("no workspace {ws}"))),
    }
}

#[utoipa::path(get, path = "/v1/workspaces/{ws}/members", tag = "workspaces", summary = "The workspace's members and their roles (members)", params(("ws" = String, Path)), responses((status = 200, description = "Success", body = [Member]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn list_members(AxState(p): P, c: Caller, Path(ws): Path<String>) -> R {
    require_ws_role(&p, &c, &ws, Role::Developer).await?;
    let rows = sqlx::query(
        "SELECT account_id, role FROM members WHERE workspace_id = $1 ORDER BY account_id",
    )
    .bind(&ws)
    .fetch_all(&p.db)
    .await?;
    let members: Vec<Member> = rows
        .iter()
        .map(|r| Member {
            workspace: ws.clone(),
            account_id: db::s(r, "account_id"),
            role: db::s(r, "role"),
        })
        .collect();
    ok(members)
}

#[utoipa::path(post, path = "/v1/workspaces/{ws}/members", tag = "workspaces", summary = "Add a member with a role (Master)", request_body = NewMember, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = Member), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn add_member(AxState(p): P, c: Caller, Path(ws): Path<String>, Body(b): Body) -> R {
    require_ws_role(&p, &c, &ws, Role::Master).await?;
    let req: NewMember = body(&b)?;
    let role = Role::parse(&req.role)
        .ok_or_else(|| Error::BadRequest("role must be master, owner or developer".into()))?;
    let exists = sqlx::query("SELECT id FROM accounts WHERE id = $1")
        .bind(&req.account_id)
        .fetch_optional(&p.db)
        .await?;
    if exists.is_none() {
        return Err(Error::NotFound(format!("no account {}", req.account_id)));
    }
    if role_in(&p.db, &ws, &req.account_id).await?.is_some() {
        return Err(Error::Conflict(
            "already a member; change the role instead".into(),
        ));
    }
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO members (workspace_id, account_id, role) VALUES ($1, $2, $3)")
        .bind(&ws)
        .bind(&req.account_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "member.add",
        &format!("workspace:{ws}/member:{}", req.account_id),
        None,
        Some(json!({"role": role.as_str()})),
    )
    .await?;
    tx.commit().await?;
    created(Member {
        workspace: ws,
        account_id: req.account_id,
        role: role_name(role),
    })
}

#[utoipa::path(patch, path = "/v1/workspaces/{ws}/members/{account}", tag = "workspaces", summary = "Change a member's role (Master; nobody raises their own)", request_body = SetRole, params(("ws" = String, Path), ("account" = String, Path)), responses((status = 200, description = "Success", body = Member), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn set_role(
    AxState(p): P,
    c: Caller,
    Path((ws, account)): Path<(String, String)>,
    Body(b): Body,
) -> R {
    let mine = role_in(&p.db, &ws, &c.account)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no workspace {ws}")))?;
    let req: SetRole = body(&b)?;
    let role = Role::parse(&req.role)
        .ok_or_else(|| Error::BadRequest("role must be master, owner or developer".into()))?;
    // Only a Master changes roles, and nobody raises their own.
    if mine != Role::Master {
        return Err(Error::Forbidden("only a Master changes roles".into()));
    }
    let before = role_in(&p.db, &ws, &account)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{account} is not a member")))?;
    if account == c.account && role > before {
        return Err(Error::Forbidden("nobody raises their own role".into()));
    }
    let mut tx = p.db.begin().await?;
    if before == Role::Master && role != Role::Master {
        keep_a_master(&mut tx, &ws, "step down").await?;
    }
    sqlx::query("UPDATE members SET role = $1 WHERE workspace_id = $2 AND account_id = $3")
        .bind(role.as_str())
        .bind(&ws)
        .bind(&account)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "member.role",
        &format!("workspace:{ws}/member:{account}"),
        Some(json!({"role": before.as_str()})),
        Some(json!({"role": role.as_str()})),
    )
    .await?;
    tx.commit().await?;
    ok(Member {
        workspace: ws,
        account_id: account,
        role: role_name(role),
    })
}

/// Refuses a change that would leave workspace `ws` without a Master. The
/// workspace row is locked first (a row lock on PostgreSQL; SQLite has one
/// writer), so two Masters demoting or removing each other at once cannot
/// both pass.
async fn keep_a_master(tx: &mut Transaction<'_, Any>, ws: &str, what: &str) -> Result<(), Error> {
    sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
        .bind(ws)
        .execute(&mut **tx)
        .await?;
    let masters = sqlx::query(
        "SELECT COUNT(*) AS n FROM members WHERE workspace_id = $1 AND role = 'master'",
    )
    .bind(ws)
    .fetch_one(&mut **tx)
    .await?;
    if db::i(&masters, "n") <= 1 {
        return Err(Error::Conflict(format!(
            "the last Master cannot {what}; make another member Master first"
        )));
    }
    Ok(())
}

#[utoipa::path(delete, path = "/v1/workspaces/{ws}/members/{account}", tag = "workspaces", summary = "Remove a member (Master; never the last Master); applies on their next call", params(("ws" = String, Path), ("account" = String, Path)), responses((status = 200, description = "The membership removed", body = Member), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn remove_member(AxState(p): P, c: Caller, Path((ws, account)): Path<(String, String)>) -> R {
    require_ws_role(&p, &c, &ws, Role::Master).await?;
    let mut tx = p.db.begin().await?;
    let row = sqlx::query("SELECT role FROM members WHERE workspace_id = $1 AND account_id = $2")
        .bind(&ws)
        .bind(&account)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{account} is not a member")))?;
    let role =
        Role::parse(&db::s(&row, "role")).ok_or_else(|| Error::Internal("unknown role".into()))?;
    if role == Role::Master {
        keep_a_master(&mut tx, &ws, "be removed").await?;
    }
    sqlx::query("DELETE FROM members WHERE workspace_id = $1 AND account_id = $2")
        .bind(&ws)
        .bind(&account)
        .execute(&mut *tx)
        .await?;
    // Assignments to this workspace's mini programs that no membership backs
    // any more (neither the owning nor the developing workspace) go too, so a
    // later re-invitation starts with none.
    let stale = sqlx::query(
        "SELECT a.app_id AS app_id FROM assignments a JOIN apps ap ON ap.app_id = a.app_id \
         WHERE a.account_id = $1 AND (ap.owner_ws = $2 OR ap.developer_ws = $2) \
         AND NOT EXISTS (SELECT 1 FROM members m WHERE m.account_id = $1 \
           AND (m.workspace_id = ap.owner_ws OR m.workspace_id = ap.developer_ws)) \
         ORDER BY a.app_id",
    )
    .bind(&account)
    .bind(&ws)
    .fetch_all(&mut *tx)
    .await?;
    let stale: Vec<String> = stale.iter().map(|r| db::s(r, "app_id")).collect();
    for app in &stale {
        sqlx::query("DELETE FROM assignments WHERE app_id = $1 AND account_id = $2")
            .bind(app)
            .bind(&account)
            .execute(&mut *tx)
            .await?;
    }
    let mut before = json!({"role": role.as_str()});
    if !stale.is_empty() {
        before["assignments"] = json!(stale);
    }
    audit(
        &mut tx,
        &c.account,
        "member.remove",
        &format!("workspace:{ws}/member:{account}"),
        Some(before),
        None,
    )
    .await?;
    tx.commit().await?;
    ok(Member {
        workspace: ws,
        account_id: account,
        role: role_name(role),
    })
}

#[utoipa::path(post, path = "/v1/workspaces/{ws}/keys", tag = "workspaces", summary = "Register a developer public key (Owner)", request_body = NewKey, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = KeyRegistered), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn add_key(AxState(p): P, c: Caller, Path(ws): Path<String>, Body(b): Body) -> R {
    require_ws_role(&p, &c, &ws, Role::Owner).await?;
    let req: NewKey = body(&b)?;
    let key = PublicKey::from_hex(req.public_key_hex.trim())
        .map_err(|e| Error::BadRequest(format!("public key: {e}")))?;
    let mut tx = p.db.begin().await?;
    let dup = sqlx::query("SELECT key_id FROM dev_keys WHERE workspace_id = $1 AND key_id = $2")
        .bind(&ws)
        .bind(key.id().as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if dup.is_some() {
        return Err(Error::Conflict(format!(
            "key {} is already registered",
            key.id()
        )));
    }
    sqlx::query("INSERT INTO dev_keys (workspace_id, key_id, public_hex, added_by, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&ws)
        .bind(key.id().as_str())
        .bind(key.to_hex())
        .bind(&c.account)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "key.add",
        &format!("workspace:{ws}/key:{}", key.id()),
        None,
        Some(json!({"keyId": key.id().as_str()})),
    )
    .await?;
    tx.commit().await?;
    created(KeyRegistered {
        workspace: ws,
        key_id: key.id().as_str().to_owned(),
    })
}

#[utoipa::path(get, path = "/v1/workspaces/{ws}/apps", tag = "workspaces", summary = "The workspace's mini programs (members; a Developer sees those assigned to them)", params(("ws" = String, Path)), responses((status = 200, description = "Success", body = [App]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn list_apps(AxState(p): P, c: Caller, Path(ws): Path<String>) -> R {
    let role = require_ws_role(&p, &c, &ws, Role::Developer).await?;
    // The mini programs it owns (merchant) or develops (ISV).
    let rows = sqlx::query(
        "SELECT app_id, name, owner_ws, developer_ws FROM apps WHERE owner_ws = $1 OR developer_ws = $1 ORDER BY app_id",
    )
    .bind(&ws)
    .fetch_all(&p.db)
    .await?;
    let assigned: BTreeSet<String> = if role == Role::Developer {
        sqlx::query("SELECT app_id FROM assignments WHERE account_id = $1")
            .bind(&c.account)
            .fetch_all(&p.db)
            .await?
            .iter()
            .map(|r| db::s(r, "app_id"))
            .collect()
    } else {
        BTreeSet::new()
    };
    // A developing ISV sees a merchant's mini program only under a live
    // authorization to read it, as `GET /v1/apps/{app}` does: a revocation
    // applies to the list on the next call too.
    let auths = sqlx::query(
        "SELECT merchant_ws, app_id, actions FROM isv_auths WHERE isv_ws = $1 AND revoked_at IS NULL",
    )
    .bind(&ws)
    .fetch_all(&p.db)
    .await?;
    let readable = |owner: &str, app: &str| {
        auths.iter().any(|r| {
            db::s(r, "merchant_ws") == owner
                && db::os(r, "app_id").is_none_or(|a| a == app)
                && db::s(r, "actions")
                    .split(',')
                    .any(|a| a == AppAction::Read.as_str())
        })
    };
    let apps: Vec<App> = rows
        .iter()
        .filter_map(|r| {
            let (app_id, owner) = (db::s(r, "app_id"), db::s(r, "owner_ws"));
            let related = owner == ws || readable(&owner, &app_id);
            let visible = role != Role::Developer || assigned.contains(&app_id);
            let developer = db::os(r, "developer_ws");
            (related && visible).then(|| App {
                name: db::s(r, "name"),
                kind: app_kind(&developer),
                app_id,
                owner,
                developer,
            })
        })
        .collect();
    ok(apps)
}

#[utoipa::path(post, path = "/v1/workspaces/{ws}/apps", tag = "workspaces", summary = "Create a mini program (self-developed, or third-party with an ISV)", request_body = NewApp, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = App), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn create_app(AxState(p): P, c: Caller, Path(ws): Path<String>, Body(b): Body) -> R {
    require_ws_role(&p, &c, &ws, Role::Owner).await?;
    let req: NewApp = body(&b)?;
    let app = AppId::new(req.app_id.clone()).map_err(|e| Error::BadRequest(e.to_string()))?;
    let kind = sqlx::query("SELECT kind FROM workspaces WHERE id = $1")
        .bind(&ws)
        .fetch_one(&p.db)
        .await?;
    if db::s(&kind, "kind") != "merchant" {
        return Err(Error::BadRequest(
            "mini programs are owned by merchant workspaces".into(),
        ));
    }
    if let Some(dev) = &req.developer_workspace {
        let k = sqlx::query("SELECT kind FROM workspaces WHERE id = $1")
            .bind(dev)
            .fetch_optional(&p.db)
            .await?;
        if k.map(|r| db::s(&r, "kind")).as_deref() != Some("isv") {
            return Err(Error::BadRequest(
                "developerWorkspace must be an ISV workspace".into(),
            ));
        }
    }
    let mut tx = p.db.begin().await?;
    if sqlx::query("SELECT app_id FROM apps WHERE app_id = $1")
        .bind(app.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!("{app} exists")));
    }
    sqlx::query("INSERT INTO apps (app_id, name, owner_ws, developer_ws, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(app.as_str())
        .bind(req.name.trim())
        .bind(&ws)
        .bind(&req.developer_workspace)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "app.create",
        &format!("app:{app}"),
        None,
        Some(json!({"owner": ws, "developer": req.developer_workspace})),
    )
    .await?;
    tx.commit().await?;
    created(App {
        app_id: app.as_str().to_owned(),
        name: req.name.trim().to_owned(),
        owner: ws,
        kind: app_kind(&req.developer_workspace),
        developer: req.developer_workspace,
    })
}

#[utoipa::path(post, path = "/v1/workspaces/{ws}/isv-authorizations", tag = "workspaces", summary = "Authorize an ISV over one or all mini programs (Master)", request_body = NewAuth, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = IsvAuthorization), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn authorize_isv(AxState(p): P, c: Caller, Path(ws): Path<String>, Body(b): Body) -> R {
    require_ws_role(&p, &c, &ws, Role::Master).await?;
    let req: NewAuth = body(&b)?;
    if req.actions.is_empty() || req.actions.iter().any(|a| AppAction::parse(a).is_none()) {
        return Err(Error::BadRequest(
            "actions must be a non-empty list of read, upload, release, manage".into(),
        ));
    }
    if let Some(app) = &req.app_id {
        let r = sqlx::query("SELECT owner_ws FROM apps WHERE app_id = $1")
            .bind(app)
            .fetch_optional(&p.db)
            .await?;
        if r.map(|r| db::s(&r, "owner_ws")).as_deref() != Some(ws.as_str()) {
            return Err(Error::NotFound(format!(
                "no mini program {app} in this workspace"
            )));
        }
    }
    let k = sqlx::query("SELECT kind FROM workspaces WHERE id = $1")
        .bind(&req.isv_workspace)
        .fetch_optional(&p.db)
        .await?;
    if k.map(|r| db::s(&r, "kind")).as_deref() != Some("isv") {
        return Err(Error::BadRequest(
            "isvWorkspace must be an ISV workspace".into(),
        ));
    }
    let id = new_id();
    let actions: BTreeSet<&str> = req.actions.iter().map(String::as_str).collect();
    let actions = actions.into_iter().collect::<Vec<_>>().join(",");
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO isv_auths (id, merchant_ws, isv_ws, app_id, actions, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(&ws)
        .bind(&req.isv_workspace)
        .bind(&req.app_id)
        .bind(&actions)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "isv.authorize",
        &format!("isv-auth:{id}"),
        None,
        Some(json!({"isv": req.isv_workspace, "app": req.app_id, "actions": actions})),
    )
    .await?;
    tx.commit().await?;
    created(IsvAuthorization {
        id,
        merchant: ws,
        isv: req.isv_workspace,
        app_id: req.app_id,
        actions: actions.split(',').map(str::to_owned).collect(),
    })
}

#[utoipa::path(delete, path = "/v1/isv-authorizations/{id}", tag = "isv-authorizations", summary = "Revoke an ISV authorization (applies on the ISV's next call)", params(("id" = String, Path)), responses((status = 200, description = "Success", body = Revoked), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn revoke_isv(AxState(p): P, c: Caller, Path(id): Path<String>) -> R {
    let row = sqlx::query("SELECT merchant_ws, revoked_at FROM isv_auths WHERE id = $1")
        .bind(&id)
        .fetch_optional(&p.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no authorization {id}")))?;
    require_ws_role(&p, &c, &db::s(&row, "merchant_ws"), Role::Master).await?;
    if db::oi(&row, "revoked_at").is_some() {
        return Err(Error::Conflict("already revoked".into()));
    }
    let mut tx = p.db.begin().await?;
    sqlx::query("UPDATE isv_auths SET revoked_at = $1 WHERE id = $2")
        .bind(now())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "isv.revoke",
        &format!("isv-auth:{id}"),
        Some(json!({"revoked": false})),
        Some(json!({"revoked": true})),
    )
    .await?;
    tx.commit().await?;
    ok(Revoked { id, revoked: true })
}

// ------------------------------------------------------------ target apps

#[utoipa::path(get, path = "/v1/target-apps", tag = "target-apps", summary = "The target apps and the JSAPI permissions each allows (any account)", responses((status = 200, description = "Success", body = [TargetApp]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn list_target_apps(AxState(p): P, _c: Caller) -> R {
    let rows = sqlx::query("SELECT id, name, allowed FROM target_apps ORDER BY id")
        .fetch_all(&p.db)
        .await?;
    let targets = rows
        .iter()
        .map(|r| {
            Ok(TargetApp {
                id: db::s(r, "id"),
                name: db::s(r, "name"),
                allowed_permissions: serde_json::from_str(&db::s(r, "allowed"))
                    .map_err(|e| Error::Internal(format!("target app permissions: {e}")))?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    ok(targets)
}

#[utoipa::path(post, path = "/v1/target-apps", tag = "target-apps", summary = "Add a target app with the JSAPI permissions it allows (admin)", request_body = NewTarget, responses((status = 201, description = "Success", body = TargetApp), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn create_target(AxState(p): P, c: Caller, Body(b): Body) -> R {
    if !c.admin {
        return Err(Error::Forbidden(
            "only a platform admin adds target apps".into(),
        ));
    }
    let req: NewTarget = body(&b)?;
    if req.id.is_empty()
        || req.id.len() > 64
        || !req
            .id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch))
    {
        return Err(Error::BadRequest(
            "id must be 1 to 64 of [A-Za-z0-9._-]".into(),
        ));
    }
    let mut tx = p.db.begin().await?;
    if sqlx::query("SELECT id FROM target_apps WHERE id = $1")
        .bind(&req.id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!("target app {} exists", req.id)));
    }
    let allowed = serde_json::to_string(&req.allowed_permissions)
        .map_err(|e| Error::Internal(e.to_string()))?;
    sqlx::query("INSERT INTO target_apps (id, name, allowed, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&req.id)
        .bind(&req.name)
        .bind(&allowed)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "target.create",
        &format!("target:{}", req.id),
        None,
        Some(json!({"allowed": req.allowed_permissions})),
    )
    .await?;
    tx.commit().await?;
    created(TargetApp {
        id: req.id,
        name: req.name,
        allowed_permissions: req.allowed_permissions,
    })
}

#[utoipa::path(post, path = "/v1/target-apps/{t}/reviewers", tag = "target-apps", summary = "Name a reviewer of a target app (admin)", request_body = AccountRef, params(("t" = String, Path)), responses((status = 201, description = "Success", body = ReviewerAdded), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn add_reviewer(AxState(p): P, c: Caller, Path(t): Path<String>, Body(b): Body) -> R {
    if !c.admin {
        return Err(Error::Forbidden(
            "only a platform admin names reviewers".into(),
        ));
    }
    let req: AccountRef = body(&b)?;
    if sqlx::query("SELECT id FROM target_apps WHERE id = $1")
        .bind(&t)
        .fetch_optional(&p.db)
        .await?
        .is_none()
    {
        return Err(Error::NotFound(format!("no target app {t}")));
    }
    if sqlx::query("SELECT id FROM accounts WHERE id = $1")
        .bind(&req.account_id)
        .fetch_optional(&p.db)
        .await?
        .is_none()
    {
        return Err(Error::NotFound(format!("no account {}", req.account_id)));
    }
    if is_reviewer(&p.db, &t, &req.account_id).await? {
        return Err(Error::Conflict("already a reviewer".into()));
    }
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO reviewers (target_app, account_id) VALUES ($1, $2)")
        .bind(&t)
        .bind(&req.account_id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "target.reviewer",
        &format!("target:{t}/reviewer:{}", req.account_id),
        None,
        Some(json!({})),
    )
    .await?;
    tx.commit().await?;
    created(ReviewerAdded {
        target_app: t,
        account_id: req.account_id,
    })
}

// ------------------------------------------------------------ apps and versions

#[utoipa::path(get, path = "/v1/apps/{app}", tag = "apps", summary = "A mini program and its releases", params(("app" = String, Path)), responses((status = 200, description = "Success", body = AppDetail), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn get_app(AxState(p): P, c: Caller, Path(app): Path<String>) -> R {
    let a = app_access(&p.db, &c, &app, AppAction::Read).await?;
    let rels = sqlx::query(
        "SELECT id, target_app, version, state FROM releases WHERE app_id = $1 ORDER BY created_at",
    )
    .bind(&app)
    .fetch_all(&p.db)
    .await?;
    let releases = rels
        .iter()
        .map(|r| ReleaseSummary {
            id: db::s(r, "id"),
            target_app: db::s(r, "target_app"),
            version: db::s(r, "version"),
            state: db::s(r, "state"),
        })
        .collect();
    ok(AppDetail {
        app_id: a.app_id,
        name: a.name,
        owner: a.owner_ws,
        developer: a.developer_ws,
        releases,
    })
}

#[utoipa::path(post, path = "/v1/apps/{app}/assignments", tag = "apps", summary = "Assign a mini program to a developer", request_body = AccountRef, params(("app" = String, Path)), responses((status = 201, description = "Success", body = Assignment), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn assign(AxState(p): P, c: Caller, Path(app): Path<String>, Body(b): Body) -> R {
    let a = app_access(&p.db, &c, &app, AppAction::Manage).await?;
    let req: AccountRef = body(&b)?;
    // The assignee must be a member of the owning or the developing workspace.
    let member = role_in(&p.db, &a.owner_ws, &req.account_id)
        .await?
        .is_some()
        || match &a.developer_ws {
            Some(d) => role_in(&p.db, d, &req.account_id).await?.is_some(),
            None => false,
        };
    if !member {
        return Err(Error::BadRequest(
            "the account is not a member of this mini program's workspaces".into(),
        ));
    }
    let mut tx = p.db.begin().await?;
    if sqlx::query("SELECT app_id FROM assignments WHERE app_id = $1 AND account_id = $2")
        .bind(&app)
        .bind(&req.account_id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(Error::Conflict("already assigned".into()));
    }
    sqlx::query("INSERT INTO assignments (app_id, account_id) VALUES ($1, $2)")
        .bind(&app)
        .bind(&req.account_id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "app.assign",
        &format!("app:{app}/developer:{}", req.account_id),
        None,
        Some(json!({})),
    )
    .await?;
    tx.commit().await?;
    created(Assignment {
        app_id: app,
        account_id: req.account_id,
    })
}

async fn dev_keys(p: &Platform, ws: &str) -> Result<Vec<PublicKey>, Error> {
    let rows = sqlx::query("SELECT public_hex FROM dev_keys WHERE workspace_id = $1")
        .bind(ws)
        .fetch_all(&p.db)
        .await?;
    rows.iter()
        .map(|r| {
            PublicKey::from_hex(&db::s(r, "public_hex")).map_err(|e| Error::Internal(e.to_string()))
        })
        .collect()
}

fn upload_path(app: &str, version: &str) -> ObjPath {
    ObjPath::from(format!("uploads/{app}/{version}.mpk"))
}

fn package_path(app: &str, target: &str, version: &str) -> ObjPath {
    ObjPath::from(format!("packages/{app}/{target}/{version}.mpk"))
}

#[utoipa::path(post, path = "/v1/apps/{app}/versions", tag = "apps", summary = "Upload a version (a bundle signed with a registered developer key)", request_body(content = Vec<u8>, content_type = "application/octet-stream"), params(("app" = String, Path)), responses((status = 201, description = "Success", body = VersionUploaded), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn upload(AxState(p): P, c: Caller, Path(app): Path<String>, Body(b): Body) -> R {
    let a = app_access(&p.db, &c, &app, AppAction::Upload).await?;
    if b.len() > p.config.max_upload {
        return Err(Error::TooLarge(p.config.max_upload));
    }
    // Signed by a developer key registered to the workspace that develops it.
    let ws = a.developer_ws.clone().unwrap_or_else(|| a.owner_ws.clone());
    let keys = dev_keys(&p, &ws).await?;
    if keys.is_empty() {
        return Err(Error::Invalid(
            "the workspace has no registered developer keys".into(),
        ));
    }
    let app_id = AppId::new(app.clone()).map_err(|e| Error::BadRequest(e.to_string()))?;
    let verified = mpkit_bundle::open(
        &b,
        &Trust::Developer(keys),
        &Expected::app(app_id),
        &Caps::default(),
    )?;
    verified.check_contents()?;
    let m = verified.manifest().clone();
    let version = m.version.to_string();
    let sha = hex::encode(Sha256::digest(&b));
    let mut tx = p.db.begin().await?;
    if sqlx::query("SELECT version FROM versions WHERE app_id = $1 AND version = $2")
        .bind(&app)
        .bind(&version)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "version {version} of {app} exists"
        )));
    }
    if sqlx::query("SELECT version FROM versions WHERE app_id = $1 AND build = $2")
        .bind(&app)
        .bind(m.build as i64)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "build {} of {app} exists",
            m.build
        )));
    }
    let manifest = serde_json::to_string(&m).map_err(|e| Error::Internal(e.to_string()))?;
    p.objects
        .put(&upload_path(&app, &version), b.to_vec().into())
        .await
        .map_err(|e| Error::Internal(format!("storing the upload: {e}")))?;
    sqlx::query("INSERT INTO versions (app_id, version, build, sha256, length, manifest, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(&app)
        .bind(&version)
        .bind(m.build as i64)
        .bind(&sha)
        .bind(b.len() as i64)
        .bind(&manifest)
        .bind(&c.account)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "version.upload",
        &format!("app:{app}/version:{version}"),
        None,
        Some(json!({"build": m.build, "sha256": sha})),
    )
    .await?;
    tx.commit().await?;
    created(VersionUploaded {
        app_id: app,
        version,
        build: m.build,
        sha256: sha,
        length: b.len() as u64,
        requested_permissions: wire_permissions(&m.permissions),
    })
}

#[utoipa::path(get, path = "/v1/apps/{app}/versions", tag = "apps", summary = "Versions of a mini program", params(("app" = String, Path)), responses((status = 200, description = "Success", body = [VersionInfo]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn list_versions(AxState(p): P, c: Caller, Path(app): Path<String>) -> R {
    app_access(&p.db, &c, &app, AppAction::Read).await?;
    let rows = sqlx::query("SELECT version, build, sha256, length, created_at FROM versions WHERE app_id = $1 ORDER BY build")
        .bind(&app)
        .fetch_all(&p.db)
        .await?;
    let versions: Vec<VersionInfo> = rows
        .iter()
        .map(|r| VersionInfo {
            version: db::s(r, "version"),
            build: unsigned(db::i(r, "build")),
            sha256: db::s(r, "sha256"),
            length: unsigned(db::i(r, "length")),
            created_at: db::i(r, "created_at"),
        })
        .collect();
    ok(versions)
}

// ------------------------------------------------------------ releases

/// Builds the target app's package: the same files, the manifest re-signed
/// by the publisher key with the permissions this target app allows.
async fn build_package(
    p: &Platform,
    ws: &str,
    app: &str,
    version: &str,
    allowed: &BTreeSet<String>,
) -> Result<(Vec<u8>, ReleasePermissions), Error> {
    let upload = p
        .objects
        .get(&upload_path(app, version))
        .await
        .map_err(|e| Error::Internal(format!("reading the upload: {e}")))?
        .bytes()
        .await
        .map_err(|e| Error::Internal(format!("reading the upload: {e}")))?;
    let keys = dev_keys(p, ws).await?;
    let app_id = AppId::new(app.to_owned()).map_err(|e| Error::BadRequest(e.to_string()))?;
    let v = mpkit_bundle::open(
        &upload,
        &Trust::Developer(keys),
        &Expected::app(app_id),
        &Caps::default(),
    )?;
    let files = v.read_files()?;
    let m = v.manifest().clone();
    let mut perms = m.permissions.clone();
    let requested = perms.clone();
    perms.jsapi.retain(|k| allowed.contains(k));
    perms.scopes.retain(|s| allowed.contains(s));
    let refused: Vec<String> = requested
        .jsapi
        .iter()
        .chain(requested.scopes.iter())
        .filter(|k| !allowed.contains(*k))
        .cloned()
        .collect();
    let mut entries = m.files.clone();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest::new(
        m.app_id.clone(),
        m.version.clone(),
        m.build,
        m.name.clone(),
        m.min_host_version.clone(),
        m.pages.clone(),
        perms.clone(),
        entries,
    )?;
    let bytes = mpkit_bundle::build_bundle(
        &manifest,
        &files,
        &[(&p.keys.publisher, KeyRole::Publisher)],
    )?;
    let approved = serde_json::to_value(&perms).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((
        bytes,
        ReleasePermissions {
            approved,
            not_allowed_by_target_app: refused,
        },
    ))
}

#[utoipa::path(post, path = "/v1/apps/{app}/releases", tag = "apps", summary = "Start a release in a target app; the package is built and re-signed", request_body = NewRelease, params(("app" = String, Path)), responses((status = 201, description = "Success", body = ReleaseStarted), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn start_release(AxState(p): P, c: Caller, Path(app): Path<String>, Body(b): Body) -> R {
    let a = app_access(&p.db, &c, &app, AppAction::Release).await?;
    let req: NewRelease = body(&b)?;
    if let Some(info) = &req.basic_info {
        check_basic_info(info)?;
    }
    let target = sqlx::query("SELECT allowed FROM target_apps WHERE id = $1")
        .bind(&req.target_app)
        .fetch_optional(&p.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no target app {}", req.target_app)))?;
    let allowed: BTreeSet<String> =
        serde_json::from_str(&db::s(&target, "allowed")).unwrap_or_default();
    if sqlx::query("SELECT version FROM versions WHERE app_id = $1 AND version = $2")
        .bind(&app)
        .bind(&req.version)
        .fetch_optional(&p.db)
        .await?
        .is_none()
    {
        return Err(Error::NotFound(format!(
            "no version {} of {app}",
            req.version
        )));
    }
    let active = sqlx::query(
        "SELECT id, state FROM releases WHERE app_id = $1 AND target_app = $2 AND active = 1",
    )
    .bind(&app)
    .bind(&req.target_app)
    .fetch_optional(&p.db)
    .await?;
    let ws = a.developer_ws.clone().unwrap_or_else(|| a.owner_ws.clone());
    let (bytes, perms) = build_package(&p, &ws, &app, &req.version, &allowed).await?;
    let sha = hex::encode(Sha256::digest(&bytes));
    p.objects
        .put(
            &package_path(&app, &req.target_app, &req.version),
            bytes.clone().into(),
        )
        .await
        .map_err(|e| Error::Internal(format!("storing the package: {e}")))?;
    let id = new_id();
    let info = req.basic_info.unwrap_or_else(|| json!({}));
    let mut tx = p.db.begin().await?;
    if let Some(r) = active {
        // One active release per (app, target app). A rejected one is replaced
        // by starting over with a new version; anything else must end first.
        if db::s(&r, "state") != "rejected" {
            return Err(Error::Conflict(format!(
                "release {} is still active ({})",
                db::s(&r, "id"),
                db::s(&r, "state")
            )));
        }
        sqlx::query(
            "UPDATE releases SET state = 'cancelled', active = 0, updated_at = $1 WHERE id = $2",
        )
        .bind(now())
        .bind(db::s(&r, "id"))
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            &c.account,
            "release.superseded",
            &format!("release:{}", db::s(&r, "id")),
            Some(json!({"state": "rejected"})),
            Some(json!({"state": "cancelled"})),
        )
        .await?;
    }
    sqlx::query("INSERT INTO releases (id, app_id, target_app, version, state, active, package_sha256, package_length, basic_info, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'built', 1, $5, $6, $7, $8, $9, $10)")
        .bind(&id)
        .bind(&app)
        .bind(&req.target_app)
        .bind(&req.version)
        .bind(&sha)
        .bind(bytes.len() as i64)
        .bind(info.to_string())
        .bind(&c.account)
        .bind(now())
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, &c.account, "release.start", &format!("release:{id}"), None, Some(json!({"state": "built", "version": req.version, "targetApp": req.target_app, "package": sha}))).await?;
    tx.commit().await?;
    created(ReleaseStarted {
        id,
        app_id: app,
        target_app: req.target_app,
        version: req.version,
        state: State::Built.as_str().to_owned(),
        package: PackageRef {
            sha256: sha,
            length: bytes.len() as u64,
        },
        permissions: perms,
    })
}

struct Rel {
    id: String,
    app: String,
    target: String,
    version: String,
    state: State,
    created_by: String,
    gray_bp: Option<i64>,
    gray_salt: Option<String>,
    row: Release,
}

async fn load_release(p: &Platform, id: &str) -> Result<Rel, Error> {
    let r = sqlx::query("SELECT * FROM releases WHERE id = $1")
        .bind(id)
        .fetch_optional(&p.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no release {id}")))?;
    let state =
        State::parse(&db::s(&r, "state")).ok_or_else(|| Error::Internal("unknown state".into()))?;
    let row = Release {
        id: db::s(&r, "id"),
        app_id: db::s(&r, "app_id"),
        target_app: db::s(&r, "target_app"),
        version: db::s(&r, "version"),
        state: state.as_str().to_owned(),
        package: PackageRef {
            sha256: db::s(&r, "package_sha256"),
            length: unsigned(db::i(&r, "package_length")),
        },
        compat_report: db::os(&r, "compat_report")
            .and_then(|t| serde_json::from_str::<Value>(&t).ok()),
        basic_info: serde_json::from_str::<Value>(&db::s(&r, "basic_info")).unwrap_or(Value::Null),
        reject_reason: db::os(&r, "reject_reason"),
        grayscale: db::oi(&r, "gray_bp").map(|bp| ReleaseGray {
            percent_bp: bp,
            salt: db::os(&r, "gray_salt"),
        }),
        created_at: db::i(&r, "created_at"),
        updated_at: db::i(&r, "updated_at"),
    };
    Ok(Rel {
        id: db::s(&r, "id"),
        app: db::s(&r, "app_id"),
        target: db::s(&r, "target_app"),
        version: db::s(&r, "version"),
        state,
        created_by: db::s(&r, "created_by"),
        gray_bp: db::oi(&r, "gray_bp"),
        gray_salt: db::os(&r, "gray_salt"),
        row,
    })
}

/// Loads a release the caller may act on with `action`.
async fn release_for(p: &Platform, c: &Caller, id: &str, action: AppAction) -> Result<Rel, Error> {
    let r = load_release(p, id).await?;
    app_access(&p.db, c, &r.app, action)
        .await
        .map_err(|e| match e {
            // A release of an app the caller cannot see does not exist for them.
            Error::NotFound(_) => Error::NotFound(format!("no release {id}")),
            other => other,
        })?;
    Ok(r)
}

fn step(r: &Rel, action: Action) -> Result<State, Error> {
    transition(r.state, action).ok_or_else(|| {
        Error::Conflict(format!(
            "a release in state {} cannot {:?}",
            r.state.as_str(),
            action
        ))
    })
}

/// Moves a release to `next` (checked), with extra column updates, audited,
/// bumping the policy when what devices see changes.
async fn set_state(
    p: &Platform,
    c: &Caller,
    r: &Rel,
    next: State,
    action: &str,
    extra: &[(&str, Value)],
    affects_policy: bool,
) -> Result<Transaction<'static, Any>, Error> {
    let mut tx = p.db.begin().await?;
    // Compare-and-set on the state: two racing transitions cannot both win.
    let n = sqlx::query(
        "UPDATE releases SET state = $1, active = $2, updated_at = $3 WHERE id = $4 AND state = $5",
    )
    .bind(next.as_str())
    .bind(i64::from(next.active()))
    .bind(now())
    .bind(&r.id)
    .bind(r.state.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(Error::Conflict(
            "the release changed meanwhile; reload it".into(),
        ));
    }
    let mut after = json!({"state": next.as_str()});
    for (k, v) in extra {
        after[*k] = v.clone();
    }
    audit(
        &mut tx,
        &c.account,
        action,
        &format!("release:{}", r.id),
        Some(json!({"state": r.state.as_str()})),
        Some(after),
    )
    .await?;
    if affects_policy {
        bump(&mut tx, &r.app, &r.target).await?;
    }
    Ok(tx)
}

#[utoipa::path(get, path = "/v1/releases/{id}", tag = "releases", summary = "A release", params(("id" = String, Path)), responses((status = 200, description = "Success", body = Release), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn get_release(AxState(p): P, c: Caller, Path(id): Path<String>) -> R {
    let r = release_for(&p, &c, &id, AppAction::Read).await?;
    ok(r.row)
}

#[utoipa::path(post, path = "/v1/releases/{id}/compat-report", tag = "releases", summary = "Attach a compatibility test report", request_body = Object, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn attach_report(AxState(p): P, c: Caller, Path(id): Path<String>, Body(b): Body) -> R {
    let r = release_for(&p, &c, &id, AppAction::Release).await?;
    let report: Value = body(&b)?;
    if !report.is_object() {
        return Err(Error::BadRequest("the report must be a JSON object".into()));
    }
    let next = step(&r, Action::AttachReport)?;
    let mut tx = set_state(&p, &c, &r, next, "release.report", &[], false).await?;
    sqlx::query("UPDATE releases SET compat_report = $1 WHERE id = $2")
        .bind(report.to_string())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    ok(changed(&id, next))
}

/// Basic info is an object of known fields only, at start and at every edit.
fn check_basic_info(info: &Value) -> Result<(), Error> {
    let Value::Object(m) = info else {
        return Err(Error::BadRequest("basic info must be a JSON object".into()));
    };
    for k in m.keys() {
        if !matches!(
            k.as_str(),
            "description" | "releaseNotes" | "iconUrl" | "category" | "contact"
        ) {
            return Err(Error::BadRequest(format!(
                "{k:?} is not basic info (description, releaseNotes, iconUrl, category, contact)"
            )));
        }
    }
    Ok(())
}

#[utoipa::path(patch, path = "/v1/releases/{id}/basic-info", tag = "releases", summary = "Edit basic info (the only edit allowed once applied)", request_body = Object, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn edit_basic_info(AxState(p): P, c: Caller, Path(id): Path<String>, Body(b): Body) -> R {
    let r = release_for(&p, &c, &id, AppAction::Release).await?;
    let info: Value = body(&b)?;
    check_basic_info(&info)?;
    let next = step(&r, Action::EditBasicInfo)?;
    let mut tx = p.db.begin().await?;
    sqlx::query(
        "UPDATE releases SET basic_info = $1, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(info.to_string())
    .bind(now())
    .bind(&id)
    .bind(next.as_str())
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        &c.account,
        "release.basic_info",
        &format!("release:{id}"),
        Some(r.row.basic_info.clone()),
        Some(info.clone()),
    )
    .await?;
    tx.commit().await?;
    ok(StateChanged {
        basic_info: Some(info),
        ..changed(&id, next)
    })
}

#[utoipa::path(post, path = "/v1/releases/{id}/apply", tag = "releases", summary = "Apply to release", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn apply(AxState(p): P, c: Caller, Path(id): Path<String>, Body(b): Body) -> R {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, AppAction::Release).await?;
    let next = step(&r, Action::Apply)?;
    let tx = set_state(&p, &c, &r, next, "release.apply", &[], false).await?;
    tx.commit().await?;
    ok(changed(&id, next))
}

#[utoipa::path(post, path = "/v1/releases/{id}/review", tag = "releases", summary = "Approve or reject (target app reviewers only)", request_body = Review, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn review(AxState(p): P, c: Caller, Path(id): Path<String>, Body(b): Body) -> R {
    let r = load_release(&p, &id).await?;
    // Only the target app's reviewers decide, whatever their workspaces.
    if !is_reviewer(&p.db, &r.target, &c.account).await? {
        return Err(Error::Forbidden(format!(
            "you are not a reviewer of {}",
            r.target
        )));
    }
    let req: Review = body(&b)?;
    let (action, reason) = match req.decision.as_str() {
        "approve" => (Action::Approve, None),
        "reject" => {
            let reason = req
                .reason
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| Error::BadRequest("a rejection needs a reason".into()))?;
            (Action::Reject, Some(reason))
        }
        _ => {
            return Err(Error::BadRequest(
                "decision must be approve or reject".into(),
            ))
        }
    };
    let next = step(&r, action)?;
    let mut tx = set_state(
        &p,
        &c,
        &r,
        next,
        "release.review",
        &[("reason", json!(reason))],
        false,
    )
    .await?;
    sqlx::query("UPDATE releases SET reject_reason = $1 WHERE id = $2")
        .bind(&reason)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let text = match &reason {
        None => format!("{} {} for {} was approved", r.app, r.version, r.target),
        Some(why) => format!(
            "{} {} for {} was rejected: {why}",
            r.app, r.version, r.target
        ),
    };
    let event = if reason.is_none() {
        "release.approved"
    } else {
        "release.rejected"
    };
    notify(&mut tx, &r, event, &text).await?;
    tx.commit().await?;
    p.webhooks.wake();
    ok(StateChanged {
        reason,
        ..changed(&id, next)
    })
}

/// Rejected lines for an error message.
fn lines_text(rejected: &[RejectedLine]) -> String {
    serde_json::to_string(rejected).unwrap_or_default()
}

async fn replace_testers(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    testers: &[String],
) -> Result<(), Error> {
    sqlx::query("DELETE FROM testers WHERE release_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for t in testers {
        sqlx::query("INSERT INTO testers (release_id, user_id) VALUES ($1, $2)")
            .bind(id)
            .bind(t)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[utoipa::path(post, path = "/v1/releases/{id}/pilot", tag = "releases", summary = "Start pilot testing with tester user ids", request_body = Pilot, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn start_pilot(AxState(p): P, c: Caller, Path(id): Path<String>, Body(b): Body) -> R {
    let r = release_for(&p, &c, &id, AppAction::Release).await?;
    let req: Pilot = body(&b)?;
    let (ids, rejected) = testers::parse(&req.testers.join("\n"));
    if !rejected.is_empty() {
        return Err(Error::BadRequest(format!(
            "bad tester ids: {}",
            lines_text(&rejected)
        )));
    }
    if ids.is_empty() || ids.len() > MAX_TESTERS {
        return Err(Error::BadRequest(format!(
            "a pilot needs 1 to {MAX_TESTERS} testers"
        )));
    }
    let next = step(&r, Action::StartPilot)?;
    let mut tx = set_state(
        &p,
        &c,
        &r,
        next,
        "release.pilot",
        &[("testers", json!(ids.len()))],
        true,
    )
    .await?;
    replace_testers(&mut tx, &id, &ids).await?;
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    ok(StateChanged {
        testers: Some(ids.len() as u64),
        ..changed(&id, next)
    })
}

#[utoipa::path(put, path = "/v1/releases/{id}/testers", tag = "releases", summary = "Replace the tester list from a CSV or TXT file; rejected lines are reported", request_body(content = String, content_type = "text/plain"), params(("id" = String, Path)), responses((status = 200, description = "Success", body = TestersReplaced), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn put_testers(AxState(p): P, c: Caller, Path(id): Path<String>, Body(b): Body) -> R {
    let r = release_for(&p, &c, &id, AppAction::Release).await?;
    let text = std::str::from_utf8(&b)
        .map_err(|_| Error::BadRequest("the tester file must be UTF-8 text".into()))?;
    let (ids, rejected) = testers::parse(text);
    if ids.len() > MAX_TESTERS {
        return Err(Error::BadRequest(format!("at most {MAX_TESTERS} testers")));
    }
    let next = step(&r, Action::UpdateTesters)?;
    if ids.is_empty() {
        return Err(Error::BadRequest(format!(
            "no valid tester ids; rejected lines: {}",
            lines_text(&rejected)
        )));
    }
    let mut tx = set_state(
        &p,
        &c,
        &r,
        next,
        "release.testers",
        &[("testers", json!(ids.len()))],
        true,
    )
    .await?;
    replace_testers(&mut tx, &id, &ids).await?;
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    ok(TestersReplaced {
        id,
        accepted: ids.len() as u64,
        rejected,
    })
}

#[utoipa::path(post, path = "/v1/releases/{id}/complete-pilot", tag = "releases", summary = "Complete pilot testing", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn complete_pilot(AxState(p): P, c: Caller, Path(id): Path<String>, Body(b): Body) -> R {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, AppAction::Release).await?;
    let next = step(&r, Action::CompletePilot)?;
    let tx = set_state(&p, &c, &r, next, "release.pilot_complete", &[], true).await?;
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    ok(changed(&id, next))
}

#[utoipa::path(post, path = "/v1/releases/{id}/grayscale", tag = "releases", summary = "Start or raise the grayscale percentage (0.01% steps, only up)", request_body = Gray, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn grayscale(AxState(p): P, c: Caller, Path(id): Path<String>, Body(b): Body) -> R {
    let r = release_for(&p, &c, &id, AppAction::Release).await?;
    let req: Gray = body(&b)?;
    let bp = rollout::percent_to_bp(&req.percent).map_err(Error::BadRequest)?;
    if bp == 0 {
        return Err(Error::BadRequest("a grayscale starts above 0%".into()));
    }
    let next = step(&r, Action::Grayscale)?;
    if let Some(cur) = r.gray_bp.filter(|_| r.state == State::Grayscale) {
        if i64::from(bp) <= cur {
            return Err(Error::Conflict(format!(
                "the percentage only goes up (now {:.2}%)",
                cur as f64 / 100.0
            )));
        }
    }
    if let Some(s) = &req.salt {
        rollout::check_salt(s).map_err(Error::BadRequest)?;
    }
    // The salt is minted (or named) when the grayscale starts; raising keeps
    // it, so every user already in stays in.
    let salt = match (&r.gray_salt, r.state, &req.salt) {
        (Some(s), State::Grayscale, Some(asked)) if asked != s => {
            return Err(Error::Conflict(
                "the salt is fixed when the grayscale starts; raising keeps it".into(),
            ))
        }
        (Some(s), State::Grayscale, _) => s.clone(),
        (_, _, Some(asked)) => asked.clone(),
        _ => format!("{}:{}", r.app, &new_id()[..12]),
    };
    let mut tx = set_state(
        &p,
        &c,
        &r,
        next,
        "release.grayscale",
        &[("percentBp", json!(bp)), ("salt", json!(salt))],
        true,
    )
    .await?;
    sqlx::query("UPDATE releases SET gray_bp = $1, gray_salt = $2 WHERE id = $3")
        .bind(i64::from(bp))
        .bind(&salt)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    ok(StateChanged {
        percent_bp: Some(bp),
        salt: Some(salt),
        ..changed(&id, next)
    })
}

async fn publish(
    tx: &mut Transaction<'_, Any>,
    app: &str,
    target: &str,
    v: Option<(&str, &str, i64)>,
    reason: &str,
) -> Result<i64, Error> {
    let seq = bump(tx, app, target).await?;
    sqlx::query("INSERT INTO published (app_id, target_app, seq, version, sha256, length, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(app)
        .bind(target)
        .bind(seq)
        .bind(v.map(|x| x.0))
        .bind(v.map(|x| x.1))
        .bind(v.map(|x| x.2))
        .bind(reason)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

#[utoipa::path(post, path = "/v1/releases/{id}/full", tag = "releases", summary = "Release to everyone", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn full(AxState(p): P, c: Caller, Path(id): Path<String>, Body(b): Body) -> R {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, AppAction::Release).await?;
    let next = step(&r, Action::Full)?;
    let sha = r.row.package.sha256.clone();
    let len = i64::try_from(r.row.package.length).unwrap_or_default();
    let mut tx = set_state(&p, &c, &r, next, "release.full", &[], false).await?;
    publish(
        &mut tx,
        &r.app,
        &r.target,
        Some((&r.version, &sha, len)),
        "full release",
    )
    .await?;
    notify(
        &mut tx,
        &r,
        "release.released",
        &format!(
            "{} {} is released to everyone in {}",
            r.app, r.version, r.target
        ),
    )
    .await?;
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    p.webhooks.wake();
    ok(changed(&id, next))
}

#[utoipa::path(post, path = "/v1/releases/{id}/cancel", tag = "releases", summary = "Cancel the release", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn cancel(AxState(p): P, c: Caller, Path(id): Path<String>, Body(b): Body) -> R {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, AppAction::Release).await?;
    let next = step(&r, Action::Cancel)?;
    let affects = matches!(r.state, State::Pilot | State::Grayscale);
    let mut tx = set_state(&p, &c, &r, next, "release.cancel", &[], affects).await?;
    notify(
        &mut tx,
        &r,
        "release.cancelled",
        &format!("{} {} for {} was cancelled", r.app, r.version, r.target),
    )
    .await?;
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    p.webhooks.wake();
    ok(changed(&id, next))
}

#[utoipa::path(post, path = "/v1/apps/{app}/targets/{t}/rollback", tag = "apps", summary = "Roll back to a version released before", request_body = Rollback, params(("app" = String, Path), ("t" = String, Path)), responses((status = 200, description = "Success", body = StableChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn rollback(
    AxState(p): P,
    c: Caller,
    Path((app, t)): Path<(String, String)>,
    Body(b): Body,
) -> R {
    app_access(&p.db, &c, &app, AppAction::Manage).await?;
    let req: Rollback = body(&b)?;
    // Only to a version that was fully released in this target app before.
    let prev = sqlx::query("SELECT sha256, length FROM published WHERE app_id = $1 AND target_app = $2 AND version = $3 AND reason = 'full release' ORDER BY seq DESC LIMIT 1")
        .bind(&app)
        .bind(&t)
        .bind(&req.version)
        .fetch_optional(&p.db)
        .await?
        .ok_or_else(|| Error::Conflict(format!("{} was never fully released in {t}", req.version)))?;
    let mut tx = p.db.begin().await?;
    let seq = publish(
        &mut tx,
        &app,
        &t,
        Some((
            &req.version,
            &db::s(&prev, "sha256"),
            db::i(&prev, "length"),
        )),
        "rollback",
    )
    .await?;
    audit(
        &mut tx,
        &c.account,
        "app.rollback",
        &format!("app:{app}/target:{t}"),
        None,
        Some(json!({"stable": req.version, "seq": seq})),
    )
    .await?;
    tx.commit().await?;
    p.policies.invalidate(&app, &t);
    ok(StableChanged {
        app_id: app,
        target_app: t,
        stable: Some(req.version),
        seq: unsigned(seq),
    })
}

#[utoipa::path(post, path = "/v1/apps/{app}/targets/{t}/takedown", tag = "apps", summary = "Take the mini program down from the target app", params(("app" = String, Path), ("t" = String, Path)), responses((status = 200, description = "Success", body = StableChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn takedown(
    AxState(p): P,
    c: Caller,
    Path((app, t)): Path<(String, String)>,
    Body(b): Body,
) -> R {
    no_body(&b)?;
    app_access(&p.db, &c, &app, AppAction::Manage).await?;
    let mut tx = p.db.begin().await?;
    // Any active pilot or grayscale ends too.
    sqlx::query("UPDATE releases SET state = 'cancelled', active = 0, updated_at = $1 WHERE app_id = $2 AND target_app = $3 AND active = 1")
        .bind(now())
        .bind(&app)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    let seq = publish(&mut tx, &app, &t, None, "takedown").await?;
    audit(
        &mut tx,
        &c.account,
        "app.takedown",
        &format!("app:{app}/target:{t}"),
        None,
        Some(json!({"stable": null, "seq": seq})),
    )
    .await?;
    tx.commit().await?;
    p.policies.invalidate(&app, &t);
    ok(StableChanged {
        app_id: app,
        target_app: t,
        stable: None,
        seq: unsigned(seq),
    })
}

// ------------------------------------------------------------ policy and eligibility

#[utoipa::path(get, path = "/v1/apps/{app}/targets/{t}/policy", tag = "apps", summary = "The signed release policy", params(("app" = String, Path), ("t" = String, Path)), responses((status = 200, description = "The signed policy; its payload is a ReleasePolicy", body = Signed), (status = "4XX", description = "{code, message}", body = ApiErrorBody)))]
async fn get_policy(AxState(p): P, Path((app, t)): Path<(String, String)>) -> R {
    let e = policy::current(&p, &app, &t).await?;
    ok(&e.signed)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ResolveQ {
    app: String,
    target_app: String,
    user: String,
}

#[utoipa::path(get, path = "/v1/resolve", tag = "resolve", summary = "Which version this user gets (signed)", params(("app" = String, Query, description = "the mini program"), ("targetApp" = String, Query, description = "the target app"), ("user" = String, Query, description = "the super app user id")), responses((status = 200, description = "The signed answer; its payload is a ResolveAnswer", body = Signed), (status = "4XX", description = "{code, message}", body = ApiErrorBody)))]
async fn resolve(AxState(p): P, Query(q): Query<ResolveQ>) -> R {
    if q.user.len() > 128 {
        return Err(Error::BadRequest(
            "user is longer than 128 characters".into(),
        ));
    }
    let e = policy::current(&p, &q.app, &q.target_app).await?;
    let body = policy::answer(&p, &e, &q.user)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplainQ {
    user: String,
}

#[utoipa::path(get, path = "/v1/apps/{app}/targets/{t}/explain", tag = "apps", summary = "Which version a user would get, and which rule decided", params(("app" = String, Path), ("t" = String, Path), ("user" = String, Query, description = "the user id")), responses((status = 200, description = "Success", body = Explanation), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn explain(
    AxState(p): P,
    c: Caller,
    Path((app, t)): Path<(String, String)>,
    Query(q): Query<ExplainQ>,
) -> R {
    app_access(&p.db, &c, &app, AppAction::Read).await?;
    let e = policy::current(&p, &app, &t).await?;
    let (version, rule, bucket) = policy::decide(&e, &q.user);
    let why = match rule {
        Rule::Pilot => "the user is on the pilot tester list".to_string(),
        Rule::Grayscale => format!(
            "bucket {} is below the grayscale's {} basis points",
            bucket.unwrap_or_default(),
            e.policy.grayscale.as_ref().map_or(0, |g| g.percent_bp)
        ),
        Rule::Stable => match (&e.policy.grayscale, bucket) {
            (Some(g), Some(b)) => format!(
                "bucket {b} is not below the grayscale's {} basis points; the stable version",
                g.percent_bp
            ),
            _ => "no pilot or grayscale applies; the stable version".into(),
        },
        Rule::None => "nothing is released in this target app".into(),
    };
    ok(Explanation {
        user: q.user,
        version,
        rule,
        bucket,
        why,
        seq: e.policy.seq,
    })
}

#[utoipa::path(post, path = "/v1/apps/{app}/targets/{t}/dry-run", tag = "apps", summary = "How many of a user list a percentage would reach", request_body = DryRun, params(("app" = String, Path), ("t" = String, Path)), responses((status = 200, description = "Success", body = DryRunResult), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn dry_run(
    AxState(p): P,
    c: Caller,
    Path((app, t)): Path<(String, String)>,
    Body(b): Body,
) -> R {
    app_access(&p.db, &c, &app, AppAction::Read).await?;
    let req: DryRun = body(&b)?;
    let bp = rollout::percent_to_bp(&req.percent).map_err(Error::BadRequest)?;
    let e = policy::current(&p, &app, &t).await?;
    // The active grayscale's salt, or the one given, or a sample salt (a real
    // start mints a new one, so the count is an estimate then).
    let (salt, exact) = match (&req.salt, &e.policy.grayscale) {
        (Some(s), _) => (s.clone(), true),
        (None, Some(g)) => (g.salt.clone(), true),
        (None, None) => (format!("{app}:dry-run"), false),
    };
    let users: BTreeSet<&str> = req
        .users
        .iter()
        .map(String::as_str)
        .filter(|u| !u.is_empty())
        .collect();
    let reached = users
        .iter()
        .filter(|u| rollout::in_grayscale(&salt, u, bp))
        .count();
    ok(DryRunResult {
        percent_bp: bp,
        users: users.len() as u64,
        reached: reached as u64,
        salt,
        exact,
    })
}

#[utoipa::path(get, path = "/v1/packages/{app}/{t}/{version}", tag = "packages", summary = "A release package (public; hosts verify it against the signed pin)", params(("app" = String, Path), ("t" = String, Path), ("version" = String, Path)), responses((status = 200, description = "The publisher-signed package", body = Vec<u8>, content_type = "application/vnd.mpkit.bundle"), (status = "4XX", description = "{code, message}", body = ApiErrorBody)))]
async fn package(AxState(p): P, Path((app, t, version)): Path<(String, String, String)>) -> R {
    // Packages are public by design: hosts fetch what a signed policy pinned,
    // and verify the bytes against that pin and the publisher signature.
    let ok_name = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
    };
    if !(ok_name(&app) && ok_name(&t) && ok_name(&version)) {
        return Err(Error::NotFound("no such package".into()));
    }
    let got = p
        .objects
        .get(&package_path(&app, &t, &version))
        .await
        .map_err(|_| Error::NotFound("no such package".into()))?;
    let bytes = got
        .bytes()
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok((
        [(header::CONTENT_TYPE, "application/vnd.mpkit.bundle")],
        bytes,
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/trust/root.json", tag = "trust", summary = "The trust root hosts configure", responses((status = 200, description = "The signed trust root", body = Object, content_type = "application/json"), (status = "4XX", description = "{code, message}", body = ApiErrorBody)))]
async fn root_json(AxState(p): P) -> R {
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        p.keys.root_json.clone(),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QrQ {
    format: Option<String>,
    release: Option<String>,
}

/// A QR code that launches the mini program in the target app, or (with
/// `release`) the trial QR code of a release in pilot testing.
#[utoipa::path(get, path = "/v1/apps/{app}/targets/{t}/qr", tag = "apps", summary = "A launch QR code, or the trial QR code of a pilot (SVG or PNG)", params(("app" = String, Path), ("t" = String, Path), ("format" = Option<String>, Query, description = "svg (default) or png"), ("release" = Option<String>, Query, description = "a release in pilot testing, for its trial code")), responses((status = 200, description = "The QR code", content((String = "image/svg+xml"), (Vec<u8> = "image/png"))), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn qr_code(
    AxState(p): P,
    c: Caller,
    Path((app, t)): Path<(String, String)>,
    Query(q): Query<QrQ>,
) -> R {
    app_access(&p.db, &c, &app, AppAction::Read).await?;
    if sqlx::query("SELECT id FROM target_apps WHERE id = $1")
        .bind(&t)
        .fetch_optional(&p.db)
        .await?
        .is_none()
    {
        return Err(Error::NotFound(format!("no target app {t}")));
    }
    let text = match &q.release {
        None => format!("mpkit://launch?app={app}&target={t}"),
        Some(id) => {
            let r = load_release(&p, id).await?;
            if r.app != app || r.target != t {
                return Err(Error::NotFound(format!("no release {id} of {app} in {t}")));
            }
            if r.state != State::Pilot {
                return Err(Error::Conflict(format!(
                    "trial QR codes are for releases in pilot testing; this one is {}",
                    r.state.as_str()
                )));
            }
            format!(
                "mpkit://launch?app={app}&target={t}&version={}&trial={id}",
                r.version
            )
        }
    };
    match q.format.as_deref().unwrap_or("svg") {
        "svg" => Ok((
            [(header::CONTENT_TYPE, "image/svg+xml")],
            qr::svg(&text).map_err(Error::Internal)?,
        )
            .into_response()),
        "png" => Ok((
            [(header::CONTENT_TYPE, "image/png")],
            qr::png(&text).map_err(Error::Internal)?,
        )
            .into_response()),
        other => Err(Error::BadRequest(format!(
            "format {other:?} is not svg or png"
        ))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQ {
    object: Option<String>,
}

#[utoipa::path(get, path = "/v1/audit", tag = "audit", summary = "The audit log (admin)", params(("object" = Option<String>, Query, description = "only entries about this object, e.g. release:ID")), responses((status = 200, description = "Success", body = [AuditEntry]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn audit_log(AxState(p): P, c: Caller, Query(q): Query<AuditQ>) -> R {
    if !c.admin {
        return Err(Error::Forbidden(
            "the full audit log is for platform admins".into(),
        ));
    }
    let rows = match &q.object {
        Some(o) => {
            sqlx::query("SELECT * FROM audit WHERE object = $1 ORDER BY id")
                .bind(o)
                .fetch_all(&p.db)
                .await?
        }
        None => {
            sqlx::query("SELECT * FROM audit ORDER BY id")
                .fetch_all(&p.db)
                .await?
        }
    };
    let parse = |t: Option<String>| t.and_then(|t| serde_json::from_str::<Value>(&t).ok());
    let entries: Vec<AuditEntry> = rows
        .iter()
        .map(|r| AuditEntry {
            at: db::i(r, "at"),
            actor: db::s(r, "actor"),
            action: db::s(r, "action"),
            object: db::s(r, "object"),
            before: parse(db::os(r, "before_state")),
            after: parse(db::os(r, "after_state")),
        })
        .collect();
    ok(entries)
}

#[utoipa::path(get, path = "/v1/inbox", tag = "inbox", summary = "The caller's notifications", responses((status = 200, description = "Success", body = [InboxMessage]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn inbox(AxState(p): P, c: Caller) -> R {
    let rows =
        sqlx::query("SELECT at, text, release_id FROM inbox WHERE account_id = $1 ORDER BY id")
            .bind(&c.account)
            .fetch_all(&p.db)
            .await?;
    let messages: Vec<InboxMessage> = rows
        .iter()
        .map(|r| InboxMessage {
            at: db::i(r, "at"),
            text: db::s(r, "text"),
            release: db::os(r, "release_id"),
        })
        .collect();
    ok(messages)
}

// ------------------------------------------------------------ webhooks

/// A webhook row as listed.
fn webhook_row(r: &sqlx::any::AnyRow) -> Webhook {
    Webhook {
        id: db::s(r, "id"),
        workspace: db::s(r, "workspace_id"),
        url: db::s(r, "url"),
        events: serde_json::from_str(&db::s(r, "events")).unwrap_or_default(),
        created_by: db::s(r, "created_by"),
        created_at: db::i(r, "created_at"),
    }
}

#[utoipa::path(post, path = "/v1/workspaces/{ws}/webhooks", tag = "webhooks", summary = "Register a webhook for the workspace's release results (Master); its signing secret is shown once", request_body = NewWebhook, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = WebhookCreated), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn create_webhook(AxState(p): P, c: Caller, Path(ws): Path<String>, Body(b): Body) -> R {
    require_ws_role(&p, &c, &ws, Role::Master).await?;
    let req: NewWebhook = body(&b)?;
    let url = webhooks::check_url(&req.url, p.config.webhook_allow_loopback)
        .map_err(Error::BadRequest)?;
    let events = webhooks::events(req.events).map_err(Error::BadRequest)?;
    let (id, secret) = (ordered_id(), webhooks::new_secret());
    let events_json = serde_json::to_string(&events).map_err(|e| Error::Internal(e.to_string()))?;
    let mut tx = p.db.begin().await?;
    // Serialised on the workspace row, so the limit holds under races.
    sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
        .bind(&ws)
        .execute(&mut *tx)
        .await?;
    let n = sqlx::query("SELECT COUNT(*) AS n FROM webhooks WHERE workspace_id = $1")
        .bind(&ws)
        .fetch_one(&mut *tx)
        .await?;
    if db::i(&n, "n") >= webhooks::MAX_PER_WORKSPACE {
        return Err(Error::Conflict(format!(
            "a workspace has at most {} webhooks",
            webhooks::MAX_PER_WORKSPACE
        )));
    }
    sqlx::query("INSERT INTO webhooks (id, workspace_id, url, secret, events, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&id)
        .bind(&ws)
        .bind(url.as_str())
        .bind(&secret)
        .bind(&events_json)
        .bind(&c.account)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "webhook.create",
        &format!("workspace:{ws}/webhook:{id}"),
        None,
        Some(json!({"url": url.as_str(), "events": events})),
    )
    .await?;
    tx.commit().await?;
    // The secret is shown once; it is kept to sign deliveries.
    created(WebhookCreated {
        id,
        workspace: ws,
        url: url.to_string(),
        events,
        secret,
    })
}

#[utoipa::path(get, path = "/v1/workspaces/{ws}/webhooks", tag = "webhooks", summary = "The workspace's webhooks, without their secrets (Master)", params(("ws" = String, Path)), responses((status = 200, description = "Success", body = [Webhook]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn list_webhooks(AxState(p): P, c: Caller, Path(ws): Path<String>) -> R {
    require_ws_role(&p, &c, &ws, Role::Master).await?;
    let rows = sqlx::query(
        "SELECT id, workspace_id, url, events, created_by, created_at FROM webhooks WHERE workspace_id = $1 ORDER BY created_at, id",
    )
    .bind(&ws)
    .fetch_all(&p.db)
    .await?;
    let hooks: Vec<Webhook> = rows.iter().map(webhook_row).collect();
    ok(hooks)
}

/// Loads a webhook its workspace's Master acts on; 404 for non-members.
async fn webhook_for(p: &Platform, c: &Caller, id: &str) -> Result<Webhook, Error> {
    let row = sqlx::query(
        "SELECT id, workspace_id, url, events, created_by, created_at FROM webhooks WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&p.db)
    .await?
    .ok_or_else(|| Error::NotFound(format!("no webhook {id}")))?;
    let hook = webhook_row(&row);
    require_ws_role(p, c, &hook.workspace, Role::Master)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => Error::NotFound(format!("no webhook {id}")),
            other => other,
        })?;
    Ok(hook)
}

#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", summary = "Delete a webhook and its deliveries (Master of its workspace)", params(("id" = String, Path)), responses((status = 200, description = "The webhook deleted", body = Webhook), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn delete_webhook(AxState(p): P, c: Caller, Path(id): Path<String>) -> R {
    let hook = webhook_for(&p, &c, &id).await?;
    let mut tx = p.db.begin().await?;
    sqlx::query("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = $1)")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let n = sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n != 1 {
        return Err(Error::NotFound(format!("no webhook {id}")));
    }
    audit(
        &mut tx,
        &c.account,
        "webhook.delete",
        &format!("workspace:{}/webhook:{id}", hook.workspace),
        Some(json!({"url": hook.url, "events": hook.events})),
        None,
    )
    .await?;
    tx.commit().await?;
    ok(hook)
}

/// Deliveries listed per call, the newest first.
const DELIVERIES_LISTED: i64 = 100;

#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks", summary = "The webhook's latest deliveries (newest first, at most 100) with every attempt (Master of its workspace)", params(("id" = String, Path)), responses((status = 200, description = "Success", body = [WebhookDelivery]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
async fn webhook_deliveries(AxState(p): P, c: Caller, Path(id): Path<String>) -> R {
    webhook_for(&p, &c, &id).await?;
    let rows = sqlx::query(
        "SELECT id, event_id, event, payload, status, next_at_ms, created_at FROM webhook_deliveries \
         WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(&id)
    .bind(DELIVERIES_LISTED)
    .fetch_all(&p.db)
    .await?;
    let attempts = sqlx::query(
        "SELECT a.delivery_id AS delivery_id, a.n AS n, a.at AS at, a.status AS status, a.error AS error, \
         a.duration_ms AS duration_ms FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
         WHERE d.webhook_id = $1 ORDER BY a.delivery_id, a.n",
    )
    .bind(&id)
    .fetch_all(&p.db)
    .await?;
    let mut by_delivery: std::collections::HashMap<String, Vec<WebhookAttempt>> =
        std::collections::HashMap::new();
    for a in &attempts {
        by_delivery
            .entry(db::s(a, "delivery_id"))
            .or_default()
            .push(WebhookAttempt {
                n: u32::try_from(db::i(a, "n")).unwrap_or_default(),
                at: db::i(a, "at"),
                status: db::oi(a, "status").and_then(|s| u16::try_from(s).ok()),
                error: db::os(a, "error"),
                duration_ms: unsigned(db::i(a, "duration_ms")),
            });
    }
    let deliveries = rows
        .iter()
        .map(|r| {
            let status = db::s(r, "status");
            Ok(WebhookDelivery {
                id: db::s(r, "id"),
                webhook: id.clone(),
                event_id: db::s(r, "event_id"),
                event: db::s(r, "event"),
                attempts: by_delivery.remove(&db::s(r, "id")).unwrap_or_default(),
                next_attempt_at_ms: (status == "pending").then(|| db::i(r, "next_at_ms")),
                status,
                payload: serde_json::from_str::<WebhookPayload>(&db::s(r, "payload"))
                    .map_err(|e| Error::Internal(format!("webhook payload: {e}")))?,
                created_at: db::i(r, "created_at"),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    ok(deliveries)
}
