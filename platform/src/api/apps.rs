//! `/v1/apps/{app}`: a mini program, its assignments and its versions.

use super::extract::{body, created, ok, ApiResult, AppState, Body};
use crate::authz::{app_access, Caller, Op};
use crate::error::Error;
use crate::page::PageQ;
use crate::{apps, packages};
use axum::extract::{Path, Query, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{
    AppDetail, Assignment, NewAssignment, VersionInfo, VersionUploaded,
};

#[utoipa::path(get, path = paths::APP.template, tag = "apps", summary = "A mini program and its releases", params(("app" = String, Path)), responses((status = 200, description = "Success", body = AppDetail)), security(("bearer" = [])))]
pub(super) async fn get_app(AxState(p): AppState, c: Caller, Path(app): Path<String>) -> ApiResult {
    let a = app_access(&p.db, &c, &app, Op::ReadApp).await?;
    let releases = apps::releases(&p.db, &app).await?;
    ok(AppDetail {
        app_id: a.app_id,
        name: a.name,
        owner: a.owner_ws,
        developer: a.developer_ws,
        releases,
    })
}

#[utoipa::path(post, path = paths::ASSIGN.template, tag = "apps", summary = "Assign a mini program to a developer", request_body = NewAssignment, params(("app" = String, Path)), responses((status = 201, description = "Assigned", body = Assignment), (status = 200, description = "The production grant changed", body = Assignment)), security(("bearer" = [])))]
pub(super) async fn assign(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let a = app_access(&p.db, &c, &app, Op::Assign).await?;
    let req: NewAssignment = body(&b)?;
    let fresh = apps::assign(&p.db, &c.account, &a, &req.account_id, req.production).await?;
    let answer = Assignment {
        app_id: app,
        account_id: req.account_id,
        production: req.production,
    };
    if fresh {
        created(answer)
    } else {
        ok(answer)
    }
}

#[utoipa::path(post, path = paths::UPLOAD_VERSION.template, tag = "apps", summary = "Upload a version (a bundle signed with a registered developer key)", request_body(content = Vec<u8>, content_type = "application/octet-stream"), params(("app" = String, Path)), responses((status = 201, description = "Success", body = VersionUploaded)), security(("bearer" = [])))]
pub(super) async fn upload(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let a = app_access(&p.db, &c, &app, Op::Upload).await?;
    if b.len() > p.config.max_upload {
        return Err(Error::TooLarge(p.config.max_upload));
    }
    let v: VersionUploaded = packages::upload_version(&p, &c.account, &a, &b).await?;
    created(v)
}

#[utoipa::path(get, path = paths::VERSIONS.template, tag = "apps", summary = "Versions of a mini program", params(("after" = Option<String>, Query, description = "the cursor: the key of the last item of the previous page"), ("limit" = Option<u32>, Query, description = "items in this page, 1 to 1000 (500); an empty page is the end"), ("app" = String, Path)), responses((status = 200, description = "Success", body = [VersionInfo])), security(("bearer" = [])))]
pub(super) async fn list_versions(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
    Query(page): Query<PageQ>,
) -> ApiResult {
    app_access(&p.db, &c, &app, Op::ReadApp).await?;
    let versions: Vec<VersionInfo> = apps::versions(&p.db, &app, &page.page()?).await?;
    ok(versions)
}
