//! # mpkit-bundle
//!
//! The signed mini program bundle (`.mpk`): its format, its chain of trust, its
//! verification and its hardened installation.
//!
//! **Invariant**: this crate has no UI and no network. No byte of a bundle reaches
//! the file system, and no file of a bundle is inflated, before the manifest's
//! signature has been checked against an explicit trust anchor; extraction writes
//! only into a staging directory the install created, and an install that fails or
//! is interrupted at any point leaves the previous version current and intact.
//!
//! ```no_run
//! use mpkit_bundle::{AppId, Caps, Expected, Store, Trust, TrustedRoot};
//! # fn main() -> Result<(), mpkit_bundle::Error> {
//! let root = TrustedRoot::load(&std::fs::read("root.json").unwrap(), time::OffsetDateTime::now_utc())?;
//! let store = Store::open("/var/lib/wallet/miniprograms")?;
//! let installed = store.install_file(
//!     "coffee.mpk".as_ref(),
//!     &Trust::Root(root),
//!     &Expected::app(AppId::new("2021000000000001")?),
//!     &Caps::default(),
//! )?;
//! println!("installed {} at {}", installed.manifest.version, installed.path.display());
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod error;
mod install;
mod json;
mod keys;
mod manifest;
mod pack;
pub mod path;
pub mod project;
mod trust;
pub mod typescript;
mod verify;
mod zip;

#[cfg(test)]
mod tests;

pub use error::{Damage, Error, PathIssue, Result, RootFailure, SignatureFailure};
pub use install::{read_capped, Checkpoint, Installed, Step, Store};
pub use keys::{Context, KeyId, PublicKey, SecretKey};
pub use manifest::{
    AppId, Expected, FileEntry, Limits, Manifest, Permissions, FORMAT_VERSION, MANIFEST_PATH,
    SIGNATURES_PATH,
};
pub use pack::{build_bundle, pack_dir, pack_project, PackOptions, Packed};
pub use project::{default_build, Identity, IdentityFlags, IdentitySource, Project, Settings};
pub use trust::{Role, RoleKeys, RootSpec, SignatureFile, SignatureRecord, TrustedRoot};
pub use verify::{check_detached, inspect, open, Caps, Inspection, Trust, Verified};

/// Fuzzing entry points: parse hostile bytes, never panic.
#[doc(hidden)]
pub mod fuzz {
    /// Runs the whole reader on arbitrary bytes with a throwaway developer key.
    pub fn bundle_reader(data: &[u8]) {
        if let Ok(key) = crate::SecretKey::from_seed(&[9; 32]) {
            let trust = crate::Trust::Developer(vec![key.public().clone()]);
            if let Ok(v) = crate::open(
                data,
                &trust,
                &crate::Expected::any(),
                &crate::Caps::default(),
            ) {
                let _ = v.check_contents();
            }
        }
        // The structural reader alone, so inputs without a valid signature still go deep.
        let limits = crate::zip::Limits {
            max_entries: 10_000,
            max_unpacked_bytes: 1 << 24,
            max_ratio: 100,
        };
        if let Ok(a) = crate::zip::Archive::parse(data, &limits) {
            for e in a.entries() {
                let _ = a.inflate(e, &mut |_| Ok(()));
            }
        }
    }

    /// Runs the strict manifest, signature-file and root parsers on arbitrary bytes.
    pub fn manifest_parser(data: &[u8]) {
        let _ = crate::Manifest::parse(data);
        let _ = crate::SignatureFile::parse(data);
        let _ = crate::TrustedRoot::load(data, time::OffsetDateTime::UNIX_EPOCH);
    }
}
