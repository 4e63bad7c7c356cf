//! The isolation unit: one mini program's logic layer (its JS in boa) and
//! its view (templates rendered and diffed), together. It runs in the
//! mini program's worker process, or on the app's own thread in thread
//! mode; either way, what crosses to the host is messages of ids, JSON and
//! patch ops, never a template or a value the host must evaluate.

use super::engine::{JsLimits, LogicLayer};
use super::protocol::{FromLogic, ScriptError, ToLogic};
use super::rounds::MAX_ROUNDS;
use super::view::{UnitFiles, ViewConfig, Views};
use super::{Logic, Stopped, SyncHandler};
use mpkit_jsapi::ViewApi;

/// A mini program's logic and view.
#[derive(Debug)]
pub(crate) struct AppUnit {
    layer: LogicLayer,
    /// Shared with the logic layer's natives, which read its tree while JS
    /// runs (`super::select`); never borrowed across a call into JS.
    views: std::rc::Rc<std::cell::RefCell<Views>>,
    /// Selector queries the logic layer made, answered once the page has
    /// rendered what came before them: (call id, parameters).
    queries: Vec<(u64, serde_json::Value)>,
}

impl AppUnit {
    /// Starts the JS engine; templates and stylesheets are read through `files`.
    pub(crate) fn new(
        limits: JsLimits,
        apis: Vec<String>,
        view: ViewConfig,
        files: Box<dyn UnitFiles>,
    ) -> Result<AppUnit, ScriptError> {
        let files: std::rc::Rc<dyn UnitFiles> = std::rc::Rc::from(files);
        let mut layer = LogicLayer::new(limits, apis)?;
        layer.set_files(files.clone());
        let views = std::rc::Rc::new(std::cell::RefCell::new(Views::new(files, view)));
        layer.set_tree(views.clone());
        Ok(AppUnit {
            layer,
            views,
            queries: Vec::new(),
        })
    }

    /// Makes setData hand the view JSON text, merged in place (what a worker
    /// does; see [`LogicLayer::send_patches_as_json`]).
    pub(crate) fn send_patches_as_json(&mut self) {
        self.layer.send_patches_as_json();
    }

    /// Evaluates one of the bundle's scripts.
    pub(crate) fn load_script(
        &mut self,
        file: &str,
        source: &str,
        route: Option<&str>,
    ) -> Result<(), ScriptError> {
        self.layer.load_script(file, source, route)
    }

    /// Sets who answers `my.*Sync` calls.
    pub(crate) fn set_sync_handler(&mut self, handler: SyncHandler) {
        self.layer.set_sync_handler(handler);
    }

    /// Handles one message: view questions are answered by the view; the rest
    /// go to the logic layer, whose data changes the view takes in, and then
    /// every page whose data changed is rendered. Returns what the host must
    /// hear: calls, timers, console, errors, and the patch ops.
    pub(crate) fn handle(&mut self, msg: &ToLogic) -> Vec<FromLogic> {
        match msg {
            ToLogic::PageView {
                page,
                route,
                template,
            } => return vec![self.views.borrow_mut().open(*page, route, *template)],
            ToLogic::DomEvent {
                page,
                target,
                event,
                detail,
                time_stamp,
            } => {
                return vec![self.views.borrow_mut().event(
                    *page,
                    *target,
                    *event,
                    detail.clone(),
                    *time_stamp,
                )]
            }
            ToLogic::PageData { page } => {
                return vec![FromLogic::PageData {
                    page: *page,
                    data: self.views.borrow_mut().data(*page),
                }]
            }
            ToLogic::Stack { pages } => self.views.borrow_mut().keep(pages),
            // An event for an instance whose JS object was deferred: it is
            // made first (components.rs `Summary`).
            ToLogic::ComponentEvent {
                page, component, ..
            } => {
                let tasks = self.views.borrow_mut().materialize_on(*page, *component);
                if !tasks.is_empty() {
                    let from_layer = self
                        .layer
                        .handle(&ToLogic::Components { page: *page, tasks });
                    let mut out = Vec::new();
                    self.take(from_layer, &mut out);
                    let mut rest = self.handle_in_layer(msg);
                    out.append(&mut rest);
                    return out;
                }
            }
            _ => {}
        }
        self.handle_in_layer(msg)
    }

    /// Hands `msg` to the logic layer, then renders what it changed.
    fn handle_in_layer(&mut self, msg: &ToLogic) -> Vec<FromLogic> {
        let from_layer = self.layer.handle(msg);
        let mut out = Vec::with_capacity(from_layer.len() + 1);
        self.take(from_layer, &mut out);
        // A new page renders once its onLoad and onShow have run: no
        // component exists before them (compat.md B5.4).
        let opening = match msg {
            ToLogic::PageCreate { .. } => true,
            ToLogic::PageHook { hook, .. } => hook == "onLoad",
            _ => false,
        };
        if !opening {
            self.settle(&mut out);
        }
        out
    }

    /// Hands the view what the logic layer did to data; keeps the rest for the host.
    fn take(&mut self, from_layer: Vec<FromLogic>, out: &mut Vec<FromLogic>) {
        for m in from_layer {
            match m {
                FromLogic::InitialData { page, data } => {
                    self.views.borrow_mut().initial_data(page, data)
                }
                FromLogic::SetData {
                    page,
                    comp,
                    patch,
                    callback,
                    size,
                } => self
                    .views
                    .borrow_mut()
                    .set_data((page, comp), patch, callback, size, out),
                FromLogic::SetDataJson {
                    page,
                    comp,
                    patch,
                    callback,
                    size,
                } => self.views.borrow_mut().set_data_json(
                    (page, comp),
                    patch.text(),
                    callback,
                    size,
                    out,
                ),
                FromLogic::ComponentState {
                    page,
                    component,
                    props,
                    data,
                    after,
                    classes,
                } => self.views.borrow_mut().component_state(
                    page,
                    component,
                    props,
                    data,
                    (after, classes),
                ),
                FromLogic::ComponentDef { is, summary } => {
                    self.views.borrow_mut().component_def(&is, summary)
                }
                FromLogic::Call {
                    name, params, id, ..
                } if name == ViewApi::SelectorQuery.name() => self.queries.push((id, params)),
                other => out.push(other),
            }
        }
    }

    /// Renders until nothing is left to render: each round's component
    /// tasks go to the logic layer, whose data changes the next round
    /// renders; then the lifecycles after a render, which may change data
    /// again. Ends with each page's ops, in one patch per page.
    fn settle(&mut self, out: &mut Vec<FromLogic>) {
        let mut rounds = 0;
        loop {
            let mut tasks = self.views.borrow_mut().render_round(out);
            if self.views.borrow_mut().stopped {
                break;
            }
            if tasks.is_empty() {
                tasks = self.views.borrow_mut().after_render();
                if tasks.is_empty() {
                    break;
                }
            }
            rounds += 1;
            if rounds > MAX_ROUNDS {
                out.push(FromLogic::Error {
                    error: ScriptError::host(format!(
                        "components kept re-rendering each other: more than {MAX_ROUNDS} rounds in one update; the rest was dropped"
                    )),
                });
                break;
            }
            for (page, tasks) in tasks {
                let from_layer = self.layer.handle(&ToLogic::Components { page, tasks });
                self.take(from_layer, out);
            }
        }
        self.views.borrow_mut().flush(out);
        // Queries see the tree as rendered, so after every render: their
        // selectors become node ids here, and the host measures those.
        for (id, params) in std::mem::take(&mut self.queries) {
            let params = self.views.borrow_mut().resolve_query(&params, out);
            out.push(FromLogic::Call {
                name: ViewApi::SelectorQuery.name().to_owned(),
                params,
                id,
                site: String::new(),
            });
        }
    }
}

impl Logic for AppUnit {
    fn load_script(
        &mut self,
        file: &str,
        source: &str,
        route: Option<&str>,
    ) -> Result<Result<(), ScriptError>, Stopped> {
        Ok(AppUnit::load_script(self, file, source, route))
    }

    fn handle(&mut self, msg: &ToLogic) -> Result<Vec<FromLogic>, Stopped> {
        Ok(AppUnit::handle(self, msg))
    }

    fn set_sync_handler(&mut self, handler: SyncHandler) {
        AppUnit::set_sync_handler(self, handler);
    }
}
