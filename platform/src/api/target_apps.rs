//! `/v1/target-apps`: target (super) apps and their reviewers.

use super::extract::{body, created, display_name, ok, ApiResult, AppState, Body};
use crate::authz::{is_reviewer, Caller};
use crate::error::Error;
use crate::page::PageQ;
use crate::{accounts, target_apps};
use axum::extract::{Path, Query, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{AccountRef, NewTarget, ReviewerAdded, TargetApp};

#[utoipa::path(get, path = paths::TARGETS.template, tag = "target-apps", summary = "The target apps and the JSAPI permissions each allows (any account)", params(("after" = Option<String>, Query, description = "the cursor: the key of the last item of the previous page"), ("limit" = Option<u32>, Query, description = "items in this page, 1 to 1000 (500); an empty page is the end")), responses((status = 200, description = "Success", body = [TargetApp])), security(("bearer" = [])))]
pub(super) async fn list_target_apps(
    AxState(p): AppState,
    _c: Caller,
    Query(page): Query<PageQ>,
) -> ApiResult {
    ok(target_apps::list(&p.db, &page.page()?).await?)
}

#[utoipa::path(post, path = paths::CREATE_TARGET.template, tag = "target-apps", summary = "Add a target app with the JSAPI permissions it allows (admin)", request_body = NewTarget, responses((status = 201, description = "Success", body = TargetApp)), security(("bearer" = [])))]
pub(super) async fn create_target(AxState(p): AppState, c: Caller, Body(b): Body) -> ApiResult {
    if !c.admin {
        return Err(Error::Forbidden(
            "only a platform admin adds target apps".into(),
        ));
    }
    let mut req: NewTarget = body(&b)?;
    req.name = display_name(&req.name)?.to_owned();
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
    target_apps::create(&p.db, &c.account, &req).await?;
    created(TargetApp {
        id: req.id,
        name: req.name,
        allowed_permissions: req.allowed_permissions,
    })
}

#[utoipa::path(post, path = paths::ADD_REVIEWER.template, tag = "target-apps", summary = "Name a reviewer of a target app (admin)", request_body = AccountRef, params(("t" = String, Path)), responses((status = 201, description = "Success", body = ReviewerAdded)), security(("bearer" = [])))]
pub(super) async fn add_reviewer(
    AxState(p): AppState,
    c: Caller,
    Path(t): Path<String>,
    Body(b): Body,
) -> ApiResult {
    if !c.admin {
        return Err(Error::Forbidden(
            "only a platform admin names reviewers".into(),
        ));
    }
    let req: AccountRef = body(&b)?;
    if !target_apps::exists(&p.db, &t).await? {
        return Err(Error::NotFound(format!("no target app {t}")));
    }
    if !accounts::exists(&p.db, &req.account_id).await? {
        return Err(Error::NotFound(format!("no account {}", req.account_id)));
    }
    if is_reviewer(&p.db, &t, &req.account_id).await? {
        return Err(Error::Conflict("already a reviewer".into()));
    }
    target_apps::add_reviewer(&p.db, &c.account, &t, &req.account_id).await?;
    created(ReviewerAdded {
        target_app: t,
        account_id: req.account_id,
    })
}
