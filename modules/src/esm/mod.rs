//! ES modules as Alipay's IDE runs them: rewritten to CommonJS with Babel's
//! interop, inside the isolation unit, before the engine sees the file.
//!
//! Import and export declarations occur only at the top level, so a
//! tokenizer finds them: it skips strings, template literals (with nested
//! `${}`), comments and regular expressions (told from division by the
//! previous significant token) and tracks bracket depth. The rewrite keeps
//! every line where it was: what is hoisted goes on the first line, and a
//! removed declaration leaves its newlines, so errors keep the file's own
//! line numbers. Everything here is iterative: no input can overflow a stack.
//!
//! The prelude provides the helpers the output calls: `__mp_default`,
//! `__mp_wildcard`, `__mp_export`, `__mp_exportStar` and `__mp_read`.

use std::fmt::Write as _;

/// Why a file could not be rewritten, with its 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsmError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

mod lexer;

use lexer::{err_at, tokens, Kind, Tok};

/// Whether the token at `i` starts a top-level `import`/`export` declaration.
fn is_declaration(src: &str, toks: &[Tok], i: usize) -> bool {
    let t = toks[i];
    if t.kind != Kind::Ident || t.depth != 0 {
        return false;
    }
    let word = &src[t.start..t.end];
    if word != "import" && word != "export" {
        return false;
    }
    let prev_ok = i == 0 || {
        let p = toks[i - 1];
        let pt = &src[p.start..p.end];
        pt != "." && (pt == ";" || pt == "}" || t.nl)
    };
    let next = toks.get(i + 1).map(|n| &src[n.start..n.end]);
    prev_ok && !(word == "import" && matches!(next, Some("(") | Some(".")))
}

/// Whether `src` has a top-level `import` or `export` declaration. `None`
/// when the file cannot be tokenized (the engine then reports it).
pub fn is_module(src: &str) -> bool {
    if !src.contains("import") && !src.contains("export") {
        return false;
    }
    match tokens(src) {
        Ok(toks) => (0..toks.len()).any(|i| is_declaration(src, &toks, i)),
        Err(_) => false,
    }
}

struct Rewrite<'a> {
    src: &'a str,
    toks: Vec<Tok>,
    i: usize,
    /// Hoisted, in source order: requires, re-exports, import bindings.
    hoisted: String,
    /// Local export getters (defined before any require).
    locals: String,
    /// (start, end, replacement) edits of the source.
    edits: Vec<(usize, usize, String)>,
    next_module: usize,
}

fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

impl Rewrite<'_> {
    fn text(&self, i: usize) -> &str {
        self.toks.get(i).map_or("", |t| &self.src[t.start..t.end])
    }

    fn err(&self, i: usize, m: impl Into<String>) -> EsmError {
        let at = self.toks.get(i).map_or(self.src.len(), |t| t.start);
        err_at(self.src, at, m)
    }

    fn expect(&mut self, what: &str) -> Result<(), EsmError> {
        if self.text(self.i) == what {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(
                self.i,
                format!("expected {what:?}, found {:?}", self.text(self.i)),
            ))
        }
    }

    fn ident(&mut self) -> Result<String, EsmError> {
        match self.toks.get(self.i) {
            Some(t) if t.kind == Kind::Ident => {
                self.i += 1;
                Ok(self.src[t.start..t.end].to_owned())
            }
            _ => Err(self.err(
                self.i,
                format!("expected a name, found {:?}", self.text(self.i)),
            )),
        }
    }

    /// A module name or an exported name: an identifier or a string.
    fn name_or_string(&mut self) -> Result<String, EsmError> {
        match self.toks.get(self.i) {
            Some(t) if t.kind == Kind::Str => {
                self.i += 1;
                serde_json::from_str::<String>(&format!(
                    "\"{}\"",
                    &self.src[t.start + 1..t.end - 1].replace('"', "\\\"")
                ))
                .map_err(|_| self.err(self.i - 1, "a name this rewrite cannot read"))
            }
            _ => self.ident(),
        }
    }

    fn specifier(&mut self) -> Result<String, EsmError> {
        match self.toks.get(self.i) {
            Some(t) if t.kind == Kind::Str => self.name_or_string(),
            _ => Err(self.err(self.i, "expected a module name in quotes")),
        }
    }

    /// `with { type: 'json' }` / `assert {…}` and an optional `;`.
    fn finish(&mut self) {
        if matches!(self.text(self.i), "with" | "assert") && self.text(self.i + 1) == "{" {
            let depth = self.toks[self.i + 1].depth;
            self.i += 2;
            while self.i < self.toks.len()
                && !(self.text(self.i) == "}" && self.toks[self.i].depth == depth)
            {
                self.i += 1;
            }
            self.i += 1;
        }
        if self.text(self.i) == ";" {
            self.i += 1;
        }
    }

    fn module_var(&mut self, spec: &str) -> String {
        self.next_module += 1;
        let v = format!("__mp_m{}", self.next_module);
        let _ = write!(self.hoisted, "var {v} = require({});", js_string(spec));
        v
    }

    /// Blanks tokens `from..self.i`, keeping their line breaks.
    fn remove(&mut self, from: usize) {
        let start = self.toks[from].start;
        let end = self.toks.get(self.i - 1).map_or(self.src.len(), |t| t.end);
        let kept: String = self.src[start..end]
            .chars()
            .filter(|c| *c == '\n')
            .collect();
        self.edits.push((start, end, kept));
    }

    fn local_export(&mut self, exported: &str, local: &str) {
        let _ = write!(
            self.locals,
            "__mp_export(exports, {}, function () {{ return {local}; }});",
            js_string(exported)
        );
    }

    fn import(&mut self, at: usize) -> Result<(), EsmError> {
        self.i = at + 1;
        if self.toks.get(self.i).is_some_and(|t| t.kind == Kind::Str) {
            let spec = self.specifier()?;
            self.finish();
            self.module_var(&spec);
            self.remove(at);
            return Ok(());
        }
        let mut default = None;
        let mut namespace = None;
        let mut named: Vec<(String, String)> = Vec::new();
        if self.text(self.i) != "{" && self.text(self.i) != "*" {
            default = Some(self.ident()?);
            if self.text(self.i) == "," {
                self.i += 1;
            }
        }
        if self.text(self.i) == "*" {
            self.i += 1;
            self.expect("as")?;
            namespace = Some(self.ident()?);
        } else if self.text(self.i) == "{" {
            self.i += 1;
            while self.text(self.i) != "}" {
                let imported = self.name_or_string()?;
                let local = if self.text(self.i) == "as" {
                    self.i += 1;
                    self.ident()?
                } else {
                    imported.clone()
                };
                named.push((imported, local));
                match self.text(self.i) {
                    "," => self.i += 1,
                    "}" => {}
                    _ => return Err(self.err(self.i, "expected , or } in an import list")),
                }
            }
            self.i += 1;
        }
        if self.text(self.i) != "from" {
            return Err(self.err(self.i, "expected from"));
        }
        self.i += 1;
        let spec = self.specifier()?;
        self.finish();
        let m = self.module_var(&spec);
        if let Some(d) = default {
            let _ = write!(self.hoisted, "var {d} = __mp_default({m});");
        }
        if let Some(ns) = namespace {
            let _ = write!(self.hoisted, "var {ns} = __mp_wildcard({m});");
        }
        for (imported, local) in named {
            let read = if imported == "default" {
                format!("__mp_default({m})")
            } else {
                format!("__mp_read({m}, {})", js_string(&imported))
            };
            let _ = write!(self.hoisted, "var {local} = {read};");
        }
        self.remove(at);
        Ok(())
    }

    /// Binding names in a declarator list from `self.i`, up to the end of the statement.
    fn declared_names(&mut self) -> Result<Vec<String>, EsmError> {
        let mut names = Vec::new();
        let base = self.toks.get(self.i).map_or(0, |t| t.depth);
        loop {
            self.binding(&mut names, base)?;
            if self.text(self.i) == "=" {
                self.i += 1;
                self.skip_expression(base);
            }
            if self.text(self.i) == "," && self.toks[self.i].depth == base {
                self.i += 1;
                continue;
            }
            break;
        }
        Ok(names)
    }

    /// One binding pattern: a name, `{…}` or `[…]`, iteratively.
    fn binding(&mut self, names: &mut Vec<String>, base: u32) -> Result<(), EsmError> {
        match self.text(self.i) {
            "{" | "[" => {
                // Walk the pattern: in `{}`, `key: target` binds the target
                // and a shorthand `key` binds the key; in `[]` every
                // element binds; `= default` values are skipped.
                let start = self.i;
                let depth = self.toks[start].depth;
                self.i += 1;
                while self.i < self.toks.len() {
                    let t = self.toks[self.i];
                    let s = &self.src[t.start..t.end];
                    if t.depth == depth && matches!(s, "}" | "]") {
                        self.i += 1;
                        return Ok(());
                    }
                    if s == "=" {
                        self.i += 1;
                        self.skip_expression(t.depth);
                        continue;
                    }
                    if t.kind == Kind::Ident {
                        let next = self.text(self.i + 1);
                        let parent = self.enclosing(self.i);
                        if parent == "{" && next == ":" {
                            self.i += 2;
                            continue;
                        }
                        names.push(s.to_owned());
                    } else if s == "["
                        && self.enclosing(self.i) == "{"
                        && matches!(self.text(self.i - 1), "{" | ",")
                    {
                        // A computed key: skip to its `]` and the `:`.
                        let d = t.depth;
                        self.i += 1;
                        while self.i < self.toks.len()
                            && !(self.text(self.i) == "]" && self.toks[self.i].depth == d)
                        {
                            self.i += 1;
                        }
                        self.i += 2;
                        continue;
                    }
                    self.i += 1;
                }
                Err(self.err(start, "unterminated binding pattern"))
            }
            _ => {
                let _ = base;
                names.push(self.ident()?);
                Ok(())
            }
        }
    }

    /// The bracket that encloses token `i` (`{`, `[`, `(`, or "" at depth 0).
    fn enclosing(&self, i: usize) -> &str {
        let d = self.toks[i].depth;
        let mut j = i;
        while j > 0 {
            j -= 1;
            let t = self.toks[j];
            if t.depth + 1 == d && t.kind == Kind::Punct {
                let s = &self.src[t.start..t.end];
                if matches!(s, "{" | "[" | "(") {
                    return s;
                }
            }
        }
        ""
    }

    /// Skips an expression at `depth`: to a `,` or closing bracket at that
    /// depth, a `;`, or a line break where a statement may end.
    fn skip_expression(&mut self, depth: u32) {
        let mut first = true;
        while self.i < self.toks.len() {
            let t = self.toks[self.i];
            let s = &self.src[t.start..t.end];
            if t.depth < depth || (t.depth == depth && matches!(s, "," | ";" | ")" | "]" | "}")) {
                return;
            }
            if t.depth == depth && t.nl && !first {
                let prev = self.text(self.i - 1);
                let continues_prev =
                    prev.len() == 1 && "=+-*/%&|^<>!?:,.([{~".contains(prev) || prev == "=>";
                let continues_next = s.len() <= 3
                    && (s.starts_with(|c: char| ".,?:+-*/%&|^<>=(![".contains(c)) || s == "...")
                    || matches!(s, "in" | "instanceof");
                if !continues_prev && !continues_next {
                    return;
                }
            }
            first = false;
            self.i += 1;
        }
    }

    fn export(&mut self, at: usize) -> Result<(), EsmError> {
        self.i = at + 1;
        let export_tok = self.toks[at];
        let word = self.text(self.i).to_owned();
        match word.as_str() {
            "default" => {
                let after_default = self.toks.get(self.i + 1).copied();
                self.i += 1;
                let mut j = self.i;
                if self.text(j) == "async" && self.text(j + 1) == "function" {
                    j += 1;
                }
                let kw = self.text(j).to_owned();
                if kw == "function" || kw == "class" {
                    let mut k = j + 1;
                    if self.text(k) == "*" {
                        k += 1;
                    }
                    let named = self.toks.get(k).is_some_and(|t| {
                        t.kind == Kind::Ident && !matches!(&self.src[t.start..t.end], "extends")
                    });
                    let local = if named {
                        self.text(k).to_owned()
                    } else {
                        "__mp_default_export".to_owned()
                    };
                    let from = after_default.map_or(self.src.len(), |t| t.start);
                    self.edits.push((export_tok.start, from, String::new()));
                    if !named {
                        let insert_at = self.toks[k - 1].end;
                        self.edits.push((insert_at, insert_at, format!(" {local}")));
                    }
                    self.local_export("default", &local);
                } else {
                    let from = after_default.map_or(self.src.len(), |t| t.start);
                    self.edits
                        .push((export_tok.start, from, "exports.default = ".into()));
                }
                Ok(())
            }
            "var" | "let" | "const" => {
                let next_tok = self.toks[self.i];
                let keyword = self.i;
                self.i += 1;
                let names = self.declared_names()?;
                // The declaration itself is scanned again for `import(`.
                self.i = keyword + 1;
                self.edits
                    .push((export_tok.start, next_tok.start, String::new()));
                for n in names {
                    self.local_export(&n, &n);
                }
                Ok(())
            }
            "function" | "class" | "async" => {
                let next_tok = self.toks[self.i];
                let mut k = self.i + 1;
                if word == "async" {
                    k += 1;
                }
                if self.text(k) == "*" {
                    k += 1;
                }
                let name = self.text(k).to_owned();
                if self.toks.get(k).is_none_or(|t| t.kind != Kind::Ident) {
                    return Err(self.err(k, "an exported declaration needs a name"));
                }
                self.edits
                    .push((export_tok.start, next_tok.start, String::new()));
                self.local_export(&name, &name);
                Ok(())
            }
            "*" => {
                self.i += 1;
                let ns = if self.text(self.i) == "as" {
                    self.i += 1;
                    Some(self.name_or_string()?)
                } else {
                    None
                };
                self.expect("from")?;
                let spec = self.specifier()?;
                self.finish();
                let m = self.module_var(&spec);
                match ns {
                    Some(ns) => {
                        let _ = write!(
                            self.hoisted,
                            "__mp_export(exports, {}, function () {{ return __mp_wildcard({m}); }});",
                            js_string(&ns)
                        );
                    }
                    None => {
                        let _ = write!(self.hoisted, "__mp_exportStar(exports, {m});");
                    }
                }
                self.remove(at);
                Ok(())
            }
            "{" => {
                self.i += 1;
                let mut list = Vec::new();
                while self.text(self.i) != "}" {
                    if self.i >= self.toks.len() {
                        return Err(self.err(at, "unterminated export list"));
                    }
                    let local = self.name_or_string()?;
                    let exported = if self.text(self.i) == "as" {
                        self.i += 1;
                        self.name_or_string()?
                    } else {
                        local.clone()
                    };
                    list.push((local, exported));
                    match self.text(self.i) {
                        "," => self.i += 1,
                        "}" => {}
                        _ => return Err(self.err(self.i, "expected , or } in an export list")),
                    }
                }
                self.i += 1;
                if self.text(self.i) == "from" {
                    self.i += 1;
                    let spec = self.specifier()?;
                    self.finish();
                    let m = self.module_var(&spec);
                    for (imported, exported) in list {
                        let read = if imported == "default" {
                            format!("__mp_default({m})")
                        } else {
                            format!("{m}[{}]", js_string(&imported))
                        };
                        let _ = write!(
                            self.hoisted,
                            "__mp_export(exports, {}, function () {{ return {read}; }});",
                            js_string(&exported)
                        );
                    }
                } else {
                    self.finish();
                    for (local, exported) in list {
                        self.local_export(&exported, &local);
                    }
                }
                self.remove(at);
                Ok(())
            }
            _ => Err(self.err(
                self.i,
                format!("export {word:?} is not a declaration this runtime knows"),
            )),
        }
    }
}

/// What `import(` becomes: the module required on a later turn, as a namespace.
const DYNAMIC_IMPORT: &str =
    "(function (s) { return Promise.resolve().then(function () { return __mp_wildcard(require(s)); }); })";

/// Rewrites an ES module to a CommonJS module body with Babel's interop.
/// The result starts with `"use strict";` and the hoisted part on line 1.
pub fn to_commonjs(src: &str) -> Result<String, EsmError> {
    let toks = tokens(src)?;
    let mut r = Rewrite {
        src,
        toks,
        i: 0,
        hoisted: String::new(),
        locals: String::new(),
        edits: Vec::new(),
        next_module: 0,
    };
    let mut i = 0;
    while i < r.toks.len() {
        let t = r.toks[i];
        let word = &src[t.start..t.end];
        if t.kind == Kind::Ident && word == "import" {
            let next = r.text(i + 1).to_owned();
            if next == "." && r.text(i + 2) == "meta" {
                return Err(r.err(i, "import.meta is not supported"));
            }
            if next == "(" {
                r.edits.push((t.start, t.end, DYNAMIC_IMPORT.into()));
                i += 1;
                continue;
            }
        }
        if is_declaration(src, &r.toks, i) {
            if word == "import" {
                r.import(i)?;
            } else {
                r.export(i)?;
            }
            i = r.i.max(i + 1);
            continue;
        }
        i += 1;
    }
    r.edits.sort_by_key(|e| (e.0, e.1));
    let mut body = String::with_capacity(src.len() + 256);
    let mut at = 0;
    for (s, e, rep) in &r.edits {
        if *s < at {
            continue;
        }
        body.push_str(&src[at..*s]);
        body.push_str(rep);
        // Every line stays where it was: a removed span keeps its line breaks.
        let lost = src[*s..*e].matches('\n').count();
        for _ in rep.matches('\n').count()..lost {
            body.push('\n');
        }
        at = *e;
    }
    body.push_str(&src[at..]);
    Ok(format!(
        "\"use strict\";Object.defineProperty(exports, \"__esModule\", {{ value: true }});{}{}{}",
        r.locals, r.hoisted, body
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_declarations_only_at_the_top_level() {
        assert!(is_module("import a from './a'\nPage({})"));
        assert!(is_module("const x = 1\nexport default x"));
        assert!(!is_module(
            "const s = 'import a from \"b\"'; // export default 1"
        ));
        assert!(!is_module(
            "const t = `${1}import x from 'y'`; /* export const a = 1 */"
        ));
        assert!(!is_module("import('./lazy').then(m => m)"));
        assert!(!is_module(
            "const o = { import: 1, export: 2 }; o.import; o.export;"
        ));
        assert!(!is_module(
            "const r = /import x from 'y'/g; const d = 4 / 2 / 1;"
        ));
    }

    #[test]
    fn imports_are_hoisted_and_lines_kept() {
        let out = to_commonjs("const a = 1;\nimport d, { x, y as z } from '../m';\nimport * as ns from \"n\";\nimport 'side';\nd(x, z, ns);").expect("ok");
        let (first, rest) = out.split_once('\n').expect("ok");
        assert!(first.contains("var __mp_m1 = require(\"../m\");var d = __mp_default(__mp_m1);var x = __mp_read(__mp_m1, \"x\");var z = __mp_read(__mp_m1, \"y\");"), "{first}");
        assert!(first.contains("var __mp_m2 = require(\"n\");var ns = __mp_wildcard(__mp_m2);var __mp_m3 = require(\"side\");"), "{first}");
        assert!(first.ends_with("const a = 1;"), "{first}");
        assert_eq!(rest, "\n\n\nd(x, z, ns);");
    }

    #[test]
    fn exports_become_getters() {
        let out = to_commonjs(
            "export const a = 1, { b, c: [d, e = 2], ...f } = o, g = (1, 2)\nexport let h\nexport function i() {}\nexport class J {}\nexport async function k() {}\nexport { a as l, h as default2 }\nexport default function () {}",
        )
        .expect("ok");
        for name in [
            "a", "b", "d", "e", "f", "g", "h", "i", "J", "k", "l", "default2", "default",
        ] {
            assert!(
                out.contains(&format!("__mp_export(exports, \"{name}\"")),
                "{name}: {out}"
            );
        }
        assert!(!out.contains("\"c\""), "{out}");
        assert!(out.contains("function __mp_default_export ()"), "{out}");
        assert_eq!(out.matches('\n').count(), 6);
    }

    #[test]
    fn re_exports_and_default_expressions() {
        let out = to_commonjs("export * from './a';\nexport * as b from './b';\nexport { x as y, default as z } from './c';\nexport default { n: 1 };").expect("ok");
        assert!(out.contains("__mp_exportStar(exports, __mp_m1);"), "{out}");
        assert!(
            out.contains(
                "__mp_export(exports, \"b\", function () { return __mp_wildcard(__mp_m2); });"
            ),
            "{out}"
        );
        assert!(out.contains("return __mp_m3[\"x\"]"), "{out}");
        assert!(out.contains("return __mp_default(__mp_m3)"), "{out}");
        assert!(out.ends_with("\n\n\nexports.default = { n: 1 };"), "{out}");
    }

    #[test]
    fn declarations_split_over_lines_keep_their_lines() {
        let src = "export\ndefault\n{ a: 1 };\nexport\nconst b = 2;\nexport {\n  b as c\n};\nimport {\n  x\n} from './x';\ny();";
        let out = to_commonjs(src).expect("ok");
        assert_eq!(
            out.matches('\n').count(),
            src.matches('\n').count(),
            "{out}"
        );
        assert!(out.ends_with("\ny();"), "{out}");
    }

    #[test]
    fn dynamic_import_and_unsupported_forms() {
        let out = to_commonjs("export const p = import('./x');").expect("ok");
        assert!(out.contains(&format!("{DYNAMIC_IMPORT}('./x')")), "{out}");
        let e = to_commonjs("export const u = import.meta.url;").expect_err("an error");
        assert_eq!(
            (e.line, e.message.as_str()),
            (1, "import.meta is not supported")
        );
    }

    #[test]
    fn hostile_sources_are_errors_not_panics() {
        for (src, want) in [
            ("import { a from './x'", "expected , or }"),
            ("import x from", "expected a module name in quotes"),
            ("export const s = 'unterminated", "unterminated string"),
            ("export const t = `${", "unterminated template literal"),
            ("export const r = /abc", "unterminated regular expression"),
            ("export /* x", "unterminated comment"),
            ("export 42", "not a declaration"),
        ] {
            let e = to_commonjs(src).expect_err("an error");
            assert!(e.message.contains(want), "{src}: {e:?}");
        }
        // Deep nesting is a flat loop here, not recursion.
        let deep = format!(
            "export const a = {}1{};",
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        assert!(to_commonjs(&deep).is_ok());
        let deep = format!("export const a = `{}`;", "${`".repeat(100_000));
        assert!(to_commonjs(&deep).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(src in "[a-z{}()\\[\\]'\"`$/*=,;:. \n]{0,60}") {
            let _ = is_module(&src);
            let _ = to_commonjs(&format!("export {src}"));
            let _ = to_commonjs(&format!("import {src}"));
        }
    }
}
