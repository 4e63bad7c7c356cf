//! User identity: target app operators, app secrets and auth codes (see
//! [`crate::identity`]).

use super::extract::{body, created, display_name, ok, ApiResult, AppClient, AppState, Body};
use crate::authz::{app_access, role_in, AppRow, Caller, Op, Role};
use crate::error::Error;
use crate::identity::{self, check_scopes, check_user, is_operator};
use crate::page::PageQ;
use crate::{accounts, target_apps, Platform};
use axum::extract::{Path, Query, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{
    AccountRef, AppSecret, AppSecretCreated, AuthCodeIssued, CodeExchange, CodeExchanged,
    NewAppSecret, NewAuthCode, OperatorAdded,
};

#[utoipa::path(post, path = paths::ADD_OPERATOR.template, tag = "identity", summary = "Name an operator of a target app: an account of the super app's server, which issues auth codes (admin)", request_body = AccountRef, params(("t" = String, Path)), responses((status = 201, description = "Success", body = OperatorAdded)), security(("bearer" = [])))]
pub(super) async fn add_operator(
    AxState(p): AppState,
    c: Caller,
    Path(t): Path<String>,
    Body(b): Body,
) -> ApiResult {
    if !c.admin {
        return Err(Error::Forbidden(
            "only a platform admin names operators".into(),
        ));
    }
    let req: AccountRef = body(&b)?;
    if !target_apps::exists(&p.db, &t).await? {
        return Err(Error::NotFound(format!("no target app {t}")));
    }
    if !accounts::exists(&p.db, &req.account_id).await? {
        return Err(Error::NotFound(format!("no account {}", req.account_id)));
    }
    if is_operator(&p.db, &t, &req.account_id).await? {
        return Err(Error::Conflict("already an operator".into()));
    }
    identity::add_operator(&p.db, &c.account, &t, &req.account_id).await?;
    created(OperatorAdded {
        target_app: t,
        account_id: req.account_id,
    })
}

/// The app, if the caller manages its secrets: a Master or Owner of the
/// owning merchant, or of an ISV the merchant authorized to manage it.
async fn secrets_manager(p: &Platform, c: &Caller, app: &str) -> Result<AppRow, Error> {
    let a = app_access(&p.db, c, app, Op::AppSecrets).await?;
    if c.admin {
        return Ok(a);
    }
    let owner = role_in(&p.db, &a.owner_ws, &c.account).await?;
    let isv = match &a.developer_ws {
        Some(ws) => role_in(&p.db, ws, &c.account).await?,
        None => None,
    };
    if owner.max(isv) < Some(Role::Owner) {
        return Err(Error::Forbidden(
            "only a Master or Owner manages a mini program's secrets".into(),
        ));
    }
    Ok(a)
}

#[utoipa::path(post, path = paths::CREATE_APP_SECRET.template, tag = "identity", summary = "Create a credential for the mini program's server, which exchanges auth codes; the secret is shown once (Master or Owner)", request_body = NewAppSecret, params(("app" = String, Path)), responses((status = 201, description = "Success", body = AppSecretCreated)), security(("bearer" = [])))]
pub(super) async fn create_secret(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let a = secrets_manager(&p, &c, &app).await?;
    let req: NewAppSecret = body(&b)?;
    let name = display_name(&req.name)?;
    // Made by the developing ISV's member (not the merchant's): it lives
    // as long as the merchant's authorization of that ISV.
    let isv_ws = if c.admin || role_in(&p.db, &a.owner_ws, &c.account).await?.is_some() {
        None
    } else {
        a.developer_ws.clone()
    };
    let made: AppSecretCreated =
        identity::create_secret(&p.db, &c.account, &a.app_id, name, isv_ws.as_deref()).await?;
    created(made)
}

#[utoipa::path(get, path = paths::APP_SECRETS.template, tag = "identity", summary = "The mini program's server credentials, without the secrets (Master or Owner)", params(("after" = Option<String>, Query, description = "the cursor: the key of the last item of the previous page"), ("limit" = Option<u32>, Query, description = "items in this page, 1 to 1000 (500); an empty page is the end"), ("app" = String, Path)), responses((status = 200, description = "Success", body = [AppSecret])), security(("bearer" = [])))]
pub(super) async fn list_secrets(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
    Query(page): Query<PageQ>,
) -> ApiResult {
    secrets_manager(&p, &c, &app).await?;
    let list: Vec<AppSecret> = identity::secrets(&p.db, &app, &page.page()?).await?;
    ok(list)
}

#[utoipa::path(delete, path = paths::REVOKE_APP_SECRET.template, tag = "identity", summary = "Revoke a server credential: it exchanges nothing from now on (Master or Owner)", params(("app" = String, Path), ("id" = String, Path)), responses((status = 200, description = "The secret revoked", body = AppSecret)), security(("bearer" = [])))]
pub(super) async fn revoke_secret(
    AxState(p): AppState,
    c: Caller,
    Path((app, id)): Path<(String, String)>,
) -> ApiResult {
    secrets_manager(&p, &c, &app).await?;
    ok(identity::revoke_secret(&p.db, &c.account, &app, &id).await?)
}

#[utoipa::path(post, path = paths::ISSUE_AUTH_CODE.template, tag = "identity", summary = "Issue an auth code for a user of the target app and a mini program they may run there (an operator of the target app)", request_body = NewAuthCode, responses((status = 201, description = "Success", body = AuthCodeIssued)), security(("bearer" = [])))]
pub(super) async fn issue_code(AxState(p): AppState, c: Caller, Body(b): Body) -> ApiResult {
    let req: NewAuthCode = body(&b)?;
    check_user(&req.user_id)?;
    let scopes = check_scopes(&req.scopes)?;
    if !is_operator(&p.db, &req.target_app, &c.account).await? {
        return Err(Error::Forbidden(format!(
            "only an operator of target app {} issues auth codes for its users",
            req.target_app
        )));
    }
    let issued: AuthCodeIssued = identity::issue_code(
        &p,
        &c.account,
        &req.app_id,
        &req.target_app,
        &req.user_id,
        scopes,
    )
    .await?;
    created(issued)
}

#[utoipa::path(post, path = paths::EXCHANGE_AUTH_CODE.template, tag = "identity", summary = "Exchange an auth code for the user's open id, once (the mini program's server, with an app secret as the bearer token)", request_body = CodeExchange, responses((status = 200, description = "Success", body = CodeExchanged), (status = "4XX", description = "{code, message}: invalid_client (401) for a bad secret, invalid_grant (400) for any bad code", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn exchange(AxState(p): AppState, a: AppClient, Body(b): Body) -> ApiResult {
    let req: CodeExchange = body(&b)?;
    let who: CodeExchanged = identity::exchange(&p.db, &a.app_id, &req.code).await?;
    ok(who)
}
