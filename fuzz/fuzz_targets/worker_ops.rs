//! What a worker sends the host, on arbitrary bytes: patch ops in their
//! wire form, read, then applied to the host's checked tree of a page.
//! Whatever the bytes, reading and applying end in a value or an error,
//! never a panic or a stack overflow, and the tree stays within its limits.
#![no_main]
use mpkit_render::mounted::{Mounted, MAX_TREE_BYTES, MAX_TREE_NODES};
use mpkit_render::wire::WireOps;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut tree = Mounted::new();
    // The bytes as one message, then as several in a row on one page.
    for chunk in std::iter::once(data).chain(data.split(|b| *b == b'\n')) {
        let Ok(ops) = serde_json::from_slice::<WireOps>(chunk) else {
            continue;
        };
        if tree.apply(&ops.0).is_err() {
            return;
        }
        assert!(tree.nodes() <= MAX_TREE_NODES);
        assert!(tree.bytes() <= MAX_TREE_BYTES);
    }
});
