//! `/v1/apps/{app}/releases` and `/v1/releases/{id}/...`: the release workflow.

use super::extract::{body, created, no_body, ok, ApiResult, AppState, Body};
use crate::authz::{app_access, is_reviewer, Caller, Op};
use crate::error::Error;
use crate::release::{self, check_basic_info, step, Rel};
use crate::workflow::{Action, ReleaseState};
use crate::Platform;
use axum::extract::{Path, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::rollout;
use mpkit_platform_client::testers::{self, MAX_TESTERS};
use mpkit_platform_client::wire::{
    Gray, NewRelease, Pilot, Release, ReleaseStarted, Review, ReviewDecision, StateChanged,
    TestersReplaced,
};
use serde_json::Value;

/// A workflow step's answer: the release and its new state, nothing else.
fn changed(id: &str, state: ReleaseState) -> StateChanged {
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

/// Loads a release the caller may act on with `action`.
async fn release_for(p: &Platform, c: &Caller, id: &str, action: Op) -> Result<Rel, Error> {
    let r = release::load(p, id).await?;
    app_access(&p.db, c, &r.app, action)
        .await
        .map_err(|e| match e {
            // A release of an app the caller cannot see does not exist for them.
            Error::NotFound(_) => Error::NotFound(format!("no release {id}")),
            other => other,
        })?;
    Ok(r)
}

/// Rejected lines for an error message: the first ones (at most
/// `testers::MAX_REPORTED`) and how many there were in all.
fn lines_text(parsed: &testers::Parsed) -> String {
    let shown = serde_json::to_string(&parsed.rejected).unwrap_or_default();
    if parsed.rejected_total > parsed.rejected.len() {
        format!(
            "{} in all, the first {}: {shown}",
            parsed.rejected_total,
            parsed.rejected.len()
        )
    } else {
        shown
    }
}

#[utoipa::path(post, path = paths::START_RELEASE.template, tag = "apps", summary = "Start a release in a target app; the package is built and re-signed", request_body = NewRelease, params(("app" = String, Path)), responses((status = 201, description = "Success", body = ReleaseStarted)), security(("bearer" = [])))]
pub(super) async fn start_release(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let a = app_access(&p.db, &c, &app, Op::Release).await?;
    let req: NewRelease = body(&b)?;
    if let Some(info) = &req.basic_info {
        check_basic_info(info)?;
    }
    let started: ReleaseStarted = release::start(&p, &c.account, &a, &req).await?;
    created(started)
}

#[utoipa::path(get, path = paths::RELEASE.template, tag = "releases", summary = "A release", params(("id" = String, Path)), responses((status = 200, description = "Success", body = Release)), security(("bearer" = [])))]
pub(super) async fn get_release(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    // The target app's reviewers see what they review (the package digest,
    // the compat report, the basic info), whatever their workspaces.
    let r = match release_for(&p, &c, &id, Op::ReadApp).await {
        Ok(r) => r,
        Err(Error::NotFound(m)) => {
            let r = release::load(&p, &id).await?;
            if !is_reviewer(&p.db, &r.target, &c.account).await? {
                return Err(Error::NotFound(m));
            }
            r
        }
        Err(e) => return Err(e),
    };
    let mut answer: Release = r.row;
    answer.requested_permissions = Some(crate::packages::requested(&p, &r.app, &r.version).await?);
    ok(answer)
}

#[utoipa::path(post, path = paths::COMPAT_REPORT.template, tag = "releases", summary = "Attach a compatibility test report", request_body = Object, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged)), security(("bearer" = [])))]
pub(super) async fn attach_report(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = release_for(&p, &c, &id, Op::Release).await?;
    let report: Value = body(&b)?;
    if !report.is_object() {
        return Err(Error::BadRequest("the report must be a JSON object".into()));
    }
    let next = step(&r, Action::AttachReport)?;
    release::attach_report(&p, &c.account, &r, next, &report).await?;
    ok(changed(&id, next))
}

#[utoipa::path(patch, path = paths::BASIC_INFO.template, tag = "releases", summary = "Edit basic info (the only edit allowed once applied)", request_body = Object, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged)), security(("bearer" = [])))]
pub(super) async fn edit_basic_info(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = release_for(&p, &c, &id, Op::Release).await?;
    let info: Value = body(&b)?;
    check_basic_info(&info)?;
    let next = step(&r, Action::EditBasicInfo)?;
    release::edit_basic_info(&p, &c.account, &r, next, &info).await?;
    ok(StateChanged {
        basic_info: Some(info),
        ..changed(&id, next)
    })
}

#[utoipa::path(post, path = paths::APPLY.template, tag = "releases", summary = "Apply to release", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged)), security(("bearer" = [])))]
pub(super) async fn apply(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, Op::Release).await?;
    let next = step(&r, Action::Apply)?;
    release::advance(&p, &c.account, &r, next, "release.apply", false).await?;
    ok(changed(&id, next))
}

#[utoipa::path(post, path = paths::REVIEW.template, tag = "releases", summary = "Approve or reject (target app reviewers only)", request_body = Review, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged)), security(("bearer" = [])))]
pub(super) async fn review(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = release::load(&p, &id).await?;
    // Only the target app's reviewers decide, whatever their workspaces.
    // To a caller who cannot see the release either, it does not exist:
    // the same 404 as an id that names nothing, and no target's name.
    if !is_reviewer(&p.db, &r.target, &c.account).await? {
        return Err(match release_for(&p, &c, &id, Op::ReadApp).await {
            Ok(_) => Error::Forbidden(format!("you are not a reviewer of {}", r.target)),
            Err(Error::Forbidden(_) | Error::NotFound(_)) => {
                Error::NotFound(format!("no release {id}"))
            }
            Err(other) => other,
        });
    }
    // Separation of duties: whoever started the release, uploaded its
    // version or applied for review does not decide on it, whatever other
    // roles they hold. A target whose only reviewer is that person needs
    // another reviewer.
    if release::involved(&p, &r).await?.contains(&c.account) {
        return Err(Error::Forbidden(format!(
            "you started, uploaded or applied for this release: another reviewer of {} decides",
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
    release::review(&p, &c.account, &r, next, reason.as_deref()).await?;
    ok(StateChanged {
        reason,
        ..changed(&id, next)
    })
}

#[utoipa::path(post, path = paths::START_PILOT.template, tag = "releases", summary = "Start pilot testing with tester user ids", request_body = Pilot, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged)), security(("bearer" = [])))]
pub(super) async fn start_pilot(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = release_for(&p, &c, &id, Op::Release).await?;
    // The release's state first: a refused call reads nothing more.
    let next = step(&r, Action::StartPilot)?;
    let req: Pilot = body(&b)?;
    // A list is checked element by element, never as a file: an element
    // with a newline or a comma is one bad id, not several testers.
    let parsed = testers::check_list(&req.testers);
    if parsed.rejected_total > 0 {
        return Err(Error::BadRequest(format!(
            "bad tester ids: {}",
            lines_text(&parsed)
        )));
    }
    let ids = parsed.ids;
    if ids.is_empty() || parsed.too_many {
        return Err(Error::BadRequest(format!(
            "a pilot needs 1 to {MAX_TESTERS} testers"
        )));
    }
    release::set_testers(&p, &c.account, &r, next, "release.pilot", &ids).await?;
    ok(StateChanged {
        testers: Some(ids.len() as u64),
        ..changed(&id, next)
    })
}

#[utoipa::path(put, path = paths::PUT_TESTERS.template, tag = "releases", summary = "Replace the tester list from a CSV or TXT file; rejected lines are reported", request_body(content = String, content_type = "text/plain"), params(("id" = String, Path)), responses((status = 200, description = "Success", body = TestersReplaced)), security(("bearer" = [])))]
pub(super) async fn put_testers(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = release_for(&p, &c, &id, Op::Release).await?;
    // The release's state first: a refused call parses nothing.
    let next = step(&r, Action::UpdateTesters)?;
    let text = std::str::from_utf8(&b)
        .map_err(|_| Error::BadRequest("the tester file must be UTF-8 text".into()))?;
    let parsed = testers::parse(text);
    if parsed.too_many {
        return Err(Error::BadRequest(format!("at most {MAX_TESTERS} testers")));
    }
    if parsed.ids.is_empty() {
        return Err(Error::BadRequest(format!(
            "no valid tester ids; rejected lines: {}",
            lines_text(&parsed)
        )));
    }
    release::set_testers(&p, &c.account, &r, next, "release.testers", &parsed.ids).await?;
    ok(TestersReplaced {
        id,
        accepted: parsed.ids.len() as u64,
        rejected: parsed.rejected,
        rejected_total: parsed.rejected_total as u64,
    })
}

#[utoipa::path(post, path = paths::COMPLETE_PILOT.template, tag = "releases", summary = "Complete pilot testing", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged)), security(("bearer" = [])))]
pub(super) async fn complete_pilot(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, Op::Release).await?;
    let next = step(&r, Action::CompletePilot)?;
    release::advance(&p, &c.account, &r, next, "release.pilot_complete", true).await?;
    ok(changed(&id, next))
}

#[utoipa::path(post, path = paths::GRAYSCALE.template, tag = "releases", summary = "Start or raise the grayscale percentage (0.01% steps, only up)", request_body = Gray, params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged)), security(("bearer" = [])))]
pub(super) async fn grayscale(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let r = release_for(&p, &c, &id, Op::Release).await?;
    let req: Gray = body(&b)?;
    let bp = rollout::percent_to_bp(&req.percent).map_err(Error::BadRequest)?;
    if bp == 0 {
        return Err(Error::BadRequest("a grayscale starts above 0%".into()));
    }
    let next = step(&r, Action::Grayscale)?;
    let salt = release::grayscale(&p, &c.account, &r, next, bp, req.salt.as_deref()).await?;
    ok(StateChanged {
        percent_bp: Some(bp),
        salt: Some(salt),
        ..changed(&id, next)
    })
}

#[utoipa::path(post, path = paths::FULL.template, tag = "releases", summary = "Release to everyone", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged)), security(("bearer" = [])))]
pub(super) async fn full(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, Op::Release).await?;
    let next = step(&r, Action::Full)?;
    release::full(&p, &c.account, &r, next).await?;
    ok(changed(&id, next))
}

#[utoipa::path(post, path = paths::CANCEL.template, tag = "releases", summary = "Cancel the release", params(("id" = String, Path)), responses((status = 200, description = "Success", body = StateChanged)), security(("bearer" = [])))]
pub(super) async fn cancel(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    let r = release_for(&p, &c, &id, Op::Release).await?;
    let next = step(&r, Action::Cancel)?;
    release::cancel(&p, &c.account, &r, next).await?;
    ok(changed(&id, next))
}
