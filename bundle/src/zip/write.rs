//! A small zip writer: deterministic output for the packer, and raw control
//! over every field so tests can build hostile archives.

use super::{
    Method, CENTRAL_SIG, DOS_DATE, END_SIG, FLAGS_UTF8, LOCAL_SIG, MADE_BY_UNIX, REGULAR_FILE,
    VERSION_NEEDED,
};
use std::io::Write;

/// One entry with every field under the caller's control.
#[derive(Debug, Clone)]
pub(crate) struct RawEntry {
    pub(crate) name: Vec<u8>,
    pub(crate) method: u16,
    pub(crate) flags: u16,
    pub(crate) crc32: u32,
    pub(crate) compressed: Vec<u8>,
    pub(crate) size: u32,
    pub(crate) made_by: u16,
    pub(crate) external: u32,
    pub(crate) extra: Vec<u8>,
}

impl RawEntry {
    /// An honest entry for `data`, compressed when that saves space.
    pub(crate) fn file(name: &str, data: &[u8], method: Method) -> RawEntry {
        let (method, compressed) = match method {
            Method::Stored => (Method::Stored, data.to_vec()),
            Method::Deflated => {
                let deflated = deflate(data);
                if deflated.len() < data.len() {
                    (Method::Deflated, deflated)
                } else {
                    (Method::Stored, data.to_vec())
                }
            }
        };
        RawEntry {
            name: name.as_bytes().to_vec(),
            method: method.code(),
            flags: FLAGS_UTF8,
            crc32: crc32fast::hash(data),
            compressed,
            size: data.len() as u32,
            made_by: MADE_BY_UNIX,
            external: REGULAR_FILE,
            extra: Vec::new(),
        }
    }
}

/// Raw deflate at the default level.
pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// Builds an archive in memory.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u16,
}

impl Writer {
    pub(crate) fn new() -> Writer {
        Writer::default()
    }

    /// Appends an entry; its local header records exactly the central fields.
    pub(crate) fn add(&mut self, e: &RawEntry) {
        self.add_with_local(e, e);
    }

    /// Appends an entry whose local header may disagree with the central record.
    pub(crate) fn add_with_local(&mut self, central: &RawEntry, local: &RawEntry) {
        let offset = self.out.len() as u32;
        self.local_header(local);
        self.out.extend_from_slice(&local.compressed);
        self.central_record(central, offset);
    }

    /// Adds a central record pointing at `offset` without writing any data
    /// (for overlapping-entry tests).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn add_central_only(&mut self, e: &RawEntry, offset: u32) {
        self.central_record(e, offset);
    }

    /// Appends raw bytes where the next local header would go.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn push_raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    fn local_header(&mut self, e: &RawEntry) {
        let o = &mut self.out;
        o.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        o.extend_from_slice(&VERSION_NEEDED.to_le_bytes());
        o.extend_from_slice(&e.flags.to_le_bytes());
        o.extend_from_slice(&e.method.to_le_bytes());
        o.extend_from_slice(&0u16.to_le_bytes());
        o.extend_from_slice(&DOS_DATE.to_le_bytes());
        o.extend_from_slice(&e.crc32.to_le_bytes());
        o.extend_from_slice(&(e.compressed.len() as u32).to_le_bytes());
        o.extend_from_slice(&e.size.to_le_bytes());
        o.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        o.extend_from_slice(&(e.extra.len() as u16).to_le_bytes());
        o.extend_from_slice(&e.name);
        o.extend_from_slice(&e.extra);
    }

    fn central_record(&mut self, e: &RawEntry, offset: u32) {
        let c = &mut self.central;
        c.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        c.extend_from_slice(&e.made_by.to_le_bytes());
        c.extend_from_slice(&VERSION_NEEDED.to_le_bytes());
        c.extend_from_slice(&e.flags.to_le_bytes());
        c.extend_from_slice(&e.method.to_le_bytes());
        c.extend_from_slice(&0u16.to_le_bytes());
        c.extend_from_slice(&DOS_DATE.to_le_bytes());
        c.extend_from_slice(&e.crc32.to_le_bytes());
        c.extend_from_slice(&(e.compressed.len() as u32).to_le_bytes());
        c.extend_from_slice(&e.size.to_le_bytes());
        c.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        c.extend_from_slice(&(e.extra.len() as u16).to_le_bytes());
        c.extend_from_slice(&0u16.to_le_bytes()); // comment
        c.extend_from_slice(&0u16.to_le_bytes()); // disk
        c.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        c.extend_from_slice(&e.external.to_le_bytes());
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(&e.name);
        c.extend_from_slice(&e.extra);
        self.count += 1;
    }

    /// Current length of the data area.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn offset(&self) -> u32 {
        self.out.len() as u32
    }

    /// Writes the central directory and the end record.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let cd_offset = self.out.len() as u32;
        let cd_size = self.central.len() as u32;
        self.out.extend_from_slice(&self.central);
        let o = &mut self.out;
        o.extend_from_slice(&END_SIG.to_le_bytes());
        o.extend_from_slice(&0u16.to_le_bytes());
        o.extend_from_slice(&0u16.to_le_bytes());
        o.extend_from_slice(&self.count.to_le_bytes());
        o.extend_from_slice(&self.count.to_le_bytes());
        o.extend_from_slice(&cd_size.to_le_bytes());
        o.extend_from_slice(&cd_offset.to_le_bytes());
        o.extend_from_slice(&0u16.to_le_bytes());
        self.out
    }
}
