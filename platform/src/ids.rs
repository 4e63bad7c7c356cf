//! Ids and tokens.

use crate::now;

/// A random id: 16 bytes, hex.
pub(crate) fn new_id() -> String {
    let mut b = [0u8; 16];
    // getrandom only fails when the OS has no entropy source at all.
    if getrandom::getrandom(&mut b).is_err() {
        b = (now() as u128 ^ (std::process::id() as u128) << 64).to_le_bytes();
    }
    hex::encode(b)
}

pub(crate) fn new_token() -> String {
    format!("mpk_{}{}", new_id(), new_id())
}

/// An id that sorts in creation order (nanoseconds, strictly increasing in
/// this process), then random bits.
pub(crate) fn ordered_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let t = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
    let n = LAST.fetch_max(t, Ordering::SeqCst).max(t);
    let n = if n == t {
        t
    } else {
        LAST.fetch_add(1, Ordering::SeqCst) + 1
    };
    format!("{n:020}-{}", &new_id()[..8])
}
