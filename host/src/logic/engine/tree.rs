//! The natives behind the instance methods that read the view's tree
//! (`$selectComponent`, `$selectAllComponents`, `selectOwnerComponent`,
//! `selectComposedParentComponent`): each answers `[id, task]` pairs, the
//! task (or `null`) making a deferred instance's JS object first.

use super::*;
use crate::logic::protocol::PageId;
use crate::logic::select::{ComponentTree, Found};
use boa_engine::object::builtins::JsArray;

/// The view's tree; none outside a unit (a bare logic layer in tests).
fn tree(ctx: &Context) -> JsResult<Option<Rc<RefCell<dyn ComponentTree>>>> {
    Ok(state(ctx)?.borrow().tree.clone())
}

fn pair((id, task): Found, ctx: &mut Context) -> JsResult<JsValue> {
    let task = match task {
        Some(t) => convert::from_json(&t, ctx)?,
        None => JsValue::null(),
    };
    Ok(JsArray::from_iter([JsValue::from(id as f64), task], ctx).into())
}

/// `__mp.selectComponents(page, owner, selector, all)`: `[[id, task], …]`;
/// throws a `TypeError` naming a selector that does not parse.
pub(super) fn native_select_components(
    _: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    let page = arg_u64(args, 0, ctx)?;
    let owner = arg_u64(args, 1, ctx)?;
    let selector = arg_string(args, 2, ctx)?;
    let all = arg(args, 3).to_boolean();
    let found = match tree(ctx)? {
        Some(t) => t
            .borrow_mut()
            .select_components(page, owner, &selector, all)
            .map_err(|e| JsNativeError::typ().with_message(e))?,
        None => Vec::new(),
    };
    let mut out = Vec::with_capacity(found.len());
    for f in found {
        out.push(pair(f, ctx)?);
    }
    Ok(JsArray::from_iter(out, ctx).into())
}

/// `(page, id)` from the arguments, asked of the tree: `[id, task]`, or
/// `null` when it found nothing.
fn one(
    args: &[JsValue],
    ctx: &mut Context,
    ask: fn(&mut dyn ComponentTree, PageId, u64) -> Option<Found>,
) -> JsResult<JsValue> {
    let page = arg_u64(args, 0, ctx)?;
    let id = arg_u64(args, 1, ctx)?;
    match tree(ctx)?.and_then(|t| ask(&mut *t.borrow_mut(), page, id)) {
        Some(f) => pair(f, ctx),
        None => Ok(JsValue::null()),
    }
}

/// `__mp.composedParent(page, id)`: `[id, task]` of the instance around
/// `id`, or `null` when that is the page.
pub(super) fn native_composed_parent(
    _: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    one(args, ctx, |t, page, id| t.composed_parent(page, id))
}

/// `__mp.instance(page, id)`: `[id, task]`, or `null` when the page has no
/// such instance.
pub(super) fn native_instance(
    _: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    one(args, ctx, |t, page, id| t.instance(page, id))
}
