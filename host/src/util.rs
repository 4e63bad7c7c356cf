//! Small things the host needs in several places, written once: the clock
//! in Unix seconds, the per-user directory name, and base64.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Unix seconds now (0 if the clock is before 1970).
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The name of a host user's directory, wherever the host or its surfaces
/// keep something per user (the files of `my.writeFile`, a webview's data):
/// the first 128 bits of SHA-256 of the user id, in hex. The id itself never
/// names a directory, and the name is the same on every build and toolchain.
pub fn user_dir_name(user: &str) -> String {
    hex::encode(&Sha256::digest(user.as_bytes())[..16])
}

/// Standard base64 with padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Standard base64, with or without its padding (what mini programs send
/// varies); `None` for anything else.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{general_purpose, DecodePaddingMode, GeneralPurpose};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        general_purpose::PAD
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    LENIENT.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors_both_ways() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            assert_eq!(base64_decode(encoded), Some(plain.as_bytes().to_vec()));
        }
        assert_eq!(base64_decode("Zm8"), Some(b"fo".to_vec()), "unpadded");
        assert_eq!(base64_decode("Zg="), Some(b"f".to_vec()), "short padding");
        for bad in ["Z", "Z===", "Zm9v==", "Zm9v!", "Zm 9v", "Zm9v====="] {
            assert_eq!(base64_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_users_directory_is_named_the_same_by_every_build() {
        // SHA-256 of "dave", first 16 bytes.
        assert_eq!(user_dir_name("dave"), "61ea0803f8853523b777d414ace3130c");
        assert_ne!(user_dir_name("erin"), user_dir_name("dave"));
    }
}
