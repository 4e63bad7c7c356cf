//! Hostile entry names and entry types. Each is refused while reading the
//! central directory, before the signature is even looked at.

use super::{refuse, Fixture};
use crate::error::{Error, PathIssue};
use crate::zip::{Method, RawEntry};

/// A publisher-signed bundle plus one extra raw entry.
fn with_entry(e: RawEntry) -> Vec<u8> {
    let fx = Fixture::new();
    let mut w = fx.writer_for(&fx.files);
    for (p, d) in &fx.files {
        w.add(&RawEntry::file(p, d, Method::Deflated));
    }
    w.add(&e);
    w.finish()
}

fn named(name: &[u8]) -> Vec<u8> {
    let mut e = RawEntry::file("x", b"payload", Method::Stored);
    e.name = name.to_vec();
    with_entry(e)
}

fn unsafe_path(want: PathIssue) -> impl Fn(&Error) -> bool {
    move |e| matches!(e, Error::UnsafePath { reason, .. } if *reason == want)
}

#[test]
fn zip_slip_parent() {
    refuse(&named(b"../x"), unsafe_path(PathIssue::DotComponent));
}

#[test]
fn zip_slip_nested_parent() {
    refuse(&named(b"a/../../x"), unsafe_path(PathIssue::DotComponent));
}

#[test]
fn zip_slip_backslash_parent() {
    refuse(&named(b"..\\x"), unsafe_path(PathIssue::Backslash));
}

#[test]
fn absolute_unix_path() {
    refuse(&named(b"/x"), unsafe_path(PathIssue::Absolute));
}

#[test]
fn absolute_drive_path() {
    refuse(&named(b"C:\\x"), unsafe_path(PathIssue::DrivePrefix));
}

#[test]
fn absolute_unc_path() {
    refuse(&named(b"\\\\srv\\x"), unsafe_path(PathIssue::Absolute));
}

#[test]
fn name_with_nul() {
    refuse(&named(b"app.js\0.png"), unsafe_path(PathIssue::ControlChar));
}

#[test]
fn name_too_deep() {
    let deep = vec!["d"; 33].join("/");
    refuse(&named(deep.as_bytes()), unsafe_path(PathIssue::TooDeep));
}

#[test]
fn name_not_utf8() {
    refuse(&named(b"caf\xe9.js"), unsafe_path(PathIssue::NotUtf8));
}

fn typed(mode: u32) -> Vec<u8> {
    let mut e = RawEntry::file("link.js", b"/etc/passwd", Method::Stored);
    e.external = mode << 16;
    with_entry(e)
}

fn entry_type(want: &'static str) -> impl Fn(&Error) -> bool {
    move |e| matches!(e, Error::EntryType { kind, .. } if *kind == want)
}

#[test]
fn symlink_entry() {
    refuse(&typed(0o120_777), entry_type("symbolic link"));
}

#[test]
fn hardlink_entry() {
    // PKWARE Unix extra field: atime, mtime, uid, gid, then the link target.
    let mut extra = vec![0x0d, 0x00];
    let body: Vec<u8> = [0u8; 12]
        .iter()
        .copied()
        .chain(b"app.js".iter().copied())
        .collect();
    extra.extend_from_slice(&(body.len() as u16).to_le_bytes());
    extra.extend_from_slice(&body);
    let mut e = RawEntry::file("copy.js", b"", Method::Stored);
    e.extra = extra;
    refuse(&with_entry(e), entry_type("hard link"));
}

#[test]
fn character_device_entry() {
    refuse(&typed(0o020_644), entry_type("character device"));
}

#[test]
fn block_device_entry() {
    refuse(&typed(0o060_644), entry_type("block device"));
}

#[test]
fn fifo_entry() {
    refuse(&typed(0o010_644), entry_type("FIFO"));
}

#[test]
fn directory_entry() {
    let mut e = RawEntry::file("pages/", b"", Method::Stored);
    e.external = 0o040_755 << 16;
    refuse(&with_entry(e), entry_type("directory"));
}

#[test]
fn duplicate_names() {
    let e = RawEntry::file("app.js", b"evil()", Method::Stored);
    refuse(
        &with_entry(e),
        |e| matches!(e, Error::DuplicateEntry { name } if name == "app.js"),
    );
}

#[test]
fn case_collision() {
    let e = RawEntry::file("APP.js", b"evil()", Method::Stored);
    refuse(
        &with_entry(e),
        |e| matches!(e, Error::NameCollision { first, second } if first == "app.js" && second == "APP.js"),
    );
}

#[test]
fn unicode_normalisation_collision() {
    let fx = Fixture::new();
    let nfc = "caf\u{e9}.js";
    let nfd = "cafe\u{301}.js";
    let mut w = fx.writer_for(&fx.files);
    for (p, d) in &fx.files {
        w.add(&RawEntry::file(p, d, Method::Deflated));
    }
    w.add(&RawEntry::file(nfc, b"a", Method::Stored));
    w.add(&RawEntry::file(nfd, b"b", Method::Stored));
    refuse(
        &w.finish(),
        |e| matches!(e, Error::NameCollision { first, second } if first == nfc && second == nfd),
    );
}

#[test]
fn reserved_metadata_folder() {
    // An extra file under mpkit/ is not listed (the manifest cannot list it).
    refuse(
        &with_entry(RawEntry::file("mpkit/extra.json", b"{}", Method::Stored)),
        |e| matches!(e, Error::UnlistedEntry(n) if n == "mpkit/extra.json"),
    );
}
