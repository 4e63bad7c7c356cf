//! Property tests: hostile bytes never panic, and mutations never verify.

use super::Fixture;
use crate::{open, Caps, Expected};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        crate::fuzz::bundle_reader(&data);
        crate::fuzz::manifest_parser(&data);
    }

    #[test]
    fn mutated_bundles_never_verify(edits in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4)) {
        let fx = Fixture::new();
        let good = fx.bundle("1.1.0");
        let mut bad = good.clone();
        for (at, x) in &edits {
            let i = at.index(bad.len());
            bad[i] ^= x;
        }
        let r = open(&bad, &fx.trust(), &Expected::any(), &Caps::default()).and_then(|v| v.check_contents());
        prop_assert!(r.is_err());
    }

    #[test]
    fn truncations_and_extensions_never_verify(cut in 1usize..2000, tail in proptest::collection::vec(any::<u8>(), 1..64)) {
        let fx = Fixture::new();
        let good = fx.bundle("1.1.0");
        let cut = cut.min(good.len());
        let r = open(&good[..good.len() - cut], &fx.trust(), &Expected::any(), &Caps::default());
        prop_assert!(r.is_err());
        let mut longer = good.clone();
        longer.extend_from_slice(&tail);
        let r = open(&longer, &fx.trust(), &Expected::any(), &Caps::default());
        prop_assert!(r.is_err());
    }
}
