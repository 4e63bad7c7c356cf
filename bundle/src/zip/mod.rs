//! Our own zip reader and writer.
//!
//! We do not use a general zip library for reading because the security argument
//! needs a reader that refuses everything ambiguous: the archive must tile the file
//! exactly (first local header at offset 0, entries back to back, the central
//! directory right after the last one, and the end record as the last 22 bytes).
//! That single rule defeats prepended data, concatenated archives, second end
//! records and overlapping entries (non-recursive bombs). Inflation is capped at
//! each entry's declared size and checked against its CRC-32. Every header field
//! the packer fixes (timestamps, modes, versions, flags) must hold exactly that
//! value, so a bundle's bytes are canonical: flipping any byte is refused.

mod read;
mod write;

pub(crate) use read::{Archive, Limits};
pub(crate) use write::{RawEntry, Writer};

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const END_SIG: u32 = 0x0605_4b50;
pub(crate) const END_LEN: usize = 22;
pub(crate) const LOCAL_LEN: usize = 30;

// Canonical framing: the only values a bundle's headers may hold.
/// MS-DOS date for 1980-01-01 (time 0): bundles carry no timestamps.
pub(crate) const DOS_DATE: u16 = (1 << 5) | 1;
/// "Made by" Unix, spec 2.0: the high half of the external attributes is st_mode.
pub(crate) const MADE_BY_UNIX: u16 = (3 << 8) | 20;
/// Spec 2.0 is enough for stored and deflate.
pub(crate) const VERSION_NEEDED: u16 = 20;
/// Bit 11: names are UTF-8.
pub(crate) const FLAGS_UTF8: u16 = 0x0800;
/// A regular file, rw-r--r--.
pub(crate) const REGULAR_FILE: u32 = 0o100_644 << 16;

/// Compression methods a bundle may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Stored,
    Deflated,
}

impl Method {
    pub(crate) fn code(self) -> u16 {
        match self {
            Method::Stored => 0,
            Method::Deflated => 8,
        }
    }
}
