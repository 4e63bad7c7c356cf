//! Uploads and release packages in the object store: where each lives, the
//! verified upload of a version (checked against the developing workspace's
//! registered keys before a byte is stored), and the target app's package,
//! re-signed by the publisher key.

use crate::audit::audit;
use crate::authz::AppRow;
use crate::db::Columns;
use crate::error::Error;
use crate::{now, workspaces, Platform};
use mpkit_bundle::{AppId, Caps, Expected, Manifest, Role as KeyRole, Trust};
use mpkit_platform_client::wire::{PackageRef, Permissions, ReleasePermissions, VersionUploaded};
use object_store::path::Path as ObjPath;
use object_store::ObjectStore;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// Where an upload is stored: by its content (its sha256), so two uploads
/// that race for one version can never leave one's bytes under the other's
/// recorded digest.
fn upload_path(app: &str, sha256: &str) -> ObjPath {
    ObjPath::from(format!("uploads/{app}/{sha256}.mpk"))
}

/// Where uploads were stored before they were stored by content (read only).
fn legacy_upload_path(app: &str, version: &str) -> ObjPath {
    ObjPath::from(format!("uploads/{app}/{version}.mpk"))
}

/// Whether `e` is a unique-key violation (two uploads of one version or
/// build at once: the second waits for the first and then finds its row).
fn unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| matches!(d.kind(), sqlx::error::ErrorKind::UniqueViolation))
}

fn package_path(app: &str, target: &str, version: &str) -> ObjPath {
    ObjPath::from(format!("packages/{app}/{target}/{version}.mpk"))
}

/// A manifest's permissions on the wire. Destructured, so a new manifest
/// field cannot be dropped silently.
fn wire_permissions(p: &mpkit_bundle::Permissions) -> Permissions {
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

/// Verifies an uploaded bundle against the keys registered to the workspace
/// that develops the mini program, stores it and records the version
/// (audited as `actor`). A version or build that exists is a conflict.
pub(crate) async fn upload_version(
    p: &Platform,
    actor: &str,
    a: &AppRow,
    bundle: &[u8],
) -> Result<VersionUploaded, Error> {
    let app = &a.app_id;
    // Signed by a developer key registered to the workspace that develops it.
    let ws = a.developer_ws.as_deref().unwrap_or(&a.owner_ws);
    let keys = workspaces::dev_keys(&p.db, ws).await?;
    if keys.is_empty() {
        return Err(Error::Invalid(
            "the workspace has no registered developer keys".into(),
        ));
    }
    let app_id = AppId::new(app.clone()).map_err(|e| Error::BadRequest(e.to_string()))?;
    let verified = mpkit_bundle::open(
        bundle,
        &Trust::Developer(keys),
        &Expected::app(app_id),
        &Caps::default(),
    )?;
    verified.check_contents()?;
    let m = verified.manifest().clone();
    // The domain lists as a host will read them: a pattern it would refuse
    // (a wildcard over a public suffix, `*.nip.io`, a leading dot) is
    // refused here, before anything is stored.
    for (kind, list) in &m.permissions.domains {
        for entry in list {
            mpkit_sandbox::net::DomainPattern::parse(entry)
                .map_err(|e| Error::Invalid(format!("the {kind} domain list is refused: {e}")))?;
        }
    }
    let version = m.version.to_string();
    let sha = hex::encode(Sha256::digest(bundle));
    let mut tx = p.db.begin().await?;
    if sqlx::query("SELECT version FROM versions WHERE app_id = $1 AND version = $2")
        .bind(app)
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
        .bind(app)
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
    // The row first: a concurrent upload of the same version or build waits
    // for this transaction and is then refused by the key, before it
    // stores anything; the object goes under its digest, and if storing it
    // fails the row is rolled back.
    let inserted = sqlx::query("INSERT INTO versions (app_id, version, build, sha256, length, manifest, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(app)
        .bind(&version)
        .bind(m.build as i64)
        .bind(&sha)
        .bind(bundle.len() as i64)
        .bind(&manifest)
        .bind(actor)
        .bind(now())
        .execute(&mut *tx)
        .await;
    match inserted {
        Err(e) if unique_violation(&e) => {
            return Err(Error::Conflict(format!(
                "version {version} or build {} of {app} exists",
                m.build
            )))
        }
        other => {
            other?;
        }
    }
    p.objects
        .put(&upload_path(app, &sha), bundle.to_vec().into())
        .await
        .map_err(|e| Error::Internal(format!("storing the upload: {e}")))?;
    audit(
        &mut tx,
        actor,
        "version.upload",
        &format!("app:{app}/version:{version}"),
        None,
        Some(json!({"build": m.build, "sha256": sha})),
    )
    .await?;
    tx.commit().await?;
    Ok(VersionUploaded {
        app_id: app.clone(),
        version,
        build: m.build,
        sha256: sha,
        length: bundle.len() as u64,
        requested_permissions: wire_permissions(&m.permissions),
    })
}

/// A stored version's recorded manifest.
async fn recorded_manifest(p: &Platform, app: &str, version: &str) -> Result<Manifest, Error> {
    let row = sqlx::query("SELECT manifest FROM versions WHERE app_id = $1 AND version = $2")
        .bind(app)
        .bind(version)
        .fetch_optional(&p.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no version {version} of {app}")))?;
    let text = row.text("manifest")?;
    serde_json::from_str(&text)
        .map_err(|e| Error::Internal(format!("the recorded manifest of {app} {version}: {e}")))
}

/// What a stored version asks for, from the manifest recorded at upload.
pub(crate) async fn requested(
    p: &Platform,
    app: &str,
    version: &str,
) -> Result<Permissions, Error> {
    Ok(wire_permissions(
        &recorded_manifest(p, app, version).await?.permissions,
    ))
}

/// The uploaded version as recorded: its digest and length (what a
/// release's reviewers review).
pub(crate) async fn upload_ref(
    p: &Platform,
    app: &str,
    version: &str,
) -> Result<PackageRef, Error> {
    let row = sqlx::query("SELECT sha256, length FROM versions WHERE app_id = $1 AND version = $2")
        .bind(app)
        .bind(version)
        .fetch_optional(&p.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no version {version} of {app}")))?;
    Ok(PackageRef {
        sha256: row.text("sha256")?,
        length: row.uint("length")?,
    })
}

/// `requested` narrowed to what a target app allows; what it refuses.
fn narrowed(
    requested: &mpkit_bundle::Permissions,
    allowed: &BTreeSet<String>,
) -> (mpkit_bundle::Permissions, Vec<String>) {
    let mut perms = requested.clone();
    perms.jsapi.retain(|k| allowed.contains(k));
    perms.scopes.retain(|s| allowed.contains(s));
    let refused = requested
        .jsapi
        .iter()
        .chain(requested.scopes.iter())
        .filter(|k| !allowed.contains(*k))
        .cloned()
        .collect();
    (perms, refused)
}

fn release_permissions(
    perms: &mpkit_bundle::Permissions,
    refused: Vec<String>,
) -> Result<ReleasePermissions, Error> {
    Ok(ReleasePermissions {
        approved: serde_json::to_value(perms).map_err(|e| Error::Internal(e.to_string()))?,
        not_allowed_by_target_app: refused,
    })
}

/// The permissions a target app's package of a stored version will carry,
/// from the recorded manifest: nothing is built or signed.
pub(crate) async fn planned_permissions(
    p: &Platform,
    app: &str,
    version: &str,
    allowed: &BTreeSet<String>,
) -> Result<ReleasePermissions, Error> {
    let m = recorded_manifest(p, app, version).await?;
    let (perms, refused) = narrowed(&m.permissions, allowed);
    release_permissions(&perms, refused)
}

/// Stores a target app's package where hosts download it.
pub(crate) async fn store(
    p: &Platform,
    app: &str,
    target: &str,
    version: &str,
    bytes: Vec<u8>,
) -> Result<(), Error> {
    p.objects
        .put(&package_path(app, target, version), bytes.into())
        .await
        .map_err(|e| Error::Internal(format!("storing the package: {e}")))?;
    Ok(())
}

/// A stored package, or `None` when there is none by that name.
pub(crate) async fn read(
    p: &Platform,
    app: &str,
    target: &str,
    version: &str,
) -> Result<Option<bytes::Bytes>, Error> {
    let Ok(got) = p.objects.get(&package_path(app, target, version)).await else {
        return Ok(None);
    };
    got.bytes()
        .await
        .map(Some)
        .map_err(|e| Error::Internal(e.to_string()))
}

/// The bytes of an uploaded version, as recorded: read by their digest
/// (or where uploads were stored before), and checked against it.
async fn stored_upload(p: &Platform, app: &str, version: &str) -> Result<bytes::Bytes, Error> {
    let row = sqlx::query("SELECT sha256 FROM versions WHERE app_id = $1 AND version = $2")
        .bind(app)
        .bind(version)
        .fetch_optional(&p.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no version {version} of {app}")))?;
    let sha: String = row.text("sha256")?;
    let read = |path: ObjPath| async move {
        match p.objects.get(&path).await {
            Ok(r) => r.bytes().await.map(Some),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let mut upload = read(upload_path(app, &sha))
        .await
        .map_err(|e| Error::Internal(format!("reading the upload: {e}")))?;
    if upload.is_none() {
        upload = read(legacy_upload_path(app, version))
            .await
            .map_err(|e| Error::Internal(format!("reading the upload: {e}")))?;
    }
    let upload = upload
        .ok_or_else(|| Error::Internal(format!("the upload of {app} {version} is missing")))?;
    if hex::encode(Sha256::digest(&upload)) != sha {
        return Err(Error::Internal(format!(
            "the stored upload of {app} {version} does not match its recorded sha256"
        )));
    }
    Ok(upload)
}

/// Builds the target app's package: the same files, the manifest re-signed
/// by the publisher key with the permissions this target app allows.
pub(crate) async fn build_package(
    p: &Platform,
    ws: &str,
    app: &str,
    version: &str,
    allowed: &BTreeSet<String>,
) -> Result<(Vec<u8>, ReleasePermissions), Error> {
    let upload = stored_upload(p, app, version).await?;
    let keys = workspaces::dev_keys(&p.db, ws).await?;
    let app_id = AppId::new(app.to_owned()).map_err(|e| Error::BadRequest(e.to_string()))?;
    let v = mpkit_bundle::open(
        &upload,
        &Trust::Developer(keys),
        &Expected::app(app_id),
        &Caps::default(),
    )?;
    let files = v.read_files()?;
    let m = v.manifest().clone();
    let (perms, refused) = narrowed(&m.permissions, allowed);
    let mut entries = m.files.clone();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest::new(
        m.app_id.clone(),
        m.version.clone(),
        m.build,
        m.name.clone(),
        m.min_host_version.clone(),
        m.pages.clone(),
        perms.clone(),
        entries,
    )?;
    let bytes = mpkit_bundle::build_bundle(
        &manifest,
        &files,
        &[(&p.keys.publisher, KeyRole::Publisher)],
    )?;
    Ok((bytes, release_permissions(&perms, refused)?))
}
