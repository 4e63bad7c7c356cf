//! Rule `host-api`: `mpkit_host`'s crate root is its whole API.
//!
//! Outside `host/`, no path goes through one of its modules
//! (`mpkit_host::<module>::...`): only root items (`mpkit_host::Host`,
//! `mpkit_host::enter_if_worker`, ...). The one exception is the
//! `#[doc(hidden)]` layer below the API, `mpkit_host::internals`, which only
//! the benchmarks (`xtask/`) and host's own integration tests (`host/tests/`)
//! may use. Paths are read from `use` trees (braces included) and from the
//! token stream, so a path inside a macro call counts too.
//!
//! [`KNOWN_DEEP`] lists the uses that were there when the rule came, until
//! each goes; a listed use that is gone is a problem too, so the list only
//! ever shrinks.

use super::Problem;
use proc_macro2::{TokenStream, TokenTree};

const CRATE: &str = "mpkit_host";

/// (file, module) uses of host's internals that were there when the rule
/// came, in crates their owners were reshaping: remove each once it is gone.
pub(crate) const KNOWN_DEEP: &[(&str, &str)] = &[];

/// Drops the problems `known` lists from `problems`, and returns one problem
/// per listed use that no problem matched.
pub(crate) fn apply_known(problems: &mut Vec<Problem>, known: &[(&str, &str)]) -> Vec<Problem> {
    let mut matched = vec![false; known.len()];
    problems.retain(|p| {
        let hit = known.iter().position(|(file, module)| {
            p.rule == "host-api"
                && p.file == *file
                && p.message.contains(&format!("mpkit_host::{module}"))
        });
        if let Some(i) = hit {
            matched[i] = true;
        }
        hit.is_none()
    });
    known
        .iter()
        .zip(matched)
        .filter(|(_, m)| !m)
        .map(|((file, module), _)| Problem {
            file: (*file).to_owned(),
            rule: "host-api",
            message: format!(
                "no longer uses mpkit_host::{module}, which paths.rs's KNOWN_DEEP list allows it: remove it from the list"
            ),
        })
        .collect()
}
const INTERNALS: &str = "internals";

/// Where `mpkit_host::internals` may be used.
fn may_use_internals(file: &str) -> bool {
    file.starts_with("xtask/") || file.starts_with("host/tests/")
}

/// Files built against another checkout of host: the harness that measures
/// issue 21 compiles against the commit before it too, whose paths it needs.
const OTHER_CHECKOUTS: &[&str] = &["docs/bench/before-after/"];

/// The problems of one file (`file` relative to the workspace root).
pub(crate) fn check(file: &str, text: &str) -> Vec<Problem> {
    if file.starts_with("host/") && !file.starts_with("host/tests/") {
        return Vec::new();
    }
    if OTHER_CHECKOUTS.iter().any(|d| file.starts_with(d)) {
        return Vec::new();
    }
    if !text.contains(CRATE) {
        return Vec::new();
    }
    let mut found: Vec<(usize, String)> = Vec::new();
    match text.parse::<TokenStream>() {
        Ok(tokens) => scan(tokens, &mut found),
        Err(e) => {
            return vec![Problem {
                file: file.to_owned(),
                rule: "host-api",
                message: format!("cannot read this file's tokens: {e}"),
            }]
        }
    }
    found.sort();
    found.dedup();
    found
        .into_iter()
        .filter(|(_, module)| !(module == INTERNALS && may_use_internals(file)))
        .map(|(line, module)| {
            let message = if module == INTERNALS {
                format!(
                    "line {line}: mpkit_host::internals is the layer below host's API, for xtask/ and host/tests/ only; use the crate root's API"
                )
            } else {
                format!(
                    "line {line}: mpkit_host::{module}:: is a path into host's internals; use what the crate root exports (mpkit_host::Name)"
                )
            };
            Problem {
                file: file.to_owned(),
                rule: "host-api",
                message,
            }
        })
        .collect()
}

/// Finds `mpkit_host :: module :: ...` and `mpkit_host :: { module :: ... }`
/// in `tokens` and every group inside them, with the line of each.
fn scan(tokens: TokenStream, found: &mut Vec<(usize, String)>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in trees.iter().enumerate() {
        match t {
            TokenTree::Group(g) => scan(g.stream(), found),
            TokenTree::Ident(id) if *id == CRATE => {
                // A path of the crate itself, not `foo::mpkit_host`.
                let preceded = i >= 2 && is_colons(&trees[i - 2], &trees[i - 1]);
                if preceded {
                    continue;
                }
                let Some(rest) = trees.get(i + 1..) else {
                    continue;
                };
                if rest.len() >= 2 && is_colons(&rest[0], &rest[1]) {
                    match rest.get(2) {
                        Some(TokenTree::Ident(m)) => {
                            let followed = rest.len() >= 5 && is_colons(&rest[3], &rest[4]);
                            if followed && is_module_name(&m.to_string()) {
                                found.push((m.span().start().line, m.to_string()));
                            }
                        }
                        Some(TokenTree::Group(g)) => use_group(g.stream(), found),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// `{ a::B, c, d::{E, F} }` after `mpkit_host::`: each `a::` names a module.
fn use_group(tokens: TokenStream, found: &mut Vec<(usize, String)>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut at_start = true;
    for (i, t) in trees.iter().enumerate() {
        match t {
            TokenTree::Punct(p) if p.as_char() == ',' => at_start = true,
            TokenTree::Ident(m) if at_start => {
                at_start = false;
                let followed = trees.len() >= i + 3 && is_colons(&trees[i + 1], &trees[i + 2]);
                if followed && is_module_name(&m.to_string()) {
                    found.push((m.span().start().line, m.to_string()));
                }
            }
            _ => at_start = false,
        }
    }
}

fn is_colons(a: &TokenTree, b: &TokenTree) -> bool {
    matches!((a, b), (TokenTree::Punct(x), TokenTree::Punct(y)) if x.as_char() == ':' && y.as_char() == ':')
}

/// Modules are snake_case; root items are types (CamelCase), constants
/// (UPPER_CASE) or functions, and a function is never followed by `::`.
fn is_module_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') && s != "self" && s != "super"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(file: &str, text: &str) -> Vec<String> {
        check(file, text).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn root_items_pass_anywhere() {
        let text = "use mpkit_host::{Host, HostBuilder, WORKER_ARG};\n\
                    fn main() { mpkit_host::enter_if_worker(); let _ = mpkit_host::Host::builder(); }";
        assert_eq!(messages("cli/src/main.rs", text), Vec::<String>::new());
    }

    #[test]
    fn a_module_path_outside_host_is_named_with_its_line() {
        let text = "use mpkit_host::Host;\nuse mpkit_host::runtime::Runtime;\n";
        assert_eq!(
            messages("webview/src/app.rs", text),
            ["webview/src/app.rs: [host-api] line 2: mpkit_host::runtime:: is a path into host's internals; use what the crate root exports (mpkit_host::Name)"]
        );
    }

    #[test]
    fn module_paths_in_braces_and_in_macros_count() {
        let text = "use mpkit_host::{Host, surface::headless::HeadlessSurface};\n\
                    fn f() { println!(\"{:?}\", mpkit_host::logic::Stopped::Watchdog); }\n";
        assert_eq!(
            messages("compat/src/lib.rs", text),
            [
                "compat/src/lib.rs: [host-api] line 1: mpkit_host::surface:: is a path into host's internals; use what the crate root exports (mpkit_host::Name)",
                "compat/src/lib.rs: [host-api] line 2: mpkit_host::logic:: is a path into host's internals; use what the crate root exports (mpkit_host::Name)",
            ]
        );
    }

    #[test]
    fn internals_only_in_xtask_and_host_tests() {
        let text = "use mpkit_host::internals::{LaunchOptions, Runtime};\n";
        assert_eq!(
            messages("xtask/src/bench/runtime.rs", text),
            Vec::<String>::new()
        );
        assert_eq!(
            messages("host/tests/isolation.rs", text),
            Vec::<String>::new()
        );
        assert_eq!(
            messages("sample-app/src/wallet.rs", text),
            ["sample-app/src/wallet.rs: [host-api] line 1: mpkit_host::internals is the layer below host's API, for xtask/ and host/tests/ only; use the crate root's API"]
        );
        // Nor may host's own tests reach past it.
        assert_eq!(
            messages("host/tests/isolation.rs", "use mpkit_host::logic::worker::X;"),
            ["host/tests/isolation.rs: [host-api] line 1: mpkit_host::logic:: is a path into host's internals; use what the crate root exports (mpkit_host::Name)"]
        );
    }

    #[test]
    fn the_list_of_known_uses_only_shrinks() {
        let text = "use mpkit_host::internals::now_secs;\n";
        let mut problems = check("compat/src/lib.rs", text);
        problems.extend(check("update/src/lib.rs", text));
        let known = [
            ("compat/src/lib.rs", "internals"),
            ("webview/src/app.rs", "runtime"),
        ];
        let gone = apply_known(&mut problems, &known);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].file, "update/src/lib.rs");
        assert_eq!(
            gone.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["webview/src/app.rs: [host-api] no longer uses mpkit_host::runtime, which paths.rs's KNOWN_DEEP list allows it: remove it from the list"]
        );
    }

    #[test]
    fn host_itself_is_not_checked() {
        assert_eq!(
            messages(
                "host/src/bin/mpkit-worker.rs",
                "use mpkit_host::logic::worker::X;"
            ),
            Vec::<String>::new()
        );
    }
}
