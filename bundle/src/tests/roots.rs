//! Trust root loading and rotation.

use super::{now, Fixture};
use crate::error::{Error, RootFailure, SignatureFailure};
use crate::keys::SecretKey;
use crate::trust::{Role, RootSpec, TrustedRoot};
use std::collections::BTreeMap;

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32]).expect("key")
}

fn spec(version: u64, root_keys: &[&SecretKey], threshold: u32, fx: &Fixture) -> RootSpec {
    RootSpec {
        version,
        expires: now() + time::Duration::days(30),
        roles: BTreeMap::from([
            (
                Role::Root,
                (
                    root_keys.iter().map(|k| k.public().clone()).collect(),
                    threshold,
                ),
            ),
            (Role::Publisher, (vec![fx.publisher.public().clone()], 1)),
            (Role::Policy, (vec![fx.policy.public().clone()], 1)),
        ]),
    }
}

#[test]
fn rotation_signed_by_old_and_new_keys_is_accepted() {
    let fx = Fixture::new();
    let v1 = fx.root();
    let new_root = key(20);
    let v2 = spec(2, &[&new_root], 1, &fx)
        .sign(&[&fx.root_key, &new_root])
        .expect("v2");
    let r2 = v1.rotate(&v2, now()).expect("rotation accepted");
    assert_eq!(r2.version(), 2);
    let chain = TrustedRoot::load_chain(&[fx.root_bytes.clone(), v2], now()).expect("chain");
    assert_eq!(chain.version(), 2);
}

#[test]
fn rotation_not_signed_by_old_keys_is_refused() {
    let fx = Fixture::new();
    let attacker = key(66);
    let v2 = spec(2, &[&attacker], 1, &fx)
        .sign(&[&attacker])
        .expect("v2");
    let err = fx.root().rotate(&v2, now()).expect_err("refused");
    assert!(
        matches!(
            &err,
            Error::Root(RootFailure::RotationNotSigned {
                version: 2,
                which: "old",
                failure: SignatureFailure::UntrustedKey { .. }
            })
        ),
        "{err:?}"
    );
}

#[test]
fn rotation_not_signed_by_new_keys_is_refused() {
    let fx = Fixture::new();
    let new_root = key(20);
    let v2 = spec(2, &[&new_root], 1, &fx)
        .sign(&[&fx.root_key])
        .expect("v2");
    let err = fx.root().rotate(&v2, now()).expect_err("refused");
    assert!(
        matches!(
            &err,
            Error::Root(RootFailure::RotationNotSigned { which: "new", .. })
        ),
        "{err:?}"
    );
}

#[test]
fn rotation_must_meet_the_old_threshold() {
    let fx = Fixture::new();
    let (a, b, c) = (key(30), key(31), key(32));
    let v2 = spec(2, &[&a, &b, &c], 2, &fx)
        .sign(&[&fx.root_key, &a, &b])
        .expect("v2");
    let r2 = fx.root().rotate(&v2, now()).expect("v2");
    // v3 signed by only one of the three v2 root keys.
    let v3 = spec(3, &[&a, &b, &c], 2, &fx).sign(&[&a]).expect("v3");
    let err = r2.rotate(&v3, now()).expect_err("refused");
    assert!(
        matches!(
            &err,
            Error::Root(RootFailure::RotationNotSigned {
                which: "old",
                failure: SignatureFailure::ThresholdNotMet {
                    have: 1,
                    need: 2,
                    ..
                },
                ..
            })
        ),
        "{err:?}"
    );
    let v3 = spec(3, &[&a, &b, &c], 2, &fx).sign(&[&a, &c]).expect("v3");
    assert_eq!(r2.rotate(&v3, now()).expect("2 of 3").version(), 3);
}

#[test]
fn rotation_cannot_skip_or_replay_versions() {
    let fx = Fixture::new();
    let v3 = spec(3, &[&fx.root_key], 1, &fx)
        .sign(&[&fx.root_key])
        .expect("v3");
    let err = fx.root().rotate(&v3, now()).expect_err("gap");
    assert!(matches!(
        err,
        Error::Root(RootFailure::VersionGap { from: 1, to: 3 })
    ));
    let err = fx.root().rotate(&fx.root_bytes, now()).expect_err("replay");
    assert!(matches!(
        err,
        Error::Root(RootFailure::VersionGap { from: 1, to: 1 })
    ));
}

#[test]
fn expired_rotation_is_refused_but_can_be_passed_through_in_a_chain() {
    let fx = Fixture::new();
    let mut s2 = spec(2, &[&fx.root_key], 1, &fx);
    s2.expires = now() - time::Duration::days(1);
    let v2 = s2.sign(&[&fx.root_key]).expect("v2");
    let err = fx.root().rotate(&v2, now()).expect_err("expired");
    assert!(matches!(
        err,
        Error::Root(RootFailure::Expired { version: 2, .. })
    ));
    let v3 = spec(3, &[&fx.root_key], 1, &fx)
        .sign(&[&fx.root_key])
        .expect("v3");
    let r = TrustedRoot::load_chain(&[fx.root_bytes.clone(), v2, v3], now()).expect("chain");
    assert_eq!(r.version(), 3);
}

#[test]
fn tampered_root_is_refused() {
    let fx = Fixture::new();
    let text = String::from_utf8(fx.root_bytes.clone()).expect("utf8");
    let tampered = text.replacen("\"version\": 1", "\"version\": 9", 1);
    assert_ne!(tampered, text);
    let err = TrustedRoot::load(tampered.as_bytes(), now()).expect_err("tampered");
    assert!(
        matches!(
            &err,
            Error::Root(RootFailure::RotationNotSigned {
                failure: SignatureFailure::Invalid { .. },
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn structural_rules() {
    let fx = Fixture::new();
    let mut s = spec(1, &[&fx.root_key], 2, &fx);
    let err = s
        .sign(&[&fx.root_key])
        .expect_err("threshold above key count");
    assert!(
        matches!(&err, Error::Root(RootFailure::Invalid(m)) if m.contains("threshold 2 with 1 keys"))
    );
    s.roles.get_mut(&Role::Root).expect("root").1 = 1;
    s.roles.remove(&Role::Policy);
    let err = s.sign(&[&fx.root_key]).expect_err("missing role");
    assert!(
        matches!(&err, Error::Root(RootFailure::Invalid(m)) if m.contains("role policy is missing"))
    );
    let mut s = spec(1, &[&fx.root_key], 1, &fx);
    s.roles
        .insert(Role::Developer, (vec![fx.policy.public().clone()], 1));
    let err = s.sign(&[&fx.root_key]).expect_err("developer role");
    assert!(
        matches!(&err, Error::Root(RootFailure::Invalid(m)) if m.contains("no developer role"))
    );
}
