//! Crate-level tests: fixtures, every hostile input, roots, and install crashes.

mod error_codes;
mod hostile_names;
mod hostile_structure;
mod hostile_trust;
mod install;
mod properties;
mod roots;

use crate::keys::SecretKey;
use crate::manifest::{AppId, FileEntry, Manifest, Permissions, MANIFEST_PATH, SIGNATURES_PATH};
use crate::trust::{Role, RootSpec, TrustedRoot};
use crate::verify::{Caps, Trust};
use crate::zip::{Method, RawEntry, Writer};
use crate::{Error, Expected, Store};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use time::OffsetDateTime;

pub(crate) const APP: &str = "2021000000000001";

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Keys, a root, and a small honest mini program.
pub(crate) struct Fixture {
    pub(crate) root_key: SecretKey,
    pub(crate) publisher: SecretKey,
    pub(crate) policy: SecretKey,
    pub(crate) root_bytes: Vec<u8>,
    pub(crate) files: Vec<(String, Vec<u8>)>,
}

impl Fixture {
    pub(crate) fn new() -> Fixture {
        let key = |n: u8| SecretKey::from_seed(&[n; 32]).expect("key");
        let (root_key, publisher, policy) = (key(1), key(2), key(3));
        let spec = RootSpec {
            version: 1,
            expires: now() + time::Duration::days(365),
            roles: BTreeMap::from([
                (Role::Root, (vec![root_key.public().clone()], 1)),
                (Role::Publisher, (vec![publisher.public().clone()], 1)),
                (Role::Policy, (vec![policy.public().clone()], 1)),
            ]),
        };
        let root_bytes = spec.sign(&[&root_key]).expect("root");
        let files = vec![
            (
                "app.js".to_string(),
                b"App({ onLaunch() { console.log('hi'); } });".repeat(20),
            ),
            (
                "app.json".to_string(),
                br#"{"pages":["pages/index/index"]}"#.to_vec(),
            ),
            (
                "pages/index/index.axml".to_string(),
                b"<view>{{title}}</view>".to_vec(),
            ),
            (
                "pages/index/index.js".to_string(),
                b"Page({ data: { title: 'Coffee' } });".to_vec(),
            ),
        ];
        Fixture {
            root_key,
            publisher,
            policy,
            root_bytes,
            files,
        }
    }

    pub(crate) fn root(&self) -> TrustedRoot {
        TrustedRoot::load(&self.root_bytes, now()).expect("root loads")
    }

    pub(crate) fn trust(&self) -> Trust {
        Trust::Root(self.root())
    }

    pub(crate) fn manifest_for(&self, version: &str, files: &[(String, Vec<u8>)]) -> Manifest {
        Manifest::new(
            AppId::new(APP).expect("app id"),
            semver::Version::parse(version).expect("version"),
            1,
            "Coffee Club".into(),
            semver::Version::new(1, 0, 0),
            vec!["pages/index/index".into()],
            Permissions::default(),
            files
                .iter()
                .map(|(p, d)| FileEntry {
                    path: p.clone(),
                    size: d.len() as u64,
                    sha256: hex::encode(Sha256::digest(d)),
                })
                .collect(),
        )
        .expect("manifest")
    }

    /// An honest bundle signed by the publisher.
    pub(crate) fn bundle(&self, version: &str) -> Vec<u8> {
        let m = self.manifest_for(version, &self.files);
        crate::build_bundle(&m, &self.files, &[(&self.publisher, Role::Publisher)]).expect("bundle")
    }

    /// A signed manifest with its signature file, for hand-built archives.
    pub(crate) fn signed_metadata(
        &self,
        m: &Manifest,
        key: &SecretKey,
        role: Role,
    ) -> (Vec<u8>, Vec<u8>) {
        let mb = m.to_bytes().expect("manifest bytes");
        let sigs = crate::SignatureFile {
            signatures: vec![crate::SignatureRecord::make(
                key,
                role,
                crate::Context::Manifest,
                &mb,
            )],
        };
        (mb, serde_json::to_vec(&sigs).expect("sigs"))
    }

    /// A writer already holding a publisher-signed manifest for `listed`.
    pub(crate) fn writer_for(&self, listed: &[(String, Vec<u8>)]) -> Writer {
        let m = self.manifest_for("1.1.0", listed);
        let (mb, sb) = self.signed_metadata(&m, &self.publisher, Role::Publisher);
        let mut w = Writer::new();
        w.add(&RawEntry::file(MANIFEST_PATH, &mb, Method::Stored));
        w.add(&RawEntry::file(SIGNATURES_PATH, &sb, Method::Stored));
        w
    }
}

/// Every file under `dir` with its contents, to prove nothing changed.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn go(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("list").flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .expect("prefix")
                .to_string_lossy()
                .into_owned();
            if rel.ends_with(".lock") {
                continue;
            }
            if p.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                go(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    go(dir, dir, &mut out);
    out
}

/// A store with version 1.0.0 of the fixture installed.
pub(crate) fn store_with_v1(fx: &Fixture) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("store");
    store
        .install(
            &fx.bundle("1.0.0"),
            &fx.trust(),
            &Expected::any(),
            &Caps::default(),
        )
        .expect("v1 installs");
    (dir, store)
}

/// Installs hostile `bytes` into a store holding v1 and checks that it fails with
/// the error `check` accepts, that the store is byte-for-byte unchanged, and that
/// v1 is still current and intact.
#[track_caller]
pub(crate) fn refuse(bytes: &[u8], check: impl Fn(&Error) -> bool) -> Error {
    let fx = Fixture::new();
    let (_dir, store) = store_with_v1(&fx);
    let before = snapshot(store.root());
    let err = store
        .install(bytes, &fx.trust(), &Expected::any(), &Caps::default())
        .expect_err("hostile bundle must be refused");
    assert!(check(&err), "unexpected error: {err:?}");
    assert_eq!(
        snapshot(store.root()),
        before,
        "the store changed after {err:?}"
    );
    let app = AppId::new(APP).expect("app");
    let v1 = semver::Version::new(1, 0, 0);
    assert_eq!(store.current(&app).expect("pointer"), Some(v1.clone()));
    store
        .check_installed(&app, &v1, &fx.trust())
        .expect("v1 intact");
    err
}
