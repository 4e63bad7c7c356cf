//! The natives behind the module registry (`require`, `import`): resolve
//! a specifier, read a module's text once, compile it in CommonJS's wrapper
//! (an ES module rewritten first, and Babel's helpers defined on the first),
//! and warnings. What a module is and where it lives is `mpkit-modules`'s.

use super::*;
use mpkit_modules as resolver;
use mpkit_modules::esm;

/// `__mp.warn(kind, message)`: something accepted that is worth saying.
pub(super) fn native_warn(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let kind = arg_string(args, 0, ctx)?;
    let message = arg_string(args, 1, ctx)?;
    push(
        ctx,
        FromLogic::Warning {
            warning: ScriptError::at(&kind, "", 0, 0, message),
        },
    )
}

/// `__mp.resolve(from, spec)`: the package path `spec` names from the file
/// `from`, or a thrown `Error` saying why not.
pub(super) fn native_resolve(
    _: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    let from = arg_string(args, 0, ctx)?;
    let spec = arg_string(args, 1, ctx)?;
    let st = state(ctx)?;
    let mut st = st.borrow_mut();
    let State { files, probed, .. } = &mut *st;
    let mut read = |p: &str| files.as_ref().and_then(|f| f.read(p).ok());
    let r = resolver::resolve(&from, &spec, &mut resolver::Probe::new(&mut read, probed))
        .map_err(|m| JsNativeError::error().with_message(m))?;
    if let Some(w) = r.warning {
        st.out.push(FromLogic::Warning {
            warning: ScriptError::at("module", &from, 0, 0, w),
        });
    }
    Ok(JsValue::from(js_string!(r.path.as_str())))
}

/// A module's text, read once.
fn module_text(path: &str, ctx: &Context) -> JsResult<String> {
    let st = state(ctx)?;
    let mut st = st.borrow_mut();
    if let Some(Some(t)) = st.probed.get(path) {
        return Ok(t.clone());
    }
    let read = st.files.as_ref().map(|f| f.read(path));
    match read {
        Some(Ok(t)) => {
            st.probed.insert(path.to_owned(), Some(t.clone()));
            Ok(t)
        }
        Some(Err(e)) => Err(JsNativeError::error()
            .with_message(format!("{path}: {e}"))
            .into()),
        None => Err(JsNativeError::error()
            .with_message(format!("{path}: no such file"))
            .into()),
    }
}

/// `__mp.source(path)`: a module's text (JSON modules).
pub(super) fn native_source(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let path = arg_string(args, 0, ctx)?;
    let text = module_text(&path, ctx)?;
    Ok(JsValue::from(js_string!(text.as_str())))
}

/// A SyntaxError thrown with the module's own position in its `stack`.
fn syntax_error(file: &str, line: u32, column: u32, message: &str, ctx: &mut Context) -> JsError {
    let obj = JsNativeError::syntax()
        .with_message(format!("{message} ({file}:{line}:{column})"))
        .into_opaque(ctx);
    let _ = obj.set(
        js_string!("stack"),
        JsValue::from(js_string!(format!("    at {file}:{line}:{column}").as_str())),
        false,
        ctx,
    );
    JsError::from_opaque(obj.into())
}

/// `__mp.compile(path)`: `[fn, esm]`, the module's function in CommonJS's
/// wrapper; an ES module is rewritten to CommonJS first ([`esm`]).
pub(super) fn native_compile(
    _: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    let path = arg_string(args, 0, ctx)?;
    let text = module_text(&path, ctx)?;
    let is_esm = esm::is_module(&text);
    if is_esm && !std::mem::replace(&mut state(ctx)?.borrow_mut().esm_ready, true) {
        ctx.eval(Source::from_bytes(include_str!("esm_helpers.js")))?;
    }
    let body = if is_esm {
        esm::to_commonjs(&text)
            .map_err(|e| syntax_error(&path, e.line, e.column, &e.message, ctx))?
    } else {
        text
    };
    let wrapped = format!("{MODULE_PREFIX}{body}\n}})");
    let f = ctx
        .eval(Source::from_bytes(&wrapped).with_path(std::path::Path::new(&path)))
        .map_err(|e| match e.try_native(ctx) {
            Ok(n) if n.is_syntax() => {
                let m = n.to_string();
                let (_, line, mut column) = locate(&m).unwrap_or_default();
                if line == 1 && column as usize > MODULE_PREFIX.len() {
                    column -= MODULE_PREFIX.len() as u32;
                }
                syntax_error(&path, line, column, &m, ctx)
            }
            _ => e,
        })?;
    let out = boa_engine::object::builtins::JsArray::from_iter([f, JsValue::from(is_esm)], ctx);
    Ok(out.into())
}
