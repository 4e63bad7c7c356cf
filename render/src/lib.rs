//! # mpkit-render
//!
//! The render core, shared by every surface: AXML parsing, expressions,
//! rendering to a virtual DOM, ACSS, and diffing into patch ops.
//!
//! **Invariant**: pure. No I/O, no clock, no threads (`clippy.toml` bans
//! them): files come through a [`template::Loader`], time limits through a
//! budget the caller checks. It runs inside the isolation unit (a logic
//! worker process, or the app's own thread), never on the host's own
//! stack, so everything here is written for hostile input: every recursion
//! is bounded by a depth limit that fits a 1 MB stack.

pub mod acss;
pub mod axml;
pub mod budget;
pub mod cache;
pub mod component;
pub mod data;
pub mod diff;
pub mod events;
pub mod expr;
pub mod mounted;
pub mod selector;
pub mod template;
pub mod vdom;
pub mod wire;

/// Resolves `src` against the bundle file that names it (`/x` is from the bundle
/// root, anything else relative to the file's folder). `None` when the result
/// leaves the bundle's root or is empty; the [`template::Loader`] the host
/// gives checks the rest of the bundle's path rules when it reads the file.
pub fn resolve_in_bundle(current: &str, src: &str) -> Option<String> {
    let mut parts: Vec<&str> = if src.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = current.split('/').collect();
        p.pop();
        p
    };
    for seg in src.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    // The loader checks the result against the bundle's own path rules.
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Where a bare (npm) name `spec`, named by the bundle file `file`, may be:
/// `D/node_modules/spec` for each folder `D` from the file's up to the
/// root, nearest first; each normalised as [`resolve_in_bundle`] does
/// (those that leave the bundle are left out).
pub fn node_modules_paths(file: &str, spec: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut dir = file.rsplit_once('/').map_or("", |(d, _)| d);
    loop {
        let candidate = if dir.is_empty() {
            format!("node_modules/{spec}")
        } else {
            format!("{dir}/node_modules/{spec}")
        };
        out.extend(resolve_in_bundle("", &candidate));
        match dir.rsplit_once('/') {
            Some((up, _)) => dir = up,
            None if dir.is_empty() => return out,
            None => dir = "",
        }
    }
}

/// A hasher for `u64`s no mini program can choose: node ids from our own
/// counter, and key hashes already made with a random seed. A multiply is
/// hash enough, and SipHash showed in the profile of a 630-op batch.
#[derive(Clone, Copy, Default)]
pub(crate) struct IdHash;

impl std::hash::BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Test helpers shared by the render and surface tests.
#[cfg(test)]
pub(crate) mod testkit {
    use super::axml::Document;
    use super::diff::{diff_root, Ids};
    use super::template::{Loader, Renderer};
    use super::vdom::DomNode;
    use std::sync::Arc;

    /// A loader with no files.
    pub(crate) struct NoFiles;
    impl Loader for NoFiles {
        fn load(&self, p: &str) -> Result<Arc<Document>, String> {
            Err(format!("no {p}"))
        }
    }

    /// The id of the first node whose `id` attribute is `id`.
    pub(crate) fn id_attr(root: &DomNode, id: &str) -> u64 {
        fn walk(n: &DomNode, id: &str) -> Option<u64> {
            if n.attrs.get("id").is_some_and(|v| v == id) {
                return Some(n.id);
            }
            n.children.iter().find_map(|c| walk(c, id))
        }
        walk(root, id).expect("a node with that id")
    }

    /// Parses and renders `src` with empty data, mounted on a fresh page root.
    pub(crate) fn dom(src: &str) -> DomNode {
        let doc = super::axml::parse(src).expect("parses");
        let v = Renderer::new(&NoFiles, 375.0)
            .render(&doc, "p.axml", &serde_json::json!({}))
            .expect("renders");
        let mut root = DomNode::root();
        diff_root(&mut root, v, &mut Ids::default());
        root
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn npm_names_are_looked_up_from_the_files_folder_to_the_root() {
        assert_eq!(
            super::node_modules_paths("pages/a/a.json", "ui/es/x"),
            [
                "pages/a/node_modules/ui/es/x",
                "pages/node_modules/ui/es/x",
                "node_modules/ui/es/x"
            ]
        );
        assert_eq!(
            super::node_modules_paths("app.json", "ui"),
            ["node_modules/ui"]
        );
        // What would leave the bundle is no candidate.
        assert_eq!(
            super::node_modules_paths("a.axml", "../../x"),
            Vec::<String>::new()
        );
    }
}
