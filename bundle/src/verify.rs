//! The verification pipeline, in the order the format requires:
//! size caps, then the manifest signature (before any file is inflated), then the
//! caller's appId and version, then the exact file listing, then every file's hash.

use crate::error::{Error, Result, SignatureFailure};
use crate::keys::{Context, KeyId, PublicKey};
use crate::manifest::{Expected, FileEntry, Manifest, MANIFEST_PATH, SIGNATURES_PATH};
use crate::trust::{check_threshold, Claim, Role, SignatureFile, TrustedRoot};
use crate::zip::{Archive, Limits};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Host-side caps, checked before anything is inflated. A bundle's own manifest
/// totals are held to these too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Largest archive file accepted.
    pub max_archive_bytes: u64,
    /// Most entries accepted.
    pub max_entries: u64,
    /// Most bytes the entries may declare in total.
    pub max_unpacked_bytes: u64,
    /// Highest uncompressed:compressed ratio for large entries and the whole archive.
    pub max_ratio: u64,
    /// Largest manifest or signature file.
    pub max_metadata_bytes: u64,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps {
            max_archive_bytes: 32 * 1024 * 1024,
            max_entries: 10_000,
            max_unpacked_bytes: 128 * 1024 * 1024,
            max_ratio: 100,
            max_metadata_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Whom to believe about a bundle.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Trust {
    /// Production: a threshold of the root's publisher keys must sign the manifest.
    Root(TrustedRoot),
    /// Preview and dev mode: any one of these explicitly passed keys.
    Developer(Vec<PublicKey>),
}

/// A bundle whose signature, identity and listing have been checked.
/// File contents are checked as they are streamed out.
#[derive(Debug)]
pub struct Verified<'a> {
    archive: Archive<'a>,
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    signatures_bytes: Vec<u8>,
    signers: Vec<KeyId>,
}

/// Checks `bytes` up to the point where files can be extracted.
pub fn open<'a>(
    bytes: &'a [u8],
    trust: &Trust,
    expected: &Expected,
    caps: &Caps,
) -> Result<Verified<'a>> {
    // 1. Size caps.
    let archive = parse_capped(bytes, caps)?;

    // 2. The signature over the exact manifest bytes; nothing else is inflated yet.
    let manifest_entry = archive
        .find(MANIFEST_PATH)
        .ok_or(Error::MissingMetadata(MANIFEST_PATH))?;
    let signatures_entry = archive
        .find(SIGNATURES_PATH)
        .ok_or(Error::MissingMetadata(SIGNATURES_PATH))?;
    let manifest_bytes = archive.read_small(manifest_entry, caps.max_metadata_bytes)?;
    let signatures_bytes = archive.read_small(signatures_entry, caps.max_metadata_bytes)?;
    let sigs = SignatureFile::parse(&signatures_bytes)?;
    let signers = check_manifest_signatures(trust, &manifest_bytes, &sigs)?;

    // Only signed bytes reach the manifest parser.
    let manifest = Manifest::parse(&manifest_bytes)?;

    // 3. The bundle is what the caller asked for.
    expected.check(&manifest)?;
    if manifest.limits.unpacked_bytes > caps.max_unpacked_bytes {
        return Err(Error::UnpackedTooLarge {
            size: manifest.limits.unpacked_bytes,
            cap: caps.max_unpacked_bytes,
        });
    }

    // 4. The archive holds exactly the listed files, at the listed sizes.
    for e in archive.entries() {
        if e.name == MANIFEST_PATH || e.name == SIGNATURES_PATH {
            continue;
        }
        let listed = manifest
            .file(&e.name)
            .ok_or_else(|| Error::UnlistedEntry(e.name.clone()))?;
        if listed.size != e.size {
            return Err(Error::SizeMismatch {
                name: e.name.clone(),
                listed: listed.size,
                actual: e.size,
            });
        }
    }
    for f in &manifest.files {
        if archive.find(&f.path).is_none() {
            return Err(Error::MissingEntry(f.path.clone()));
        }
    }
    Ok(Verified {
        archive,
        manifest,
        manifest_bytes,
        signatures_bytes,
        signers,
    })
}

/// Applies the size caps and parses the zip structure; nothing is inflated.
pub(crate) fn parse_capped<'a>(bytes: &'a [u8], caps: &Caps) -> Result<Archive<'a>> {
    let size = bytes.len() as u64;
    if size > caps.max_archive_bytes {
        return Err(Error::ArchiveTooLarge {
            size,
            cap: caps.max_archive_bytes,
        });
    }
    Archive::parse(
        bytes,
        &Limits {
            max_entries: caps.max_entries,
            max_unpacked_bytes: caps.max_unpacked_bytes,
            max_ratio: caps.max_ratio,
        },
    )
}

fn check_manifest_signatures(
    trust: &Trust,
    manifest: &[u8],
    sigs: &SignatureFile,
) -> Result<Vec<KeyId>> {
    let ids = |s: &SignatureFile| {
        s.signatures
            .iter()
            .map(|r| r.key_id.clone())
            .collect::<Vec<_>>()
    };
    match trust {
        Trust::Root(root) => {
            root.check_signed(
                Role::Publisher,
                Context::Manifest,
                manifest,
                &sigs.signatures,
            )?;
            let (keys, _) = root.role_keys(Role::Publisher);
            Ok(ids(sigs)
                .into_iter()
                .filter(|id| keys.contains_key(id))
                .collect())
        }
        Trust::Developer(keys) => {
            let allowed: BTreeMap<KeyId, PublicKey> =
                keys.iter().map(|k| (k.id().clone(), k.clone())).collect();
            if allowed.is_empty() {
                return Err(SignatureFailure::ThresholdNotMet {
                    role: Role::Developer.to_string(),
                    have: 0,
                    need: 1,
                }
                .into());
            }
            // Explicitly trusted keys count whatever role they claim.
            let claims: Vec<Claim<'_>> = sigs
                .signatures
                .iter()
                .map(|s| Claim {
                    key_id: &s.key_id,
                    role: None,
                    sig_hex: &s.sig,
                })
                .collect();
            check_threshold(
                Role::Developer,
                &allowed,
                1,
                &claims,
                Context::Manifest,
                manifest,
            )?;
            Ok(ids(sigs)
                .into_iter()
                .filter(|id| allowed.contains_key(id))
                .collect())
        }
    }
}

impl Verified<'_> {
    /// The verified manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The exact signed manifest bytes.
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// The exact signatures file bytes.
    pub fn signatures_bytes(&self) -> &[u8] {
        &self.signatures_bytes
    }

    /// Ids of the trusted keys whose signatures verified.
    pub fn signers(&self) -> &[KeyId] {
        &self.signers
    }

    /// Inflates every file and checks its sha256, writing nothing.
    pub fn check_contents(&self) -> Result<()> {
        for f in &self.manifest.files {
            self.stream_file(f, &mut |_| Ok(()))?;
        }
        Ok(())
    }

    /// Every listed file's bytes, each checked against its sha256 (the
    /// platform re-packages verified uploads with them). Memory is bounded by
    /// the caps the bundle was opened with.
    pub fn read_files(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut out = Vec::with_capacity(self.manifest.files.len());
        for f in &self.manifest.files {
            let mut buf = Vec::with_capacity(f.size as usize);
            self.stream_file(f, &mut |chunk| {
                buf.extend_from_slice(chunk);
                Ok(())
            })?;
            out.push((f.path.clone(), buf));
        }
        Ok(out)
    }

    /// Streams one listed file to `sink`, then checks its sha256. On error the
    /// caller must discard what the sink received.
    pub(crate) fn stream_file(
        &self,
        file: &FileEntry,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let entry = self
            .archive
            .find(&file.path)
            .ok_or_else(|| Error::MissingEntry(file.path.clone()))?;
        let mut hasher = Sha256::new();
        self.archive.inflate(entry, &mut |chunk| {
            hasher.update(chunk);
            sink(chunk)
        })?;
        if hex::encode(hasher.finalize()) != file.sha256 {
            return Err(Error::HashMismatch(file.path.clone()));
        }
        Ok(())
    }
}

/// Checks a manifest and its signatures held outside an archive (an installed
/// tree), and parses the manifest.
pub fn check_detached(
    manifest_bytes: &[u8],
    signatures_bytes: &[u8],
    trust: &Trust,
) -> Result<Manifest> {
    let sigs = SignatureFile::parse(signatures_bytes)?;
    check_manifest_signatures(trust, manifest_bytes, &sigs)?;
    Manifest::parse(manifest_bytes)
}

/// What `mpkit inspect` shows: the archive's structure and its claims, checked
/// for structure but **not** for trust.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The manifest as claimed (parsed strictly, signature not checked).
    pub manifest: Manifest,
    /// The signature records as claimed.
    pub signatures: SignatureFile,
    /// Archive size in bytes.
    pub archive_bytes: u64,
    /// Number of zip entries, metadata included.
    pub entries: usize,
}

/// Reads a bundle's structure and claims without a trust anchor. Nothing here
/// says the bundle is genuine; use [`open`] for that.
pub fn inspect(bytes: &[u8], caps: &Caps) -> Result<Inspection> {
    let archive = parse_capped(bytes, caps)?;
    let read = |name: &'static str| -> Result<Vec<u8>> {
        let e = archive.find(name).ok_or(Error::MissingMetadata(name))?;
        archive.read_small(e, caps.max_metadata_bytes)
    };
    Ok(Inspection {
        manifest: Manifest::parse(&read(MANIFEST_PATH)?)?,
        signatures: SignatureFile::parse(&read(SIGNATURES_PATH)?)?,
        archive_bytes: bytes.len() as u64,
        entries: archive.entries().len(),
    })
}
