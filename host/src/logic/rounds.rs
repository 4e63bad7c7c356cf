//! One update of the view, in rounds: the pages and component instances
//! whose data changed render and diff (each instance into its own host
//! node, alone); what the diffs did to component hosts becomes tasks for
//! the logic layer (create, new props, unmount); once nothing is left to
//! render, `didMount` (children first) and `didUpdate`; and at the end each
//! page's ops go to the host together, in one patch.

use super::components::{self, Instance};
use super::protocol::{FromLogic, PageId, ScriptError};
use super::view::{DocLoader, Views};
use mpkit_render::component::HostChange;
use mpkit_render::diff::diff_root;
use mpkit_render::template::{Budget, Changes, Renderer};
use mpkit_render::vdom::DomNode;
use mpkit_render::wire::WireOps;
use serde_json::Value;
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
            if self.pages[i].dirty {
                self.render_page(i, &mut tasks, out);
            }
            if self.stopped {
                break;
            }
            // Instances in tree order, parents first; a page without
            // components is not walked.
            let mut order = Vec::new();
            if self.pages[i].comps.values().any(|c| c.dirty) {
                hosts_pre_order(&self.pages[i].dom, &mut order);
            }
            for id in order {
                let due = self.pages[i]
                    .comps
                    .get(&id)
                    .is_some_and(|c| c.dirty && c.ready && !c.awaiting);
                if due {
                    self.render_instance(i, id, &mut tasks, out);
                }
                if self.stopped {
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
        let loader = DocLoader {
            files: &*self.files,
            cache: &self.docs,
        };
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
                    tasks.push(components::create_task(id, &call, def.script));
                    self.pages[i]
                        .comps
                        .insert(id, Instance::new(call.is.clone(), call, depth));
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
                    if p.comps.remove(&id).is_some() {
                        p.mounted.retain(|m| *m != id);
                        p.updated.retain(|m| *m != id);
                        tasks.push(components::task("remove", id));
                    }
                }
            }
        }
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
