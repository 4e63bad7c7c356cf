//! CSS-like selectors for the headless DOM: tag, `#id`, `.class`, `[attr]`,
//! `[attr=value]`, compounds of those, and descendant combinators.

use mpkit_render::vdom::DomNode;

/// One compound selector: every part must match the same element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Compound {
    tag: Option<String>,
    id: Option<String>,
    classes: Vec<String>,
    attrs: Vec<(String, Option<String>)>,
}

/// A parsed selector: compounds separated by descendant combinators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selector(Vec<Compound>);

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
    pub(crate) fn parse(s: &str) -> Result<Selector, SelectorError> {
        let bad = |reason: &str| SelectorError {
            selector: s.to_owned(),
            reason: reason.to_owned(),
        };
        let mut out = Vec::new();
        for word in s.split_whitespace() {
            let mut c = Compound::default();
            let mut rest = word;
            while !rest.is_empty() {
                let (kind, body) = match rest.as_bytes()[0] {
                    b'#' => ('#', &rest[1..]),
                    b'.' => ('.', &rest[1..]),
                    b'[' => {
                        let end = rest.find(']').ok_or_else(|| bad("`[` is never closed"))?;
                        let inner = &rest[1..end];
                        let (name, value) = match inner.split_once('=') {
                            Some((n, v)) => (
                                n.trim(),
                                Some(v.trim().trim_matches(|q| q == '"' || q == '\'').to_owned()),
                            ),
                            None => (inner.trim(), None),
                        };
                        if name.is_empty() {
                            return Err(bad("empty attribute name"));
                        }
                        c.attrs.push((name.to_owned(), value));
                        rest = &rest[end + 1..];
                        continue;
                    }
                    _ => ('t', rest),
                };
                let end = body.find(['#', '.', '[']).unwrap_or(body.len());
                let name = &body[..end];
                if name.is_empty() {
                    return Err(bad("empty name"));
                }
                match kind {
                    '#' => c.id = Some(name.to_owned()),
                    '.' => c.classes.push(name.to_owned()),
                    _ => c.tag = Some(name.to_owned()),
                }
                rest = &body[end..];
            }
            out.push(c);
        }
        if out.is_empty() {
            return Err(bad("empty selector"));
        }
        Ok(Selector(out))
    }

    /// Every matching element under `root`, in document order.
    pub(crate) fn select<'a>(&self, root: &'a DomNode) -> Vec<&'a DomNode> {
        let mut out = Vec::new();
        let mut ancestors = Vec::new();
        walk(root, &mut ancestors, &mut |node, ancestors| {
            if self.matches(node, ancestors) {
                out.push(node);
            }
        });
        out
    }

    fn matches(&self, node: &DomNode, ancestors: &[&DomNode]) -> bool {
        let Some((last, before)) = self.0.split_last() else {
            return false;
        };
        if !compound_matches(last, node) {
            return false;
        }
        // Match the remaining compounds against ancestors, innermost first.
        let mut rest = before.iter().rev().peekable();
        for a in ancestors.iter().rev() {
            match rest.peek() {
                Some(c) if compound_matches(c, a) => {
                    rest.next();
                }
                Some(_) => {}
                None => break,
            }
        }
        rest.peek().is_none()
    }
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
    if !c
        .classes
        .iter()
        .all(|want| classes.contains(&want.as_str()))
    {
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

    use crate::surface::test_dom as dom;

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
    }

    #[test]
    fn bad_selectors() {
        assert_eq!(
            Selector::parse("").expect_err("empty").reason,
            "empty selector"
        );
        assert_eq!(
            Selector::parse("[a").expect_err("open").reason,
            "`[` is never closed"
        );
        assert_eq!(Selector::parse(".").expect_err("dot").reason, "empty name");
    }
}
