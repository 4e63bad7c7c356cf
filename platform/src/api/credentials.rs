//! Listing and revoking credentials: the caller's tokens, an account's
//! tokens (admins), developer keys, and the reviewers and operators of
//! target apps (admins).

use super::extract::{body, created, no_body, ok, ApiResult, AppState, Body};
use crate::authz::{require_ws, Caller, Op};
use crate::credentials::{self, People};
use crate::error::Error;
use crate::page::PageQ;
use crate::{accounts, target_apps};
use axum::extract::{Path, Query, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{
    DevKey, NewToken, OperatorAdded, ReviewerAdded, TokenCreated, TokenInfo, TokensRevoked,
};

#[utoipa::path(get, path = paths::TOKENS.template, tag = "me", summary = "The caller's tokens (ids, never the tokens)", params(("after" = Option<String>, Query, description = "the cursor: the key of the last item of the previous page"), ("limit" = Option<u32>, Query, description = "items in this page, 1 to 1000 (500); an empty page is the end")), responses((status = 200, description = "Success", body = [TokenInfo])), security(("bearer" = [])))]
pub(super) async fn list_tokens(
    AxState(p): AppState,
    c: Caller,
    Query(page): Query<PageQ>,
) -> ApiResult {
    ok(credentials::tokens(&p.db, &c.account, &c.token, &page.page()?).await?)
}

#[utoipa::path(post, path = paths::CREATE_TOKEN.template, tag = "me", summary = "A new token for the caller, shown once; optionally expiring", request_body = NewToken, responses((status = 201, description = "Success", body = TokenCreated)), security(("bearer" = [])))]
pub(super) async fn create_token(AxState(p): AppState, c: Caller, Body(b): Body) -> ApiResult {
    let req: NewToken = if b.is_empty() {
        NewToken::default()
    } else {
        body(&b)?
    };
    created(credentials::create_token(&p.db, &c.account, req.expires_in_seconds).await?)
}

#[utoipa::path(delete, path = paths::REVOKE_TOKEN.template, tag = "me", summary = "Revoke one of the caller's tokens (an admin keeps one)", params(("id" = String, Path)), responses((status = 200, description = "The token, revoked", body = TokenInfo)), security(("bearer" = [])))]
pub(super) async fn revoke_token(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    ok(credentials::revoke_token(&p.db, &c.account, c.admin, &id, &c.token).await?)
}

#[utoipa::path(delete, path = paths::REVOKE_ACCOUNT_TOKENS.template, tag = "accounts", summary = "Revoke every token of an account (admin)", params(("account" = String, Path)), responses((status = 200, description = "Success", body = TokensRevoked)), security(("bearer" = [])))]
pub(super) async fn revoke_account_tokens(
    AxState(p): AppState,
    c: Caller,
    Path(account): Path<String>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    if !c.admin {
        return Err(Error::Forbidden(
            "only a platform admin revokes another account's tokens".into(),
        ));
    }
    if !accounts::exists(&p.db, &account).await? {
        return Err(Error::NotFound(format!("no account {account}")));
    }
    let revoked = credentials::revoke_account_tokens(&p.db, &c.account, &account).await?;
    ok(TokensRevoked {
        account_id: account,
        revoked,
    })
}

#[utoipa::path(get, path = paths::KEYS.template, tag = "workspaces", summary = "The workspace's developer keys, revoked ones included (Owner)", params(("after" = Option<String>, Query, description = "the cursor: the key of the last item of the previous page"), ("limit" = Option<u32>, Query, description = "items in this page, 1 to 1000 (500); an empty page is the end"), ("ws" = String, Path)), responses((status = 200, description = "Success", body = [DevKey])), security(("bearer" = [])))]
pub(super) async fn list_keys(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Query(page): Query<PageQ>,
) -> ApiResult {
    require_ws(&p.db, &c, &ws, Op::DevKeys).await?;
    ok(credentials::keys(&p.db, &ws, &page.page()?).await?)
}

#[utoipa::path(delete, path = paths::REVOKE_KEY.template, tag = "workspaces", summary = "Revoke a developer key (Owner): uploads and approvals signed with it are refused", params(("ws" = String, Path), ("key" = String, Path)), responses((status = 200, description = "The key, revoked", body = DevKey)), security(("bearer" = [])))]
pub(super) async fn revoke_key(
    AxState(p): AppState,
    c: Caller,
    Path((ws, key)): Path<(String, String)>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    require_ws(&p.db, &c, &ws, Op::DevKeys).await?;
    ok(credentials::revoke_key(&p.db, &c.account, &ws, &key).await?)
}

/// The target app, when the caller is an admin and it exists.
async fn admin_target(p: &crate::Platform, c: &Caller, t: &str, what: &str) -> Result<(), Error> {
    if !c.admin {
        return Err(Error::Forbidden(format!(
            "only a platform admin manages {what}"
        )));
    }
    if !target_apps::exists(&p.db, t).await? {
        return Err(Error::NotFound(format!("no target app {t}")));
    }
    Ok(())
}

/// A page of target app `t`'s reviewers or operators (admins), each made
/// into its wire shape by `make`.
async fn list_people<T: serde::Serialize>(
    p: &crate::Platform,
    c: &Caller,
    t: &str,
    who: People,
    page: PageQ,
    make: fn(&str, String) -> T,
) -> ApiResult {
    admin_target(p, c, t, who.plural()).await?;
    let list: Vec<T> = credentials::people(&p.db, t, who, &page.page()?)
        .await?
        .into_iter()
        .map(|a| make(t, a))
        .collect();
    ok(list)
}

/// Removes `account` from target app `t`'s reviewers or operators (admins).
async fn remove_one<T: serde::Serialize>(
    p: &crate::Platform,
    c: &Caller,
    (t, account): (String, String),
    who: People,
    make: fn(&str, String) -> T,
) -> ApiResult {
    admin_target(p, c, &t, who.plural()).await?;
    credentials::remove_person(&p.db, &c.account, &t, &account, who).await?;
    ok(make(&t, account))
}

#[utoipa::path(get, path = paths::REVIEWERS.template, tag = "target-apps", summary = "A target app's reviewers (admin)", params(("after" = Option<String>, Query, description = "the cursor: the key of the last item of the previous page"), ("limit" = Option<u32>, Query, description = "items in this page, 1 to 1000 (500); an empty page is the end"), ("t" = String, Path)), responses((status = 200, description = "Success", body = [ReviewerAdded])), security(("bearer" = [])))]
pub(super) async fn list_reviewers(
    AxState(p): AppState,
    c: Caller,
    Path(t): Path<String>,
    Query(page): Query<PageQ>,
) -> ApiResult {
    list_people(&p, &c, &t, People::Reviewers, page, credentials::reviewer).await
}

#[utoipa::path(delete, path = paths::REMOVE_REVIEWER.template, tag = "target-apps", summary = "Remove a reviewer (admin); applies on their next call", params(("t" = String, Path), ("account" = String, Path)), responses((status = 200, description = "The reviewer removed", body = ReviewerAdded)), security(("bearer" = [])))]
pub(super) async fn remove_reviewer(
    AxState(p): AppState,
    c: Caller,
    Path(ta): Path<(String, String)>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    remove_one(&p, &c, ta, People::Reviewers, credentials::reviewer).await
}

#[utoipa::path(get, path = paths::OPERATORS.template, tag = "target-apps", summary = "A target app's operators (admin)", params(("after" = Option<String>, Query, description = "the cursor: the key of the last item of the previous page"), ("limit" = Option<u32>, Query, description = "items in this page, 1 to 1000 (500); an empty page is the end"), ("t" = String, Path)), responses((status = 200, description = "Success", body = [OperatorAdded])), security(("bearer" = [])))]
pub(super) async fn list_operators(
    AxState(p): AppState,
    c: Caller,
    Path(t): Path<String>,
    Query(page): Query<PageQ>,
) -> ApiResult {
    list_people(&p, &c, &t, People::Operators, page, credentials::operator).await
}

#[utoipa::path(delete, path = paths::REMOVE_OPERATOR.template, tag = "target-apps", summary = "Remove an operator (admin); it issues no auth code from its next call", params(("t" = String, Path), ("account" = String, Path)), responses((status = 200, description = "The operator removed", body = OperatorAdded)), security(("bearer" = [])))]
pub(super) async fn remove_operator(
    AxState(p): AppState,
    c: Caller,
    Path(ta): Path<(String, String)>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    remove_one(&p, &c, ta, People::Operators, credentials::operator).await
}
