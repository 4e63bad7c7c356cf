//! Hostile signatures, identities and listings.

use super::{now, refuse, Fixture, APP};
use crate::error::{Error, RootFailure, SignatureFailure};
use crate::keys::{Context, PublicKey, SecretKey};
use crate::manifest::{AppId, MANIFEST_PATH, SIGNATURES_PATH};
use crate::trust::{Role, SignatureFile, SignatureRecord, TrustedRoot};
use crate::verify::{open, Caps, Trust};
use crate::zip::{Method, RawEntry, Writer};
use crate::Expected;

#[test]
fn every_single_flipped_byte_is_refused() {
    let fx = Fixture::new();
    let good = fx.bundle("1.1.0");
    let trust = fx.trust();
    let caps = Caps::default();
    open(&good, &trust, &Expected::any(), &caps)
        .and_then(|v| v.check_contents())
        .expect("the honest bundle verifies");
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0xff;
        let result = open(&bad, &trust, &Expected::any(), &caps).and_then(|v| v.check_contents());
        assert!(
            result.is_err(),
            "flipping byte {i} of {} went unnoticed",
            good.len()
        );
    }
}

#[test]
fn flipped_byte_in_file_data_is_refused_at_install() {
    let fx = Fixture::new();
    let mut b = fx.bundle("1.1.0");
    // The last file's data sits right before the central directory; flip inside it.
    let cd_offset =
        u32::from_le_bytes(b[b.len() - 6..b.len() - 2].try_into().expect("4 bytes")) as usize;
    b[cd_offset - 3] ^= 0xff;
    refuse(&b, |e| {
        matches!(
            e,
            Error::Damaged(crate::Damage::BadCrc(_) | crate::Damage::BadDeflate(_))
                | Error::HashMismatch(_)
                | Error::InflatedShort { .. }
                | Error::InflatedPastDeclared { .. }
        )
    });
}

/// An archive of the fixture's files with the given metadata entries.
fn archive(fx: &Fixture, manifest: &[u8], sigs: &[u8], files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = Writer::new();
    w.add(&RawEntry::file(MANIFEST_PATH, manifest, Method::Stored));
    w.add(&RawEntry::file(SIGNATURES_PATH, sigs, Method::Stored));
    for (p, d) in files {
        w.add(&RawEntry::file(p, d, Method::Deflated));
    }
    let _ = fx;
    w.finish()
}

#[test]
fn signed_by_unknown_key() {
    let fx = Fixture::new();
    let stranger = SecretKey::from_seed(&[66; 32]).expect("key");
    let m = fx.manifest_for("1.1.0", &fx.files);
    let (mb, sb) = fx.signed_metadata(&m, &stranger, Role::Publisher);
    let err = refuse(&archive(&fx, &mb, &sb, &fx.files), |e| {
        matches!(e, Error::Signature(SignatureFailure::UntrustedKey { .. }))
    });
    assert!(err.to_string().contains(stranger.public().id().as_str()));
}

#[test]
fn signed_by_a_key_of_another_role() {
    // The policy key is in the root, but not for manifests.
    let fx = Fixture::new();
    let m = fx.manifest_for("1.1.0", &fx.files);
    let (mb, sb) = fx.signed_metadata(&m, &fx.policy, Role::Publisher);
    refuse(&archive(&fx, &mb, &sb, &fx.files), |e| {
        matches!(e, Error::Signature(SignatureFailure::UntrustedKey { .. }))
    });
}

#[test]
fn developer_key_is_not_trusted_in_production() {
    let fx = Fixture::new();
    let dev = SecretKey::from_seed(&[44; 32]).expect("key");
    let m = fx.manifest_for("1.1.0", &fx.files);
    let (mb, sb) = fx.signed_metadata(&m, &dev, Role::Developer);
    refuse(
        &archive(&fx, &mb, &sb, &fx.files),
        |e| matches!(e, Error::Signature(SignatureFailure::UntrustedKey { role, .. }) if role == "developer"),
    );
}

#[test]
fn unsigned_bundle() {
    let fx = Fixture::new();
    let m = fx.manifest_for("1.1.0", &fx.files);
    let mb = m.to_bytes().expect("bytes");
    refuse(
        &archive(&fx, &mb, br#"{"signatures":[]}"#, &fx.files),
        |e| matches!(e, Error::Signature(SignatureFailure::Unsigned)),
    );
}

#[test]
fn small_order_key_with_universal_forgery() {
    // A developer passing the identity point as a "trusted key" is refused at load,
    // and the forgery that key would admit fails verify_strict all the same.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert!(
        matches!(PublicKey::from_bytes(&identity), Err(Error::Key(m)) if m.contains("small order"))
    );
    let fx = Fixture::new();
    let m = fx.manifest_for("1.1.0", &fx.files);
    let mb = m.to_bytes().expect("bytes");
    let mut forged = [0u8; 64];
    forged[0] = 1; // R = identity, S = 0
    let sigs = SignatureFile {
        signatures: vec![SignatureRecord {
            key_id: crate::KeyId::of(&identity),
            role: Role::Publisher,
            sig: hex::encode(forged),
        }],
    };
    let sb = serde_json::to_vec(&sigs).expect("json");
    refuse(&archive(&fx, &mb, &sb, &fx.files), |e| {
        matches!(e, Error::Signature(SignatureFailure::UntrustedKey { .. }))
    });
}

#[test]
fn non_canonical_signature() {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let fx = Fixture::new();
    let m = fx.manifest_for("1.1.0", &fx.files);
    let mb = m.to_bytes().expect("bytes");
    let mut sig = fx.publisher.sign(Context::Manifest, &mb);
    let mut carry = 0u16;
    for i in 0..32 {
        let v = sig[32 + i] as u16 + L[i] as u16 + carry;
        sig[32 + i] = v as u8;
        carry = v >> 8;
    }
    let sigs = SignatureFile {
        signatures: vec![SignatureRecord {
            key_id: fx.publisher.public().id().clone(),
            role: Role::Publisher,
            sig: hex::encode(sig),
        }],
    };
    let sb = serde_json::to_vec(&sigs).expect("json");
    refuse(
        &archive(&fx, &mb, &sb, &fx.files),
        |e| matches!(e, Error::Signature(SignatureFailure::Invalid { key_id }) if key_id == fx.publisher.public().id().as_str()),
    );
}

#[test]
fn manifest_with_duplicate_keys_even_when_signed() {
    let fx = Fixture::new();
    let m = fx.manifest_for("1.1.0", &fx.files);
    let text = String::from_utf8(m.to_bytes().expect("bytes")).expect("utf8");
    let dup = text.replacen(
        "\"name\": \"Coffee Club\",",
        "\"name\": \"Coffee Club\",\n  \"name\": \"Evil\",",
        1,
    );
    assert_ne!(dup, text);
    let sigs = SignatureFile {
        signatures: vec![SignatureRecord::make(
            &fx.publisher,
            Role::Publisher,
            Context::Manifest,
            dup.as_bytes(),
        )],
    };
    let sb = serde_json::to_vec(&sigs).expect("json");
    refuse(
        &archive(&fx, dup.as_bytes(), &sb, &fx.files),
        |e| matches!(e, Error::Json { doc: "manifest", reason } if reason.contains("duplicate key \"name\"")),
    );
}

#[test]
fn app_id_mismatch() {
    let fx = Fixture::new();
    let (_d, store) = super::store_with_v1(&fx);
    let other = AppId::new("2021000000000002").expect("app");
    let before = super::snapshot(store.root());
    let err = store
        .install(
            &fx.bundle("1.1.0"),
            &fx.trust(),
            &Expected::app(other),
            &Caps::default(),
        )
        .expect_err("wrong app");
    assert!(
        matches!(&err, Error::AppIdMismatch { expected, actual } if expected == "2021000000000002" && actual == APP)
    );
    assert_eq!(super::snapshot(store.root()), before);
}

#[test]
fn version_mismatch() {
    let fx = Fixture::new();
    let (_d, store) = super::store_with_v1(&fx);
    let want = Expected::app(AppId::new(APP).expect("app")).version(semver::Version::new(1, 2, 0));
    let before = super::snapshot(store.root());
    let err = store
        .install(&fx.bundle("1.1.0"), &fx.trust(), &want, &Caps::default())
        .expect_err("wrong version");
    assert!(
        matches!(&err, Error::VersionMismatch { expected, actual } if expected == "1.2.0" && actual == "1.1.0")
    );
    assert_eq!(super::snapshot(store.root()), before);
}

#[test]
fn file_not_in_manifest() {
    let fx = Fixture::new();
    let m = fx.manifest_for("1.1.0", &fx.files);
    let (mb, sb) = fx.signed_metadata(&m, &fx.publisher, Role::Publisher);
    let mut files = fx.files.clone();
    files.push(("evil.js".into(), b"steal()".to_vec()));
    refuse(
        &archive(&fx, &mb, &sb, &files),
        |e| matches!(e, Error::UnlistedEntry(n) if n == "evil.js"),
    );
}

#[test]
fn manifest_file_missing_from_zip() {
    let fx = Fixture::new();
    let m = fx.manifest_for("1.1.0", &fx.files);
    let (mb, sb) = fx.signed_metadata(&m, &fx.publisher, Role::Publisher);
    let files: Vec<_> = fx
        .files
        .iter()
        .filter(|(p, _)| p != "app.js")
        .cloned()
        .collect();
    refuse(
        &archive(&fx, &mb, &sb, &files),
        |e| matches!(e, Error::MissingEntry(n) if n == "app.js"),
    );
}

#[test]
fn file_swapped_for_another_with_same_size() {
    let fx = Fixture::new();
    let m = fx.manifest_for("1.1.0", &fx.files);
    let (mb, sb) = fx.signed_metadata(&m, &fx.publisher, Role::Publisher);
    let mut files = fx.files.clone();
    let evil = vec![b'!'; files[0].1.len()];
    files[0].1 = evil;
    refuse(
        &archive(&fx, &mb, &sb, &files),
        |e| matches!(e, Error::HashMismatch(n) if n == "app.js"),
    );
}

#[test]
fn bundle_from_another_app_with_this_apps_manifest() {
    // Mix and match: app B's files under app A's signed manifest.
    let fx = Fixture::new();
    let m = fx.manifest_for("1.1.0", &fx.files);
    let (mb, sb) = fx.signed_metadata(&m, &fx.publisher, Role::Publisher);
    let mut files = fx.files.clone();
    files[3].1 = b"Page({ data: { title: 'Other app' } });".to_vec();
    refuse(&archive(&fx, &mb, &sb, &files), |e| {
        matches!(e, Error::SizeMismatch { .. } | Error::HashMismatch(_))
    });
}

#[test]
fn expired_root_is_refused() {
    let fx = Fixture::new();
    let later = now() + time::Duration::days(400);
    let err = TrustedRoot::load(&fx.root_bytes, later).expect_err("expired");
    assert!(
        matches!(err, Error::Root(RootFailure::Expired { version: 1, .. })),
        "{err:?}"
    );
}

#[test]
fn developer_trust_accepts_its_own_key_only() {
    let fx = Fixture::new();
    let dev = SecretKey::from_seed(&[44; 32]).expect("key");
    let m = fx.manifest_for("1.1.0", &fx.files);
    let (mb, sb) = fx.signed_metadata(&m, &dev, Role::Developer);
    let b = archive(&fx, &mb, &sb, &fx.files);
    let ok = Trust::Developer(vec![dev.public().clone()]);
    open(&b, &ok, &Expected::any(), &Caps::default())
        .and_then(|v| v.check_contents())
        .expect("dev key verifies");
    let other = Trust::Developer(vec![fx.publisher.public().clone()]);
    let err = open(&b, &other, &Expected::any(), &Caps::default()).expect_err("other key");
    assert!(matches!(
        err,
        Error::Signature(SignatureFailure::UntrustedKey { .. })
    ));
    let none = Trust::Developer(vec![]);
    let err = open(&b, &none, &Expected::any(), &Caps::default()).expect_err("no key");
    assert!(matches!(
        err,
        Error::Signature(SignatureFailure::ThresholdNotMet {
            need: 1,
            have: 0,
            ..
        })
    ));
}
