//! Mini programs and directories for tests: built in memory and written out,
//! the repository's fixtures, copies and snapshots.

use mpkit_bundle::{Manifest, PackOptions, SecretKey};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The repository's root (the workspace).
pub fn repo_dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// A mini program under the repository's `tests/fixtures/` (e.g. `counter`,
/// `hostile`, `jsapi`, `compat/<name>`).
pub fn fixture(name: &str) -> PathBuf {
    repo_dir().join("tests/fixtures").join(name)
}

/// A mini program as a map of its files, built in memory: write it to a
/// directory ([`MiniProgram::write`]), pack it ([`MiniProgram::pack`]), or
/// hand its files to a host (`MemFiles(app.into_files())` from
/// `mpkit_host::internals`, for the host's own tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MiniProgram {
    files: BTreeMap<String, Vec<u8>>,
}

impl MiniProgram {
    /// `app.json` with this text, and an `app.js` of `App({});`.
    pub fn new(app_json: &serde_json::Value) -> MiniProgram {
        MiniProgram::default()
            .file("app.json", app_json.to_string())
            .file("app.js", "App({});")
    }

    /// Adds (or replaces) the file at `path` (relative, `/`-separated).
    pub fn file(mut self, path: &str, contents: impl AsRef<[u8]>) -> MiniProgram {
        self.files
            .insert(path.to_owned(), contents.as_ref().to_vec());
        self
    }

    /// Adds a page: `<route>.axml` and `<route>.js` (name it in `app.json`).
    pub fn page(self, route: &str, axml: &str, js: &str) -> MiniProgram {
        self.file(&format!("{route}.axml"), axml)
            .file(&format!("{route}.js"), js)
    }

    /// The files by path.
    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    /// The files by path, owned.
    pub fn into_files(self) -> BTreeMap<String, Vec<u8>> {
        self.files
    }

    /// Writes every file under `dir` (created as needed); returns `dir`.
    pub fn write(&self, dir: &Path) -> PathBuf {
        for (path, bytes) in &self.files {
            let to = dir.join(path);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)
                    .unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
            }
            std::fs::write(&to, bytes).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
        }
        dir.to_path_buf()
    }

    /// Writes the files to `dir` and packs them there, signed with `key`.
    pub fn pack(&self, dir: &Path, key: &SecretKey, opts: &PackOptions) -> (Manifest, Vec<u8>) {
        let dir = self.write(dir);
        mpkit_bundle::pack_dir(&dir, key, opts)
            .unwrap_or_else(|e| panic!("packing {}: {e}", dir.display()))
    }
}

/// Copies the tree at `from` into `to` (created as needed), files and
/// directories alike.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Every file under `dir` with its bytes (directories as `name/` with no
/// bytes, a store's `.lock` left out), to prove a failed command changed
/// nothing.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn go(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .map(|r| r.to_string_lossy().into_owned())
                .unwrap_or_default();
            if rel == ".lock" {
                continue;
            }
            if p.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                go(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    go(dir, dir, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one_page() -> MiniProgram {
        MiniProgram::new(
            &json!({"appId": "2021000000000009", "name": "T", "version": "1.2.3",
                                 "pages": ["pages/index/index"]}),
        )
        .page(
            "pages/index/index",
            "<view>{{n}}</view>",
            "Page({data: {n: 1}});",
        )
    }

    #[test]
    fn a_mini_program_is_written_file_by_file_and_packs() {
        let tmp = tempfile::tempdir().unwrap();
        let app = one_page();
        assert_eq!(
            app.files().keys().collect::<Vec<_>>(),
            [
                "app.js",
                "app.json",
                "pages/index/index.axml",
                "pages/index/index.js"
            ]
        );
        let dir = app.write(&tmp.path().join("app"));
        assert_eq!(
            std::fs::read_to_string(dir.join("pages/index/index.axml")).unwrap(),
            "<view>{{n}}</view>"
        );
        let key = SecretKey::from_seed(&[5; 32]).unwrap();
        let (m, bytes) = app.pack(&tmp.path().join("packed"), &key, &PackOptions::default());
        assert_eq!(m.app_id.as_str(), "2021000000000009");
        assert_eq!(m.version.to_string(), "1.2.3");
        assert!(bytes.starts_with(b"PK"), "a zip");
    }

    #[test]
    fn a_file_replaces_one_of_the_same_path() {
        let app = one_page().file("app.js", "App({onLaunch() {}});");
        assert_eq!(app.files()["app.js"], b"App({onLaunch() {}});");
        assert_eq!(app.into_files().len(), 4);
    }

    #[test]
    fn copies_and_snapshots_see_every_file() {
        let tmp = tempfile::tempdir().unwrap();
        let from = one_page().write(&tmp.path().join("from"));
        std::fs::write(from.join(".lock"), "").unwrap();
        copy_dir(&from, &tmp.path().join("to/nested")).unwrap();
        let a = snapshot(&from);
        let b = snapshot(&tmp.path().join("to/nested"));
        assert_eq!(a, b);
        assert!(a.contains_key("pages/"), "{:?}", a.keys());
        assert!(!a.contains_key(".lock"), "a store's lock is left out");
        assert_eq!(a["pages/index/index.js"], b"Page({data: {n: 1}});");
        std::fs::write(tmp.path().join("to/nested/app.js"), "changed").unwrap();
        assert_ne!(snapshot(&tmp.path().join("to/nested")), a);
    }

    #[test]
    fn fixtures_are_found_in_the_repository() {
        assert!(fixture("counter").join("app.json").is_file());
        assert!(repo_dir().join("Cargo.toml").is_file());
    }
}
