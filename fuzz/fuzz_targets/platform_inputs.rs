//! The platform's text inputs: tester files and grayscale percentages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpkit_platform_client::{rollout, testers};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (ok, bad) = testers::parse(text);
    for id in &ok {
        assert!(testers::check_id(id).is_ok());
    }
    assert!(ok.len() + bad.len() <= text.lines().count());
    if let Ok(bp) = rollout::percent_to_bp(text) {
        assert!(bp <= 10_000);
    }
});
