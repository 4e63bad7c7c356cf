//! The one grayscale bucketing function, shared by the platform and by hosts
//! (which verify on the device what the platform decided).
//!
//! ```text
//! key    = CBOR array [ text(salt), text(user_id) ]
//! h      = MurmurHash3_x86_32(key, seed = 0)
//! bucket = ((h as u64) * 10_000) >> 32          // 0..=9999 basis points
//! in     = bucket < percent_bp
//! ```
//!
//! Integers and UTF-8 bytes only, so every platform computes the same bucket;
//! CBOR framing so `("a","bc")` and `("ab","c")` differ; raising the
//! percentage only adds users.

/// MurmurHash3 x86_32 of `data` with `seed`.
pub fn murmur3_x86_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for b in &mut blocks {
        let mut k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    let mut k: u32 = 0;
    for (i, byte) in tail.iter().enumerate() {
        k ^= u32::from(*byte) << (8 * i);
    }
    if !tail.is_empty() {
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

fn cbor_text(out: &mut Vec<u8>, s: &str) {
    let n = s.len() as u64;
    match n {
        0..=23 => out.push(0x60 | n as u8),
        24..=0xff => out.extend([0x78, n as u8]),
        0x100..=0xffff => {
            out.push(0x79);
            out.extend((n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0x7a);
            out.extend((n as u32).to_be_bytes());
        }
        _ => {
            out.push(0x7b);
            out.extend(n.to_be_bytes());
        }
    }
    out.extend_from_slice(s.as_bytes());
}

/// The hashed key: CBOR `[text(salt), text(user_id)]`.
pub fn bucket_key(salt: &str, user_id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(salt.len() + user_id.len() + 11);
    k.push(0x82);
    cbor_text(&mut k, salt);
    cbor_text(&mut k, user_id);
    k
}

/// The user's bucket in basis points, 0..=9999.
pub fn bucket(salt: &str, user_id: &str) -> u16 {
    // Short keys (the usual case) are framed on the stack: no allocation.
    let n = salt.len() + user_id.len();
    let h = if salt.len() < 24 && user_id.len() < 24 {
        let mut k = [0u8; 64];
        k[0] = 0x82;
        k[1] = 0x60 | salt.len() as u8;
        k[2..2 + salt.len()].copy_from_slice(salt.as_bytes());
        k[2 + salt.len()] = 0x60 | user_id.len() as u8;
        k[3 + salt.len()..3 + n].copy_from_slice(user_id.as_bytes());
        murmur3_x86_32(&k[..3 + n], 0)
    } else {
        murmur3_x86_32(&bucket_key(salt, user_id), 0)
    };
    ((u64::from(h) * 10_000) >> 32) as u16
}

/// Whether `user_id` is inside a grayscale of `percent_bp` basis points
/// (12.5% = 1250). An empty user id never is.
pub fn in_grayscale(salt: &str, user_id: &str, percent_bp: u16) -> bool {
    !user_id.is_empty() && bucket(salt, user_id) < percent_bp
}

/// Which version `user` gets under `policy`, and why: the pilot list first
/// (`is_tester` says whether the user is on it), then the grayscale bucket,
/// then stable. The server answers resolve with it, and a host checks a signed
/// answer against the signed policy with it.
pub fn decide<'a>(
    policy: &'a crate::wire::ReleasePolicy,
    is_tester: bool,
    user: &str,
) -> (
    Option<&'a crate::wire::PinnedVersion>,
    crate::wire::Rule,
    Option<u16>,
) {
    use crate::wire::Rule;
    let bucket = policy
        .grayscale
        .as_ref()
        .filter(|_| !user.is_empty())
        .map(|g| bucket(&g.salt, user));
    if !user.is_empty() {
        if let (Some(v), true) = (&policy.pilot, is_tester) {
            return (Some(v), Rule::Pilot, bucket);
        }
        if let (Some(g), Some(b)) = (&policy.grayscale, bucket) {
            if b < g.percent_bp {
                return (Some(&g.version), Rule::Grayscale, bucket);
            }
        }
    }
    match &policy.stable {
        Some(v) => (Some(v), Rule::Stable, bucket),
        None => (None, Rule::None, bucket),
    }
}

/// A percentage such as `12.5` or `"0.01"` to basis points, refusing
/// anything outside 0..=100 or finer than 0.01%.
pub fn percent_to_bp(text: &str) -> Result<u16, String> {
    let t = text.trim().trim_end_matches('%');
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || int.len() > 3
    {
        return Err(format!("{text:?} is not a percentage"));
    }
    if frac.trim_end_matches('0').len() > 2 {
        return Err(format!("{text:?} is finer than 0.01%"));
    }
    let i: u32 = if int.is_empty() {
        0
    } else {
        int.parse()
            .map_err(|_| format!("{text:?} is not a percentage"))?
    };
    let mut f = frac.trim_end_matches('0').to_owned();
    while f.len() < 2 {
        f.push('0');
    }
    let bp = i * 100 + f.parse::<u32>().unwrap_or(0);
    if bp > 10_000 {
        return Err(format!("{text:?} is over 100%"));
    }
    Ok(bp as u16)
}

/// A bucket salt a release manager names: 1 to 64 of `A-Z a-z 0-9 : . _ -`.
pub fn check_salt(salt: &str) -> Result<(), String> {
    if salt.is_empty() || salt.len() > 64 {
        return Err(format!("a salt is 1 to 64 characters, not {}", salt.len()));
    }
    match salt
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-')))
    {
        Some(c) => Err(format!(
            "a salt may hold only A-Z a-z 0-9 : . _ - (not {c:?})"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn salts_are_checked() {
        assert_eq!(check_salt("3000000000000001:ab12-cd.34_x"), Ok(()));
        assert_eq!(
            check_salt(""),
            Err("a salt is 1 to 64 characters, not 0".into())
        );
        assert_eq!(
            check_salt(&"s".repeat(65)),
            Err("a salt is 1 to 64 characters, not 65".into())
        );
        for bad in ["a b", "a/b", "sal\u{e9}", "a\nb", "a\u{0}b"] {
            assert!(
                check_salt(bad).is_err_and(|e| e.starts_with("a salt may hold only")),
                "{bad:?}"
            );
        }
    }

    /// The spread of a grayscale share over salts is the binomial one, and no
    /// wider: for 10,000 users at 50% its standard deviation is 0.5 pp, so
    /// about 3 salts in 1,000 land outside +-1.5 pp. Fixed inputs, so this
    /// test is deterministic; it is what the e2e tolerance rests on.
    #[test]
    fn shares_spread_over_salts_as_a_fair_coin_would() {
        let users: Vec<String> = (0..10_000).map(|i| format!("wallet-user-{i}")).collect();
        for (bp, sd_binomial) in [(500u16, 0.218f64), (2000, 0.4), (5000, 0.5)] {
            let shares: Vec<f64> = (0..200)
                .map(|s| {
                    let salt = format!("3000000000000001:{s:012x}");
                    let n = users.iter().filter(|u| in_grayscale(&salt, u, bp)).count();
                    n as f64 / 100.0
                })
                .collect();
            let target = f64::from(bp) / 100.0;
            let mean = shares.iter().sum::<f64>() / shares.len() as f64;
            let sd = (shares.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
                / (shares.len() - 1) as f64)
                .sqrt();
            assert!((mean - target).abs() < 0.1, "{bp}: mean {mean:.3}");
            assert!(sd < sd_binomial * 1.25, "{bp}: sd {sd:.3} pp");
            let outside = shares.iter().filter(|x| (*x - target).abs() > 1.5).count();
            assert!(outside <= 2, "{bp}: {outside} of 200 salts outside 1.5 pp");
        }
    }

    fn vectors(name: &str) -> Vec<Value> {
        // A copy of shared/vectors, kept in the repository so CI needs nothing beside it.
        let path = format!("{}/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let v: Value = serde_json::from_str(&text).expect("json");
        v["vectors"].as_array().expect("vectors").clone()
    }

    #[test]
    fn murmur3_matches_the_published_vectors() {
        let v = vectors("murmur3-x86_32.json");
        assert!(!v.is_empty());
        for t in v {
            let input = t["input"].as_str().expect("input");
            assert_eq!(
                u64::from(murmur3_x86_32(input.as_bytes(), 0)),
                t["hash"].as_u64().expect("hash"),
                "{input}"
            );
        }
    }

    #[test]
    fn buckets_match_the_recipe_vectors() {
        let v = vectors("gray-buckets.json");
        assert!(v.len() >= 9);
        for t in v {
            let salt = t["salt"].as_str().expect("salt");
            let user = t["user_id"].as_str().expect("user");
            let key = bucket_key(salt, user);
            assert_eq!(
                hex::encode(&key),
                t["key_hex"].as_str().expect("key"),
                "{salt}/{user}"
            );
            assert_eq!(
                u64::from(murmur3_x86_32(&key, 0)),
                t["murmur3_x86_32"].as_u64().expect("h")
            );
            assert_eq!(
                u64::from(bucket(salt, user)),
                t["bucket_bp"].as_u64().expect("bp")
            );
            for (field, pct) in [
                ("in_at_1pct", 100),
                ("in_at_10pct", 1000),
                ("in_at_50pct", 5000),
            ] {
                if let Some(want) = t[field].as_bool() {
                    assert_eq!(in_grayscale(salt, user, pct), want, "{salt}/{user} {field}");
                }
            }
        }
    }

    #[test]
    fn cbor_framing_separates_salt_from_user() {
        assert_ne!(bucket_key("a", "bc"), bucket_key("ab", "c"));
        let long = "x".repeat(300);
        let k = bucket_key(&long, "u");
        assert_eq!(&k[..4], &[0x82, 0x79, 0x01, 0x2c]);
    }

    proptest::proptest! {
        /// The stack-framed fast path equals the general CBOR framing.
        #[test]
        fn fast_bucket_matches_the_framed_key(salt in "\\PC{0,30}", user in "\\PC{0,30}") {
            let h = murmur3_x86_32(&bucket_key(&salt, &user), 0);
            proptest::prop_assert_eq!(bucket(&salt, &user), ((u64::from(h) * 10_000) >> 32) as u16);
        }
    }

    #[test]
    fn empty_user_never_enters() {
        assert!(!in_grayscale("s", "", 10_000));
        assert!(in_grayscale("s", "u", 10_000));
        assert!(!in_grayscale("s", "u", 0));
    }

    #[test]
    fn percentages_parse_to_basis_points() {
        for (t, bp) in [
            ("12.5", 1250),
            ("0.01", 1),
            ("100", 10_000),
            ("0", 0),
            ("7%", 700),
            (".5", 50),
            ("33.330", 3333),
        ] {
            assert_eq!(percent_to_bp(t), Ok(bp), "{t}");
        }
        for t in ["0.001", "100.01", "-1", "abc", "", "1e2", "1000"] {
            assert!(percent_to_bp(t).is_err(), "{t}");
        }
    }

    proptest::proptest! {
        /// Raising the percentage only adds users.
        #[test]
        fn monotonic(salt in "[a-z0-9:]{0,20}", user in "\\PC{1,20}", a in 0u16..=10_000, b in 0u16..=10_000) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            if in_grayscale(&salt, &user, lo) {
                proptest::prop_assert!(in_grayscale(&salt, &user, hi));
            }
            proptest::prop_assert!(bucket(&salt, &user) < 10_000);
        }
    }
}
