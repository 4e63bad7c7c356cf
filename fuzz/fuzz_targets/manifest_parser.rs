//! The strict manifest, signature-file and trust-root parsers on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mpkit_bundle::fuzz::manifest_parser(data);
});
