//! `mpkit/manifest.json`: what a bundle is, what it asks for, and every file it holds.

use crate::error::{Error, Result};
use crate::path;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The manifest format this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Where the manifest lives inside a bundle.
pub const MANIFEST_PATH: &str = "mpkit/manifest.json";
/// Where the signatures live inside a bundle.
pub const SIGNATURES_PATH: &str = "mpkit/signatures.json";

/// A mini program's identifier: 1 to 64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit.
///
/// ```
/// use mpkit_bundle::AppId;
/// assert!(AppId::new("2021000000000001").is_ok());
/// assert!(AppId::new("../etc").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppId(String);

impl AppId {
    /// Checks and wraps an app id.
    pub fn new(s: impl Into<String>) -> Result<AppId> {
        let s = s.into();
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(AppId(s))
        } else {
            Err(Error::Manifest(format!(
                "appId {s:?} must be 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit"
            )))
        }
    }

    /// The id as text. It is always safe as a single path component.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AppId {
    type Error = Error;
    fn try_from(s: String) -> Result<AppId> {
        AppId::new(s)
    }
}

impl From<AppId> for String {
    fn from(a: AppId) -> String {
        a.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AppId({})", self.0)
    }
}

/// What the mini program asks for. The platform approves a subset per target app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Permissions {
    /// JSAPI permission keys, e.g. `getLocation`.
    #[serde(default)]
    pub jsapi: BTreeSet<String>,
    /// User authorization scopes, e.g. `scope.location`.
    #[serde(default)]
    pub scopes: BTreeSet<String>,
    /// Network domains per API kind, e.g. `request` → `["api.example.com", "*.cdn.example.com"]`.
    #[serde(default)]
    pub domains: BTreeMap<String, Vec<String>>,
}

/// Declared totals; the installer holds the archive to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    /// Number of files (entries other than `mpkit/`).
    pub file_count: u64,
    /// Sum of the files' sizes.
    pub unpacked_bytes: u64,
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileEntry {
    /// Relative `/`-separated path.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex sha256 of the content.
    pub sha256: String,
}

/// The signed description of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Manifest {
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The mini program.
    pub app_id: AppId,
    /// Semantic version of this release.
    pub version: semver::Version,
    /// Build number, increasing per appId.
    pub build: u64,
    /// Display name.
    pub name: String,
    /// Oldest host SDK that can run it.
    pub min_host_version: semver::Version,
    /// Page routes, first is the home page; each has a `.axml` file.
    pub pages: Vec<String>,
    /// Requested (or, when signed by the publisher, approved) permissions.
    #[serde(default)]
    pub permissions: Permissions,
    /// Declared totals.
    pub limits: Limits,
    /// Every file, sorted by path.
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// Builds and validates a manifest; `files` are sorted here.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        app_id: AppId,
        version: semver::Version,
        build: u64,
        name: String,
        min_host_version: semver::Version,
        pages: Vec<String>,
        permissions: Permissions,
        mut files: Vec<FileEntry>,
    ) -> Result<Manifest> {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let m = Manifest {
            format_version: FORMAT_VERSION,
            app_id,
            version,
            build,
            name,
            min_host_version,
            pages,
            permissions,
            limits: Limits {
                file_count: files.len() as u64,
                unpacked_bytes: files.iter().map(|f| f.size).sum(),
            },
            files,
        };
        m.validate()?;
        Ok(m)
    }

    /// Parses exact manifest bytes strictly and validates every rule.
    pub fn parse(bytes: &[u8]) -> Result<Manifest> {
        let m: Manifest = crate::json::parse("manifest", bytes)?;
        m.validate()?;
        Ok(m)
    }

    /// The bytes to store and sign (pretty JSON, no trailing newline).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.validate()?;
        serde_json::to_vec_pretty(self).map_err(|e| Error::Manifest(e.to_string()))
    }

    /// Looks up a file by path.
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }

    /// Checks every rule of the format.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Manifest(m));
        if self.format_version != FORMAT_VERSION {
            return bad(format!(
                "formatVersion {} is not supported (this host reads {FORMAT_VERSION})",
                self.format_version
            ));
        }
        if self.name.trim().is_empty()
            || self.name.chars().count() > 64
            || self.name.chars().any(char::is_control)
        {
            return bad("name must be 1-64 printable characters".into());
        }
        let mut folded = BTreeSet::new();
        let mut prev: Option<&str> = None;
        for f in &self.files {
            path::check(&f.path).map_err(|reason| Error::UnsafePath {
                name: f.path.clone(),
                reason,
            })?;
            if f.path.starts_with("mpkit/") {
                return Err(Error::UnsafePath {
                    name: f.path.clone(),
                    reason: crate::error::PathIssue::ReservedFolder,
                });
            }
            if prev.is_some_and(|p| p >= f.path.as_str()) {
                return bad(format!(
                    "files must be sorted and unique; {:?} is out of order",
                    f.path
                ));
            }
            prev = Some(&f.path);
            if !folded.insert(path::fold(&f.path)) {
                return bad(format!(
                    "{:?} collides with another file after case folding",
                    f.path
                ));
            }
            if f.sha256.len() != 64
                || !f
                    .sha256
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            {
                return bad(format!(
                    "sha256 of {:?} must be 64 lowercase hex digits",
                    f.path
                ));
            }
        }
        let total: u64 = self.files.iter().map(|f| f.size).sum();
        if self.limits.file_count != self.files.len() as u64 || self.limits.unpacked_bytes != total
        {
            return bad(format!(
                "limits say {} files and {} bytes, the file list has {} and {}",
                self.limits.file_count,
                self.limits.unpacked_bytes,
                self.files.len(),
                total
            ));
        }
        if self.pages.is_empty() {
            return bad("at least one page is required".into());
        }
        let mut seen = BTreeSet::new();
        for p in &self.pages {
            path::check(p).map_err(|reason| Error::UnsafePath {
                name: p.clone(),
                reason,
            })?;
            if !seen.insert(p) {
                return bad(format!("page {p:?} is listed twice"));
            }
            if self.file(&format!("{p}.axml")).is_none() {
                return bad(format!("page {p:?} has no {p}.axml"));
            }
        }
        for key in &self.permissions.jsapi {
            if key.is_empty()
                || !key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
            {
                return bad(format!("JSAPI permission key {key:?} is malformed"));
            }
        }
        for scope in &self.permissions.scopes {
            let ok = scope.strip_prefix("scope.").is_some_and(|s| {
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
            if !ok {
                return bad(format!("scope {scope:?} must look like scope.name"));
            }
        }
        for (kind, list) in &self.permissions.domains {
            if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphabetic()) {
                return bad(format!("domain list kind {kind:?} is malformed"));
            }
            for d in list {
                if d.is_empty()
                    || d.len() > 253
                    || d.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    return bad(format!("domain {d:?} in {kind} is malformed"));
                }
            }
        }
        Ok(())
    }
}

/// What the caller expects a bundle to be. The manifest must match it exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    app_id: Option<AppId>,
    version: Option<semver::Version>,
    rollback: bool,
}

impl Expected {
    /// Accept any appId and version (for inspection and manual installs).
    pub fn any() -> Expected {
        Expected::default()
    }

    /// Require this appId.
    pub fn app(app_id: AppId) -> Expected {
        Expected {
            app_id: Some(app_id),
            version: None,
            rollback: false,
        }
    }

    /// Also require this version.
    pub fn version(mut self, v: semver::Version) -> Expected {
        self.version = Some(v);
        self
    }

    /// An explicit rollback to `v`: this version, and it may replace a newer
    /// current one. Without it, a store refuses a bundle older (by version or
    /// build) than the version it runs ([`crate::Error::Downgrade`]).
    pub fn rollback_to(mut self, v: semver::Version) -> Expected {
        self.version = Some(v);
        self.rollback = true;
        self
    }

    /// Whether `m` may replace a newer current version: a rollback that
    /// names exactly its version.
    pub(crate) fn allows_older(&self, m: &Manifest) -> bool {
        self.rollback && self.version.as_ref() == Some(&m.version)
    }

    pub(crate) fn check(&self, m: &Manifest) -> Result<()> {
        if let Some(want) = &self.app_id {
            if want != &m.app_id {
                return Err(Error::AppIdMismatch {
                    expected: want.to_string(),
                    actual: m.app_id.to_string(),
                });
            }
        }
        if let Some(want) = &self.version {
            if want != &m.version {
                return Err(Error::VersionMismatch {
                    expected: want.to_string(),
                    actual: m.version.to_string(),
                });
            }
        }
        Ok(())
    }
}
