//! Rollback and takedown, the signed policy, resolve, explain, dry runs,
//! packages, the trust root and QR codes.

use super::extract::{body, no_body, ok, optional_caller, ApiResult, AppState, Body};
use crate::authz::{app_access, is_reviewer, Caller, Op};
use crate::error::Error;
use crate::workflow::ReleaseState;
use crate::{packages, policy, qr, release, target_apps, Platform};
use axum::extract::{Path, Query, State as AxState};
use axum::http::header;
use axum::response::IntoResponse;
use mpkit_platform_client::paths;
use mpkit_platform_client::rollout;
use mpkit_platform_client::wire::{
    DryRun, DryRunResult, Explanation, Rollback, Rule, Signed, StableChanged,
};
use serde::Deserialize;
use std::collections::BTreeSet;

#[utoipa::path(post, path = paths::ROLLBACK.template, tag = "apps", summary = "Roll back to a version released before", request_body = Rollback, params(("app" = String, Path), ("t" = String, Path)), responses((status = 200, description = "Success", body = StableChanged)), security(("bearer" = [])))]
pub(super) async fn rollback(
    AxState(p): AppState,
    c: Caller,
    Path((app, t)): Path<(String, String)>,
    Body(b): Body,
) -> ApiResult {
    app_access(&p.db, &c, &app, Op::Production).await?;
    let req: Rollback = body(&b)?;
    // Only to a version that was fully released in this target app before.
    let seq = release::rollback(&p, &c.account, &app, &t, &req.version).await?;
    ok(StableChanged {
        app_id: app,
        target_app: t,
        stable: Some(req.version),
        seq,
    })
}

#[utoipa::path(post, path = paths::TAKEDOWN.template, tag = "apps", summary = "Take the mini program down from the target app", params(("app" = String, Path), ("t" = String, Path)), responses((status = 200, description = "Success", body = StableChanged)), security(("bearer" = [])))]
pub(super) async fn takedown(
    AxState(p): AppState,
    c: Caller,
    Path((app, t)): Path<(String, String)>,
    Body(b): Body,
) -> ApiResult {
    no_body(&b)?;
    app_access(&p.db, &c, &app, Op::Production).await?;
    // Any active pilot or grayscale ends too.
    let seq = release::takedown(&p, &c.account, &app, &t).await?;
    ok(StableChanged {
        app_id: app,
        target_app: t,
        stable: None,
        seq,
    })
}

#[utoipa::path(get, path = paths::POLICY.template, tag = "apps", summary = "The signed release policy", params(("app" = String, Path), ("t" = String, Path)), responses((status = 200, description = "The signed policy; its payload is a ReleasePolicy", body = Signed)))]
pub(super) async fn get_policy(
    AxState(p): AppState,
    Path((app, t)): Path<(String, String)>,
) -> ApiResult {
    let e = policy::current(&p, &app, &t).await?;
    ok(&e.signed)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ResolveQ {
    app: String,
    target_app: String,
    user: String,
}

#[utoipa::path(get, path = paths::RESOLVE.template, tag = "resolve", summary = "Which version this user gets (signed)", params(("app" = String, Query, description = "the mini program"), ("targetApp" = String, Query, description = "the target app"), ("user" = String, Query, description = "the super app user id")), responses((status = 200, description = "The signed answer; its payload is a ResolveAnswer", body = Signed)))]
pub(super) async fn resolve(AxState(p): AppState, Query(q): Query<ResolveQ>) -> ApiResult {
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
pub(super) struct ExplainQ {
    user: String,
}

#[utoipa::path(get, path = paths::EXPLAIN.template, tag = "apps", summary = "Which version a user would get, and which rule decided", params(("app" = String, Path), ("t" = String, Path), ("user" = String, Query, description = "the user id")), responses((status = 200, description = "Success", body = Explanation)), security(("bearer" = [])))]
pub(super) async fn explain(
    AxState(p): AppState,
    c: Caller,
    Path((app, t)): Path<(String, String)>,
    Query(q): Query<ExplainQ>,
) -> ApiResult {
    app_access(&p.db, &c, &app, Op::ReadApp).await?;
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

#[utoipa::path(post, path = paths::DRY_RUN.template, tag = "apps", summary = "How many of a user list a percentage would reach", request_body = DryRun, params(("app" = String, Path), ("t" = String, Path)), responses((status = 200, description = "Success", body = DryRunResult)), security(("bearer" = [])))]
pub(super) async fn dry_run(
    AxState(p): AppState,
    c: Caller,
    Path((app, t)): Path<(String, String)>,
    Body(b): Body,
) -> ApiResult {
    app_access(&p.db, &c, &app, Op::ReadApp).await?;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PackageQ {
    user: Option<String>,
}

#[utoipa::path(get, path = paths::PACKAGE.template, tag = "packages", summary = "A release package, to the users the signed policy gives it to (hosts verify it against the signed pin), or to the release's members and reviewers", params(("app" = String, Path), ("t" = String, Path), ("version" = String, Path), ("user" = Option<String>, Query, description = "the super app user id the host downloads for")), responses((status = 200, description = "The publisher-signed package", body = Vec<u8>, content_type = "application/vnd.mpkit.bundle")))]
pub(super) async fn package(
    AxState(p): AppState,
    headers: axum::http::HeaderMap,
    Path((app, t, version)): Path<(String, String, String)>,
    Query(q): Query<PackageQ>,
) -> ApiResult {
    let none = || Error::NotFound("no such package".into());
    let ok_name = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
    };
    if !(ok_name(&app) && ok_name(&t) && ok_name(&version)) {
        return Err(none());
    }
    let caller = optional_caller(&p, &headers).await?;
    if !may_fetch(&p, caller.as_ref(), &app, &t, &version, q.user.as_deref()).await? {
        return Err(none());
    }
    let bytes = packages::read(&p, &app, &t, &version)
        .await?
        .ok_or_else(none)?;
    Ok((
        [(header::CONTENT_TYPE, "application/vnd.mpkit.bundle")],
        bytes,
    )
        .into_response())
}

/// Whether a package may be served: to `user` when the signed policy gives
/// them that version now (the stable version to everyone), and to the
/// mini program's members and the release's reviewers. Everyone else gets
/// the same answer as for a package that does not exist.
async fn may_fetch(
    p: &Platform,
    caller: Option<&Caller>,
    app: &str,
    t: &str,
    version: &str,
    user: Option<&str>,
) -> Result<bool, Error> {
    match policy::current(p, app, t).await {
        Ok(e) => {
            let stable = e
                .policy
                .stable
                .as_ref()
                .is_some_and(|v| v.version == version);
            let pinned = user
                .filter(|u| !u.is_empty() && u.len() <= 128)
                .and_then(|u| policy::decide(&e, u).0)
                .is_some_and(|v| v.version == version);
            if stable || pinned {
                return Ok(true);
            }
        }
        Err(Error::NotFound(_)) => return Ok(false),
        Err(e) => return Err(e),
    }
    let Some(c) = caller else {
        return Ok(false);
    };
    match app_access(&p.db, c, app, Op::ReadApp).await {
        Ok(_) => return Ok(true),
        Err(Error::NotFound(_) | Error::Forbidden(_)) => {}
        Err(e) => return Err(e),
    }
    if !is_reviewer(&p.db, t, &c.account).await? {
        return Ok(false);
    }
    Ok(sqlx::query(
        "SELECT id FROM releases WHERE app_id = $1 AND target_app = $2 AND version = $3",
    )
    .bind(app)
    .bind(t)
    .bind(version)
    .fetch_optional(&p.db)
    .await?
    .is_some())
}

#[utoipa::path(get, path = paths::ROOT_JSON.template, tag = "trust", summary = "The trust root hosts configure", responses((status = 200, description = "The signed trust root", body = Object, content_type = "application/json")))]
pub(super) async fn root_json(AxState(p): AppState) -> ApiResult {
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        p.keys.root_json.clone(),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QrQ {
    format: Option<String>,
    release: Option<String>,
}

/// A QR code that launches the mini program in the target app, or (with
/// `release`) the trial QR code of a release in pilot testing.
#[utoipa::path(get, path = paths::QR.template, tag = "apps", summary = "A launch QR code, or the trial QR code of a pilot (SVG or PNG)", params(("app" = String, Path), ("t" = String, Path), ("format" = Option<String>, Query, description = "svg (default) or png"), ("release" = Option<String>, Query, description = "a release in pilot testing, for its trial code")), responses((status = 200, description = "The QR code", content((String = "image/svg+xml"), (Vec<u8> = "image/png")))), security(("bearer" = [])))]
pub(super) async fn qr_code(
    AxState(p): AppState,
    c: Caller,
    Path((app, t)): Path<(String, String)>,
    Query(q): Query<QrQ>,
) -> ApiResult {
    app_access(&p.db, &c, &app, Op::ReadApp).await?;
    if !target_apps::exists(&p.db, &t).await? {
        return Err(Error::NotFound(format!("no target app {t}")));
    }
    let text = match &q.release {
        None => format!("mpkit://launch?app={app}&target={t}"),
        Some(id) => {
            let r = release::load(&p, id).await?;
            if r.app != app || r.target != t {
                return Err(Error::NotFound(format!("no release {id} of {app} in {t}")));
            }
            if r.state != ReleaseState::Pilot {
                return Err(Error::Conflict(format!(
                    "trial QR codes are for releases in pilot testing, and release {id} is {}; \
                     ask for the launch code without a release instead",
                    r.state.describe()
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
