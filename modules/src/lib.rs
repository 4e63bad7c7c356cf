//! # mpkit-modules
//!
//! Mini program modules as Alipay's tools run them: [`resolve`] finds the
//! file a `require`/`import` specifier names (`/`-rooted, relative, or from
//! `node_modules` with package.json's `alipay`, `module` and `main`), and
//! [`esm`] rewrites an ES module to CommonJS with Babel's interop, keeping
//! every line where it was, and [`SourceMap`] reads a compiled file's map
//! back, so errors name the line of the TypeScript the developer wrote.
//!
//! **Invariant**: pure. No I/O, no clock, no threads (`clippy.toml` bans
//! them): files come through the closure the caller gives. It runs inside
//! the isolation unit on what a mini program wrote, so everything here is
//! written for hostile input and is iterative: no input overflows a stack.

pub mod esm;
pub mod resolve;
pub mod sourcemap;

pub use esm::{is_module, to_commonjs, EsmError};
pub use resolve::{resolve, Probe, Resolved};
pub use sourcemap::SourceMap;

/// Fuzzing entry points: hostile sources and specifiers, never a panic.
#[doc(hidden)]
pub mod fuzz {
    /// Rewrites `src` (and checks the output keeps its line count), and
    /// resolves specifiers taken from its lines against a small package.
    pub fn modules(src: &str) {
        let _ = crate::is_module(src);
        if let Some(map) = crate::SourceMap::parse("lib/a.js", src) {
            for line in 0..4 {
                let _ = map.lookup(line, 1);
            }
        }
        if let Ok(out) = crate::to_commonjs(src) {
            assert_eq!(
                out.matches('\n').count(),
                src.matches('\n').count(),
                "the rewrite keeps every line"
            );
        }
        let files = [
            "app.js",
            "lib/a.js",
            "node_modules/p/package.json",
            "node_modules/p/index.js",
        ];
        let mut read = |p: &str| -> Option<String> {
            files.contains(&p).then(|| {
                if p.ends_with("package.json") {
                    src.to_owned()
                } else {
                    String::new()
                }
            })
        };
        for spec in src.lines().take(16) {
            let mut cache = std::collections::HashMap::new();
            let _ = crate::resolve(
                "pages/a/a.js",
                spec,
                &mut crate::Probe::new(&mut read, &mut cache),
            );
        }
    }
}
