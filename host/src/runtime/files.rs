//! Where a running mini program's files come from: a verified, installed tree.

use std::path::PathBuf;

/// Read access to a mini program's files by bundle-relative path.
pub trait AppFiles {
    /// The file's bytes, or `None` when it does not exist or the path is unsafe.
    fn read(&self, path: &str) -> Option<Vec<u8>>;
}

/// Files under a directory (an installed version from `mpkit_bundle::Store`).
/// Paths are checked with the bundle's own rules, so nothing outside is readable.
#[derive(Debug, Clone)]
pub struct DirFiles {
    root: PathBuf,
}

impl DirFiles {
    /// Serves files under `root`.
    pub fn new(root: impl Into<PathBuf>) -> DirFiles {
        DirFiles { root: root.into() }
    }
}

impl AppFiles for DirFiles {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        let path = path.trim_start_matches('/');
        mpkit_bundle::path::check(path).ok()?;
        let full = self.root.join(path);
        let meta = std::fs::symlink_metadata(&full).ok()?;
        if !meta.is_file() {
            return None;
        }
        std::fs::read(full).ok()
    }
}

/// Files held in memory (tests and tools).
#[derive(Debug, Clone, Default)]
pub struct MemFiles(pub std::collections::BTreeMap<String, Vec<u8>>);

impl AppFiles for MemFiles {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.0.get(path.trim_start_matches('/')).cloned()
    }
}
