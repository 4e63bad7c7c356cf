//! `/v1/workspaces/...`: workspaces, members and roles, developer keys, the
//! workspace's mini programs and ISV authorizations.

use super::extract::{body, created, display_name, ok, ApiResult, AppState, Body};
use crate::authz::{require_ws, role_in, Caller, Op, Role};
use crate::error::Error;
use crate::page::PageQ;
use crate::{accounts, apps, workspaces};
use axum::extract::{Path, Query, State as AxState};
use mpkit_bundle::{AppId, PublicKey};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{
    App, IsvAuthorization, KeyRegistered, Member, NewApp, NewAuth, NewKey, NewMember, NewWorkspace,
    Revoked, SetRole, Workspace,
};

#[utoipa::path(post, path = paths::CREATE_WORKSPACE.template, tag = "workspaces", summary = "Create a merchant or ISV workspace; the creator is its Master", request_body = NewWorkspace, responses((status = 201, description = "Success", body = Workspace)), security(("bearer" = [])))]
pub(super) async fn create_workspace(AxState(p): AppState, c: Caller, Body(b): Body) -> ApiResult {
    let req: NewWorkspace = body(&b)?;
    let name = display_name(&req.name)?;
    let id = workspaces::create(&p.db, &c.account, name, req.kind).await?;
    created(Workspace {
        id,
        name: name.to_owned(),
        kind: req.kind,
        role: Role::Master,
    })
}

#[utoipa::path(get, path = paths::MEMBERS.template, tag = "workspaces", summary = "The workspace's members and their roles (members)", params(("after" = Option<String>, Query, description = "the cursor: the key of the last item of the previous page"), ("limit" = Option<u32>, Query, description = "items in this page, 1 to 1000 (500); an empty page is the end"), ("ws" = String, Path)), responses((status = 200, description = "Success", body = [Member])), security(("bearer" = [])))]
pub(super) async fn list_members(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Query(page): Query<PageQ>,
) -> ApiResult {
    require_ws(&p.db, &c, &ws, Op::ListMembers).await?;
    ok(workspaces::members(&p.db, &ws, &page.page()?).await?)
}

#[utoipa::path(post, path = paths::ADD_MEMBER.template, tag = "workspaces", summary = "Add a member with a role (Master)", request_body = NewMember, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = Member)), security(("bearer" = [])))]
pub(super) async fn add_member(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Body(b): Body,
) -> ApiResult {
    require_ws(&p.db, &c, &ws, Op::ManageMembers).await?;
    let req: NewMember = body(&b)?;
    if !accounts::exists(&p.db, &req.account_id).await? {
        return Err(Error::NotFound(format!("no account {}", req.account_id)));
    }
    if role_in(&p.db, &ws, &req.account_id).await?.is_some() {
        return Err(Error::Conflict(
            "already a member; change the role instead".into(),
        ));
    }
    workspaces::add_member(&p.db, &c.account, &ws, &req.account_id, req.role).await?;
    created(Member {
        workspace: ws,
        account_id: req.account_id,
        role: req.role,
    })
}

#[utoipa::path(patch, path = paths::SET_ROLE.template, tag = "workspaces", summary = "Change a member's role (Master; nobody raises their own)", request_body = SetRole, params(("ws" = String, Path), ("account" = String, Path)), responses((status = 200, description = "Success", body = Member)), security(("bearer" = [])))]
pub(super) async fn set_role(
    AxState(p): AppState,
    c: Caller,
    Path((ws, account)): Path<(String, String)>,
    Body(b): Body,
) -> ApiResult {
    let mine = role_in(&p.db, &ws, &c.account)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no workspace {ws}")))?;
    let req: SetRole = body(&b)?;
    let role = req.role;
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
    workspaces::set_role(&p.db, &c.account, &ws, &account, before, role).await?;
    ok(Member {
        workspace: ws,
        account_id: account,
        role,
    })
}

#[utoipa::path(delete, path = paths::REMOVE_MEMBER.template, tag = "workspaces", summary = "Remove a member (Master; never the last Master); applies on their next call", params(("ws" = String, Path), ("account" = String, Path)), responses((status = 200, description = "The membership removed", body = Member)), security(("bearer" = [])))]
pub(super) async fn remove_member(
    AxState(p): AppState,
    c: Caller,
    Path((ws, account)): Path<(String, String)>,
) -> ApiResult {
    require_ws(&p.db, &c, &ws, Op::ManageMembers).await?;
    let role = workspaces::remove_member(&p.db, &c.account, &ws, &account).await?;
    ok(Member {
        workspace: ws,
        account_id: account,
        role,
    })
}

#[utoipa::path(post, path = paths::REGISTER_KEY.template, tag = "workspaces", summary = "Register a developer public key (Owner)", request_body = NewKey, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = KeyRegistered)), security(("bearer" = [])))]
pub(super) async fn add_key(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Body(b): Body,
) -> ApiResult {
    require_ws(&p.db, &c, &ws, Op::DevKeys).await?;
    let req: NewKey = body(&b)?;
    let key = PublicKey::from_hex(req.public_key_hex.trim())
        .map_err(|e| Error::BadRequest(format!("public key: {e}")))?;
    workspaces::add_key(&p.db, &c.account, &ws, &key).await?;
    created(KeyRegistered {
        workspace: ws,
        key_id: key.id().as_str().to_owned(),
    })
}

#[utoipa::path(get, path = paths::APPS.template, tag = "workspaces", summary = "The workspace's mini programs (members; a Developer sees those assigned to them)", params(("after" = Option<String>, Query, description = "the cursor: the key of the last item of the previous page"), ("limit" = Option<u32>, Query, description = "items in this page, 1 to 1000 (500); an empty page is the end"), ("ws" = String, Path)), responses((status = 200, description = "Success", body = [App])), security(("bearer" = [])))]
pub(super) async fn list_apps(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Query(page): Query<PageQ>,
) -> ApiResult {
    let role = require_ws(&p.db, &c, &ws, Op::ListApps).await?;
    ok(apps::of_workspace(&p.db, &ws, role, &c.account, &page.page()?).await?)
}

#[utoipa::path(post, path = paths::CREATE_APP.template, tag = "workspaces", summary = "Create a mini program (self-developed, or third-party with an ISV)", request_body = NewApp, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = App)), security(("bearer" = [])))]
pub(super) async fn create_app(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Body(b): Body,
) -> ApiResult {
    require_ws(&p.db, &c, &ws, Op::CreateApp).await?;
    let req: NewApp = body(&b)?;
    let name = display_name(&req.name)?;
    let dev = req.developer_workspace.as_deref();
    if let Some(id) = &req.app_id {
        let app = AppId::new(id.clone()).map_err(|e| Error::BadRequest(e.to_string()))?;
        return created(apps::create(&p.db, &c.account, &ws, &app, name, dev).await?);
    }
    // Minted: `2021` and twelve random digits; a collision (one in 10^12
    // per app) draws again.
    for _ in 0..5 {
        let app = AppId::new(apps::mint_app_id()?).map_err(|e| Error::Internal(e.to_string()))?;
        match apps::create(&p.db, &c.account, &ws, &app, name, dev).await {
            Err(Error::Conflict(_)) => continue,
            other => return created(other?),
        }
    }
    Err(Error::Internal("no free appId after five draws".into()))
}

#[utoipa::path(post, path = paths::AUTHORIZE_ISV.template, tag = "workspaces", summary = "Authorize an ISV over one or all mini programs (Master)", request_body = NewAuth, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = IsvAuthorization)), security(("bearer" = [])))]
pub(super) async fn authorize_isv(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Body(b): Body,
) -> ApiResult {
    require_ws(&p.db, &c, &ws, Op::AuthorizeIsv).await?;
    let req: NewAuth = body(&b)?;
    if req.actions.is_empty() {
        return Err(Error::BadRequest(
            "actions must be a non-empty list of read, upload, release, manage".into(),
        ));
    }
    let auth: IsvAuthorization = workspaces::authorize_isv(
        &p.db,
        &c.account,
        &ws,
        &req.isv_workspace,
        req.app_id.as_deref(),
        &req.actions,
    )
    .await?;
    created(auth)
}

#[utoipa::path(delete, path = paths::REVOKE_ISV.template, tag = "isv-authorizations", summary = "Revoke an ISV authorization (applies on the ISV's next call)", params(("id" = String, Path)), responses((status = 200, description = "Success", body = Revoked)), security(("bearer" = [])))]
pub(super) async fn revoke_isv(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let merchant = workspaces::isv_auth_merchant(&p.db, &id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no authorization {id}")))?;
    require_ws(&p.db, &c, &merchant, Op::AuthorizeIsv).await?;
    workspaces::revoke_isv(&p.db, &c.account, &id).await?;
    ok(Revoked { id, revoked: true })
}
