//! The view half of the isolation unit: each page's template, data, mounted
//! tree and render cache. It runs where the mini program's JS runs (in its
//! worker process, or on the app's own thread), so everything a mini
//! program wrote — its templates, their expressions, its stylesheets — is
//! parsed and evaluated behind the isolation boundary, under the watchdog,
//! the memory cap and a render budget. The host receives patch ops.

use super::components::{Instance, Registry, Summary, TagMap};
use super::files::parse_error;
pub(crate) use super::files::UnitFiles;
use super::protocol::{FromLogic, NavRequest, PageId, ResolvedCall, ScriptError};
use mpkit_jsapi::Nav;
use mpkit_render::axml::{self, Document};
use mpkit_render::diff::PatchOp;
use mpkit_render::diff::{self, Ids};
use mpkit_render::events::{self, EventKind};
use mpkit_render::template::{Changes, Loader, RenderCache};
use mpkit_render::vdom::{DomNode, NodeId};
use mpkit_render::{acss, data};
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// setData payloads of at least this many bytes (serialized) are reported to
/// the host ([`FromLogic::LargeSetData`]), for tools such as compatibility checks.
pub const LARGE_SET_DATA_BYTES: usize = 64 * 1024;

/// How long one page's render may take before its app is stopped, unless the
/// embedding app sets another budget.
pub const DEFAULT_RENDER_BUDGET: Duration = Duration::from_secs(2);

/// How the unit renders: the screen it renders for and how long a render may take.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct ViewConfig {
    /// Screen width in px (750rpx).
    pub screen_width: f64,
    /// How long one page's render may take.
    pub render_budget: Duration,
}

impl Default for ViewConfig {
    fn default() -> ViewConfig {
        ViewConfig {
            screen_width: 375.0,
            render_budget: DEFAULT_RENDER_BUDGET,
        }
    }
}

pub(super) struct PageView {
    pub(super) id: PageId,
    pub(super) route: String,
    pub(super) doc: Option<Arc<Document>>,
    /// The tags its template may use.
    pub(super) map: Rc<TagMap>,
    pub(super) data: Value,
    pub(super) dom: DomNode,
    pub(super) ids: Ids,
    pub(super) cache: RenderCache,
    pub(super) changes: Changes,
    pub(super) dirty: bool,
    /// Whether the host has had this page's first render (even an empty one).
    pub(super) rendered: bool,
    pub(super) callbacks: Vec<u64>,
    /// Its component instances, by id (their host node's).
    pub(super) comps: BTreeMap<u64, Instance>,
    /// Ops of this update's renders, sent together.
    pub(super) ops: Vec<PatchOp>,
    /// Whether the page or one of its instances rendered in this update.
    pub(super) touched: bool,
    /// Instances whose first render was in this update (for `didMount`),
    /// and those re-rendered (for `didUpdate`).
    pub(super) mounted: Vec<u64>,
    pub(super) updated: Vec<u64>,
    /// Time this update's renders took so far (held to the render budget).
    pub(super) spent: Duration,
    /// Elements rendered in this update, the page's and its instances'.
    pub(super) nodes: usize,
    /// Instances made while a component's summary was awaited, in the order
    /// they were made (that order is kept for their JS objects).
    pub(super) held: Vec<u64>,
}

/// What one setData writes to: a page's data or an instance's.
struct Target<'a> {
    data: &'a mut Value,
    changes: &'a mut Changes,
    callbacks: &'a mut Vec<u64>,
}

/// Every open page's view.
pub(crate) struct Views {
    pub(super) files: Rc<dyn UnitFiles>,
    pub(super) config: ViewConfig,
    pub(super) docs: RefCell<HashMap<String, Result<Arc<Document>, String>>>,
    pub(super) pages: Vec<PageView>,
    pub(super) registry: Registry,
    /// Whether a render ran out of its budget: nothing renders after that.
    pub(super) stopped: bool,
    /// The templates' sjs modules.
    pub(super) sjs: super::sjs::SjsEngine,
    /// Components' summaries, as the logic layer sent them.
    pub(super) summaries: HashMap<Arc<str>, Rc<Summary>>,
    /// Components whose summary was asked for.
    pub(super) defining: std::collections::HashSet<Arc<str>>,
}

impl std::fmt::Debug for Views {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Views")
            .field("pages", &self.pages.len())
            .finish_non_exhaustive()
    }
}

pub(super) struct DocLoader<'a> {
    pub(super) files: &'a dyn UnitFiles,
    pub(super) cache: &'a RefCell<HashMap<String, Result<Arc<Document>, String>>>,
}

impl Loader for DocLoader<'_> {
    fn load(&self, path: &str) -> Result<Arc<Document>, String> {
        if let Some(r) = self.cache.borrow().get(path) {
            return r.clone();
        }
        let r = self.files.read(path).and_then(|text| {
            axml::parse(&text)
                .map(Arc::new)
                .map_err(|e| format!("{path}:{e}"))
        });
        self.cache.borrow_mut().insert(path.to_owned(), r.clone());
        r
    }
}

/// Most template files whose warnings a page's view reports.
const MAX_WARNED_FILES: usize = 64;

/// The parse warnings of a page's template and of the files it imports and
/// includes (and theirs), as `file:line:column: message`, the page's first;
/// each file once. A file that cannot be loaded is skipped here: the render
/// reports it where it is used.
fn axml_warnings(loader: &DocLoader<'_>, file: &str, doc: &Arc<Document>) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = vec![file.to_owned()];
    let mut todo = std::collections::VecDeque::from([(file.to_owned(), doc.clone())]);
    while let Some((path, doc)) = todo.pop_front() {
        out.extend(doc.warnings.iter().map(|w| format!("{path}:{w}")));
        for (src, _) in doc.imports.iter().cloned().chain(doc.includes()) {
            let Some(next) = mpkit_render::template::resolve(&path, &src) else {
                continue;
            };
            if seen.len() >= MAX_WARNED_FILES || seen.contains(&next) {
                continue;
            }
            seen.push(next.clone());
            if let Ok(d) = loader.load(&next) {
                todo.push_back((next, d));
            }
        }
    }
    out
}

impl Views {
    pub(crate) fn new(files: Rc<dyn UnitFiles>, config: ViewConfig) -> Views {
        Views {
            files: files.clone(),
            config,
            docs: RefCell::new(HashMap::new()),
            pages: Vec::new(),
            registry: Registry::default(),
            stopped: false,
            sjs: super::sjs::SjsEngine::new(files.clone()),
            summaries: HashMap::new(),
            defining: Default::default(),
        }
    }

    fn page_mut(&mut self, id: PageId) -> Option<&mut PageView> {
        self.pages.iter_mut().find(|p| p.id == id)
    }

    /// Loads a page's view: its stylesheet, and its template when `template`
    /// (the host knows the route is in app.json and its script loaded).
    pub(crate) fn open(&mut self, page: PageId, route: &str, template: bool) -> FromLogic {
        let mut warnings = Vec::new();
        let loader = DocLoader {
            files: &*self.files,
            cache: &self.docs,
        };
        let map = self.registry.map(
            &*self.files,
            &loader,
            &format!("{route}.json"),
            &mut warnings,
        );
        let components = self
            .registry
            .reachable(&*self.files, &loader, &map, &mut warnings);
        let (css, css_warnings) = self.css(route, &components);
        warnings.extend(css_warnings);
        let file = format!("{route}.axml");
        let (doc, error) = if !template {
            (None, None)
        } else {
            match loader.load(&file) {
                Ok(d) => match super::components::unknown_tag(&d, &map) {
                    Some((tag, pos)) => (
                        None,
                        Some(ScriptError::at(
                            "page",
                            &file,
                            pos.line,
                            pos.col,
                            format!("unknown component <{tag}>"),
                        )),
                    ),
                    None => {
                        warnings.extend(axml_warnings(&loader, &file, &d));
                        (Some(d), None)
                    }
                },
                Err(m) if m == "no such file" => (
                    None,
                    Some(ScriptError::at(
                        "page",
                        &file,
                        0,
                        0,
                        format!("{file} is missing"),
                    )),
                ),
                Err(m) => {
                    // `path:line:col: message` from the parser.
                    let (pos, message) = parse_error(&m);
                    (
                        None,
                        Some(ScriptError::at("page", &file, pos.line, pos.col, message)),
                    )
                }
            }
        };
        self.pages.retain(|p| p.id != page);
        self.pages.push(PageView {
            id: page,
            route: route.to_owned(),
            doc,
            map,
            data: Value::Object(Map::new()),
            dom: DomNode::root(),
            ids: Ids::default(),
            cache: RenderCache::default(),
            changes: Changes::everything(),
            dirty: false,
            rendered: false,
            callbacks: Vec::new(),
            comps: BTreeMap::new(),
            ops: Vec::new(),
            touched: false,
            mounted: Vec::new(),
            held: Vec::new(),
            updated: Vec::new(),
            spent: Duration::ZERO,
            nodes: 0,
        });
        FromLogic::PageView {
            page,
            css,
            error,
            warnings,
        }
    }

    /// app.acss, then each component's stylesheet once (B11), then the
    /// page's; an isolated component's with its class selectors renamed to
    /// its own (`styleIsolation`).
    fn css(&self, route: &str, components: &[Arc<str>]) -> (String, Vec<String>) {
        let ratio = self.config.screen_width / 750.0;
        let files = &*self.files;
        let load = |p: &str| files.read(p).ok();
        let mut out = String::new();
        let mut warnings = Vec::new();
        let sheets = std::iter::once(("app.acss".to_string(), None))
            .chain(components.iter().map(|c| {
                let scope = self.registry.known(c).and_then(|d| d.scope.clone());
                (format!("{c}.acss"), scope)
            }))
            .chain(std::iter::once((format!("{route}.acss"), None)));
        for (file, scope) in sheets {
            if let Some(text) = load(&file) {
                let expanded = acss::expand(&file, &text, ratio, &load);
                match scope {
                    Some((prefix, _)) => out.push_str(&acss::scope_classes(&expanded.css, &prefix)),
                    None => out.push_str(&expanded.css),
                }
                warnings.extend(expanded.warnings.iter().map(ToString::to_string));
            }
        }
        (out, warnings)
    }

    /// Keeps the views of `pages` (the stack, as the host has it) and drops the rest.
    pub(crate) fn keep(&mut self, pages: &[PageId]) {
        self.pages.retain(|p| pages.contains(&p.id));
    }

    /// A page's data right after it was created.
    pub(crate) fn initial_data(&mut self, page: PageId, data: Value) {
        if let Some(p) = self.page_mut(page) {
            p.data = data;
            p.changes = Changes::everything();
            p.dirty = true;
        }
    }

    /// The data a setData of `comp` (0: the page itself) changes, with
    /// its change log and callbacks; marked to render.
    fn target(&mut self, page: PageId, comp: u64) -> Option<Target<'_>> {
        let p = self.page_mut(page)?;
        if comp == 0 {
            p.dirty = true;
            return Some(Target {
                data: &mut p.data,
                changes: &mut p.changes,
                callbacks: &mut p.callbacks,
            });
        }
        let inst = p.comps.get_mut(&comp)?;
        inst.dirty = true;
        inst.updated = true;
        Some(Target {
            data: &mut inst.data,
            changes: &mut inst.changes,
            callbacks: &mut inst.callbacks,
        })
    }

    /// `setData` as a logic layer on this thread sends it: path keys and values.
    pub(crate) fn set_data(
        &mut self,
        (page, comp): (PageId, u64),
        patch: Map<String, Value>,
        callback: u64,
        size: usize,
        out: &mut Vec<FromLogic>,
    ) {
        Self::note_size(page, size, out);
        let Some(t) = self.target(page, comp) else {
            return;
        };
        let mut failed = None;
        for (k, v) in patch {
            t.changes.record(&k);
            if let Err(e) = data::set_path(t.data, &k, v) {
                failed = Some(e);
            }
        }
        if callback > 0 {
            t.callbacks.push(callback);
        }
        if let Some(e) = failed {
            out.push(FromLogic::Error {
                error: ScriptError::host(e),
            });
        }
    }

    /// `setData` as JSON text, merged straight into the page's data.
    pub(crate) fn set_data_json(
        &mut self,
        (page, comp): (PageId, u64),
        text: &str,
        callback: u64,
        size: usize,
        out: &mut Vec<FromLogic>,
    ) {
        Self::note_size(page, size, out);
        let Some(t) = self.target(page, comp) else {
            return;
        };
        let changes = t.changes;
        let errors = match data::merge_patch(t.data, text, &mut |k| changes.record(k)) {
            Ok(errors) => errors,
            // The logic layer wrote this text itself; it is always one object.
            Err(e) => vec![e.to_string()],
        };
        if callback > 0 {
            t.callbacks.push(callback);
        }
        for message in errors {
            out.push(FromLogic::Error {
                error: ScriptError::host(message),
            });
        }
    }

    /// A component instance's props and data as the logic layer made them.
    pub(crate) fn component_state(
        &mut self,
        page: PageId,
        comp: u64,
        props: Value,
        data: Option<Value>,
        (after, classes): (Option<u8>, Vec<String>),
    ) {
        let Some(inst) = self.page_mut(page).and_then(|p| p.comps.get_mut(&comp)) else {
            return;
        };
        if let Some(a) = after {
            inst.after = a;
            inst.classes = classes;
        }
        inst.props = props;
        if let Some(d) = data {
            inst.data = d;
        }
        inst.ready = true;
        inst.awaiting = false;
        inst.dirty = true;
        inst.changes = Changes::everything();
    }

    /// The tasks that make the JS object of instance `comp` of `page`, when
    /// it was deferred; none when it has one.
    pub(crate) fn materialize_on(&mut self, page: PageId, comp: u64) -> Vec<Value> {
        let mut tasks = Vec::new();
        if let Some(i) = self.pages.iter().position(|p| p.id == page) {
            self.materialize(i, comp, &mut tasks);
        }
        tasks
    }

    /// A component's summary, from the logic layer.
    pub(crate) fn component_def(&mut self, is: &str, summary: Summary) {
        self.summaries.insert(is.into(), Rc::new(summary));
    }

    fn note_size(page: PageId, bytes: usize, out: &mut Vec<FromLogic>) {
        if bytes >= LARGE_SET_DATA_BYTES {
            out.push(FromLogic::LargeSetData { page, bytes });
        }
    }

    /// A page's data as the view has it.
    pub(crate) fn data(&self, page: PageId) -> Value {
        self.pages
            .iter()
            .find(|p| p.id == page)
            .map_or(Value::Null, |p| p.data.clone())
    }

    /// Resolves an event a surface reported at `target` on `page` into the
    /// handler calls it makes, innermost first, each told where the template
    /// names it. What the user typed or switched is kept in the page's tree
    /// first, so a form submits what is on screen; a tap also names the form
    /// it submits and the `<navigator>` it follows, which the host carries
    /// out after the handlers ran.
    pub(crate) fn event(
        &mut self,
        page: PageId,
        target: NodeId,
        kind: EventKind,
        detail: Value,
        time_stamp: u64,
    ) -> FromLogic {
        let mut resolved = FromLogic::Resolved {
            page,
            calls: Vec::new(),
            form: None,
            navigate: None,
        };
        let Some(p) = self.pages.iter_mut().find(|p| p.id == page) else {
            return resolved;
        };
        let p = &mut *p;
        if let Some(op) = events::value_op(&p.dom, target, kind, &detail) {
            let _ = diff::apply(&mut p.dom, std::slice::from_ref(&op));
        }
        let detail = match kind {
            // A surface that cannot read its form's fields sends none; the
            // page's tree has them.
            EventKind::Submit if detail["value"].as_object().is_none_or(|m| m.is_empty()) => p
                .dom
                .find(target)
                .map(events::form_values)
                .unwrap_or(detail),
            _ => detail,
        };
        let calls = events::resolve(&p.dom, target, kind, detail, time_stamp)
            .into_iter()
            .map(|c| {
                // Where the owner's template names the handler.
                let (doc, file) = match p.comps.get(&c.owner) {
                    None => (p.doc.clone(), format!("{}.axml", p.route)),
                    Some(inst) => (
                        self.registry
                            .known(&inst.is)
                            .and_then(|d| d.doc.clone().ok()),
                        format!("{}.axml", inst.is),
                    ),
                };
                let site = doc
                    .as_ref()
                    .and_then(|d| d.handler_pos(&c.handler))
                    .map(|pos| format!("{file}:{}:{}", pos.line, pos.col))
                    .unwrap_or_default();
                ResolvedCall {
                    handler: c.handler,
                    event: c.event,
                    site,
                    component: if p.comps.contains_key(&c.owner) {
                        c.owner
                    } else {
                        0
                    },
                }
            })
            .collect();
        let (form, navigate) = match kind {
            EventKind::Tap => match events::path_to(&p.dom, target) {
                Some(path) => (
                    submitted_form(&path),
                    // An error in it is the page template's.
                    navigator_at(&path).map(|(nav, params)| NavRequest {
                        nav,
                        params,
                        site: format!("{}.axml:0:0", p.route),
                    }),
                ),
                None => (None, None),
            },
            _ => (None, None),
        };
        if let FromLogic::Resolved {
            calls: c,
            form: f,
            navigate: n,
            ..
        } = &mut resolved
        {
            *c = calls;
            *f = form;
            *n = navigate;
        }
        resolved
    }
}

/// The form a tap submits: the nearest `form` around it, when the tap is in
/// a `button` with `form-type="submit"`. `path` runs from the root to the
/// tapped node.
fn submitted_form(path: &[&DomNode]) -> Option<NodeId> {
    let button = path.iter().rev().find(|n| n.tag == "button")?;
    let form = path.iter().rev().find(|n| n.tag == "form")?;
    button
        .attrs
        .get("form-type")
        .is_some_and(|t| t == "submit")
        .then_some(form.id)
}

/// The navigation a tap on the last node of `path` asks for through the nearest
/// `<navigator>` around it: its `open-type` ([`Nav::open_type`], a push when
/// none is given) and its parameters, `{url}` or `{delta}`.
fn navigator_at(path: &[&DomNode]) -> Option<(Nav, Value)> {
    let el = path.iter().rev().find(|n| n.tag == "navigator")?;
    let nav = match el.attrs.get("open-type") {
        None => Nav::To,
        Some(t) => Nav::from_open_type(t)?,
    };
    let params = if nav.opens_url() {
        json!({ "url": el.attrs.get("url").cloned().unwrap_or_default() })
    } else {
        let delta = el
            .attrs
            .get("delta")
            .and_then(|d| d.parse::<u64>().ok())
            .unwrap_or(1);
        json!({ "delta": delta })
    };
    Some((nav, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::files::TestFiles as Files;

    /// The view half of the unit on a 1 MB stack, as a phone's thread has:
    /// the hostile pages are a page error with their position, or a render
    /// that stops at its budget; nothing overflows.
    #[test]
    fn hostile_pages_are_errors_or_spent_budgets_on_a_1_mb_stack() {
        let out = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(|| {
                let mut seen = Vec::new();
                for (what, files) in crate::runtime::tests::hostile_apps() {
                    let mut views = Views::new(
                        std::rc::Rc::new(Files(files)),
                        ViewConfig {
                            screen_width: 375.0,
                            render_budget: Duration::from_millis(200),
                        },
                    );
                    let opened = views.open(1, "pages/index/index", true);
                    views.initial_data(1, json!({"n": 100_000}));
                    let mut out = Vec::new();
                    let tasks = views.render_round(&mut out);
                    assert!(tasks.is_empty(), "{what}: no components");
                    views.flush(&mut out);
                    seen.push((what, opened, out));
                }
                seen
            })
            .expect("thread")
            .join()
            .expect("no stack overflow");
        for (what, opened, out) in out {
            match what {
                "runaway" => {
                    assert!(
                        matches!(&opened, FromLogic::PageView { error: None, .. }),
                        "{opened:?}"
                    );
                    assert!(
                        matches!(&out[..], [FromLogic::RenderBudget { page: 1, route, .. }] if route == "pages/index/index"),
                        "{out:?}"
                    );
                }
                _ => {
                    let FromLogic::PageView { error: Some(e), .. } = &opened else {
                        panic!("{what}: {opened:?}");
                    };
                    assert_eq!((e.file.as_str(), e.line), ("pages/index/index.axml", 2));
                    assert!(
                        e.message
                            .starts_with("in expression: expression too long: more than 256"),
                        "{what}: {e:?}"
                    );
                    assert!(out.is_empty(), "nothing to render: {out:?}");
                }
            }
        }
    }
}
