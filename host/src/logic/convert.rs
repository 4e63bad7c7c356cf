//! JS values to and from `serde_json` values, on the Rust side (never boa's
//! `JSON.parse`/`JSON.stringify`).
//!
//! boa's own `JsValue::to_json` recurses without bound, so a mini program that
//! nests an object a million levels deep and passes it to `setData` or a JSAPI
//! would overflow the host thread's stack. Here the depth is capped and the
//! error is an ordinary JS `RangeError` the mini program can catch. The
//! conversion follows `JSON.stringify`: only enumerable own properties,
//! functions, `undefined` and symbols are left out of objects (and become
//! `null` in arrays), and getters run.
//!
//! `from_json` builds objects on shared shapes, as object literals are, rather
//! than boa's `from_json`, which gives every object a shape (a property table)
//! of its own.

use boa_engine::builtins::object::OrdinaryObject;
use boa_engine::object::builtins::JsArray;
use boa_engine::property::{PropertyDescriptor, PropertyKey};
use boa_engine::string::JsStrVariant;
use boa_engine::{
    js_string, Context, JsNativeError, JsObject, JsResult, JsString, JsValue, JsVariant,
};
use serde_json::{Map, Value};

/// The deepest nesting converted: far beyond any real page data, and short
/// of what the host reads from a worker's pipe (serde_json's limit of 128
/// levels, less the few of the message around the data), so deep data is a
/// `RangeError` in the mini program's own code in either isolation mode,
/// never a reply line the host cannot read.
pub(crate) const MAX_DEPTH: usize = 100;

/// `v` as JSON; `None` for what `JSON.stringify` leaves out (`undefined`,
/// functions, symbols).
pub(crate) fn to_json(v: &JsValue, ctx: &mut Context) -> JsResult<Option<Value>> {
    let mut ancestors = Vec::new();
    convert(v, ctx, &mut ancestors)
}

fn convert(
    v: &JsValue,
    ctx: &mut Context,
    ancestors: &mut Vec<JsObject>,
) -> JsResult<Option<Value>> {
    Ok(Some(match v.variant() {
        JsVariant::Undefined | JsVariant::Symbol(_) => return Ok(None),
        JsVariant::Null => Value::Null,
        JsVariant::Boolean(b) => Value::Bool(b),
        JsVariant::Integer32(i) => Value::from(i),
        // A whole number is written as one (`3`, not `3.0`) and a non-finite
        // one becomes null, as JSON.stringify does.
        JsVariant::Float64(f) => match whole(f) {
            Some(i) => Value::from(i),
            None => Value::from(f),
        },
        JsVariant::String(s) => Value::String(rust_string(&s)),
        JsVariant::BigInt(_) => return Err(bigint()),
        JsVariant::Object(obj) if obj.is_callable() => return Ok(None),
        JsVariant::Object(obj) => nested(&obj, ancestors, |ancestors| {
            if obj.is_array() {
                array(&obj, ctx, ancestors)
            } else {
                object(&obj, ctx, ancestors)
            }
        })?,
    }))
}

/// A JS string as UTF-8; a lone surrogate (which UTF-8 cannot hold) is
/// written escaped, as `\uD800`.
fn rust_string(s: &JsString) -> String {
    // Most strings are ASCII, kept one byte per character: copied whole.
    if let JsStrVariant::Latin1(bytes) = s.variant() {
        if bytes.is_ascii() {
            if let Ok(t) = std::str::from_utf8(bytes) {
                return t.to_owned();
            }
        }
    }
    s.to_std_string()
        .unwrap_or_else(|_| s.to_std_string_escaped())
}

/// Writes `s` as a JSON string, escaped exactly as serde_json escapes the
/// same text. A string kept one byte per character (Latin-1) is written from
/// where it sits; any other goes through [`rust_string`].
fn write_js_str(out: &mut Vec<u8>, s: &JsString) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let JsStrVariant::Latin1(bytes) = s.variant() else {
        write_str(out, &rust_string(s));
        return;
    };
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Most strings need no escape at all: checked in one pass without
    // branches, then copied whole.
    let plain = !bytes.iter().fold(false, |esc, &b| {
        esc | !(0x20..0x80).contains(&b) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let written: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ],
            // U+0080..U+00FF in UTF-8.
            0x80..=0xff => &[0xc0 | (b >> 6), 0x80 | (b & 0x3f)],
            _ => continue,
        };
        out.extend_from_slice(&bytes[run..i]);
        out.extend_from_slice(written);
        run = i + 1;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

/// An own property's value: a data property's value, or its getter's result.
/// `None` when it is not an own property (or, with `enumerable_only`, not an
/// enumerable one).
fn own_value(
    obj: &JsObject,
    key: &PropertyKey,
    enumerable_only: bool,
    ctx: &mut Context,
) -> JsResult<Option<JsValue>> {
    let desc: Option<PropertyDescriptor> = obj.borrow().properties().get(key);
    let Some(desc) = desc else { return Ok(None) };
    if enumerable_only && desc.enumerable() != Some(true) {
        return Ok(None);
    }
    match desc.value() {
        Some(v) => Ok(Some(v.clone())),
        // An accessor: its getter runs (the borrow above has ended).
        None => obj.get(key.clone(), ctx).map(Some),
    }
}

fn array(obj: &JsObject, ctx: &mut Context, ancestors: &mut Vec<JsObject>) -> JsResult<Value> {
    let len = obj.get(js_string!("length"), ctx)?.to_length(ctx)?;
    let mut out = Vec::with_capacity(len.min(1 << 16) as usize);
    for i in 0..len {
        let key = PropertyKey::from(i);
        let item = match own_value(obj, &key, false, ctx)? {
            Some(v) => convert(&v, ctx, ancestors)?.unwrap_or(Value::Null),
            None => Value::Null,
        };
        out.push(item);
    }
    Ok(Value::Array(out))
}

fn object(obj: &JsObject, ctx: &mut Context, ancestors: &mut Vec<JsObject>) -> JsResult<Value> {
    let mut map = Map::new();
    each_own(obj, ctx, |name, v, ctx| {
        if let Some(v) = convert(&v, ctx, ancestors)? {
            map.insert(name, v);
        }
        Ok(())
    })?;
    Ok(Value::Object(map))
}

/// Calls `f` with the name and value of each enumerable own string-keyed
/// property, in `Object.keys` order.
fn each_own(
    obj: &JsObject,
    ctx: &mut Context,
    mut f: impl FnMut(String, JsValue, &mut Context) -> JsResult<()>,
) -> JsResult<()> {
    each_own_key(obj, ctx, |key, v, ctx| {
        let name = match key {
            PropertyKey::String(s) => rust_string(s),
            PropertyKey::Index(i) => i.get().to_string(),
            PropertyKey::Symbol(_) => return Ok(()),
        };
        f(name, v, ctx)
    })
}

/// Calls `f` with the key and value of each enumerable own property that is
/// not a symbol, in `Object.keys` order; the key is lent, not copied.
pub(crate) fn each_own_key(
    obj: &JsObject,
    ctx: &mut Context,
    mut f: impl FnMut(&PropertyKey, JsValue, &mut Context) -> JsResult<()>,
) -> JsResult<()> {
    for key in obj.own_property_keys(ctx)? {
        if matches!(key, PropertyKey::Symbol(_)) {
            continue;
        }
        if let Some(v) = own_value(obj, &key, true, ctx)? {
            f(&key, v, ctx)?;
        }
    }
    Ok(())
}

/// Runs `f` with `obj` among the ancestors, after checking it closes no
/// cycle (only an ancestor can; the list is as long as the depth) and is not
/// nested too deeply.
fn nested<T>(
    obj: &JsObject,
    ancestors: &mut Vec<JsObject>,
    f: impl FnOnce(&mut Vec<JsObject>) -> JsResult<T>,
) -> JsResult<T> {
    if ancestors.iter().any(|a| JsObject::equals(a, obj)) {
        return Err(JsNativeError::typ()
            .with_message("cyclic object value")
            .into());
    }
    if ancestors.len() >= MAX_DEPTH {
        return Err(JsNativeError::range()
            .with_message(format!("data nested deeper than {MAX_DEPTH} levels"))
            .into());
    }
    ancestors.push(obj.clone());
    let r = f(ancestors);
    ancestors.pop();
    r
}

/// `f` as an integer when it is a whole number JSON can carry exactly.
fn whole(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0).then_some(f as i64)
}

fn bigint() -> boa_engine::JsError {
    JsNativeError::typ()
        .with_message("cannot convert a BigInt to JSON")
        .into()
}

/// `v` written as JSON text to `out`, by the same rules as [`to_json`], with
/// no `Value` built on the way. Returns false, having written nothing, for
/// what `JSON.stringify` leaves out.
pub(crate) fn write_json(v: &JsValue, ctx: &mut Context, out: &mut Vec<u8>) -> JsResult<bool> {
    let mut ancestors = Vec::new();
    write(v, ctx, &mut ancestors, out)
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // Escaping as serde_json does, so the text reads back to the same string.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write(
    v: &JsValue,
    ctx: &mut Context,
    ancestors: &mut Vec<JsObject>,
    out: &mut Vec<u8>,
) -> JsResult<bool> {
    match v.variant() {
        JsVariant::Undefined | JsVariant::Symbol(_) => return Ok(false),
        JsVariant::Null => out.extend_from_slice(b"null"),
        JsVariant::Boolean(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        JsVariant::Integer32(i) => out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
        JsVariant::Float64(f) => match whole(f) {
            Some(i) => out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
            None if f.is_finite() => {
                let _ = serde_json::to_writer(&mut *out, &f);
            }
            None => out.extend_from_slice(b"null"),
        },
        JsVariant::String(s) => write_js_str(out, &s),
        JsVariant::BigInt(_) => return Err(bigint()),
        JsVariant::Object(obj) if obj.is_callable() => return Ok(false),
        JsVariant::Object(obj) => nested(&obj, ancestors, |ancestors| {
            if obj.is_array() {
                write_array(&obj, ctx, ancestors, out)
            } else {
                write_object(&obj, ctx, ancestors, out)
            }
        })?,
    }
    Ok(true)
}

fn write_array(
    obj: &JsObject,
    ctx: &mut Context,
    ancestors: &mut Vec<JsObject>,
    out: &mut Vec<u8>,
) -> JsResult<()> {
    let len = obj.get(js_string!("length"), ctx)?.to_length(ctx)?;
    out.push(b'[');
    for i in 0..len {
        if i > 0 {
            out.push(b',');
        }
        let written = match own_value(obj, &PropertyKey::from(i), false, ctx)? {
            Some(v) => write(&v, ctx, ancestors, out)?,
            None => false,
        };
        if !written {
            out.extend_from_slice(b"null");
        }
    }
    out.push(b']');
    Ok(())
}

fn write_object(
    obj: &JsObject,
    ctx: &mut Context,
    ancestors: &mut Vec<JsObject>,
    out: &mut Vec<u8>,
) -> JsResult<()> {
    out.push(b'{');
    let mut first = true;
    each_own_key(obj, ctx, |key, v, ctx| {
        // The key is written first and taken back if the value is left out.
        let mark = out.len();
        if !first {
            out.push(b',');
        }
        match key {
            PropertyKey::String(s) => write_js_str(out, s),
            PropertyKey::Index(i) => {
                out.push(b'"');
                out.extend_from_slice(itoa::Buffer::new().format(i.get()).as_bytes());
                out.push(b'"');
            }
            PropertyKey::Symbol(_) => return Ok(()),
        }
        out.push(b':');
        if write(&v, ctx, ancestors, out)? {
            first = false;
        } else {
            out.truncate(mark);
        }
        Ok(())
    })?;
    out.push(b'}');
    Ok(())
}

/// `json` as a JS value: objects on shared shapes, with `Object.prototype`.
pub(crate) fn from_json(json: &Value, ctx: &mut Context) -> JsResult<JsValue> {
    Ok(match json {
        Value::Null => JsValue::null(),
        Value::Bool(b) => JsValue::from(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) if i32::try_from(i).is_ok() => JsValue::from(i as i32),
            _ => JsValue::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => JsValue::from(JsString::from(s.as_str())),
        Value::Array(items) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(from_json(item, ctx)?);
            }
            JsArray::from_iter(values, ctx).into()
        }
        Value::Object(m) => {
            let proto = ctx.intrinsics().constructors().object().prototype();
            let obj = JsObject::new(ctx.root_shape(), proto, OrdinaryObject).upcast();
            for (k, v) in m {
                let value = from_json(v, ctx)?;
                obj.insert_property(
                    JsString::from(k.as_str()),
                    PropertyDescriptor::builder()
                        .value(value)
                        .writable(true)
                        .enumerable(true)
                        .configurable(true),
                );
            }
            obj.into()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use boa_engine::Source;
    use serde_json::json;

    fn eval(ctx: &mut Context, src: &str) -> JsValue {
        ctx.eval(Source::from_bytes(src)).expect("eval")
    }

    fn big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(64 * 1024 * 1024)
            .spawn(f)
            .expect("spawn")
            .join()
            .expect("join")
    }

    #[test]
    fn values_convert_as_json_stringify_would() {
        big_stack(|| {
            let mut ctx = Context::default();
            let v = eval(
                &mut ctx,
                "const o = { a: 1, b: 'x', c: [1, undefined, () => 1, null, 2.5], d: { e: true }, \
                   f: undefined, g: function () {}, h: Symbol('s'), [Symbol('k')]: 1, 7: 'seven' }; \
                 Object.defineProperty(o, 'hidden', { value: 1, enumerable: false }); \
                 Object.defineProperty(o, 'got', { get() { return this.a + 1; }, enumerable: true }); \
                 o",
            );
            assert_eq!(
                to_json(&v, &mut ctx).expect("json"),
                Some(
                    json!({"7": "seven", "a": 1, "b": "x", "c": [1, null, null, null, 2.5],
                            "d": {"e": true}, "got": 2})
                )
            );
            let f = eval(&mut ctx, "(function () {})");
            assert_eq!(to_json(&f, &mut ctx).expect("json"), None);
            let n = eval(&mut ctx, "[NaN, Infinity, -0, 2 ** 40]");
            assert_eq!(
                to_json(&n, &mut ctx).expect("json"),
                Some(json!([null, null, 0, 1_099_511_627_776i64]))
            );
        });
    }

    /// The text writer and the `Value` builder agree on every kind of value,
    /// and the text is what the builder's value serializes to, byte for byte.
    #[test]
    fn json_text_is_written_as_the_value_would_be() {
        big_stack(|| {
            let mut ctx = Context::default();
            for src in [
                r#"({ a: 1, b: 'x"y\\\u2028\n\u0001', c: [1, undefined, () => 1, null, 2.5, NaN],
                   d: { e: true, f: undefined }, g: function () {}, h: Symbol('s'), 7: 'seven',
                   '': 0, 'k\u00e9y': 'caf\u00e9 \ud83d\ude00', lone: '\ud800', neg: -0, big: 2 ** 60, small: 1e-7 })"#,
                "({ first: undefined, second: 2 })",
                "({ only: undefined })",
                "({ list: [[], {}, [[1]], 'x'.repeat(100)] })",
                "(() => { const o = { a: 1 }; Object.defineProperty(o, 'h', { value: 2 }); \
                   Object.defineProperty(o, 'g', { get() { return [this.a]; }, enumerable: true }); return o; })()",
                "({ arr: Object.assign([1, 2], { extra: 3 }), sparse: [1, , 3] })",
            ] {
                let v = eval(&mut ctx, src);
                let value = to_json(&v, &mut ctx).expect("value").expect("some");
                let mut text = Vec::new();
                assert!(write_json(&v, &mut ctx, &mut text).expect("text"), "{src}");
                let text = String::from_utf8(text).expect("utf8");
                let back: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{src}: {e}: {text}"));
                assert_eq!(back, value, "{src}: {text}");
                assert_eq!(text.len(), serde_json::to_string(&value).expect("ser").len(), "{src}");
            }
            let f = eval(&mut ctx, "(function () {})");
            let mut text = Vec::new();
            assert!(!write_json(&f, &mut ctx, &mut text).expect("fn"));
            assert!(text.is_empty());
            for (src, want) in [
                (
                    "const c = { x: {} }; c.x.c = c; c",
                    "TypeError: cyclic object value",
                ),
                (
                    "let o = {}; for (let i = 0; i < 100000; i++) o = { o: o }; o",
                    "RangeError: data nested deeper than 100 levels",
                ),
                ("({ n: 10n })", "TypeError: cannot convert a BigInt to JSON"),
            ] {
                let v = eval(&mut ctx, src);
                let e = write_json(&v, &mut ctx, &mut Vec::new()).expect_err(src);
                assert!(e.to_string().starts_with(want), "{src}: {e}");
            }
        });
    }

    /// Strings kept one byte per character are escaped by our own loop: it
    /// must write every one of the 256 characters, alone and among others,
    /// exactly as serde_json writes the same text.
    #[test]
    fn one_byte_strings_are_escaped_exactly_as_serde_json_escapes_them() {
        big_stack(|| {
            let mut ctx = Context::default();
            let every = eval(
                &mut ctx,
                "const a = []; for (let i = 0; i < 256; i++) a.push(String.fromCharCode(i), 'x' + String.fromCharCode(i) + 'y');                  let all = ''; for (let i = 255; i >= 0; i--) all += String.fromCharCode(i); a.push(all, '', 'plain ascii'); a",
            );
            let value = to_json(&every, &mut ctx).expect("value").expect("some");
            let mut text = Vec::new();
            assert!(write_json(&every, &mut ctx, &mut text).expect("text"));
            assert_eq!(
                String::from_utf8(text).expect("utf8"),
                serde_json::to_string(&value).expect("ser")
            );
            let Value::Array(items) = &value else {
                panic!("not an array: {value}")
            };
            assert_eq!(items[2 * 0xe9], json!("\u{e9}"));
            assert_eq!(items[2 * 0x1f + 1], json!("x\u{1f}y"));
            assert_eq!(items.len(), 515);
        });
    }

    #[test]
    fn a_cycle_is_a_type_error() {
        big_stack(|| {
            let mut ctx = Context::default();
            let v = eval(&mut ctx, "const a = { b: {} }; a.b.a = a; a");
            let e = to_json(&v, &mut ctx).expect_err("cycle");
            assert!(
                e.to_string().starts_with("TypeError: cyclic object value"),
                "{e}"
            );
            // The same object twice, side by side, is no cycle.
            let v = eval(&mut ctx, "const s = { x: 1 }; ({ p: s, q: s, r: [s, s] })");
            assert_eq!(
                to_json(&v, &mut ctx).expect("json"),
                Some(json!({"p": {"x": 1}, "q": {"x": 1}, "r": [{"x": 1}, {"x": 1}]}))
            );
        });
    }

    #[test]
    fn nesting_deeper_than_the_cap_is_a_range_error_not_a_crash() {
        // Far deeper than any thread's stack would take with unbounded recursion.
        big_stack(|| {
            let mut ctx = Context::default();
            let v = eval(
                &mut ctx,
                "let o = {}; for (let i = 0; i < 1000000; i++) o = { o: o }; o",
            );
            let e = to_json(&v, &mut ctx).expect_err("too deep");
            assert!(
                e.to_string().starts_with(&format!(
                    "RangeError: data nested deeper than {MAX_DEPTH} levels"
                )),
                "{e}"
            );
            let v = eval(
                &mut ctx,
                "let a = []; for (let i = 0; i < 1000000; i++) a = [a]; a",
            );
            assert!(to_json(&v, &mut ctx).is_err());
            // At the cap exactly, it converts.
            let v = eval(
                &mut ctx,
                &format!("let d = 1; for (let i = 0; i < {MAX_DEPTH}; i++) d = [d]; d"),
            );
            assert!(to_json(&v, &mut ctx).expect("at the cap").is_some());
        });
    }

    #[test]
    fn from_json_round_trips_and_builds_ordinary_objects() {
        big_stack(|| {
            let mut ctx = Context::default();
            let j = json!({"a": [1, "two", null, true, {"b": 2.5}], "c": {}, "3": -7, "big": 1e300, "i64": 5_000_000_000i64});
            let v = from_json(&j, &mut ctx).expect("js");
            assert_eq!(to_json(&v, &mut ctx).expect("json"), Some(j.clone()));
            ctx.register_global_property(
                js_string!("v"),
                v,
                boa_engine::property::Attribute::all(),
            )
            .expect("global");
            let r = eval(
                &mut ctx,
                "[Object.getPrototypeOf(v) === Object.prototype, Array.isArray(v.a), Object.keys(v).join(), \
                  (v.c.added = 1, v.c.added), delete v.a, 'a' in v]",
            );
            assert_eq!(
                to_json(&r, &mut ctx).expect("json"),
                Some(json!([true, true, "3,a,big,c,i64", 1, true, false]))
            );
        });
    }
}
