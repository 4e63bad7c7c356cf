//! `/v1/apps/{app}/releases` and `/v1/releases/{id}/...`: the release workflow.

use super::extract::{body, created, no_body, ok, ApiResult, AppState, Body};
use crate::audit::audit;
use crate::authz::{app_access, is_reviewer, Caller, IsvAction};
use crate::db::Columns;
use crate::error::Error;
use crate::ids::{new_id, random_hex};
use crate::packages::{build_package, package_path};
use crate::release::{
    check_basic_info, load_release, notify, publish, replace_testers, set_state, step, Rel,
};
use crate::workflow::{Action, ReleaseState};
use crate::{now, Platform};
use axum::extract::{Path, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::rollout;
use mpkit_platform_client::testers::{self, MAX_TESTERS};
use mpkit_platform_client::wire::{
    ApiErrorBody, Gray, NewRelease, PackageRef, Pilot, RejectedLine, Release, ReleaseStarted,
    Review, ReviewDecision, StateChanged, TestersReplaced, WebhookEvent,
};
use object_store::ObjectStore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// A workflow step's answer: the release and its new state, nothing else.
pub(super) fn changed(id: &str, state: ReleaseState) -> StateChanged {
    StateChanged {
        id: id.to_owned(),
        state,
        reason: None,
        testers: None,
        percent_bp: None,
        salt: None,
        basic_info: None,
    }
}

#[utoipa::path(post, path = paths::START_RELEASE.template, tag = "apps", summary = "Start a release in a target app; the package is built and re-signed", request_body = NewRelease, params(("app" = String, Path)), responses((status = 201, description = "Success", body = ReleaseStarted), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn start_release(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let a = app_access(&p.db, &c, &app, IsvAction::Release).await?;
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
        serde_json::from_str(&target.text("allowed")?).unwrap_or_default();
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
    let id = new_id()?;
    let info = req.basic_info.unwrap_or_else(|| json!({}));
    let mut tx = p.db.begin().await?;
    if let Some(r) = active {
        // One active release per (app, target app). A rejected one is replaced
        // by starting over with a new version; anything else must end first.
        let state: ReleaseState = r.parsed("state")?;
        if state != ReleaseState::Rejected {
            return Err(Error::Conflict(format!(
                "release {} is still active ({state})",
                r.text("id")?,
            )));
        }
        sqlx::query("UPDATE releases SET state = $1, active = 0, updated_at = $2 WHERE id = $3")
            .bind(ReleaseState::Cancelled.as_str())
            .bind(now())
            .bind(r.text("id")?)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            &c.account,
            "release.superseded",
            &format!("release:{}", r.text("id")?),
            Some(json!({"state": ReleaseState::Rejected})),
            Some(json!({"state": ReleaseState::Cancelled})),
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
    audit(&mut tx, &c.account, "release.start", &format!("release:{id}"), None, Some(json!({"state": ReleaseState::Built, "version": req.version, "targetApp": req.target_app, "package": sha}))).await?;
    tx.commit().await?;
    created(ReleaseStarted {
        id,
        app_id: app,
        target_app: req.target_app,
        version: req.version,
        state: ReleaseState::Built,
        package: PackageRef {
            sha256: sha,
            length: bytes.len() as u64,
        },
        permissions: perms,
    })
}

/// Loads a release the caller may act on with `action`.
pub(super) async fn release_for(
    p: &Platform,
    c: &Caller,
    id: &str,
    action: IsvAction,
) -> Result<Rel, Error> {
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

#[utoipa::path(get, path = paths::RELEASE.template, tag = "releases", summary = "A release", params(("id" = String, Path)), responses((status = 200, description = "Success", body = Release), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn get_release(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let r = release_for(&p, &c, &id, IsvAction::Read).await?;
    ok(r.row)
}

#[utoipa::path(post, path = paths::COMPAT_REPORT.template, tag = "releases", summary = "Attach a compatibility test report", request_body = Object, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn attach_report(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = release_for(&p, &c, &id, IsvAction::Release).await?;
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

#[utoipa::path(patch, path = paths::BASIC_INFO.template, tag = "releases", summary = "Edit basic info (the only edit allowed once applied)", request_body = Object, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn edit_basic_info(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = release_for(&p, &c, &id, IsvAction::Release).await?;
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

#[utoipa::path(post, path = paths::APPLY.template, tag = "releases", summary = "Apply to release", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn apply(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, IsvAction::Release).await?;
    let next = step(&r, Action::Apply)?;
    let tx = set_state(&p, &c, &r, next, "release.apply", &[], false).await?;
    tx.commit().await?;
    ok(changed(&id, next))
}

#[utoipa::path(post, path = paths::REVIEW.template, tag = "releases", summary = "Approve or reject (target app reviewers only)", request_body = Review, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn review(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = load_release(&p, &id).await?;
    // Only the target app's reviewers decide, whatever their workspaces.
    if !is_reviewer(&p.db, &r.target, &c.account).await? {
        return Err(Error::Forbidden(format!(
            "you are not a reviewer of {}",
            r.target
        )));
    }
    let req: Review = body(&b)?;
    let (action, reason) = match req.decision {
        ReviewDecision::Approve => (Action::Approve, None),
        ReviewDecision::Reject => {
            let reason = req
                .reason
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| Error::BadRequest("a rejection needs a reason".into()))?;
            (Action::Reject, Some(reason))
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
        WebhookEvent::ReleaseApproved
    } else {
        WebhookEvent::ReleaseRejected
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
pub(super) fn lines_text(rejected: &[RejectedLine]) -> String {
    serde_json::to_string(rejected).unwrap_or_default()
}

#[utoipa::path(post, path = paths::START_PILOT.template, tag = "releases", summary = "Start pilot testing with tester user ids", request_body = Pilot, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn start_pilot(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = release_for(&p, &c, &id, IsvAction::Release).await?;
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

#[utoipa::path(put, path = paths::PUT_TESTERS.template, tag = "releases", summary = "Replace the tester list from a CSV or TXT file; rejected lines are reported", request_body(content = String, content_type = "text/plain"), params(("id" = String, Path)), responses((status = 200, description = "Success", body = TestersReplaced), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn put_testers(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = release_for(&p, &c, &id, IsvAction::Release).await?;
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

#[utoipa::path(post, path = paths::COMPLETE_PILOT.template, tag = "releases", summary = "Complete pilot testing", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn complete_pilot(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, IsvAction::Release).await?;
    let next = step(&r, Action::CompletePilot)?;
    let tx = set_state(&p, &c, &r, next, "release.pilot_complete", &[], true).await?;
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    ok(changed(&id, next))
}

#[utoipa::path(post, path = paths::GRAYSCALE.template, tag = "releases", summary = "Start or raise the grayscale percentage (0.01% steps, only up)", request_body = Gray, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn grayscale(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = release_for(&p, &c, &id, IsvAction::Release).await?;
    let req: Gray = body(&b)?;
    let bp = rollout::percent_to_bp(&req.percent).map_err(Error::BadRequest)?;
    if bp == 0 {
        return Err(Error::BadRequest("a grayscale starts above 0%".into()));
    }
    let next = step(&r, Action::Grayscale)?;
    if let Some(cur) = r.gray_bp.filter(|_| r.state == ReleaseState::Grayscale) {
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
        (Some(s), ReleaseState::Grayscale, Some(asked)) if asked != s => {
            return Err(Error::Conflict(
                "the salt is fixed when the grayscale starts; raising keeps it".into(),
            ))
        }
        (Some(s), ReleaseState::Grayscale, _) => s.clone(),
        (_, _, Some(asked)) => asked.clone(),
        _ => format!("{}:{}", r.app, random_hex(6)?),
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

#[utoipa::path(post, path = paths::FULL.template, tag = "releases", summary = "Release to everyone", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn full(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, IsvAction::Release).await?;
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
        WebhookEvent::ReleaseReleased,
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

#[utoipa::path(post, path = paths::CANCEL.template, tag = "releases", summary = "Cancel the release", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn cancel(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, IsvAction::Release).await?;
    let next = step(&r, Action::Cancel)?;
    let affects = matches!(r.state, ReleaseState::Pilot | ReleaseState::Grayscale);
    let mut tx = set_state(&p, &c, &r, next, "release.cancel", &[], affects).await?;
    notify(
        &mut tx,
        &r,
        WebhookEvent::ReleaseCancelled,
        &format!("{} {} for {} was cancelled", r.app, r.version, r.target),
    )
    .await?;
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    p.webhooks.wake();
    ok(changed(&id, next))
}
