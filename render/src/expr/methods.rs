//! Methods of strings, arrays and numbers that templates may call, as
//! Alipay's template compiler lets them (Ant Design Mini writes
//! `{{content.substring(0, 24)}}` and `{{item.icon.includes('https://')}}`):
//! a fixed list of pure ones, computed here on JSON values. Any other call
//! is an error where it is parsed.

use super::{num, to_num, to_text, write_text};
use serde_json::Value;

/// The methods a template may call on a value.
pub const METHODS: &[&str] = &[
    "charAt",
    "concat",
    "endsWith",
    "includes",
    "indexOf",
    "join",
    "lastIndexOf",
    "padEnd",
    "padStart",
    "repeat",
    "replace",
    "slice",
    "split",
    "startsWith",
    "substr",
    "substring",
    "toFixed",
    "toLowerCase",
    "toString",
    "toUpperCase",
    "trim",
    "trimEnd",
    "trimStart",
];

/// Longest string a method may make (`repeat`, `padStart`, `padEnd`,
/// `concat`): a template cannot build a huge value from a small one.
const MAX_MADE: usize = 64 * 1024;

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn from_utf16(units: &[u16]) -> Value {
    Value::String(String::from_utf16_lossy(units))
}

/// A relative index as `slice` reads it: negative counts from the end.
fn rel(v: Option<&Value>, len: usize, default: usize) -> usize {
    match v {
        None | Some(Value::Null) => default,
        Some(v) => {
            let n = to_num(v);
            let n = if n.is_nan() { 0.0 } else { n.trunc() };
            if n < 0.0 {
                (len as f64 + n).max(0.0) as usize
            } else {
                (n as usize).min(len)
            }
        }
    }
}

/// A clamped index as `substring` reads it: negative is 0.
fn clamp(v: Option<&Value>, len: usize, default: usize) -> usize {
    match v {
        None | Some(Value::Null) => default,
        Some(v) => {
            let n = to_num(v);
            if n.is_nan() || n < 0.0 {
                0
            } else {
                (n as usize).min(len)
            }
        }
    }
}

fn text_arg(args: &[Value], i: usize) -> String {
    args.get(i)
        .map(to_text)
        .unwrap_or_else(|| "undefined".into())
}

fn pad(s: &str, args: &[Value], start: bool) -> Value {
    let target = args.first().map_or(0.0, to_num);
    let fill = args.get(1).map_or(" ".to_owned(), to_text);
    let have = s.encode_utf16().count();
    if target.is_nan() || target <= have as f64 || fill.is_empty() {
        return Value::String(s.to_owned());
    }
    let want = (target as usize).min(MAX_MADE) - have.min(MAX_MADE);
    let filler: Vec<u16> = utf16(&fill).into_iter().cycle().take(want).collect();
    let filler = String::from_utf16_lossy(&filler);
    Value::String(if start {
        filler + s
    } else {
        s.to_owned() + &filler
    })
}

fn string_method(s: &str, name: &str, args: &[Value]) -> Option<Value> {
    let u = utf16(s);
    let len = u.len();
    Some(match name {
        "charAt" => {
            let i = clamp(args.first(), len, 0);
            from_utf16(u.get(i..(i + 1).min(len)).unwrap_or(&[]))
        }
        "concat" => {
            let mut out = s.to_owned();
            for a in args {
                write_text(a, &mut out);
                if out.len() > MAX_MADE {
                    return None;
                }
            }
            Value::String(out)
        }
        "endsWith" => Value::Bool(s.ends_with(&text_arg(args, 0))),
        "startsWith" => Value::Bool(s.starts_with(&text_arg(args, 0))),
        "includes" => Value::Bool(s.contains(&text_arg(args, 0))),
        "indexOf" | "lastIndexOf" => {
            let needle = utf16(&text_arg(args, 0));
            let found = if name == "indexOf" {
                (0..=len.saturating_sub(needle.len()))
                    .find(|&i| u[i..].starts_with(&needle) && i + needle.len() <= len)
            } else {
                (0..=len.saturating_sub(needle.len()))
                    .rev()
                    .find(|&i| u[i..].starts_with(&needle))
            };
            found.map_or(Value::from(-1), |i| Value::from(i as i64))
        }
        "padStart" => pad(s, args, true),
        "padEnd" => pad(s, args, false),
        "repeat" => {
            let n = args.first().map_or(0.0, to_num);
            if n.is_nan() || n < 0.0 || n * (s.len() as f64) > MAX_MADE as f64 {
                return None;
            }
            Value::String(s.repeat(n as usize))
        }
        "replace" => {
            // A string pattern only: the first occurrence.
            let pat = text_arg(args, 0);
            let with = text_arg(args, 1);
            Value::String(s.replacen(&pat, &with, 1))
        }
        "slice" => {
            let a = rel(args.first(), len, 0);
            let b = rel(args.get(1), len, len);
            from_utf16(if a < b { &u[a..b] } else { &[] })
        }
        "substring" => {
            let a = clamp(args.first(), len, 0);
            let b = clamp(args.get(1), len, len);
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            from_utf16(&u[a..b])
        }
        "substr" => {
            let a = rel(args.first(), len, 0);
            let n = clamp(args.get(1), len - a, len - a);
            from_utf16(&u[a..a + n])
        }
        "split" => match args.first() {
            None | Some(Value::Null) => Value::Array(vec![Value::String(s.to_owned())]),
            Some(sep) => {
                let sep = to_text(sep);
                let parts: Vec<Value> = if sep.is_empty() {
                    s.chars().map(|c| Value::String(c.to_string())).collect()
                } else {
                    s.split(sep.as_str())
                        .map(|p| Value::String(p.to_owned()))
                        .collect()
                };
                Value::Array(parts)
            }
        },
        "toLowerCase" => Value::String(s.to_lowercase()),
        "toUpperCase" => Value::String(s.to_uppercase()),
        "toString" => Value::String(s.to_owned()),
        "trim" => Value::String(s.trim().to_owned()),
        "trimStart" => Value::String(s.trim_start().to_owned()),
        "trimEnd" => Value::String(s.trim_end().to_owned()),
        _ => return None,
    })
}

/// JS `SameValueZero`, on JSON values.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn array_method(a: &[Value], name: &str, args: &[Value]) -> Option<Value> {
    let len = a.len();
    let first = args.first().unwrap_or(&Value::Null);
    Some(match name {
        "includes" => Value::Bool(a.iter().any(|x| same(x, first))),
        "indexOf" => a
            .iter()
            .position(|x| same(x, first))
            .map_or(Value::from(-1), |i| Value::from(i as i64)),
        "lastIndexOf" => a
            .iter()
            .rposition(|x| same(x, first))
            .map_or(Value::from(-1), |i| Value::from(i as i64)),
        "join" => {
            let sep = match args.first() {
                None | Some(Value::Null) => ",".to_owned(),
                Some(v) => to_text(v),
            };
            let mut out = String::new();
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(&sep);
                }
                write_text(x, &mut out);
                if out.len() > MAX_MADE {
                    return None;
                }
            }
            Value::String(out)
        }
        "slice" => {
            let s = rel(args.first(), len, 0);
            let e = rel(args.get(1), len, len);
            Value::Array(if s < e { a[s..e].to_vec() } else { Vec::new() })
        }
        "concat" => {
            let mut out = a.to_vec();
            for x in args {
                match x {
                    Value::Array(more) => out.extend(more.iter().cloned()),
                    other => out.push(other.clone()),
                }
                if out.len() > MAX_MADE {
                    return None;
                }
            }
            Value::Array(out)
        }
        "toString" => Value::String(to_text(&Value::Array(a.to_vec()))),
        _ => return None,
    })
}

fn number_method(n: f64, name: &str, args: &[Value]) -> Option<Value> {
    Some(match name {
        "toFixed" => {
            let digits = args.first().map_or(0.0, to_num);
            if !(0.0..=100.0).contains(&digits) {
                return None;
            }
            if !n.is_finite() {
                return Some(Value::String(to_text(&num(n))));
            }
            Value::String(format!("{n:.*}", digits as usize))
        }
        "toString" => Value::String(to_text(&num(n))),
        _ => return None,
    })
}

/// `value.name(args)`, or `None` (rendered as `undefined`) when `value` has
/// no such method or the call would make more than a template may.
pub(super) fn call(value: &Value, name: &str, args: &[Value]) -> Option<Value> {
    match value {
        Value::String(s) => string_method(s, name, args),
        Value::Array(a) => array_method(a, name, args),
        Value::Number(n) => number_method(n.as_f64().unwrap_or(f64::NAN), name, args),
        Value::Bool(b) if name == "toString" => Some(Value::String(b.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::expr::{eval, parse};
    use serde_json::{json, Value};

    fn run(src: &str) -> Value {
        let data = json!({"s": "Hello, wörld", "n": 4.2567, "list": [1, "a", 2.0], "url": "https://x/y.png", "none": null});
        eval(&parse(src).unwrap_or_else(|e| panic!("{src}: {e}")), &data)
    }

    #[test]
    fn the_methods_templates_call_compute_as_js_does() {
        for (src, want) in [
            ("s.substring(0, 5)", json!("Hello")),
            ("s.substring(5, 0)", json!("Hello")),
            ("s.slice(-5)", json!("wörld")),
            ("s.substr(7, 3)", json!("wör")),
            ("s.includes('wö')", json!(true)),
            ("url.includes('https://')", json!(true)),
            ("s.indexOf('l')", json!(2)),
            ("s.lastIndexOf('l')", json!(10)),
            ("s.indexOf('zz')", json!(-1)),
            ("s.toUpperCase()", json!("HELLO, WÖRLD")),
            ("s.split(', ')", json!(["Hello", "wörld"])),
            ("s.split(', ')[1]", json!("wörld")),
            ("'7'.padStart(3, '0')", json!("007")),
            ("'ab'.repeat(3)", json!("ababab")),
            ("' x '.trim()", json!("x")),
            ("s.replace('l', 'L')", json!("HeLlo, wörld")),
            ("s.charAt(1)", json!("e")),
            ("n.toFixed(2)", json!("4.26")),
            ("list.includes('a')", json!(true)),
            ("list.includes(2)", json!(true)),
            ("list.indexOf(2)", json!(2)),
            ("list.join('-')", json!("1-a-2")),
            ("list.slice(1).length", json!(2)),
            ("none.includes('x')", Value::Null),
            ("'x'.repeat(1000000)", Value::Null),
        ] {
            assert_eq!(run(src), want, "{src}");
        }
    }

    #[test]
    fn any_other_call_is_a_parse_error_that_says_why() {
        for src in [
            "s.eval(1)",
            "s.constructor('x')",
            "f(1)",
            "list.map(x)",
            "s['substring'](1)",
        ] {
            let e = parse(src).expect_err(src);
            assert!(e.message.contains("templates cannot call"), "{src}: {e:?}");
        }
    }
}
