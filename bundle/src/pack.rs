//! Building and signing bundles.

use crate::error::{Error, Result};
use crate::keys::{Context, SecretKey};
use crate::manifest::{AppId, FileEntry, Manifest, Permissions, MANIFEST_PATH, SIGNATURES_PATH};
use crate::trust::{Role, SignatureFile, SignatureRecord};
use crate::verify::Caps;
use crate::zip::{Method, RawEntry, Writer};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The fields of `app.json` that the packer reads; the rest (window, tabBar, ...) is the runtime's.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppJson {
    app_id: String,
    name: String,
    version: Option<semver::Version>,
    build: Option<u64>,
    min_host_version: Option<semver::Version>,
    pages: Vec<String>,
    #[serde(default)]
    permissions: Permissions,
}

/// Overrides for [`pack_dir`].
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// Version to stamp instead of app.json's.
    pub version: Option<semver::Version>,
    /// Build number instead of app.json's or the one derived from the version.
    pub build: Option<u64>,
    /// The role the signer claims.
    pub role: Role,
    /// Caps the result must fit, so nothing is packed that a host would refuse.
    pub caps: Caps,
}

impl Default for PackOptions {
    fn default() -> PackOptions {
        PackOptions {
            version: None,
            build: None,
            role: Role::Developer,
            caps: Caps::default(),
        }
    }
}

/// The build number used when none is given: `major*1_000_000 + minor*1_000 + patch`.
pub fn default_build(v: &semver::Version) -> u64 {
    v.major * 1_000_000 + v.minor.min(999) * 1_000 + v.patch.min(999)
}

/// Packs a mini program directory: `app.json` gives appId, name, version and pages.
/// Hidden files are skipped; links and special files are refused.
pub fn pack_dir(dir: &Path, key: &SecretKey, opts: &PackOptions) -> Result<(Manifest, Vec<u8>)> {
    let app_json_path = dir.join("app.json");
    let text = std::fs::read(&app_json_path).map_err(|e| Error::io("read", &app_json_path, e))?;
    let app: AppJson = serde_json::from_slice(&text).map_err(|e| Error::Pack {
        path: app_json_path.clone(),
        reason: e.to_string(),
    })?;
    let version = opts
        .version
        .clone()
        .or(app.version)
        .unwrap_or_else(|| semver::Version::new(0, 1, 0));
    let build = opts
        .build
        .or(app.build)
        .unwrap_or_else(|| default_build(&version));

    let mut files = Vec::new();
    collect(dir, dir, &mut files, &opts.caps)?;
    let mut contents = Vec::with_capacity(files.len());
    let mut entries = Vec::with_capacity(files.len());
    for (rel, abs) in files {
        let data = std::fs::read(&abs).map_err(|e| Error::io("read", &abs, e))?;
        entries.push(FileEntry {
            path: rel.clone(),
            size: data.len() as u64,
            sha256: hex::encode(Sha256::digest(&data)),
        });
        contents.push((rel, data));
    }
    let manifest = Manifest::new(
        AppId::new(app.app_id)?,
        version,
        build,
        app.name,
        app.min_host_version
            .unwrap_or_else(|| semver::Version::new(0, 1, 0)),
        app.pages,
        app.permissions,
        entries,
    )?;
    let bytes = build_bundle(&manifest, &contents, &[(key, opts.role)])?;
    if bytes.len() as u64 > opts.caps.max_archive_bytes {
        return Err(Error::ArchiveTooLarge {
            size: bytes.len() as u64,
            cap: opts.caps.max_archive_bytes,
        });
    }
    Ok((manifest, bytes))
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>, caps: &Caps) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))?;
    let mut items: Vec<_> = rd
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::io("list", dir, e))?;
    items.sort_by_key(|e| e.file_name());
    for item in items {
        let abs = item.path();
        let name = item.file_name();
        let name = name.to_str().ok_or_else(|| Error::Pack {
            path: abs.clone(),
            reason: "file name is not UTF-8".into(),
        })?;
        if name.starts_with('.') {
            continue;
        }
        let rel = abs
            .strip_prefix(root)
            .ok()
            .and_then(Path::to_str)
            .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"))
            .ok_or_else(|| Error::Pack {
                path: abs.clone(),
                reason: "path is not UTF-8".into(),
            })?;
        if rel == "mpkit" {
            return Err(Error::Pack {
                path: abs,
                reason: "the mpkit/ folder is reserved for the bundle's own metadata".into(),
            });
        }
        let ft = item.file_type().map_err(|e| Error::io("stat", &abs, e))?;
        if ft.is_symlink() {
            return Err(Error::Pack {
                path: abs,
                reason: "symbolic links are not packed; copy the file in".into(),
            });
        } else if ft.is_dir() {
            collect(root, &abs, out, caps)?;
        } else if ft.is_file() {
            crate::path::check(&rel).map_err(|reason| Error::UnsafePath {
                name: rel.clone(),
                reason,
            })?;
            out.push((rel, abs));
            if out.len() as u64 + 2 > caps.max_entries {
                return Err(Error::TooManyEntries {
                    count: out.len() as u64 + 2,
                    cap: caps.max_entries,
                });
            }
        } else {
            return Err(Error::Pack {
                path: abs,
                reason: "not a regular file".into(),
            });
        }
    }
    Ok(())
}

/// Writes a bundle: the manifest and signatures first (stored, so they can be
/// checked without inflating anything), then the files in manifest order.
/// `contents` must hold exactly the manifest's files.
pub fn build_bundle(
    manifest: &Manifest,
    contents: &[(String, Vec<u8>)],
    signers: &[(&SecretKey, Role)],
) -> Result<Vec<u8>> {
    let manifest_bytes = manifest.to_bytes()?;
    let sigs = SignatureFile {
        signatures: signers
            .iter()
            .map(|(k, role)| SignatureRecord::make(k, *role, Context::Manifest, &manifest_bytes))
            .collect(),
    };
    let sig_bytes = serde_json::to_vec_pretty(&sigs).map_err(|e| Error::Manifest(e.to_string()))?;
    let mut w = Writer::new();
    w.add(&RawEntry::file(
        MANIFEST_PATH,
        &manifest_bytes,
        Method::Stored,
    ));
    w.add(&RawEntry::file(SIGNATURES_PATH, &sig_bytes, Method::Stored));
    let mut sorted: Vec<&(String, Vec<u8>)> = contents.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, data) in sorted {
        let listed = manifest
            .file(path)
            .ok_or_else(|| Error::UnlistedEntry(path.clone()))?;
        if listed.size != data.len() as u64 || listed.sha256 != hex::encode(Sha256::digest(data)) {
            return Err(Error::HashMismatch(path.clone()));
        }
        w.add(&RawEntry::file(path, data, Method::Deflated));
    }
    if manifest.files.len() != contents.len() {
        return Err(Error::Manifest(
            "contents do not match the manifest's file list".into(),
        ));
    }
    Ok(w.finish())
}
