//! The per-app virtual file system behind `mpkitfile://usr/...`.
//!
//! Each (host user, appId) has its own directory under
//! `<data>/files/<user_dir_name(user)>/<appId>/usr`; the user id is hashed so no
//! user-chosen string becomes a path. Paths are normalised by the sandbox
//! (no `..` out, no absolute forms, no NUL), symlinks are refused at every
//! component, writes go through a temp file, fsync and rename (an interrupted
//! write leaves the old file), and the app's total is held to a quota.

use super::common::s;
use mpkit_jsapi::registry::builtin_decls;
use mpkit_jsapi::{ApiError, Call, Dispatcher, Handler};
use mpkit_sandbox::storage::{normalize_user_path, FILE_SCHEME};
use mpkit_sandbox::Denied;
use serde_json::{json, Map, Value};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Default per-app file quota: 50 MB.
pub(crate) const DEFAULT_FILE_QUOTA: u64 = 50 * 1024 * 1024;

/// The file spaces of one host.
#[derive(Debug, Clone)]
pub struct Files {
    root: PathBuf,
    quota: u64,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// The name.
    pub name: String,
    /// Whether it is a directory.
    pub dir: bool,
    /// Size in bytes (files).
    pub size: u64,
}

fn io(e: std::io::Error) -> ApiError {
    // ENOSPC and EDQUOT: the disk is full; nothing was renamed into place.
    if matches!(e.raw_os_error(), Some(28) | Some(122)) {
        return ApiError::NoSpace;
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => ApiError::InvalidParam {
            param: "filePath".into(),
            reason: "no such file".into(),
        },
        _ => ApiError::Internal(format!("file system: {e}")),
    }
}

impl Files {
    /// File spaces under `root`, each app held to `quota` bytes.
    pub fn new(root: impl Into<PathBuf>, quota: u64) -> Files {
        Files {
            root: root.into(),
            quota,
        }
    }

    /// The quota in bytes.
    pub fn quota(&self) -> u64 {
        self.quota
    }

    /// The `usr` directory of (`user`, `app`).
    fn space(&self, user: &str, app: &str) -> PathBuf {
        self.root
            .join(crate::util::user_dir_name(user))
            .join(app)
            .join("usr")
    }

    /// Resolves a virtual path to a real one inside the space, refusing
    /// symlinks on the way. `Ok((path, components))`.
    fn resolve(
        &self,
        user: &str,
        app: &str,
        vpath: &str,
    ) -> Result<(PathBuf, Vec<String>), ApiError> {
        let parts = normalize_user_path(vpath).map_err(|d| bad_path(&d))?;
        if parts.iter().any(|p| p.ends_with(".mpkit-tmp")) {
            return Err(ApiError::InvalidParam {
                param: "filePath".into(),
                reason: "names ending in .mpkit-tmp are reserved".into(),
            });
        }
        let mut p = self.space(user, app);
        for c in &parts {
            p.push(c);
            if let Ok(m) = fs::symlink_metadata(&p) {
                if m.file_type().is_symlink() {
                    return Err(ApiError::Forbidden(format!("{vpath} is a link")));
                }
            }
        }
        Ok((p, parts))
    }

    /// Bytes used by (`user`, `app`).
    pub fn used(&self, user: &str, app: &str) -> u64 {
        fn walk(p: &Path) -> u64 {
            let Ok(rd) = fs::read_dir(p) else { return 0 };
            rd.flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => walk(&e.path()),
                    Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
                    _ => 0,
                })
                .sum()
        }
        walk(&self.space(user, app))
    }

    /// Writes `bytes` at `vpath` (creating parent directories), within the quota.
    /// Returns the canonical virtual path.
    pub fn write(
        &self,
        user: &str,
        app: &str,
        vpath: &str,
        bytes: &[u8],
    ) -> Result<String, ApiError> {
        let (path, parts) = self.resolve(user, app, vpath)?;
        if parts.is_empty() {
            return Err(ApiError::InvalidParam {
                param: "filePath".into(),
                reason: "names the root directory, not a file".into(),
            });
        }
        let old = fs::metadata(&path).map_or(0, |m| if m.is_file() { m.len() } else { 0 });
        if fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            return Err(ApiError::InvalidParam {
                param: "filePath".into(),
                reason: "is a directory".into(),
            });
        }
        let total = self
            .used(user, app)
            .saturating_sub(old)
            .saturating_add(bytes.len() as u64);
        if total > self.quota {
            return Err(Denied::Quota {
                what: "the app's files",
                size: total,
                limit: self.quota,
            }
            .into());
        }
        let parent = path
            .parent()
            .ok_or_else(|| ApiError::Internal("no parent".into()))?;
        fs::create_dir_all(parent).map_err(io)?;
        let tmp = parent.join(format!(".{}.mpkit-tmp", parts[parts.len() - 1]));
        let written = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            if let Ok(d) = fs::File::open(parent) {
                let _ = d.sync_all();
            }
            Ok::<(), std::io::Error>(())
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(format!("{FILE_SCHEME}usr/{}", parts.join("/")))
    }

    /// Reads the file at `vpath`.
    pub fn read(&self, user: &str, app: &str, vpath: &str) -> Result<Vec<u8>, ApiError> {
        let (path, _) = self.resolve(user, app, vpath)?;
        if !fs::metadata(&path).map_err(io)?.is_file() {
            return Err(ApiError::InvalidParam {
                param: "filePath".into(),
                reason: "is not a file".into(),
            });
        }
        fs::read(&path).map_err(io)
    }

    /// Size of the file at `vpath`.
    pub fn size(&self, user: &str, app: &str, vpath: &str) -> Result<u64, ApiError> {
        let (path, _) = self.resolve(user, app, vpath)?;
        let m = fs::metadata(&path).map_err(io)?;
        if !m.is_file() {
            return Err(ApiError::InvalidParam {
                param: "filePath".into(),
                reason: "is not a file".into(),
            });
        }
        Ok(m.len())
    }

    /// Removes the file at `vpath`.
    pub fn unlink(&self, user: &str, app: &str, vpath: &str) -> Result<(), ApiError> {
        let (path, parts) = self.resolve(user, app, vpath)?;
        if parts.is_empty() || fs::metadata(&path).map_err(io)?.is_dir() {
            return Err(ApiError::InvalidParam {
                param: "filePath".into(),
                reason: "is a directory".into(),
            });
        }
        fs::remove_file(&path).map_err(io)
    }

    /// Lists the directory at `vpath` (missing root: empty).
    pub fn list(&self, user: &str, app: &str, vpath: &str) -> Result<Vec<Entry>, ApiError> {
        let (path, parts) = self.resolve(user, app, vpath)?;
        let rd = match fs::read_dir(&path) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && parts.is_empty() => {
                return Ok(Vec::new())
            }
            Err(e) => return Err(io(e)),
        };
        let mut out: Vec<Entry> = rd
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_owned();
                if name.ends_with(".mpkit-tmp") {
                    return None;
                }
                let t = e.file_type().ok()?;
                if t.is_symlink() {
                    return None;
                }
                Some(Entry {
                    name,
                    dir: t.is_dir(),
                    size: if t.is_file() {
                        e.metadata().map_or(0, |m| m.len())
                    } else {
                        0
                    },
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

fn bad_path(d: &Denied) -> ApiError {
    ApiError::InvalidParam {
        param: "filePath".into(),
        reason: d.to_string(),
    }
}

/// `my.writeFile`, `readFile`, `unlink`, `readdir` and `getFileInfo` over
/// the app's file space.
pub(super) fn register_files(d: &mut Dispatcher, files: &Files) {
    let encoding = |p: &Map<String, Value>| -> Result<bool, ApiError> {
        match p.get("encoding").and_then(Value::as_str).unwrap_or("utf8") {
            "utf8" | "utf-8" => Ok(false),
            "base64" => Ok(true),
            other => Err(ApiError::InvalidParam {
                param: "encoding".into(),
                reason: format!("{other:?} is not utf8 or base64"),
            }),
        }
    };
    for decl in builtin_decls().into_iter().filter(|d| {
        matches!(
            d.name.as_str(),
            "writeFile" | "readFile" | "unlink" | "readdir" | "getFileInfo"
        )
    }) {
        let f = files.clone();
        let handler: Box<dyn Handler> = match decl.name.as_str() {
            "writeFile" => Box::new(move |c: &Call<'_>| {
                let data = s(c.params, "data");
                let bytes = if encoding(c.params)? {
                    crate::util::base64_decode(&data).ok_or_else(|| ApiError::InvalidParam {
                        param: "data".into(),
                        reason: "is not base64".into(),
                    })?
                } else {
                    data.into_bytes()
                };
                let path = f.write(c.user, c.app_id, &s(c.params, "filePath"), &bytes)?;
                Ok(json!({ "filePath": path }))
            }),
            "readFile" => Box::new(move |c: &Call<'_>| {
                let b64 = encoding(c.params)?;
                let bytes = f.read(c.user, c.app_id, &s(c.params, "filePath"))?;
                let data = if b64 {
                    crate::util::base64_encode(&bytes)
                } else {
                    String::from_utf8(bytes).map_err(|_| {
                        ApiError::Decode("the file is not UTF-8; read it as base64".into())
                    })?
                };
                Ok(json!({ "data": data }))
            }),
            "unlink" => Box::new(move |c: &Call<'_>| {
                f.unlink(c.user, c.app_id, &s(c.params, "filePath"))?;
                Ok(json!({}))
            }),
            "readdir" => Box::new(move |c: &Call<'_>| {
                let entries = f.list(c.user, c.app_id, &s(c.params, "dirPath"))?;
                Ok(
                    json!({ "files": entries.iter().map(|e| e.name.clone()).collect::<Vec<_>>(), "entries": entries }),
                )
            }),
            _ => Box::new(move |c: &Call<'_>| {
                let size = f.size(c.user, c.app_id, &s(c.params, "filePath"))?;
                Ok(json!({ "size": size }))
            }),
        };
        d.register(decl, handler);
    }
}
