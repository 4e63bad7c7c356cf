//! The AXML parser: XML-like templates with `{{ }}` interpolation and `a:`
//! directives. Every node, error and warning carries its line and column.
//!
//! Where Alipay's compiler is lenient, so is this parser, with a
//! [`Warning`] (compat.md A10): unquoted attribute values, unknown `a:`
//! directives (ignored), elements left open at the end of the file (closed
//! there), end tags that close elements left open inside them, and stray end
//! tags (ignored).

use super::expr::{self, Expr};
use std::collections::BTreeMap;
use std::fmt;

mod sjs;
mod tags;
pub use sjs::SjsImport;
pub use tags::{is_custom_name, COMPONENTS, DIRECTIVES};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

/// Something the parser accepted, as Alipay's compiler does, though it is
/// not well-formed; the document holds its well-formed equivalent.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// Where.
    pub pos: Pos,
    /// What was accepted, and how it was read.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

/// Most warnings one file reports; one more says that the rest were left out.
pub const MAX_WARNINGS: usize = 100;

/// Literal text or an interpolated expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Text as written (entities decoded).
    Lit(String),
    /// `{{ expr }}`.
    Expr(Expr, Pos),
}

/// An attribute; `value` is `None` for a bare attribute such as `disabled`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    /// The name as written.
    pub name: String,
    /// Its parts.
    pub value: Option<Vec<Part>>,
    /// Where the name starts.
    pub pos: Pos,
}

/// `a:if`, `a:elif`, `a:else`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// `a:if="{{x}}"`.
    If(Vec<Part>),
    /// `a:elif="{{x}}"`.
    Elif(Vec<Part>),
    /// `a:else`.
    Else,
}

/// `a:for` with its item and index names.
#[derive(Debug, Clone, PartialEq)]
pub struct ForLoop {
    /// The list.
    pub list: Vec<Part>,
    /// `a:for-item`, default `item`.
    pub item: String,
    /// `a:for-index`, default `index`.
    pub index: String,
}

/// An element with its directives split out of its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// The component name, shared with every node rendered from it.
    pub tag: std::sync::Arc<str>,
    /// Ordinary attributes, events, `data-*`, class and style.
    pub attrs: Vec<Attr>,
    /// Children.
    pub children: Vec<Node>,
    /// Where the tag opens.
    pub pos: Pos,
    /// Conditional rendering.
    pub cond: Option<Cond>,
    /// List rendering.
    pub for_loop: Option<ForLoop>,
    /// `a:key`.
    pub key: Option<Key>,
}

/// `a:key`: how a loop item's key is found. A key that is `undefined`, or
/// the same for two items, keys the whole loop by position instead, with a
/// warning.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// `a:key="*this"`: `String(item)`.
    This,
    /// `a:key="id"`: `String(item[id])`.
    Field(String),
    /// `a:key="{{expr}}"` (or text with `{{ }}` in it): evaluated per item,
    /// with `a:for-item` and `a:for-index` bound.
    Expr(Vec<Part>),
}

impl Element {
    /// The literal value of an attribute, if it is plain text.
    pub fn literal(&self, name: &str) -> Option<&str> {
        let a = self.attrs.iter().find(|a| a.name == name)?;
        match a.value.as_deref() {
            Some([Part::Lit(s)]) => Some(s),
            Some([]) => Some(""),
            _ => None,
        }
    }

    /// An attribute by name.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }
}

/// A template node.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// An element.
    Element(Element),
    /// Text with interpolations.
    Text(Vec<Part>, Pos),
}

/// A parsed `.axml` file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// Nodes to render.
    pub nodes: Vec<Node>,
    /// `<template name>` definitions.
    pub templates: BTreeMap<String, Vec<Node>>,
    /// `<import src>` paths, in order.
    pub imports: Vec<(String, Pos)>,
    /// Each custom tag the file uses (not a built-in component), where it
    /// first appears, in source order.
    pub custom: Vec<(String, Pos)>,
    /// Its `<import-sjs>`, in source order (a later one wins a name).
    pub sjs: Vec<SjsImport>,
    /// What was accepted though not well-formed, in source order (at most
    /// [`MAX_WARNINGS`], and one saying more were left out).
    pub warnings: Vec<Warning>,
}

impl Document {
    /// Where an event attribute (`onTap`, `catchTap`, ...) names `handler`
    /// literally, in the page's nodes or its own templates; the first such.
    pub fn handler_pos(&self, handler: &str) -> Option<Pos> {
        fn walk(nodes: &[Node], handler: &str) -> Option<Pos> {
            nodes.iter().find_map(|n| match n {
                Node::Element(e) => e
                    .attrs
                    .iter()
                    .find(|a| {
                        (a.name.starts_with("on") || a.name.starts_with("catch"))
                            && matches!(a.value.as_deref(), Some([Part::Lit(s)]) if s == handler)
                    })
                    .map(|a| a.pos)
                    .or_else(|| walk(&e.children, handler)),
                Node::Text(..) => None,
            })
        }
        walk(&self.nodes, handler)
            .or_else(|| self.templates.values().find_map(|t| walk(t, handler)))
    }

    /// The literal `src` of every `<include>`, in the page's nodes and its
    /// templates, in document order, with where each is; each file once.
    pub fn includes(&self) -> Vec<(String, Pos)> {
        let mut out: Vec<(String, Pos)> = Vec::new();
        // An explicit stack: the nodes are as deep as the parser allowed.
        let mut stack: Vec<&Node> = Vec::new();
        for nodes in std::iter::once(&self.nodes).chain(self.templates.values()) {
            stack.extend(nodes.iter().rev());
            while let Some(n) = stack.pop() {
                let Node::Element(e) = n else { continue };
                if &*e.tag == "include" {
                    if let Some(src) = e.literal("src") {
                        if !out.iter().any(|(s, _)| s == src) {
                            out.push((src.to_owned(), e.pos));
                        }
                    }
                }
                stack.extend(e.children.iter().rev());
            }
        }
        out
    }
}

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 96;

struct P<'a> {
    src: &'a str,
    pos: usize,
    line_starts: Vec<usize>,
    /// Elements open around the current position, outermost first: tag and
    /// where it opens.
    open: Vec<(std::sync::Arc<str>, usize)>,
    warnings: Vec<Warning>,
    /// The end tag (by offset) that closes elements left open inside the
    /// one it names, once its warning is given.
    unwinding: Option<usize>,
    /// Whether the end of the file closed elements (one warning for all).
    eof_warned: bool,
    /// The last position asked for: its offset and 0-based column.
    last_at: std::cell::Cell<(usize, usize)>,
    /// The names the file's `<import-sjs>` bind: what its expressions may call.
    calls: Vec<String>,
}

/// Parses a whole file. Forms Alipay accepts though they are not
/// well-formed parse to their well-formed equivalent, with a warning in
/// [`Document::warnings`].
pub fn parse(src: &str) -> Result<Document, ParseError> {
    let mut line_starts = vec![0];
    line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
    let mut p = P {
        src,
        pos: 0,
        line_starts,
        open: Vec::new(),
        warnings: Vec::new(),
        unwinding: None,
        eof_warned: false,
        last_at: std::cell::Cell::new((0, 0)),
        calls: sjs::prescan(src),
    };
    let mut doc = Document::default();
    let nodes = p.children(None, 0, &mut doc)?;
    doc.nodes = nodes;
    doc.warnings = p.warnings;
    Ok(doc)
}

impl<'a> P<'a> {
    fn at(&self, offset: usize) -> Pos {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        // Positions are mostly asked for in order: count the characters
        // from the last one on the same line, so that a long line (a
        // minified file) is counted once, not once per element.
        let (last_offset, last_col) = self.last_at.get();
        let (from, base) = if last_offset >= start && last_offset <= offset {
            (last_offset, last_col)
        } else {
            (start, 0)
        };
        let col = base + self.src.get(from..offset).map_or(0, |s| s.chars().count());
        self.last_at.set((offset, col));
        Pos {
            line: line as u32 + 1,
            col: col as u32 + 1,
        }
    }
    fn err(&self, offset: usize, m: impl Into<String>) -> ParseError {
        ParseError {
            pos: self.at(offset),
            message: m.into(),
        }
    }
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }
    /// Records a warning at `offset`, unless it repeats the last one (an
    /// end tag read again by each element it closes).
    fn warn(&mut self, offset: usize, m: impl Into<String>) {
        let w = Warning {
            pos: self.at(offset),
            message: m.into(),
        };
        if self.warnings.last() == Some(&w) || self.warnings.len() > MAX_WARNINGS {
            return;
        }
        if self.warnings.len() == MAX_WARNINGS {
            self.warnings.push(Warning {
                pos: w.pos,
                message: format!("more than {MAX_WARNINGS} warnings; the rest are left out"),
            });
            return;
        }
        self.warnings.push(w);
    }
    fn skip_ws(&mut self) {
        let t = self.rest().trim_start();
        self.pos = self.src.len() - t.len();
    }

    /// Parses nodes until `</close>` (or the end for the top level).
    fn children(
        &mut self,
        close: Option<(&str, usize)>,
        depth: usize,
        doc: &mut Document,
    ) -> Result<Vec<Node>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err(self.pos, "elements nested too deeply"));
        }
        let mut out: Vec<Node> = Vec::new();
        loop {
            if self.pos >= self.src.len() {
                // Elements still open close here: one warning, for the outermost.
                if close.is_some() && !self.eof_warned {
                    self.eof_warned = true;
                    if let Some((tag, at)) = self.open.first().cloned() {
                        self.warn(
                            at,
                            format!("<{tag}> is never closed; the end of the file closes it"),
                        );
                    }
                }
                return Ok(out);
            }
            let r = self.rest();
            if r.starts_with("<!--") {
                let end = r
                    .find("-->")
                    .ok_or_else(|| self.err(self.pos, "comment is never closed"))?;
                self.pos += end + 3;
            } else if r.starts_with("</") {
                let at = self.pos;
                self.pos += 2;
                let name = self.name();
                self.skip_ws();
                if self.rest().starts_with('>') {
                    self.pos += 1;
                } else if self.rest().is_empty() && self.unwinding != Some(at) {
                    self.warn(
                        at,
                        format!("end tag </{name}> is cut off at the end of the file"),
                    );
                } else if !self.rest().is_empty() {
                    return Err(self.err(self.pos, "expected `>`"));
                }
                if matches!(close, Some((tag, _)) if tag == name) {
                    return Ok(out);
                }
                // An element open further out: this end tag closes every
                // element inside it too. Each returns, and the next one out
                // reads the end tag again, until the one it names.
                if let Some(j) = self.open.iter().rposition(|(t, _)| **t == *name) {
                    if self.unwinding != Some(at) {
                        self.unwinding = Some(at);
                        if let Some((inner, inner_at)) = self.open.get(j + 1).cloned() {
                            let opened = self.at(inner_at);
                            self.warn(
                                at,
                                format!(
                                    "</{name}> closes <{inner}> opened at {opened}, \
                                     which has no end tag"
                                ),
                            );
                        }
                    }
                    self.pos = at;
                    return Ok(out);
                }
                self.warn(at, format!("</{name}> has no opening tag; it is ignored"));
            } else if r.starts_with('<') {
                let el = self.element(depth, doc)?;
                match &*el.tag {
                    "template" if el.literal("name").is_some() => {
                        let name = el.literal("name").unwrap_or_default().to_owned();
                        doc.templates.insert(name, el.children);
                    }
                    "import" => {
                        let src = el
                            .literal("src")
                            .ok_or_else(|| self.err(self.pos, "<import> needs a literal src"))?;
                        doc.imports.push((src.to_owned(), el.pos));
                    }
                    _ => {
                        self.check_chain(&out, &el)?;
                        out.push(Node::Element(el));
                    }
                }
            } else {
                let start = self.pos;
                let end = r.find('<').map_or(self.src.len(), |i| self.pos + i);
                let parts = self.interpolate(start, end)?;
                self.pos = end;
                let blank = parts
                    .iter()
                    .all(|p| matches!(p, Part::Lit(s) if s.trim().is_empty()));
                if !blank {
                    out.push(Node::Text(parts, self.at(start)));
                }
            }
        }
    }

    /// `a:elif` and `a:else` must follow an `a:if` or `a:elif` sibling.
    fn check_chain(&self, siblings: &[Node], el: &Element) -> Result<(), ParseError> {
        if matches!(el.cond, Some(Cond::Elif(_)) | Some(Cond::Else)) {
            let prev = siblings.iter().rev().find_map(|n| match n {
                Node::Element(e) => Some(e),
                Node::Text(..) => None,
            });
            let ok = matches!(
                prev.and_then(|p| p.cond.as_ref()),
                Some(Cond::If(_)) | Some(Cond::Elif(_))
            );
            if !ok {
                return Err(ParseError {
                    pos: el.pos,
                    message: "a:elif or a:else without a preceding a:if".into(),
                });
            }
        }
        Ok(())
    }

    fn name(&mut self) -> String {
        let r = self.rest();
        let end = r
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')))
            .map_or(r.len(), |(i, _)| i);
        self.pos += end;
        r[..end].to_owned()
    }

    fn element(&mut self, depth: usize, doc: &mut Document) -> Result<Element, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let tag = self.name();
        if tag.is_empty() {
            return Err(self.err(open, "expected a tag name after `<`"));
        }
        if !COMPONENTS.contains(&tag.as_str()) {
            if !is_custom_name(&tag) {
                return Err(self.err(open, format!("unknown component <{tag}>")));
            }
            if !doc.custom.iter().any(|(t, _)| *t == tag) {
                let at = self.at(open);
                doc.custom.push((tag.clone(), at));
            }
        }
        let mut el = Element {
            tag: tag.into(),
            attrs: Vec::new(),
            children: Vec::new(),
            pos: self.at(open),
            cond: None,
            for_loop: None,
            key: None,
        };
        let (mut item, mut index) = (None, None);
        loop {
            self.skip_ws();
            let r = self.rest();
            if r.starts_with("/>") {
                self.pos += 2;
                break;
            }
            if r.starts_with('>') {
                self.pos += 1;
                let tag = el.tag.clone();
                self.open.push((tag.clone(), open));
                el.children = self.children(Some((&tag, open)), depth + 1, doc)?;
                self.open.pop();
                break;
            }
            if r.is_empty() {
                return Err(self.err(
                    open,
                    format!(
                        "the start tag <{}> is cut off at the end of the file",
                        el.tag
                    ),
                ));
            }
            let at = self.pos;
            let name = self.name();
            if name.is_empty() {
                return Err(self.err(
                    at,
                    format!("unexpected `{}` in a tag", r.chars().next().unwrap_or(' ')),
                ));
            }
            self.skip_ws();
            let value = if self.rest().starts_with('=') {
                self.pos += 1;
                let after = self.pos;
                self.skip_ws();
                match self.rest().chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let start = self.pos + 1;
                        let len = self.src[start..].find(q).ok_or_else(|| {
                            self.err(self.pos, format!("value of {name} is never closed"))
                        })?;
                        let parts = self.interpolate(start, start + len)?;
                        self.pos = start + len + 1;
                        Some(parts)
                    }
                    // `name=` and then a space, `>` or `/>`: an empty value.
                    _ if self.pos > after
                        || self.rest().is_empty()
                        || self.rest().starts_with('>')
                        || self.rest().starts_with("/>") =>
                    {
                        self.warn(
                            at,
                            format!("attribute {name:?} has nothing after `=`; it is \"\""),
                        );
                        Some(Vec::new())
                    }
                    _ => {
                        let start = self.pos;
                        let end = self.unquoted_end(start)?;
                        self.warn(start, format!("unquoted attribute value for {name:?}"));
                        let parts = self.interpolate(start, end)?;
                        self.pos = end;
                        Some(parts)
                    }
                }
            } else {
                None
            };
            let pos = self.at(at);
            let need = |v: Option<Vec<Part>>, p: &Self| {
                v.ok_or_else(|| p.err(at, format!("{name} needs a value")))
            };
            match name.as_str() {
                "a:if" => el.cond = Some(Cond::If(need(value, self)?)),
                "a:elif" => el.cond = Some(Cond::Elif(need(value, self)?)),
                "a:else" => el.cond = Some(Cond::Else),
                "a:for" => {
                    el.for_loop = Some(ForLoop {
                        list: need(value, self)?,
                        item: String::new(),
                        index: String::new(),
                    })
                }
                "a:for-item" => item = Some(literal(need(value, self)?, self, at)?),
                "a:for-index" => index = Some(literal(need(value, self)?, self, at)?),
                "a:key" => {
                    el.key = match need(value, self)?.as_slice() {
                        [Part::Lit(s)] if s.trim() == "*this" => Some(Key::This),
                        [Part::Lit(s)] if !s.trim().is_empty() => {
                            Some(Key::Field(s.trim().to_owned()))
                        }
                        [] | [Part::Lit(_)] => {
                            self.warn(at, "a:key is empty; it is ignored");
                            None
                        }
                        parts => Some(Key::Expr(parts.to_vec())),
                    }
                }
                n if n.starts_with("a:") => {
                    self.warn(at, format!("unknown directive {n:?}; it is ignored"));
                }
                _ => {
                    if el.attrs.iter().any(|a| a.name == name) {
                        return Err(self.err(at, format!("attribute {name} is given twice")));
                    }
                    el.attrs.push(Attr { name, value, pos })
                }
            }
        }
        if let Some(f) = el.for_loop.as_mut() {
            f.item = item.unwrap_or_else(|| "item".into());
            f.index = index.unwrap_or_else(|| "index".into());
        }
        if &*el.tag == "import-sjs" {
            self.sjs_import(&el, open, doc)?;
        }
        Ok(el)
    }

    /// Records an `<import-sjs>`. Out of line: elements recurse, and their
    /// frames stay small.
    #[inline(never)]
    fn sjs_import(&self, el: &Element, open: usize, doc: &mut Document) -> Result<(), ParseError> {
        doc.sjs
            .push(sjs::import(el).map_err(|m| self.err(open, m))?);
        Ok(())
    }

    /// Where an unquoted attribute value starting at `start` ends: at
    /// whitespace, `>` or `/>`, a `{{ }}` inside it being taken whole.
    fn unquoted_end(&self, start: usize) -> Result<usize, ParseError> {
        let mut i = start;
        while let Some(c) = self.src[i..].chars().next() {
            let r = &self.src[i..];
            if let Some(body) = r.strip_prefix("{{") {
                let close = find_close(body).map_err(|u| self.unclosed(i, u))?;
                i += 2 + close + 2;
            } else if c.is_whitespace() || c == '>' || r.starts_with("/>") {
                break;
            } else {
                i += c.len_utf8();
            }
        }
        Ok(i)
    }

    /// The error for a `{{` at `open` whose end `find_close` did not find.
    fn unclosed(&self, open: usize, u: Unclosed) -> ParseError {
        match u {
            Unclosed::Braces => self.err(open, "`{{` is never closed"),
            Unclosed::Template(at) => self.err(
                open + 2 + at,
                "template literal is never closed (no closing backtick)",
            ),
            Unclosed::Substitution(at) => self.err(open + 2 + at, "`${` is never closed"),
        }
    }

    /// Splits `src[start..end]` into literal text and `{{ }}` expressions.
    fn interpolate(&self, start: usize, end: usize) -> Result<Vec<Part>, ParseError> {
        let text = &self.src[start..end];
        let mut parts = Vec::new();
        let mut i = 0;
        while let Some(open) = text[i..].find("{{") {
            let open = i + open;
            if open > i {
                parts.push(Part::Lit(decode(&text[i..open])));
            }
            let body_start = open + 2;
            let close =
                find_close(&text[body_start..]).map_err(|u| self.unclosed(start + open, u))?;
            let body = &text[body_start..body_start + close];
            // `{{...item}}` and `{{a: 1}}` (template data) are object bodies without braces.
            let e = expr::parse_with(body.trim(), &self.calls)
                .or_else(|first| {
                    expr::parse_object_body_with(body.trim(), &self.calls).map_err(|_| first)
                })
                .map_err(|e| {
                    let lead = body.len() - body.trim_start().len();
                    self.err(
                        start + body_start + lead + e.offset,
                        format!("in expression: {}", e.message),
                    )
                })?;
            parts.push(Part::Expr(e, self.at(start + open)));
            i = body_start + close + 2;
        }
        if i < text.len() {
            parts.push(Part::Lit(decode(&text[i..])));
        }
        Ok(parts)
    }
}

fn literal(v: Vec<Part>, p: &P<'_>, at: usize) -> Result<String, ParseError> {
    match v.as_slice() {
        [Part::Lit(s)] => Ok(s.trim().to_owned()),
        [Part::Expr(expr::Expr::Lit(serde_json::Value::String(s)), _)] => Ok(s.clone()),
        _ => Err(p.err(at, "this directive takes a plain name")),
    }
}

/// What a `{{` without its `}}` left open last, at its offset after the `{{`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unclosed {
    /// Only braces (or nothing).
    Braces,
    /// A template literal's backtick.
    Template(usize),
    /// A `${` inside a template literal.
    Substitution(usize),
}

/// Finds the `}}` that closes an interpolation, skipping strings, nested
/// braces and template literals (whose text may hold `}}`, and whose `${}`
/// may hold more of them). What is open is kept on a stack on the heap, so
/// any nesting is a loop, not a recursion.
fn find_close(s: &str) -> Result<usize, Unclosed> {
    let b = s.as_bytes();
    // b'{' a brace, b'`' a template literal, b'$' a `${` inside one.
    let mut open: Vec<(u8, usize)> = Vec::new();
    let mut i = 0usize;
    while i < b.len() {
        let c = b[i];
        if let Some((b'`', _)) = open.last() {
            match c {
                b'\\' => i += 1,
                b'`' => {
                    open.pop();
                }
                b'$' if b.get(i + 1) == Some(&b'{') => {
                    open.push((b'$', i));
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => open.push((b'`', i)),
            b'{' => open.push((b'{', i)),
            b'}' if !open.is_empty() => {
                open.pop();
            }
            b'}' if b.get(i + 1) == Some(&b'}') => return Ok(i),
            _ => {}
        }
        i += 1;
    }
    Err(match open.last() {
        Some(&(b'`', at)) => Unclosed::Template(at),
        Some(&(b'$', at)) => Unclosed::Substitution(at),
        _ => Unclosed::Braces,
    })
}

fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> ParseError {
        parse(src).expect_err("must fail")
    }

    #[test]
    fn parses_directives_events_and_templates() {
        let doc = parse(
            r#"<import src="/common/item.axml"/>
<template name="row"><text>{{name}}</text></template>
<view class="list {{cls}}" onTap="go" data-id="{{id}}">
  <view a:for="{{items}}" a:for-item="it" a:key="id"><text>{{it.name}}</text></view>
  <text a:if="{{n > 1}}">many</text>
  <text a:elif="{{n == 1}}">one</text>
  <text a:else>none</text>
  <input disabled value="{{ {a: {b: 1}}.a.b }}" />
</view>"#,
        )
        .expect("parses");
        assert_eq!(
            doc.imports,
            vec![("/common/item.axml".to_string(), Pos { line: 1, col: 1 })]
        );
        assert!(doc.templates.contains_key("row"));
        let Node::Element(root) = &doc.nodes[0] else {
            panic!("element")
        };
        assert_eq!(root.pos, Pos { line: 3, col: 1 });
        assert_eq!(root.attrs.len(), 3);
        let Node::Element(list) = &root.children[0] else {
            panic!("element")
        };
        let f = list.for_loop.as_ref().expect("for");
        assert_eq!((f.item.as_str(), f.index.as_str()), ("it", "index"));
        assert_eq!(list.key, Some(Key::Field("id".into())));
        let Node::Element(input) = &root.children[4] else {
            panic!("element")
        };
        assert_eq!(input.attrs[0].value, None);
    }

    #[test]
    fn errors_name_line_and_column() {
        // A custom tag is no error here: it is listed, with its place, for
        // the renderer to resolve or refuse.
        let doc = parse("<view>\n  <foo/>\n</view>").expect("custom tag");
        assert_eq!(
            doc.custom,
            vec![("foo".to_owned(), Pos { line: 2, col: 3 })]
        );
        let e = err("<view>\n  <text>{{ a + }}</text>\n</view>");
        assert_eq!(e.pos.line, 2);
        assert!(e.message.starts_with("in expression"), "{}", e.message);
        let e = err("<view class=\"a\"");
        assert_eq!(
            (e.pos, e.message.as_str()),
            (
                Pos { line: 1, col: 1 },
                "the start tag <view> is cut off at the end of the file"
            )
        );
        let e = err("<view a:else></view>");
        assert_eq!(e.message, "a:elif or a:else without a preceding a:if");
        let e = err(r#"<view class="a" class="b"/>"#);
        assert_eq!(e.message, "attribute class is given twice");
        let e = err("<view>{{ open </view>");
        assert_eq!(e.message, "`{{` is never closed");
        let e = err(r#"<view class=a class=b/>"#);
        assert_eq!(
            (e.pos, e.message.as_str()),
            (Pos { line: 1, col: 15 }, "attribute class is given twice")
        );
        let e = err(r#"<view class="a" class/>"#);
        assert_eq!(e.message, "attribute class is given twice");
        assert!(err(&"<view>".repeat(120))
            .message
            .contains("nested too deeply"));
        parse(&format!("{}{}", "<view>".repeat(90), "</view>".repeat(90)))
            .expect("90 levels are fine");
    }

    /// The hostile pages of issue 21: a `{{ }}` chain of 25,000 links (a
    /// 75 KB file) or of 25,000 sums is an error at its line and column,
    /// on a 1 MB stack, not an overflow that takes the process down.
    #[test]
    fn endless_chains_in_a_page_are_errors_with_their_position() {
        for body in [
            format!("a{}", ".b".repeat(25_000)),
            format!("1{}", "+1".repeat(25_000)),
        ] {
            let src = format!("<view>\n  <text>{{{{ {body} }}}}</text>\n</view>");
            let e = std::thread::Builder::new()
                .stack_size(1 << 20)
                .spawn(move || parse(&src).expect_err("too long"))
                .expect("thread")
                .join()
                .expect("no stack overflow");
            assert_eq!(e.pos.line, 2);
            assert!(e.pos.col > 500, "where the chain grew too tall: {}", e.pos);
            assert!(
                e.message
                    .starts_with("in expression: expression too long: more than 256"),
                "{e}"
            );
        }
    }

    fn el(n: &Node) -> &Element {
        match n {
            Node::Element(e) => e,
            Node::Text(..) => panic!("an element, not {n:?}"),
        }
    }

    fn warnings(doc: &Document) -> Vec<String> {
        doc.warnings.iter().map(ToString::to_string).collect()
    }

    fn expr(src: &str) -> Expr {
        expr::parse(src).expect("expression")
    }

    fn at(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    /// A10.1: after `name=`, a value without quotes runs to whitespace,
    /// `>` or `/>`, a `{{ }}` in it taken whole.
    #[test]
    fn unquoted_values_are_single_values_with_a_warning() {
        let doc = parse(
            "<view a:for={{list}} data-k={{item.k}} scroll-x={{true}} id=cell-{{i}} class= hidden>\n\
             <text title={{ n > 1 ? \"many items\" : 'one' }}>x</text>\n\
             <image src=/img/a.png/><template is=row data={{a:a, b:b}}/>\n\
             </view>",
        )
        .expect("parses");
        let view = el(&doc.nodes[0]);
        let f = view.for_loop.as_ref().expect("a:for");
        assert_eq!(
            f.list,
            vec![Part::Expr(expr("list"), at(1, 13))],
            "a:for={{{{list}}}}"
        );
        let value = |e: &Element, name: &str| e.attr(name).expect(name).value.clone();
        assert_eq!(
            value(view, "data-k"),
            Some(vec![Part::Expr(expr("item.k"), at(1, 29))])
        );
        assert_eq!(
            value(view, "scroll-x"),
            Some(vec![Part::Expr(expr("true"), at(1, 49))])
        );
        assert_eq!(
            value(view, "id"),
            Some(vec![
                Part::Lit("cell-".into()),
                Part::Expr(expr("i"), at(1, 66))
            ])
        );
        assert_eq!(value(view, "class"), Some(vec![]), "`class=` then a space");
        assert_eq!(value(view, "hidden"), None, "a bare attribute after it");
        let text = el(&view.children[0]);
        assert_eq!(
            value(text, "title"),
            Some(vec![Part::Expr(
                expr("n > 1 ? \"many items\" : 'one'"),
                at(2, 13)
            )])
        );
        assert_eq!(text.children.len(), 1);
        let image = el(&view.children[1]);
        assert_eq!(image.literal("src"), Some("/img/a.png"));
        assert!(image.children.is_empty(), "`/>` ends the value and the tag");
        let t = el(&view.children[2]);
        assert_eq!(t.literal("is"), Some("row"));
        assert!(matches!(
            value(t, "data").as_deref(),
            Some([Part::Expr(Expr::Object(parts), _)]) if parts.len() == 2
        ));
        assert_eq!(
            warnings(&doc),
            [
                "1:13: unquoted attribute value for \"a:for\"",
                "1:29: unquoted attribute value for \"data-k\"",
                "1:49: unquoted attribute value for \"scroll-x\"",
                "1:61: unquoted attribute value for \"id\"",
                "1:72: attribute \"class\" has nothing after `=`; it is \"\"",
                "2:13: unquoted attribute value for \"title\"",
                "3:12: unquoted attribute value for \"src\"",
                "3:37: unquoted attribute value for \"is\"",
                "3:46: unquoted attribute value for \"data\"",
            ]
        );
        // Quoted values, spaces around `=` included, warn about nothing.
        let doc = parse(r#"<view class = "a" id='b' hidden/>"#).expect("parses");
        assert_eq!(el(&doc.nodes[0]).literal("class"), Some("a"));
        assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
        // `name=` at `>` or `/>` is empty too.
        let doc = parse(r#"<view class=><text id=/></view>"#).expect("parses");
        assert_eq!(el(&doc.nodes[0]).literal("class"), Some(""));
        assert_eq!(el(&el(&doc.nodes[0]).children[0]).literal("id"), Some(""));
        assert_eq!(doc.warnings.len(), 2);
        // A `{{` never closed in an unquoted value is still an error.
        let e = err("<view a:for={{list>\n</view>");
        assert_eq!(
            (e.pos, e.message.as_str()),
            (at(1, 13), "`{{` is never closed")
        );
    }

    /// A10.2: the three forms of `a:key`.
    #[test]
    fn key_forms() {
        let doc = parse(
            r#"<view a:for="{{a}}" a:key="id"/><view a:for="{{a}}" a:key="*this"/><view a:for="{{a}}" a:key=" {{it.id + i}} " a:for-item="it" a:for-index="i"/><view a:for="{{a}}" a:key="k-{{item}}"/><view a:for="{{a}}" a:key=""/>"#,
        )
        .expect("parses");
        let keys: Vec<_> = doc.nodes.iter().map(|n| el(n).key.clone()).collect();
        assert_eq!(
            keys,
            [
                Some(Key::Field("id".into())),
                Some(Key::This),
                Some(Key::Expr(vec![
                    Part::Lit(" ".into()),
                    Part::Expr(expr("it.id + i"), at(1, 96)),
                    Part::Lit(" ".into()),
                ])),
                Some(Key::Expr(vec![
                    Part::Lit("k-".into()),
                    Part::Expr(expr("item"), at(1, 174))
                ])),
                None,
            ]
        );
        assert_eq!(warnings(&doc), ["1:205: a:key is empty; it is ignored"]);
        let doc = parse(r#"<view a:for="{{a}}" a:key="{{item.id}}"/>"#).expect("parses");
        assert_eq!(
            el(&doc.nodes[0]).key,
            Some(Key::Expr(vec![Part::Expr(expr("item.id"), at(1, 28))]))
        );
        assert!(doc.warnings.is_empty());
    }

    /// A10.3: unknown `a:` directives are dropped with a warning.
    #[test]
    fn unknown_directives_are_ignored_with_a_warning() {
        let doc = parse("<view a:for=\"{{l}}\" a:index=\"{{i}}\" class=\"c\"\n  a:foo>x</view>")
            .expect("parses");
        let view = el(&doc.nodes[0]);
        let names: Vec<&str> = view.attrs.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["class"]);
        assert!(view.for_loop.is_some());
        assert_eq!(
            warnings(&doc),
            [
                "1:21: unknown directive \"a:index\"; it is ignored",
                "2:3: unknown directive \"a:foo\"; it is ignored",
            ]
        );
    }

    /// A10.4: elements open at the end of the file close there, with one
    /// warning for the outermost; a cut-off end tag counts.
    #[test]
    fn the_end_of_the_file_closes_open_elements() {
        let doc = parse("<view class=\"a\">\n  <text>hi\n  <view/>").expect("parses");
        assert_eq!(doc.nodes.len(), 1);
        let view = el(&doc.nodes[0]);
        assert_eq!(view.children.len(), 1);
        let text = el(&view.children[0]);
        assert_eq!(&*text.tag, "text");
        assert!(
            matches!(&text.children[..], [Node::Text(..), Node::Element(v)] if &*v.tag == "view")
        );
        assert_eq!(
            warnings(&doc),
            ["1:1: <view> is never closed; the end of the file closes it"]
        );
        // `</view` without its `>`: that end tag, cut off.
        let doc = parse("<view><text>hi</text>\n</view").expect("parses");
        assert_eq!(el(&doc.nodes[0]).children.len(), 1);
        assert_eq!(
            warnings(&doc),
            ["2:1: end tag </view> is cut off at the end of the file"]
        );
        // Cut off, and naming an element further out.
        let doc = parse("<view><text>hi</view  ").expect("parses");
        assert_eq!(
            warnings(&doc),
            [
                "1:15: end tag </view> is cut off at the end of the file",
                "1:15: </view> closes <text> opened at 1:7, which has no end tag",
            ]
        );
        // Well-formed files warn about nothing.
        let doc = parse("<view><text>hi</text></view>").expect("parses");
        assert!(doc.warnings.is_empty());
    }

    /// A10.5: an end tag closes what is open inside the element it names;
    /// one that names nothing open is ignored.
    #[test]
    fn mismatched_and_stray_end_tags() {
        let doc = parse("<view>\n<text>hi</view><view id=\"next\"/>").expect("parses");
        assert_eq!(doc.nodes.len(), 2, "{:?}", doc.nodes);
        let view = el(&doc.nodes[0]);
        assert_eq!(&*el(&view.children[0]).tag, "text");
        assert_eq!(el(&doc.nodes[1]).literal("id"), Some("next"));
        assert_eq!(
            warnings(&doc),
            ["2:9: </view> closes <text> opened at 2:1, which has no end tag"]
        );
        // Several levels at once: one warning, naming the outermost closed.
        let doc = parse("<view><block><view><text>x</block>y</view>").expect("parses");
        let block = el(&el(&doc.nodes[0]).children[0]);
        assert_eq!(&*block.tag, "block");
        assert!(
            matches!(&el(&doc.nodes[0]).children[1], Node::Text(p, _) if p == &[Part::Lit("y".into())])
        );
        assert_eq!(
            warnings(&doc),
            ["1:27: </block> closes <view> opened at 1:14, which has no end tag"]
        );
        // Stray end tags, inside an element and at the top.
        let doc = parse("<view></text>a</view>\n</view>").expect("parses");
        assert!(
            matches!(&el(&doc.nodes[0]).children[..], [Node::Text(p, _)] if p == &[Part::Lit("a".into())])
        );
        assert_eq!(
            warnings(&doc),
            [
                "1:7: </text> has no opening tag; it is ignored",
                "2:1: </view> has no opening tag; it is ignored",
            ]
        );
    }

    /// A10.6: template literals inside `{{ }}`, whose text may hold `}}`,
    /// quotes and backticks escaped.
    #[test]
    fn template_literals_in_interpolations() {
        use crate::expr::TemplatePart as T;
        let doc = parse(
            "<text>{{`${a}-${b}`}}</text><view class=\"{{ `x ${ c ? `y${d}` : {k: 1}.k } }}` }}\"/><text>{{`\\``}}</text>",
        )
        .expect("parses");
        let Node::Text(parts, _) = &el(&doc.nodes[0]).children[0] else {
            panic!("text")
        };
        assert_eq!(
            parts,
            &[Part::Expr(
                Expr::Template(vec![
                    T::Expr(expr("a")),
                    T::Str("-".into()),
                    T::Expr(expr("b")),
                ]),
                at(1, 7)
            )]
        );
        let class = el(&doc.nodes[1]).attr("class").expect("class");
        let Some([Part::Expr(Expr::Template(t), _)]) = class.value.as_deref() else {
            panic!("{class:?}")
        };
        assert_eq!(t.len(), 3, "{t:?}");
        assert_eq!(t[2], T::Str(" }}".into()));
        assert!(doc.warnings.is_empty());
    }

    /// A10.7: self-closing tags, with and without a space, on every kind
    /// of element the parser knows.
    #[test]
    fn self_closing_tags() {
        let doc = parse(
            r#"<import src="a"/><template name="t"><text /></template><view/><text /><block/><slot name="x"/><include src="b" /><template is="t"/><input disabled/><view a:if="{{x}}"/><view a:else />"#,
        )
        .expect("parses");
        let tags: Vec<&str> = doc.nodes.iter().map(|n| &*el(n).tag).collect();
        assert_eq!(
            tags,
            ["view", "text", "block", "slot", "include", "template", "input", "view", "view"]
        );
        assert!(doc.nodes.iter().all(|n| el(n).children.is_empty()));
        assert_eq!(doc.imports.len(), 1);
        assert_eq!(doc.templates["t"].len(), 1);
        assert_eq!(el(&doc.nodes[6]).attrs[0].value, None);
        assert!(doc.warnings.is_empty());
        // Custom tags are B1's: listed with where each first appears, for
        // whoever renders the file to resolve; a name no usingComponents
        // key can be is refused here.
        let doc =
            parse("<view><my-comp/>\n<my-comp a='1'/><Card_2></Card_2></view>").expect("custom");
        assert_eq!(
            doc.custom,
            vec![
                ("my-comp".to_owned(), at(1, 7)),
                ("Card_2".to_owned(), at(2, 17))
            ]
        );
        assert_eq!(err("<my.comp/>").message, "unknown component <my.comp>");
    }

    /// A10.8: what stays an error, with its position.
    #[test]
    fn still_errors() {
        let e = err("<view>\n  <text>{{ price.format(2) }}</text>\n</view>");
        assert_eq!(e.pos, at(2, 24));
        assert!(
            e.message
                .starts_with("in expression: `format(…)`: templates cannot call this"),
            "{}",
            e.message
        );
        let e = err(r#"<view class="{{`${a}-${b"/>"#);
        assert_eq!(
            (e.pos, e.message.as_str()),
            (at(1, 22), "`${` is never closed")
        );
        // A backtick inside `${` opens a nested literal, as in JS.
        let e = err("<text>{{ `${a}-${b` }}</text>");
        assert_eq!(
            (e.pos, e.message.as_str()),
            (
                at(1, 19),
                "template literal is never closed (no closing backtick)"
            )
        );
        let e = err("<text>{{ `abc }}</text>");
        assert_eq!(
            (e.pos, e.message.as_str()),
            (
                at(1, 10),
                "template literal is never closed (no closing backtick)"
            )
        );
        let e = err("<text>{{ `${}` }}</text>");
        assert_eq!(
            (e.pos, e.message.as_str()),
            (at(1, 13), "in expression: unexpected `}`")
        );
        let e = err("<text>\n{{ a b }}</text>");
        assert_eq!(
            (e.pos, e.message.as_str()),
            (
                at(2, 6),
                "in expression: unexpected text after the expression"
            )
        );
        let e = err("<text>{{ a </text>");
        assert_eq!(
            (e.pos, e.message.as_str()),
            (at(1, 7), "`{{` is never closed")
        );
        let e = err(r#"<text a:for={{x}} id="a" id=b/>"#);
        assert_eq!(
            (e.pos, e.message.as_str()),
            (at(1, 26), "attribute id is given twice")
        );
    }

    /// Runs `f` on a thread with a 1 MB stack.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(f)
            .expect("thread")
            .join()
            .expect("no stack overflow")
    }

    /// Hostile input for the new forms: each a clear error or a bounded
    /// list of warnings, on a 1 MB stack.
    #[test]
    fn hostile_lenient_input_is_bounded() {
        // Template literals nested 10,000 deep.
        let e = on_small_stack(|| {
            let body = format!("{}a{}", "`${".repeat(10_000), "}`".repeat(10_000));
            parse(&format!("<text>\n{{{{{body}}}}}</text>")).expect_err("too deep")
        });
        assert_eq!(e.pos.line, 2);
        assert!(
            e.message
                .starts_with("in expression: expression nested too deeply (more than 64"),
            "{e}"
        );
        // 100,000 `<view>` never closed: the depth limit, not a recursion.
        let e = on_small_stack(|| parse(&"<view>".repeat(100_000)).expect_err("too deep"));
        assert!(e.message.contains("nested too deeply"), "{e}");
        // 100,000 unclosed within the limit, side by side.
        let doc = on_small_stack(|| parse(&"<view><text>".repeat(50_000)).expect_err("deep"));
        assert!(doc.message.contains("nested too deeply"), "{doc}");
        // 100,000 stray end tags and unquoted values: warnings stop at the cap.
        let doc = parse(&"</x><view id=a/>".repeat(100_000)).expect("parses");
        assert_eq!(doc.nodes.len(), 100_000);
        assert_eq!(doc.warnings.len(), MAX_WARNINGS + 1);
        assert_eq!(
            doc.warnings[MAX_WARNINGS].message,
            "more than 100 warnings; the rest are left out"
        );
        // A backtick never closed, with 100,000 `${` in it.
        let e = parse(&format!("<text>{{{{`{}</text>", "${".repeat(100_000))).expect_err("open");
        assert_eq!(
            e.message, "`{{` is never closed",
            "`${{${{` is a `${{` and a brace"
        );
        let e = parse(&format!("<text>{{{{`{}", "${`".repeat(100_000))).expect_err("open");
        assert_eq!(
            e.message,
            "template literal is never closed (no closing backtick)"
        );
        let e =
            parse(&format!("<text>{{{{ {} }}}}</text>", "`".repeat(100_001))).expect_err("open");
        assert_eq!(
            e.message,
            "template literal is never closed (no closing backtick)"
        );
        // An unterminated `${` in a quoted value, and 100,000 `{{` unquoted.
        let e = err(r#"<view class="{{`${a"/>"#);
        assert_eq!(e.message, "`${` is never closed");
        let e = err(&format!("<view id={}/>", "{{".repeat(100_000)));
        assert_eq!(e.message, "`{{` is never closed");
    }

    /// The warnings of a page with every lenient form, as a list.
    #[test]
    fn warnings_snapshot() {
        let doc = parse(
            "<view a:for={{rows}} a:index=\"{{i}}\" class=>\n  <text>{{item}}</block>\n</x>\n<view><text>t</view>",
        )
        .expect("parses");
        insta::assert_snapshot!(warnings(&doc).join("\n"), @r#"
        1:13: unquoted attribute value for "a:for"
        1:22: unknown directive "a:index"; it is ignored
        1:38: attribute "class" has nothing after `=`; it is ""
        2:17: </block> has no opening tag; it is ignored
        3:1: </x> has no opening tag; it is ignored
        4:14: </view> closes <text> opened at 4:7, which has no end tag
        1:1: <view> is never closed; the end of the file closes it
        "#);
    }

    #[test]
    fn columns_count_characters() {
        let doc = parse("<text>héllo</text><bad/>").expect("custom tag");
        assert_eq!(doc.custom[0].1, Pos { line: 1, col: 19 });
        let e = err("<text>héllo</text><b.d/>");
        assert_eq!(e.pos, Pos { line: 1, col: 19 });
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(src in "[<>/a-z =\"'{}!:.`$\\-\n]{0,80}") {
            let _ = parse(&src);
        }
    }
}
