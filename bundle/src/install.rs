//! The hardened, atomic installer and the on-device store.
//!
//! Layout:
//! ```text
//! <store>/.lock                    held exclusively while installing
//! <store>/.staging/<random>/       extraction happens only here
//! <store>/<appId>/<version>/       an installed, verified tree (+ mpkit/manifest.json, mpkit/signatures.json)
//! <store>/<appId>/current.json     {"current": "1.2.0", "previous": "1.1.0"}, replaced atomically
//! ```
//! An install is verified before anything is written, extracted into staging,
//! fsynced, renamed into place, and only then made current. A crash at any point
//! leaves the previous `current.json` pointing at an intact tree.

use crate::error::{Error, Result};
use crate::manifest::{AppId, Expected, Manifest, MANIFEST_PATH, SIGNATURES_PATH};
use crate::verify::{open, Caps, Trust, Verified};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The points an install passes, in order. Tests stop an install at each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Verified, nothing written yet.
    Verified,
    /// Some files are in staging.
    Extracting,
    /// Every file and directory in staging is written and synced.
    Staged,
    /// Staging was renamed to `<appId>/<version>`.
    Renamed,
    /// `current.json` points at the new version.
    Committed,
}

/// Called at every [`Step`]; returning an error stops the install right there, as a crash would.
pub type Checkpoint<'a> = &'a mut dyn FnMut(Step) -> Result<()>;

/// What an install did.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The installed manifest.
    pub manifest: Manifest,
    /// Where its files are.
    pub path: PathBuf,
    /// The version that was current before, if any.
    pub previous: Option<semver::Version>,
    /// True when this exact bundle was already installed.
    pub already_present: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Pointer {
    current: Option<semver::Version>,
    previous: Option<semver::Version>,
}

/// A directory of installed mini programs.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    keep: usize,
}

const POINTER: &str = "current.json";
const STAGING: &str = ".staging";

impl Store {
    /// Opens (and creates) a store. Two versions per app are kept: current and last good.
    pub fn open(root: impl Into<PathBuf>) -> Result<Store> {
        let root = root.into();
        fs::create_dir_all(root.join(STAGING)).map_err(|e| Error::io("create", &root, e))?;
        Ok(Store { root, keep: 2 })
    }

    /// Keeps this many versions per app (at least 2).
    pub fn keep_versions(mut self, n: usize) -> Store {
        self.keep = n.max(2);
        self
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads a bundle file (refusing it past the archive cap before reading) and installs it.
    pub fn install_file(
        &self,
        path: &Path,
        trust: &Trust,
        expected: &Expected,
        caps: &Caps,
    ) -> Result<Installed> {
        let bytes = read_capped(path, caps.max_archive_bytes)?;
        self.install(&bytes, trust, expected, caps)
    }

    /// Verifies and installs bundle bytes.
    pub fn install(
        &self,
        bytes: &[u8],
        trust: &Trust,
        expected: &Expected,
        caps: &Caps,
    ) -> Result<Installed> {
        self.install_with(bytes, trust, expected, caps, &mut |_| Ok(()))
    }

    /// [`Store::install`] with a checkpoint at every step (crash testing).
    pub fn install_with(
        &self,
        bytes: &[u8],
        trust: &Trust,
        expected: &Expected,
        caps: &Caps,
        checkpoint: Checkpoint<'_>,
    ) -> Result<Installed> {
        // Verify before touching the disk at all.
        let bundle = open(bytes, trust, expected, caps)?;
        let _lock = self.lock()?;
        self.clean_staging()?;
        checkpoint(Step::Verified)?;

        let m = bundle.manifest().clone();
        let app_dir = self.root.join(m.app_id.as_str());
        let target = app_dir.join(m.version.to_string());
        let pointer = self.read_pointer(&m.app_id)?;
        self.refuse_downgrade(&m, &pointer, expected)?;
        if target.exists() {
            let existing =
                fs::read(target.join(MANIFEST_PATH)).map_err(|e| Error::io("read", &target, e))?;
            if existing != bundle.manifest_bytes() {
                return Err(Error::VersionConflict {
                    app_id: m.app_id.to_string(),
                    version: m.version.to_string(),
                });
            }
            // The same manifest is not the same bundle: a re-delivered copy
            // must verify to its last byte before it is reported installed.
            bundle.check_contents()?;
            let previous = self.commit(&m.app_id, &pointer, &m.version)?;
            return Ok(Installed {
                manifest: m,
                path: target,
                previous,
                already_present: true,
            });
        }

        let staging = self.new_staging(&m)?;
        let result = extract(&bundle, &staging, checkpoint).and_then(|()| {
            checkpoint(Step::Staged)?;
            fs::create_dir_all(&app_dir).map_err(|e| Error::io("create", &app_dir, e))?;
            fs::rename(&staging, &target).map_err(|e| Error::io("rename", &target, e))?;
            sync_dir(&app_dir)?;
            sync_dir(&self.root.join(STAGING))?;
            checkpoint(Step::Renamed)
        });
        match result {
            Ok(()) => {}
            // A simulated crash leaves everything as a real crash would.
            #[cfg(any(test, feature = "fault-injection"))]
            Err(e @ Error::SimulatedCrash(_)) => return Err(e),
            Err(e) => {
                let _ = fs::remove_dir_all(&staging);
                return Err(e);
            }
        }
        let previous = self.commit(&m.app_id, &pointer, &m.version)?;
        checkpoint(Step::Committed)?;
        self.prune(&m.app_id)?;
        Ok(Installed {
            manifest: m,
            path: target,
            previous,
            already_present: false,
        })
    }

    /// Refuses `m` when the current version is newer, by version or by build,
    /// unless `expected` is a rollback naming `m`'s version. A current version
    /// whose manifest cannot be read is compared by version alone.
    fn refuse_downgrade(&self, m: &Manifest, pointer: &Pointer, expected: &Expected) -> Result<()> {
        let Some(current) = &pointer.current else {
            return Ok(());
        };
        if expected.allows_older(m) {
            return Ok(());
        }
        let current_build = fs::read(self.path_of(&m.app_id, current).join(MANIFEST_PATH))
            .ok()
            .and_then(|b| Manifest::parse(&b).ok())
            .map(|c| c.build);
        let older = m.version < *current || current_build.is_some_and(|b| m.build < b);
        if older {
            return Err(Error::Downgrade {
                app_id: m.app_id.to_string(),
                version: m.version.to_string(),
                build: m.build,
                current: current.to_string(),
                current_build: current_build.unwrap_or(0),
            });
        }
        Ok(())
    }

    /// The current version of `app`, if any.
    pub fn current(&self, app: &AppId) -> Result<Option<semver::Version>> {
        Ok(self.read_pointer(app)?.current)
    }

    /// Installed versions of `app`, oldest first.
    pub fn versions(&self, app: &AppId) -> Result<Vec<semver::Version>> {
        let dir = self.root.join(app.as_str());
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("list", &dir, e)),
        };
        let mut out: Vec<semver::Version> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|s| semver::Version::parse(s).ok())
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Where `app` `version` is (or would be) installed.
    pub fn path_of(&self, app: &AppId, version: &semver::Version) -> PathBuf {
        self.root.join(app.as_str()).join(version.to_string())
    }

    /// Re-checks an installed tree against its stored manifest and signatures:
    /// the signature under `trust`, and every file's size and sha256, with no extra files.
    pub fn check_installed(
        &self,
        app: &AppId,
        version: &semver::Version,
        trust: &Trust,
    ) -> Result<Manifest> {
        let dir = self.path_of(app, version);
        let manifest_bytes =
            fs::read(dir.join(MANIFEST_PATH)).map_err(|e| Error::io("read", &dir, e))?;
        let sig_bytes =
            fs::read(dir.join(SIGNATURES_PATH)).map_err(|e| Error::io("read", &dir, e))?;
        let m = crate::verify::check_detached(&manifest_bytes, &sig_bytes, trust)?;
        Expected::app(app.clone())
            .version(version.clone())
            .check(&m)?;
        let mut seen = 0usize;
        walk(&dir, &dir, &mut |rel, path| {
            if rel == MANIFEST_PATH || rel == SIGNATURES_PATH {
                return Ok(());
            }
            let f = m
                .file(rel)
                .ok_or_else(|| Error::UnlistedEntry(rel.to_owned()))?;
            let data = fs::read(path).map_err(|e| Error::io("read", path, e))?;
            if data.len() as u64 != f.size
                || hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data)) != f.sha256
            {
                return Err(Error::HashMismatch(rel.to_owned()));
            }
            seen += 1;
            Ok(())
        })?;
        if seen != m.files.len() {
            let missing = m
                .files
                .iter()
                .find(|f| !dir.join(&f.path).is_file())
                .map(|f| f.path.clone())
                .unwrap_or_default();
            return Err(Error::MissingEntry(missing));
        }
        Ok(m)
    }

    /// The apps with at least one installed version, sorted.
    pub fn apps(&self) -> Result<Vec<AppId>> {
        let rd = fs::read_dir(&self.root).map_err(|e| Error::io("list", &self.root, e))?;
        let mut out: Vec<AppId> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().to_str().and_then(|s| AppId::new(s).ok()))
            .collect();
        out.retain(|a| self.versions(a).is_ok_and(|v| !v.is_empty()));
        out.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        Ok(out)
    }

    /// Makes an installed `version` of `app` current; the old current becomes
    /// the previous one. Refuses a version that is not installed.
    pub fn set_current(&self, app: &AppId, version: &semver::Version) -> Result<()> {
        let _lock = self.lock()?;
        if !self.path_of(app, version).join(MANIFEST_PATH).is_file() {
            return Err(Error::NotInstalled(format!("{app} {version}")));
        }
        let p = self.read_pointer(app)?;
        self.commit(app, &p, version)?;
        Ok(())
    }

    /// Deletes every installed version of `app`. The pointer goes first, so
    /// an interrupted removal leaves nothing that launches half-deleted.
    pub fn remove(&self, app: &AppId) -> Result<bool> {
        let _lock = self.lock()?;
        let dir = self.root.join(app.as_str());
        if !dir.exists() {
            return Ok(false);
        }
        let pointer = dir.join(POINTER);
        match fs::remove_file(&pointer) {
            Ok(()) => sync_dir(&dir)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", &pointer, e)),
        }
        fs::remove_dir_all(&dir).map_err(|e| Error::io("remove", &dir, e))?;
        sync_dir(&self.root)?;
        Ok(true)
    }

    /// Deletes every installed app; returns how many were removed.
    pub fn clear(&self) -> Result<usize> {
        let apps = self.apps()?;
        let mut n = 0;
        for a in &apps {
            if self.remove(a)? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Makes the previous version current again (after a bad launch, say).
    pub fn rollback(&self, app: &AppId) -> Result<semver::Version> {
        let _lock = self.lock()?;
        let p = self.read_pointer(app)?;
        let prev = p
            .previous
            .clone()
            .ok_or_else(|| Error::NotInstalled(format!("a previous version of {app}")))?;
        if !self.path_of(app, &prev).is_dir() {
            return Err(Error::NotInstalled(format!("{app} {prev}")));
        }
        self.write_pointer(
            app,
            &Pointer {
                current: Some(prev.clone()),
                previous: p.current,
            },
        )?;
        Ok(prev)
    }

    fn commit(
        &self,
        app: &AppId,
        old: &Pointer,
        version: &semver::Version,
    ) -> Result<Option<semver::Version>> {
        if old.current.as_ref() == Some(version) {
            return Ok(old.previous.clone());
        }
        self.write_pointer(
            app,
            &Pointer {
                current: Some(version.clone()),
                previous: old.current.clone(),
            },
        )?;
        Ok(old.current.clone())
    }

    fn read_pointer(&self, app: &AppId) -> Result<Pointer> {
        let path = self.root.join(app.as_str()).join(POINTER);
        match fs::read(&path) {
            Ok(bytes) => crate::json::parse("current.json", &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Pointer::default()),
            Err(e) => Err(Error::io("read", &path, e)),
        }
    }

    fn write_pointer(&self, app: &AppId, p: &Pointer) -> Result<()> {
        let dir = self.root.join(app.as_str());
        let tmp = dir.join("current.json.tmp");
        let bytes = serde_json::to_vec(p).map_err(|e| Error::Manifest(e.to_string()))?;
        let mut f = File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
        f.write_all(&bytes)
            .map_err(|e| Error::io("write", &tmp, e))?;
        f.sync_all().map_err(|e| Error::io("sync", &tmp, e))?;
        fs::rename(&tmp, dir.join(POINTER)).map_err(|e| Error::io("rename", &tmp, e))?;
        sync_dir(&dir)
    }

    fn prune(&self, app: &AppId) -> Result<()> {
        let p = self.read_pointer(app)?;
        let versions = self.versions(app)?;
        let excess = versions.len().saturating_sub(self.keep);
        for v in versions.into_iter().take(excess) {
            if Some(&v) == p.current.as_ref() || Some(&v) == p.previous.as_ref() {
                continue;
            }
            let dir = self.path_of(app, &v);
            fs::remove_dir_all(&dir).map_err(|e| Error::io("remove", &dir, e))?;
        }
        Ok(())
    }

    fn lock(&self) -> Result<File> {
        let path = self.root.join(".lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("open", &path, e))?;
        f.lock().map_err(|e| Error::io("lock", &path, e))?;
        Ok(f)
    }

    /// Removes what interrupted installs left. Runs under the lock.
    fn clean_staging(&self) -> Result<()> {
        let dir = self.root.join(STAGING);
        fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        for e in fs::read_dir(&dir)
            .map_err(|e| Error::io("list", &dir, e))?
            .flatten()
        {
            let _ = fs::remove_dir_all(e.path());
        }
        Ok(())
    }

    fn new_staging(&self, m: &Manifest) -> Result<PathBuf> {
        let mut rnd = [0u8; 8];
        getrandom::getrandom(&mut rnd).map_err(|e| Error::Key(format!("no randomness: {e}")))?;
        let path = self.root.join(STAGING).join(format!(
            "{}-{}-{}",
            m.app_id,
            m.version,
            hex::encode(rnd)
        ));
        fs::create_dir(&path).map_err(|e| Error::io("create", &path, e))?;
        Ok(path)
    }
}

/// Reads a file, refusing it past `cap` bytes without reading it.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let len = f.metadata().map_err(|e| Error::io("stat", path, e))?.len();
    if len > cap {
        return Err(Error::ArchiveTooLarge { size: len, cap });
    }
    let mut out = Vec::with_capacity(len as usize);
    f.take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::io("read", path, e))?;
    if out.len() as u64 > cap {
        return Err(Error::ArchiveTooLarge {
            size: out.len() as u64,
            cap,
        });
    }
    Ok(out)
}

/// Extracts every listed file into `staging`, which this install created and
/// nobody else writes, then syncs files and directories.
fn extract(bundle: &Verified<'_>, staging: &Path, checkpoint: Checkpoint<'_>) -> Result<()> {
    let m = bundle.manifest();
    let mut dirs = vec![staging.to_path_buf()];
    let mut open_files = Vec::with_capacity(m.files.len() + 2);
    let make_parent = |path: &Path, dirs: &mut Vec<PathBuf>| -> Result<()> {
        let mut missing = Vec::new();
        let mut p = path.parent();
        while let Some(d) = p {
            if d == staging || d.is_dir() {
                break;
            }
            missing.push(d.to_path_buf());
            p = d.parent();
        }
        for d in missing.into_iter().rev() {
            fs::create_dir(&d).map_err(|e| Error::io("create", &d, e))?;
            dirs.push(d);
        }
        Ok(())
    };
    for (i, f) in m.files.iter().enumerate() {
        let path = staging.join(&f.path);
        make_parent(&path, &mut dirs)?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io("create", &path, e))?;
        let mut w = std::io::BufWriter::with_capacity(64 * 1024, file);
        bundle.stream_file(f, &mut |chunk| {
            w.write_all(chunk).map_err(|e| Error::io("write", &path, e))
        })?;
        let file = w
            .into_inner()
            .map_err(|e| Error::io("write", &path, e.into_error()))?;
        open_files.push(file);
        if i == 0 {
            checkpoint(Step::Extracting)?;
        }
    }
    for (name, bytes) in [
        (MANIFEST_PATH, bundle.manifest_bytes()),
        (SIGNATURES_PATH, bundle.signatures_bytes()),
    ] {
        let path = staging.join(name);
        make_parent(&path, &mut dirs)?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io("create", &path, e))?;
        file.write_all(bytes)
            .map_err(|e| Error::io("write", &path, e))?;
        open_files.push(file);
    }
    // Sync after all writes: the first fsync commits the journal for every file,
    // so the rest are cheap.
    for f in &open_files {
        f.sync_all().map_err(|e| Error::io("sync", staging, e))?;
    }
    for d in dirs.iter().rev() {
        sync_dir(d)?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io("sync", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Visits every file under `dir` with its `/`-separated relative path. Links and
/// special files are errors: an installed tree holds regular files only.
fn walk(root: &Path, dir: &Path, visit: &mut dyn FnMut(&str, &Path) -> Result<()>) -> Result<()> {
    for e in fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))? {
        let e = e.map_err(|e| Error::io("list", dir, e))?;
        let path = e.path();
        let ft = e.file_type().map_err(|e| Error::io("stat", &path, e))?;
        let rel = path
            .strip_prefix(root)
            .ok()
            .and_then(Path::to_str)
            .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"))
            .unwrap_or_default();
        if ft.is_dir() {
            walk(root, &path, visit)?;
        } else if ft.is_file() {
            visit(&rel, &path)?;
        } else {
            return Err(Error::EntryType {
                name: rel,
                kind: "link or special file",
            });
        }
    }
    Ok(())
}
