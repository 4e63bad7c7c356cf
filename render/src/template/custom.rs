//! Custom component tags and `<slot>` outlets (compat.md B3, B8).

use super::{err, Cx, RenderError, Renderer, Vars, MAX_NODES};
use crate::axml::{Cond, Element, Key, Node, Part};
use crate::component::{self, Call};
use crate::expr::Scope;
use crate::vdom::ScopedSlot;
use crate::vdom::VNode;
use serde_json::{Map, Value};
use std::rc::Rc;
use std::sync::Arc;

impl Renderer<'_> {
    /// A custom tag: its props and handler names evaluated in the owner's
    /// scope, its children rendered there as slot content, all handed to the
    /// instance through a [`VNode::Component`].
    pub(super) fn component_into(
        &mut self,
        el: &Element,
        is: Arc<str>,
        loop_key: Option<String>,
        scope: &dyn Scope,
        cx: &Cx<'_>,
        out: &mut Vec<VNode>,
    ) -> Result<(), RenderError> {
        if is.starts_with("plugin://") {
            // A plugin's component (B15): this host runs no plugins.
            out.push(VNode::Element {
                tag: "plugin-component".into(),
                attrs: std::collections::BTreeMap::from([("src".to_owned(), is.to_string())]),
                key: self.key_of(el, loop_key, scope),
                children: Vec::new(),
                owner: self.owner,
                data: None,
            });
            return Ok(());
        }
        let mut props = Map::new();
        let mut handlers = Vec::new();
        let mut ref_method = None;
        for a in &el.attrs {
            match a.name.as_str() {
                "slot" | "slot-scope" | "key" => continue,
                "ref" => {
                    if let Some(parts) = &a.value {
                        ref_method = Some(self.text(parts, scope));
                    }
                    continue;
                }
                _ => {}
            }
            if component::is_handler_attr(&a.name) {
                match a.value.as_deref() {
                    Some([Part::Lit(method)]) => {
                        handlers.push((a.name.clone(), method.clone()));
                        continue;
                    }
                    Some([Part::Expr(e, _)]) => {
                        if let Some(method) = handler_of(e, scope) {
                            handlers.push((a.name.clone(), method));
                            continue;
                        }
                    }
                    _ => {}
                }
            }
            let value = match a.value.as_deref() {
                None => Value::Bool(true),
                // `undefined` is left out, so the component's default
                // applies: Alipay's props cross to the logic layer as
                // JSON, which drops it (Ant Design Mini's Calendar passes
                // `text="{{item.top.label}}"` to a prop defaulting to '').
                Some([Part::Expr(e, _)]) => match crate::expr::eval_opt(e, scope) {
                    Some(v) => v,
                    None => continue,
                },
                Some(parts) => self.value(parts, scope),
            };
            let name = if a.name == "class" {
                "className".to_owned()
            } else {
                a.name.clone()
            };
            let value = match (name.as_str(), value) {
                ("style", Value::String(s)) => Value::String(crate::acss::rpx_to_px(&s, self.rpx)),
                (_, v) => v,
            };
            props.insert(name, value);
        }
        let key = self.key_of(el, loop_key, scope);
        // Content with `slot-scope` is kept with what it reads of this
        // scope, and rendered at the outlets (B8.5); the rest is rendered
        // here, in the owner's scope, with its handlers. Not memoised: it is
        // shown wherever the component puts its outlets.
        let is_scoped = |n: &Node| matches!(n, Node::Element(c) if c.attr("slot-scope").is_some());
        let mut scoped = Vec::new();
        let plain: std::borrow::Cow<'_, [Node]> = if el.children.iter().any(is_scoped) {
            let mut plain = Vec::new();
            for child in &el.children {
                match child {
                    Node::Element(c) if is_scoped(child) => {
                        scoped.push(self.scoped_slot(c, scope, cx))
                    }
                    other => plain.push(other.clone()),
                }
            }
            plain.into()
        } else {
            el.children.as_slice().into()
        };
        let mut content = Vec::new();
        self.memo_off += 1;
        let rendered = self.nodes_into(&plain, scope, cx, &mut content);
        self.memo_off -= 1;
        rendered?;
        let mut slots: Vec<(String, Vec<VNode>)> = Vec::new();
        for mut v in content {
            let name = match &mut v {
                VNode::Element { attrs, .. } => attrs.remove("slot").unwrap_or_default(),
                VNode::Text { text } if text.trim().is_empty() => continue,
                _ => String::new(),
            };
            let name = if name == "default" {
                String::new()
            } else {
                name
            };
            match slots.iter_mut().find(|(n, _)| *n == name) {
                Some((_, nodes)) => nodes.push(v),
                None => slots.push((name, vec![v])),
            }
        }
        let slot_nodes = slots.iter().map(|(_, n)| component::count(n)).sum();
        out.push(VNode::Component {
            tag: el.tag.clone(),
            key,
            call: Rc::new(Call {
                is,
                props,
                handlers,
                slots,
                scoped,
                slot_nodes,
                owner: self.owner,
                ref_method,
                file: cx.file.to_owned(),
                pos: el.pos,
            }),
        });
        Ok(())
    }

    /// Slot content with `slot-scope`, kept for the outlets: its name (in
    /// this scope), its nodes, and the values of the names it reads.
    fn scoped_slot(&mut self, c: &Element, scope: &dyn Scope, cx: &Cx<'_>) -> ScopedSlot {
        let name = match c.attr("slot").and_then(|a| a.value.as_ref()) {
            Some(parts) => self.text(parts, scope),
            None => String::new(),
        };
        let var = c
            .literal("slot-scope")
            .unwrap_or_default()
            .trim()
            .to_owned();
        let mut el = c.clone();
        el.attrs
            .retain(|a| a.name != "slot" && a.name != "slot-scope");
        let nodes = vec![Node::Element(el)];
        let mut names = Vec::new();
        names_in(&nodes, &mut names);
        let mut kept = Map::new();
        for n in names {
            if n != var && !kept.contains_key(&n) {
                if let Some(v) = scope.get(&n) {
                    kept.insert(n, v.clone());
                }
            }
        }
        ScopedSlot {
            name: if name == "default" {
                String::new()
            } else {
                name
            },
            var,
            nodes,
            scope: Value::Object(kept),
            file: cx.file.to_owned(),
            outer: self.call.cloned(),
            components: self.components.cloned(),
        }
    }

    /// A `<slot>` outlet in a component's template: the content its owner
    /// passed under this name (in the owner's scope, rendered there), else
    /// the outlet's own children as fallback. The outlet renders no node.
    pub(super) fn outlet_into(
        &mut self,
        el: &Element,
        scope: &dyn Scope,
        cx: &Cx<'_>,
        out: &mut Vec<VNode>,
    ) -> Result<(), RenderError> {
        let name = match el.attr("name").and_then(|a| a.value.as_ref()) {
            Some(parts) => self.text(parts, scope),
            None => String::new(),
        };
        let name = if name == "default" { "" } else { &name };
        let Some(call) = self.call else {
            return self.nodes_into(&el.children, scope, cx, out);
        };
        let scoped: Vec<&ScopedSlot> = call.scoped.iter().filter(|s| s.name == name).collect();
        if !scoped.is_empty() {
            // The outlet's other attributes are the slot's props.
            let mut props = Map::new();
            for a in el.attrs.iter().filter(|a| a.name != "name") {
                let v = match &a.value {
                    None => Value::Bool(true),
                    Some(parts) => self.value(parts, scope),
                };
                props.insert(a.name.clone(), v);
            }
            let props = Value::Object(props);
            let own = std::mem::replace(&mut self.owner, call.owner);
            let mut r = Ok(());
            for s in scoped {
                let vars = Vars {
                    vars: [(s.var.as_str(), &props), (s.var.as_str(), &props)],
                    parent: Some(&s.scope),
                };
                let inner = Cx {
                    file: &s.file,
                    templates: cx.templates,
                    depth: cx.depth + 1,
                };
                self.memo_off += 1;
                // Outlets in the content are its owner's, and so are its
                // class names.
                let at = std::mem::replace(&mut self.call, s.outer.as_ref());
                let external = std::mem::take(&mut self.external);
                let class_scope = self.class_scope.take();
                // Its custom tags resolve through the owner's map.
                let tags = match &s.components {
                    Some(m) => self.components.replace(m),
                    None => self.components,
                };
                r = self.nodes_into(&s.nodes, &vars, &inner, out);
                self.components = tags;
                self.external = external;
                self.class_scope = class_scope;
                self.call = at;
                self.memo_off -= 1;
                if r.is_err() {
                    break;
                }
            }
            self.owner = own;
            return r;
        }
        match call.slot(name) {
            Some(nodes) => {
                self.nodes += call.slot_nodes;
                if self.nodes > MAX_NODES {
                    return Err(err(
                        cx.file,
                        el.pos,
                        format!("the page renders more than {MAX_NODES} elements"),
                    ));
                }
                out.extend(nodes.into_iter().cloned());
                Ok(())
            }
            None => self.nodes_into(&el.children, scope, cx, out),
        }
    }
}

/// The top-level names the expressions of `nodes` read.
fn names_in(nodes: &[Node], out: &mut Vec<String>) {
    let parts = |ps: &[Part], out: &mut Vec<String>| {
        for p in ps {
            if let Part::Expr(e, _) = p {
                e.names(out);
            }
        }
    };
    let mut stack: Vec<&Node> = nodes.iter().collect();
    while let Some(n) = stack.pop() {
        match n {
            Node::Text(ps, _) => parts(ps, out),
            Node::Element(e) => {
                for a in &e.attrs {
                    if let Some(ps) = &a.value {
                        parts(ps, out);
                    }
                }
                if let Some(Cond::If(ps) | Cond::Elif(ps)) = &e.cond {
                    parts(ps, out);
                }
                if let Some(f) = &e.for_loop {
                    parts(&f.list, out);
                }
                if let Some(Key::Expr(ps)) = &e.key {
                    parts(ps, out);
                }
                stack.extend(e.children.iter());
            }
        }
    }
}

/// The handler an `on*`/`catch*` attribute written as one `{{ }}` names:
/// a string is the owner's method of that name (Ant Design Mini's
/// `onFormat="{{handleFormat ? handleFormat : 'handleFormat'}}"`); a bare
/// name that is `true` here is the owner's function prop of that name,
/// passed on (`onChange="{{onChange}}"`; function props are `true` in a
/// template); a condition picks its branch. Anything else is a plain prop.
fn handler_of(e: &crate::expr::Expr, scope: &dyn Scope) -> Option<String> {
    use crate::expr::{eval_opt, truthy, Expr};
    match e {
        Expr::Cond(c, a, b) => {
            let pick = eval_opt(c, scope).is_some_and(|v| truthy(&v));
            handler_of(if pick { a } else { b }, scope)
        }
        _ => match eval_opt(e, scope) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            Some(Value::Bool(true)) => match e {
                Expr::Ident(name) => Some(name.clone()),
                _ => None,
            },
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::axml::parse;
    use crate::component::HostChange;
    use crate::diff::{diff_root, Ids, PatchOp};
    use crate::testkit::NoFiles;
    use crate::vdom::DomNode;
    use serde_json::json;
    use std::collections::HashMap;

    fn map() -> std::rc::Rc<HashMap<String, Arc<str>>> {
        std::rc::Rc::new(HashMap::from([
            ("card".to_owned(), Arc::from("components/card/card")),
            ("map".to_owned(), Arc::from("components/map/index")),
        ]))
    }

    fn page(src: &str, data: Value) -> Result<Vec<VNode>, RenderError> {
        let doc = parse(src).expect("parses");
        let m = map();
        Renderer::new(&NoFiles, 375.0)
            .with_components(&m, 0)
            .render(&doc, "pages/a/a.axml", &data)
    }

    fn call(v: &VNode) -> &std::rc::Rc<Call> {
        match v {
            VNode::Component { call, .. } => call,
            other => panic!("not a component: {other:?}"),
        }
    }

    fn texts(nodes: &[VNode]) -> String {
        let mut s = String::new();
        for n in nodes {
            match n {
                VNode::Text { text } => s.push_str(text),
                VNode::Element { children, .. } => s.push_str(&texts(children)),
                _ => {}
            }
        }
        s
    }

    /// B3: every attribute is a prop (class as className, bare as true,
    /// `{{x}}` as its value, mixed as text, data-* under its raw name);
    /// `on*`/`catch*` naming a method are handlers; ref, slot and key are not
    /// props; children are slot content by name, in the owner's scope.
    #[test]
    fn an_undefined_prop_is_left_out_and_null_is_kept() {
        let out = page(
            r#"<card gone="{{item.top.label}}" none="{{undefined}}" nil="{{n}}" text="a{{item.x}}" off="{{f ? 1 : item.y}}"/>"#,
            json!({"item": {}, "n": null, "f": false}),
        )
        .expect("renders");
        assert_eq!(
            Value::Object(call(&out[0]).props.clone()),
            json!({"nil": null, "text": "a"})
        );
    }

    /// An `on*` attribute written as one `{{ }}`: a method name it yields
    /// is a handler (Ant Design Mini's FormPicker writes
    /// `onFormat="{{handleFormat ? handleFormat : 'handleFormat'}}"`), a
    /// bare function prop (`true` in a template) is passed on under its
    /// name; an empty string, `false`, a number or an object is no handler
    /// and stays a plain prop (or, undefined, is left out).
    #[test]
    fn a_handler_written_as_an_expression_names_a_method_or_passes_one_on() {
        let out = page(
            r#"<card onA="{{f ? f : 'fallback'}}" onB="{{fn}}" onC="{{'m' + 1}}" onD="{{''}}" onE="{{n}}" onF="{{gone}}" onG="{{obj}}" onH="{{fn && 'x'}}"/>"#,
            json!({"f": false, "fn": true, "n": 3, "obj": {"a": 1}}),
        )
        .expect("renders");
        let c = call(&out[0]);
        assert_eq!(
            c.handlers,
            vec![
                ("onA".to_owned(), "fallback".to_owned()),
                ("onB".to_owned(), "fn".to_owned()),
                ("onC".to_owned(), "m1".to_owned()),
                ("onH".to_owned(), "x".to_owned()),
            ]
        );
        assert_eq!(
            Value::Object(c.props.clone()),
            json!({"onD": "", "onE": 3, "onG": {"a": 1}})
        );
    }

    #[test]
    fn a_custom_tag_passes_props_handlers_and_slot_content() {
        let out = page(
            r#"<card title="{{t}}" n="{{3}}" label="a {{t}}" class="x  y" data-item-id="7" bare
  onTap="go" catchLongTap="hold" onChange="{{dyn}}" ref="keep" a:key="k">
  <text>hi {{t}}</text>
  <text slot="foot">f1</text>
  <text a:for="{{2}}" slot="s{{item}}">{{item}}</text>
  <text slot="foot">f2</text>
</card>"#,
            json!({"t": "T", "dyn": "h"}),
        )
        .expect("renders");
        let c = call(&out[0]);
        assert_eq!(&*c.is, "components/card/card");
        assert_eq!(
            Value::Object(c.props.clone()),
            json!({"title": "T", "n": 3, "label": "a T", "className": "x  y", "data-item-id": "7", "bare": true})
        );
        assert_eq!(
            c.handlers,
            vec![
                ("onTap".to_owned(), "go".to_owned()),
                ("catchLongTap".to_owned(), "hold".to_owned()),
                ("onChange".to_owned(), "h".to_owned())
            ]
        );
        assert_eq!(c.ref_method.as_deref(), Some("keep"));
        let names: Vec<&str> = c.slots.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["", "foot", "s0", "s1"]);
        assert_eq!(
            texts(
                &c.slot("")
                    .expect("default")
                    .into_iter()
                    .cloned()
                    .collect::<Vec<_>>()
            ),
            "hi T"
        );
        assert_eq!(
            texts(
                &c.slot("foot")
                    .expect("foot")
                    .into_iter()
                    .cloned()
                    .collect::<Vec<_>>()
            ),
            "f1f2"
        );
        assert!(c.slot("none").is_none());
        // A custom `map` shadows the built-in one.
        let out = page("<map/>", json!({})).expect("renders");
        assert_eq!(&*call(&out[0]).is, "components/map/index");
    }

    #[test]
    fn a_custom_tag_no_map_names_is_an_error_with_its_place() {
        let e = page("<view>\n  <chart/>\n</view>", json!({})).expect_err("unknown");
        assert_eq!((e.pos.line, e.pos.col), (2, 3));
        assert_eq!(e.message, "unknown component <chart>");
        assert!(!e.over_budget);
    }

    fn instance(src: &str, data: Value, call: &std::rc::Rc<Call>) -> Vec<VNode> {
        let doc = parse(src).expect("parses");
        let m = map();
        Renderer::new(&NoFiles, 375.0)
            .with_components(&m, 9)
            .for_instance(call)
            .render(&doc, "components/card/card.axml", &data)
            .expect("renders")
    }

    /// B8: content shows at its outlet, fallback where none was passed, an
    /// outlet in a loop once per iteration; `<slot>` itself is no node.
    /// A component that passes its own slot on inside a scoped slot of the
    /// same name (Ant Design Mini's FormInput to its form-item): the
    /// `<slot>` in that content is the passing component's outlet, filled
    /// by its own owner, not the outlet the content renders at.
    #[test]
    fn a_slot_passed_on_inside_scoped_content_is_its_writers_outlet() {
        let out = page(r#"<card><text slot="header">H</text></card>"#, json!({})).expect("renders");
        let outer = call(&out[0]).clone();
        let passing = instance(
            r#"<card><view slot="header" slot-scope="item"><slot name="header"/>{{item.x}}</view></card>"#,
            json!({}),
            &outer,
        );
        let inner = call(&passing[0]).clone();
        let got = instance(
            r#"<view><slot name="header" x="1"/></view>"#,
            json!({}),
            &inner,
        );
        assert_eq!(texts(&got), "H1");
    }

    /// externalClasses: a name in the instance's own class lists becomes
    /// what the owner passed (nothing when it passed nothing); other names
    /// and slot content are left as they are.
    #[test]
    fn external_class_names_become_what_the_owner_passed() {
        let out = page(
            r#"<card><text class="t-class">slot</text></card>"#,
            json!({}),
        )
        .expect("renders");
        let c = call(&out[0]).clone();
        let doc =
            parse(r#"<view class="a t-class  b"><slot/></view><view class="x-class">y</view>"#)
                .expect("parses");
        let m = map();
        let external = [
            ("t-class".to_owned(), "big  red".to_owned()),
            ("x-class".to_owned(), String::new()),
        ];
        let got = Renderer::new(&NoFiles, 375.0)
            .with_components(&m, 9)
            .with_external_classes(&external)
            .for_instance(&c)
            .render(&doc, "components/card/card.axml", &json!({}))
            .expect("renders");
        let class = |v: &VNode| match v {
            VNode::Element { attrs, .. } => attrs.get("class").cloned().unwrap_or_default(),
            other => panic!("{other:?}"),
        };
        assert_eq!(class(&got[0]), "a big red b");
        assert_eq!(class(&got[1]), "");
        let VNode::Element { children, .. } = &got[0] else {
            panic!("element")
        };
        assert_eq!(
            class(&children[0]),
            "t-class",
            "the owner's slot content keeps its classes"
        );
    }

    #[test]
    fn outlets_show_their_content_or_their_fallback() {
        let out = page(
            r#"<card><text>main</text><text slot="row">R</text></card>"#,
            json!({}),
        )
        .expect("renders");
        let c = call(&out[0]).clone();
        let tpl = r#"<view><slot>fallback</slot>|<slot name="foot">no foot</slot>|<view a:for="{{n}}"><slot name="row">-</slot></view></view>"#;
        let got = instance(tpl, json!({"n": 3}), &c);
        assert_eq!(texts(&got), "main|no foot|RRR");
        let empty = page("<card/>", json!({})).expect("renders");
        let got = instance(tpl, json!({"n": 1}), call(&empty[0]));
        assert_eq!(texts(&got), "fallback|no foot|-");
        // Elements of the instance's template are its own; slot content is
        // its owner's (the page, 0), for their event handlers.
        let VNode::Element {
            owner, children, ..
        } = &got[0]
        else {
            panic!("element")
        };
        assert_eq!(*owner, 9);
        let inner = instance(tpl, json!({"n": 0}), &c);
        let VNode::Element { children: kids, .. } = &inner[0] else {
            panic!("element")
        };
        assert!(
            matches!(&kids[0], VNode::Element { owner: 0, .. }),
            "{kids:?}"
        );
        assert!(!children.is_empty());
    }

    /// The owner's diff makes, keeps and removes hosts, and never looks
    /// inside one; removed hosts are reported outer first.
    #[test]
    fn diffs_report_what_they_did_to_component_hosts() {
        let mut dom = DomNode::root();
        let mut ids = Ids::default();
        let src = r#"<view><card a:if="{{on}}" title="{{t}}"/><text>x</text></view>"#;
        let ops = diff_root(
            &mut dom,
            page(src, json!({"on": true, "t": "a"})).expect("r"),
            &mut ids,
        );
        let hosts = ids.take_hosts();
        let [HostChange::Created(id, c)] = &hosts[..] else {
            panic!("{hosts:?}")
        };
        assert_eq!(c.props["title"], "a");
        let host = dom.find(*id).expect("host");
        assert!(host.host && host.children.is_empty());
        assert_eq!(host.attrs["is"], "/components/card/card");
        assert!(ops.iter().any(|o| matches!(o, PatchOp::Insert { .. })));
        // The instance renders into its host; the owner's next render keeps it.
        let inner = vec![VNode::Element {
            tag: "view".into(),
            attrs: Default::default(),
            key: None,
            children: vec![VNode::Text { text: "in".into() }],
            owner: *id,
            data: None,
        }];
        let host = dom.find_mut(*id).expect("host");
        diff_root(host, inner, &mut ids);
        let ops = diff_root(
            &mut dom,
            page(src, json!({"on": true, "t": "b"})).expect("r"),
            &mut ids,
        );
        assert!(ops.is_empty(), "{ops:?}");
        assert!(
            matches!(&ids.take_hosts()[..], [HostChange::Kept(k, c)] if k == id && c.props["title"] == "b")
        );
        assert_eq!(dom.find(*id).expect("kept").text_content(), "in");
        // Gone with its subtree: the surface removes the host.
        let ops = diff_root(
            &mut dom,
            page(src, json!({"on": false})).expect("r"),
            &mut ids,
        );
        assert!(
            ops.iter()
                .any(|o| matches!(o, PatchOp::Remove { id: r } if r == id)),
            "{ops:?}"
        );
        assert!(dom.find(*id).is_none());
        assert!(matches!(&ids.take_hosts()[..], [HostChange::Removed(r)] if r == id));
    }

    /// Keyed items among unkeyed siblings keep their nodes (and so their
    /// component instances) when the list changes around them.
    #[test]
    fn keyed_items_among_fixed_siblings_keep_their_nodes() {
        let mut dom = DomNode::root();
        let mut ids = Ids::default();
        let src = r#"<card title="head"/><card a:for="{{list}}" a:key="*this" title="{{item}}"/><text>tail</text>"#;
        diff_root(
            &mut dom,
            page(src, json!({"list": ["a", "b", "c"]})).expect("r"),
            &mut ids,
        );
        let created: Vec<u64> = ids
            .take_hosts()
            .iter()
            .map(|h| match h {
                HostChange::Created(id, _) => *id,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(created.len(), 4);
        diff_root(
            &mut dom,
            page(src, json!({"list": ["c", "b"]})).expect("r"),
            &mut ids,
        );
        let hosts = ids.take_hosts();
        let removed: Vec<u64> = hosts
            .iter()
            .filter_map(|h| match h {
                HostChange::Removed(id) => Some(*id),
                _ => None,
            })
            .collect();
        assert_eq!(removed, [created[1]], "only a's instance goes: {hosts:?}");
        assert!(
            !hosts.iter().any(|h| matches!(h, HostChange::Created(..))),
            "{hosts:?}"
        );
        let order: Vec<u64> = dom.children.iter().map(|n| n.id).collect();
        assert_eq!(&order[..3], [created[0], created[3], created[2]]);
    }

    /// B8.5: content with `slot-scope` renders at each outlet of its name,
    /// in its owner's scope (what it reads, kept) plus the outlet's props,
    /// and its handlers are its owner's.
    #[test]
    fn scoped_slots_render_per_outlet_with_its_props() {
        let out = page(
            r#"<card><text slot="row" slot-scope="r" onTap="pick">{{r.value}}{{k}}</text><text>plain</text></card>"#,
            json!({"k": "K", "unused": [1, 2, 3]}),
        )
        .expect("renders");
        let c = call(&out[0]).clone();
        assert_eq!(c.scoped.len(), 1);
        assert_eq!(
            (c.scoped[0].name.as_str(), c.scoped[0].var.as_str()),
            ("row", "r")
        );
        assert_eq!(c.scoped[0].scope, json!({"k": "K"}));
        let tpl =
            r#"<view a:for="{{rows}}"><slot name="row" value="{{item * 10}}"/></view><slot/>"#;
        let got = instance(tpl, json!({"rows": [1, 2]}), &c);
        assert_eq!(texts(&got), "10K20Kplain");
        let VNode::Element { children, .. } = &got[0] else {
            panic!("element")
        };
        let VNode::Element { owner, attrs, .. } = &children[0] else {
            panic!("element")
        };
        assert_eq!(*owner, 0, "the page's handler");
        assert!(
            !attrs.contains_key("slot-scope") && !attrs.contains_key("slot"),
            "{attrs:?}"
        );
    }
}
