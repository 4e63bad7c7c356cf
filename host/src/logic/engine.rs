//! The logic layer: one boa `Context` running one mini program's JS.
//!
//! It is `!Send` by construction (boa values are), so it lives and dies on the
//! thread that created it; only [`ToLogic`] and [`FromLogic`] messages cross.

use super::convert;
use super::protocol::{FromLogic, RawPatch, ScriptError, ToLogic};
use super::view::UnitFiles;
use boa_engine::object::ObjectInitializer;
use boa_engine::property::Attribute;
use boa_engine::{
    js_string, Context, JsError, JsNativeError, JsObject, JsResult, JsValue, NativeFunction, Source,
};
use mpkit_jsapi::{ApiError, Nav, ViewApi};
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;

/// Opens the function each module runs in, CommonJS's wrapper, on the
/// module's first line.
const MODULE_PREFIX: &str = "(function (exports, require, module, __filename, __dirname) {";

/// `my.SDKVersion`: the level of Alipay's base library whose behaviour this
/// runtime follows (see docs/runtime.md).
pub(crate) const SDK_VERSION: &str = "2.7.0";

/// The largest setData payload accepted, serialized (1 MB, WeChat's contract).
pub const MAX_SET_DATA_BYTES: usize = 1024 * 1024;

/// Limits for code running in a thread (the process mode adds a memory cap and a watchdog).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsLimits {
    /// Iterations one loop may run before it is stopped.
    pub loop_iterations: u64,
    /// Deepest JS call recursion.
    pub recursion: usize,
    /// VM stack slots.
    pub stack_size: usize,
}

impl Default for JsLimits {
    fn default() -> JsLimits {
        JsLimits {
            loop_iterations: 50_000_000,
            recursion: 400,
            stack_size: 64 * 1024,
        }
    }
}

/// Answers a synchronous `my.*Sync` call: the result, or the error as JS
/// sees it ([`ApiError::to_js`]).
pub(crate) type SyncHandler = Box<dyn FnMut(&str, &Value) -> Result<Value, Value>>;

struct State {
    out: Vec<FromLogic>,
    current_route: Option<String>,
    apis: Vec<String>,
    sync: SyncHandler,
    /// setData patches leave as JSON text (in a worker, where text is what
    /// crosses the pipe).
    patches_as_json: bool,
    /// The mini program's files, for modules.
    files: Option<Rc<dyn UnitFiles>>,
    /// What resolution has learnt of the package: a file's text, or `None`
    /// when it is not there.
    probed: std::collections::HashMap<String, Option<String>>,
    /// Babel's interop helpers are defined (`esm_helpers.js`, on the first ES module).
    esm_ready: bool,
    /// The view's tree, for the instance methods that read it (`$selectComponent`).
    tree: Option<Rc<RefCell<dyn super::select::ComponentTree>>>,
    /// What this turn has queued for the host so far.
    turn: calls::Turn,
}

/// Until a JSAPI registry is attached, every sync call is refused.
pub(crate) fn no_sync(name: &str, _: &Value) -> Result<Value, Value> {
    Err(ApiError::NotAvailable(name.to_owned()).to_js())
}

mod calls;
mod components;
mod modules;
mod natives;
mod paths;
mod tree;

type Shared = Rc<RefCell<State>>;

/// Tracks promises rejected with no handler, as HostPromiseRejectionTracker.
#[derive(Default)]
struct Rejections {
    pending: RefCell<Vec<JsObject<boa_engine::builtins::promise::Promise>>>,
}

impl boa_engine::context::HostHooks for Rejections {
    fn promise_rejection_tracker(
        &self,
        promise: &JsObject<boa_engine::builtins::promise::Promise>,
        operation: boa_engine::builtins::promise::OperationType,
        _context: &mut Context,
    ) {
        let mut pending = self.pending.borrow_mut();
        match operation {
            boa_engine::builtins::promise::OperationType::Reject => pending.push(promise.clone()),
            boa_engine::builtins::promise::OperationType::Handle => {
                pending.retain(|p| !JsObject::equals(p, promise))
            }
        }
    }
}

/// A running mini program's JS.
pub struct LogicLayer {
    ctx: Context,
    state: Shared,
    dispatch: JsObject,
    reply: JsObject,
    rejections: Rc<Rejections>,
    report_rejection: JsObject,
    /// The prelude's `entry(file)` (its bridge): loads an entry module.
    entry: JsObject,
    /// Source maps, for errors in compiled files (TypeScript).
    maps: super::sourcemap::SourceMaps,
}

impl std::fmt::Debug for LogicLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogicLayer").finish_non_exhaustive()
    }
}

fn state(ctx: &Context) -> JsResult<Shared> {
    ctx.get_data::<Shared>().cloned().ok_or_else(|| {
        JsNativeError::error()
            .with_message("logic layer state missing")
            .into()
    })
}

fn arg(args: &[JsValue], i: usize) -> JsValue {
    args.get(i).cloned().unwrap_or_default()
}

fn arg_string(args: &[JsValue], i: usize, ctx: &mut Context) -> JsResult<String> {
    Ok(arg(args, i).to_string(ctx)?.to_std_string_escaped())
}

fn arg_u64(args: &[JsValue], i: usize, ctx: &mut Context) -> JsResult<u64> {
    let n = arg(args, i).to_number(ctx)?;
    Ok(if n.is_finite() && n > 0.0 {
        n as u64
    } else {
        0
    })
}

fn to_json(v: &JsValue, ctx: &mut Context) -> JsResult<Value> {
    Ok(convert::to_json(v, ctx)?.unwrap_or(Value::Null))
}

fn push(ctx: &Context, msg: FromLogic) -> JsResult<JsValue> {
    state(ctx)?.borrow_mut().out.push(msg);
    Ok(JsValue::undefined())
}

fn native_log(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    // Past the turn's console lines, output is dropped (the host keeps
    // only the first lines of a run anyway).
    if !calls::console_line(ctx)? {
        return Ok(JsValue::undefined());
    }
    let level = arg_string(args, 0, ctx)?;
    let text = arg_string(args, 1, ctx)?;
    push(ctx, FromLogic::Console { level, text })
}

fn native_error(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let kind = arg_string(args, 0, ctx)?;
    let message = arg_string(args, 1, ctx)?;
    let stack = arg_string(args, 2, ctx)?;
    let (file, line, column) = locate(&stack)
        .or_else(|| locate(&message))
        .unwrap_or_default();
    push(
        ctx,
        FromLogic::Error {
            error: ScriptError {
                kind,
                message,
                file,
                line,
                column,
            },
        },
    )
}

fn too_big(size: usize) -> JsError {
    JsNativeError::range()
        .with_message(format!(
            "setData payload is {size} bytes, over the 1 MB limit; send less data per call"
        ))
        .into()
}

/// setData in a worker: the patch is written straight to JSON text, which is
/// what crosses the pipe, and its length is the size checked.
fn set_data_as_json(
    page: u64,
    comp: u64,
    data: &JsValue,
    args: &[JsValue],
    ctx: &mut Context,
) -> JsResult<JsValue> {
    if !data
        .as_object()
        .is_some_and(|o| !o.is_callable() && !o.is_array())
    {
        return Err(JsNativeError::typ()
            .with_message("setData expects an object")
            .into());
    }
    let mut text = Vec::with_capacity(1024);
    convert::write_json(data, ctx, &mut text)?;
    let size = text.len();
    if size > MAX_SET_DATA_BYTES {
        return Err(too_big(size));
    }
    let patch = String::from_utf8(text)
        .map_err(|_| JsNativeError::error().with_message("setData: patch not written as JSON"))?;
    let callback = arg_u64(args, 2, ctx)?;
    push(
        ctx,
        FromLogic::SetDataJson {
            page,
            comp,
            patch: RawPatch::new(patch),
            callback,
            size,
        },
    )
}

fn native_set_data(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let page = arg_u64(args, 0, ctx)?;
    // A component instance's id, or none for the page's own setData.
    let comp = arg_u64(args, 3, ctx)?;
    if state(ctx)?.borrow().patches_as_json {
        return set_data_as_json(page, comp, &arg(args, 1), args, ctx);
    }
    let patch = match to_json(&arg(args, 1), ctx)? {
        Value::Object(m) => m,
        _ => {
            return Err(JsNativeError::typ()
                .with_message("setData expects an object")
                .into())
        }
    };
    let size = json_len(&patch);
    if size > MAX_SET_DATA_BYTES {
        return Err(too_big(size));
    }
    let callback = arg_u64(args, 2, ctx)?;
    push(
        ctx,
        FromLogic::SetData {
            page,
            comp,
            patch,
            callback,
            size,
        },
    )
}

/// The serialized length of `v`, counted without building the string.
fn json_len(v: &impl serde::Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    match serde_json::to_writer(&mut c, v) {
        Ok(()) => c.0,
        Err(_) => usize::MAX,
    }
}

fn native_initial_data(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let page = arg_u64(args, 0, ctx)?;
    let data = to_json(&arg(args, 1), ctx)?;
    push(ctx, FromLogic::InitialData { page, data })
}

fn native_current_route(_: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    Ok(match &state(ctx)?.borrow().current_route {
        Some(r) => JsValue::from(js_string!(r.as_str())),
        None => JsValue::undefined(),
    })
}

fn native_set_timer(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let id = arg_u64(args, 0, ctx)?;
    let delay_ms = arg_u64(args, 1, ctx)?;
    let repeat = arg(args, 2).to_boolean();
    push(
        ctx,
        FromLogic::SetTimer {
            id,
            delay_ms,
            repeat,
        },
    )
}

fn native_clear_timer(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let id = arg_u64(args, 0, ctx)?;
    push(ctx, FromLogic::ClearTimer { id })
}

/// Makes the function behind `my.<name>Sync`: a native closure, so a Sync
/// call is one native call from JS with no script wrapper around it.
fn native_sync_fn(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let name = arg(args, 0).to_string(ctx)?;
    // The name is converted once, here, not on every call.
    let f = NativeFunction::from_copy_closure_with_captures(
        |_this: &JsValue, args: &[JsValue], name: &String, ctx: &mut Context| {
            sync_call(name, args, ctx)
        },
        name.to_std_string_escaped(),
    );
    Ok(
        boa_engine::object::FunctionObjectBuilder::new(ctx.realm(), f)
            .name(name)
            .length(1)
            .build()
            .into(),
    )
}

/// One Sync call: the result, or a thrown `Error` carrying `error` and `errorMessage`.
fn sync_call(name: &str, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let params = match args.first() {
        None => Value::Object(serde_json::Map::new()),
        Some(v) if v.is_undefined() => Value::Object(serde_json::Map::new()),
        Some(v) => to_json(v, ctx)?,
    };
    calls::check_call_size(name, &params)?;
    let answer = {
        let st = state(ctx)?;
        let mut st = st.borrow_mut();
        let answer = (st.sync)(name, &params);
        st.out.push(FromLogic::CallSync {
            name: name.to_owned(),
            ok: answer.is_ok(),
            error: answer.as_ref().err().and_then(|e| e["error"].as_i64()),
        });
        answer
    };
    match answer {
        Ok(result) => convert::from_json(&result, ctx),
        Err(error) => {
            // The thrown Error carries every property of the JS error the
            // host made, and its message.
            let msg = error["errorMessage"]
                .as_str()
                .map_or_else(|| format!("my.{name} failed"), str::to_owned);
            let obj = JsNativeError::error().with_message(msg).into_opaque(ctx);
            if let Value::Object(props) = &error {
                for (k, v) in props {
                    let v = convert::from_json(v, ctx)?;
                    obj.set(js_string!(k.as_str()), v, false, ctx)?;
                }
            }
            Err(JsError::from_opaque(obj.into()))
        }
    }
}

fn native_stringify(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let v = to_json(&arg(args, 0), ctx)?;
    Ok(JsValue::from(js_string!(v.to_string().as_str())))
}

fn native_clone(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let v = to_json(&arg(args, 0), ctx)?;
    convert::from_json(&v, ctx)
}

fn native_can_i_use(_: &JsValue, args: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let name = arg_string(args, 0, ctx)?;
    // `api` or `api.param`; deeper paths (`api.param.field`) answer for `api.param`.
    let key: String = name.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    Ok(JsValue::from(state(ctx)?.borrow().apis.contains(&key)))
}

/// Finds `file:line:col` (a stack frame) or `line N, col M` (a parse error) in `text`.
pub(crate) fn locate(text: &str) -> Option<(String, u32, u32)> {
    for token in text.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
        let mut parts = token.rsplitn(3, ':');
        let (Some(col), Some(line), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if let (Ok(l), Ok(c)) = (line.parse::<u32>(), col.parse::<u32>()) {
            if !file.is_empty() && file != "native" {
                return Some((file.to_owned(), l, c));
            }
        }
    }
    let at = text.find("line ")?;
    let rest = &text[at + 5..];
    let line: u32 = rest
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let col = rest
        .find("col")
        .and_then(|i| {
            rest[i..]
                .trim_start_matches(|c: char| !c.is_ascii_digit())
                .split(|c: char| !c.is_ascii_digit())
                .next()
        })
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Some((String::new(), line, col))
}

impl LogicLayer {
    /// Creates a context with the runtime prelude and `limits`. `apis` are the
    /// `my.*` names this host offers, for `my.canIUse`.
    pub fn new(limits: JsLimits, apis: Vec<String>) -> Result<LogicLayer, ScriptError> {
        let rejections = Rc::new(Rejections::default());
        let mut ctx = Context::builder()
            .host_hooks(rejections.clone())
            .build()
            .map_err(|e| internal(&e))?;
        let rl = ctx.runtime_limits_mut();
        rl.set_loop_iteration_limit(limits.loop_iterations);
        rl.set_recursion_limit(limits.recursion);
        rl.set_stack_size_limit(limits.stack_size);
        let state: Shared = Rc::new(RefCell::new(State {
            out: Vec::new(),
            current_route: None,
            apis,
            sync: Box::new(no_sync),
            patches_as_json: false,
            files: None,
            probed: std::collections::HashMap::new(),
            esm_ready: false,
            tree: None,
            turn: calls::Turn::default(),
        }));
        ctx.insert_data(state.clone());
        let natives = natives::table();
        // The navigation names come from their one declaration, not the prelude.
        let navigation = boa_engine::object::builtins::JsArray::from_iter(
            Nav::ALL.map(|n| JsValue::from(js_string!(n.name()))),
            &mut ctx,
        );
        // The names `my` gets as functions: `api`, not `api.param` (those
        // are for `my.canIUse` alone), each once.
        let offered = {
            let st = state.borrow();
            let mut names: Vec<&str> = st
                .apis
                .iter()
                .map(String::as_str)
                .filter(|n| !n.contains('.'))
                .collect();
            names.sort_unstable();
            names.dedup();
            boa_engine::object::builtins::JsArray::from_iter(
                names.into_iter().map(|n| JsValue::from(js_string!(n))),
                &mut ctx,
            )
        };
        let mut init = ObjectInitializer::new(&mut ctx);
        for (name, f, arity) in natives {
            init.function(f, js_string!(name), arity);
        }
        init.property(js_string!("navigation"), navigation, Attribute::empty());
        // The view APIs whose `my.*` is a factory (contexts.js), from their
        // one declaration.
        let views = boa_engine::object::builtins::JsArray::from_iter(
            ViewApi::ALL.map(|v| JsValue::from(js_string!(v.name()))),
            init.context(),
        );
        init.property(js_string!("views"), views, Attribute::empty());
        // Synchronous APIs whose names do not say so, from the registry.
        let syncs = boa_engine::object::builtins::JsArray::from_iter(
            mpkit_jsapi::registry::SYNC_WITHOUT_SUFFIX
                .iter()
                .map(|n| JsValue::from(js_string!(*n))),
            init.context(),
        );
        init.property(js_string!("syncs"), syncs, Attribute::empty());
        init.property(js_string!("apis"), offered, Attribute::empty());
        init.property(
            js_string!("sdkVersion"),
            js_string!(SDK_VERSION),
            Attribute::empty(),
        );
        let mp = init.build();
        ctx.register_global_property(js_string!("__mp"), mp, Attribute::all())
            .map_err(|e| internal(&e))?;
        // Date strings as Alipay's engines read them (dates.js), then the
        // prelude, whose value is its bridge: the functions the host calls,
        // kept out of the mini program's globals.
        ctx.eval(Source::from_bytes(include_str!("dates.js")))
            .map_err(|e| internal(&e))?;
        let bridge = ctx
            .eval(Source::from_bytes(include_str!("prelude.js")))
            .map_err(|e| internal(&e))?
            .as_object()
            .ok_or_else(|| internal_msg("the prelude returned no bridge"))?;
        let get = |ctx: &mut Context, name: &str| -> Result<JsObject, ScriptError> {
            bridge
                .get(js_string!(name), ctx)
                .ok()
                .and_then(|v| v.as_object())
                .ok_or_else(|| internal_msg(&format!("the prelude's bridge has no {name}")))
        };
        let dispatch = get(&mut ctx, "dispatch")?;
        let reply = get(&mut ctx, "reply")?;
        let report_rejection = get(&mut ctx, "rejection")?;
        let entry = get(&mut ctx, "entry")?;
        Ok(LogicLayer {
            entry,
            ctx,
            state,
            dispatch,
            reply,
            rejections,
            report_rejection,
            maps: super::sourcemap::SourceMaps::default(),
        })
    }

    /// Moves the positions of errors and warnings in compiled files to the
    /// sources they were compiled from.
    fn remap(&mut self, err: &mut ScriptError) {
        let files = self.state.borrow().files.clone();
        if let Some(files) = files {
            self.maps.remap(err, files.as_ref());
        }
    }

    /// Gives the layer the mini program's files, for `require` and `import`.
    pub(crate) fn set_files(&mut self, files: Rc<dyn UnitFiles>) {
        self.state.borrow_mut().files = Some(files);
    }

    /// Gives the natives the view's tree (see [`super::select`]).
    pub(crate) fn set_tree(&mut self, tree: Rc<RefCell<dyn super::select::ComponentTree>>) {
        self.state.borrow_mut().tree = Some(tree);
    }

    /// Evaluates one of the bundle's entry scripts (app.js, a page's) as a
    /// module of the one registry every `require` shares. Page files pass
    /// their route so their `Page()` call registers under it.
    pub fn load_script(
        &mut self,
        file: &str,
        source: &str,
        route: Option<&str>,
    ) -> Result<(), ScriptError> {
        {
            let mut st = self.state.borrow_mut();
            st.current_route = route.map(str::to_owned);
            st.probed.insert(file.to_owned(), Some(source.to_owned()));
        }
        let result = self.entry.call(
            &JsValue::undefined(),
            &[JsValue::from(js_string!(file))],
            &mut self.ctx,
        );
        self.state.borrow_mut().current_route = None;
        let result = result.and_then(|_| self.ctx.run_jobs());
        result.map_err(|e| {
            let mut err = self.script_error(&e, file);
            self.remap(&mut err);
            err
        })
    }

    /// Handles one message and returns what the mini program did in response,
    /// after its promise jobs have run.
    pub fn handle(&mut self, msg: &ToLogic) -> Vec<FromLogic> {
        let result = match msg {
            ToLogic::Reply { id, ok, result } => convert::from_json(result, &mut self.ctx)
                .and_then(|r| {
                    self.reply.call(
                        &JsValue::undefined(),
                        &[JsValue::from(*id as f64), JsValue::from(*ok), r],
                        &mut self.ctx,
                    )
                }),
            _ => serde_json::to_value(msg)
                .map_err(JsError::from_rust)
                .and_then(|v| convert::from_json(&v, &mut self.ctx))
                .and_then(|v| {
                    self.dispatch
                        .call(&JsValue::undefined(), &[v], &mut self.ctx)
                }),
        };
        let result = result
            .and_then(|_| self.ctx.run_jobs())
            .and_then(|()| self.report_rejections());
        if let Err(e) = result {
            // Errors the prelude could not catch: runtime limits, stack overflow.
            let err = self.script_error(&e, "");
            let message = err.message.clone();
            self.state
                .borrow_mut()
                .out
                .push(FromLogic::Error { error: err });
            // The app's onError hears of it, as of any uncaught error; if
            // onError itself runs into a limit, that is not reported again.
            let hook = serde_json::to_value(ToLogic::AppError { message })
                .map_err(JsError::from_rust)
                .and_then(|v| convert::from_json(&v, &mut self.ctx))
                .and_then(|v| {
                    self.dispatch
                        .call(&JsValue::undefined(), &[v], &mut self.ctx)
                })
                .and_then(|_| self.ctx.run_jobs());
            if let Err(e) = hook {
                tracing::debug!("onError after a limit: {e}");
            }
        }
        let mut out = {
            let mut st = self.state.borrow_mut();
            st.turn = calls::Turn::default();
            std::mem::take(&mut st.out)
        };
        for msg in &mut out {
            if let FromLogic::Error { error: e } | FromLogic::Warning { warning: e } = msg {
                self.remap(e);
            }
        }
        out
    }

    /// Reports promises still rejected with no handler once the jobs have run.
    fn report_rejections(&mut self) -> JsResult<()> {
        let pending = std::mem::take(&mut *self.rejections.pending.borrow_mut());
        for p in pending {
            let reason = match boa_engine::object::builtins::JsPromise::from_object(p.upcast()) {
                Ok(js) => match js.state() {
                    boa_engine::builtins::promise::PromiseState::Rejected(v) => v,
                    _ => continue,
                },
                Err(_) => continue,
            };
            self.report_rejection
                .call(&JsValue::undefined(), &[reason], &mut self.ctx)?;
            self.ctx.run_jobs()?;
        }
        Ok(())
    }

    /// Makes setData send its patch as JSON text ([`FromLogic::SetDataJson`]),
    /// written straight from the JS value: what a worker does, since text is
    /// what it sends.
    pub fn send_patches_as_json(&mut self) {
        self.state.borrow_mut().patches_as_json = true;
    }

    /// Replaces the `sync` answerer (the JSAPI registry plugs in here).
    pub fn set_sync_handler(&mut self, handler: SyncHandler) {
        self.state.borrow_mut().sync = handler;
    }

    fn script_error(&mut self, e: &JsError, file: &str) -> ScriptError {
        let text = e.to_string();
        let (kind, message) = if text.contains("RuntimeLimitError") {
            ("limit", text)
        } else {
            match e.try_native(&mut self.ctx) {
                Ok(n) if n.is_syntax() => ("syntax", n.to_string()),
                Ok(n) => ("uncaught", n.to_string()),
                Err(_) => ("uncaught", text),
            }
        };
        // A thrown object's stack says where; its top frame is the module
        // that threw, which may not be the entry that required it.
        let stack = e
            .as_opaque()
            .and_then(JsValue::as_object)
            .and_then(|o| o.get(js_string!("stack"), &mut self.ctx).ok())
            .filter(JsValue::is_string)
            .map(|v| v.display().to_string());
        let (f, line, mut column) = stack
            .as_deref()
            .and_then(locate)
            .or_else(|| locate(&message))
            .unwrap_or_default();
        if line == 1 && column as usize > MODULE_PREFIX.len() {
            column -= MODULE_PREFIX.len() as u32;
        }
        ScriptError {
            kind: kind.into(),
            file: if f.is_empty() { file.to_owned() } else { f },
            line,
            column,
            message,
        }
    }
}

fn internal(e: &JsError) -> ScriptError {
    internal_msg(&e.to_string())
}

fn internal_msg(m: &str) -> ScriptError {
    ScriptError {
        kind: "internal".into(),
        message: m.to_owned(),
        file: String::new(),
        line: 0,
        column: 0,
    }
}
