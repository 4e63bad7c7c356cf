//! The render cache: what a page's last render produced for each keyed
//! `a:for` item, kept in a compact byte form against which a new item is
//! compared in place, and which setData paths changed since.

use crate::vdom::VNode;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// What a page's previous render produced for each keyed `a:for` item, so an
/// item whose inputs (itself, its index and the loop body's free names) did not
/// change is neither rendered nor diffed again. One cache per page.
#[derive(Debug, Default)]
pub struct RenderCache {
    /// Per memoised loop element, its items in order (key and memo; `None` for
    /// items that were not memoised).
    pub(crate) loops: HashMap<usize, Vec<Option<(String, Memo)>>>,
    pub(crate) free: HashMap<usize, Option<Rc<Vec<String>>>>,
    pub(crate) next_fp: u64,
    /// Where the page's renders have warned (each place once, at most
    /// `MAX_RENDER_WARNINGS`).
    pub(crate) warned: HashSet<(String, crate::axml::Pos)>,
}

/// Which data paths setData changed since the last render; lets the renderer
/// skip even the comparison of loop items nobody touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub(crate) all: bool,
    pub(crate) roots: HashSet<String>,
    pub(crate) indexed: HashMap<String, HashSet<usize>>,
}

impl Changes {
    /// Everything may have changed (a first render, or a data reset).
    pub fn everything() -> Changes {
        Changes {
            all: true,
            ..Changes::default()
        }
    }

    /// Records a setData key such as `count`, `a.b` or `list[3].name`.
    pub fn record(&mut self, path: &str) {
        let root_end = path.find(['.', '[']).unwrap_or(path.len());
        let root = &path[..root_end];
        let rest = &path[root_end..];
        let index = rest
            .strip_prefix('[')
            .and_then(|r| r.split(']').next())
            .and_then(|n| n.parse::<usize>().ok());
        match index {
            Some(i) if !self.roots.contains(root) => {
                self.indexed.entry(root.to_owned()).or_default().insert(i);
            }
            _ => {
                self.indexed.remove(root);
                self.roots.insert(root.to_owned());
            }
        }
    }

    pub(crate) fn touches(&self, name: &str) -> bool {
        self.all || self.roots.contains(name) || self.indexed.contains_key(name)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Memo {
    pub(crate) index: Value,
    /// The item in [`write_form`]'s form: one allocation instead of a copy
    /// of every string and map in it.
    pub(crate) item: Box<[u8]>,
    pub(crate) free: Rc<Vec<Value>>,
    pub(crate) node: Rc<VNode>,
    pub(crate) fp: u64,
}

impl Memo {
    pub(crate) fn same_inputs(&self, index: &Value, item: &Value, free: &Rc<Vec<Value>>) -> bool {
        &self.index == index
            && same_form(&self.item, item)
            && (Rc::ptr_eq(&self.free, free) || self.free == *free)
    }
}

/// `value` in a compact form kept for comparison: a tag per value, lengths
/// before strings, arrays and maps, and numbers as their 8 bytes. No two
/// different values have the same form (it is tagged and length-prefixed),
/// so [`same_form`] is exact: no escaping, no formatting, no allocation but
/// the buffer's.
pub(crate) fn write_form(value: &Value, out: &mut Vec<u8>) {
    fn len(out: &mut Vec<u8>, n: usize) {
        out.extend_from_slice(&(n as u64).to_le_bytes());
    }
    match value {
        Value::Null => out.push(b'n'),
        Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
        Value::Number(n) => {
            let (tag, bits) = number_form(n);
            out.push(tag);
            out.extend_from_slice(&bits);
        }
        Value::String(s) => {
            out.push(b's');
            len(out, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        Value::Array(a) => {
            out.push(b'a');
            len(out, a.len());
            for v in a {
                write_form(v, out);
            }
        }
        Value::Object(m) => {
            out.push(b'o');
            len(out, m.len());
            for (k, v) in m {
                len(out, k.len());
                out.extend_from_slice(k.as_bytes());
                write_form(v, out);
            }
        }
    }
}

/// A number's tag and 8 bytes in [`write_form`]'s form. serde_json keeps a
/// number as one of three kinds, and values of different kinds are never
/// equal (1 and 1.0 differ), so the kind is part of the form.
fn number_form(n: &serde_json::Number) -> (u8, [u8; 8]) {
    match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => (b'u', u.to_le_bytes()),
        (None, Some(i)) => (b'i', i.to_le_bytes()),
        (None, None) => (b'd', n.as_f64().unwrap_or(0.0).to_bits().to_le_bytes()),
    }
}

/// Whether `form` is exactly [`write_form`] of `value`. It stops at the first
/// difference and allocates nothing. Two equal values always have one form,
/// except `0.0` and `-0.0`, which are then rendered again: slower, never wrong.
pub(crate) fn same_form(form: &[u8], value: &Value) -> bool {
    fn take<'a>(form: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, rest) = form.split_at_checked(n)?;
        *form = rest;
        Some(head)
    }
    fn len(form: &mut &[u8], n: usize) -> bool {
        take(form, 8).is_some_and(|b| b == (n as u64).to_le_bytes())
    }
    fn bytes(form: &mut &[u8], b: &[u8]) -> bool {
        len(form, b.len()) && take(form, b.len()).is_some_and(|t| t == b)
    }
    fn walk(form: &mut &[u8], value: &Value) -> bool {
        let Some(&[tag]) = take(form, 1) else {
            return false;
        };
        match value {
            Value::Null => tag == b'n',
            Value::Bool(b) => tag == if *b { b't' } else { b'f' },
            Value::Number(n) => {
                let (want, bits) = number_form(n);
                tag == want && take(form, 8).is_some_and(|b| b == bits)
            }
            Value::String(s) => tag == b's' && bytes(form, s.as_bytes()),
            Value::Array(a) => tag == b'a' && len(form, a.len()) && a.iter().all(|v| walk(form, v)),
            Value::Object(m) => {
                tag == b'o'
                    && len(form, m.len())
                    && m.iter()
                        .all(|(k, v)| bytes(form, k.as_bytes()) && walk(form, v))
            }
        }
    }
    let mut rest = form;
    walk(&mut rest, value) && rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn kept_items_compare_equal_only_to_equal_values() {
        let item = json!({"id": "i1", "name": "t\u{e9} \"x\"\n", "n": [1, 2.5, null, true], "o": {"b": 1, "a": -3}});
        let mut text = Vec::new();
        write_form(&item, &mut text);
        assert!(same_form(&text, &item));
        // The same value built with its keys in another order.
        let reordered: Value = serde_json::from_str(
            r#"{"o": {"a": -3, "b": 1}, "n": [1, 2.5, null, true], "name": "t\u00e9 \"x\"\n", "id": "i1"}"#,
        )
        .expect("json");
        assert!(same_form(&text, &reordered));
        for other in [
            json!({"id": "i1"}),
            json!({"id": "i2", "name": "t\u{e9} \"x\"\n", "n": [1, 2.5, null, true], "o": {"b": 1, "a": -3}}),
            json!({"id": "i1", "name": "t\u{e9} \"x\"\n", "n": [1, 2.5, null, true], "o": {"b": 1, "a": -3}, "p": 0}),
            json!({"id": "i1", "name": "t\u{e9} \"x\"\n", "n": [1.0, 2.5, null, true], "o": {"b": 1, "a": -3}}),
            json!("i1"),
            Value::Null,
        ] {
            assert!(!same_form(&text, &other), "{other} matched {item}");
        }
        // Text that is a prefix of the value's, or longer than it, never matches.
        assert!(!same_form(&text[..text.len() - 1], &item));
        let mut longer = text.clone();
        longer.push(b'n');
        assert!(!same_form(&longer, &item));
        assert!(!same_form(b"", &item));
    }

    proptest! {
        /// A kept item's form matches a value exactly when the two are equal.
        #[test]
        fn forms_match_exactly_the_equal_values(a in json_value(), b in json_value()) {
            let mut form = Vec::new();
            write_form(&a, &mut form);
            prop_assert!(same_form(&form, &a));
            prop_assert_eq!(same_form(&form, &b), a == b, "{} vs {}", a, b);
        }
    }

    /// Small JSON values that often collide: few keys, short strings, and
    /// numbers of every kind serde_json keeps (1, -1, 1.0 are all different).
    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            (0u64..3).prop_map(serde_json::Value::from),
            (-2i64..0).prop_map(serde_json::Value::from),
            prop_oneof![Just(1.0f64), Just(0.5), Just(-2.0)].prop_map(serde_json::Value::from),
            "[ab\"]{0,2}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[ab]{0,2}", inner, 0..3)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
