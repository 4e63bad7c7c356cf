//! Strict JSON: no duplicate keys at any depth, no trailing bytes, one object at top level.
//!
//! Signed documents must mean exactly one thing. serde_json keeps the last of two
//! equal keys, so a signer and a verifier reading the same bytes could disagree;
//! we refuse such documents before they reach a typed parse.

use crate::error::{Error, Result};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeSet;
use std::fmt;

/// Parses `bytes` as `T`, refusing duplicate keys and anything after the top-level object.
pub(crate) fn parse<T: DeserializeOwned>(doc: &'static str, bytes: &[u8]) -> Result<T> {
    let err = |reason: String| Error::Json { doc, reason };
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    if start.map(|i| bytes[i]) != Some(b'{') {
        return Err(err("top level must be an object".into()));
    }
    if bytes.last() != Some(&b'}') {
        return Err(err(
            "the document must end with its top-level closing brace".into(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    <NoDuplicates as de::Deserialize<'_>>::deserialize(&mut de).map_err(|e| err(e.to_string()))?;
    de.end().map_err(|e| err(e.to_string()))?;
    serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))
}

/// A value that only exists to walk a document and refuse duplicate keys.
struct NoDuplicates;

impl<'de> de::Deserialize<'de> for NoDuplicates {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(NoDuplicatesVisitor)
    }
}

struct NoDuplicatesVisitor;

impl<'de> Visitor<'de> for NoDuplicatesVisitor {
    type Value = NoDuplicates;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_unit<E>(self) -> std::result::Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<NoDuplicates, A::Error> {
        while seq.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<NoDuplicates, A::Error> {
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            map.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn check(input: &str, expected: std::result::Result<(), &str>) {
        let got = parse::<BTreeMap<String, serde_json::Value>>("doc", input.as_bytes());
        match (got, expected) {
            (Ok(_), Ok(())) => {}
            (Err(Error::Json { reason, .. }), Err(want)) => {
                assert!(
                    reason.contains(want),
                    "{input:?}: {reason:?} lacks {want:?}"
                )
            }
            (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn strictness() {
        check(r#"{"a":1}"#, Ok(()));
        check(" {\"a\":{\"b\":[1,{\"c\":2}]}}", Ok(()));
        check(r#"{"a":1,"a":2}"#, Err("duplicate key \"a\""));
        check(r#"{"a":{"b":1,"b":1}}"#, Err("duplicate key \"b\""));
        check(r#"{"a":[{"x":1,"x":1}]}"#, Err("duplicate key \"x\""));
        check(r#"{"a":1} "#, Err("closing brace"));
        check(r#"{"a":1}{"b":2}"#, Err("trailing characters"));
        check(r#"{"a":1}x}"#, Err("trailing characters"));
        check(r#"[1]"#, Err("top level must be an object"));
        check(r#"{"a":1"#, Err("closing brace"));
    }
}
