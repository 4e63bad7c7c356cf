//! The strict zip reader.

use super::{
    Method, CENTRAL_SIG, DOS_DATE, END_LEN, END_SIG, FLAGS_UTF8, LOCAL_LEN, LOCAL_SIG,
    MADE_BY_UNIX, REGULAR_FILE, VERSION_NEEDED,
};
use crate::error::{Damage, Error, Result};
use crate::path;
use std::collections::{BTreeMap, HashSet};

/// Caps applied while reading the central directory, before anything is inflated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_entries: u64,
    pub(crate) max_unpacked_bytes: u64,
    pub(crate) max_ratio: u64,
}

/// Entries larger than this are held to the compression-ratio cap one by one;
/// smaller ones are too small to matter and compress well legitimately.
const RATIO_MIN_ENTRY: u64 = 64 * 1024;
/// The archive as a whole is held to the ratio cap past this many unpacked bytes.
const RATIO_MIN_TOTAL: u64 = 1024 * 1024;

/// One regular-file entry, checked against its local header.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) method: Method,
    pub(crate) crc32: u32,
    pub(crate) compressed: u64,
    pub(crate) size: u64,
    data_start: usize,
}

/// A parsed archive over borrowed bytes. Nothing has been inflated yet.
#[derive(Debug)]
pub(crate) struct Archive<'a> {
    data: &'a [u8],
    entries: Vec<Entry>,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    fn new(data: &'a [u8], pos: usize, what: &'static str) -> Self {
        Cursor { data, pos, what }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or(Damage::Truncated(self.what))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// What the central directory says of one entry.
struct Central<'a> {
    flags: u16,
    method: u16,
    crc32: u32,
    compressed: u32,
    size: u32,
    name_raw: &'a [u8],
    local_offset: u32,
}

impl<'a> Archive<'a> {
    /// Parses and cross-checks the whole structure. Fails on the first problem.
    pub(crate) fn parse(data: &'a [u8], limits: &Limits) -> Result<Archive<'a>> {
        if data.len() < END_LEN {
            return Err(Damage::Truncated("end of central directory").into());
        }
        let end_at = data.len() - END_LEN;
        let mut end = Cursor::new(data, end_at, "end of central directory");
        if end.u32()? != END_SIG {
            return Err(Damage::NoEndRecord.into());
        }
        let disk = end.u16()?;
        let cd_disk = end.u16()?;
        let here = end.u16()?;
        let total = end.u16()?;
        let cd_size = end.u32()?;
        let cd_offset = end.u32()?;
        let comment_len = end.u16()?;
        if comment_len != 0 {
            return Err(Damage::CentralDirectory("archive comment").into());
        }
        if disk != 0 || cd_disk != 0 || here != total {
            return Err(unsupported("(archive)", "multi-disk archive"));
        }
        if total == u16::MAX || cd_size == u32::MAX || cd_offset == u32::MAX {
            return Err(unsupported("(archive)", "zip64"));
        }
        if u64::from(total) > limits.max_entries {
            return Err(Error::TooManyEntries {
                count: total.into(),
                cap: limits.max_entries,
            });
        }
        let cd_end = cd_offset as u64 + cd_size as u64;
        if cd_end < end_at as u64 {
            // Bytes sit between the central directory and the end record: a second
            // end record, or an archive whose offsets were not shifted for a prefix.
            return Err(Damage::UnaccountedBytes(cd_end).into());
        }
        if cd_end > end_at as u64 {
            return Err(Damage::CentralDirectory("directory runs past the end record").into());
        }

        let mut cd = Cursor::new(&data[..end_at], cd_offset as usize, "central directory");
        let mut centrals = Vec::with_capacity(total as usize);
        for _ in 0..total {
            centrals.push(read_central(&mut cd)?);
        }
        if cd.pos != end_at {
            return Err(Damage::CentralDirectory("entry count does not fill the directory").into());
        }

        let mut names = HashSet::with_capacity(centrals.len());
        let mut folded: BTreeMap<String, String> = BTreeMap::new();
        let mut unpacked: u64 = 0;
        let mut by_offset: Vec<(u32, usize)> = Vec::with_capacity(centrals.len());
        let mut entries = Vec::with_capacity(centrals.len());
        for (i, c) in centrals.iter().enumerate() {
            let name = String::from_utf8_lossy(c.name_raw).into_owned();
            let method = match c.method {
                0 => Method::Stored,
                8 => Method::Deflated,
                _ => {
                    return Err(unsupported(
                        &name,
                        "compression method other than stored or deflate",
                    ))
                }
            };
            if method == Method::Stored && c.compressed != c.size {
                return Err(Damage::CentralDirectory("stored entry with differing sizes").into());
            }
            if !names.insert(c.name_raw) {
                return Err(Error::DuplicateEntry { name });
            }
            let key = path::fold(&name);
            if let Some(first) = folded.get(&key) {
                return Err(Error::NameCollision {
                    first: first.clone(),
                    second: name,
                });
            }
            folded.insert(key, name.clone());

            let size = u64::from(c.size);
            let compressed = u64::from(c.compressed);
            unpacked += size;
            if unpacked > limits.max_unpacked_bytes {
                return Err(Error::UnpackedTooLarge {
                    size: unpacked,
                    cap: limits.max_unpacked_bytes,
                });
            }
            if size >= RATIO_MIN_ENTRY && (compressed == 0 || size / compressed > limits.max_ratio)
            {
                return Err(Error::RatioTooHigh {
                    ratio: size.checked_div(compressed).unwrap_or(u64::MAX),
                    name,
                    cap: limits.max_ratio,
                });
            }
            by_offset.push((c.local_offset, i));
            entries.push(Entry {
                name,
                method,
                crc32: c.crc32,
                compressed,
                size,
                data_start: 0,
            });
        }
        let archive_len = data.len() as u64;
        if unpacked >= RATIO_MIN_TOTAL && unpacked / archive_len > limits.max_ratio {
            return Err(Error::RatioTooHigh {
                name: "the archive".into(),
                ratio: unpacked / archive_len,
                cap: limits.max_ratio,
            });
        }

        // The entries must tile [0, cd_offset) exactly, in offset order.
        by_offset.sort_unstable();
        let mut expected: u64 = 0;
        for (offset, i) in by_offset {
            let offset = u64::from(offset);
            let c = &centrals[i];
            let name = &entries[i].name;
            if offset < expected {
                return Err(Damage::Overlap(name.clone()).into());
            }
            if offset > expected {
                return Err(Damage::UnaccountedBytes(expected).into());
            }
            let data_start = check_local(data, offset as usize, c, name)?;
            let data_end = data_start as u64 + entries[i].compressed;
            if data_end > u64::from(cd_offset) {
                return Err(Damage::Overlap(name.clone()).into());
            }
            entries[i].data_start = data_start;
            expected = data_end;
        }
        if expected != u64::from(cd_offset) {
            return Err(Damage::UnaccountedBytes(expected).into());
        }
        Ok(Archive { data, entries })
    }

    /// Entries in central-directory order.
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Finds an entry by exact name.
    pub(crate) fn find(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Inflates `entry`, handing at most its declared size to `sink`, and checks
    /// its length and CRC-32. The sink sees data before the CRC is known: callers
    /// write only into staging and discard it on error.
    pub(crate) fn inflate(
        &self,
        entry: &Entry,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let raw = &self.data[entry.data_start..entry.data_start + entry.compressed as usize];
        let mut crc = crc32fast::Hasher::new();
        match entry.method {
            Method::Stored => {
                crc.update(raw);
                sink(raw)?;
            }
            Method::Deflated => inflate_capped(raw, entry, &mut crc, sink)?,
        }
        if crc.finalize() != entry.crc32 {
            return Err(Damage::BadCrc(entry.name.clone()).into());
        }
        Ok(())
    }

    /// Inflates a small entry into memory, refusing it past `cap` bytes.
    pub(crate) fn read_small(&self, entry: &Entry, cap: u64) -> Result<Vec<u8>> {
        if entry.size > cap {
            return Err(Error::UnpackedTooLarge {
                size: entry.size,
                cap,
            });
        }
        let mut out = Vec::with_capacity(entry.size as usize);
        self.inflate(entry, &mut |b| {
            out.extend_from_slice(b);
            Ok(())
        })?;
        Ok(out)
    }
}

fn inflate_capped(
    raw: &[u8],
    entry: &Entry,
    crc: &mut crc32fast::Hasher,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    use flate2::{Decompress, FlushDecompress, Status};
    let bad = || Error::from(Damage::BadDeflate(entry.name.clone()));
    let mut z = Decompress::new(false);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let produced_before = z.total_out();
        // One byte of room past the declared size is enough to notice an overflow.
        let room = (entry.size + 1 - produced_before).min(buf.len() as u64) as usize;
        let consumed = z.total_in() as usize;
        let status = z
            .decompress(&raw[consumed..], &mut buf[..room], FlushDecompress::None)
            .map_err(|_| bad())?;
        let n = (z.total_out() - produced_before) as usize;
        if z.total_out() > entry.size {
            return Err(Error::InflatedPastDeclared {
                name: entry.name.clone(),
                declared: entry.size,
            });
        }
        crc.update(&buf[..n]);
        sink(&buf[..n])?;
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError => {
                if n == 0 && z.total_in() as usize == consumed {
                    // No progress: the input ended before the stream did.
                    return Err(bad());
                }
            }
        }
    }
    if z.total_in() != raw.len() as u64 {
        // Data hidden after the end of the deflate stream.
        return Err(bad());
    }
    if z.total_out() != entry.size {
        return Err(Error::InflatedShort {
            name: entry.name.clone(),
            declared: entry.size,
            actual: z.total_out(),
        });
    }
    Ok(())
}

fn unsupported(name: &str, feature: &'static str) -> Error {
    Error::Unsupported {
        name: name.to_owned(),
        feature,
    }
}

fn read_central<'a>(cd: &mut Cursor<'a>) -> Result<Central<'a>> {
    let at = cd.pos as u64;
    if cd.u32()? != CENTRAL_SIG {
        return Err(Damage::BadSignature(at).into());
    }
    let made_by = cd.u16()?;
    let needed = cd.u16()?;
    let flags = cd.u16()?;
    let method = cd.u16()?;
    let mtime = cd.u16()?;
    let mdate = cd.u16()?;
    let crc32 = cd.u32()?;
    let compressed = cd.u32()?;
    let size = cd.u32()?;
    let name_len = cd.u16()? as usize;
    let extra_len = cd.u16()? as usize;
    let comment_len = cd.u16()? as usize;
    let disk_start = cd.u16()?;
    let internal = cd.u16()?;
    let external = cd.u32()?;
    let local_offset = cd.u32()?;
    let name_raw = cd.take(name_len)?;
    let extra = cd.take(extra_len)?;
    cd.take(comment_len)?;

    let lossy = String::from_utf8_lossy(name_raw).into_owned();
    if compressed == u32::MAX || size == u32::MAX || local_offset == u32::MAX {
        return Err(unsupported(&lossy, "zip64"));
    }
    check_type(&lossy, made_by, external)?;
    if flags & 0x0001 != 0 || flags & 0x0040 != 0 {
        return Err(unsupported(&lossy, "encryption"));
    }
    if flags & 0x0008 != 0 {
        return Err(unsupported(&lossy, "data descriptor"));
    }
    check_extra(&lossy, extra)?;
    path::check_raw(name_raw).map_err(|reason| Error::UnsafePath {
        name: lossy.clone(),
        reason,
    })?;
    // Canonical framing: every field the packer fixes must hold exactly its value,
    // so that no byte of a bundle can change without the change being refused.
    let canonical = [
        (made_by == MADE_BY_UNIX, "version made by"),
        (needed == VERSION_NEEDED, "version needed"),
        (flags == FLAGS_UTF8, "flags"),
        (mtime == 0 && mdate == DOS_DATE, "timestamp"),
        (comment_len == 0, "entry comment"),
        (
            disk_start == 0 && internal == 0,
            "disk or internal attributes",
        ),
        (external == REGULAR_FILE, "file mode"),
        (extra.is_empty(), "extra field"),
    ];
    if let Some((_, field)) = canonical.iter().find(|(ok, _)| !ok) {
        return Err(Damage::NonCanonical { name: lossy, field }.into());
    }
    Ok(Central {
        flags,
        method,
        crc32,
        compressed,
        size,
        name_raw,
        local_offset,
    })
}

/// Refuses directories, links, devices, FIFOs and sockets.
fn check_type(name: &str, made_by: u16, external: u32) -> Result<()> {
    let entry_type = |kind| Error::EntryType {
        name: name.to_owned(),
        kind,
    };
    if name.ends_with('/') || external & 0x10 != 0 {
        return Err(entry_type("directory"));
    }
    let host = made_by >> 8;
    // Unix (3) and macOS (19) keep st_mode in the high half.
    if host == 3 || host == 19 {
        match (external >> 16) & 0o170_000 {
            0 | 0o100_000 => {}
            0o040_000 => return Err(entry_type("directory")),
            0o120_000 => return Err(entry_type("symbolic link")),
            0o020_000 => return Err(entry_type("character device")),
            0o060_000 => return Err(entry_type("block device")),
            0o010_000 => return Err(entry_type("FIFO")),
            0o140_000 => return Err(entry_type("socket")),
            _ => return Err(entry_type("file of unknown type")),
        }
    }
    Ok(())
}

/// Walks extra fields: zip64 is unsupported, and link data marks a hard link.
fn check_extra(name: &str, mut extra: &[u8]) -> Result<()> {
    while !extra.is_empty() {
        if extra.len() < 4 {
            return Err(Damage::CentralDirectory("truncated extra field").into());
        }
        let id = u16::from_le_bytes([extra[0], extra[1]]);
        let len = u16::from_le_bytes([extra[2], extra[3]]) as usize;
        let body = extra
            .get(4..4 + len)
            .ok_or(Damage::CentralDirectory("truncated extra field"))?;
        match id {
            0x0001 => return Err(unsupported(name, "zip64")),
            // PKWARE Unix: after 12 fixed bytes comes the target of a hard or symbolic link.
            0x000d if body.len() > 12 => {
                return Err(Error::EntryType {
                    name: name.to_owned(),
                    kind: "hard link",
                })
            }
            _ => {}
        }
        extra = &extra[4 + len..];
    }
    Ok(())
}

/// Checks the local header at `offset` against the central record and returns where data starts.
fn check_local(data: &[u8], offset: usize, c: &Central<'_>, name: &str) -> Result<usize> {
    let mismatch = |field| Damage::LocalHeaderMismatch {
        name: name.to_owned(),
        field,
    };
    let mut l = Cursor::new(data, offset, "local header");
    if l.u32()? != LOCAL_SIG {
        return Err(Damage::BadSignature(offset as u64).into());
    }
    if l.u16()? != VERSION_NEEDED {
        return Err(mismatch("version needed").into());
    }
    if l.u16()? != c.flags {
        return Err(mismatch("flags").into());
    }
    if l.u16()? != c.method {
        return Err(mismatch("compression method").into());
    }
    if l.u16()? != 0 || l.u16()? != DOS_DATE {
        return Err(mismatch("timestamp").into());
    }
    if l.u32()? != c.crc32 {
        return Err(mismatch("CRC-32").into());
    }
    if l.u32()? != c.compressed {
        return Err(mismatch("compressed size").into());
    }
    if l.u32()? != c.size {
        return Err(mismatch("uncompressed size").into());
    }
    let name_len = l.u16()? as usize;
    let extra_len = l.u16()? as usize;
    if l.take(name_len)? != c.name_raw {
        return Err(mismatch("name").into());
    }
    let extra = l.take(extra_len)?;
    check_extra(name, extra)?;
    if !extra.is_empty() {
        return Err(mismatch("extra field").into());
    }
    debug_assert!(l.pos == offset + LOCAL_LEN + name_len + extra_len);
    Ok(l.pos)
}
