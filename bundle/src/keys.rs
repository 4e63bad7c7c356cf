//! ed25519 keys, key ids, and the one place where signatures are made and checked.

use crate::error::{Error, Result, SignatureFailure};
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;
use std::path::Path;

/// What a signature is over. Each kind of document signs under its own context,
/// so a signature made for one kind can never be replayed as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Context {
    /// A bundle manifest (`mpkit/manifest.json`).
    Manifest,
    /// The `signed` part of a trust root.
    Root,
    /// A release policy or resolve answer.
    Policy,
}

impl Context {
    fn prefix(self) -> &'static [u8] {
        match self {
            Context::Manifest => b"mpkit/manifest/v1\0",
            Context::Root => b"mpkit/root/v1\0",
            Context::Policy => b"mpkit/policy/v1\0",
        }
    }

    fn message(self, bytes: &[u8]) -> Vec<u8> {
        let mut m = Vec::with_capacity(self.prefix().len() + bytes.len());
        m.extend_from_slice(self.prefix());
        m.extend_from_slice(bytes);
        m
    }
}

/// hex of the first 8 bytes of sha256(public key).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    /// The key id of a raw ed25519 public key.
    pub fn of(public: &[u8; 32]) -> KeyId {
        KeyId(hex::encode(&Sha256::digest(public)[..8]))
    }

    /// The id as 16 lowercase hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for KeyId {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        if s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(KeyId(s))
        } else {
            Err(format!("key id must be 16 lowercase hex digits, got {s:?}"))
        }
    }
}

impl From<KeyId> for String {
    fn from(k: KeyId) -> String {
        k.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

/// An ed25519 public key that is not of small order.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    id: KeyId,
}

impl PublicKey {
    /// Accepts 32 raw bytes, refusing encodings that are not points and small-order keys.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey> {
        let key = VerifyingKey::from_bytes(bytes)
            .map_err(|_| Error::Key("public key is not a valid ed25519 point".into()))?;
        if key.is_weak() {
            return Err(Error::Key("public key has small order".into()));
        }
        Ok(PublicKey {
            id: KeyId::of(bytes),
            key,
        })
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Result<PublicKey> {
        let mut raw = [0u8; 32];
        hex::decode_to_slice(s, &mut raw)
            .map_err(|_| Error::Key(format!("public key must be 64 hex digits, got {s:?}")))?;
        PublicKey::from_bytes(&raw)
    }

    /// Parses an SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as written by [`SecretKey::write_pair`].
    pub fn from_pem(pem: &str) -> Result<PublicKey> {
        let key = VerifyingKey::from_public_key_pem(pem.trim())
            .map_err(|e| Error::Key(format!("not an ed25519 public key PEM: {e}")))?;
        PublicKey::from_bytes(key.as_bytes())
    }

    /// Reads a public key file (PEM, or 64 hex digits).
    pub fn read(path: &Path) -> Result<PublicKey> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        if text.contains("-----BEGIN") {
            PublicKey::from_pem(&text)
        } else {
            PublicKey::from_hex(text.trim())
        }
    }

    /// The SPKI PEM text.
    pub fn to_pem(&self) -> String {
        self.key
            .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap_or_default()
    }

    /// The key id.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.key.as_bytes())
    }

    /// Checks `sig` over `bytes` in `context` with `verify_strict`: non-canonical
    /// S, small-order R and small-order keys all fail.
    pub fn verify(
        &self,
        context: Context,
        bytes: &[u8],
        sig: &[u8],
    ) -> Result<(), SignatureFailure> {
        let invalid = || SignatureFailure::Invalid {
            key_id: self.id.to_string(),
        };
        let sig: [u8; 64] = sig.try_into().map_err(|_| invalid())?;
        let sig = Signature::from_bytes(&sig);
        self.key
            .verify_strict(&context.message(bytes), &sig)
            .map_err(|_| invalid())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.id)
    }
}

/// An ed25519 signing key. Its bytes never appear in `Debug` output.
pub struct SecretKey {
    key: SigningKey,
    public: PublicKey,
}

impl SecretKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<SecretKey> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| Error::Key(format!("no randomness: {e}")))?;
        SecretKey::from_seed(&seed)
    }

    /// A key from a 32-byte seed (tests and vectors).
    pub fn from_seed(seed: &[u8; 32]) -> Result<SecretKey> {
        let key = SigningKey::from_bytes(seed);
        let public = PublicKey::from_bytes(key.verifying_key().as_bytes())?;
        Ok(SecretKey { key, public })
    }

    /// Reads a PKCS#8 PEM private key file.
    pub fn read(path: &Path) -> Result<SecretKey> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        let key = SigningKey::from_pkcs8_pem(text.trim()).map_err(|e| {
            Error::Key(format!(
                "{}: not an ed25519 private key PEM: {e}",
                path.display()
            ))
        })?;
        SecretKey::from_seed(&key.to_bytes())
    }

    /// Writes `path` (PKCS#8 PEM, mode 0600, never over an existing file) and
    /// `path.pub` (SPKI PEM).
    pub fn write_pair(&self, path: &Path) -> Result<std::path::PathBuf> {
        let pem = self
            .key
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| Error::Key(format!("cannot encode key: {e}")))?;
        let mut pub_path = path.as_os_str().to_owned();
        pub_path.push(".pub");
        let pub_path = std::path::PathBuf::from(pub_path);
        write_new(path, pem.as_bytes(), 0o600)?;
        write_new(&pub_path, self.public.to_pem().as_bytes(), 0o644)?;
        Ok(pub_path)
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `bytes` in `context`.
    pub fn sign(&self, context: Context, bytes: &[u8]) -> [u8; 64] {
        self.key.sign(&context.message(bytes)).to_bytes()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.public.id)
    }
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path).map_err(|e| Error::io("create", path, e))?;
    f.write_all(bytes)
        .map_err(|e| Error::io("write", path, e))?;
    f.sync_all().map_err(|e| Error::io("sync", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The group order L of ed25519, little-endian.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];

    #[test]
    fn key_id_is_first_eight_bytes_of_sha256() {
        let k = SecretKey::from_seed(&[7; 32]).expect("key");
        let want = hex::encode(&Sha256::digest(k.public().key.as_bytes())[..8]);
        assert_eq!(k.public().id().as_str(), want);
    }

    #[test]
    fn signatures_are_bound_to_their_context() {
        let k = SecretKey::from_seed(&[1; 32]).expect("key");
        let sig = k.sign(Context::Manifest, b"hello");
        assert_eq!(k.public().verify(Context::Manifest, b"hello", &sig), Ok(()));
        let invalid = Err(SignatureFailure::Invalid {
            key_id: k.public().id().to_string(),
        });
        assert_eq!(k.public().verify(Context::Policy, b"hello", &sig), invalid);
        assert_eq!(
            k.public().verify(Context::Manifest, b"hellO", &sig),
            invalid
        );
    }

    #[test]
    fn non_canonical_signature_is_refused() {
        let k = SecretKey::from_seed(&[2; 32]).expect("key");
        let mut sig = k.sign(Context::Manifest, b"m");
        // S + L encodes the same scalar; only a strict verifier refuses it.
        let mut carry = 0u16;
        for i in 0..32 {
            let v = sig[32 + i] as u16 + L[i] as u16 + carry;
            sig[32 + i] = v as u8;
            carry = v >> 8;
        }
        assert_eq!(
            k.public().verify(Context::Manifest, b"m", &sig),
            Err(SignatureFailure::Invalid {
                key_id: k.public().id().to_string()
            })
        );
    }

    #[test]
    fn small_order_key_is_refused_and_its_universal_forgery_fails() {
        // The identity point: with R = identity and S = 0, a non-strict verifier
        // accepts this "signature" for every message.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(
            matches!(PublicKey::from_bytes(&identity), Err(Error::Key(m)) if m.contains("small order"))
        );

        let weak = VerifyingKey::from_bytes(&identity).expect("decodes");
        let forged = Signature::from_bytes(&{
            let mut s = [0u8; 64];
            s[0] = 1;
            s
        });
        let msg = Context::Manifest.message(b"anything");
        assert!(weak.verify_strict(&msg, &forged).is_err());
        let bypass = PublicKey {
            id: KeyId::of(&identity),
            key: weak,
        };
        assert!(matches!(
            bypass.verify(Context::Manifest, b"anything", &forged.to_bytes()),
            Err(SignatureFailure::Invalid { .. })
        ));
    }

    #[test]
    fn key_files_round_trip_with_private_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dev.key");
        let k = SecretKey::generate().expect("key");
        let pub_path = k.write_pair(&path).expect("write");
        let back = SecretKey::read(&path).expect("read");
        assert_eq!(back.public(), k.public());
        assert_eq!(&PublicKey::read(&pub_path).expect("pub"), k.public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Never overwrite a key.
        assert!(matches!(
            k.write_pair(&path),
            Err(Error::Io { op: "create", .. })
        ));
        assert_eq!(SecretKey::read(&path).expect("read").public(), k.public());
    }
}
