//! The workspace's Rust sources, and the parts of a file that are tests.

use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `root`, relative to it, sorted; build output
/// (`target`), VCS and hidden directories, and third-party sources kept
/// as published (`vendor`, see vendor/boa_ast/MPKIT.md) are skipped.
pub(crate) fn rust_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        for e in entries {
            let e = e?;
            let name = e.file_name();
            let name = name.to_string_lossy();
            let path = rel.join(&*name);
            let ty = e.file_type()?;
            if ty.is_dir() {
                if !(name.starts_with('.')
                    || name == "target"
                    || rel.as_os_str().is_empty() && name == "vendor")
                {
                    stack.push(path);
                }
            } else if ty.is_file() && name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A relative path with `/` separators, as problems name files.
pub(crate) fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// True for a file that holds only tests: under a `tests/` directory, or
/// a module file named `tests.rs`.
pub(crate) fn is_test_file(rel: &str) -> bool {
    rel.split('/').any(|c| c == "tests") || rel.ends_with("/tests.rs") || rel == "tests.rs"
}

/// True when `attrs` include `#[cfg(test)]` (or a `cfg` whose condition
/// names `test` alone, such as `#[cfg(all(test, unix))]`).
pub(crate) fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .map(|l| {
                    let tokens = l.tokens.to_string();
                    !tokens.contains("not")
                        && tokens
                            .split(|c: char| !c.is_alphanumeric() && c != '_')
                            .any(|w| w == "test")
                })
                .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_files_are_recognised_by_their_place() {
        assert!(is_test_file("cli/tests/manage.rs"));
        assert!(is_test_file("tests/tests/e2e.rs"));
        assert!(is_test_file("host/src/runtime/tests.rs"));
        assert!(!is_test_file("host/src/runtime/mod.rs"));
        assert!(!is_test_file("xtask/src/tidy/testsuite.rs"));
    }

    #[test]
    fn cfg_test_is_told_from_cfg_not_test() {
        let item: syn::ItemMod = syn::parse_quote! { #[cfg(test)] mod tests {} };
        assert!(is_cfg_test(&item.attrs));
        let item: syn::ItemMod = syn::parse_quote! { #[cfg(all(test, unix))] mod tests {} };
        assert!(is_cfg_test(&item.attrs));
        let item: syn::ItemMod = syn::parse_quote! { #[cfg(not(test))] mod real {} };
        assert!(!is_cfg_test(&item.attrs));
        let item: syn::ItemMod = syn::parse_quote! { #[cfg(feature = "testing")] mod real {} };
        assert!(!is_cfg_test(&item.attrs));
    }
}
