//! `/v1/target-apps`: target (super) apps and their reviewers.

use super::extract::{body, created, ok, ApiResult, AppState, Body};
use crate::audit::audit;
use crate::authz::{is_reviewer, Caller};
use crate::db::Columns;
use crate::error::Error;
use crate::now;
use axum::extract::{Path, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{AccountRef, ApiErrorBody, NewTarget, ReviewerAdded, TargetApp};
use serde_json::json;

#[utoipa::path(get, path = paths::TARGETS.template, tag = "target-apps", summary = "The target apps and the JSAPI permissions each allows (any account)", responses((status = 200, description = "Success", body = [TargetApp]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn list_target_apps(AxState(p): AppState, _c: Caller) -> ApiResult {
    let rows = sqlx::query("SELECT id, name, allowed FROM target_apps ORDER BY id")
        .fetch_all(&p.db)
        .await?;
    let targets = rows
        .iter()
        .map(|r| {
            Ok(TargetApp {
                id: r.text("id")?,
                name: r.text("name")?,
                allowed_permissions: serde_json::from_str(&r.text("allowed")?)
                    .map_err(|e| Error::Internal(format!("target app permissions: {e}")))?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    ok(targets)
}

#[utoipa::path(post, path = paths::CREATE_TARGET.template, tag = "target-apps", summary = "Add a target app with the JSAPI permissions it allows (admin)", request_body = NewTarget, responses((status = 201, description = "Success", body = TargetApp), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn create_target(AxState(p): AppState, c: Caller, Body(b): Body) -> ApiResult {
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

#[utoipa::path(post, path = paths::ADD_REVIEWER.template, tag = "target-apps", summary = "Name a reviewer of a target app (admin)", request_body = AccountRef, params(("t" = String, Path)), responses((status = 201, description = "Success", body = ReviewerAdded), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
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
