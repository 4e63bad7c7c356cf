//! Custom components on the view's side (compat.md B1–B5, B11): which tag
//! names which component (`usingComponents`), each component's template and
//! stylesheet, and each instance's props, data and render state. The
//! instances' JS lives in the logic layer (the prelude's `Component()`);
//! the two meet through [`ToLogic::Components`](super::protocol::ToLogic)
//! tasks and `ComponentState`/`SetData` answers, all inside the unit.

use super::files::{parse_error, UnitFiles};
use mpkit_render::axml::{self, Document, Pos};
use mpkit_render::component::Call;
use mpkit_render::template::{Changes, Loader, RenderCache};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

/// Tag → component base path (`components/card/index`), for one file.
pub(crate) type TagMap = HashMap<String, Arc<str>>;

/// Most components one app may define, and most entries one json may list.
const MAX_COMPONENTS: usize = 1024;

/// Most component instances one page may hold.
pub(crate) const MAX_INSTANCES: usize = 10_000;

/// Deepest nesting of component instances (a component that uses itself
/// stops here).
pub(crate) const MAX_DEPTH: usize = 32;

/// One component, as its files define it.
#[derive(Debug)]
pub(crate) struct Def {
    /// Its template, or why it cannot render.
    pub doc: Result<Arc<Document>, (Pos, String)>,
    /// The tags its template may use.
    pub map: Rc<TagMap>,
    /// Whether it has a script (`B.js`); without one it is template-only.
    pub script: bool,
    /// Its `styleIsolation` other than `shared`: the prefix its class
    /// names get, and whether they keep their names too (`apply-shared`)
    /// or not (`isolated`).
    pub scope: Option<(String, bool)>,
}

/// What the view needs of a component's JS definition to make its
/// instances itself, without a JS object each: a *plain* component (no
/// lifecycle, observer, `pageEvents` or `data()` function, compat.md B5)
/// does nothing at creation that JS could see, so its instance renders
/// from `props` and `data` here, and its JS object is made the first time
/// something needs it (an event its template names, a handler or `ref` its
/// children need). The logic layer sends one per component, once its
/// script has run (`FromLogic::ComponentDef`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// Whether it is plain.
    pub plain: bool,
    /// Its props' defaults as its template sees them (functions `true`).
    pub props: serde_json::Map<String, Value>,
    /// Its data, its mixins' merged first (a plain component's is static).
    pub data: Value,
    /// Which lifecycles after a render it has (see [`Instance::after`]).
    pub after: u8,
    /// Its `externalClasses`.
    pub classes: Vec<String>,
}

impl Summary {
    /// A component without a script: plain, with nothing of its own.
    pub(crate) fn template_only() -> Summary {
        Summary {
            plain: true,
            data: Value::Object(Default::default()),
            ..Summary::default()
        }
    }

    /// Whether an instance of it that `call` makes can wait for its JS
    /// object: it is plain, and its owner hands it no handler and no `ref`
    /// (those need the JS object at once).
    pub(crate) fn defers(&self, call: &Call) -> bool {
        self.plain && call.handlers.is_empty() && call.ref_method.is_none()
    }

    /// Its props for what `call` passes: the defaults, every attribute over them.
    pub(crate) fn props_for(&self, call: &Call) -> Value {
        let mut m = self.props.clone();
        for (k, v) in &call.props {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }
}

/// One occurrence of a custom tag: the instance it created.
#[derive(Debug)]
pub(crate) struct Instance {
    /// The component's base path.
    pub is: Arc<str>,
    /// What its owner passes it, as of the owner's last render.
    pub call: Rc<Call>,
    /// `this.props` as JSON, once the logic layer made the instance.
    pub props: Value,
    /// `this.data`.
    pub data: Value,
    pub cache: RenderCache,
    pub changes: Changes,
    /// Whether it must render.
    pub dirty: bool,
    /// Whether the logic layer has made it (its props and data arrived).
    pub ready: bool,
    /// Whether new props were sent and their answer has not come.
    pub awaiting: bool,
    /// Whether it has rendered once (and so is mounted).
    pub rendered: bool,
    /// Whether a render since the last `didUpdate` came from an update.
    pub updated: bool,
    /// setData callbacks waiting for the render.
    pub callbacks: Vec<u64>,
    /// How many instances it sits in by ownership (1: the page's own).
    pub depth: usize,
    /// Which lifecycles after a render its JS has (1: `didMount`, 2:
    /// `didUpdate` or observers); the view sends only those tasks.
    pub after: u8,
    /// Its `externalClasses`: class names in its template that stand for
    /// the classes its owner passes under the same attribute name.
    pub classes: Vec<String>,
    /// Whether its JS object is still to be made (see [`Summary`]): the
    /// view made it from its component's summary.
    pub deferred: bool,
}

impl Instance {
    pub(crate) fn new(is: Arc<str>, call: Rc<Call>, depth: usize) -> Instance {
        Instance {
            depth,
            after: 3,
            classes: Vec::new(),
            is,
            call,
            props: Value::Object(Default::default()),
            data: Value::Object(Default::default()),
            cache: RenderCache::default(),
            changes: Changes::everything(),
            dirty: false,
            ready: false,
            awaiting: false,
            rendered: false,
            updated: false,
            callbacks: Vec::new(),
            deferred: false,
        }
    }

    /// Makes it from its component's summary, its JS object deferred.
    pub(crate) fn defer(&mut self, summary: &Summary) {
        self.props = summary.props_for(&self.call);
        self.data = summary.data.clone();
        self.after = summary.after;
        self.classes = summary.classes.clone();
        self.deferred = true;
        self.ready = true;
        self.dirty = true;
        self.changes = Changes::everything();
    }

    /// What its template sees: props, then data over them, then `$id`.
    pub(crate) fn scope(&self, id: u64) -> Value {
        let mut m = match &self.props {
            Value::Object(p) => p.clone(),
            _ => Default::default(),
        };
        if let Value::Object(d) = &self.data {
            for (k, v) in d {
                m.insert(k.clone(), v.clone());
            }
        }
        m.insert("$id".into(), json!(id));
        Value::Object(m)
    }
}

/// The create task for a new instance.
pub(crate) fn create_task(id: u64, call: &Call, script: bool) -> Value {
    json!({
        "op": "create",
        "id": id,
        "is": &*call.is,
        "owner": call.owner,
        "props": call.props,
        "handlers": call.handlers,
        "script": script,
        "ref": call.ref_method,
    })
}

/// The props task for an instance whose owner passes it something new
/// (`call`, after `before`): with the names whose values did not change,
/// which keep their JS values (and so their identity, `prevProps.items ===
/// this.props.items`), as on Alipay.
pub(crate) fn props_task(id: u64, call: &Call, before: &Call) -> Value {
    let same: Vec<&String> = call
        .props
        .iter()
        .filter(|(k, v)| before.props.get(*k) == Some(v))
        .map(|(k, _)| k)
        .collect();
    json!({ "op": "props", "id": id, "props": call.props, "handlers": call.handlers, "same": same })
}

/// The task that runs a component's script and has its summary sent
/// (`FromLogic::ComponentDef`), before any of its instances is made.
pub(crate) fn define_task(is: &str) -> Value {
    json!({ "op": "define", "is": is, "script": true })
}

/// A task naming one instance: `remove`, `mounted`, `updated`.
pub(crate) fn task(op: &str, id: u64) -> Value {
    json!({ "op": op, "id": id })
}

/// The `usingComponents` of a json file, as `(tag, value)` in file order;
/// empty when the file is missing or has none. Entries that cannot be
/// components are skipped with a warning.
fn using_components(
    files: &dyn UnitFiles,
    json_file: &str,
    warnings: &mut Vec<String>,
) -> Vec<(String, String)> {
    let Ok(text) = files.read(json_file) else {
        return Vec::new();
    };
    let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(&text) else {
        return Vec::new();
    };
    let Some(Value::Object(map)) = doc.get("usingComponents") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (tag, v) in map.iter().take(MAX_COMPONENTS) {
        match v.as_str() {
            Some(v)
                if axml::is_custom_name(tag)
                    || axml::COMPONENTS.contains(&tag.as_str())
                        && !axml::DIRECTIVES.contains(&tag.as_str()) =>
            {
                out.push((tag.clone(), v.to_owned()))
            }
            _ => warnings.push(format!(
                "{json_file}: usingComponents \"{tag}\" is not a component name and path; ignored"
            )),
        }
    }
    out
}

/// Where a `usingComponents` value from `json_file` points (B1.2–3): the
/// component's base path, whose `.axml` exists; `B/index` when `B` is a
/// folder. `/x` is from the package root, `./x` and `../x` from the json's
/// folder, anything else an npm path looked up in `node_modules` from that
/// folder up to the root.
pub(crate) fn resolve(
    loader: &dyn Loader,
    json_file: &str,
    value: &str,
) -> Result<Arc<str>, String> {
    if value.starts_with("plugin://") {
        // Rendered as a placeholder (B15); the map's warning says why.
        return Ok(value.into());
    }
    let value = value.strip_suffix(".axml").unwrap_or(value);
    let candidates: Vec<String> =
        if value.starts_with('/') || value.starts_with("./") || value.starts_with("../") {
            mpkit_render::resolve_in_bundle(json_file, value)
                .into_iter()
                .collect()
        } else {
            mpkit_render::node_modules_paths(json_file, value)
        };
    for base in &candidates {
        for b in [base.clone(), format!("{base}/index")] {
            if exists(loader, &b) {
                return Ok(b.into());
            }
        }
    }
    Err(format!(
        "{value} names no component: no {value}.axml or {value}/index.axml"
    ))
}

/// Whether `base.axml` is a file of the bundle (one that does not parse
/// still is: its error belongs to its render).
fn exists(loader: &dyn Loader, base: &str) -> bool {
    match loader.load(&format!("{base}.axml")) {
        Ok(_) => true,
        Err(m) => m != "no such file",
    }
}

/// The tag maps of json files and the definitions of components, each
/// worked out once per unit.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    maps: HashMap<String, Rc<TagMap>>,
    defs: BTreeMap<Arc<str>, Rc<Def>>,
    app: Option<Rc<TagMap>>,
}

impl Registry {
    /// The tags a file may use, from `json_file` over app.json's global
    /// map (B1.1); what cannot be resolved is a warning.
    pub(crate) fn map(
        &mut self,
        files: &dyn UnitFiles,
        loader: &dyn Loader,
        json_file: &str,
        warnings: &mut Vec<String>,
    ) -> Rc<TagMap> {
        if let Some(m) = self.maps.get(json_file) {
            return m.clone();
        }
        let app = match &self.app {
            Some(a) => a.clone(),
            None => {
                let a = Rc::new(Self::own(files, loader, "app.json", warnings));
                self.app = Some(a.clone());
                a
            }
        };
        let map = if json_file == "app.json" {
            app
        } else {
            let mut m = (*app).clone();
            m.extend(Self::own(files, loader, json_file, warnings));
            Rc::new(m)
        };
        self.maps.insert(json_file.to_owned(), map.clone());
        map
    }

    fn own(
        files: &dyn UnitFiles,
        loader: &dyn Loader,
        json_file: &str,
        warnings: &mut Vec<String>,
    ) -> TagMap {
        let mut m = TagMap::new();
        for (tag, value) in using_components(files, json_file, warnings) {
            match resolve(loader, json_file, &value) {
                Ok(is) => {
                    if is.starts_with("plugin://") {
                        warnings.push(format!(
                            "{json_file}: usingComponents \"{tag}\": {is} is a plugin, and this host runs no plugins; <{tag}> renders as a placeholder"
                        ));
                    }
                    m.insert(tag, is);
                }
                Err(why) => warnings.push(format!("{json_file}: usingComponents \"{tag}\": {why}")),
            }
        }
        m
    }

    /// A definition already worked out.
    pub(crate) fn known(&self, is: &Arc<str>) -> Option<Rc<Def>> {
        self.defs.get(is).cloned()
    }

    /// A component's definition: its template (with its custom tags checked
    /// against its map), its map, whether it has a script.
    pub(crate) fn def(
        &mut self,
        files: &dyn UnitFiles,
        loader: &dyn Loader,
        is: &Arc<str>,
        warnings: &mut Vec<String>,
    ) -> Rc<Def> {
        if let Some(d) = self.defs.get(is) {
            return d.clone();
        }
        let json_file = format!("{is}.json");
        if self.defs.len() >= MAX_COMPONENTS {
            return Rc::new(Def {
                doc: Err((
                    Pos::default(),
                    format!("more than {MAX_COMPONENTS} components"),
                )),
                map: Rc::new(TagMap::new()),
                script: false,
                scope: None,
            });
        }
        let map = self.map(files, loader, &json_file, warnings);
        let file = format!("{is}.axml");
        let doc = match loader.load(&file) {
            Ok(d) => match unknown_tag(&d, &map) {
                Some((tag, pos)) => Err((pos, format!("unknown component <{tag}>"))),
                None => Ok(d),
            },
            Err(m) => {
                let (pos, message) = parse_error(&m);
                Err((pos, message))
            }
        };
        let mut scope = None;
        if let Ok(text) = files.read(&json_file) {
            let json = serde_json::from_str::<Value>(&text).unwrap_or_default();
            if json.get("component") != Some(&Value::Bool(true)) {
                warnings.push(format!(
                    "{json_file}: a component's json should say \"component\": true"
                ));
            }
            scope = style_isolation(&json, is, &json_file, warnings);
        }
        let script = files.read(&format!("{is}.js")).is_ok();
        let def = Rc::new(Def {
            doc,
            map,
            script,
            scope,
        });
        self.defs.insert(is.clone(), def.clone());
        def
    }

    /// Every component a page may use, directly or through others, in the
    /// order their stylesheets load (B11): breadth first from the page's map.
    pub(crate) fn reachable(
        &mut self,
        files: &dyn UnitFiles,
        loader: &dyn Loader,
        map: &TagMap,
        warnings: &mut Vec<String>,
    ) -> Vec<Arc<str>> {
        let mut out: Vec<Arc<str>> = Vec::new();
        let mut first: Vec<&Arc<str>> = map.values().collect();
        first.sort();
        let mut todo: std::collections::VecDeque<Arc<str>> = first.into_iter().cloned().collect();
        while let Some(is) = todo.pop_front() {
            if out.contains(&is) || out.len() >= MAX_COMPONENTS || is.starts_with("plugin://") {
                continue;
            }
            out.push(is.clone());
            let def = self.def(files, loader, &is, warnings);
            let mut next: Vec<&Arc<str>> = def.map.values().collect();
            next.sort();
            todo.extend(next.into_iter().cloned());
        }
        out
    }
}

/// A component json's `styleIsolation` (compat.md B11): `shared`, the
/// default, leaves its classes alone; `apply-shared` keeps its stylesheet's
/// rules to its own elements (the page's still reach them); `isolated`
/// also keeps the page's rules from its elements. Anything else is
/// `shared`, with a warning.
fn style_isolation(
    json: &Value,
    is: &str,
    json_file: &str,
    warnings: &mut Vec<String>,
) -> Option<(String, bool)> {
    match json.get("styleIsolation")?.as_str() {
        Some("shared") => None,
        Some("apply-shared") => Some((mpkit_render::acss::class_prefix(is), true)),
        Some("isolated") => Some((mpkit_render::acss::class_prefix(is), false)),
        other => {
            warnings.push(format!(
                "{json_file}: styleIsolation {} is not one of \"shared\", \"apply-shared\", \"isolated\"; its styles are shared",
                other.map_or_else(|| json["styleIsolation"].to_string(), |o| format!("\"{o}\""))
            ));
            None
        }
    }
}

/// The first custom tag of `doc` that `map` does not name.
pub(crate) fn unknown_tag<'d>(doc: &'d Document, map: &TagMap) -> Option<(&'d str, Pos)> {
    doc.custom
        .iter()
        .find(|(t, _)| !map.contains_key(t))
        .map(|(t, p)| (t.as_str(), *p))
}
