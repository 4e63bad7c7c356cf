//! Snapshot of the error mapping: one instance of each variant, its stable code and its message.

use crate::error::{Damage, Error, PathIssue, RootFailure, SignatureFailure};

#[test]
fn error_codes_and_messages() {
    let s = |x: &str| x.to_string();
    let errors = vec![
        Error::ArchiveTooLarge { size: 10, cap: 5 },
        Error::TooManyEntries { count: 10, cap: 5 },
        Error::UnpackedTooLarge { size: 10, cap: 5 },
        Error::RatioTooHigh {
            name: s("a.bin"),
            ratio: 1000,
            cap: 100,
        },
        Error::Damaged(Damage::NoEndRecord),
        Error::Damaged(Damage::UnaccountedBytes(0)),
        Error::Damaged(Damage::Overlap(s("a.js"))),
        Error::Damaged(Damage::LocalHeaderMismatch {
            name: s("a.js"),
            field: "name",
        }),
        Error::Damaged(Damage::NonCanonical {
            name: s("a.js"),
            field: "flags",
        }),
        Error::Damaged(Damage::BadCrc(s("a.js"))),
        Error::Unsupported {
            name: s("a.js"),
            feature: "encryption",
        },
        Error::UnsafePath {
            name: s("../x"),
            reason: PathIssue::DotComponent,
        },
        Error::EntryType {
            name: s("l"),
            kind: "symbolic link",
        },
        Error::DuplicateEntry { name: s("a.js") },
        Error::NameCollision {
            first: s("a.js"),
            second: s("A.js"),
        },
        Error::InflatedPastDeclared {
            name: s("a.js"),
            declared: 100,
        },
        Error::InflatedShort {
            name: s("a.js"),
            declared: 100,
            actual: 10,
        },
        Error::MissingMetadata(crate::MANIFEST_PATH),
        Error::Json {
            doc: "manifest",
            reason: s("duplicate key \"a\""),
        },
        Error::Manifest(s("at least one page is required")),
        Error::Signature(SignatureFailure::Unsigned),
        Error::Signature(SignatureFailure::UntrustedKey {
            key_id: s("0011223344556677"),
            role: s("publisher"),
        }),
        Error::Signature(SignatureFailure::Invalid {
            key_id: s("0011223344556677"),
        }),
        Error::Signature(SignatureFailure::ThresholdNotMet {
            role: s("root"),
            have: 1,
            need: 2,
        }),
        Error::Key(s("public key has small order")),
        Error::Root(RootFailure::Expired {
            version: 1,
            expires: s("2026-01-01T00:00:00Z"),
        }),
        Error::Root(RootFailure::VersionGap { from: 1, to: 3 }),
        Error::AppIdMismatch {
            expected: s("a"),
            actual: s("b"),
        },
        Error::VersionMismatch {
            expected: s("1.0.0"),
            actual: s("1.1.0"),
        },
        Error::UnlistedEntry(s("evil.js")),
        Error::MissingEntry(s("app.js")),
        Error::SizeMismatch {
            name: s("a.js"),
            listed: 1,
            actual: 2,
        },
        Error::HashMismatch(s("a.js")),
        Error::VersionConflict {
            app_id: s("a"),
            version: s("1.0.0"),
        },
        Error::Downgrade {
            app_id: s("a"),
            version: s("1.0.0"),
            build: 1_000_000,
            current: s("1.1.0"),
            current_build: 1_001_000,
        },
        Error::TypeScript(s("utils/u.ts:2:10: Unexpected token")),
        Error::NotInstalled(s("a 1.0.0")),
    ];
    let table: Vec<String> = errors
        .iter()
        .map(|e| format!("{:<24} {e}", e.code()))
        .collect();
    insta::assert_snapshot!(table.join("\n"));
}
