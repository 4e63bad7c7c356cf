//! The natives the prelude calls (`__mp.*`), by name and arity.

use super::components::{
    native_component_def, native_component_runtime, native_component_state, native_view_runtime,
};
use super::modules::{native_compile, native_resolve, native_source, native_warn};
use super::paths::{native_parse_path, native_paths};
use super::tree::{native_composed_parent, native_instance, native_select_components};
use super::*;

/// Every native, as (name, function, arity).
pub(super) fn table() -> Vec<(&'static str, NativeFunction, usize)> {
    vec![
        ("paths", NativeFunction::from_fn_ptr(native_paths), 1),
        (
            "selectComponents",
            NativeFunction::from_fn_ptr(native_select_components),
            4,
        ),
        (
            "composedParent",
            NativeFunction::from_fn_ptr(native_composed_parent),
            2,
        ),
        ("instance", NativeFunction::from_fn_ptr(native_instance), 2),
        (
            "parsePath",
            NativeFunction::from_fn_ptr(native_parse_path),
            1,
        ),
        (
            "componentDef",
            NativeFunction::from_fn_ptr(native_component_def),
            2,
        ),
        (
            "viewRuntime",
            NativeFunction::from_fn_ptr(native_view_runtime),
            0,
        ),
        (
            "componentState",
            NativeFunction::from_fn_ptr(native_component_state),
            4,
        ),
        (
            "componentRuntime",
            NativeFunction::from_fn_ptr(native_component_runtime),
            0,
        ),
        ("warn", NativeFunction::from_fn_ptr(native_warn), 2),
        ("resolve", NativeFunction::from_fn_ptr(native_resolve), 2),
        ("source", NativeFunction::from_fn_ptr(native_source), 1),
        ("compile", NativeFunction::from_fn_ptr(native_compile), 1),
        ("syncFn", NativeFunction::from_fn_ptr(native_sync_fn), 1),
        ("log", NativeFunction::from_fn_ptr(native_log), 2),
        ("error", NativeFunction::from_fn_ptr(native_error), 3),
        ("setData", NativeFunction::from_fn_ptr(native_set_data), 3),
        (
            "initialData",
            NativeFunction::from_fn_ptr(native_initial_data),
            2,
        ),
        (
            "currentRoute",
            NativeFunction::from_fn_ptr(native_current_route),
            0,
        ),
        ("setTimer", NativeFunction::from_fn_ptr(native_set_timer), 3),
        (
            "clearTimer",
            NativeFunction::from_fn_ptr(native_clear_timer),
            1,
        ),
        ("call", NativeFunction::from_fn_ptr(calls::native_call), 3),
        (
            "stringify",
            NativeFunction::from_fn_ptr(native_stringify),
            1,
        ),
        ("clone", NativeFunction::from_fn_ptr(native_clone), 1),
        ("canIUse", NativeFunction::from_fn_ptr(native_can_i_use), 1),
    ]
}
