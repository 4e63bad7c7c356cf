//! The one error type of `mpkit-bundle`.

use std::path::PathBuf;

/// Everything that can go wrong while reading, verifying, signing or installing a bundle.
///
/// Every verification failure is an error: nothing here is ever downgraded to a warning.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// The archive file is larger than the cap.
    #[error("archive is {size} bytes, over the cap of {cap}")]
    ArchiveTooLarge {
        /// Size of the archive.
        size: u64,
        /// The cap in force.
        cap: u64,
    },
    /// The archive has more entries than the cap.
    #[error("archive has {count} entries, over the cap of {cap}")]
    TooManyEntries {
        /// Entries found in the central directory.
        count: u64,
        /// The cap in force.
        cap: u64,
    },
    /// The declared unpacked size is over the cap.
    #[error("archive unpacks to {size} bytes, over the cap of {cap}")]
    UnpackedTooLarge {
        /// Declared unpacked bytes.
        size: u64,
        /// The cap in force.
        cap: u64,
    },
    /// An entry, or the archive as a whole, compresses better than any honest content does.
    #[error("{name} has a compression ratio of {ratio}:1, over the cap of {cap}:1")]
    RatioTooHigh {
        /// The entry name, or `the archive`.
        name: String,
        /// The ratio, rounded down.
        ratio: u64,
        /// The cap in force.
        cap: u64,
    },

    /// The zip structure is damaged or ambiguous.
    #[error("damaged archive: {0}")]
    Damaged(#[from] Damage),
    /// The archive uses a zip feature that bundles never need.
    #[error("entry {name:?} uses an unsupported zip feature: {feature}")]
    Unsupported {
        /// The entry name.
        name: String,
        /// The feature.
        feature: &'static str,
    },
    /// An entry name that could escape the install directory or is otherwise unsafe.
    #[error("unsafe entry name {name:?}: {reason}")]
    UnsafePath {
        /// The name as stored (lossily decoded).
        name: String,
        /// Why it was refused.
        reason: PathIssue,
    },
    /// An entry that is not a regular file.
    #[error("entry {name:?} is a {kind}; only regular files are allowed")]
    EntryType {
        /// The entry name.
        name: String,
        /// What it is instead.
        kind: &'static str,
    },
    /// Two entries with the same name.
    #[error("duplicate entry {name:?}")]
    DuplicateEntry {
        /// The repeated name.
        name: String,
    },
    /// Two names that are equal after case folding or Unicode normalisation.
    #[error("entries {first:?} and {second:?} collide after case or Unicode folding")]
    NameCollision {
        /// The first name.
        first: String,
        /// The name that collides with it.
        second: String,
    },
    /// An entry inflated to more bytes than it declared.
    #[error("entry {name:?} inflates past its declared size of {declared} bytes")]
    InflatedPastDeclared {
        /// The entry name.
        name: String,
        /// Declared uncompressed size.
        declared: u64,
    },
    /// An entry inflated to fewer bytes than it declared.
    #[error("entry {name:?} inflated to {actual} bytes but declares {declared}")]
    InflatedShort {
        /// The entry name.
        name: String,
        /// Declared uncompressed size.
        declared: u64,
        /// Bytes actually produced.
        actual: u64,
    },

    /// `mpkit/manifest.json` or `mpkit/signatures.json` is absent.
    #[error("bundle has no {0}")]
    MissingMetadata(&'static str),
    /// A JSON document is malformed, has duplicate keys, unknown fields or trailing data.
    #[error("{doc} is not valid: {reason}")]
    Json {
        /// Which document.
        doc: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The manifest parsed but breaks a rule of the format.
    #[error("manifest is invalid: {0}")]
    Manifest(String),

    /// A signature check failed.
    #[error("signature check failed: {0}")]
    Signature(#[from] SignatureFailure),
    /// A key file or key value is unusable.
    #[error("key error: {0}")]
    Key(String),
    /// The trust root is expired, malformed, or a rotation is not properly signed.
    #[error("trust root: {0}")]
    Root(#[from] RootFailure),

    /// The bundle is for another app than the one asked for.
    #[error("expected appId {expected:?}, the bundle is for {actual:?}")]
    AppIdMismatch {
        /// What the caller asked for.
        expected: String,
        /// What the manifest says.
        actual: String,
    },
    /// The bundle is another version than the one asked for.
    #[error("expected version {expected}, the bundle is {actual}")]
    VersionMismatch {
        /// What the caller asked for.
        expected: String,
        /// What the manifest says.
        actual: String,
    },
    /// The archive holds an entry that the manifest does not list.
    #[error("entry {0:?} is not listed in the manifest")]
    UnlistedEntry(String),
    /// The manifest lists a file that the archive does not hold.
    #[error("manifest lists {0:?} but the archive has no such entry")]
    MissingEntry(String),
    /// An entry's size differs from the manifest.
    #[error("entry {name:?} is {actual} bytes but the manifest says {listed}")]
    SizeMismatch {
        /// The entry name.
        name: String,
        /// Size in the manifest.
        listed: u64,
        /// Size in the archive.
        actual: u64,
    },
    /// An entry's sha256 differs from the manifest.
    #[error("entry {0:?} does not match its sha256 in the manifest")]
    HashMismatch(String),

    /// The same appId and version is installed with other content.
    #[error("{app_id} {version} is already installed with different content")]
    VersionConflict {
        /// The app.
        app_id: String,
        /// The version.
        version: String,
    },
    /// A bundle older than the version the store runs, by version or build,
    /// offered without an explicit rollback naming it.
    #[error("{app_id} {version} (build {build}) is older than the installed {current} (build {current_build}); install it as a rollback that names this version")]
    Downgrade {
        /// The app.
        app_id: String,
        /// The offered version.
        version: String,
        /// The offered build.
        build: u64,
        /// The current version.
        current: String,
        /// The current build.
        current_build: u64,
    },
    /// A store lookup found nothing usable.
    #[error("{0} is not installed")]
    NotInstalled(String),
    /// A TypeScript file could not be compiled: `file:line:column: why`.
    #[error("cannot compile {0}")]
    TypeScript(String),
    /// Packing a directory failed.
    #[error("cannot pack {path}: {reason}")]
    Pack {
        /// The offending path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An install was stopped at a simulated crash point (fault injection
    /// in tests; not part of a product build).
    #[cfg(any(test, feature = "fault-injection"))]
    #[error("simulated crash at {0:?}")]
    SimulatedCrash(crate::install::Step),
}

/// Structural damage in a zip archive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Damage {
    /// The file ends before a structure it declares.
    #[error("truncated: {0}")]
    Truncated(&'static str),
    /// No end-of-central-directory record at the very end of the file.
    #[error("no end-of-central-directory record at the end of the file")]
    NoEndRecord,
    /// Bytes before the first entry, between entries, or after the central directory.
    #[error("unaccounted bytes at offset {0}: prepended data, a second archive or a gap")]
    UnaccountedBytes(u64),
    /// Two entries' data ranges overlap, or an entry points back into another.
    #[error("entry {0:?} overlaps another entry")]
    Overlap(String),
    /// A local header disagrees with the central directory.
    #[error("local header of {name:?} disagrees with the central directory on {field}")]
    LocalHeaderMismatch {
        /// The entry name.
        name: String,
        /// Which field differs.
        field: &'static str,
    },
    /// A header field holds a value the canonical framing does not allow.
    #[error("entry {name:?} is not canonically framed: {field}")]
    NonCanonical {
        /// The entry name.
        name: String,
        /// Which field.
        field: &'static str,
    },
    /// A record has the wrong signature.
    #[error("bad record signature at offset {0}")]
    BadSignature(u64),
    /// The central directory's own counts or bounds are inconsistent.
    #[error("central directory is inconsistent: {0}")]
    CentralDirectory(&'static str),
    /// An entry's CRC-32 does not match its data.
    #[error("bad CRC-32 in entry {0:?}")]
    BadCrc(String),
    /// Deflate data is corrupt.
    #[error("corrupt deflate data in entry {0:?}")]
    BadDeflate(String),
}

/// Why an entry name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathIssue {
    /// Empty name or empty component.
    #[error("empty name or component")]
    Empty,
    /// A `..` or `.` component.
    #[error("parent or current directory component")]
    DotComponent,
    /// Starts with `/` or `\`.
    #[error("absolute path")]
    Absolute,
    /// A Windows drive or UNC prefix.
    #[error("drive or UNC prefix")]
    DrivePrefix,
    /// A backslash, which some platforms treat as a separator.
    #[error("backslash in name")]
    Backslash,
    /// NUL or another control character.
    #[error("NUL or control character")]
    ControlChar,
    /// Not valid UTF-8.
    #[error("not valid UTF-8")]
    NotUtf8,
    /// More components than allowed.
    #[error("more than {} path components", crate::path::MAX_COMPONENTS)]
    TooDeep,
    /// Longer than allowed.
    #[error("longer than {} bytes", crate::path::MAX_NAME_BYTES)]
    TooLong,
    /// A name that Windows reserves, or one ending in a dot or space.
    #[error("reserved or ambiguous name on some platforms")]
    Reserved,
    /// Names under `mpkit/` are reserved for the bundle's own metadata.
    #[error("the mpkit/ folder is reserved")]
    ReservedFolder,
}

/// Why a signature check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureFailure {
    /// No signature at all.
    #[error("no signatures")]
    Unsigned,
    /// A signature from a key the trust anchor does not know for that role.
    #[error("signed by key {key_id} which is not trusted for role {role}")]
    UntrustedKey {
        /// The signing key's id.
        key_id: String,
        /// The role it claimed.
        role: String,
    },
    /// A trusted key's signature does not verify (tampering, non-canonical encoding, weak key).
    #[error("signature by key {key_id} does not verify")]
    Invalid {
        /// The signing key's id.
        key_id: String,
    },
    /// Too few valid signatures for the role.
    #[error("role {role} needs {need} valid signatures, found {have}")]
    ThresholdNotMet {
        /// The role.
        role: String,
        /// Valid signatures found.
        have: usize,
        /// The threshold.
        need: usize,
    },
    /// A signature record is malformed.
    #[error("malformed signature record: {0}")]
    Malformed(String),
}

/// Why a trust root was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RootFailure {
    /// The root's expiry has passed.
    #[error("root version {version} expired at {expires}")]
    Expired {
        /// The root's version.
        version: u64,
        /// When it expired (RFC 3339).
        expires: String,
    },
    /// A rotation that skips or repeats a version.
    #[error("rotation from version {from} to {to}: versions must increase by exactly one")]
    VersionGap {
        /// The trusted version.
        from: u64,
        /// The offered version.
        to: u64,
    },
    /// A rotation lacking the threshold of the old or the new root keys.
    #[error("rotation to version {version} is not signed by a threshold of the {which} root keys: {failure}")]
    RotationNotSigned {
        /// The offered version.
        version: u64,
        /// `old` or `new`.
        which: &'static str,
        /// The underlying failure.
        failure: SignatureFailure,
    },
    /// A structural problem: missing role, bad threshold, key id mismatch.
    #[error("{0}")]
    Invalid(String),
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

impl Error {
    /// A stable, machine-readable code for this error (used in `--json` output).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Io { .. } => "io",
            Error::ArchiveTooLarge { .. } => "archive_too_large",
            Error::TooManyEntries { .. } => "too_many_entries",
            Error::UnpackedTooLarge { .. } => "unpacked_too_large",
            Error::RatioTooHigh { .. } => "ratio_too_high",
            Error::Damaged(_) => "damaged_archive",
            Error::Unsupported { .. } => "unsupported_zip_feature",
            Error::UnsafePath { .. } => "unsafe_path",
            Error::EntryType { .. } => "entry_type",
            Error::DuplicateEntry { .. } => "duplicate_entry",
            Error::NameCollision { .. } => "name_collision",
            Error::InflatedPastDeclared { .. } => "inflated_past_declared",
            Error::InflatedShort { .. } => "inflated_short",
            Error::MissingMetadata(_) => "missing_metadata",
            Error::Json { .. } => "invalid_json",
            Error::Manifest(_) => "invalid_manifest",
            Error::Signature(_) => "signature",
            Error::Key(_) => "key",
            Error::Root(_) => "trust_root",
            Error::AppIdMismatch { .. } => "app_id_mismatch",
            Error::VersionMismatch { .. } => "version_mismatch",
            Error::UnlistedEntry(_) => "unlisted_entry",
            Error::MissingEntry(_) => "missing_entry",
            Error::SizeMismatch { .. } => "size_mismatch",
            Error::HashMismatch(_) => "hash_mismatch",
            Error::VersionConflict { .. } => "version_conflict",
            Error::Downgrade { .. } => "downgrade",
            Error::NotInstalled(_) => "not_installed",
            Error::Pack { .. } => "pack",
            Error::TypeScript(_) => "typescript",
            #[cfg(any(test, feature = "fault-injection"))]
            Error::SimulatedCrash(_) => "simulated_crash",
        }
    }
}
