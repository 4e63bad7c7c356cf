//! Applying setData path keys (`a.b`, `list[3].name`) to page data, the same way
//! the logic layer's prelude applies them to `this.data`.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

/// One segment of a setData path key.
#[derive(Debug, PartialEq)]
pub enum Seg {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Reads a path key as Alipay does and as the prelude's `parsePath` does:
/// keys (one or more characters other than `.`, `[`, `]`) joined by `.`,
/// and indexes (decimal digits in brackets, at most [`MAX_INDEX`]), which a
/// `.` may precede (`root.cn.[0]`, as Taro's runtime writes). An empty
/// key, an index that is not digits, and the keys that reach a prototype in
/// the logic layer (`__proto__`, `constructor`, `prototype`) are refused. The
/// empty path names nothing and sets nothing, as before.
fn parse(path: &str) -> Result<Vec<Seg>, String> {
    let refused = |why: String| format!("setData path \"{path}\" is refused: {why}");
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        let at = path.len() - rest.len();
        if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']');
            let digits = close.map_or("", |c| &after[..c]);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(refused(format!("an index is digits in brackets (at {at})")));
            }
            let index = digits.parse::<usize>().ok().filter(|i| *i <= MAX_INDEX);
            let Some(index) = index else {
                return Err(format!("setData index {digits} is over {MAX_INDEX}"));
            };
            out.push(Seg::Index(index));
            rest = &after[digits.len() + 1..];
        } else {
            if !out.is_empty() {
                rest = rest
                    .strip_prefix('.')
                    .ok_or_else(|| refused(format!("expected \".\" or \"[\" at {at}")))?;
                // `a.[0]` is `a[0]` (what Taro's runtime writes).
                if rest.starts_with('[') {
                    continue;
                }
            }
            let start = path.len() - rest.len();
            let end = rest.find(['.', '[', ']']).unwrap_or(rest.len());
            let key = &rest[..end];
            if key.is_empty() {
                return Err(refused(format!("an empty key at {start}")));
            }
            if matches!(key, "__proto__" | "constructor" | "prototype") {
                return Err(refused(format!("\"{key}\" is not a data key")));
            }
            out.push(Seg::Key(key.to_owned()));
            rest = &rest[end..];
        }
    }
    Ok(out)
}

/// Most array slots a path index may create, so `list[99999999]` cannot exhaust memory.
const MAX_INDEX: usize = 100_000;

/// Most segments a path key may have. Page data is freed and compared
/// recursively on the host's thread, so its depth must stay bounded: a path
/// key adds at most this many levels to the depth of the value it sets.
pub const MAX_PATH_SEGMENTS: usize = 64;

/// The segments of a setData path key, read as [`parse`] reads it, held to
/// [`MAX_PATH_SEGMENTS`]. The logic layer reads `this.setData`'s keys with
/// this too, so both sides read a key alike.
pub fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    let segs = parse(path)?;
    if segs.len() > MAX_PATH_SEGMENTS {
        return Err(format!(
            "setData path has {} segments, more than {MAX_PATH_SEGMENTS}",
            segs.len()
        ));
    }
    Ok(segs)
}

/// Sets `path` in `data` to `value`, creating objects and arrays on the way.
pub fn set_path(data: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if let Some(slot) = slot(data, path)? {
        *slot = value;
    }
    Ok(())
}

/// The place `path` names in `data`, created (as `null`) with the objects and
/// arrays on the way if missing; `None` for an empty path, which sets nothing.
fn slot<'a>(data: &'a mut Value, path: &str) -> Result<Option<&'a mut Value>, String> {
    let segs = parse_path(path)?;
    let Some((last, init)) = segs.split_last() else {
        return Ok(None);
    };
    let mut cur = data;
    for (i, seg) in init.iter().enumerate() {
        let next_is_index = matches!(segs.get(i + 1), Some(Seg::Index(_)));
        cur = step(cur, seg, next_is_index)?;
    }
    match last {
        Seg::Key(k) => {
            if !cur.is_object() {
                *cur = Value::Object(Map::new());
            }
            let Value::Object(m) = cur else {
                return Err("unreachable".into());
            };
            if !m.contains_key(k.as_str()) {
                m.insert(k.clone(), Value::Null);
            }
            Ok(m.get_mut(k.as_str()))
        }
        Seg::Index(i) => {
            if !cur.is_array() {
                *cur = Value::Array(Vec::new());
            }
            let Value::Array(a) = cur else {
                return Err("unreachable".into());
            };
            if a.len() <= *i {
                a.resize(*i + 1, Value::Null);
            }
            Ok(a.get_mut(*i))
        }
    }
}

/// A patch text that is not one JSON object of at most 128 levels (serde_json's
/// limit), found part of the way through: the keys before the fault were
/// already merged. The logic layer never writes such a patch (it refuses data
/// nested deeper than 100 levels), so only a worker that lies sends one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setData patch unreadable: {0}")]
pub struct Unreadable(pub String);

/// Merges a setData patch, given as the JSON text of an object of path keys
/// and values, into `data`: the same result as [`set_path`] for each key in
/// the text's order, but read straight into the page data. Strings, arrays
/// and objects already in place are reused, so a list that keeps its shape
/// costs no allocation per row, and the old values are not freed.
///
/// `on_key` sees every key before its value is merged. Keys whose path is
/// refused (an index over the limit, too many segments) are skipped and their
/// errors returned; the others are merged.
pub fn merge_patch(
    data: &mut Value,
    text: &str,
    on_key: &mut dyn FnMut(&str),
) -> Result<Vec<String>, Unreadable> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut errors = Vec::new();
    de.deserialize_map(Patch {
        data,
        on_key,
        errors: &mut errors,
    })
    .and_then(|()| de.end())
    .map_err(|e| Unreadable(e.to_string()))?;
    Ok(errors)
}

struct Patch<'a> {
    data: &'a mut Value,
    on_key: &'a mut dyn FnMut(&str),
    errors: &'a mut Vec<String>,
}

impl<'de> Visitor<'de> for Patch<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a setData object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            (self.on_key)(&key);
            match slot(self.data, &key) {
                Ok(Some(v)) => map.next_value_seed(InPlace {
                    slot: v,
                    seen: &mut seen,
                })?,
                Ok(None) => {
                    map.next_value::<IgnoredAny>()?;
                }
                Err(e) => {
                    self.errors.push(e);
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(Key)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

/// Reads one JSON value into `slot`, which then equals what serde_json would
/// have read, reusing what is already there. `seen` is scratch space: the
/// keys of the objects being read, innermost last.
struct InPlace<'a, 'de> {
    slot: &'a mut Value,
    seen: &'a mut Vec<Cow<'de, str>>,
}

impl<'de> DeserializeSeed<'de> for InPlace<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for InPlace<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        *self.slot = Value::Bool(v);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        *self.slot = Value::Number(v.into());
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        *self.slot = Value::Number(v.into());
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // As serde_json's own `Value` reads it.
        *self.slot = Number::from_f64(v).map_or(Value::Null, Value::Number);
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        match self.slot {
            Value::String(s) => {
                s.clear();
                s.push_str(v);
            }
            other => *other = Value::String(v.to_owned()),
        }
        Ok(())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        *self.slot = Value::String(v);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        *self.slot = Value::Null;
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !self.slot.is_array() {
            *self.slot = Value::Array(Vec::new());
        }
        let Value::Array(a) = self.slot else {
            return Ok(());
        };
        let mut n = 0;
        loop {
            let fresh = n == a.len();
            if fresh {
                a.push(Value::Null);
            }
            let more = seq
                .next_element_seed(InPlace {
                    slot: &mut a[n],
                    seen: &mut *self.seen,
                })?
                .is_some();
            if !more {
                if fresh {
                    a.pop();
                }
                break;
            }
            n += 1;
        }
        a.truncate(n);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if !self.slot.is_object() {
            *self.slot = Value::Object(Map::new());
        }
        let Value::Object(m) = self.slot else {
            return Ok(());
        };
        let start = self.seen.len();
        while let Some(key) = map.next_key_seed(Key)? {
            let seen = &mut *self.seen;
            match m.get_mut(&*key) {
                Some(v) => map.next_value_seed(InPlace { slot: v, seen })?,
                None => {
                    let v = m.entry(key.as_ref()).or_insert(Value::Null);
                    map.next_value_seed(InPlace { slot: v, seen })?
                }
            }
            self.seen.push(key);
        }
        // Keys the new object does not have go. Every seen key is in `m`, so
        // the two key sets are equal when the sorted seen keys are `m`'s.
        let keys = &mut self.seen[start..];
        keys.sort_unstable();
        let same = keys.len() == m.len() && m.keys().zip(keys.iter()).all(|(a, b)| a == b);
        if !same {
            m.retain(|k, _| keys.binary_search_by(|x| (**x).cmp(k.as_str())).is_ok());
        }
        self.seen.truncate(start);
        Ok(())
    }
}

fn step<'a>(cur: &'a mut Value, seg: &Seg, next_is_index: bool) -> Result<&'a mut Value, String> {
    let fresh = || {
        if next_is_index {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::new())
        }
    };
    match seg {
        Seg::Key(k) => {
            if !cur.is_object() {
                *cur = Value::Object(Map::new());
            }
            let Value::Object(m) = cur else {
                return Err("unreachable".into());
            };
            let slot = m.entry(k.clone()).or_insert_with(fresh);
            if !(slot.is_object() || slot.is_array()) {
                *slot = fresh();
            }
            Ok(slot)
        }
        Seg::Index(i) => {
            if *i > MAX_INDEX {
                return Err(format!("setData index {i} is over {MAX_INDEX}"));
            }
            if !cur.is_array() {
                *cur = Value::Array(Vec::new());
            }
            let Value::Array(a) = cur else {
                return Err("unreachable".into());
            };
            if a.len() <= *i {
                a.resize(*i + 1, Value::Null);
            }
            let slot = &mut a[*i];
            if slot.is_null() {
                *slot = fresh();
            }
            Ok(slot)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn check(start: Value, path: &str, v: Value, expected: Value) {
        let mut d = start;
        set_path(&mut d, path, v).expect("set");
        assert_eq!(d, expected, "{path}");
    }

    #[test]
    fn paths() {
        check(json!({}), "a", json!(1), json!({"a": 1}));
        check(json!({}), "a.b.c", json!(1), json!({"a": {"b": {"c": 1}}}));
        check(
            json!({"list": [{"n": 1}, {"n": 2}]}),
            "list[1].n",
            json!(9),
            json!({"list": [{"n": 1}, {"n": 9}]}),
        );
        check(
            json!({}),
            "list[2]",
            json!("x"),
            json!({"list": [null, null, "x"]}),
        );
        check(json!({"a": 5}), "a.b", json!(1), json!({"a": {"b": 1}}));
        check(
            json!({"m": [[1]]}),
            "m[0][0]",
            json!(2),
            json!({"m": [[2]]}),
        );
        let mut d = json!({});
        assert!(set_path(&mut d, "list[99999999]", json!(1)).is_err());
        check(json!({}), "[1]", json!(1), json!([null, 1]));
        check(json!({}), "a b.c-d", json!(1), json!({"a b": {"c-d": 1}}));
        check(
            json!({"root": {"cn": [{"v": "a"}]}}),
            "root.cn.[0].v",
            json!("b"),
            json!({"root": {"cn": [{"v": "b"}]}}),
        );
    }

    /// The paths the prelude refuses are refused here too, each with its
    /// reason, and nothing is set.
    #[test]
    fn malformed_paths_and_prototype_keys_are_refused() {
        let cases = [
            ("__proto__.polluted", "\"__proto__\" is not a data key"),
            ("a.__proto__.x", "\"__proto__\" is not a data key"),
            (
                "constructor.prototype.x",
                "\"constructor\" is not a data key",
            ),
            ("a.prototype", "\"prototype\" is not a data key"),
            ("list[-1]", "an index is digits in brackets (at 4)"),
            ("list[1e3]", "an index is digits in brackets (at 4)"),
            ("a[\"\"]", "an index is digits in brackets (at 1)"),
            ("a[]", "an index is digits in brackets (at 1)"),
            ("a[1", "an index is digits in brackets (at 1)"),
            ("a..b", "an empty key at 2"),
            (".a", "an empty key at 0"),
            ("a.", "an empty key at 2"),
            ("a[0]b", "expected \".\" or \"[\" at 4"),
            ("a]", "expected \".\" or \"[\" at 1"),
            (".[0]", "an empty key at 0"),
            ("a.[x]", "an index is digits in brackets (at 2)"),
            ("a.[0].", "an empty key at 6"),
        ];
        for (path, why) in cases {
            let mut d = json!({"a": {"b": 1}, "list": [1]});
            assert_eq!(
                set_path(&mut d, path, json!("P1")),
                Err(format!("setData path \"{path}\" is refused: {why}")),
                "{path}"
            );
            assert_eq!(d, json!({"a": {"b": 1}, "list": [1]}), "{path} set nothing");
        }
        let mut d = json!({});
        assert_eq!(
            set_path(&mut d, "list[100001]", json!(1)),
            Err("setData index 100001 is over 100000".into())
        );
        assert_eq!(
            set_path(&mut d, "list[99999999999999999999999]", json!(1)),
            Err("setData index 99999999999999999999999 is over 100000".into())
        );
        assert_eq!(d, json!({}));
    }

    proptest! {
        /// Any path either parses to segments that print back to itself, or
        /// is refused: nothing is read two ways.
        #[test]
        fn a_path_parses_to_itself_or_is_refused(path in "[a-c.\\[\\]0-9_]{0,12}") {
            if let Ok(segs) = parse(&path) {
                let mut back = String::new();
                for (i, s) in segs.iter().enumerate() {
                    match s {
                        Seg::Key(k) if i == 0 => back.push_str(k),
                        Seg::Key(k) => { back.push('.'); back.push_str(k); }
                        Seg::Index(n) => back.push_str(&format!("[{n}]")),
                    }
                }
                // Leading zeros in an index are the one spelling read as another.
                // and `.[` is `[`.
                let normal = |p: &str| p.replace(".[", "[").replace("[0", "[").replace("[]", "[0]");
                prop_assert_eq!(normal(&back), normal(&path));
            }
        }
    }

    /// `merge_patch` of a patch's text, and the keys it reported.
    fn merged(start: Value, text: &str) -> (Value, Vec<String>, Vec<String>) {
        let mut d = start;
        let mut keys = Vec::new();
        let errors = merge_patch(&mut d, text, &mut |k| keys.push(k.to_owned())).expect("merge");
        (d, keys, errors)
    }

    #[test]
    fn a_merged_patch_is_set_path_for_each_key_in_the_texts_order() {
        let start = json!({"list": [{"n": 1, "t": "a"}, {"n": 2}], "a": {"b": 1}, "s": "x"});
        let cases: Vec<Vec<(&str, Value)>> = vec![
            vec![
                ("list[1].n", json!(9)),
                ("a.b.c", json!([1, {"d": null}])),
                ("s", json!("yy")),
            ],
            vec![("list", json!([{"n": 3}])), ("list[0].t", json!("b"))],
            vec![("list[0].t", json!("b")), ("list", json!([{"n": 3}]))],
            vec![
                ("m[2]", json!("x")),
                ("m[0][1]", json!(true)),
                ("", json!(5)),
            ],
            vec![
                ("a", json!(1.5)),
                ("a.x", json!(-1)),
                ("list[3]", json!({"k\"ey": "é\n\u{1}"})),
            ],
            vec![
                ("z", json!({})),
                ("y", json!([])),
                ("list[1]", json!(null)),
                ("s.t", json!(u64::MAX)),
            ],
        ];
        for patch in cases {
            // Written by hand: a map would lose the patch's order.
            let fields: Vec<String> = patch
                .iter()
                .map(|(k, v)| format!("{}:{v}", Value::from(*k)))
                .collect();
            let text = format!("{{{}}}", fields.join(","));
            let mut expected = start.clone();
            for (k, v) in &patch {
                set_path(&mut expected, k, v.clone()).expect("set");
            }
            let (got, keys, errors) = merged(start.clone(), &text);
            assert_eq!(got, expected, "{text}");
            assert!(errors.is_empty(), "{text}: {errors:?}");
            let order: Vec<&str> = patch.iter().map(|(k, _)| *k).collect();
            assert_eq!(keys, order, "{text}");
        }
    }

    #[test]
    fn a_merged_list_reuses_the_rows_already_in_place() {
        let mut d = json!({"list": [{"id": 1, "name": "first name"}, {"id": 2, "name": "second"}]});
        let before = d["list"][0]["name"].as_str().expect("name").as_ptr();
        let errors = merge_patch(
            &mut d,
            r#"{"list": [{"id": 1, "name": "renamed"}, {"id": 2, "name": "second"}, {"id": 3, "name": "third"}]}"#,
            &mut |_| {},
        )
        .expect("merge");
        assert!(errors.is_empty());
        assert_eq!(
            d,
            json!({"list": [{"id": 1, "name": "renamed"}, {"id": 2, "name": "second"}, {"id": 3, "name": "third"}]})
        );
        // The first row's string was written over, not replaced.
        assert_eq!(
            d["list"][0]["name"].as_str().expect("name").as_ptr(),
            before
        );
    }

    #[test]
    fn keys_an_object_no_longer_has_are_removed_and_repeated_keys_keep_the_last() {
        let (d, _, _) = merged(
            json!({"o": {"x": 0, "z": [1, 2], "w": "w"}}),
            r#"{"o": {"x": 1, "x": 2, "y": 3}}"#,
        );
        assert_eq!(d, json!({"o": {"x": 2, "y": 3}}));
        let (d, _, _) = merged(json!({"o": {"x": 0, "y": 1}}), r#"{"o": {"y": 1, "y": 5}}"#);
        assert_eq!(d, json!({"o": {"y": 5}}));
        let (d, _, _) = merged(json!({"o": [1, 2, 3]}), r#"{"o": [4]}"#);
        assert_eq!(d, json!({"o": [4]}));
    }

    #[test]
    fn a_patch_nested_past_serde_jsons_limit_is_unreadable() {
        let nested = |n: usize| format!(r#"{{"d": {}1{}}}"#, "[".repeat(n), "]".repeat(n));
        let (d, _, _) = merged(json!({}), &nested(126));
        assert_eq!(d["d"].to_string().len(), 126 * 2 + 1);
        let mut d = json!({});
        assert!(matches!(
            merge_patch(&mut d, &nested(127), &mut |_| {}),
            Err(Unreadable(m)) if m.contains("recursion limit exceeded")
        ));
        // Brackets inside strings, escaped quotes among them, are not nesting.
        let strings = format!(r#"{{"d": "\"{}"}}"#, "[".repeat(500));
        let (d, _, _) = merged(json!({}), &strings);
        assert_eq!(d["d"], json!(format!("\"{}", "[".repeat(500))));
    }

    #[test]
    fn a_patch_that_is_not_one_object_is_unreadable() {
        for text in ["[1]", "1", "\"a\"", "", "{\"a\": 1} {}", "{\"a\": tru}"] {
            let mut d = json!({"a": 0});
            let got = merge_patch(&mut d, text, &mut |_| {});
            assert!(matches!(got, Err(Unreadable(_))), "{text}: {got:?}");
        }
    }

    #[test]
    fn refused_paths_are_reported_and_the_other_keys_merged() {
        let long = vec!["a"; MAX_PATH_SEGMENTS + 1].join(".");
        let text = format!(r#"{{"{long}": 1, "list[100001]": 2, "ok": 3}}"#);
        let (d, keys, errors) = merged(json!({}), &text);
        assert_eq!(d, json!({"ok": 3}));
        assert_eq!(keys.len(), 3);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("segments"), "{errors:?}");
        assert!(errors[1].contains("over 100000"), "{errors:?}");
        let fits = vec!["a"; MAX_PATH_SEGMENTS].join(".");
        let mut d = json!({});
        set_path(&mut d, &fits, json!(1)).expect("64 segments");
        assert_eq!(
            set_path(&mut d, &long, json!(1)),
            Err(format!(
                "setData path has 65 segments, more than {MAX_PATH_SEGMENTS}"
            ))
        );
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            prop_oneof![Just(1.0f64), Just(0.5), Just(-2.0), Just(1e300)].prop_map(Value::from),
            "[ab\"\\\\é\u{1}]{0,4}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map("[ab\"]{0,2}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever was in place, merging a value leaves exactly that value.
        #[test]
        fn merging_a_value_over_any_other_leaves_that_value(old in json_value(), new in json_value()) {
            let mut d = json!({"k": old, "other": 1});
            let text = serde_json::to_string(&json!({"k": new.clone()})).expect("text");
            let errors = merge_patch(&mut d, &text, &mut |_| {}).expect("merge");
            prop_assert!(errors.is_empty());
            prop_assert_eq!(d, json!({"k": new, "other": 1}));
        }
    }
}
