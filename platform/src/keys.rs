//! The platform's keys: root (signs root.json), publisher (re-signs release
//! packages) and policy (signs policies and resolve answers). Created on first
//! start under `<storage>/keys/` with mode 0600, loaded afterwards.

use crate::error::Error;
use mpkit_bundle::{Role, RootSpec, SecretKey};
use std::collections::BTreeMap;
use std::path::Path;

/// The platform's signing keys and the root hosts trust.
pub struct PlatformKeys {
    /// Re-signs release packages.
    pub publisher: SecretKey,
    /// Signs policies and resolve answers.
    pub policy: SecretKey,
    /// `root.json`, signed by the root key.
    pub root_json: Vec<u8>,
}

impl std::fmt::Debug for PlatformKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformKeys")
            .field("publisher", self.publisher.public().id())
            .field("policy", self.policy.public().id())
            .finish_non_exhaustive()
    }
}

fn load_or_make(path: &Path) -> Result<SecretKey, Error> {
    if path.exists() {
        return SecretKey::read(path).map_err(|e| Error::Internal(e.to_string()));
    }
    let k = SecretKey::generate().map_err(|e| Error::Internal(e.to_string()))?;
    k.write_pair(path)
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(k)
}

impl PlatformKeys {
    /// Loads the keys in `dir`, creating any that are missing, and (re)writes
    /// `root.json` when it is missing.
    pub fn load_or_create(dir: &Path) -> Result<PlatformKeys, Error> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Internal(format!("{}: {e}", dir.display())))?;
        let root = load_or_make(&dir.join("root.key"))?;
        let publisher = load_or_make(&dir.join("publisher.key"))?;
        let policy = load_or_make(&dir.join("policy.key"))?;
        let root_path = dir.join("root.json");
        let root_json = match std::fs::read(&root_path) {
            Ok(b) => b,
            Err(_) => {
                let spec = RootSpec {
                    version: 1,
                    expires: time::OffsetDateTime::now_utc() + time::Duration::days(365),
                    roles: BTreeMap::from([
                        (Role::Root, (vec![root.public().clone()], 1)),
                        (Role::Publisher, (vec![publisher.public().clone()], 1)),
                        (Role::Policy, (vec![policy.public().clone()], 1)),
                    ]),
                };
                let bytes = spec
                    .sign(&[&root])
                    .map_err(|e| Error::Internal(e.to_string()))?;
                std::fs::write(&root_path, &bytes)
                    .map_err(|e| Error::Internal(format!("{}: {e}", root_path.display())))?;
                bytes
            }
        };
        Ok(PlatformKeys {
            publisher,
            policy,
            root_json,
        })
    }
}
