//! setData path keys, read in Rust by the reader the view applies them
//! with ([`mpkit_render::data::parse_path`]): both sides read a key alike,
//! and a key costs the logic layer one native call, not a loop of
//! interpreted string operations per character.

use super::*;
use boa_engine::object::builtins::JsArray;
use boa_engine::property::PropertyKey;
use mpkit_render::data::{parse_path, Seg};

/// A refused key as the error JS gets: a `RangeError` for what is over a
/// limit (an index, the number of segments), else a `TypeError`.
fn path_error(message: String) -> JsError {
    let over = message.starts_with("setData index") || message.starts_with("setData path has");
    let e = if over {
        JsNativeError::range()
    } else {
        JsNativeError::typ()
    };
    e.with_message(message).into()
}

/// The segments of `path` as a JS array: strings for keys, numbers for indexes.
fn segments(path: &str, ctx: &mut Context) -> JsResult<JsValue> {
    let segs = parse_path(path).map_err(path_error)?;
    let items: Vec<JsValue> = segs
        .into_iter()
        .map(|s| match s {
            Seg::Key(k) => JsValue::from(js_string!(k.as_str())),
            Seg::Index(i) => JsValue::from(i as f64),
        })
        .collect();
    Ok(JsArray::from_iter(items, ctx).into())
}

/// `__mp.parsePath(key)`: `'list[3].name'` → `['list', 3, 'name']`; throws
/// what a refused key throws.
pub(super) fn native_parse_path(
    _: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    let path = arg_string(args, 0, ctx)?;
    segments(&path, ctx)
}

/// `__mp.paths(obj)`: the keys of a setData object, read before anything is
/// sent or set, as `[segments, value, segments, value, …]` in `Object.keys`
/// order. Throws a `TypeError` when `obj` is not an object, and what the
/// first refused key throws.
pub(super) fn native_paths(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let obj = match arg(args, 0).as_object() {
        Some(o) if !o.is_callable() => o.clone(),
        _ => {
            return Err(JsNativeError::typ()
                .with_message("setData expects an object")
                .into())
        }
    };
    let mut out = Vec::new();
    convert::each_own_key(&obj, ctx, |key, value, ctx| {
        let name = match key {
            PropertyKey::String(s) => s.to_std_string_escaped(),
            PropertyKey::Index(i) => i.get().to_string(),
            PropertyKey::Symbol(_) => return Ok(()),
        };
        out.push(segments(&name, ctx)?);
        out.push(value);
        Ok(())
    })?;
    Ok(JsArray::from_iter(out, ctx).into())
}
