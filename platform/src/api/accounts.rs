//! `/v1/accounts` and `/v1/me`.

use super::extract::{body, created, display_name, ok, ApiResult, AppState, Body};
use crate::accounts;
use crate::authz::Caller;
use crate::error::Error;
use axum::extract::State as AxState;
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{AccountCreated, Me, NewAccount};

#[utoipa::path(post, path = paths::CREATE_ACCOUNT.template, tag = "accounts", summary = "Create an account (admin); its token is shown once", request_body = NewAccount, responses((status = 201, description = "Success", body = AccountCreated)), security(("bearer" = [])))]
pub(super) async fn create_account(AxState(p): AppState, c: Caller, Body(b): Body) -> ApiResult {
    if !c.admin {
        return Err(Error::Forbidden(
            "only a platform admin creates accounts".into(),
        ));
    }
    let req: NewAccount = body(&b)?;
    let name = display_name(&req.name)?;
    // The token is shown once; only its hash is stored.
    created(accounts::create(&p.db, &c.account, name).await?)
}

#[utoipa::path(get, path = paths::ME.template, tag = "me", summary = "The caller and their workspaces", responses((status = 200, description = "Success", body = Me)), security(("bearer" = [])))]
pub(super) async fn me(AxState(p): AppState, c: Caller) -> ApiResult {
    let workspaces = accounts::memberships(&p.db, &c.account).await?;
    ok(Me {
        id: c.account,
        admin: c.admin,
        workspaces,
    })
}
