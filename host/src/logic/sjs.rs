//! The sjs engine (compat.md B12): the `.sjs` modules templates import,
//! each evaluated once per app in a boa context of its own, beside the
//! logic layer's and sharing nothing with it. An sjs module sees the ES
//! built-ins, `getDate`, `getRegExp` and a silent `console`; no `my`, no
//! `App`/`Page`/`getApp`, no timers, no `require` but of other `.sjs`
//! files. Values cross as JSON both ways.

use super::convert;
use super::files::UnitFiles;
use boa_engine::{js_string, Context, JsObject, JsValue, Source};
use mpkit_modules::esm;
use mpkit_render::template::Sjs;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Iterations one loop in sjs may run: sjs runs inside a render.
const LOOP_ITERATIONS: u64 = 1_000_000;
/// Deepest recursion in sjs.
const RECURSION: usize = 200;
/// Deepest chain of sjs modules importing each other.
const MAX_IMPORT_DEPTH: usize = 16;
/// Most sjs modules one app may load.
const MAX_MODULES: usize = 512;

const GLOBALS: &str = r#"(function (g) {
  'use strict';
  g.getDate = function () {
    var a = Array.prototype.slice.call(arguments);
    return new (Function.prototype.bind.apply(Date, [null].concat(a)))();
  };
  g.getRegExp = function (pattern, flags) { return new RegExp(pattern, flags); };
  var quiet = function () {};
  g.console = { log: quiet, info: quiet, debug: quiet, warn: quiet, error: quiet };
  return function (table, id) {
    return function require(s) {
      if (!Object.prototype.hasOwnProperty.call(table, s)) {
        throw new Error(id + ': "' + s + '" is not an sjs module it may import');
      }
      return table[s];
    };
  };
})(this)"#;

const PREFIX: &str = "(function (exports, require, module) {";

struct Inner {
    ctx: Context,
    /// `(table, id) => require`.
    make_require: JsObject,
    /// Each module's exports, or why it cannot load.
    modules: HashMap<String, Result<JsObject, String>>,
}

/// Runs the functions of a mini program's sjs modules for its renders.
pub(crate) struct SjsEngine {
    files: Rc<dyn UnitFiles>,
    inner: RefCell<Option<Inner>>,
}

impl std::fmt::Debug for SjsEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SjsEngine").finish_non_exhaustive()
    }
}

/// What a JS error says, on one line (its stack left out).
fn message(e: &boa_engine::JsError, ctx: &mut Context) -> String {
    let full = match e.try_native(ctx) {
        Ok(n) => n.to_string(),
        Err(_) => e.to_string(),
    };
    full.lines().next().unwrap_or_default().to_owned()
}

/// The `require("…")` specifiers in rewritten module text.
fn requires(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("require(") {
        rest = &rest[i + "require(".len()..];
        let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(end) = rest[1..].find(q) {
            let s = rest[1..1 + end].to_owned();
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

impl SjsEngine {
    pub(crate) fn new(files: Rc<dyn UnitFiles>) -> SjsEngine {
        SjsEngine {
            files,
            inner: RefCell::new(None),
        }
    }

    fn start() -> Result<Inner, String> {
        let mut ctx = Context::default();
        let rl = ctx.runtime_limits_mut();
        rl.set_loop_iteration_limit(LOOP_ITERATIONS);
        rl.set_recursion_limit(RECURSION);
        ctx.eval(Source::from_bytes(include_str!("engine/esm_helpers.js")))
            .map_err(|e| e.to_string())?;
        ctx.eval(Source::from_bytes(include_str!("dates.js")))
            .map_err(|e| e.to_string())?;
        let make_require = ctx
            .eval(Source::from_bytes(GLOBALS))
            .map_err(|e| e.to_string())?
            .as_object()
            .ok_or("the sjs globals made no require")?;
        Ok(Inner {
            ctx,
            make_require,
            modules: HashMap::new(),
        })
    }

    /// Where `from`, imported by `file`, is: from the package root (`/x`),
    /// the file's folder (`./x`, `../x`), or else `node_modules` from the
    /// file's folder up.
    fn resolve(&self, file: &str, from: &str) -> Result<String, String> {
        if !from.ends_with(".sjs") {
            return Err(format!("{from:?} is not an .sjs file"));
        }
        if from.starts_with('/') || from.starts_with("./") || from.starts_with("../") {
            return mpkit_render::resolve_in_bundle(file, from)
                .ok_or_else(|| format!("{from:?} leaves the package"));
        }
        mpkit_render::node_modules_paths(file, from)
            .into_iter()
            .find(|p| self.files.read(p).is_ok())
            .ok_or_else(|| format!("no sjs module {from:?} in node_modules"))
    }

    /// The exports of the module at `path`, evaluated once.
    fn module(&self, inner: &mut Inner, path: &str, depth: usize) -> Result<JsObject, String> {
        if let Some(m) = inner.modules.get(path) {
            return m.clone();
        }
        if depth > MAX_IMPORT_DEPTH {
            return Err(format!(
                "{path}: sjs imports nested more than {MAX_IMPORT_DEPTH} deep"
            ));
        }
        if inner.modules.len() >= MAX_MODULES {
            return Err(format!("more than {MAX_MODULES} sjs modules"));
        }
        // In the registry before it runs: a cycle sees an error, not a loop.
        inner
            .modules
            .insert(path.to_owned(), Err(format!("{path} imports itself")));
        let r = self.evaluate(inner, path, depth);
        inner.modules.insert(path.to_owned(), r.clone());
        r
    }

    fn evaluate(&self, inner: &mut Inner, path: &str, depth: usize) -> Result<JsObject, String> {
        let text = self.files.read(path).map_err(|m| format!("{path}: {m}"))?;
        let body = if esm::is_module(&text) {
            esm::to_commonjs(&text)
                .map_err(|e| format!("{path}:{}:{}: {}", e.line, e.column, e.message))?
        } else {
            text
        };
        let table = JsObject::with_object_proto(inner.ctx.intrinsics());
        for spec in requires(&body) {
            let dep = self.resolve(path, &spec)?;
            let exports = self.module(inner, &dep, depth + 1)?;
            table
                .set(js_string!(spec.as_str()), exports, false, &mut inner.ctx)
                .map_err(|e| e.to_string())?;
        }
        let ctx = &mut inner.ctx;
        let require = inner
            .make_require
            .call(
                &JsValue::undefined(),
                &[table.into(), JsValue::from(js_string!(path))],
                ctx,
            )
            .map_err(|e| message(&e, ctx))?;
        let wrapped = format!("{PREFIX}{body}\n}})");
        let f = ctx
            .eval(Source::from_bytes(&wrapped).with_path(std::path::Path::new(path)))
            .map_err(|e| format!("{path}: {}", message(&e, ctx)))?;
        let f = f.as_object().ok_or("the module wrapper is no function")?;
        let exports = JsObject::with_object_proto(ctx.intrinsics());
        let module = JsObject::with_object_proto(ctx.intrinsics());
        module
            .set(js_string!("exports"), exports.clone(), false, ctx)
            .map_err(|e| e.to_string())?;
        f.call(
            &exports.clone().into(),
            &[exports.into(), require, module.clone().into()],
            ctx,
        )
        .map_err(|e| format!("{path}: {}", message(&e, ctx)))?;
        module
            .get(js_string!("exports"), ctx)
            .map_err(|e| e.to_string())?
            .as_object()
            .ok_or_else(|| format!("{path}: module.exports is not an object"))
    }
}

impl Sjs for SjsEngine {
    fn call(
        &self,
        file: &str,
        from: &str,
        export: &str,
        members: &[String],
        args: Vec<Value>,
    ) -> Result<Option<Value>, String> {
        let path = self.resolve(file, from)?;
        let mut slot = self.inner.borrow_mut();
        if slot.is_none() {
            *slot = Some(Self::start()?);
        }
        let inner = slot.as_mut().ok_or("no sjs engine")?;
        let exports = self.module(inner, &path, 0)?;
        let ctx = &mut inner.ctx;
        let get = |o: &JsValue, key: &str, ctx: &mut Context| -> Result<JsValue, String> {
            match o.as_object() {
                Some(o) => o.get(js_string!(key), ctx).map_err(|e| message(&e, ctx)),
                None => Ok(JsValue::undefined()),
            }
        };
        let exports = JsValue::from(exports);
        let es = get(&exports, "__esModule", ctx)?.to_boolean();
        let mut this = exports.clone();
        let mut value = match (export, es) {
            ("default", true) => get(&exports, "default", ctx)?,
            ("default", false) => exports.clone(),
            (name, _) => get(&exports, name, ctx)?,
        };
        for m in members {
            this = value.clone();
            value = get(&value, m, ctx)?;
        }
        let Some(f) = value.as_object().filter(|f| f.is_callable()) else {
            return Err(format!(
                "{} of {from} is not a function",
                if members.is_empty() {
                    export.to_owned()
                } else {
                    members.join(".")
                }
            ));
        };
        let mut js_args = Vec::with_capacity(args.len());
        for a in &args {
            js_args.push(convert::from_json(a, ctx).map_err(|e| message(&e, ctx))?);
        }
        let out = f.call(&this, &js_args, ctx).map_err(|e| message(&e, ctx))?;
        convert::to_json(&out, ctx).map_err(|e| message(&e, ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Files(HashMap<&'static str, &'static str>);
    impl UnitFiles for Files {
        fn read(&self, path: &str) -> Result<String, String> {
            self.0
                .get(path)
                .map(|s| (*s).to_owned())
                .ok_or_else(|| "no such file".to_owned())
        }
    }

    fn engine(files: &[(&'static str, &'static str)]) -> SjsEngine {
        SjsEngine::new(Rc::new(Files(files.iter().copied().collect())))
    }

    #[test]
    fn modules_export_functions_that_templates_call_with_json() {
        let e = engine(&[
            (
                "utils/fmt.sjs",
                "import { cents } from './money.sjs';\nexport default function price(n) { return '¥' + cents(n); }\nexport const upper = (s) => s.toUpperCase();\nexport const nested = { twice: function (x) { return [x, x]; } };\nexport function nothing() {}\nexport function when() { return getDate(2020, 0, 2).getFullYear() + ':' + getRegExp('a+', 'g').test('caa') + ':' + getDate('2020/01/02 03:04').getHours(); }\nexport function leak() { return [typeof my, typeof App, typeof getApp, typeof setTimeout, typeof Page].join(','); }\n",
            ),
            ("utils/money.sjs", "export function cents(n) { return (n / 100).toFixed(2); }"),
            ("node_modules/lib/x.sjs", "export default { id: (v) => v };"),
        ]);
        let f = "pages/a/a.axml";
        let call = |from: &str, export: &str, members: &[&str], args: Value| {
            let members: Vec<String> = members.iter().map(|m| (*m).to_owned()).collect();
            let Value::Array(args) = args else { panic!() };
            e.call(f, from, export, &members, args)
        };
        assert_eq!(
            call(
                "../../utils/fmt.sjs",
                "default",
                &[],
                serde_json::json!([1234])
            ),
            Ok(Some(Value::from("¥12.34")))
        );
        assert_eq!(
            call("/utils/fmt.sjs", "upper", &[], serde_json::json!(["ab"])),
            Ok(Some(Value::from("AB")))
        );
        assert_eq!(
            call(
                "/utils/fmt.sjs",
                "nested",
                &["twice"],
                serde_json::json!([{"a": 1}])
            ),
            Ok(Some(serde_json::json!([{"a": 1}, {"a": 1}])))
        );
        assert_eq!(
            call("/utils/fmt.sjs", "nothing", &[], serde_json::json!([])),
            Ok(None)
        );
        assert_eq!(
            call("/utils/fmt.sjs", "when", &[], serde_json::json!([])),
            Ok(Some(Value::from("2020:true:3")))
        );
        // Nothing of the logic layer is there.
        assert_eq!(
            call("/utils/fmt.sjs", "leak", &[], serde_json::json!([])),
            Ok(Some(Value::from(
                "undefined,undefined,undefined,undefined,undefined"
            )))
        );
        assert_eq!(
            call("lib/x.sjs", "default", &["id"], serde_json::json!([7])),
            Ok(Some(Value::from(7)))
        );
    }

    #[test]
    fn what_cannot_run_is_an_error_that_says_why() {
        let e = engine(&[
            ("a.sjs", "export function boom() { throw new Error('no'); }\nexport function spin() { while (true) {} }\nexport function deep(n) { return deep(n + 1); }\nexport const x = 1;"),
            ("self.sjs", "import s from './self.sjs';\nexport default 1;"),
            ("req.sjs", "const m = require('./a.js');\nexport default m;"),
            ("bad.sjs", "export const = ;"),
        ]);
        let call = |from: &str, export: &str| e.call("p.axml", from, export, &[], Vec::new());
        assert!(call("./a.sjs", "boom").expect_err("throws").contains("no"));
        assert!(call("./a.sjs", "spin")
            .expect_err("spins")
            .to_lowercase()
            .contains("loop"));
        let deep = call("./a.sjs", "deep").expect_err("recurses");
        assert_eq!(
            deep,
            "RuntimeLimitError: reached the maximum number of recursive calls on this execution"
        );
        assert_eq!(
            call("./a.sjs", "x"),
            Err("x of ./a.sjs is not a function".to_owned())
        );
        assert!(call("./self.sjs", "default")
            .expect_err("cycle")
            .contains("imports itself"));
        assert!(call("./req.sjs", "default")
            .expect_err("js")
            .contains("not an .sjs file"));
        assert!(call("./bad.sjs", "default")
            .expect_err("syntax")
            .starts_with("bad.sjs"));
        assert!(call("./missing.sjs", "default")
            .expect_err("missing")
            .contains("no such file"));
        assert!(call("../../x.sjs", "default")
            .expect_err("outside")
            .contains("leaves the package"));
        // After all that, the engine still works.
        assert!(call("./a.sjs", "boom").is_err());
    }
}
