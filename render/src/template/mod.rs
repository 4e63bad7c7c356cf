//! Rendering a parsed document with page data into virtual DOM nodes.

use super::axml::{Cond, Document, Element, ForLoop, Key, Node, Part, Pos};
use super::expr::{eval, eval_opt, js_string, member_opt, truthy, Expr, Scope};
use super::vdom::VNode;
pub use crate::budget::Budget;
use crate::cache::{write_form, Memo};
pub use crate::cache::{Changes, RenderCache};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

mod custom;
mod loops;
mod sjs;
pub use sjs::Sjs;
use sjs::SjsScope;

/// Most elements one page may render; a hostile template cannot exhaust memory.
pub const MAX_NODES: usize = 100_000;
/// Most texts one page may render: two for each element.
pub const MAX_TEXTS: usize = 2 * MAX_NODES;
/// Deepest template-in-template nesting.
const MAX_TEMPLATE_DEPTH: usize = 32;
/// Deepest element nesting of a rendered page, counting the elements of
/// templates and includes where they are used: the rendered tree, the diff
/// and every walk of the mounted tree (on the host too) recurse this deep at
/// most, which fits a 1 MB stack.
pub const MAX_RENDER_DEPTH: usize = 128;

/// Most render warnings one page reports, over all its renders.
pub const MAX_RENDER_WARNINGS: usize = 100;

/// Something a render accepted though it is wrong, such as an `a:key`
/// that repeats: the page renders, and the warning says how. A
/// [`Renderer`] collects them ([`Renderer::take_warnings`]), each place once
/// per page while a [`RenderCache`] is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderWarning {
    /// The `.axml` file.
    pub file: String,
    /// Where in it.
    pub pos: Pos,
    /// What was wrong, and what the render did instead.
    pub message: String,
}

impl fmt::Display for RenderWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.pos, self.message)
    }
}

/// At most 40 characters of `s`, for a message.
fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

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
    /// Whether the render ran out of its [`Budget`] (the app is stopped),
    /// rather than meeting a mistake in the template (the page shows it).
    pub over_budget: bool,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.pos, self.message)
    }
}

/// Resolves an `.axml` reference against the file that names it; `None` when it
/// leaves the bundle.
pub fn resolve(current: &str, src: &str) -> Option<String> {
    let with_ext = if src.ends_with(".axml") {
        src.to_owned()
    } else {
        format!("{src}.axml")
    };
    super::resolve_in_bundle(current, &with_ext)
}

/// Names bound on top of another scope (a:for items, template data).
/// A loop item's scope: its index and item, borrowed, over the enclosing scope.
struct Vars<'a> {
    vars: [(&'a str, &'a Value); 2],
    parent: Option<&'a dyn Scope>,
}

impl Scope for Vars<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .or_else(|| self.parent.and_then(|p| p.get(name)))
    }

    fn call(&self, callee: &[String], args: Vec<Value>) -> Option<Value> {
        self.parent.and_then(|p| p.call(callee, args))
    }
}

/// Renders one page.
#[allow(missing_debug_implementations)]
pub struct Renderer<'a> {
    loader: &'a dyn Loader,
    /// px per rpx: screen width / 750.
    rpx: f64,
    nodes: usize,
    texts: usize,
    cache: Option<RenderCache>,
    next: HashMap<usize, Vec<Option<(String, Memo)>>>,
    changes: Option<Changes>,
    /// Non-zero inside loop items, templates and includes, where one element can
    /// render more than once per page and so cannot be memoised by its identity.
    memo_off: usize,
    /// Where a memoised item's form is written before it is kept.
    scratch: Vec<u8>,
    /// Where one loop item is rendered.
    item_nodes: Vec<VNode>,
    /// How much work this render may still do.
    budget: Budget,
    /// Elements open around the one being rendered.
    level: usize,
    /// The key of the loop item about to be rendered.
    loop_key: Option<String>,
    /// Warnings not yet taken.
    warnings: Vec<RenderWarning>,
    /// Custom tags of the file being rendered: tag → component base path.
    components: Option<&'a std::rc::Rc<HashMap<String, Arc<str>>>>,
    /// Whose template this is: 0 for the page, else the instance's id.
    owner: u64,
    /// When rendering a component instance: what its owner passed it.
    call: Option<&'a std::rc::Rc<crate::component::Call>>,
    /// Who runs sjs functions.
    sjs: Option<&'a dyn Sjs>,
    /// What sjs calls reported since the last look.
    sjs_errors: Rc<std::cell::RefCell<Vec<String>>>,
    /// An instance's `externalClasses`: (name in its template, the classes
    /// its owner passed under that name).
    external: &'a [(String, String)],
    /// An instance's style isolation: the prefix its own class names get,
    /// and whether they keep their names too (see [`Renderer::with_class_scope`]).
    class_scope: Option<(&'a str, bool)>,
}

impl<'a> Renderer<'a> {
    /// A renderer for a screen `screen_width` px wide.
    pub fn new(loader: &'a dyn Loader, screen_width: f64) -> Renderer<'a> {
        Renderer {
            loader,
            rpx: screen_width / 750.0,
            nodes: 0,
            texts: 0,
            cache: None,
            next: HashMap::new(),
            changes: None,
            memo_off: 0,
            scratch: Vec::new(),
            item_nodes: Vec::new(),
            budget: Budget::unlimited(),
            level: 0,
            loop_key: None,
            warnings: Vec::new(),
            components: None,
            owner: 0,
            call: None,
            sjs: None,
            sjs_errors: Default::default(),
            external: &[],
            class_scope: None,
        }
    }

    /// An instance's `externalClasses`: in its own template, a class named
    /// `name` is replaced by the classes its owner passed as `name`.
    pub fn with_external_classes(mut self, external: &'a [(String, String)]) -> Renderer<'a> {
        self.external = external;
        self
    }

    /// An instance's `styleIsolation` (compat.md B11): each class name its
    /// own template writes is also written with `prefix` before it, the
    /// name its stylesheet's rules were renamed to
    /// ([`crate::acss::scope_classes`]), so those rules reach only its own
    /// elements; with `keep` false (`isolated`), the name as written is
    /// dropped, so the page's rules do not reach them either. What the
    /// owner passes (external classes, slot content) is left as it is.
    pub fn with_class_scope(mut self, prefix: &'a str, keep: bool) -> Renderer<'a> {
        self.class_scope = Some((prefix, keep));
        self
    }

    /// Runs the templates' sjs calls with `sjs`.
    pub fn with_sjs(mut self, sjs: &'a dyn Sjs) -> Renderer<'a> {
        self.sjs = Some(sjs);
        self
    }

    /// Resolves custom tags through `components` (tag → component base
    /// path), in a template written by `owner` (0: the page).
    pub fn with_components(
        mut self,
        components: &'a std::rc::Rc<HashMap<String, Arc<str>>>,
        owner: u64,
    ) -> Renderer<'a> {
        self.components = Some(components);
        self.owner = owner;
        self
    }

    /// Renders a component instance's template, whose `<slot>` outlets show
    /// what `call` passed.
    pub fn for_instance(mut self, call: &'a std::rc::Rc<crate::component::Call>) -> Renderer<'a> {
        self.call = Some(call);
        // What an outlet shows comes from the call, which a loop item's
        // memo does not see: with slot content, nothing is memoised.
        if !call.slots.is_empty() || !call.scoped.is_empty() {
            self.memo_off += 1;
        }
        self
    }

    /// Renders within `budget` from now on.
    pub fn with_budget(mut self, budget: Budget) -> Renderer<'a> {
        self.budget = budget;
        self
    }

    /// Elements the last render made (slot content counted where shown).
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Steps taken so far (see [`Budget`]).
    pub fn steps(&self) -> u64 {
        self.budget.steps()
    }

    /// One step of work at `pos` in `file`; an error once the budget is spent.
    fn step(&mut self, file: &str, pos: Pos) -> Result<(), RenderError> {
        if self.budget.step() {
            return Ok(());
        }
        Err(RenderError {
            file: file.to_owned(),
            pos,
            message: format!(
                "the page did not finish rendering within its budget ({} steps so far)",
                self.budget.steps()
            ),
            over_budget: true,
        })
    }

    /// Renders with `cache`, the page's memory of its last render, and updates it.
    /// The result may hold [`VNode::Keep`] nodes, which only a diff against the
    /// tree mounted from that last render understands.
    pub fn render_cached(
        &mut self,
        doc: &Document,
        file: &str,
        data: &Value,
        cache: &mut RenderCache,
        changes: &Changes,
    ) -> Result<Vec<VNode>, RenderError> {
        self.cache = Some(std::mem::take(cache));
        self.changes = Some(changes.clone());
        self.next.clear();
        let result = self.render(doc, file, data);
        self.changes = None;
        let mut used = self.cache.take().unwrap_or_default();
        match &result {
            // The cache describes exactly what was last rendered (and so mounted).
            Ok(_) => used.loops = std::mem::take(&mut self.next),
            Err(_) => used.loops.clear(),
        }
        *cache = used;
        result
    }

    /// Renders `doc` (read from `file`) with `data`.
    pub fn render(
        &mut self,
        doc: &Document,
        file: &str,
        data: &Value,
    ) -> Result<Vec<VNode>, RenderError> {
        self.nodes = 0;
        self.texts = 0;
        self.level = 0;
        self.loop_key = None;
        let mut templates = BTreeMap::new();
        self.collect_templates(doc, file, &mut templates, 0)?;
        let cx = Cx {
            file,
            templates: &templates,
            depth: 0,
        };
        let mut out = Vec::new();
        self.file_nodes_into(&doc.nodes, &doc.sjs, data, &cx, &mut out)?;
        Ok(out)
    }

    /// Renders `nodes` of the file `cx` names, whose `<import-sjs>` are
    /// `imports`, over `scope`.
    fn file_nodes_into(
        &mut self,
        nodes: &[Node],
        imports: &[crate::axml::SjsImport],
        scope: &dyn Scope,
        cx: &Cx<'_>,
        out: &mut Vec<VNode>,
    ) -> Result<(), RenderError> {
        if imports.is_empty() {
            return self.nodes_into(nodes, scope, cx, out);
        }
        let wrapped = SjsScope {
            inner: scope,
            file: cx.file,
            imports,
            sjs: self.sjs,
            errors: self.sjs_errors.clone(),
        };
        self.nodes_into(nodes, &wrapped, cx, out)
    }

    fn collect_templates(
        &self,
        doc: &Document,
        file: &str,
        into: &mut Templates,
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
        let imports: Rc<[crate::axml::SjsImport]> = doc.sjs.clone().into();
        for (name, nodes) in &doc.templates {
            into.insert(
                name.clone(),
                (file.to_owned(), nodes.clone(), imports.clone()),
            );
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
                Node::Text(parts, pos) => {
                    chain_taken = false;
                    self.step(cx.file, *pos)?;
                    let text = self.text(parts, scope);
                    self.sjs_warnings(cx.file, *pos);
                    if !text.is_empty() {
                        self.texts += 1;
                        if self.texts > MAX_TEXTS {
                            return Err(err(
                                cx.file,
                                *pos,
                                format!("the page renders more than {MAX_TEXTS} texts"),
                            ));
                        }
                        out.push(VNode::Text { text });
                    }
                }
                Node::Element(el) => {
                    self.step(cx.file, el.pos)?;
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
                    self.sjs_warnings(cx.file, el.pos);
                }
            }
        }
        Ok(())
    }

    /// Records a warning, once per place per page (while a cache is used,
    /// across its renders), and at most [`MAX_RENDER_WARNINGS`].
    fn warn(&mut self, file: &str, pos: Pos, message: String) {
        if self.warnings.len() >= MAX_RENDER_WARNINGS
            || self.warnings.iter().any(|w| w.pos == pos && w.file == file)
        {
            return;
        }
        if let Some(c) = self.cache.as_mut() {
            if c.warned.len() >= MAX_RENDER_WARNINGS || !c.warned.insert((file.to_owned(), pos)) {
                return;
            }
        }
        self.warnings.push(RenderWarning {
            file: file.to_owned(),
            pos,
            message,
        });
    }

    /// The warnings of the renders so far, taken: see [`RenderWarning`].
    pub fn take_warnings(&mut self) -> Vec<RenderWarning> {
        std::mem::take(&mut self.warnings)
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
        if self.level >= MAX_RENDER_DEPTH {
            return Err(err(
                cx.file,
                el.pos,
                format!(
                    "elements nested too deeply: more than {MAX_RENDER_DEPTH} levels, \
                     counting those of templates and includes where they are used"
                ),
            ));
        }
        self.level += 1;
        let r = self.element_body(el, scope, cx, out);
        self.level -= 1;
        r
    }

    fn element_body(
        &mut self,
        el: &Element,
        scope: &dyn Scope,
        cx: &Cx<'_>,
        out: &mut Vec<VNode>,
    ) -> Result<(), RenderError> {
        // A loop item's key, from `memo_item`; taken first, so that no
        // element inside this one sees it.
        let loop_key = self.loop_key.take();
        // Most pages use no custom component: no lookup at all then.
        let custom = self.components.filter(|m| !m.is_empty());
        if let Some(is) = custom.and_then(|m| m.get(&*el.tag)) {
            return self.component_into(el, is.clone(), loop_key, scope, cx, out);
        }
        match &*el.tag {
            "block" => return self.nodes_into(&el.children, scope, cx, out),
            "slot" if self.call.is_some() => return self.outlet_into(el, scope, cx, out),
            "import-sjs" => return Ok(()),
            // The common tags first, without a walk of the list.
            t if !matches!(t, "view" | "text" | "image" | "button")
                && !super::axml::COMPONENTS.contains(&t) =>
            {
                return Err(err(cx.file, el.pos, format!("unknown component <{t}>")))
            }
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
                self.memo_off += 1;
                let r = self.file_nodes_into(&doc.nodes, &doc.sjs, scope, &inner, out);
                self.memo_off -= 1;
                return r;
            }
            _ => {}
        }
        let mut attrs = BTreeMap::new();
        let mut data = None;
        for a in &el.attrs {
            let mut v = match a.value.as_deref() {
                None => String::new(),
                Some(parts @ [Part::Expr(..)]) if a.name.starts_with("data-") => {
                    self.data_attr(&a.name, parts, scope, &mut data)
                }
                Some(parts) => self.text(parts, scope),
            };
            if a.name == "class" {
                v = if self.external.is_empty() && self.class_scope.is_none() {
                    v.split_whitespace().collect::<Vec<_>>().join(" ")
                } else {
                    self.external_classes(&v)
                };
            } else if a.name == "style" {
                v = super::acss::rpx_to_px(&v, self.rpx);
            }
            attrs.insert(a.name.clone(), v);
        }
        let key = self.key_of(el, loop_key, scope);
        let mut children = Vec::new();
        self.nodes_into(&el.children, scope, cx, &mut children)?;
        out.push(VNode::Element {
            tag: el.tag.clone(),
            attrs,
            key,
            children,
            owner: self.owner,
            data,
        });
        Ok(())
    }

    /// A class list with each external class name replaced by what the
    /// owner passed for it. Out of line: `element_into` recurses.
    #[inline(never)]
    fn external_classes(&self, v: &str) -> String {
        let mut out = String::new();
        let mut push = |t: &str, prefix: &str| {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(prefix);
            out.push_str(t);
        };
        for token in v.split_whitespace() {
            match self.external.iter().find(|(name, _)| name == token) {
                Some((_, passed)) => passed.split_whitespace().for_each(|t| push(t, "")),
                None => match self.class_scope {
                    Some((prefix, keep)) => {
                        if keep {
                            push(token, "");
                        }
                        push(token, prefix);
                    }
                    None => push(token, ""),
                },
            }
        }
        out
    }

    /// A `data-*` attribute that is one `{{ }}`: its text, and its value
    /// kept in `data` when it is not a string (an object, a number), for
    /// the `dataset` of events. Out of line: `element_into` recurses.
    #[inline(never)]
    // Boxed as in `VNode::Element`: most elements have none, and the node stays small.
    #[allow(clippy::box_collection)]
    fn data_attr(
        &self,
        name: &str,
        parts: &[Part],
        scope: &dyn Scope,
        data: &mut Option<Box<BTreeMap<String, Value>>>,
    ) -> String {
        let [Part::Expr(e, _)] = parts else {
            return self.text(parts, scope);
        };
        match super::expr::eval_opt(e, scope) {
            Some(Value::String(s)) => s,
            Some(v) => {
                let mut text = String::new();
                super::expr::write_text(&v, &mut text);
                data.get_or_insert_with(Default::default)
                    .insert(name.to_owned(), v);
                text
            }
            None => String::new(),
        }
    }

    /// `a:key` outside `a:for` reads the enclosing loop's `item`.
    fn key_of(&self, el: &Element, loop_key: Option<String>, scope: &dyn Scope) -> Option<String> {
        match (loop_key, &el.key) {
            (Some(k), _) => Some(k),
            (None, None) => None,
            (None, Some(Key::Expr(parts))) => self.key_text(parts, scope),
            (None, Some(Key::This)) => scope.get("item").map(|v| js_string(Some(v))),
            (None, Some(Key::Field(k))) => scope
                .get("item")
                .and_then(|v| member_opt(v, k))
                .map(|v| js_string(Some(&v))),
        }
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
        let (file, nodes, imports) = cx.templates.get(&is).ok_or_else(|| {
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
        self.memo_off += 1;
        let r = self.file_nodes_into(nodes, imports, &data, &inner, out);
        self.memo_off -= 1;
        r
    }

    /// A single `{{expr}}` keeps its value; anything else is text.
    fn value(&self, parts: &[Part], scope: &dyn Scope) -> Value {
        match parts {
            [Part::Expr(e, _)] => eval(e, scope),
            _ => Value::String(self.text(parts, scope)),
        }
    }

    fn text(&self, parts: &[Part], scope: &dyn Scope) -> String {
        // The commonest binding, `{{item.name}}` on a string: one exact copy.
        if let [Part::Expr(e, _)] = parts {
            if let Some(Value::String(v)) = super::expr::eval_ref(e, scope) {
                return v.clone();
            }
        }
        let mut s = String::new();
        for p in parts {
            match p {
                Part::Lit(t) => s.push_str(t),
                // A path is written from where it sits in the data, uncopied.
                Part::Expr(e, _) => match super::expr::eval_ref(e, scope) {
                    Some(v) => super::expr::write_text(v, &mut s),
                    None => super::expr::write_text(&eval(e, scope), &mut s),
                },
            }
        }
        s
    }
}

/// Templates by name: the file that defines each, its nodes, and that
/// file's sjs imports (which its templates keep wherever they are used).
type Templates = BTreeMap<String, (String, Vec<Node>, Rc<[crate::axml::SjsImport]>)>;

struct Cx<'a> {
    file: &'a str,
    templates: &'a Templates,
    depth: usize,
}

fn err(file: &str, pos: Pos, m: impl Into<String>) -> RenderError {
    RenderError {
        file: file.to_owned(),
        pos,
        message: m.into(),
        over_budget: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::axml::parse;
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
    fn include_renders_the_files_nodes_with_the_pages_data_and_not_its_templates() {
        let files = Files(HashMap::from([(
            "common/header.axml".to_string(),
            Arc::new(
                parse(
                    r#"<template name="inner"><text>hidden</text></template><view class="header">{{title}} ({{items.length}})</view>"#,
                )
                .expect("header"),
            ),
        )]));
        let doc = parse(
            r#"<include src="../../common/header.axml"/><text id="after">{{title}}</text><template is="inner"/>"#,
        )
        .expect("parses");
        let mut renderer = Renderer::new(&files, 375.0);
        let data = json!({"title": "Menu", "items": [1, 2, 3]});
        // The included file's own <template> definitions stay in that file.
        let e = renderer
            .render(&doc, "pages/index/index.axml", &data)
            .expect_err("templates are not included");
        assert!(
            e.message.contains("\"inner\" is not defined"),
            "{}",
            e.message
        );
        let doc =
            parse(r#"<include src="../../common/header.axml"/><text id="after">{{title}}</text>"#)
                .expect("parses");
        let out = renderer
            .render(&doc, "pages/index/index.axml", &data)
            .expect("renders");
        let html = html(&out);
        assert!(html.contains("\"class\":\"header\""), "{html}");
        assert!(html.contains("Menu (3)"), "{html}");
        assert!(!html.contains("hidden"), "{html}");
        assert_eq!(out.len(), 2, "{html}");
        // A file that is not there is an error at the include.
        let doc = parse("<view>\n  <include src=\"./nope.axml\"/>\n</view>").expect("parses");
        let e = renderer
            .render(&doc, "pages/index/index.axml", &data)
            .expect_err("missing");
        assert_eq!(e.pos, Pos { line: 2, col: 3 });
        assert!(
            e.message.contains("include \"./nope.axml\""),
            "{}",
            e.message
        );
    }

    #[test]
    fn block_loops_keep_every_child() {
        let out = render(
            r#"<block a:for="{{list}}"><text>{{item}}</text><text>!</text></block><block a:for="{{list}}" a:key="*this"><view>{{item}}</view><view>?</view></block>"#,
            json!({"list": ["a", "b"]}),
        );
        assert_eq!(out.len(), 8, "{}", html(&out));
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

    fn keys(nodes: &[VNode]) -> Vec<Option<&str>> {
        nodes
            .iter()
            .map(|n| match n {
                VNode::Element { key, .. } => key.as_deref(),
                _ => None,
            })
            .collect()
    }

    /// Renders `src` and returns the nodes and the warnings.
    fn render_warned(src: &str, data: Value) -> (Vec<VNode>, Vec<String>) {
        let doc = parse(src).expect("parses");
        let files = Files(HashMap::new());
        let mut r = Renderer::new(&files, 375.0);
        let out = r.render(&doc, "p.axml", &data).expect("renders");
        let w = r.take_warnings().iter().map(ToString::to_string).collect();
        (out, w)
    }

    /// A10.1 rendered: unquoted values are the values they hold.
    #[test]
    fn unquoted_values_render_as_quoted_ones() {
        let data = json!({"list": [{"k": "a"}, {"k": "b"}], "on": true});
        let unquoted = render(
            "<view a:for={{list}} data-k={{item.k}} id=cell-{{index}} scroll-x={{on}} class=>{{item.k}}</view>",
            data.clone(),
        );
        let quoted = render(
            r#"<view a:for="{{list}}" data-k="{{item.k}}" id="cell-{{index}}" scroll-x="{{on}}" class="">{{item.k}}</view>"#,
            data,
        );
        assert_eq!(html(&unquoted), html(&quoted));
        assert!(
            html(&unquoted).contains(r#""data-k":"b","id":"cell-1","scroll-x":"true""#),
            "{}",
            html(&unquoted)
        );
    }

    /// A10.2: `a:key` as a field, `*this`, an expression over the loop's
    /// own names, and text with `{{ }}`.
    #[test]
    fn key_forms_render_their_keys() {
        let (out, w) = render_warned(
            r#"<view a:for="{{list}}" a:key="id"/><view a:for="{{tags}}" a:key="*this"/><view a:for="{{list}}" a:for-item="it" a:for-index="i" a:key="{{it.id * 10 + i}}"/><view a:for="{{list}}" a:key="{{prefix}}-{{item.id}}"/><view a:for="{{list}}" a:key="{{`${item.id}`}}"/><view a:for="{{nums}}" a:key="*this"/>"#,
            json!({"list": [{"id": 7}, {"id": 8}], "tags": ["x", "y"], "prefix": "p", "nums": [1.5, null]}),
        );
        assert_eq!(
            keys(&out),
            [
                Some("7"),
                Some("8"),
                Some("x"),
                Some("y"),
                Some("70"),
                Some("81"),
                Some("p-7"),
                Some("p-8"),
                Some("7"),
                Some("8"),
                Some("1.5"),
                Some("null"),
            ]
        );
        assert!(w.is_empty(), "{w:?}");
    }

    /// A repeated or undefined key keys the whole loop by position, with
    /// one warning per loop.
    #[test]
    fn repeated_or_undefined_keys_fall_back_to_positions() {
        let (out, w) = render_warned(
            "<view a:for=\"{{list}}\" a:key=\"id\"/>\n<view a:for=\"{{list}}\" a:key=\"nope\"/>\n<view a:for=\"{{list}}\" a:key=\"{{item.nope}}\"/>\n<view a:for=\"{{list}}\" a:key=\"{{undefined}}\"/><view a:for=\"{{list}}\" a:key=\"*this\"/>",
            json!({"list": [{"id": 1}, {"id": 2}, {"id": 1}]}),
        );
        assert_eq!(
            keys(&out),
            [Some("0"), Some("1"), Some("2")].repeat(5),
            "{}",
            html(&out)
        );
        assert_eq!(
            w,
            [
                "p.axml:1:1: a:key \"1\" is given to two items; this loop's items are keyed by their position",
                "p.axml:2:1: a:key is undefined for the item at 0; this loop's items are keyed by their position",
                "p.axml:3:1: a:key is undefined for the item at 0; this loop's items are keyed by their position",
                "p.axml:4:1: a:key is undefined for the item at 0; this loop's items are keyed by their position",
                "p.axml:4:47: a:key \"[object Object]\" is given to two items; this loop's items are keyed by their position",
            ]
        );
        // A long key is clipped in the message.
        let long = "k".repeat(100);
        let (_, w) = render_warned(
            r#"<view a:for="{{list}}" a:key="*this"/>"#,
            json!({"list": [long, long]}),
        );
        assert!(w[0].contains(&format!("\"{}…\"", "k".repeat(40))), "{w:?}");
    }

    /// Render warnings are kept once per place per page across cached
    /// renders, and at most 100, however many loops a page has.
    #[test]
    fn render_warnings_are_deduplicated_and_bounded() {
        let files = Files(HashMap::new());
        let doc = parse(
            r#"<view a:for="{{list}}" a:key="id"><view a:for="{{list}}" a:key="id"/></view>"#,
        )
        .expect("parses");
        let data = json!({"list": [{"id": 1}, {"id": 1}]});
        let mut cache = RenderCache::default();
        let mut all = Vec::new();
        for _ in 0..3 {
            let mut r = Renderer::new(&files, 375.0);
            r.render_cached(&doc, "p.axml", &data, &mut cache, &Changes::everything())
                .expect("renders");
            all.extend(r.take_warnings());
        }
        let places: Vec<String> = all.iter().map(|w| w.pos.to_string()).collect();
        assert_eq!(
            places,
            ["1:1", "1:35"],
            "each loop once, over three renders"
        );
        assert_eq!(all[0].file, "p.axml");
        // 1,000 loops, each with a repeated key, in one page.
        let doc = parse(&r#"<view a:for="{{list}}" a:key="id"/>"#.repeat(1_000)).expect("parses");
        let mut r = Renderer::new(&files, 375.0);
        r.render_cached(&doc, "p.axml", &data, &mut cache, &Changes::everything())
            .expect("renders");
        assert_eq!(r.take_warnings().len(), MAX_RENDER_WARNINGS - 2);
        assert_eq!(cache.warned.len(), MAX_RENDER_WARNINGS);
        let mut r = Renderer::new(&files, 375.0);
        let out = r.render(&doc, "p.axml", &data).expect("renders");
        assert_eq!(out.len(), 2_000);
        assert_eq!(r.take_warnings().len(), MAX_RENDER_WARNINGS);
    }

    /// A10.6 rendered: `undefined` prints "undefined" inside a template
    /// literal and nothing bare.
    #[test]
    fn template_literals_render_like_js() {
        let out = render(
            "<text>[{{undefined}}|{{missing}}|{{nothing}}]</text><text>{{`${a}-${b}`}}|{{`${missing}/${nothing}/${undefined}`}}</text><view class=\"{{`c-${a}`}} {{b}}\" data-x={{`${list.length}`}}/>",
            json!({"a": 1, "b": "two", "nothing": null, "list": [1, 2]}),
        );
        let h = html(&out);
        assert!(h.contains(r#""text":"[||]""#), "{h}");
        assert!(
            h.contains(r#""text":"1-two|undefined/null/undefined""#),
            "{h}"
        );
        assert!(h.contains(r#""class":"c-1 two","data-x":"2""#), "{h}");
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
        // Texts split by comments need no element between them.
        let doc = parse(&format!(
            r#"<block a:for="{{{{1000}}}}">{}</block>"#,
            "t<!---->".repeat(300)
        ))
        .expect("parses");
        let e = Renderer::new(&files, 375.0)
            .render(&doc, "p.axml", &json!({}))
            .expect_err("too many texts");
        assert_eq!(e.message, "the page renders more than 200000 texts");
        // A loop over a count past the cap is the limit error, never a page
        // cut at 100,000 in silence; at the cap it renders.
        for (src, fails) in [
            (r#"<block a:for="{{150000}}"><text>x</text></block>"#, true),
            (r#"<block a:for="{{n}}"><text>x</text></block>"#, true),
            (r#"<block a:for="{{100000}}">x</block>"#, false),
        ] {
            let doc = parse(src).expect("parses");
            let got = Renderer::new(&files, 375.0).render(&doc, "p.axml", &json!({"n": 150000}));
            match (got, fails) {
                (Err(e), true) => assert_eq!(
                    e.message,
                    "a:for over 150000 items: the page renders more than 100000 elements",
                    "{src}"
                ),
                (Ok(_), false) => {}
                (got, _) => panic!("{src}: {:?}", got.map(|_| "rendered")),
            }
        }
    }

    /// A page whose loops run 10^10 times without making an element: the
    /// node cap never trips, so only the budget stops it.
    const RUNAWAY: &str = r#"<block a:for="{{n}}"><view a:for="{{n}}" a:if="{{false}}"/></block>"#;

    #[test]
    fn a_render_stops_when_its_budget_is_spent() {
        let files = Files(HashMap::new());
        let doc = parse(RUNAWAY).expect("parses");
        let data = json!({"n": 100_000});
        let e = Renderer::new(&files, 375.0)
            .with_budget(Budget::new(2_000_000, || true))
            .render(&doc, "pages/a/a.axml", &data)
            .expect_err("over budget");
        assert!(e.over_budget, "{e}");
        assert_eq!(e.file, "pages/a/a.axml");
        assert_eq!((e.pos.line, e.pos.col), (1, 22), "the inner loop");
        assert!(
            e.message
                .starts_with("the page did not finish rendering within its budget (2000001 steps"),
            "{e}"
        );
        // The caller's clock says stop: the render ends at the next question.
        let asked = std::rc::Rc::new(std::cell::Cell::new(0u32));
        let counter = asked.clone();
        let mut r = Renderer::new(&files, 375.0).with_budget(Budget::new(u64::MAX, move || {
            counter.set(counter.get() + 1);
            counter.get() < 5
        }));
        let e = r
            .render(&doc, "pages/a/a.axml", &data)
            .expect_err("stopped");
        assert!(e.over_budget);
        assert_eq!(asked.get(), 5);
        assert_eq!(r.steps(), 5 * crate::budget::CHECK_EVERY);
        // A mistake in a template is not a budget matter.
        let doc = parse(r#"<template is="missing"/>"#).expect("parses");
        let e = Renderer::new(&files, 375.0)
            .with_budget(Budget::new(10, || true))
            .render(&doc, "p.axml", &json!({}))
            .expect_err("missing");
        assert!(!e.over_budget);
    }

    /// `count` templates, each opening three views and calling the next.
    fn nested_templates(count: usize) -> String {
        let mut src = String::new();
        for k in 0..count {
            src.push_str(&format!(
                r#"<template name="t{k}"><view><view><view><template is="t{}"/></view></view></view></template>"#,
                k + 1
            ));
        }
        src.push_str(&format!(
            r#"<template name="t{count}"><text id="deep">deep</text></template><template is="t0"/>"#
        ));
        src
    }

    #[test]
    fn pages_nested_past_the_limit_through_templates_are_errors() {
        let files = Files(HashMap::new());
        // 30 templates of 4 levels each: 120 levels, within the limit.
        let doc = parse(&nested_templates(30)).expect("parses");
        let nodes = Renderer::new(&files, 375.0)
            .render(&doc, "p.axml", &json!({}))
            .expect("within the limit");
        assert!(html(&nodes).contains(r#"{"type":"text","text":"deep"}"#));
        // 31: 124 levels plus the text's; 33 templates would pass the
        // template limit, so the depth limit is what stops this one.
        let doc = parse(&nested_templates(31)).expect("parses");
        let e = Renderer::new(&files, 375.0)
            .render(&doc, "p.axml", &json!({}))
            .expect("still within");
        assert_eq!(e.len(), 1);
        let doc = parse(&nested_templates(32)).expect("parses");
        let e = Renderer::new(&files, 375.0)
            .render(&doc, "p.axml", &json!({}))
            .expect_err("too deep");
        assert!(
            e.message
                .starts_with("elements nested too deeply: more than 128 levels"),
            "{e}"
        );
        assert!(!e.over_budget);
    }

    /// A page at the depth limit renders, diffs, prints and is freed on a
    /// 1 MB stack (a phone's secondary thread), in this unoptimised build.
    #[test]
    fn the_deepest_page_fits_a_small_stack() {
        let out = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(|| {
                let files = Files(HashMap::new());
                let doc = parse(&nested_templates(31)).expect("parses");
                let mut cache = RenderCache::default();
                let mut renderer = Renderer::new(&files, 375.0);
                let nodes = renderer
                    .render_cached(
                        &doc,
                        "p.axml",
                        &json!({}),
                        &mut cache,
                        &Changes::everything(),
                    )
                    .expect("renders");
                let mut root = crate::vdom::DomNode::root();
                let mut ids = crate::diff::Ids::default();
                let ops = crate::diff::diff_root(&mut root, nodes, &mut ids);
                let mut copy = crate::vdom::DomNode::root();
                crate::diff::apply(&mut copy, &ops).expect("applies");
                assert_eq!(copy, root);
                let again = renderer
                    .render_cached(
                        &doc,
                        "p.axml",
                        &json!({}),
                        &mut cache,
                        &Changes::everything(),
                    )
                    .expect("renders again");
                assert!(crate::diff::diff_root(&mut root, again, &mut ids).is_empty());
                root.children[0].to_html().len()
            })
            .expect("thread")
            .join()
            .expect("no stack overflow");
        assert!(out > 1000);
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

#[cfg(test)]
mod cache_tests {
    use super::*;
    use crate::axml::parse;
    use crate::diff::{diff_root, Ids, PatchOp};
    use crate::vdom::DomNode;
    use proptest::prelude::*;
    use serde_json::json;

    struct NoFiles;
    impl Loader for NoFiles {
        fn load(&self, p: &str) -> Result<Arc<Document>, String> {
            Err(format!("no {p}"))
        }
    }

    const SRC: &str = r#"<view a:for="{{rows}}" a:key="id" class="row {{item.id == selected ? 'on' : ''}}">
  <text>{{index}}. {{item.name}} {{currency}}</text>
  <view a:for="{{item.tags}}" a:for-item="t" a:key="*this">{{t}}</view>
</view>"#;

    fn shape(n: &DomNode) -> serde_json::Value {
        json!({"tag": n.tag, "text": n.text, "attrs": n.attrs, "key": n.key,
               "children": n.children.iter().map(shape).collect::<Vec<_>>()})
    }

    /// Renders `steps` in sequence with a cache, and each step fresh without one:
    /// the mounted trees must always agree.
    const SRC2: &str = r#"<template name="list"><view a:for="{{rows}}" a:key="id">{{item.name}}</view></template>
<template is="list" data="{{rows: rows}}"/>
<template is="list" data="{{rows: rows}}"/>
<view a:if="{{currency == 'USD'}}"><view a:for="{{rows}}" a:key="id">{{item.name}}</view></view>
<block a:for="{{rows}}" a:key="id"><text>{{item.name}}</text><text>{{currency}}</text></block>"#;

    const SRC3: &str = r#"<view a:for="{{rows}}" a:key="{{item.id}}">{{item.name}}</view>
<view a:for="{{rows}}" a:key="{{currency}}-{{item.id}}" a:for-item="r">{{r.name}}</view>
<view a:for="{{rows}}" a:key="{{`${item.id}`}}"><text>{{item.name}}</text></view>
<view><view a:for="{{rows}}" a:key="name">{{index}}</view></view>"#;

    fn check(steps: &[serde_json::Value]) -> Vec<Vec<PatchOp>> {
        check_src(SRC, steps)
    }

    fn check_src(src: &str, steps: &[serde_json::Value]) -> Vec<Vec<PatchOp>> {
        let doc = parse(src).expect("parses");
        let (mut page, mut ids, mut cache) =
            (DomNode::root(), Ids::default(), RenderCache::default());
        let mut all_ops = Vec::new();
        let mut prev: Option<&serde_json::Value> = None;
        for data in steps {
            // Alternate between the precise changes setData would report and "everything".
            let changes = match prev {
                Some(p) if all_ops.len() % 2 == 1 => changes_between(p, data),
                _ => Changes::everything(),
            };
            prev = Some(data);
            let v = Renderer::new(&NoFiles, 375.0)
                .render_cached(&doc, "p.axml", data, &mut cache, &changes)
                .expect("renders");
            all_ops.push(diff_root(&mut page, v, &mut ids));
            let mut fresh = DomNode::root();
            let v = Renderer::new(&NoFiles, 375.0)
                .render(&doc, "p.axml", data)
                .expect("renders");
            diff_root(&mut fresh, v, &mut Ids::default());
            assert_eq!(
                shape(&page),
                shape(&fresh),
                "cached render diverged at {data}"
            );
        }
        all_ops
    }

    /// The setData keys that would turn `old` into `new`: `rows[i]` for changed
    /// items of an equal-length list, the root name otherwise.
    fn changes_between(old: &serde_json::Value, new: &serde_json::Value) -> Changes {
        let mut c = Changes::default();
        let empty = serde_json::Map::new();
        let (o, n) = (
            old.as_object().unwrap_or(&empty),
            new.as_object().unwrap_or(&empty),
        );
        for k in o.keys().chain(n.keys()) {
            match (o.get(k), n.get(k)) {
                (Some(serde_json::Value::Array(a)), Some(serde_json::Value::Array(b)))
                    if a.len() == b.len() =>
                {
                    for (i, (x, y)) in a.iter().zip(b).enumerate() {
                        if x != y {
                            c.record(&format!("{k}[{i}]"));
                        }
                    }
                }
                (x, y) if x != y => c.record(k),
                _ => {}
            }
        }
        c
    }

    #[test]
    fn changes_parse_set_data_keys() {
        let mut c = Changes::default();
        c.record("rows[3].name");
        c.record("rows[5]");
        c.record("count");
        assert_eq!(c.indexed["rows"], HashSet::from([3, 5]));
        assert!(c.roots.contains("count"));
        c.record("rows");
        assert!(!c.indexed.contains_key("rows") && c.roots.contains("rows"));
        c.record("rows[1]");
        assert!(
            !c.indexed.contains_key("rows"),
            "a replaced root stays fully changed"
        );
    }

    fn rows(names: &[&str]) -> serde_json::Value {
        json!(names
            .iter()
            .map(|n| json!({"id": n, "name": n.to_uppercase(), "tags": [format!("{n}-t")]}))
            .collect::<Vec<_>>())
    }

    #[test]
    fn unchanged_items_produce_no_ops_and_free_names_invalidate() {
        let base = json!({"rows": rows(&["a", "b", "c"]), "currency": "USD", "selected": "a"});
        let mut one = base.clone();
        one["rows"][1]["name"] = json!("Bee");
        let mut cur = one.clone();
        cur["currency"] = json!("EUR");
        let mut shifted = cur.clone();
        shifted["rows"] = json!([{"id": "z", "name": "Z", "tags": []}])
            .as_array()
            .expect("a")
            .iter()
            .cloned()
            .chain(cur["rows"].as_array().expect("a").iter().cloned())
            .collect();
        let ops = check(&[base, one, cur, shifted]);
        assert_eq!(ops[1].len(), 1, "one changed row is one op: {:?}", ops[1]);
        assert!(
            ops[2].len() >= 3,
            "a changed free name re-renders every row: {:?}",
            ops[2]
        );
        assert!(!ops[3].is_empty());
    }

    /// Items matched by position while the keys keep their order, by key
    /// once one moves, and repeated keys (rendered plainly) at either stage:
    /// every step agrees with a fresh render.
    #[test]
    fn positions_moves_and_repeated_keys_render_as_fresh_renders_do() {
        let data = |ids: &[&str], name: &str| {
            json!({"rows": ids.iter().map(|i| json!({"id": i, "name": format!("{name}{i}"), "tags": []})).collect::<Vec<_>>(),
                   "currency": "USD", "selected": "a"})
        };
        let steps = [
            data(&["a", "b", "c", "d"], "x"),
            data(&["a", "b", "c", "d"], "y"),
            data(&["a", "a", "b", "c"], "y"),
            data(&["a", "a", "b", "c"], "z"),
            data(&["a", "b", "d", "c"], "z"),
            data(&["c", "a", "a", "b", "d"], "z"),
            data(&["c", "a", "b", "d"], "w"),
            data(&[], "w"),
            data(&["b", "b", "b"], "w"),
        ];
        let ops = check(&steps);
        // Same keys in the same order, every name changed: one text op per row.
        assert_eq!(ops[1].len(), 4, "{:?}", ops[1]);
        for (i, o) in ops.iter().enumerate().skip(2) {
            assert!(!o.is_empty(), "step {i} changed the page but sent no ops");
        }
    }

    /// setData that changes one item so that its key repeats another's,
    /// or goes missing, and back: the fast path must not keep stale keys.
    #[test]
    fn one_changed_key_that_clashes_renders_as_a_fresh_render_does() {
        let row = |id: Option<&str>, name: &str| match id {
            Some(id) => json!({"id": id, "name": name, "tags": []}),
            None => json!({"name": name, "tags": []}),
        };
        let page = |rows: Vec<serde_json::Value>| json!({"rows": rows, "currency": "USD", "selected": "a"});
        let many = |i: usize| {
            (0..20)
                .map(|k| row(Some(&format!("r{k}")), &format!("n{k}-{i}")))
                .collect::<Vec<_>>()
        };
        let mut clash = many(0);
        clash[5] = row(Some("r6"), "clash");
        let mut missing = many(0);
        missing[7] = row(None, "missing");
        let steps = [
            page(many(0)),
            page(clash.clone()),
            page(many(0)),
            page(missing),
            page(many(0)),
            page(clash),
        ];
        for src in [SRC, SRC3] {
            check_src(src, &steps);
        }
    }

    proptest! {
        #[test]
        fn cached_renders_always_match_fresh_ones(
            steps in proptest::collection::vec(
                (proptest::collection::vec((0u8..6, 0u8..3), 0..6), 0u8..2, 0u8..4), 1..6)
        ) {
            let datas: Vec<serde_json::Value> = steps.iter().map(|(rs, cur, sel)| {
                let mut seen = std::collections::HashSet::new();
                let list: Vec<serde_json::Value> = rs.iter().filter(|(k, _)| seen.insert(*k)).map(|(k, n)| {
                    json!({"id": format!("k{k}"), "name": format!("n{n}"), "tags": (0..*n).map(|t| format!("t{t}")).collect::<Vec<_>>()})
                }).collect();
                json!({"rows": list, "currency": if *cur == 0 { "USD" } else { "EUR" }, "selected": format!("k{sel}")})
            }).collect();
            check(&datas);
            check_src(SRC2, &datas);
        }

        /// Keys from expressions (one reading a name from outside the
        /// loop), and keys that repeat or are missing: cached renders, on
        /// the fast path or not, still agree with fresh ones.
        #[test]
        fn cached_renders_with_any_keys_match_fresh_ones(
            steps in proptest::collection::vec(
                (proptest::collection::vec((0u8..5, 0u8..3), 0..7), 0u8..2), 1..7)
        ) {
            let datas: Vec<serde_json::Value> = steps.iter().map(|(rs, cur)| {
                let list: Vec<serde_json::Value> = rs.iter().map(|(k, n)| {
                    if *k == 4 {
                        json!({"name": format!("n{n}"), "tags": []})
                    } else {
                        json!({"id": format!("k{k}"), "name": format!("n{n}"), "tags": [format!("t{n}")]})
                    }
                }).collect();
                json!({"rows": list, "currency": if *cur == 0 { "USD" } else { "EUR" }, "selected": "k1"})
            }).collect();
            check(&datas);
            check_src(SRC3, &datas);
        }
    }
}
