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

    /// A mutation either fails verification or changes nothing a host would
    /// install: the only freedom left is in deflate's padding bits, which no
    /// decoder reads. (In production the signed release policy pins the package's
    /// sha256 and length too.)
    #[test]
    fn mutated_bundles_never_change_what_installs(edits in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4)) {
        let fx = Fixture::new();
        let good = fx.bundle("1.1.0");
        let mut bad = good.clone();
        for (at, x) in &edits {
            let i = at.index(bad.len());
            bad[i] ^= x;
        }
        if let Ok(v) = open(&bad, &fx.trust(), &Expected::any(), &Caps::default()) {
            for (path, data) in &fx.files {
                let f = v.manifest().file(path).expect("listed");
                let mut got = Vec::new();
                let streamed = v.stream_file(f, &mut |c| {
                    got.extend_from_slice(c);
                    Ok(())
                });
                if streamed.is_ok() {
                    prop_assert_eq!(&got, data);
                }
            }
            let good_v = open(&good, &fx.trust(), &Expected::any(), &Caps::default()).expect("good");
            prop_assert_eq!(v.manifest_bytes(), good_v.manifest_bytes());
        }
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
