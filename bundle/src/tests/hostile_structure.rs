//! Hostile archive structure: bombs, caps and damage.

use super::{refuse, snapshot, store_with_v1, Fixture, APP};
use crate::error::{Damage, Error};
use crate::zip::{Method, RawEntry};
use crate::{AppId, Caps, Expected};

fn refuse_with_caps(caps: Caps, check: impl Fn(&Error) -> bool) {
    let fx = Fixture::new();
    let (_dir, store) = store_with_v1(&fx);
    let before = snapshot(store.root());
    let err = store
        .install(&fx.bundle("1.1.0"), &fx.trust(), &Expected::any(), &caps)
        .expect_err("over the cap");
    assert!(check(&err), "unexpected error: {err:?}");
    assert_eq!(snapshot(store.root()), before);
    let app = AppId::new(APP).expect("app");
    assert_eq!(
        store.current(&app).expect("current"),
        Some(semver::Version::new(1, 0, 0))
    );
}

fn damaged(want: Damage) -> impl Fn(&Error) -> bool {
    move |e| matches!(e, Error::Damaged(d) if *d == want)
}

#[test]
fn overlapping_entries_bomb() {
    // Many central records pointing at one local entry: a non-recursive zip bomb.
    let fx = Fixture::new();
    let mut w = fx.writer_for(&fx.files);
    let shared_at = w.offset();
    let big = RawEntry::file("app.js", &fx.files[0].1, Method::Deflated);
    w.add(&big);
    for i in 0..50 {
        let mut alias = big.clone();
        alias.name = format!("alias{i}.js").into_bytes();
        w.add_central_only(&alias, shared_at);
    }
    refuse(&w.finish(), |e| {
        matches!(e, Error::Damaged(Damage::Overlap(_)))
    });
}

#[test]
fn entry_inflates_past_declared_size() {
    let fx = Fixture::new();
    let real = vec![b'a'; 10_000];
    let declared = real[..100].to_vec();
    let listed = vec![("pages/index/index.axml".to_string(), declared.clone())];
    let mut files = fx.files.clone();
    files.retain(|(p, _)| p != "pages/index/index.axml");
    files.extend(listed);
    let mut w = fx.writer_for(&files);
    for (p, d) in &files {
        let mut e = RawEntry::file(p, d, Method::Deflated);
        if p == "pages/index/index.axml" {
            e = RawEntry::file(p, &real, Method::Deflated);
            e.size = declared.len() as u32;
            e.crc32 = crc32fast::hash(&declared);
        }
        w.add(&e);
    }
    refuse(
        &w.finish(),
        |e| matches!(e, Error::InflatedPastDeclared { name, declared: 100 } if name == "pages/index/index.axml"),
    );
}

#[test]
fn compression_ratio_bomb() {
    let fx = Fixture::new();
    let mut files = fx.files.clone();
    files.push(("assets/zeros.bin".into(), vec![0u8; 4 * 1024 * 1024]));
    let m = fx.manifest_for("1.1.0", &files);
    let bytes = crate::build_bundle(&m, &files, &[(&fx.publisher, crate::Role::Publisher)])
        .expect("bundle");
    refuse(
        &bytes,
        |e| matches!(e, Error::RatioTooHigh { name, cap: 100, .. } if name == "assets/zeros.bin"),
    );
}

#[test]
fn total_unpacked_size_over_cap() {
    refuse_with_caps(
        Caps {
            max_unpacked_bytes: 500,
            ..Caps::default()
        },
        |e| matches!(e, Error::UnpackedTooLarge { cap: 500, .. }),
    );
}

#[test]
fn entry_count_over_cap() {
    refuse_with_caps(
        Caps {
            max_entries: 3,
            ..Caps::default()
        },
        |e| matches!(e, Error::TooManyEntries { count: 6, cap: 3 }),
    );
}

#[test]
fn archive_size_over_cap() {
    refuse_with_caps(
        Caps {
            max_archive_bytes: 100,
            ..Caps::default()
        },
        |e| matches!(e, Error::ArchiveTooLarge { cap: 100, .. }),
    );
}

#[test]
fn truncated_archive() {
    let b = Fixture::new().bundle("1.1.0");
    refuse(&b[..b.len() - 7], damaged(Damage::NoEndRecord));
    refuse(&b[..b.len() / 2], damaged(Damage::NoEndRecord));
}

#[test]
fn bad_crc() {
    let fx = Fixture::new();
    let mut w = fx.writer_for(&fx.files);
    for (p, d) in &fx.files {
        let mut e = RawEntry::file(p, d, Method::Deflated);
        if p == "app.js" {
            e.crc32 ^= 1;
        }
        w.add(&e);
    }
    refuse(&w.finish(), damaged(Damage::BadCrc("app.js".into())));
}

#[test]
fn prepended_bytes_without_shifted_offsets() {
    let mut b = b"#!/bin/sh\nexec evil\n".to_vec();
    b.extend_from_slice(&Fixture::new().bundle("1.1.0"));
    refuse(&b, |e| {
        matches!(e, Error::Damaged(Damage::UnaccountedBytes(_)))
    });
}

#[test]
fn prepended_bytes_with_shifted_offsets() {
    let fx = Fixture::new();
    let mut w = crate::zip::Writer::new();
    w.push_raw(b"MZ\x90\x00 a polyglot stub");
    let m = fx.manifest_for("1.1.0", &fx.files);
    let (mb, sb) = fx.signed_metadata(&m, &fx.publisher, crate::Role::Publisher);
    w.add(&RawEntry::file(crate::MANIFEST_PATH, &mb, Method::Stored));
    w.add(&RawEntry::file(crate::SIGNATURES_PATH, &sb, Method::Stored));
    for (p, d) in &fx.files {
        w.add(&RawEntry::file(p, d, Method::Deflated));
    }
    refuse(&w.finish(), damaged(Damage::UnaccountedBytes(0)));
}

#[test]
fn two_end_records() {
    let mut b = Fixture::new().bundle("1.1.0");
    let end = b[b.len() - 22..].to_vec();
    b.extend_from_slice(&end);
    refuse(&b, |e| {
        matches!(e, Error::Damaged(Damage::UnaccountedBytes(_)))
    });
}

#[test]
fn two_archives_concatenated() {
    let fx = Fixture::new();
    let mut b = fx.bundle("1.0.0");
    b.extend_from_slice(&fx.bundle("1.1.0"));
    refuse(&b, |e| {
        matches!(e, Error::Damaged(Damage::UnaccountedBytes(_)))
    });
}

#[test]
fn local_header_disagrees_with_central_directory() {
    let fx = Fixture::new();
    let mut w = fx.writer_for(&fx.files);
    for (p, d) in &fx.files {
        let e = RawEntry::file(p, d, Method::Deflated);
        if p == "app.js" {
            let mut local = e.clone();
            local.name = b"app.jz".to_vec();
            w.add_with_local(&e, &local);
        } else {
            w.add(&e);
        }
    }
    refuse(&w.finish(), |e| {
        matches!(
            e,
            Error::Damaged(Damage::LocalHeaderMismatch { field: "name", .. })
        )
    });
}

#[test]
fn local_header_size_disagrees() {
    let fx = Fixture::new();
    let mut w = fx.writer_for(&fx.files);
    for (p, d) in &fx.files {
        let e = RawEntry::file(p, d, Method::Deflated);
        let mut local = e.clone();
        if p == "app.js" {
            local.size += 1000;
        }
        w.add_with_local(&e, &local);
    }
    refuse(&w.finish(), |e| {
        matches!(
            e,
            Error::Damaged(Damage::LocalHeaderMismatch {
                field: "uncompressed size",
                ..
            })
        )
    });
}

#[test]
fn encrypted_entry() {
    let fx = Fixture::new();
    let mut w = fx.writer_for(&fx.files);
    for (p, d) in &fx.files {
        let mut e = RawEntry::file(p, d, Method::Deflated);
        if p == "app.js" {
            e.flags |= 1;
        }
        w.add(&e);
    }
    refuse(&w.finish(), |e| {
        matches!(
            e,
            Error::Unsupported {
                feature: "encryption",
                ..
            }
        )
    });
}

#[test]
fn empty_and_garbage_files() {
    refuse(b"", damaged(Damage::Truncated("end of central directory")));
    refuse(&[0u8; 4096], damaged(Damage::NoEndRecord));
}
