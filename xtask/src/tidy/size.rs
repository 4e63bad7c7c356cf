//! Rule `size`: no source file over [`LIMIT`] lines outside tests, unless
//! its first comment says why.
//!
//! Lines of tests do not count: files under a `tests/` directory, files
//! named `tests.rs`, and items marked `#[cfg(test)]` (an inline
//! `mod tests { ... }`). A longer file gives its reason in its opening `//!`
//! comment, in the words `(long because ...)`, e.g.
//!
//! ```text
//! //! The AXML renderer. (long because each directive's cases read best side by side)
//! ```
//!
//! [`KNOWN_LONG`] lists the files that were over the limit when the rule
//! came, until each is split or says why; a listed file that no longer
//! needs its place is a problem too, so the list only ever shrinks.

use super::source::{is_cfg_test, is_test_file};
use super::Problem;
use syn::spanned::Spanned as _;

/// The most lines a source file has outside its tests without a reason.
pub(crate) const LIMIT: usize = 800;

/// Files over the limit, without a reason, when the rule came in, in
/// directories their owners were reshaping: remove each once it is split
/// or its first comment says `(long because ...)`.
pub(crate) const KNOWN_LONG: &[&str] = &[];

/// The problems of one file.
pub(crate) fn check(file: &str, text: &str) -> Vec<Problem> {
    check_with(file, text, KNOWN_LONG)
}

pub(crate) fn check_with(file: &str, text: &str, known_long: &[&str]) -> Vec<Problem> {
    if is_test_file(file) {
        return Vec::new();
    }
    let lines = lines_outside_tests(text);
    let reason = has_reason(text);
    let listed = known_long.contains(&file);
    let problem = |message: String| {
        vec![Problem {
            file: file.to_owned(),
            rule: "size",
            message,
        }]
    };
    match (lines > LIMIT, reason, listed) {
        (true, false, false) => problem(format!(
            "{lines} lines outside tests (limit {LIMIT}): split it, or say why in its first comment: //! ... (long because ...)"
        )),
        (false, _, true) | (_, true, true) => problem(format!(
            "is in size.rs's KNOWN_LONG list but {}: remove it from the list",
            if reason {
                "says why it is long"
            } else {
                "is within the limit"
            }
        )),
        _ => Vec::new(),
    }
}

/// The file's lines less those of `#[cfg(test)]` items, at any depth.
pub(crate) fn lines_outside_tests(text: &str) -> usize {
    let total = text.lines().count();
    let Ok(file) = syn::parse_file(text) else {
        return total;
    };
    total.saturating_sub(test_lines(&file.items))
}

fn test_lines(items: &[syn::Item]) -> usize {
    items
        .iter()
        .map(|item| {
            let attrs = match item {
                syn::Item::Mod(m) => &m.attrs,
                syn::Item::Fn(f) => &f.attrs,
                syn::Item::Impl(i) => &i.attrs,
                syn::Item::Use(u) => &u.attrs,
                syn::Item::Struct(s) => &s.attrs,
                syn::Item::Enum(e) => &e.attrs,
                syn::Item::Const(c) => &c.attrs,
                syn::Item::Static(s) => &s.attrs,
                syn::Item::Macro(m) => &m.attrs,
                _ => return 0,
            };
            if is_cfg_test(attrs) {
                // From the attribute, so the `#[cfg(test)]` line counts as test.
                let start = attrs
                    .iter()
                    .map(|a| a.span().start().line)
                    .min()
                    .unwrap_or_else(|| item.span().start().line);
                item.span().end().line + 1 - start
            } else if let syn::Item::Mod(m) = item {
                m.content.as_ref().map_or(0, |(_, inner)| test_lines(inner))
            } else {
                0
            }
        })
        .sum()
}

/// Whether the opening `//!` comment says `(long because ...)`.
fn has_reason(text: &str) -> bool {
    let opening: String = text
        .lines()
        .map(str::trim_start)
        .skip_while(|l| l.is_empty())
        .take_while(|l| l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join(" ");
    opening.split("(long because ").nth(1).is_some_and(|rest| {
        rest.split(')')
            .next()
            .is_some_and(|why| why.trim().len() >= 3)
            && rest.contains(')')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_file(first_comment: &str, code_lines: usize, test_lines: usize) -> String {
        let mut s = format!("{first_comment}\n");
        for i in 0..code_lines {
            s.push_str(&format!("pub fn f{i}() {{}}\n"));
        }
        s.push_str("#[cfg(test)]\nmod tests {\n");
        for i in 0..test_lines {
            s.push_str(&format!("    fn t{i}() {{}}\n"));
        }
        s.push_str("}\n");
        s
    }

    fn messages(file: &str, text: &str) -> Vec<String> {
        check_with(file, text, &["host/src/old.rs"])
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_long_file_without_a_reason_is_named() {
        let text = long_file("//! Many things.", 820, 0);
        assert_eq!(
            messages("render/src/big.rs", &text),
            ["render/src/big.rs: [size] 821 lines outside tests (limit 800): split it, or say why in its first comment: //! ... (long because ...)"]
        );
    }

    #[test]
    fn its_tests_do_not_count() {
        let text = long_file("//! Many things.", 700, 300);
        assert_eq!(lines_outside_tests(&text), 701);
        assert_eq!(messages("render/src/big.rs", &text), Vec::<String>::new());
        // Files of tests do not count at all.
        let text = long_file("//! Tests.", 900, 0);
        assert_eq!(messages("cli/tests/manage.rs", &text), Vec::<String>::new());
        assert_eq!(
            messages("host/src/runtime/tests.rs", &text),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_reason_in_the_first_comment_allows_it() {
        let text = long_file(
            "//! The renderer.\n//! (long because each directive's cases read best side by side)",
            900,
            0,
        );
        assert_eq!(messages("render/src/big.rs", &text), Vec::<String>::new());
        // Not in a later comment, and not an empty reason.
        let later = format!(
            "//! The renderer.\n\n// (long because it is)\n{}",
            long_file("", 900, 0)
        );
        assert_eq!(messages("render/src/big.rs", &later).len(), 1);
        let empty = long_file("//! The renderer. (long because )", 900, 0);
        assert_eq!(messages("render/src/big.rs", &empty).len(), 1);
    }

    #[test]
    fn the_list_of_known_long_files_only_shrinks() {
        let text = long_file("//! Old.", 900, 0);
        assert_eq!(messages("host/src/old.rs", &text), Vec::<String>::new());
        let split = long_file("//! Old.", 300, 0);
        assert_eq!(
            messages("host/src/old.rs", &split),
            ["host/src/old.rs: [size] is in size.rs's KNOWN_LONG list but is within the limit: remove it from the list"]
        );
    }
}
