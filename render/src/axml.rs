//! The AXML parser: XML-like templates with `{{ }}` interpolation and `a:`
//! directives. Every node and error carries its line and column.

use super::expr::{self, Expr};
use std::collections::BTreeMap;
use std::fmt;

/// Components a template may use. Anything else is an error with its position.
pub const COMPONENTS: &[&str] = &[
    "view",
    "text",
    "button",
    "image",
    "input",
    "textarea",
    "scroll-view",
    "swiper",
    "swiper-item",
    "navigator",
    "icon",
    "checkbox",
    "checkbox-group",
    "radio",
    "radio-group",
    "switch",
    "slider",
    "form",
    "label",
    "picker",
    "block",
    "template",
    "import",
    "include",
    "slot",
];

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
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
    /// `a:key`: a property of the item, or `*this`.
    pub key: Option<String>,
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
}

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 96;

struct P<'a> {
    src: &'a str,
    pos: usize,
    line_starts: Vec<usize>,
}

/// Parses a whole file.
pub fn parse(src: &str) -> Result<Document, ParseError> {
    let mut line_starts = vec![0];
    line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
    let mut p = P {
        src,
        pos: 0,
        line_starts,
    };
    let mut doc = Document::default();
    let nodes = p.children(None, 0, &mut doc)?;
    doc.nodes = nodes;
    Ok(doc)
}

impl<'a> P<'a> {
    fn at(&self, offset: usize) -> Pos {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self.src.get(start..offset).map_or(0, |s| s.chars().count());
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
                return match close {
                    Some((tag, at)) => Err(self.err(at, format!("<{tag}> is never closed"))),
                    None => Ok(out),
                };
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
                if !self.rest().starts_with('>') {
                    return Err(self.err(self.pos, "expected `>`"));
                }
                self.pos += 1;
                return match close {
                    Some((tag, _)) if tag == name => Ok(out),
                    Some((tag, open_at)) => Err(self.err(
                        at,
                        format!(
                            "</{name}> does not match <{tag}> opened at {}",
                            self.at(open_at)
                        ),
                    )),
                    None => Err(self.err(at, format!("</{name}> has no opening tag"))),
                };
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
            return Err(self.err(open, format!("unknown component <{tag}>")));
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
                el.children = self.children(Some((&tag, open)), depth + 1, doc)?;
                break;
            }
            if r.is_empty() {
                return Err(self.err(open, format!("<{}> is never closed", el.tag)));
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
                self.skip_ws();
                let q = self
                    .rest()
                    .chars()
                    .next()
                    .filter(|c| *c == '"' || *c == '\'');
                let q =
                    q.ok_or_else(|| self.err(self.pos, format!("value of {name} must be quoted")))?;
                let start = self.pos + 1;
                let len = self.src[start..].find(q).ok_or_else(|| {
                    self.err(self.pos, format!("value of {name} is never closed"))
                })?;
                let parts = self.interpolate(start, start + len)?;
                self.pos = start + len + 1;
                Some(parts)
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
                "a:key" => el.key = Some(literal(need(value, self)?, self, at)?),
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
        Ok(el)
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
            let close = find_close(&text[body_start..])
                .ok_or_else(|| self.err(start + open, "`{{` is never closed"))?;
            let body = &text[body_start..body_start + close];
            // `{{...item}}` and `{{a: 1}}` (template data) are object bodies without braces.
            let e = expr::parse(body.trim())
                .or_else(|first| expr::parse_object_body(body.trim()).map_err(|_| first))
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

/// Finds the `}}` that closes an interpolation, skipping strings and nested braces.
fn find_close(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let (mut depth, mut i, mut quote) = (0i32, 0usize, None::<u8>);
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'\'' | b'"' => quote = Some(c),
                b'{' => depth += 1,
                b'}' if depth > 0 => depth -= 1,
                b'}' if b.get(i + 1) == Some(&b'}') => return Some(i),
                _ => {}
            },
        }
        i += 1;
    }
    None
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
        assert_eq!(list.key.as_deref(), Some("id"));
        let Node::Element(input) = &root.children[4] else {
            panic!("element")
        };
        assert_eq!(input.attrs[0].value, None);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = err("<view>\n  <foo/>\n</view>");
        assert_eq!(
            (e.pos, e.message.as_str()),
            (Pos { line: 2, col: 3 }, "unknown component <foo>")
        );
        let e = err("<view>\n<text>hi</view>");
        assert_eq!(e.pos, Pos { line: 2, col: 9 });
        assert!(
            e.message.contains("does not match <text> opened at 2:1"),
            "{}",
            e.message
        );
        let e = err("<view>\n  <text>{{ a + }}</text>\n</view>");
        assert_eq!(e.pos.line, 2);
        assert!(e.message.starts_with("in expression"), "{}", e.message);
        let e = err("<view>");
        assert_eq!(
            (e.pos, e.message.as_str()),
            (Pos { line: 1, col: 1 }, "<view> is never closed")
        );
        let e = err("<view a:else></view>");
        assert_eq!(e.message, "a:elif or a:else without a preceding a:if");
        let e = err(r#"<view class="a" class="b"/>"#);
        assert_eq!(e.message, "attribute class is given twice");
        let e = err("<view>{{ open </view>");
        assert_eq!(e.message, "`{{` is never closed");
        let e = err(r#"<view class=a/>"#);
        assert_eq!(e.message, "value of class must be quoted");
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

    #[test]
    fn columns_count_characters() {
        let e = err("<text>héllo</text><bad/>");
        assert_eq!(e.pos, Pos { line: 1, col: 19 });
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(src in "[<>/a-z =\"'{}!:.\\-\n]{0,80}") {
            let _ = parse(&src);
        }
    }
}
