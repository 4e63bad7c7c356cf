//! Static analysis of a bundle's JS: every `my.*` use, found by parsing with
//! boa's parser (the engine the runtime uses) and walking the AST.
//!
//! Found: `my.x` and `my['x']` (calls or not), `my?.x`, and the names passed
//! as string literals to `my.canIUse('x')` (the guards). Flagged: `my[expr]`,
//! whose name is only known at run time, and `my` used as a value (passed,
//! assigned, destructured), through which calls cannot be followed.

use boa_engine::ast::expression::access::{PropertyAccess, PropertyAccessField};
use boa_engine::ast::expression::literal::LiteralKind;
use boa_engine::ast::expression::operator::unary::UnaryOp;
use boa_engine::ast::expression::{Expression, OptionalOperationKind};
use boa_engine::ast::scope::Scope;
use boa_engine::ast::visitor::{VisitWith, Visitor};
use boa_engine::ast::{Position, Spanned};
use boa_engine::interner::{Interner, Sym};
use boa_engine::parser::{Parser, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::ops::ControlFlow;

/// Scripts run wrapped in this prefix (on their first line), exactly as the
/// logic layer wraps them, so what parses here parses there.
const PREFIX: &str = "(function () {";

/// Where something is in the bundle.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    /// Bundle-relative file.
    pub file: String,
    /// Line from 1.
    pub line: u32,
    /// Column from 1.
    pub column: u32,
}

/// What the scan found in every file.
#[derive(Debug, Default, Clone)]
pub struct Scan {
    /// API name → where it is used, in file order.
    pub uses: BTreeMap<String, Vec<Site>>,
    /// Names passed to `my.canIUse` as literals (the part before any `.`).
    pub guarded: BTreeSet<String>,
    /// `my[expr]` with a computed name.
    pub dynamic: Vec<Site>,
    /// `my` used as a value.
    pub aliases: Vec<Site>,
    /// Files that do not parse: where, and why.
    pub parse_errors: Vec<(Site, String)>,
    /// Names the program itself writes on `my` (`my.webpackJsonp = []`):
    /// its own properties, not APIs.
    pub defined: BTreeSet<String>,
    /// Files scanned.
    pub files: usize,
}

/// What `my` has that is not an API: its constants, and what every object
/// inherits. Reading them needs no host.
pub const NOT_APIS: &[&str] = &[
    "SDKVersion",
    "isIDE",
    "env",
    "ap",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toString",
    "toLocaleString",
    "valueOf",
    "constructor",
];

impl Scan {
    /// Files with a parse error.
    pub fn broken_files(&self) -> BTreeSet<String> {
        self.parse_errors
            .iter()
            .map(|(s, _)| s.file.clone())
            .collect()
    }
}

/// Scans one script into `out`. A script that does not parse is recorded with
/// its position, never a panic. Deeply nested input needs a big stack: call
/// this on a thread with room (the checker uses 64 MiB).
pub fn scan_script(file: &str, source: &str, out: &mut Scan) {
    out.files += 1;
    let wrapped = format!("{PREFIX}{source}\n}}).call(this);");
    let mut interner = Interner::default();
    let parsed = Parser::new(Source::from_bytes(wrapped.as_bytes()))
        .parse_script(&Scope::new_global(), &mut interner);
    let script = match parsed {
        Ok(s) => s,
        Err(e) => {
            // An ES module (import/export at the top level) parses as one;
            // the runtime rewrites it to CommonJS. Its positions need no
            // shift: nothing wraps it.
            let mut minterner = Interner::default();
            let module = Parser::new(Source::from_bytes(source.as_bytes()))
                .parse_module(&Scope::new_global(), &mut minterner);
            if let Ok(m) = module {
                let mut v = Walker {
                    interner: &minterner,
                    my: minterner.get("my"),
                    can_i_use: minterner.get("canIUse"),
                    file,
                    out,
                    shift: false,
                };
                let _ = m.visit_with(&mut v);
                return;
            }
            let (line, column) = error_position(&e, source);
            out.parse_errors
                .push((site(file, line, column), strip_position(&e.to_string())));
            return;
        }
    };
    let mut v = Walker {
        interner: &interner,
        my: interner.get("my"),
        can_i_use: interner.get("canIUse"),
        file,
        out,
        shift: true,
    };
    let _ = script.visit_with(&mut v);
}

fn site(file: &str, line: u32, column: u32) -> Site {
    // The prefix shares the first line.
    let column = if line == 1 {
        column.saturating_sub(PREFIX.len() as u32).max(1)
    } else {
        column
    };
    Site {
        file: file.to_owned(),
        line,
        column,
    }
}

fn error_position(e: &boa_engine::parser::Error, source: &str) -> (u32, u32) {
    use boa_engine::parser::Error as E;
    let pos = |p: Position| (p.line_number(), p.column_number());
    match e {
        E::Expected { span, .. } | E::Unexpected { span, .. } => pos(span.start()),
        E::General { position, .. } => pos(*position),
        E::Lex {
            err: boa_engine::parser::lexer::Error::Syntax(_, p),
        } => pos(*p),
        // The input ended too early: the end of the file.
        _ => {
            let lines = source.lines().count().max(1) as u32;
            let last = source.lines().last().map_or(0, |l| l.chars().count()) as u32;
            (
                lines,
                last + 1 + if lines == 1 { PREFIX.len() as u32 } else { 0 },
            )
        }
    }
}

/// boa's messages end with " at line L, col C" (positions in the wrapped
/// source); the report carries the corrected position separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

struct Walker<'a> {
    interner: &'a Interner,
    my: Option<Sym>,
    can_i_use: Option<Sym>,
    file: &'a str,
    out: &'a mut Scan,
    /// Positions are in the wrapped script (true) or the file itself.
    shift: bool,
}

impl Walker<'_> {
    fn is_my(&self, e: &Expression) -> bool {
        match e {
            Expression::Identifier(id) => Some(id.sym()) == self.my,
            Expression::Parenthesized(p) => self.is_my(p.expression()),
            _ => false,
        }
    }

    fn name(&self, sym: Sym) -> String {
        self.interner.resolve_expect(sym).to_string()
    }

    fn string_literal(&self, e: &Expression) -> Option<String> {
        match e {
            Expression::Literal(l) => match l.kind() {
                LiteralKind::String(s) => Some(self.name(*s)),
                _ => None,
            },
            Expression::Parenthesized(p) => self.string_literal(p.expression()),
            _ => None,
        }
    }

    fn at(&self, p: Position) -> Site {
        if self.shift {
            site(self.file, p.line_number(), p.column_number())
        } else {
            Site {
                file: self.file.to_owned(),
                line: p.line_number(),
                column: p.column_number(),
            }
        }
    }

    fn record(&mut self, name: String, p: Position) {
        if NOT_APIS.contains(&name.as_str()) {
            return;
        }
        let s = self.at(p);
        self.out.uses.entry(name).or_default().push(s);
    }

    /// `my.x` / `my['x']` / `my[expr]` with `my` as the target.
    fn access(&mut self, field: &PropertyAccessField, p: Position) -> ControlFlow<Infallible> {
        match field {
            PropertyAccessField::Const(id) => {
                let n = self.name(id.sym());
                self.record(n, p);
                ControlFlow::Continue(())
            }
            PropertyAccessField::Expr(x) => {
                match self.string_literal(x) {
                    Some(n) => self.record(n, p),
                    None => {
                        let s = self.at(p);
                        self.out.dynamic.push(s);
                    }
                }
                self.visit_expression(x)
            }
        }
    }
}

impl<'ast> Visitor<'ast> for Walker<'_> {
    type BreakTy = Infallible;

    fn visit_expression(&mut self, e: &'ast Expression) -> ControlFlow<Infallible> {
        match e {
            // `my.x = …`: the program's own property, not an API call.
            Expression::Assign(a) => {
                if let boa_engine::ast::expression::operator::assign::AssignTarget::Access(
                    PropertyAccess::Simple(t),
                ) = a.lhs()
                {
                    if self.is_my(t.target()) {
                        let name = match t.field() {
                            PropertyAccessField::Const(id) => Some(self.name(id.sym())),
                            PropertyAccessField::Expr(x) => self.string_literal(x),
                        };
                        if let Some(n) = name {
                            self.out.defined.insert(n);
                            return self.visit_expression(a.rhs());
                        }
                    }
                }
                e.visit_with(self)
            }
            Expression::PropertyAccess(PropertyAccess::Simple(a)) if self.is_my(a.target()) => {
                self.access(a.field(), a.span().start())
            }
            Expression::Optional(o) if self.is_my(o.target()) => {
                let mut chain = o.chain().iter();
                if let Some(first) = chain.next() {
                    match first.kind() {
                        OptionalOperationKind::SimplePropertyAccess { field } => {
                            self.access(field, o.span().start())?;
                        }
                        _ => {
                            let s = self.at(o.span().start());
                            self.out.aliases.push(s);
                            first.kind().visit_with(self)?;
                        }
                    }
                }
                for op in chain {
                    op.kind().visit_with(self)?;
                }
                ControlFlow::Continue(())
            }
            Expression::Call(c) => {
                // my.canIUse('name') with a literal: a guard for that name.
                if let Expression::PropertyAccess(PropertyAccess::Simple(a)) = c.function() {
                    if self.is_my(a.target()) {
                        let is_can_i_use = match a.field() {
                            PropertyAccessField::Const(id) => Some(id.sym()) == self.can_i_use,
                            PropertyAccessField::Expr(x) => {
                                self.string_literal(x).as_deref() == Some("canIUse")
                            }
                        };
                        if is_can_i_use {
                            if let Some(n) = c.args().first().and_then(|a| self.string_literal(a)) {
                                let api = n.split('.').next().unwrap_or_default().to_owned();
                                self.out.guarded.insert(api);
                            }
                        }
                    }
                }
                e.visit_with(self)
            }
            Expression::Unary(u) if u.op() == UnaryOp::TypeOf && self.is_my(u.target()) => {
                ControlFlow::Continue(())
            }
            Expression::Identifier(id) if Some(id.sym()) == self.my => {
                let s = self.at(id.span().start());
                self.out.aliases.push(s);
                ControlFlow::Continue(())
            }
            _ => e.visit_with(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(src: &str) -> Scan {
        let mut s = Scan::default();
        scan_script("a.js", src, &mut s);
        s
    }

    #[test]
    fn finds_calls_guards_dynamic_and_aliases() {
        let s = scan(
            "const a = 1;\nmy.request({url: 'x'});\nif (my.canIUse('scan.type')) my['scan']({});\n\
             const k = 'vib' + 'rate'; my[k]();\nfoo(my); if (typeof my !== 'undefined') my?.alert({});\n\
             // my.commented({})\nconst s = \"my.inString()\";",
        );
        let names: Vec<&str> = s.uses.keys().map(String::as_str).collect();
        assert_eq!(names, ["alert", "canIUse", "request", "scan"]);
        assert_eq!(
            s.uses["request"][0],
            Site {
                file: "a.js".into(),
                line: 2,
                column: 1
            }
        );
        assert_eq!(s.uses["scan"][0].line, 3);
        assert!(s.guarded.contains("scan"));
        assert_eq!(s.dynamic.len(), 1);
        assert_eq!(s.dynamic[0].line, 4);
        assert_eq!(s.aliases.len(), 1, "{:?}", s.aliases);
        assert_eq!(s.aliases[0].line, 5);
        assert!(s.parse_errors.is_empty());
    }

    #[test]
    fn first_line_columns_and_parse_errors_are_true_to_the_file() {
        let s = scan("my.vibrate();");
        assert_eq!(s.uses["vibrate"][0].column, 1);
        let s = scan("Page({\n  onLoad() {\n    const = 3;\n  }\n});\n");
        assert_eq!(s.parse_errors.len(), 1);
        let (at, msg) = &s.parse_errors[0];
        assert_eq!(at.line, 3, "{msg}");
        assert!(!msg.contains("at line"), "{msg}");
        let s = scan("Page({");
        assert_eq!(s.parse_errors.len(), 1);
        // Top-level return is fine: scripts run inside a function.
        assert!(scan("return;").parse_errors.is_empty());
    }
}
