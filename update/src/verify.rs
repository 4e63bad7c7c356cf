//! [`verify_answer`]: the signed resolve answer, checked against the trust
//! root's policy keys and its subject (kind, app, target app, user).

use crate::error::UpdateError;
use mpkit_bundle::{Context, PublicKey};
use mpkit_platform_client::wire::{ResolveAnswer, Signed};

pub(crate) fn parse_version(v: &str) -> Result<semver::Version, UpdateError> {
    semver::Version::parse(v).map_err(|e| UpdateError::WrongSubject {
        field: "version",
        expected: "a semantic version".into(),
        got: format!("{v} ({e})"),
    })
}

/// Verifies a signed resolve answer: one of `policy_keys` signed exactly
/// these bytes in the policy context, and it is a resolve answer about this
/// app, target app and user. Expiry and sequence are the caller's to check.
pub fn verify_answer(
    policy_keys: &[PublicKey],
    signed: &Signed,
    app: &str,
    target: &str,
    user: &str,
) -> Result<ResolveAnswer, UpdateError> {
    let key = policy_keys
        .iter()
        .find(|k| k.id().as_str() == signed.key_id)
        .ok_or_else(|| {
            UpdateError::Signature(format!("key {:?} is not a policy key", signed.key_id))
        })?;
    let sig = hex::decode(&signed.sig)
        .map_err(|_| UpdateError::Signature("the signature is not hex".into()))?;
    key.verify(Context::Policy, signed.payload.as_bytes(), &sig)
        .map_err(|e| UpdateError::Signature(e.to_string()))?;
    let a: ResolveAnswer = serde_json::from_str(&signed.payload)
        .map_err(|e| UpdateError::Signature(format!("signed, but not a resolve answer: {e}")))?;
    let checks = [
        ("kind", "resolve", a.kind.as_str()),
        ("appId", app, a.app_id.as_str()),
        ("targetApp", target, a.target_app.as_str()),
        ("user", user, a.user.as_str()),
    ];
    for (field, expected, got) in checks {
        if expected != got {
            return Err(UpdateError::WrongSubject {
                field,
                expected: expected.to_owned(),
                got: got.to_owned(),
            });
        }
    }
    if let Some(v) = &a.version {
        parse_version(&v.version)?;
        if v.sha256.len() != 64 || !v.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(UpdateError::WrongSubject {
                field: "sha256",
                expected: "64 hex digits".into(),
                got: v.sha256.clone(),
            });
        }
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpkit_bundle::SecretKey;
    use mpkit_platform_client::wire::PinnedVersion;

    fn answer(app: &str, user: &str) -> ResolveAnswer {
        ResolveAnswer {
            kind: "resolve".into(),
            app_id: app.into(),
            target_app: "w".into(),
            user: user.into(),
            version: Some(PinnedVersion {
                version: "1.0.0".into(),
                sha256: "ab".repeat(32),
                length: 10,
            }),
            seq: 3,
            expires: 10,
        }
    }

    fn sign(k: &SecretKey, a: &ResolveAnswer) -> Signed {
        let payload = serde_json::to_string(a).expect("json");
        Signed {
            sig: hex::encode(k.sign(Context::Policy, payload.as_bytes())),
            key_id: k.public().id().to_string(),
            payload,
        }
    }

    #[test]
    fn answers_are_checked_for_key_signature_and_subject() {
        let k = SecretKey::generate().expect("key");
        let keys = vec![k.public().clone()];
        let a = answer("2021000000000001", "alice");
        let good = sign(&k, &a);
        assert_eq!(
            verify_answer(&keys, &good, "2021000000000001", "w", "alice").expect("ok"),
            a
        );

        let other = SecretKey::generate().expect("key");
        let e = verify_answer(&keys, &sign(&other, &a), "2021000000000001", "w", "alice")
            .expect_err("unknown key");
        assert_eq!(e.code(), "bad_signature");

        // The right key id over a signature by another key.
        let mut forged = sign(&other, &a);
        forged.key_id = good.key_id.clone();
        assert_eq!(
            verify_answer(&keys, &forged, "2021000000000001", "w", "alice")
                .expect_err("forged")
                .code(),
            "bad_signature"
        );

        // One changed byte of the payload.
        let mut changed = good.clone();
        changed.payload = changed.payload.replace("alice", "alicf");
        assert_eq!(
            verify_answer(&keys, &changed, "2021000000000001", "w", "alicf")
                .expect_err("changed")
                .code(),
            "bad_signature"
        );

        for (app, target, user, field) in [
            ("2021000000000002", "w", "alice", "appId"),
            ("2021000000000001", "x", "alice", "targetApp"),
            ("2021000000000001", "w", "bob", "user"),
        ] {
            match verify_answer(&keys, &good, app, target, user) {
                Err(UpdateError::WrongSubject { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }

        // A signed policy document is not a resolve answer.
        let mut p = a.clone();
        p.kind = "policy".into();
        match verify_answer(&keys, &sign(&k, &p), "2021000000000001", "w", "alice") {
            Err(UpdateError::WrongSubject { field: "kind", .. }) => {}
            other => panic!("{other:?}"),
        }
    }
}
