//! The expression language inside `{{ }}`: paths, literals, arithmetic,
//! comparison, logic, ternaries, string concatenation, array and object
//! literals, template literals, member and index access. Evaluated over page
//! data with JS semantics. Calls are refused: a template cannot call a
//! method of a data value.

use serde_json::{Map, Number, Value};
use std::fmt;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal value.
    Lit(Value),
    /// `undefined`.
    Undefined,
    /// A top-level name.
    Ident(String),
    /// `a.b`.
    Member(Box<Expr>, String),
    /// `a[b]`.
    Index(Box<Expr>, Box<Expr>),
    /// `[a, b]`.
    Array(Vec<Expr>),
    /// `{a: 1, ...b}`.
    Object(Vec<ObjectPart>),
    /// `!a`, `-a`, `+a`.
    Unary(UnaryOp, Box<Expr>),
    /// `a + b` and the like.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a ? b : c`.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `` `a${b}c` ``: a string, each `${}` converted with JS `String()`.
    Template(Vec<TemplatePart>),
    /// `m(x)`, `m.f(x, y)`: a call of a function of an sjs module the file
    /// imports (`<import-sjs>`), the only calls a template may make. The
    /// callee is the binding and the members after it.
    Call(Box<[String]>, Box<[Expr]>),
    /// `v.substring(0, 3)`: one of [`methods::METHODS`] called on a value.
    Method(Box<(Expr, String, Vec<Expr>)>),
}

/// One part of a template literal.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Text as written, escapes decoded.
    Str(String),
    /// `${expr}`.
    Expr(Expr),
}

/// One part of an object literal.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectPart {
    /// `key: value` (or shorthand `key`).
    Field(String, Expr),
    /// `...expr`.
    Spread(Expr),
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `!`
    Not,
    /// `-`
    Neg,
    /// `+`
    Plus,
}

/// Binary operators, lowest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `===`
    StrictEq,
    /// `!==`
    StrictNe,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

/// A syntax error at a byte offset inside the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset in the expression text.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.message, self.offset)
    }
}

/// Deepest nesting of brackets, parentheses, unary operators and ternaries
/// the parser follows (its own recursion).
pub const MAX_DEPTH: usize = 64;

/// Tallest expression tree accepted: a chain such as `a.b.c…` or
/// `1+1+1…` is parsed in a loop, but each link is a level of the tree that
/// evaluating, inspecting and freeing it walk recursively. With both limits,
/// no expression can use more than a few dozen KiB of stack anywhere, so a
/// hostile template is an error with its position, never a stack overflow,
/// even on a 1 MB thread.
pub const MAX_HEIGHT: usize = 256;

pub mod methods;
mod parse;

pub use parse::{parse, parse_object_body, parse_object_body_with, parse_with};

/// A JSON number for `n`, integral when it is one.
pub(crate) fn num(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

impl Expr {
    /// The top-level names this expression reads.
    pub fn names(&self, out: &mut Vec<String>) {
        match self {
            Expr::Lit(_) | Expr::Undefined => {}
            Expr::Ident(n) => out.push(n.clone()),
            Expr::Member(o, _) => o.names(out),
            Expr::Index(o, i) => {
                o.names(out);
                i.names(out);
            }
            Expr::Array(items) => items.iter().for_each(|x| x.names(out)),
            Expr::Object(parts) => {
                for p in parts {
                    match p {
                        ObjectPart::Field(_, v) | ObjectPart::Spread(v) => v.names(out),
                    }
                }
            }
            Expr::Unary(_, x) => x.names(out),
            Expr::Binary(_, a, b) => {
                a.names(out);
                b.names(out);
            }
            Expr::Cond(c, a, b) => {
                c.names(out);
                a.names(out);
                b.names(out);
            }
            Expr::Template(parts) => {
                for p in parts {
                    if let TemplatePart::Expr(e) = p {
                        e.names(out);
                    }
                }
            }
            Expr::Call(_, args) => args.iter().for_each(|x| x.names(out)),
            Expr::Method(m) => {
                m.0.names(out);
                m.2.iter().for_each(|x| x.names(out));
            }
        }
    }
}

/// Where names are looked up: innermost scope first (a:for items), then page data.
pub trait Scope {
    /// The value bound to `name`, if any.
    fn get(&self, name: &str) -> Option<&Value>;

    /// Calls the sjs function `callee` names with `args` (see
    /// [`Expr::Call`]); `undefined` where no sjs module is in scope.
    fn call(&self, callee: &[String], args: Vec<Value>) -> Option<Value> {
        let _ = (callee, args);
        None
    }
}

impl Scope for Value {
    fn get(&self, name: &str) -> Option<&Value> {
        self.as_object().and_then(|o| o.get(name))
    }
}

/// JS truthiness.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// JS `ToNumber`, roughly.
fn to_num(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) if s.trim().is_empty() => 0.0,
        Value::String(s) => s.trim().parse().unwrap_or(f64::NAN),
        Value::Array(_) | Value::Object(_) => f64::NAN,
    }
}

/// JS `ToString` as templates show values: null and undefined render empty.
pub fn to_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        _ => {
            let mut out = String::new();
            write_text(v, &mut out);
            out
        }
    }
}

/// Appends `v` as text to `out`, as [`to_text`] would give it, without an
/// intermediate string.
pub fn write_text(v: &Value, out: &mut String) {
    use std::fmt::Write as _;
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => out.push_str(itoa::Buffer::new().format(i)),
            (None, Some(f)) if f.is_finite() => {
                let _ = write!(out, "{f}");
            }
            _ => out.push_str("NaN"),
        },
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_text(x, out);
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => a == b,
        _ => to_num(a) == to_num(b),
    }
}

fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Evaluates a path (`a`, `a.b`, `a[0]`, `a['b']` with literal indices) to a
/// reference into the scope, without copying; `None` for anything else.
pub fn eval_ref<'a>(e: &Expr, scope: &'a dyn Scope) -> Option<&'a Value> {
    match e {
        Expr::Ident(n) => scope.get(n),
        Expr::Member(o, name) => match eval_ref(o, scope)? {
            Value::Object(m) => m.get(name),
            _ => None,
        },
        Expr::Index(o, i) => {
            let base = eval_ref(o, scope)?;
            match (base, i.as_ref()) {
                (Value::Array(a), Expr::Lit(Value::Number(n))) => {
                    a.get(usize::try_from(n.as_u64()?).ok()?)
                }
                (Value::Object(m), Expr::Lit(Value::String(k))) => m.get(k),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Evaluates `e`; a missing name or property is `null` (rendered empty).
pub fn eval(e: &Expr, scope: &dyn Scope) -> Value {
    match e {
        Expr::Lit(v) => v.clone(),
        Expr::Undefined => Value::Null,
        Expr::Ident(n) => scope.get(n).cloned().unwrap_or(Value::Null),
        // The base of a path is read in place, not cloned: only the value
        // at its end is copied.
        Expr::Member(o, name) => match eval_ref(o, scope) {
            Some(base) => member(base, name),
            None => member(&eval(o, scope), name),
        },
        Expr::Index(o, i) => {
            let owned;
            let o = match eval_ref(o, scope) {
                Some(base) => base,
                None => {
                    owned = eval(o, scope);
                    &owned
                }
            };
            match eval(i, scope) {
                Value::Number(n) => match (o, n.as_f64()) {
                    (Value::Array(a), Some(f)) if f >= 0.0 && f.fract() == 0.0 => {
                        a.get(f as usize).cloned().unwrap_or(Value::Null)
                    }
                    _ => member(o, &to_text(&Value::Number(n))),
                },
                k => member(o, &to_text(&k)),
            }
        }
        Expr::Array(items) => Value::Array(items.iter().map(|x| eval(x, scope)).collect()),
        Expr::Object(parts) => {
            let mut m = Map::new();
            for p in parts {
                match p {
                    ObjectPart::Field(k, v) => {
                        m.insert(k.clone(), eval(v, scope));
                    }
                    ObjectPart::Spread(x) => {
                        if let Value::Object(o) = eval(x, scope) {
                            m.extend(o);
                        }
                    }
                }
            }
            Value::Object(m)
        }
        Expr::Unary(op, x) => {
            let v = eval(x, scope);
            match op {
                UnaryOp::Not => Value::Bool(!truthy(&v)),
                UnaryOp::Neg => num(-to_num(&v)),
                UnaryOp::Plus => num(to_num(&v)),
            }
        }
        Expr::Binary(op, a, b) => {
            let a = eval(a, scope);
            match op {
                BinOp::Or => return if truthy(&a) { a } else { eval(b, scope) },
                BinOp::And => return if truthy(&a) { eval(b, scope) } else { a },
                _ => {}
            }
            let b = eval(b, scope);
            match op {
                BinOp::Add => {
                    if a.is_string()
                        || b.is_string()
                        || a.is_array()
                        || b.is_array()
                        || a.is_object()
                        || b.is_object()
                    {
                        Value::String(to_text(&a) + &to_text(&b))
                    } else {
                        num(to_num(&a) + to_num(&b))
                    }
                }
                BinOp::Sub => num(to_num(&a) - to_num(&b)),
                BinOp::Mul => num(to_num(&a) * to_num(&b)),
                BinOp::Div => num(to_num(&a) / to_num(&b)),
                BinOp::Rem => num(to_num(&a) % to_num(&b)),
                BinOp::Eq => Value::Bool(loose_eq(&a, &b)),
                BinOp::Ne => Value::Bool(!loose_eq(&a, &b)),
                BinOp::StrictEq => Value::Bool(strict_eq(&a, &b)),
                BinOp::StrictNe => Value::Bool(!strict_eq(&a, &b)),
                BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                    let ord = match (&a, &b) {
                        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                        _ => to_num(&a).partial_cmp(&to_num(&b)),
                    };
                    Value::Bool(match (op, ord) {
                        (_, None) => false,
                        (BinOp::Lt, Some(o)) => o.is_lt(),
                        (BinOp::Le, Some(o)) => o.is_le(),
                        (BinOp::Gt, Some(o)) => o.is_gt(),
                        (_, Some(o)) => o.is_ge(),
                    })
                }
                BinOp::Or | BinOp::And => Value::Null,
            }
        }
        Expr::Cond(c, a, b) => {
            if truthy(&eval(c, scope)) {
                eval(a, scope)
            } else {
                eval(b, scope)
            }
        }
        Expr::Template(parts) => {
            let mut s = String::new();
            for p in parts {
                match p {
                    TemplatePart::Str(t) => s.push_str(t),
                    TemplatePart::Expr(e) => write_js_string(find(e, scope).value(), &mut s),
                }
            }
            Value::String(s)
        }
        Expr::Call(callee, args) => scope
            .call(callee, args.iter().map(|a| eval(a, scope)).collect())
            .unwrap_or(Value::Null),
        Expr::Method(m) => method(m, scope).unwrap_or(Value::Null),
    }
}

fn method(m: &(Expr, String, Vec<Expr>), scope: &dyn Scope) -> Option<Value> {
    let args: Vec<Value> = m.2.iter().map(|a| eval(a, scope)).collect();
    match eval_ref(&m.0, scope) {
        Some(v) => methods::call(v, &m.1, &args),
        None => methods::call(&eval(&m.0, scope), &m.1, &args),
    }
}

/// Evaluates `e` telling `undefined` from `null`, as JS `String()` must:
/// `None` for `undefined` itself and for a missing name or property (also
/// through `a ? b : c`, `a || b` and `a && b`); everything else as [`eval`].
pub fn eval_opt(e: &Expr, scope: &dyn Scope) -> Option<Value> {
    match find(e, scope) {
        Found::At(v) => Some(v.clone()),
        Found::Made(v) => Some(v),
        Found::Undefined => None,
    }
}

/// A value found in place in the scope, one computed, or `undefined`.
enum Found<'a> {
    At(&'a Value),
    Made(Value),
    Undefined,
}

impl Found<'_> {
    fn value(&self) -> Option<&Value> {
        match self {
            Found::At(v) => Some(v),
            Found::Made(v) => Some(v),
            Found::Undefined => None,
        }
    }

    /// The same, owning what it holds.
    fn owned(&self) -> Found<'static> {
        self.value()
            .map_or(Found::Undefined, |v| Found::Made(v.clone()))
    }
}

/// [`eval_opt`] without copying what a path reaches: one walk down the
/// expression, as deep as it is high (at most [`MAX_HEIGHT`]).
fn find<'a>(e: &Expr, scope: &'a dyn Scope) -> Found<'a> {
    match e {
        Expr::Undefined => Found::Undefined,
        Expr::Ident(n) => scope.get(n).map_or(Found::Undefined, Found::At),
        Expr::Member(o, name) => match find(o, scope) {
            Found::At(base) => prop(base, name),
            Found::Made(base) => prop(&base, name).owned(),
            Found::Undefined => Found::Undefined,
        },
        Expr::Index(o, i) => {
            let base = find(o, scope);
            if let Found::Undefined = base {
                return Found::Undefined;
            }
            let key = eval(i, scope);
            match base {
                Found::At(base) => index(base, &key),
                Found::Made(base) => index(&base, &key).owned(),
                Found::Undefined => Found::Undefined,
            }
        }
        Expr::Cond(c, a, b) => {
            if truthy(&eval(c, scope)) {
                find(a, scope)
            } else {
                find(b, scope)
            }
        }
        Expr::Binary(BinOp::Or, a, b) => {
            let a = find(a, scope);
            if a.value().is_some_and(truthy) {
                a
            } else {
                find(b, scope)
            }
        }
        Expr::Binary(BinOp::And, a, b) => {
            let a = find(a, scope);
            if a.value().is_some_and(truthy) {
                find(b, scope)
            } else {
                a
            }
        }
        // What an sjs function returns as `undefined` stays undefined.
        Expr::Call(callee, args) => scope
            .call(callee, args.iter().map(|a| eval(a, scope)).collect())
            .map_or(Found::Undefined, Found::Made),
        Expr::Method(m) => method(m, scope).map_or(Found::Undefined, Found::Made),
        _ => Found::Made(eval(e, scope)),
    }
}

/// `o[name]`, in place where it can be.
fn prop<'a>(o: &'a Value, name: &str) -> Found<'a> {
    match o {
        Value::Object(m) => m.get(name).map_or(Found::Undefined, Found::At),
        Value::Array(a) if name != "length" => name
            .parse::<usize>()
            .ok()
            .and_then(|i| a.get(i))
            .map_or(Found::Undefined, Found::At),
        _ => member_opt(o, name).map_or(Found::Undefined, Found::Made),
    }
}

/// `o[key]` for a computed key.
fn index<'a>(o: &'a Value, key: &Value) -> Found<'a> {
    match (o, key) {
        (Value::Array(a), Value::Number(n)) => match n.as_f64() {
            Some(f) if f >= 0.0 && f.fract() == 0.0 => {
                a.get(f as usize).map_or(Found::Undefined, Found::At)
            }
            _ => prop(o, &to_text(key)),
        },
        _ => prop(o, &to_text(key)),
    }
}

/// `o[name]`, or `None` when `o` has no such property (`undefined`).
pub fn member_opt(o: &Value, name: &str) -> Option<Value> {
    match o {
        Value::Object(m) => m.get(name).cloned(),
        Value::Array(a) if name == "length" => Some(Value::from(a.len())),
        Value::Array(a) => name.parse::<usize>().ok().and_then(|i| a.get(i).cloned()),
        Value::String(s) if name == "length" => Some(Value::from(s.encode_utf16().count())),
        _ => None,
    }
}

/// JS `String(v)`, `None` being `undefined`: unlike [`to_text`], which
/// renders a bare `{{undefined}}` or `{{null}}` empty, this gives
/// `"undefined"` and `"null"`, as inside a template literal.
pub fn js_string(v: Option<&Value>) -> String {
    let mut s = String::new();
    write_js_string(v, &mut s);
    s
}

fn write_js_string(v: Option<&Value>, out: &mut String) {
    match v {
        None => out.push_str("undefined"),
        Some(Value::Null) => out.push_str("null"),
        Some(v) => write_text(v, out),
    }
}

fn member(o: &Value, name: &str) -> Value {
    match o {
        Value::Object(m) => m.get(name).cloned().unwrap_or(Value::Null),
        Value::Array(a) if name == "length" => Value::from(a.len()),
        Value::Array(a) => name
            .parse::<usize>()
            .ok()
            .and_then(|i| a.get(i).cloned())
            .unwrap_or(Value::Null),
        Value::String(s) if name == "length" => Value::from(s.encode_utf16().count()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(src: &str, expected: Value) {
        let data = json!({
            "a": 1, "b": 2, "s": "hi", "list": [{"name": "x"}, {"name": "y"}],
            "user": {"name": "Ann", "tags": ["vip"]}, "zero": 0, "empty": "",
        });
        let e = parse(src).unwrap_or_else(|err| panic!("{src}: {err}"));
        assert_eq!(eval(&e, &data), expected, "{src}");
    }

    #[test]
    fn evaluates_like_js() {
        check("a + b", json!(3));
        check("a + b * 2", json!(5));
        check("(a + b) * 2", json!(6));
        check("s + a", json!("hi1"));
        check("'x' + list[1].name", json!("xy"));
        check("list.length", json!(2));
        check("user.tags[0]", json!("vip"));
        check("user['name']", json!("Ann"));
        check("missing.deep.path", Value::Null);
        check("a > 0 ? 'pos' : 'neg'", json!("pos"));
        check("zero || 'fallback'", json!("fallback"));
        check("a && s", json!("hi"));
        check("!empty", json!(true));
        check("a == '1'", json!(true));
        check("a === '1'", json!(false));
        check("a !== b", json!(true));
        check("b / 4", json!(0.5));
        check("7 % 3", json!(1));
        check("-a", json!(-1));
        check("[a, s]", json!([1, "hi"]));
        check(
            "{x: a, 'y': b, ...user}",
            json!({"x": 1, "y": 2, "name": "Ann", "tags": ["vip"]}),
        );
        check("{a}", json!({"a": 1}));
        check("'a' < 'b'", json!(true));
        check("null", Value::Null);
        check("\"q\\\"uote\"", json!("q\"uote"));
    }

    /// Template literals convert each part with JS `String()`: a missing
    /// name or `undefined` is "undefined" and `null` is "null" there, while
    /// [`to_text`] (a bare `{{x}}`) renders both empty.
    #[test]
    fn template_literals_convert_parts_as_js_string_does() {
        check("`${a}-${b}`", json!("1-2"));
        check("`x${missing}y`", json!("xundefinedy"));
        check(
            "`${undefined}|${null}|${user.nope}|${list[5]}`",
            json!("undefined|null|undefined|undefined"),
        );
        check(
            "`${user.tags}|${list[0]}|${zero}|${empty}|${!a}`",
            json!("vip|[object Object]|0||false"),
        );
        check(
            "`${zero || missing}|${a && user.nope}|${a ? missing : 1}`",
            json!("undefined|undefined|undefined"),
        );
        check(
            "`${s.length}|${list.length}|${user['name']}|${list[1].name}`",
            json!("2|2|Ann|y"),
        );
        check("`a${`b${`c${a}`}`}`", json!("abc1"));
        check("`\\`q\\${a}`", json!("`q${a}"));
        check("`${ {k: `}`}.k }`", json!("}"));
        check("`line\\n` + a", json!("line\n1"));
        check("``", json!(""));
        // Outside a template literal nothing changes.
        check("missing", Value::Null);
        check("undefined", Value::Null);
        assert_eq!(
            to_text(&eval(&parse("undefined").expect("parses"), &json!({}))),
            ""
        );
        assert_eq!(js_string(None), "undefined");
        assert_eq!(js_string(Some(&Value::Null)), "null");
        let mut names = Vec::new();
        parse("`${a}${`${b.c}`}`")
            .expect("parses")
            .names(&mut names);
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn template_literal_errors() {
        let e = parse("`abc").expect_err("open");
        assert_eq!(
            (e.offset, e.message.as_str()),
            (0, "template literal is never closed (no closing backtick)")
        );
        let e = parse("`a${b").expect_err("open");
        assert_eq!((e.offset, e.message.as_str()), (2, "`${` is never closed"));
        let e = parse("`a${b c}`").expect_err("junk");
        assert_eq!(
            (e.offset, e.message.as_str()),
            (6, "expected `}` to end the `${` expression")
        );
        let e = parse("`a\\").expect_err("open");
        assert_eq!(e.offset, 0);
        let deep = format!("{}a{}", "`${".repeat(10_000), "}`".repeat(10_000));
        let e = on_small_stack(move || parse(&deep).expect_err("deep"));
        assert!(e.message.contains("nested too deeply"), "{e}");
        // Just within the limit (each level is a literal and its `${}`).
        let ok = format!(
            "{}a{}",
            "`${".repeat(MAX_DEPTH / 2 - 1),
            "}`".repeat(MAX_DEPTH / 2 - 1)
        );
        assert_eq!(
            eval(&parse(&ok).expect("within"), &json!({"a": 5})),
            json!("5")
        );
        // The tallest chain inside one, missing or found, on a small stack.
        let got = on_small_stack(|| {
            let chain = format!("a{}", ".b".repeat(MAX_HEIGHT - 2));
            let e = parse(&format!(
                "`${{{chain}}}|${{(a || c){}}}`",
                ".b".repeat(MAX_HEIGHT - 3)
            ))
            .expect("at the limit");
            let mut v = json!(7);
            for _ in 0..MAX_HEIGHT - 2 {
                v = json!({ "b": v });
            }
            (eval(&e, &json!({})), eval(&e, &json!({ "a": v })))
        });
        assert_eq!(
            got,
            (json!("undefined|undefined"), json!("7|[object Object]"))
        );
    }

    /// Calls are not part of the language; on a data value they are a
    /// clear error at the `(`.
    #[test]
    fn calls_are_errors_that_say_why() {
        let e = parse("price.format(2)").expect_err("call");
        assert_eq!(e.offset, 12);
        assert_eq!(
            e.message,
            "`format(…)`: templates cannot call this: only functions of the sjs modules the \
             file imports and the string, array and number methods Alipay's templates allow \
             (substring, includes, toFixed, …); compute the value in the page's JS and pass it \
             with setData"
        );
        assert!(parse("f(1)")
            .expect_err("call")
            .message
            .starts_with("`f(…)`"));
        assert!(parse("a[0](1)")
            .expect_err("call")
            .message
            .starts_with("this call"));
        assert!(parse("(a)(1)")
            .expect_err("call")
            .message
            .starts_with("`a(…)`"));
    }

    #[test]
    fn object_body_without_braces() {
        let e = parse_object_body("...user, extra: a").expect("parses");
        let data = json!({"a": 1, "user": {"name": "Ann"}});
        assert_eq!(eval(&e, &data), json!({"name": "Ann", "extra": 1}));
    }

    #[test]
    fn syntax_errors_have_offsets() {
        let e = parse("a + ").expect_err("incomplete");
        assert_eq!(e.offset, 4);
        assert_eq!(
            parse("a b").expect_err("junk").message,
            "unexpected text after the expression"
        );
        assert_eq!(
            parse("'open").expect_err("string").message,
            "unterminated string"
        );
        assert!(parse(&"(".repeat(500))
            .expect_err("deep")
            .message
            .contains("nested too deeply"));
        assert!(parse(&"!".repeat(500))
            .expect_err("deep")
            .message
            .contains("nested too deeply"));
    }

    /// The height of `e`, walked with an explicit stack.
    fn height(e: &Expr) -> usize {
        let mut max = 0;
        let mut stack = vec![(e, 1)];
        while let Some((e, h)) = stack.pop() {
            max = max.max(h);
            let children: Vec<&Expr> = match e {
                Expr::Lit(_) | Expr::Undefined | Expr::Ident(_) => vec![],
                Expr::Member(o, _) | Expr::Unary(_, o) => vec![o],
                Expr::Index(a, b) | Expr::Binary(_, a, b) => vec![a, b],
                Expr::Cond(a, b, c) => vec![a, b, c],
                Expr::Template(parts) => parts
                    .iter()
                    .filter_map(|p| match p {
                        TemplatePart::Expr(e) => Some(e),
                        TemplatePart::Str(_) => None,
                    })
                    .collect(),
                Expr::Array(items) => items.iter().collect(),
                Expr::Call(_, args) => args.iter().collect(),
                Expr::Method(m) => std::iter::once(&m.0).chain(m.2.iter()).collect(),
                Expr::Object(parts) => parts
                    .iter()
                    .map(|p| match p {
                        ObjectPart::Field(_, v) | ObjectPart::Spread(v) => v,
                    })
                    .collect(),
            };
            stack.extend(children.into_iter().map(|c| (c, h + 1)));
        }
        max
    }

    /// Runs `f` on a thread with a 1 MB stack, as a phone's secondary
    /// thread has.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(f)
            .expect("thread")
            .join()
            .expect("no stack overflow")
    }

    #[test]
    fn chains_of_any_length_are_errors_not_stack_overflows() {
        for (what, src) in [
            ("links", format!("a{}", ".b".repeat(25_000))),
            ("sums", format!("1{}", "+1".repeat(25_000))),
            ("indices", format!("a{}", "[0]".repeat(25_000))),
            ("mixed", format!("a{}", ".b[c] + d".repeat(5_000))),
            ("logic", format!("a{}", " || b && c".repeat(10_000))),
        ] {
            let e = on_small_stack(move || parse(&src).expect_err("too long"));
            assert!(
                e.message.starts_with("expression too long: more than 256"),
                "{what}: {}",
                e.message
            );
            assert!(e.offset > 0, "{what}: the offset names where it broke");
        }
        // A chain at the limit still parses and evaluates, on a small stack too.
        let ok = on_small_stack(|| {
            let e = parse(&format!("a{}", ".b".repeat(MAX_HEIGHT - 1))).expect("at the limit");
            let mut v = serde_json::json!(7);
            for _ in 0..MAX_HEIGHT - 1 {
                v = serde_json::json!({ "b": v });
            }
            let data = serde_json::json!({ "a": v });
            let mut names = Vec::new();
            e.names(&mut names);
            (eval(&e, &data), names)
        });
        assert_eq!(ok, (json!(7), vec!["a".to_string()]));
        let sum = on_small_stack(|| {
            let e = parse(&format!("1{}", "+1".repeat(MAX_HEIGHT - 1))).expect("at the limit");
            eval(&e, &json!({}))
        });
        assert_eq!(sum, json!(MAX_HEIGHT));
    }

    #[test]
    fn rendering_text() {
        assert_eq!(to_text(&json!(1.5)), "1.5");
        assert_eq!(to_text(&json!(2)), "2");
        assert_eq!(to_text(&Value::Null), "");
        assert_eq!(to_text(&json!([1, "a"])), "1,a");
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(src in "[a-z0-9 +*/%<>=!&|?:.,'\"\\[\\](){}`$\\\\-]{0,40}") {
            if let Ok(e) = parse(&src) {
                let _ = eval(&e, &json!({"a": 1}));
            }
        }

        /// Whatever the text, an expression that parses is no taller than
        /// the limit, so every recursive walk of it is bounded.
        #[test]
        fn parsed_trees_are_never_taller_than_the_limit(
            unit in "[a-z]|1|\\(a\\)|\\[a\\]|!a|\\{a: b\\}",
            ops in proptest::collection::vec("\\+|\\.b|\\[0\\]| \\|\\| | \\? 1 : ", 0..400),
        ) {
            let mut src = unit.clone();
            for op in &ops {
                src.push_str(op);
                if op.ends_with(' ') || op == "+" {
                    src.push_str(&unit);
                }
            }
            if let Ok(e) = parse(&src) {
                proptest::prop_assert!(height(&e) <= MAX_HEIGHT, "{src}");
            }
        }
    }
}
