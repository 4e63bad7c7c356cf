//! Webhook signing secrets at rest. Deliveries are signed with the secret
//! itself (HMAC), so it cannot be hashed: it is encrypted with the
//! platform's secrets key (ChaCha20-Poly1305, a random 96-bit nonce per
//! secret, the webhook's id as associated data so a value copied to another
//! row does not decrypt) and stored as `v1:<hex nonce>:<hex ciphertext>` in
//! `webhooks.secret`. Rows written before this (the plaintext secret) are
//! encrypted when a platform starts ([`encrypt_plaintext`]).

use crate::db::Columns;
use crate::error::Error;
use crate::keys::{SecretsKey, NONCE_LEN};
use sqlx::AnyPool;

/// The format of an encrypted secret; anything else is a plaintext secret
/// from before encryption.
const V1: &str = "v1:";

/// The stored form of webhook `id`'s `secret`.
pub(crate) fn seal(key: &SecretsKey, id: &str, secret: &str) -> Result<String, Error> {
    let (nonce, ct) = key.seal(id.as_bytes(), secret.as_bytes())?;
    Ok(format!("{V1}{}:{}", hex::encode(nonce), hex::encode(ct)))
}

/// Webhook `id`'s secret from its stored form. The error says why without
/// the stored value: not encrypted, malformed, or not decryptable with this
/// key for this webhook (another key, another row's value, or changed).
pub(crate) fn unseal(key: &SecretsKey, id: &str, stored: &str) -> Result<String, Error> {
    let bad = |why: &str| Error::Internal(format!("the signing secret of webhook {id} {why}"));
    let Some(rest) = stored.strip_prefix(V1) else {
        return Err(bad("is not encrypted"));
    };
    let (nonce, ct) = rest
        .split_once(':')
        .and_then(|(n, c)| Some((hex::decode(n).ok()?, hex::decode(c).ok()?)))
        .ok_or_else(|| bad("is not in the v1 format"))?;
    let nonce: [u8; NONCE_LEN] = nonce
        .try_into()
        .map_err(|_| bad("is not in the v1 format"))?;
    let plain = key.open(id.as_bytes(), &nonce, &ct).map_err(|_| {
        bad("does not decrypt with this platform's key (another key, or the stored value was changed)")
    })?;
    String::from_utf8(plain).map_err(|_| bad("is not text"))
}

/// Encrypts every webhook secret still stored in plaintext (rows from before
/// secrets were encrypted), in one transaction; returns how many. Idempotent,
/// and safe when several instances start at once: a row is rewritten only if
/// it still holds the plaintext that was read.
pub(crate) async fn encrypt_plaintext(db: &AnyPool, key: &SecretsKey) -> Result<usize, Error> {
    // `substr`, not LIKE: SQLite's LIKE ignores case.
    const PLAIN: &str = "substr(secret, 1, 3) <> 'v1:'";
    let n = sqlx::query(&format!("SELECT COUNT(*) AS n FROM webhooks WHERE {PLAIN}"))
        .fetch_one(db)
        .await?;
    if n.int("n")? == 0 {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    // Write-lock the rows first (SQLite: the database), so an instance
    // starting at the same time waits here instead of failing its upgrade
    // from a read to a write.
    sqlx::query(&format!(
        "UPDATE webhooks SET secret = secret WHERE {PLAIN}"
    ))
    .execute(&mut *tx)
    .await?;
    let rows = sqlx::query(&format!("SELECT id, secret FROM webhooks WHERE {PLAIN}"))
        .fetch_all(&mut *tx)
        .await?;
    let mut done = 0;
    for r in &rows {
        let (id, plain) = (r.text("id")?, r.text("secret")?);
        done += sqlx::query("UPDATE webhooks SET secret = $1 WHERE id = $2 AND secret = $3")
            .bind(seal(key, &id, &plain)?)
            .bind(&id)
            .bind(&plain)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    if done > 0 {
        tracing::info!(webhooks = done, "encrypted plaintext webhook secrets");
    }
    Ok(usize::try_from(done).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> (tempfile::TempDir, SecretsKey) {
        let dir = tempfile::tempdir().expect("tmp");
        let key = SecretsKey::load_or_create(dir.path()).expect("key");
        (dir, key)
    }

    #[test]
    fn a_secret_decrypts_only_for_its_webhook_and_key() {
        let (_d, k) = key();
        let stored = seal(&k, "hook-a", "whsec_abc").expect("seal");
        assert!(stored.starts_with("v1:") && !stored.contains("whsec_abc"));
        let parts: Vec<&str> = stored.split(':').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1].len(), 2 * NONCE_LEN);
        assert_eq!(parts[2].len(), 2 * ("whsec_abc".len() + 16));
        assert_eq!(unseal(&k, "hook-a", &stored).expect("open"), "whsec_abc");
        assert_ne!(seal(&k, "hook-a", "whsec_abc").expect("seal"), stored);

        let err = |r: Result<String, Error>| r.expect_err("refused").to_string();
        assert!(err(unseal(&k, "hook-b", &stored)).contains("does not decrypt"));
        let (_d2, other) = key();
        assert!(err(unseal(&other, "hook-a", &stored)).contains("does not decrypt"));
        let mut tampered = stored.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).expect("utf-8");
        assert!(err(unseal(&k, "hook-a", &tampered)).contains("does not decrypt"));
        assert!(err(unseal(&k, "hook-a", "whsec_abc")).contains("is not encrypted"));
        for bad in ["v1:", "v1:zz:00", "v1:0011:00", &stored[..stored.len() - 1]] {
            assert!(
                err(unseal(&k, "hook-a", bad)).contains("v1 format"),
                "{bad}"
            );
        }
        // The error never carries the stored value.
        assert!(!err(unseal(&k, "hook-b", &stored)).contains(parts[2]));
    }
}
