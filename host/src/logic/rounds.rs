//! One update of the view, in rounds: the pages and component instances
//! whose data changed render and diff (each instance into its own host
//! node, alone); what the diffs did to component hosts becomes tasks for
//! the logic layer (create, new props, unmount); once nothing is left to
//! render, `didMount` (children first) and `didUpdate`; and at the end each
//! page's ops go to the host together, in one patch.

use super::components::{self, Instance, Summary};
use super::protocol::{FromLogic, PageId, ScriptError};
use super::view::{DocLoader, Views};
use mpkit_render::component::HostChange;
use mpkit_render::diff::diff_root;
use mpkit_render::template::{Budget, Changes, Renderer};
use mpkit_render::vdom::DomNode;
use mpkit_render::wire::WireOps;
use serde_json::Value;
use std::rc::Rc;
use std::time::Instant;

/// Tasks for the logic layer, page by page.
pub(crate) type Tasks = Vec<(PageId, Vec<Value>)>;

/// Ids of the component hosts in `dom`, parents before children.
fn hosts_pre_order(dom: &DomNode, out: &mut Vec<u64>) {
    let mut stack = vec![dom];
    while let Some(n) = stack.pop() {
        if n.host {
            out.push(n.id);
        }
        stack.extend(n.children.iter().rev());
    }
}

/// Ids of the component hosts in `dom` that are in `of`, children before
/// parents and siblings in order (B5.4: React's `componentDidMount` order).
fn hosts_post_order(dom: &DomNode, of: &[u64], out: &mut Vec<u64>) {
    // (node, whether its children are done)
    let mut stack = vec![(dom, false)];
    while let Some((n, done)) = stack.pop() {
        if done {
            if n.host && of.contains(&n.id) {
                out.push(n.id);
            }
            continue;
        }
        stack.push((n, true));
        stack.extend(n.children.iter().rev().map(|c| (c, false)));
    }
}

impl Views {
    /// Renders what must render on every page, and returns what the
    /// logic layer must do about the component hosts those renders made,
    /// kept and removed. Empty when nothing is left to render.
    pub(crate) fn render_round(&mut self, out: &mut Vec<FromLogic>) -> Tasks {
        let mut all = Tasks::new();
        for i in 0..self.pages.len() {
            if self.stopped {
                break;
            }
            let mut tasks = Vec::new();
            // Instances held for a summary: the logic layer has run the
            // define tasks since, so each is made now, in order.
            for id in std::mem::take(&mut self.pages[i].held) {
                self.make(i, id, &mut tasks);
            }
            if self.pages[i].dirty {
                self.render_page(i, &mut tasks, out);
            }
            if self.stopped {
                break;
            }
            // Instances in tree order, parents first; a page without
            // components is not walked. Instances made here from their
            // summary (no JS to wait for) render in the same round: the
            // walk is taken again while any is due (the instance, depth
            // and element limits end it).
            loop {
                let due = |c: &Instance| c.dirty && c.ready && !c.awaiting;
                if self.stopped || !self.pages[i].comps.values().any(due) {
                    break;
                }
                // One instance due (its own setData): no walk for the order.
                let mut order = Vec::new();
                let mut due_ids = self.pages[i].comps.iter().filter(|(_, c)| due(c));
                match (due_ids.next(), due_ids.next()) {
                    (Some((id, _)), None) => order.push(*id),
                    _ => hosts_pre_order(&self.pages[i].dom, &mut order),
                }
                let mut rendered = false;
                for id in order {
                    if self.pages[i].comps.get(&id).is_some_and(due) {
                        self.render_instance(i, id, &mut tasks, out);
                        rendered = true;
                    }
                    if self.stopped {
                        break;
                    }
                }
                if !rendered {
                    break;
                }
            }
            if !tasks.is_empty() {
                all.push((self.pages[i].id, tasks));
            }
        }
        all
    }

    fn render_page(&mut self, i: usize, tasks: &mut Vec<Value>, out: &mut Vec<FromLogic>) {
        let loader = DocLoader {
            files: &*self.files,
            cache: &self.docs,
        };
        let p = &mut self.pages[i];
        p.dirty = false;
        let Some(doc) = p.doc.clone() else {
            return;
        };
        let file = format!("{}.axml", p.route);
        let changes = std::mem::take(&mut p.changes);
        let map = p.map.clone();
        let (started, deadline) = self.budget(i);
        let p = &mut self.pages[i];
        let mut renderer = Renderer::new(&loader, self.config.screen_width)
            .with_budget(Budget::new(u64::MAX, move || Instant::now() < deadline))
            .with_components(&map, 0)
            .with_sjs(&self.sjs);
        let rendered = renderer.render_cached(&doc, &file, &p.data, &mut p.cache, &changes);
        p.spent += started.elapsed();
        // What the render accepted with a warning (an `a:key` that
        // names nothing): each place once per page, held to a cap.
        for w in renderer.take_warnings() {
            out.push(FromLogic::Warning {
                warning: ScriptError::at("view", &w.file, w.pos.line, w.pos.col, w.message),
            });
        }
        match rendered {
            Ok(nodes) => {
                let ops = diff_root(&mut p.dom, nodes, &mut p.ids);
                p.ops.extend(ops);
                p.touched = true;
                let changes = p.ids.take_hosts();
                let made = renderer.nodes();
                if !self.count_nodes(i, made) {
                    return self.refuse(
                        i,
                        &file,
                        mpkit_render::axml::Pos::default(),
                        too_many(),
                        out,
                    );
                }
                self.apply_hosts(i, changes, tasks, out);
            }
            Err(e) => {
                let steps = renderer.steps();
                self.failed(i, e, steps, true, out);
            }
        }
    }

    fn render_instance(
        &mut self,
        i: usize,
        id: u64,
        tasks: &mut Vec<Value>,
        out: &mut Vec<FromLogic>,
    ) {
        let mut warnings = Vec::new();
        let loader = DocLoader {
            files: &*self.files,
            cache: &self.docs,
        };
        let Some(inst) = self.pages[i].comps.get_mut(&id) else {
            return;
        };
        inst.dirty = false;
        let def = self
            .registry
            .def(&*self.files, &loader, &inst.is, &mut warnings);
        let call = inst.call.clone();
        let file = format!("{}.axml", inst.is);
        let first = !inst.rendered;
        inst.rendered = true;
        let update = std::mem::take(&mut inst.updated);
        for w in warnings {
            out.push(FromLogic::Warning {
                warning: ScriptError::at("view", &format!("{}.json", inst.is), 0, 0, w),
            });
        }
        let doc = match &def.doc {
            Ok(d) => d.clone(),
            Err((pos, message)) => {
                // The instance renders nothing; the page stays.
                if first {
                    out.push(FromLogic::Error {
                        error: ScriptError::at("render", &file, pos.line, pos.col, message.clone()),
                    });
                }
                return;
            }
        };
        let scope = inst.scope(id);
        // externalClasses: each name stands for what the owner passed under it.
        let classes: Vec<(String, String)> = inst
            .classes
            .iter()
            .map(|c| {
                let passed = inst.call.props.get(c).and_then(Value::as_str).unwrap_or("");
                (c.clone(), passed.to_owned())
            })
            .collect();
        let changes = std::mem::take(&mut inst.changes);
        let mut cache = std::mem::take(&mut inst.cache);
        let (started, deadline) = self.budget(i);
        let mut renderer = Renderer::new(&loader, self.config.screen_width)
            .with_budget(Budget::new(u64::MAX, move || Instant::now() < deadline))
            .with_components(&def.map, id)
            .with_sjs(&self.sjs)
            .with_external_classes(&classes)
            .for_instance(&call);
        if let Some((prefix, keep)) = &def.scope {
            renderer = renderer.with_class_scope(prefix, *keep);
        }
        let rendered = renderer.render_cached(&doc, &file, &scope, &mut cache, &changes);
        self.pages[i].spent += started.elapsed();
        for w in renderer.take_warnings() {
            out.push(FromLogic::Warning {
                warning: ScriptError::at("view", &w.file, w.pos.line, w.pos.col, w.message),
            });
        }
        let p = &mut self.pages[i];
        if let Some(inst) = p.comps.get_mut(&id) {
            inst.cache = cache;
        }
        match rendered {
            Ok(nodes) => {
                let Some(host) = p.dom.find_mut(id) else {
                    return;
                };
                let ops = diff_root(host, nodes, &mut p.ids);
                p.ops.extend(ops);
                p.touched = true;
                // Only the lifecycles its JS has: `mounted` also tells it that
                // later updates get `didUpdate`.
                let after = p.comps.get(&id).map_or(3, |c| c.after);
                if first && after != 0 {
                    p.mounted.push(id);
                } else if !first && update && after & 2 != 0 {
                    p.updated.push(id);
                }
                let changes = p.ids.take_hosts();
                let made = renderer.nodes();
                if !self.count_nodes(i, made) {
                    return self.refuse(i, &call.file, call.pos, too_many(), out);
                }
                self.apply_hosts(i, changes, tasks, out);
            }
            Err(e) => {
                let steps = renderer.steps();
                self.failed(i, e, steps, false, out);
            }
        }
    }

    /// What a diff did to component hosts, as instances made, given new
    /// props, or dropped, and the tasks that tell the logic layer.
    fn apply_hosts(
        &mut self,
        i: usize,
        changes: Vec<HostChange>,
        tasks: &mut Vec<Value>,
        out: &mut Vec<FromLogic>,
    ) {
        for change in changes {
            match change {
                HostChange::Created(id, call) => {
                    let p = &self.pages[i];
                    let depth = p.comps.get(&call.owner).map_or(0, |o| o.depth) + 1;
                    let refused = if p.comps.len() >= components::MAX_INSTANCES {
                        Some(format!(
                            "the page holds more than {} component instances",
                            components::MAX_INSTANCES
                        ))
                    } else if depth > components::MAX_DEPTH {
                        Some(format!(
                            "components nested more than {} deep (does <{}> use itself?)",
                            components::MAX_DEPTH,
                            p.dom.find(id).map_or("?", |n| n.tag.as_str())
                        ))
                    } else {
                        None
                    };
                    if let Some(message) = refused {
                        self.refuse(i, &call.file, call.pos, message, out);
                        return;
                    }
                    let mut warnings = Vec::new();
                    let loader = DocLoader {
                        files: &*self.files,
                        cache: &self.docs,
                    };
                    let def = self
                        .registry
                        .def(&*self.files, &loader, &call.is, &mut warnings);
                    for w in warnings {
                        out.push(FromLogic::Warning {
                            warning: ScriptError::at(
                                "view",
                                &call.file,
                                call.pos.line,
                                call.pos.col,
                                w,
                            ),
                        });
                    }
                    let is = call.is.clone();
                    self.pages[i]
                        .comps
                        .insert(id, Instance::new(is.clone(), call, depth));
                    if !def.script && !self.summaries.contains_key(&is) {
                        self.summaries
                            .insert(is.clone(), Rc::new(Summary::template_only()));
                    }
                    // Made in order: once one instance waits for its
                    // component's summary, those after it wait too.
                    if self.pages[i].held.is_empty() && self.summaries.contains_key(&is) {
                        self.make(i, id, tasks);
                    } else {
                        if !self.summaries.contains_key(&is) && self.defining.insert(is.clone()) {
                            tasks.push(components::define_task(&is));
                        }
                        self.pages[i].held.push(id);
                    }
                }
                HostChange::Kept(id, call) => {
                    let Some(inst) = self.pages[i].comps.get_mut(&id) else {
                        continue;
                    };
                    if inst.call == call {
                        continue;
                    }
                    let props_changed =
                        inst.call.props != call.props || inst.call.handlers != call.handlers;
                    if inst.deferred {
                        let summary = self.summaries.get(&inst.is).cloned().unwrap_or_default();
                        let defers = summary.defers(&call);
                        inst.props = summary.props_for(&call);
                        inst.call = call;
                        inst.dirty = true;
                        inst.changes = Changes::everything();
                        if !defers {
                            // Handlers or a ref now: its JS object is needed.
                            self.materialize(i, id, tasks);
                        }
                        continue;
                    }
                    if props_changed {
                        tasks.push(components::props_task(id, &call, &inst.call));
                        inst.awaiting = true;
                        inst.updated = true;
                    }
                    inst.call = call;
                    inst.dirty = true;
                    inst.changes = Changes::everything();
                }
                HostChange::Removed(id) => {
                    let p = &mut self.pages[i];
                    p.held.retain(|h| *h != id);
                    if let Some(inst) = p.comps.remove(&id) {
                        p.mounted.retain(|m| *m != id);
                        p.updated.retain(|m| *m != id);
                        // A deferred instance has no JS object to unmount.
                        if !inst.deferred {
                            tasks.push(components::task("remove", id));
                        }
                    }
                }
            }
        }
    }

    /// Makes instance `id` of page `i` once its component's summary is
    /// known: from the summary, its JS object deferred, when the component
    /// is plain and its owner hands it no handler or ref; else through a
    /// create task (its owner's JS object made first, for the handlers).
    /// A component whose summary never came (its script failed) is taken
    /// as not plain.
    fn make(&mut self, i: usize, id: u64, tasks: &mut Vec<Value>) {
        let Some(inst) = self.pages[i].comps.get(&id) else {
            return;
        };
        let summary = self
            .summaries
            .entry(inst.is.clone())
            .or_insert_with(|| Rc::new(Summary::default()))
            .clone();
        if summary.defers(&inst.call) {
            if let Some(inst) = self.pages[i].comps.get_mut(&id) {
                inst.defer(&summary);
            }
            return;
        }
        let owner = inst.call.owner;
        self.materialize(i, owner, tasks);
        let Some(inst) = self.pages[i].comps.get(&id) else {
            return;
        };
        let script = self.registry.known(&inst.is).is_none_or(|d| d.script);
        tasks.push(components::create_task(id, &inst.call, script));
    }

    /// Makes the JS object of deferred instance `id` of page `i` (a create
    /// task with what its owner passes now); nothing for one that has it.
    pub(crate) fn materialize(&mut self, i: usize, id: u64, tasks: &mut Vec<Value>) {
        let Some(inst) = self.pages[i].comps.get_mut(&id) else {
            return;
        };
        if !inst.deferred {
            return;
        }
        inst.deferred = false;
        let script = self.registry.known(&inst.is).is_none_or(|d| d.script);
        tasks.push(components::create_task(id, &inst.call, script));
    }

    /// A render of page `i` that failed: past the budget, the mini program
    /// is stopped and nothing else renders; else a mistake in the page's
    /// template is the page's error state, one in a component's an error
    /// (the instance renders nothing, the page stays).
    fn failed(
        &mut self,
        i: usize,
        e: mpkit_render::template::RenderError,
        steps: u64,
        page_template: bool,
        out: &mut Vec<FromLogic>,
    ) {
        let p = &mut self.pages[i];
        let error = ScriptError::at("render", &e.file, e.pos.line, e.pos.col, e.message);
        if e.over_budget {
            out.push(FromLogic::RenderBudget {
                page: p.id,
                route: p.route.clone(),
                steps,
            });
            self.stopped = true;
        } else if page_template {
            out.push(FromLogic::RenderError {
                page: p.id,
                error,
                callbacks: std::mem::take(&mut p.callbacks),
            });
        } else {
            out.push(FromLogic::Error { error });
        }
    }

    /// When a render of page `i` starts now, and when it must be done: the
    /// budget is for this update's renders together (the page's and its
    /// instances'), the logic layer's time between them not counted.
    fn budget(&self, i: usize) -> (Instant, Instant) {
        let now = Instant::now();
        let left = self
            .config
            .render_budget
            .saturating_sub(self.pages[i].spent);
        (now, now + left)
    }

    /// Ends this update of page `i` with a render error at `file:pos`: what
    /// a hostile component tree gets (too many instances, too deep, too
    /// many elements). The page shows the error; nothing else renders.
    fn refuse(
        &mut self,
        i: usize,
        file: &str,
        pos: mpkit_render::axml::Pos,
        message: String,
        out: &mut Vec<FromLogic>,
    ) {
        let p = &mut self.pages[i];
        out.push(FromLogic::RenderError {
            page: p.id,
            error: ScriptError::at("render", file, pos.line, pos.col, message),
            callbacks: std::mem::take(&mut p.callbacks),
        });
        self.stopped = true;
    }

    /// Counts what one render made against the page's limit for one update
    /// (its own elements and every instance's); false once it is over.
    fn count_nodes(&mut self, i: usize, nodes: usize) -> bool {
        let p = &mut self.pages[i];
        p.nodes += nodes;
        p.nodes <= mpkit_render::template::MAX_NODES
    }

    /// Once nothing is left to render: `didMount` for the instances first
    /// rendered in this update, children first, then `didUpdate` for those
    /// re-rendered by an update.
    pub(crate) fn after_render(&mut self) -> Tasks {
        let mut all = Tasks::new();
        for p in &mut self.pages {
            let mut tasks = Vec::new();
            let mounted = std::mem::take(&mut p.mounted);
            if !mounted.is_empty() {
                let mut order = Vec::new();
                hosts_post_order(&p.dom, &mounted, &mut order);
                tasks.extend(order.into_iter().map(|id| components::task("mounted", id)));
            }
            for id in std::mem::take(&mut p.updated) {
                tasks.push(components::task("updated", id));
            }
            if !tasks.is_empty() {
                all.push((p.id, tasks));
            }
        }
        all
    }

    /// Sends each page's ops of this update to the host in one patch, with
    /// the setData callbacks they satisfy. A page's first render reaches the
    /// surface even when it is empty: that is when the page is on screen.
    pub(crate) fn flush(&mut self, out: &mut Vec<FromLogic>) {
        self.stopped = false;
        for p in &mut self.pages {
            p.spent = std::time::Duration::ZERO;
            p.nodes = 0;
            let mut callbacks = std::mem::take(&mut p.callbacks);
            for inst in p.comps.values_mut() {
                callbacks.append(&mut inst.callbacks);
            }
            let ops = std::mem::take(&mut p.ops);
            let touched = std::mem::take(&mut p.touched);
            if p.doc.is_none() || !touched {
                if !callbacks.is_empty() {
                    out.push(FromLogic::Patch {
                        page: p.id,
                        ops: WireOps::default(),
                        first: false,
                        callbacks,
                    });
                }
                continue;
            }
            if !ops.is_empty() || !p.rendered || !callbacks.is_empty() {
                out.push(FromLogic::Patch {
                    page: p.id,
                    ops: WireOps(ops),
                    first: !p.rendered,
                    callbacks,
                });
                p.rendered = true;
            }
        }
    }
}

fn too_many() -> String {
    format!(
        "the page renders more than {} elements in one update, counting its components'",
        mpkit_render::template::MAX_NODES
    )
}

/// Most rounds one update may take before the view gives up on it: a
/// component tree that keeps re-rendering itself.
pub(crate) const MAX_ROUNDS: usize = 64;

#[cfg(test)]
mod tests {
    use super::super::components::Summary;
    use super::super::view::{ViewConfig, Views};
    use crate::runtime::files::MemFiles;
    use serde_json::{json, Value};
    use std::rc::Rc;

    use super::super::files::TestFiles as Files;

    /// A page of `<plain>` (three), `<eager>` between them, and a `<plain>`
    /// owner whose template hands a `<child>` one of its methods.
    fn views() -> Views {
        let mut files = std::collections::BTreeMap::new();
        let mut w = |p: &str, t: &str| {
            files.insert(p.to_owned(), t.as_bytes().to_vec());
        };
        w(
            "app.json",
            r#"{"pages":["pages/index/index"],"usingComponents":{"plain":"/c/plain","eager":"/c/eager","owner":"/c/owner","child":"/c/child"}}"#,
        );
        w(
            "pages/index/index.axml",
            r#"<plain n="1"/><eager/><plain a:for="{{list}}" n="{{item}}"/><owner a:if="{{owner}}"/>"#,
        );
        for c in ["plain", "eager", "owner", "child"] {
            w(&format!("c/{c}.json"), r#"{"component":true}"#);
            w(&format!("c/{c}.js"), "Component({});");
        }
        w("c/plain.axml", "<text>{{n}}:{{count}}:{{d}}</text>");
        w("c/eager.axml", "<text>eager</text>");
        w("c/owner.axml", r#"<child onPick="picked"/>"#);
        w("c/child.axml", "<text>child</text>");
        let mut views = Views::new(Rc::new(Files(MemFiles(files))), ViewConfig::default());
        views.open(1, "pages/index/index", true);
        views.initial_data(1, json!({"list": [2, 3], "owner": false}));
        views
    }

    fn plain() -> Summary {
        Summary {
            plain: true,
            props: serde_json::from_value(json!({"n": 0, "d": "default"})).expect("map"),
            data: json!({"count": 0}),
            ..Summary::default()
        }
    }

    /// The ops of each task, as `op is` or `op id`.
    fn ops(tasks: &[(u64, Vec<Value>)]) -> Vec<String> {
        tasks
            .iter()
            .flat_map(|(_, t)| t.iter())
            .map(|t| match t["op"].as_str() {
                Some("define") => format!("define {}", t["is"].as_str().unwrap_or("?")),
                Some(op) => format!("{op} {}", t["props"]["n"]),
                None => "?".into(),
            })
            .collect()
    }

    /// Each component's summary is asked for once, before any instance is
    /// made, and the instances wait for it in order; then a plain
    /// component's instances are made and rendered by the view with no
    /// task at all, the others through create tasks in tree order.
    #[test]
    fn plain_instances_are_made_by_the_view_in_order_and_others_by_tasks() {
        let mut v = views();
        let mut out = Vec::new();
        let first = v.render_round(&mut out);
        assert_eq!(ops(&first), ["define c/plain", "define c/eager"]);
        v.component_def("c/plain", plain());
        v.component_def("c/eager", Summary::default());
        let second = v.render_round(&mut out);
        assert_eq!(ops(&second), ["create null"], "only <eager> needs JS");
        v.component_state(
            1,
            second[0].1[0]["id"].as_u64().expect("id"),
            json!({}),
            Some(json!({})),
            (Some(0), vec![]),
        );
        assert!(v.render_round(&mut out).is_empty());
        v.flush(&mut out);
        let html = v.pages[0].dom.to_html();
        for n in ["1", "2", "3"] {
            assert!(html.contains(&format!("{n}:0:default")), "{html}");
        }
        assert!(html.contains("eager"), "{html}");
    }

    /// A deferred instance's new props are its own business; its JS object
    /// is made with what its owner passes now when an event needs it; a
    /// child handed a method of a deferred owner gets the owner's JS object
    /// made first; a deferred instance removed tells JS nothing.
    #[test]
    fn deferred_instances_get_their_js_object_when_it_is_needed() {
        let mut v = views();
        let mut out = Vec::new();
        v.render_round(&mut out);
        v.component_def("c/plain", plain());
        v.component_def("c/eager", Summary::default());
        v.component_def("c/owner", plain());
        v.component_def("c/child", plain());
        let created = v.render_round(&mut out);
        let eager = created[0].1[0]["id"].as_u64().expect("id");
        v.component_state(1, eager, json!({}), Some(json!({})), (Some(0), vec![]));
        v.render_round(&mut out);
        v.set_data(
            (1, 0),
            json!({"list": [5, 3]}).as_object().cloned().expect("map"),
            0,
            0,
            &mut out,
        );
        assert!(v.render_round(&mut out).is_empty(), "new props need no JS");
        let html = v.pages[0].dom.to_html();
        assert!(html.contains("5:0:default"), "{html}");
        // The second <plain>'s JS object, for an event: made with n = 5.
        let second = v.pages[0]
            .comps
            .iter()
            .filter(|(_, c)| c.deferred)
            .map(|(id, _)| *id)
            .nth(1)
            .expect("second plain");
        let tasks = v.materialize_on(1, second);
        assert_eq!(tasks.len(), 1);
        assert_eq!(
            (tasks[0]["op"].as_str(), &tasks[0]["props"]["n"]),
            (Some("create"), &json!(5))
        );
        assert!(v.materialize_on(1, second).is_empty(), "made once");
        // The owner: plain, but its child takes one of its methods.
        v.set_data(
            (1, 0),
            json!({"owner": true}).as_object().cloned().expect("map"),
            0,
            0,
            &mut out,
        );
        let tasks = v.render_round(&mut out);
        let made: Vec<&str> = tasks[0]
            .1
            .iter()
            .map(|t| t["is"].as_str().unwrap_or("?"))
            .collect();
        assert_eq!(made, ["c/owner", "c/child"], "{tasks:?}");
        // Removing deferred instances sends nothing; a made one is removed.
        let deferred: Vec<u64> = v.pages[0]
            .comps
            .iter()
            .filter(|(_, c)| c.deferred)
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(
            deferred.len(),
            2,
            "the first <plain> and the one with n = 3"
        );
        v.set_data(
            (1, 0),
            json!({"list": []}).as_object().cloned().expect("map"),
            0,
            0,
            &mut out,
        );
        let tasks = v.render_round(&mut out);
        let removed: Vec<u64> = tasks
            .iter()
            .flat_map(|(_, t)| t.iter())
            .filter(|t| t["op"] == "remove")
            .filter_map(|t| t["id"].as_u64())
            .collect();
        assert!(removed.contains(&second), "{removed:?}");
        assert!(
            !v.pages[0].comps.contains_key(&deferred[1]),
            "n = 3 is gone"
        );
        assert!(!removed.iter().any(|r| deferred.contains(r)), "{removed:?}");
    }

    /// `styleIsolation` in a component's json: `shared` (and none) leaves
    /// its classes and rules alone; `apply-shared` gives its elements its
    /// own class names beside theirs and its rules only those; `isolated`
    /// its own names alone. Owner-passed classes stay as passed; a query's
    /// `.name` still finds every element; a value that is none of the
    /// three is shared, with a warning.
    #[test]
    fn style_isolation_renames_a_components_classes_and_rules() {
        let mut files = std::collections::BTreeMap::new();
        let mut w = |p: &str, t: &str| {
            files.insert(p.to_owned(), t.as_bytes().to_vec());
        };
        w(
            "app.json",
            r#"{"pages":["pages/index/index"],"usingComponents":{"sh":"/c/sh","ap":"/c/ap","iso":"/c/iso","odd":"/c/odd"}}"#,
        );
        w(
            "pages/index/index.axml",
            r#"<text class="title">page</text><sh/><ap/><iso x-class="big"/><odd/>"#,
        );
        w("pages/index/index.acss", ".title { font-weight: bold }");
        for (c, iso) in [
            ("sh", "shared"),
            ("ap", "apply-shared"),
            ("iso", "isolated"),
            ("odd", "yes"),
        ] {
            w(
                &format!("c/{c}.json"),
                &format!(r#"{{"component":true,"styleIsolation":"{iso}"}}"#),
            );
            w(
                &format!("c/{c}.acss"),
                &format!(".title, view.{c}:not(.x) {{ color: red }}"),
            );
            w(&format!("c/{c}.js"), "Component({});");
            w(
                &format!("c/{c}.axml"),
                &format!(
                    r#"<view class="{c} title" id="{c}"><text class="x-class">x</text></view>"#
                ),
            );
        }
        let mut v = Views::new(Rc::new(Files(MemFiles(files))), ViewConfig::default());
        let opened = v.open(1, "pages/index/index", true);
        let super::FromLogic::PageView { css, warnings, .. } = opened else {
            panic!("{opened:?}");
        };
        let (ap, iso) = (
            mpkit_render::acss::class_prefix("c/ap"),
            mpkit_render::acss::class_prefix("c/iso"),
        );
        assert!(
            css.contains(".title, view.sh:not(.x) { color: red }"),
            "{css}"
        );
        assert!(
            css.contains(&format!(
                ".{ap}title, view.{ap}ap:not(.{ap}x) {{ color: red }}"
            )),
            "{css}"
        );
        assert!(
            css.contains(&format!(
                ".{iso}title, view.{iso}iso:not(.{iso}x) {{ color: red }}"
            )),
            "{css}"
        );
        assert!(
            css.contains(".title, view.odd:not(.x) { color: red }"),
            "{css}"
        );
        assert!(css.ends_with(".title { font-weight: bold }"), "{css}");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("c/odd.json: styleIsolation \"yes\" is not one of")),
            "{warnings:?}"
        );
        v.initial_data(1, json!({}));
        let mut out = Vec::new();
        let tasks = v.render_round(&mut out);
        assert_eq!(tasks[0].1.len(), 4, "a define task each: {tasks:?}");
        for c in ["c/sh", "c/ap", "c/odd"] {
            v.component_def(c, Summary::template_only());
        }
        let external = Summary {
            classes: vec!["x-class".into()],
            ..Summary::template_only()
        };
        v.component_def("c/iso", external);
        assert!(v.render_round(&mut out).is_empty());
        let dom = &v.pages[0].dom;
        let class = |id: &str| {
            mpkit_render::selector::Selector::parse(&format!("#{id}"))
                .expect("selector")
                .select(dom)
                .first()
                .and_then(|n| n.attrs.get("class").cloned())
                .unwrap_or_default()
        };
        assert_eq!(class("sh"), "sh title");
        assert_eq!(class("ap"), format!("ap {ap}ap title {ap}title"));
        assert_eq!(class("iso"), format!("{iso}iso {iso}title"));
        assert_eq!(class("odd"), "odd title");
        let html = dom.to_html();
        assert!(
            html.contains(r#"<text class="big">x</text>"#),
            "the owner's class as passed: {html}"
        );
        let titles = mpkit_render::selector::Selector::parse(".title")
            .expect("selector")
            .select(dom)
            .len();
        assert_eq!(titles, 5, "{html}");
    }
}
