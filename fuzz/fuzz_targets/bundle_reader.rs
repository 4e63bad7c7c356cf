//! The whole bundle reader (zip structure, metadata, signature, inflation) on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mpkit_bundle::fuzz::bundle_reader(data);
});
