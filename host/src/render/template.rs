//! Rendering a parsed document with page data into virtual DOM nodes.

use super::axml::{Cond, Document, Element, Node, Part, Pos};
use super::expr::{eval, to_text, truthy, Scope};
use super::vdom::VNode;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Most elements one page may render; a hostile template cannot exhaust memory.
pub const MAX_NODES: usize = 100_000;
/// Deepest template-in-template nesting.
const MAX_TEMPLATE_DEPTH: usize = 32;

/// Loads another `.axml` of the bundle by normalised path (for import and include).
pub trait Loader {
    /// The parsed document at `path`, or a message saying why not.
    fn load(&self, path: &str) -> Result<Arc<Document>, String>;
}

/// A rendering failure, with the file and position it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    /// The `.axml` file.
    pub file: String,
    /// Where in it.
    pub pos: Pos,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.pos, self.message)
    }
}

/// Resolves `src` against the file that names it; `None` when it leaves the bundle.
pub fn resolve(current: &str, src: &str) -> Option<String> {
    let mut parts: Vec<&str> = if src.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = current.split('/').collect();
        p.pop();
        p
    };
    for seg in src.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if !out.ends_with(".axml") {
        out.push_str(".axml");
    }
    mpkit_bundle::path::check(&out).ok()?;
    Some(out)
}

/// Names bound on top of another scope (a:for items, template data).
struct Vars<'a> {
    vars: Vec<(String, Value)>,
    parent: Option<&'a dyn Scope>,
}

impl Scope for Vars<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .or_else(|| self.parent.and_then(|p| p.get(name)))
    }
}

/// Renders one page.
#[allow(missing_debug_implementations)]
pub struct Renderer<'a> {
    loader: &'a dyn Loader,
    /// px per rpx: screen width / 750.
    rpx: f64,
    nodes: usize,
}

impl<'a> Renderer<'a> {
    /// A renderer for a screen `screen_width` px wide.
    pub fn new(loader: &'a dyn Loader, screen_width: f64) -> Renderer<'a> {
        Renderer {
            loader,
            rpx: screen_width / 750.0,
            nodes: 0,
        }
    }

    /// Renders `doc` (read from `file`) with `data`.
    pub fn render(
        &mut self,
        doc: &Document,
        file: &str,
        data: &Value,
    ) -> Result<Vec<VNode>, RenderError> {
        self.nodes = 0;
        let mut templates = BTreeMap::new();
        self.collect_templates(doc, file, &mut templates, 0)?;
        let cx = Cx {
            file,
            templates: &templates,
            depth: 0,
        };
        let mut out = Vec::new();
        self.nodes_into(&doc.nodes, data, &cx, &mut out)?;
        Ok(out)
    }

    fn collect_templates(
        &self,
        doc: &Document,
        file: &str,
        into: &mut BTreeMap<String, (String, Vec<Node>)>,
        depth: usize,
    ) -> Result<(), RenderError> {
        if depth > 8 {
            return Err(err(file, Pos::default(), "imports nested too deeply"));
        }
        for (src, pos) in &doc.imports {
            let path = resolve(file, src)
                .ok_or_else(|| err(file, *pos, format!("import {src:?} leaves the bundle")))?;
            let imported = self
                .loader
                .load(&path)
                .map_err(|m| err(file, *pos, format!("import {src:?}: {m}")))?;
            // Imports are not transitive for templates' users, but a file's own imports serve its templates.
            self.collect_templates(&imported, &path, into, depth + 1)?;
        }
        for (name, nodes) in &doc.templates {
            into.insert(name.clone(), (file.to_owned(), nodes.clone()));
        }
        Ok(())
    }

    fn nodes_into(
        &mut self,
        nodes: &[Node],
        scope: &dyn Scope,
        cx: &Cx<'_>,
        out: &mut Vec<VNode>,
    ) -> Result<(), RenderError> {
        // Whether the current a:if chain has already rendered a branch.
        let mut chain_taken = false;
        for node in nodes {
            match node {
                Node::Text(parts, _) => {
                    chain_taken = false;
                    let text = self.text(parts, scope);
                    if !text.is_empty() {
                        out.push(VNode::Text { text });
                    }
                }
                Node::Element(el) => {
                    if el.for_loop.is_some() {
                        chain_taken = false;
                        self.for_into(el, scope, cx, out)?;
                        continue;
                    }
                    let show = match &el.cond {
                        None => {
                            chain_taken = false;
                            true
                        }
                        Some(Cond::If(p)) => {
                            chain_taken = truthy(&self.value(p, scope));
                            chain_taken
                        }
                        Some(Cond::Elif(p)) => {
                            if chain_taken {
                                false
                            } else {
                                chain_taken = truthy(&self.value(p, scope));
                                chain_taken
                            }
                        }
                        Some(Cond::Else) => {
                            let show = !chain_taken;
                            chain_taken = true;
                            show
                        }
                    };
                    if show {
                        self.element_into(el, scope, cx, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn for_into(
        &mut self,
        el: &Element,
        scope: &dyn Scope,
        cx: &Cx<'_>,
        out: &mut Vec<VNode>,
    ) -> Result<(), RenderError> {
        let Some(f) = &el.for_loop else { return Ok(()) };
        let items: Vec<(Value, Value)> = match self.value(&f.list, scope) {
            Value::Array(a) => a
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::from(i), v))
                .collect(),
            Value::Object(o) => o.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
            Value::Number(n) => (0..n.as_u64().unwrap_or(0).min(MAX_NODES as u64))
                .map(|i| (Value::from(i), Value::from(i)))
                .collect(),
            _ => Vec::new(),
        };
        for (index, item) in items {
            let vars = Vars {
                vars: vec![(f.index.clone(), index), (f.item.clone(), item)],
                parent: Some(scope),
            };
            let show = match &el.cond {
                Some(Cond::If(p)) => truthy(&self.value(p, &vars)),
                _ => true,
            };
            if show {
                self.element_into(el, &vars, cx, out)?;
            }
        }
        Ok(())
    }

    fn element_into(
        &mut self,
        el: &Element,
        scope: &dyn Scope,
        cx: &Cx<'_>,
        out: &mut Vec<VNode>,
    ) -> Result<(), RenderError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(err(
                cx.file,
                el.pos,
                format!("the page renders more than {MAX_NODES} elements"),
            ));
        }
        match el.tag.as_str() {
            "block" => return self.nodes_into(&el.children, scope, cx, out),
            "template" => return self.template_into(el, scope, cx, out),
            "include" => {
                let src = el
                    .literal("src")
                    .ok_or_else(|| err(cx.file, el.pos, "<include> needs a literal src"))?;
                let path = resolve(cx.file, src).ok_or_else(|| {
                    err(
                        cx.file,
                        el.pos,
                        format!("include {src:?} leaves the bundle"),
                    )
                })?;
                let doc = self
                    .loader
                    .load(&path)
                    .map_err(|m| err(cx.file, el.pos, format!("include {src:?}: {m}")))?;
                if cx.depth >= MAX_TEMPLATE_DEPTH {
                    return Err(err(cx.file, el.pos, "includes nested too deeply"));
                }
                let inner = Cx {
                    file: &path,
                    templates: cx.templates,
                    depth: cx.depth + 1,
                };
                return self.nodes_into(&doc.nodes, scope, &inner, out);
            }
            _ => {}
        }
        let mut attrs = BTreeMap::new();
        for a in &el.attrs {
            let mut v = match &a.value {
                None => String::new(),
                Some(parts) => self.text(parts, scope),
            };
            if a.name == "class" {
                v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            } else if a.name == "style" {
                v = super::acss::rpx_to_px(&v, self.rpx);
            }
            attrs.insert(a.name.clone(), v);
        }
        let key = el.key.as_ref().map(|k| {
            if k == "*this" {
                to_text(scope.get(item_name(el)).unwrap_or(&Value::Null))
            } else {
                let item = scope.get(item_name(el)).cloned().unwrap_or(Value::Null);
                to_text(item.get(k).unwrap_or(&Value::Null))
            }
        });
        let mut children = Vec::new();
        self.nodes_into(&el.children, scope, cx, &mut children)?;
        out.push(VNode::Element {
            tag: el.tag.clone(),
            attrs,
            key,
            children,
        });
        Ok(())
    }

    fn template_into(
        &mut self,
        el: &Element,
        scope: &dyn Scope,
        cx: &Cx<'_>,
        out: &mut Vec<VNode>,
    ) -> Result<(), RenderError> {
        let is = el
            .attr("is")
            .and_then(|a| a.value.as_ref())
            .map(|p| self.text(p, scope))
            .ok_or_else(|| err(cx.file, el.pos, "<template> needs name or is"))?;
        let (file, nodes) = cx.templates.get(&is).ok_or_else(|| {
            err(
                cx.file,
                el.pos,
                format!("template {is:?} is not defined or imported"),
            )
        })?;
        if cx.depth >= MAX_TEMPLATE_DEPTH {
            return Err(err(cx.file, el.pos, "templates nested too deeply"));
        }
        let data = match el.attr("data").and_then(|a| a.value.as_ref()) {
            Some(p) => self.value(p, scope),
            None => Value::Object(Default::default()),
        };
        let inner = Cx {
            file,
            templates: cx.templates,
            depth: cx.depth + 1,
        };
        self.nodes_into(nodes, &data, &inner, out)
    }

    /// A single `{{expr}}` keeps its value; anything else is text.
    fn value(&self, parts: &[Part], scope: &dyn Scope) -> Value {
        match parts {
            [Part::Expr(e, _)] => eval(e, scope),
            _ => Value::String(self.text(parts, scope)),
        }
    }

    fn text(&self, parts: &[Part], scope: &dyn Scope) -> String {
        let mut s = String::new();
        for p in parts {
            match p {
                Part::Lit(t) => s.push_str(t),
                Part::Expr(e, _) => s.push_str(&to_text(&eval(e, scope))),
            }
        }
        s
    }
}

fn item_name(el: &Element) -> &str {
    el.for_loop.as_ref().map_or("item", |f| f.item.as_str())
}

struct Cx<'a> {
    file: &'a str,
    templates: &'a BTreeMap<String, (String, Vec<Node>)>,
    depth: usize,
}

fn err(file: &str, pos: Pos, m: impl Into<String>) -> RenderError {
    RenderError {
        file: file.to_owned(),
        pos,
        message: m.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::axml::parse;
    use serde_json::json;
    use std::collections::HashMap;

    struct Files(HashMap<String, Arc<Document>>);
    impl Loader for Files {
        fn load(&self, path: &str) -> Result<Arc<Document>, String> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| format!("no file {path}"))
        }
    }

    fn render(src: &str, data: Value) -> Vec<VNode> {
        let files = Files(HashMap::from([(
            "common/row.axml".to_string(),
            Arc::new(parse(r#"<template name="row"><text class="row">{{name}}:{{price}}</text></template>"#).expect("row")),
        )]));
        let doc = parse(src).expect("parses");
        Renderer::new(&files, 375.0)
            .render(&doc, "pages/index/index.axml", &data)
            .expect("renders")
    }

    fn html(nodes: &[VNode]) -> String {
        serde_json::to_string(nodes).expect("json")
    }

    #[test]
    fn conditions_loops_templates_and_bindings() {
        let out = render(
            r#"<import src="../../common/row"/>
<view class=" list  {{cls}} " style="width: 750rpx; margin: 20rpx">
  <block a:for="{{items}}" a:for-item="it" a:for-index="i">
    <view a:key="id" data-index="{{i}}" onTap="pick"><template is="row" data="{{...it}}"/></view>
  </block>
  <text a:if="{{items.length > 5}}">many</text>
  <text a:elif="{{items.length > 1}}">some</text>
  <text a:else>few</text>
</view>"#,
            json!({"cls": "dark", "items": [{"id": "a", "name": "Latte", "price": 4}, {"id": "b", "name": "Mocha", "price": 5}]}),
        );
        let VNode::Element {
            attrs, children, ..
        } = &out[0]
        else {
            panic!("element")
        };
        assert_eq!(attrs["class"], "list dark");
        assert_eq!(attrs["style"], "width: 375px; margin: 10px");
        assert_eq!(children.len(), 3);
        let VNode::Element {
            attrs,
            children: row,
            ..
        } = &children[1]
        else {
            panic!("element")
        };
        assert_eq!(attrs["data-index"], "1");
        assert_eq!(attrs["onTap"], "pick");
        assert!(html(row).contains("Mocha:5"), "{}", html(row));
        assert!(html(&children[2..]).contains("some"));
    }

    #[test]
    fn keys_come_from_items() {
        let out = render(
            r#"<view a:for="{{list}}" a:key="id">{{item.id}}</view><view a:for="{{tags}}" a:key="*this">{{item}}</view>"#,
            json!({"list": [{"id": 7}], "tags": ["x"]}),
        );
        assert!(matches!(&out[0], VNode::Element { key: Some(k), .. } if k == "7"));
        assert!(matches!(&out[1], VNode::Element { key: Some(k), .. } if k == "x"));
    }

    #[test]
    fn errors_carry_file_and_position() {
        let files = Files(HashMap::new());
        let doc = parse("<view>\n  <template is=\"nope\"/>\n</view>").expect("parses");
        let e = Renderer::new(&files, 375.0)
            .render(&doc, "pages/a/a.axml", &json!({}))
            .expect_err("missing template");
        assert_eq!(
            (e.file.as_str(), e.pos),
            ("pages/a/a.axml", Pos { line: 2, col: 3 })
        );
        assert!(e.message.contains("\"nope\" is not defined"));
        let doc = parse("<include src=\"../../../../etc/passwd\"/>").expect("parses");
        let e = Renderer::new(&files, 375.0)
            .render(&doc, "pages/a/a.axml", &json!({}))
            .expect_err("escape");
        assert!(e.message.contains("leaves the bundle"), "{}", e.message);
    }

    #[test]
    fn hostile_sizes_are_capped() {
        let files = Files(HashMap::new());
        let doc =
            parse(r#"<view a:for="{{1000}}"><view a:for="{{1000}}"><text>x</text></view></view>"#)
                .expect("parses");
        let e = Renderer::new(&files, 375.0)
            .render(&doc, "p.axml", &json!({}))
            .expect_err("too many");
        assert!(e.message.contains("more than 100000 elements"));
        let doc = parse(r#"<template name="t"><template is="t"/></template><template is="t"/>"#)
            .expect("parses");
        let e = Renderer::new(&files, 375.0)
            .render(&doc, "p.axml", &json!({}))
            .expect_err("recursion");
        assert!(e.message.contains("nested too deeply"));
    }

    #[test]
    fn resolves_paths_inside_the_bundle() {
        assert_eq!(
            resolve("pages/a/a.axml", "../b/b"),
            Some("pages/b/b.axml".into())
        );
        assert_eq!(
            resolve("pages/a/a.axml", "/common/x.axml"),
            Some("common/x.axml".into())
        );
        assert_eq!(resolve("pages/a/a.axml", "../../../x"), None);
    }
}
