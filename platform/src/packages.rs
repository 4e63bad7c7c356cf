//! Uploads and release packages in the object store: where each lives, the
//! developer keys an upload is verified against, and the target app's
//! package, re-signed by the publisher key.

use crate::db::Columns;
use crate::error::Error;
use crate::Platform;
use mpkit_bundle::{AppId, Caps, Expected, Manifest, PublicKey, Role as KeyRole, Trust};
use mpkit_platform_client::wire::ReleasePermissions;
use object_store::path::Path as ObjPath;
use object_store::ObjectStore;
use std::collections::BTreeSet;

pub(crate) async fn dev_keys(p: &Platform, ws: &str) -> Result<Vec<PublicKey>, Error> {
    let rows = sqlx::query("SELECT public_hex FROM dev_keys WHERE workspace_id = $1")
        .bind(ws)
        .fetch_all(&p.db)
        .await?;
    rows.iter()
        .map(|r| {
            PublicKey::from_hex(&r.text("public_hex")?).map_err(|e| Error::Internal(e.to_string()))
        })
        .collect()
}

pub(crate) fn upload_path(app: &str, version: &str) -> ObjPath {
    ObjPath::from(format!("uploads/{app}/{version}.mpk"))
}

pub(crate) fn package_path(app: &str, target: &str, version: &str) -> ObjPath {
    ObjPath::from(format!("packages/{app}/{target}/{version}.mpk"))
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
    let upload = p
        .objects
        .get(&upload_path(app, version))
        .await
        .map_err(|e| Error::Internal(format!("reading the upload: {e}")))?
        .bytes()
        .await
        .map_err(|e| Error::Internal(format!("reading the upload: {e}")))?;
    let keys = dev_keys(p, ws).await?;
    let app_id = AppId::new(app.to_owned()).map_err(|e| Error::BadRequest(e.to_string()))?;
    let v = mpkit_bundle::open(
        &upload,
        &Trust::Developer(keys),
        &Expected::app(app_id),
        &Caps::default(),
    )?;
    let files = v.read_files()?;
    let m = v.manifest().clone();
    let mut perms = m.permissions.clone();
    let requested = perms.clone();
    perms.jsapi.retain(|k| allowed.contains(k));
    perms.scopes.retain(|s| allowed.contains(s));
    let refused: Vec<String> = requested
        .jsapi
        .iter()
        .chain(requested.scopes.iter())
        .filter(|k| !allowed.contains(*k))
        .cloned()
        .collect();
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
    let approved = serde_json::to_value(&perms).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((
        bytes,
        ReleasePermissions {
            approved,
            not_allowed_by_target_app: refused,
        },
    ))
}
