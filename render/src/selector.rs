//! CSS-like selectors over a rendered tree: tag, `#id`, `.class`, `[attr]`,
//! `[attr=value]`, compounds of those, the descendant (` `, and Alipay's
//! `>>>`) and child (`>`) combinators, and lists (`a, b`). What
//! `my.createSelectorQuery` resolves inside the isolation unit, and what the
//! automation (`mpkit run` steps, tests) drives pages by.
//!
//! Parsing is bounded (at most [`MAX_SELECTOR_BYTES`] and [`MAX_PARTS`]
//! compounds) and matching is linear in the tree's depth per compound: a
//! selector is mini program input.

use crate::vdom::DomNode;

/// The longest selector accepted, in bytes.
pub const MAX_SELECTOR_BYTES: usize = 1024;
/// The most compounds in one selector (its list included).
pub const MAX_PARTS: usize = 32;

/// One compound selector: every part must match the same element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Compound {
    tag: Option<String>,
    id: Option<String>,
    classes: Vec<String>,
    attrs: Vec<(String, Option<String>)>,
}

/// One complex selector: chains of compounds joined by `>`, the chains
/// joined by descendant combinators, outermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Complex(Vec<Vec<Compound>>);

/// A parsed selector: one or more complex selectors (`a, b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(Vec<Complex>);

/// Why a selector did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad selector {selector:?}: {reason}")]
pub struct SelectorError {
    /// The selector.
    pub selector: String,
    /// What is wrong.
    pub reason: String,
}

impl Selector {
    /// Parses a selector.
    pub fn parse(s: &str) -> Result<Selector, SelectorError> {
        let bad = |reason: &str| SelectorError {
            selector: s.chars().take(200).collect(),
            reason: reason.to_owned(),
        };
        if s.len() > MAX_SELECTOR_BYTES {
            return Err(bad(&format!("longer than {MAX_SELECTOR_BYTES} bytes")));
        }
        let mut list = Vec::new();
        let mut parts = 0;
        for group in split_outside_brackets(s, ',') {
            let mut chains: Vec<Vec<Compound>> = Vec::new();
            // Whether the next compound continues the current chain (`>`).
            let mut child = false;
            for token in tokens(group) {
                if token == ">" {
                    if child || chains.is_empty() {
                        return Err(bad("`>` without an element on each side"));
                    }
                    child = true;
                    continue;
                }
                parts += 1;
                if parts > MAX_PARTS {
                    return Err(bad(&format!("more than {MAX_PARTS} parts")));
                }
                let c = compound(token).map_err(&bad)?;
                match chains.last_mut() {
                    Some(chain) if child => chain.push(c),
                    _ => chains.push(vec![c]),
                }
                child = false;
            }
            if child {
                return Err(bad("`>` without an element on each side"));
            }
            if chains.is_empty() {
                return Err(bad("empty selector"));
            }
            list.push(Complex(chains));
        }
        Ok(Selector(list))
    }

    /// Every matching element under `root`, in document order.
    pub fn select<'a>(&self, root: &'a DomNode) -> Vec<&'a DomNode> {
        let mut out = Vec::new();
        let mut ancestors = Vec::new();
        walk(root, &mut ancestors, &mut |node, ancestors| {
            if self.matches(node, ancestors) {
                out.push(node);
            }
        });
        out
    }

    /// Whether `node`, under `ancestors` (outermost first), matches.
    pub fn matches(&self, node: &DomNode, ancestors: &[&DomNode]) -> bool {
        !node.is_text() && self.0.iter().any(|c| c.matches(node, ancestors))
    }
}

impl Complex {
    fn matches(&self, node: &DomNode, ancestors: &[&DomNode]) -> bool {
        let Some((last, before)) = self.0.split_last() else {
            return false;
        };
        // The last chain ends at the node itself.
        let Some(mut above) = chain_at(last, node, ancestors) else {
            return false;
        };
        // Each earlier chain, innermost first, matched as deep as it can:
        // what is left above it is then the most the rest can use.
        for chain in before.iter().rev() {
            let found = (0..above)
                .rev()
                .find_map(|i| chain_at(chain, ancestors[i], &ancestors[..i]));
            match found {
                Some(top) => above = top,
                None => return false,
            }
        }
        true
    }
}

/// Matches a `>` chain whose last compound is `node`; on success, how many
/// ancestors are left above the chain's first element.
fn chain_at(chain: &[Compound], node: &DomNode, ancestors: &[&DomNode]) -> Option<usize> {
    let (last, up) = chain.split_last()?;
    if !compound_matches(last, node) {
        return None;
    }
    let mut left = ancestors.len();
    for c in up.iter().rev() {
        let parent = left.checked_sub(1)?;
        if !compound_matches(c, ancestors[parent]) {
            return None;
        }
        left = parent;
    }
    Some(left)
}

/// Splits on `sep` where it is not inside `[...]` or quotes.
fn split_outside_brackets(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0usize, None, 0);
    for (i, ch) in s.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(ch),
            (None, '[') => depth += 1,
            (None, ']') => depth = depth.saturating_sub(1),
            (None, c) if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// The compounds and `>` of one complex selector; `>>>` is a descendant.
fn tokens(group: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for word in split_outside_brackets_ws(group) {
        if word == ">>>" {
            continue;
        }
        let mut rest = word;
        while let Some(at) = gt_outside_brackets(rest) {
            if at > 0 {
                out.push(&rest[..at]);
            }
            out.push(">");
            rest = &rest[at + 1..];
        }
        if !rest.is_empty() {
            out.push(rest);
        }
    }
    out
}

/// Where the first `>` outside `[...]` is.
fn gt_outside_brackets(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, ch) in s.char_indices() {
        match ch {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '>' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// Splits on whitespace outside `[...]`.
fn split_outside_brackets_ws(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, None);
    for (i, ch) in s.char_indices() {
        match ch {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            c if c.is_whitespace() && depth == 0 => {
                if let Some(st) = start.take() {
                    out.push(&s[st..i]);
                }
                continue;
            }
            _ => {}
        }
        if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    out
}

fn compound(word: &str) -> Result<Compound, &'static str> {
    let mut c = Compound::default();
    let mut rest = word;
    while !rest.is_empty() {
        let (kind, body) = match rest.as_bytes()[0] {
            b'#' => ('#', &rest[1..]),
            b'.' => ('.', &rest[1..]),
            b'[' => {
                let end = rest.find(']').ok_or("`[` is never closed")?;
                let inner = &rest[1..end];
                let (name, value) = match inner.split_once('=') {
                    Some((n, v)) => (
                        n.trim(),
                        Some(v.trim().trim_matches(|q| q == '"' || q == '\'').to_owned()),
                    ),
                    None => (inner.trim(), None),
                };
                if name.is_empty() {
                    return Err("empty attribute name");
                }
                c.attrs.push((name.to_owned(), value));
                rest = &rest[end + 1..];
                continue;
            }
            b':' => return Err("pseudo-classes are not supported"),
            b'*' if rest.len() == 1 => return Ok(c),
            _ => ('t', rest),
        };
        let end = body.find(['#', '.', '[', ':']).unwrap_or(body.len());
        let name = &body[..end];
        if name.is_empty() {
            return Err("empty name");
        }
        match kind {
            '#' => c.id = Some(name.to_owned()),
            '.' => c.classes.push(name.to_owned()),
            _ => c.tag = Some(name.to_owned()),
        }
        rest = &body[end..];
    }
    Ok(c)
}

fn compound_matches(c: &Compound, n: &DomNode) -> bool {
    if n.is_text() {
        return false;
    }
    if c.tag.as_ref().is_some_and(|t| t != &n.tag) {
        return false;
    }
    if c.id
        .as_ref()
        .is_some_and(|id| n.attrs.get("id") != Some(id))
    {
        return false;
    }
    let classes: Vec<&str> = n
        .attrs
        .get("class")
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    if !c.classes.iter().all(|want| {
        classes
            .iter()
            .any(|t| *t == want.as_str() || crate::acss::unscoped_class(t) == Some(want.as_str()))
    }) {
        return false;
    }
    c.attrs
        .iter()
        .all(|(name, value)| match (n.attrs.get(name), value) {
            (Some(_), None) => true,
            (Some(v), Some(want)) => v == want,
            (None, _) => false,
        })
}

fn walk<'a>(
    node: &'a DomNode,
    ancestors: &mut Vec<&'a DomNode>,
    f: &mut dyn FnMut(&'a DomNode, &[&'a DomNode]),
) {
    f(node, ancestors);
    ancestors.push(node);
    for c in &node.children {
        walk(c, ancestors, f);
    }
    ancestors.pop();
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testkit::dom;

    fn check(sel: &str, expected: &[&str]) {
        let root = dom(
            r#"<view id="menu" class="list dark"><view class="row" data-id="1"><text>Latte</text></view><view class="row sold-out" data-id="2"><text>Mocha</text></view></view><button id="buy" type="primary">Buy</button>"#,
        );
        let got: Vec<String> = Selector::parse(sel)
            .expect("selector")
            .select(&root)
            .iter()
            .map(|n| n.text_content())
            .collect();
        assert_eq!(got, expected, "{sel}");
    }

    #[test]
    fn selects() {
        check("#buy", &["Buy"]);
        check("button", &["Buy"]);
        check(".row", &["Latte", "Mocha"]);
        check(".row.sold-out", &["Mocha"]);
        check("[data-id=1]", &["Latte"]);
        check("view[data-id='2'] text", &["Mocha"]);
        check("#menu text", &["Latte", "Mocha"]);
        check(".dark .row text", &["Latte", "Mocha"]);
        check("button[type]", &["Buy"]);
        check("#menu button", &[]);
        check("#menu > .row > text", &["Latte", "Mocha"]);
        check("#menu > text", &[]);
        check(".list>.sold-out text", &["Mocha"]);
        check("#buy, .sold-out", &["Mocha", "Buy"]);
        check(".dark >>> text", &["Latte", "Mocha"]);
        check("view > view text", &["Latte", "Mocha"]);
        check("[data-id='1'], [data-id=\"2\"]", &["Latte", "Mocha"]);
    }

    #[test]
    fn child_chains_backtrack_past_a_nearer_match() {
        // The nearest `.a` is not a `>` parent of a `.b`; the outer one is.
        let root = dom(
            r#"<view class="a"><view class="b"><view class="a"><view class="c"><text>x</text></view></view></view></view>"#,
        );
        let sel = Selector::parse(".a > .b .c").expect("parses");
        assert_eq!(sel.select(&root).len(), 1);
        let sel = Selector::parse(".a > .c").expect("parses");
        assert_eq!(sel.select(&root).len(), 1);
        let sel = Selector::parse(".b > .c").expect("parses");
        assert_eq!(sel.select(&root).len(), 0);
    }

    #[test]
    fn bad_selectors() {
        let long = ".a ".repeat(400);
        let many = vec![".a"; 40].join(" ");
        for (sel, reason) in [
            ("", "empty selector"),
            ("[a", "`[` is never closed"),
            (".", "empty name"),
            ("> .a", "`>` without an element on each side"),
            (".a >", "`>` without an element on each side"),
            (".a, ", "empty selector"),
            ("view:first-child", "pseudo-classes are not supported"),
            (long.as_str(), "longer than 1024 bytes"),
            (many.as_str(), "more than 32 parts"),
        ] {
            assert_eq!(
                Selector::parse(sel).expect_err(sel).reason,
                reason,
                "{sel:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_parses_or_is_refused_without_panic(s in "[ .#>a-c\\[\\]=,'*:]{0,40}") {
            if let Ok(sel) = Selector::parse(&s) {
                let root = dom(r#"<view class="a"><view id="b" class="c"><text>x</text></view></view>"#);
                let _ = sel.select(&root);
            }
        }
    }
}
