//! The platform's keys: root (signs root.json), publisher (re-signs release
//! packages) and policy (signs policies and resolve answers), and the key
//! that encrypts webhook signing secrets at rest. Created on first start
//! under `<storage>/keys/` with mode 0600, loaded afterwards.

use crate::error::Error;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use mpkit_bundle::{Role, RootSpec, SecretKey};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// The platform's signing keys and the root hosts trust.
pub struct PlatformKeys {
    /// Re-signs release packages.
    pub publisher: SecretKey,
    /// Signs policies and resolve answers.
    pub policy: SecretKey,
    /// `root.json`, signed by the root key.
    pub root_json: Vec<u8>,
    /// Encrypts webhook signing secrets at rest.
    pub(crate) webhook_secrets: SecretsKey,
}

impl std::fmt::Debug for PlatformKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformKeys")
            .field("publisher", self.publisher.public().id())
            .field("policy", self.policy.public().id())
            .finish_non_exhaustive()
    }
}

fn load_or_make(path: &Path) -> Result<SecretKey, Error> {
    if path.exists() {
        return SecretKey::read(path).map_err(|e| Error::Internal(e.to_string()));
    }
    let k = SecretKey::generate().map_err(|e| Error::Internal(e.to_string()))?;
    k.write_pair(path)
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(k)
}

impl PlatformKeys {
    /// Loads the keys in `dir`, creating any that are missing, and (re)writes
    /// `root.json` when it is missing.
    pub fn load_or_create(dir: &Path) -> Result<PlatformKeys, Error> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Internal(format!("{}: {e}", dir.display())))?;
        let root = load_or_make(&dir.join("root.key"))?;
        let publisher = load_or_make(&dir.join("publisher.key"))?;
        let policy = load_or_make(&dir.join("policy.key"))?;
        let webhook_secrets = SecretsKey::load_or_create(dir)?;
        let root_path = dir.join("root.json");
        let root_json = match std::fs::read(&root_path) {
            Ok(b) => b,
            Err(_) => {
                let spec = RootSpec {
                    version: 1,
                    expires: time::OffsetDateTime::now_utc() + time::Duration::days(365),
                    roles: BTreeMap::from([
                        (Role::Root, (vec![root.public().clone()], 1)),
                        (Role::Publisher, (vec![publisher.public().clone()], 1)),
                        (Role::Policy, (vec![policy.public().clone()], 1)),
                    ]),
                };
                let bytes = spec
                    .sign(&[&root])
                    .map_err(|e| Error::Internal(e.to_string()))?;
                std::fs::write(&root_path, &bytes)
                    .map_err(|e| Error::Internal(format!("{}: {e}", root_path.display())))?;
                bytes
            }
        };
        Ok(PlatformKeys {
            publisher,
            policy,
            root_json,
            webhook_secrets,
        })
    }
}

/// The file, in the keys folder, of the key that encrypts webhook signing
/// secrets: 32 random bytes as hex.
const SECRETS_KEY_FILE: &str = "webhook-secrets.key";
/// An AEAD nonce: 96 bits.
pub(crate) const NONCE_LEN: usize = 12;

/// A ChaCha20-Poly1305 key for secrets the platform must read back (webhook
/// signing secrets sign deliveries, so they cannot be hashed). The key is
/// zeroed when dropped, and never shown by `Debug`.
pub(crate) struct SecretsKey(ChaCha20Poly1305);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(..)")
    }
}

impl SecretsKey {
    /// The key in `dir`, made (32 bytes from the OS, mode 0600) when missing.
    /// Instances that share the folder and start at once agree on one key:
    /// each writes its candidate to a file of its own and links it into
    /// place, which fails when another got there first, and then reads that.
    pub(crate) fn load_or_create(dir: &Path) -> Result<SecretsKey, Error> {
        let path = dir.join(SECRETS_KEY_FILE);
        if path.exists() {
            return SecretsKey::load(dir);
        }
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|e| {
            Error::Internal(format!(
                "the OS random source failed ({e}); no webhook secrets key was made"
            ))
        })?;
        let tmp = dir.join(format!(
            "{SECRETS_KEY_FILE}.{}.tmp",
            crate::ids::random_hex(8)?
        ));
        let written = write_new(&tmp, format!("{}\n", hex::encode(key)).as_bytes());
        let linked = written.and_then(|()| match std::fs::hard_link(&tmp, &path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(Error::Internal(format!("{}: {e}", path.display()))),
        });
        let _ = std::fs::remove_file(&tmp);
        if linked? {
            Ok(SecretsKey(ChaCha20Poly1305::new(Key::from_slice(&key))))
        } else {
            // Another instance made it first: theirs is the key.
            SecretsKey::load(dir)
        }
    }

    /// The key in `dir`, which must exist. A key file others may read is
    /// made the owner's alone (0600) first.
    pub(crate) fn load(dir: &Path) -> Result<SecretsKey, Error> {
        let path = dir.join(SECRETS_KEY_FILE);
        let bad = |why: String| Error::Internal(format!("{}: {why}", path.display()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(&path).map_err(|e| bad(e.to_string()))?;
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| bad(e.to_string()))?;
            }
        }
        let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        let key = hex::decode(text.trim())
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| bad("not a 32-byte key in hex".into()))?;
        Ok(SecretsKey(ChaCha20Poly1305::new(Key::from_slice(&key))))
    }

    /// Encrypts `plaintext` bound to `aad` under a fresh random nonce;
    /// returns the nonce and the ciphertext (with its 16-byte tag).
    pub(crate) fn seal(
        &self,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<([u8; NONCE_LEN], Vec<u8>), Error> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce).map_err(|e| {
            Error::Internal(format!(
                "the OS random source failed ({e}); nothing was encrypted"
            ))
        })?;
        let ct = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| Error::Internal("encryption failed".into()))?;
        Ok((nonce, ct))
    }

    /// Decrypts what [`SecretsKey::seal`] made with the same `aad`; an error
    /// when the key, the associated data, the nonce or the ciphertext differ.
    pub(crate) fn open(
        &self,
        aad: &[u8],
        nonce: &[u8; NONCE_LEN],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| Error::Internal("decryption failed".into()))
    }
}

/// Writes a new file with mode 0600 (it must not exist) and syncs it.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let err = |e: std::io::Error| Error::Internal(format!("{}: {e}", path.display()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(err)?;
    f.write_all(bytes).map_err(err)?;
    f.sync_all().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secrets_key_is_made_once_and_binds_the_associated_data() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = SecretsKey::load_or_create(dir.path()).expect("made");
        let b = SecretsKey::load_or_create(dir.path()).expect("loaded");
        let (nonce, ct) = a.seal(b"hook-1", b"whsec_x").expect("seal");
        assert_eq!(b.open(b"hook-1", &nonce, &ct).expect("open"), b"whsec_x");
        assert!(b.open(b"hook-2", &nonce, &ct).is_err(), "another row");
        let mut flipped = ct.clone();
        flipped[0] ^= 1;
        assert!(b.open(b"hook-1", &nonce, &flipped).is_err(), "tampered");
        let (again, _) = a.seal(b"hook-1", b"whsec_x").expect("seal");
        assert_ne!(nonce, again, "a fresh nonce each time");
        // Nothing but the key is left in the folder.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, [SECRETS_KEY_FILE]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join(SECRETS_KEY_FILE);
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            // A key left readable by others is made private on load.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            SecretsKey::load(dir.path()).expect("load");
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join(SECRETS_KEY_FILE), "abcd\n").expect("write");
        assert!(SecretsKey::load(dir.path()).is_err(), "a short key");
    }
}
