//! Applying setData path keys (`a.b`, `list[3].name`) to page data, the same way
//! the logic layer's prelude applies them to `this.data`.

use serde_json::{Map, Value};

#[derive(Debug, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn parse(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !cur.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut cur)));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    out.push(Seg::Key(std::mem::take(&mut cur)));
                }
                let mut digits = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    digits.push(d);
                }
                match digits.parse::<usize>() {
                    Ok(i) => out.push(Seg::Index(i)),
                    Err(_) => out.push(Seg::Key(digits)),
                }
            }
            ']' => {}
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(Seg::Key(cur));
    }
    out
}

/// Most array slots a path index may create, so `list[99999999]` cannot exhaust memory.
const MAX_INDEX: usize = 100_000;

/// Sets `path` in `data` to `value`, creating objects and arrays on the way.
pub fn set_path(data: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let segs = parse(path);
    let Some((last, init)) = segs.split_last() else {
        return Ok(());
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
            if let Value::Object(m) = cur {
                m.insert(k.clone(), value);
            }
        }
        Seg::Index(i) => {
            let slot = step(cur, &Seg::Index(*i), false)?;
            *slot = value;
        }
    }
    Ok(())
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
    }
}
