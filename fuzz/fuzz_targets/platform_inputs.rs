//! The platform's text inputs: tester files and grayscale percentages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpkit_platform_client::{rollout, testers};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let p = testers::parse(text);
    for id in &p.ids {
        assert!(testers::check_id(id).is_ok());
    }
    // The report stays bounded whatever the file; every line counts once.
    assert!(p.rejected.len() <= testers::MAX_REPORTED && p.rejected.len() <= p.rejected_total);
    assert!(p.ids.len() <= testers::MAX_TESTERS);
    assert!(p.ids.len() + p.rejected_total <= text.lines().count());
    if let Ok(bp) = rollout::percent_to_bp(text) {
        assert!(bp <= 10_000);
    }
});
