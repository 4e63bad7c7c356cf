//! Style isolation (a component's `styleIsolation`, compat.md B11): the
//! class selectors of a component's stylesheet renamed to the names its
//! own elements carry ([`crate::template::Renderer::with_class_scope`]),
//! so its rules reach only them.

use cssparser::{Parser, ParserInput, Token};

/// The prefix an isolated component's class names get: `_s`, eight hex
/// digits of a hash of its base path (`is`), `-`; the same in every page,
/// in its stylesheet and in its elements.
pub fn class_prefix(is: &str) -> String {
    // FNV-1a, 32 bits: stable across builds and platforms.
    let mut h: u32 = 0x811c_9dc5;
    for b in is.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("_s{h:08x}-")
}

/// The class name as its template wrote it, when `token` is one an
/// isolated component's element carries ([`class_prefix`] before it): what
/// a selector query's `.name` matches too.
pub fn unscoped_class(token: &str) -> Option<&str> {
    let rest = token.strip_prefix("_s")?;
    let (hex, name) = (rest.get(..8)?, rest.get(8..)?);
    let name = name.strip_prefix('-')?;
    (hex.bytes().all(|b| b.is_ascii_hexdigit()) && !name.is_empty()).then_some(name)
}

/// At-rules whose block holds rules (and so selectors).
const GROUPING: [&str; 6] = [
    "media",
    "supports",
    "container",
    "layer",
    "document",
    "scope",
];

/// `css`, an expanded stylesheet, with each class selector `.name` in its
/// rules' selectors written `.{prefix}name`, inside `:not()`, `:is()` and
/// the like too. The blocks of `@media`, `@supports`, `@container`,
/// `@layer`, `@document` and `@scope` are entered; declarations,
/// `@keyframes`, `@font-face` and attribute selectors (`[class~=a]`) are
/// copied as written. Blocks deeper than [`super::MAX_BLOCK_DEPTH`] are
/// copied, not entered.
///
/// ```
/// use mpkit_render::acss::scope_classes;
/// let css = ".a, view .b:not(.c) { color: red } @media (min-width: 1px) { .d { top: .5em } }";
/// assert_eq!(
///     scope_classes(css, "x-"),
///     ".x-a, view .x-b:not(.x-c) { color: red } @media (min-width: 1px) { .x-d { top: .5em } }"
/// );
/// ```
pub fn scope_classes(css: &str, prefix: &str) -> String {
    let mut input = ParserInput::new(css);
    let mut p = Parser::new(&mut input);
    let mut at = Vec::new();
    rules(&mut p, 0, &mut at);
    let mut out = String::with_capacity(css.len() + at.len() * prefix.len());
    let mut copied = 0;
    for i in at {
        out.push_str(&css[copied..i]);
        out.push_str(prefix);
        copied = i;
    }
    out.push_str(&css[copied..]);
    out
}

/// A list of rules: each qualified rule's selector is read for class
/// names; its block is skipped; a grouping at-rule's block is a list of
/// rules again.
fn rules(p: &mut Parser<'_, '_>, depth: usize, at: &mut Vec<usize>) {
    loop {
        let start = p.position().byte_index();
        let Ok(token) = p.next_including_whitespace_and_comments() else {
            return;
        };
        match token.clone() {
            Token::WhiteSpace(_) | Token::Comment(_) | Token::Semicolon => {}
            Token::CurlyBracketBlock => {}
            Token::AtKeyword(name) => {
                let grouping = GROUPING.iter().any(|g| name.eq_ignore_ascii_case(g));
                // Its prelude, to `;` or its block.
                loop {
                    match p.next_including_whitespace_and_comments() {
                        Err(_) | Ok(Token::Semicolon) => break,
                        Ok(Token::CurlyBracketBlock) => {
                            if grouping && depth < super::MAX_BLOCK_DEPTH {
                                let _ = p.parse_nested_block(|q| {
                                    rules(q, depth + 1, at);
                                    Ok::<(), cssparser::ParseError<'_, ()>>(())
                                });
                            }
                            break;
                        }
                        Ok(_) => {}
                    }
                }
            }
            first => {
                // A selector, to its block.
                let mut dot = false;
                let mut t = Some((first, start));
                loop {
                    let Some((token, start)) = t.take() else {
                        let start = p.position().byte_index();
                        match p.next_including_whitespace_and_comments() {
                            Ok(tok) => t = Some((tok.clone(), start)),
                            Err(_) => return,
                        }
                        continue;
                    };
                    if token == Token::CurlyBracketBlock {
                        break;
                    }
                    selector_token(p, &token, start, &mut dot, depth, at);
                }
            }
        }
    }
}

/// One token of a selector: an identifier right after a `.` is a class
/// name; functions (`:not(…)`) are read as selectors too.
fn selector_token(
    p: &mut Parser<'_, '_>,
    token: &Token<'_>,
    start: usize,
    dot: &mut bool,
    depth: usize,
    at: &mut Vec<usize>,
) {
    if *dot {
        if let Token::Ident(_) = token {
            at.push(start);
        }
    }
    *dot = matches!(token, Token::Delim('.'));
    if matches!(token, Token::Function(_) | Token::ParenthesisBlock)
        && depth < super::MAX_BLOCK_DEPTH
    {
        let _ = p.parse_nested_block(|q| {
            let mut inner_dot = false;
            loop {
                let start = q.position().byte_index();
                let Ok(t) = q.next_including_whitespace_and_comments() else {
                    break;
                };
                let t = t.clone();
                selector_token(q, &t, start, &mut inner_dot, depth + 1, at);
            }
            Ok::<(), cssparser::ParseError<'_, ()>>(())
        });
    }
}
