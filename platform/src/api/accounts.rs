//! `/v1/accounts` and `/v1/me`.

use super::extract::{body, created, ok, ApiResult, AppState, Body};
use crate::audit::audit;
use crate::authz::{token_hash, Caller};
use crate::db::Columns;
use crate::error::Error;
use crate::ids::{new_id, new_token};
use crate::now;
use axum::extract::State as AxState;
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{AccountCreated, ApiErrorBody, Me, Membership, NewAccount};
use serde_json::json;

#[utoipa::path(post, path = paths::CREATE_ACCOUNT.template, tag = "accounts", summary = "Create an account (admin); its token is shown once", request_body = NewAccount, responses((status = 201, description = "Success", body = AccountCreated), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn create_account(AxState(p): AppState, c: Caller, Body(b): Body) -> ApiResult {
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
    let (id, token) = (new_id()?, new_token()?);
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

#[utoipa::path(get, path = paths::ME.template, tag = "me", summary = "The caller and their workspaces", responses((status = 200, description = "Success", body = Me), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn me(AxState(p): AppState, c: Caller) -> ApiResult {
    let rows = sqlx::query(
        "SELECT workspace_id, role FROM members WHERE account_id = $1 ORDER BY workspace_id",
    )
    .bind(&c.account)
    .fetch_all(&p.db)
    .await?;
    let workspaces = rows
        .iter()
        .map(|r| {
            Ok(Membership {
                workspace: r.text("workspace_id")?,
                role: r.parsed("role")?,
            })
        })
        .collect::<Result<_, Error>>()?;
    ok(Me {
        id: c.account,
        admin: c.admin,
        workspaces,
    })
}
