//! A mini program's template on arbitrary text: the AXML parser, the
//! expression parser, rendering with some data (within a step budget),
//! the diff against the last render, and the ops applied to a checked tree.
//! Nothing may panic or overflow the stack; a page that renders must mount
//! exactly as the diff describes it.
#![no_main]
use mpkit_render::axml;
use mpkit_render::budget::Budget;
use mpkit_render::diff::{diff_root, Ids};
use mpkit_render::mounted::Mounted;
use mpkit_render::template::{Loader, Renderer};
use mpkit_render::vdom::DomNode;
use std::sync::Arc;

struct NoFiles;
impl Loader for NoFiles {
    fn load(&self, p: &str) -> Result<Arc<axml::Document>, String> {
        Err(format!("no {p}"))
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = axml::parse(src) else { return };
    let page = serde_json::json!({
        "n": 3, "s": "x", "list": [{"id": 1, "t": "a"}, {"id": 2, "t": "b"}],
        "o": {"a": {"b": [1, 2, 3]}}, "f": false,
    });
    let mut root = DomNode::root();
    let mut ids = Ids::default();
    let mut tree = Mounted::new();
    for data in [page.clone(), serde_json::json!({}), page] {
        let out = Renderer::new(&NoFiles, 375.0)
            .with_budget(Budget::new(200_000, || true))
            .render(&doc, "p.axml", &data);
        let Ok(nodes) = out else { return };
        let ops = diff_root(&mut root, nodes, &mut ids);
        tree.apply(&ops).expect("a render's ops apply");
        assert_eq!(tree.root(), &root);
    }
});
