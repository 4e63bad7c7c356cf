//! What a mini program's JS files and specifiers are, on arbitrary bytes:
//! the ES module rewrite (which keeps every line) and module resolution end
//! in a value or an error, never a panic or a stack overflow.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        mpkit_modules::fuzz::modules(src);
    }
});
