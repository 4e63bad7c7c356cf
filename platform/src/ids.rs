//! Ids, tokens and secrets. Every one comes from the OS random source, or the
//! request that needed it fails (a 500): an id minted from anything weaker
//! (the time, the process id) would be guessable, and ids name objects that
//! answer 404 to strangers, tokens are credentials.

use crate::error::Error;

/// A source of random bytes: the OS's, or in tests one that fails.
#[derive(Clone, Copy)]
pub(crate) struct Rng(fn(&mut [u8]) -> Result<(), getrandom::Error>);

/// The OS random source.
pub(crate) const OS: Rng = Rng(getrandom::getrandom);

impl Rng {
    /// `n` random bytes as hex.
    pub(crate) fn hex(self, n: usize) -> Result<String, Error> {
        let mut b = vec![0u8; n];
        (self.0)(&mut b).map_err(|e| {
            Error::Internal(format!(
                "the OS random source failed ({e}); nothing was created"
            ))
        })?;
        Ok(hex::encode(b))
    }

    /// A random id: 16 bytes, hex.
    pub(crate) fn id(self) -> Result<String, Error> {
        self.hex(16)
    }

    /// An API token (`mpk_` and 32 bytes, hex); only its hash is stored.
    pub(crate) fn token(self) -> Result<String, Error> {
        Ok(format!("mpk_{}", self.hex(32)?))
    }

    /// An id that sorts in creation order (nanoseconds, strictly increasing
    /// in this process), then 4 random bytes.
    pub(crate) fn ordered_id(self) -> Result<String, Error> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static LAST: AtomicU64 = AtomicU64::new(0);
        let random = self.hex(4)?;
        let t = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
        let n = LAST.fetch_max(t, Ordering::SeqCst).max(t);
        let n = if n == t {
            t
        } else {
            LAST.fetch_add(1, Ordering::SeqCst) + 1
        };
        Ok(format!("{n:020}-{random}"))
    }
}

/// `n` random bytes from the OS, as hex.
pub(crate) fn random_hex(n: usize) -> Result<String, Error> {
    OS.hex(n)
}

/// A random id: 16 bytes from the OS, hex.
pub(crate) fn new_id() -> Result<String, Error> {
    OS.id()
}

/// A new API token.
pub(crate) fn new_token() -> Result<String, Error> {
    OS.token()
}

/// An id that sorts in creation order (audit rows, inbox messages, deliveries).
pub(crate) fn ordered_id() -> Result<String, Error> {
    OS.ordered_id()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(_: &mut [u8]) -> Result<(), getrandom::Error> {
        Err(getrandom::Error::UNSUPPORTED)
    }

    #[test]
    fn without_os_randomness_nothing_is_minted() {
        let rng = Rng(broken);
        for made in [rng.id(), rng.token(), rng.ordered_id(), rng.hex(32)] {
            assert!(
                matches!(&made, Err(Error::Internal(m)) if m.contains("random source failed")),
                "{made:?}"
            );
        }
        // It is a server error: the request fails with a 500.
        let e = rng.id().expect_err("fails");
        assert_eq!(e.status().0, axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn ids_and_tokens_have_their_shapes() {
        let id = new_id().expect("id");
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, new_id().expect("id"));
        let t = new_token().expect("token");
        assert!(t.starts_with("mpk_") && t.len() == 4 + 64, "{t}");
        let (a, b) = (ordered_id().expect("a"), ordered_id().expect("b"));
        assert!(a < b, "{a} < {b}");
        assert_eq!(a.len(), 20 + 1 + 8);
    }
}
