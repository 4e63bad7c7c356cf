//! `/v1/apps/{app}`: a mini program, its assignments and its versions.

use super::extract::{body, created, ok, ApiResult, AppState, Body};
use crate::audit::audit;
use crate::authz::{app_access, role_in, Caller, IsvAction};
use crate::db::Columns;
use crate::error::Error;
use crate::now;
use crate::packages::{dev_keys, upload_path};
use axum::extract::{Path, State as AxState};
use mpkit_bundle::{AppId, Caps, Expected, Trust};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{
    AccountRef, ApiErrorBody, AppDetail, Assignment, Permissions, ReleaseSummary, VersionInfo,
    VersionUploaded,
};
use object_store::ObjectStore;
use serde_json::json;
use sha2::{Digest, Sha256};

/// A manifest's permissions on the wire. Destructured, so a new manifest
/// field cannot be dropped silently.
pub(super) fn wire_permissions(p: &mpkit_bundle::Permissions) -> Permissions {
    let mpkit_bundle::Permissions {
        jsapi,
        scopes,
        domains,
    } = p;
    Permissions {
        jsapi: jsapi.iter().cloned().collect(),
        scopes: scopes.iter().cloned().collect(),
        domains: domains.clone(),
    }
}

#[utoipa::path(get, path = paths::APP.template, tag = "apps", summary = "A mini program and its releases", params(("app" = String, Path)), responses((status = 200, description = "Success", body = AppDetail), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn get_app(AxState(p): AppState, c: Caller, Path(app): Path<String>) -> ApiResult {
    let a = app_access(&p.db, &c, &app, IsvAction::Read).await?;
    let rels = sqlx::query(
        "SELECT id, target_app, version, state FROM releases WHERE app_id = $1 ORDER BY created_at",
    )
    .bind(&app)
    .fetch_all(&p.db)
    .await?;
    let releases = rels
        .iter()
        .map(|r| {
            Ok(ReleaseSummary {
                id: r.text("id")?,
                target_app: r.text("target_app")?,
                version: r.text("version")?,
                state: r.parsed("state")?,
            })
        })
        .collect::<Result<_, Error>>()?;
    ok(AppDetail {
        app_id: a.app_id,
        name: a.name,
        owner: a.owner_ws,
        developer: a.developer_ws,
        releases,
    })
}

#[utoipa::path(post, path = paths::ASSIGN.template, tag = "apps", summary = "Assign a mini program to a developer", request_body = AccountRef, params(("app" = String, Path)), responses((status = 201, description = "Success", body = Assignment), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn assign(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let a = app_access(&p.db, &c, &app, IsvAction::Manage).await?;
    let req: AccountRef = body(&b)?;
    // The assignee must be a member of the owning or the developing workspace.
    let member = role_in(&p.db, &a.owner_ws, &req.account_id)
        .await?
        .is_some()
        || match &a.developer_ws {
            Some(d) => role_in(&p.db, d, &req.account_id).await?.is_some(),
            None => false,
        };
    if !member {
        return Err(Error::BadRequest(
            "the account is not a member of this mini program's workspaces".into(),
        ));
    }
    let mut tx = p.db.begin().await?;
    if sqlx::query("SELECT app_id FROM assignments WHERE app_id = $1 AND account_id = $2")
        .bind(&app)
        .bind(&req.account_id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(Error::Conflict("already assigned".into()));
    }
    sqlx::query("INSERT INTO assignments (app_id, account_id) VALUES ($1, $2)")
        .bind(&app)
        .bind(&req.account_id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "app.assign",
        &format!("app:{app}/developer:{}", req.account_id),
        None,
        Some(json!({})),
    )
    .await?;
    tx.commit().await?;
    created(Assignment {
        app_id: app,
        account_id: req.account_id,
    })
}

#[utoipa::path(post, path = paths::UPLOAD_VERSION.template, tag = "apps", summary = "Upload a version (a bundle signed with a registered developer key)", request_body(content = Vec<u8>, content_type = "application/octet-stream"), params(("app" = String, Path)), responses((status = 201, description = "Success", body = VersionUploaded), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn upload(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let a = app_access(&p.db, &c, &app, IsvAction::Upload).await?;
    if b.len() > p.config.max_upload {
        return Err(Error::TooLarge(p.config.max_upload));
    }
    // Signed by a developer key registered to the workspace that develops it.
    let ws = a.developer_ws.clone().unwrap_or_else(|| a.owner_ws.clone());
    let keys = dev_keys(&p, &ws).await?;
    if keys.is_empty() {
        return Err(Error::Invalid(
            "the workspace has no registered developer keys".into(),
        ));
    }
    let app_id = AppId::new(app.clone()).map_err(|e| Error::BadRequest(e.to_string()))?;
    let verified = mpkit_bundle::open(
        &b,
        &Trust::Developer(keys),
        &Expected::app(app_id),
        &Caps::default(),
    )?;
    verified.check_contents()?;
    let m = verified.manifest().clone();
    let version = m.version.to_string();
    let sha = hex::encode(Sha256::digest(&b));
    let mut tx = p.db.begin().await?;
    if sqlx::query("SELECT version FROM versions WHERE app_id = $1 AND version = $2")
        .bind(&app)
        .bind(&version)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "version {version} of {app} exists"
        )));
    }
    if sqlx::query("SELECT version FROM versions WHERE app_id = $1 AND build = $2")
        .bind(&app)
        .bind(m.build as i64)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "build {} of {app} exists",
            m.build
        )));
    }
    let manifest = serde_json::to_string(&m).map_err(|e| Error::Internal(e.to_string()))?;
    p.objects
        .put(&upload_path(&app, &version), b.to_vec().into())
        .await
        .map_err(|e| Error::Internal(format!("storing the upload: {e}")))?;
    sqlx::query("INSERT INTO versions (app_id, version, build, sha256, length, manifest, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(&app)
        .bind(&version)
        .bind(m.build as i64)
        .bind(&sha)
        .bind(b.len() as i64)
        .bind(&manifest)
        .bind(&c.account)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "version.upload",
        &format!("app:{app}/version:{version}"),
        None,
        Some(json!({"build": m.build, "sha256": sha})),
    )
    .await?;
    tx.commit().await?;
    created(VersionUploaded {
        app_id: app,
        version,
        build: m.build,
        sha256: sha,
        length: b.len() as u64,
        requested_permissions: wire_permissions(&m.permissions),
    })
}

#[utoipa::path(get, path = paths::VERSIONS.template, tag = "apps", summary = "Versions of a mini program", params(("app" = String, Path)), responses((status = 200, description = "Success", body = [VersionInfo]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn list_versions(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
) -> ApiResult {
    app_access(&p.db, &c, &app, IsvAction::Read).await?;
    let rows = sqlx::query("SELECT version, build, sha256, length, created_at FROM versions WHERE app_id = $1 ORDER BY build")
        .bind(&app)
        .fetch_all(&p.db)
        .await?;
    let versions: Vec<VersionInfo> = rows
        .iter()
        .map(|r| {
            Ok(VersionInfo {
                version: r.text("version")?,
                build: r.uint("build")?,
                sha256: r.text("sha256")?,
                length: r.uint("length")?,
                created_at: r.int("created_at")?,
            })
        })
        .collect::<Result<_, Error>>()?;
    ok(versions)
}
