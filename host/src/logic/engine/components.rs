//! The natives behind component instances: the component runtime compiled
//! on first use, and instances' props and data handed to the view
//! (compat.md B2, B3).

use super::*;

/// `__mp.componentState(page, id, props, data, after)`: an instance's props
/// (what JSON can carry: functions are left out) and, unless `data` is
/// `undefined`, its whole data, for the view to render with; at creation,
/// `after` says which lifecycles after a render it has (1: `didMount`,
/// 2: `didUpdate` or observers).
pub(super) fn native_component_state(
    _: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    let page = arg_u64(args, 0, ctx)?;
    let component = arg_u64(args, 1, ctx)?;
    let props = to_json(&arg(args, 2), ctx)?;
    let data = match arg(args, 3) {
        v if v.is_undefined() => None,
        v => Some(to_json(&v, ctx)?),
    };
    let after = match arg(args, 4) {
        v if v.is_undefined() => None,
        v => Some(v.to_u32(ctx)? as u8),
    };
    let classes = class_names(&to_json(&arg(args, 5), ctx)?);
    push(
        ctx,
        FromLogic::ComponentState {
            page,
            component,
            props,
            data,
            after,
            classes,
        },
    )
}

/// `__mp.componentDef(is, {plain, props, data, after, classes})`: what the
/// view needs of a component's definition to make its instances itself
/// (see [`Summary`](crate::logic::components::Summary)).
pub(super) fn native_component_def(
    _: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    let is = arg_string(args, 0, ctx)?;
    let v = to_json(&arg(args, 1), ctx)?;
    let summary = crate::logic::components::Summary {
        plain: v["plain"].as_bool().unwrap_or(false),
        props: match &v["props"] {
            Value::Object(m) => m.clone(),
            _ => Default::default(),
        },
        data: match &v["data"] {
            d @ Value::Object(_) => d.clone(),
            _ => Value::Object(Default::default()),
        },
        after: v["after"].as_u64().map_or(3, |a| (a & 3) as u8),
        classes: class_names(&v["classes"]),
    };
    push(ctx, FromLogic::ComponentDef { is, summary })
}

/// Class names: plain tokens only, at most 32 of 64 bytes each.
fn class_names(v: &Value) -> Vec<String> {
    match v {
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .filter(|c| !c.is_empty() && c.len() <= 64 && !c.contains(char::is_whitespace))
            .take(32)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// `__mp.componentRuntime()`: compiles the component runtime
/// (`components.js`) and returns its function of the prelude's kit. Called
/// once, the first time a program needs components.
pub(super) fn native_component_runtime(
    _: &JsValue,
    _: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    ctx.eval(Source::from_bytes(include_str!("../components.js")))
}

/// `native.viewRuntime()`: compiles the view's own APIs (contexts.js) and
/// returns its factory; the prelude calls it once, on first use.
pub(super) fn native_view_runtime(
    _: &JsValue,
    _: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    ctx.eval(Source::from_bytes(include_str!("../contexts.js")))
}
