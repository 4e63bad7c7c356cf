//! The page stack: opening, closing and navigating pages as the navigation
//! APIs ([`Nav`]), the tabBar and the back button do, and each page's chrome
//! from app.json and its own `.json`. A navigation arrives here typed, once
//! it passed the session's gate.

use super::config::parse_url;
use super::{CallRecord, Runtime};
use crate::logic::protocol::{FromLogic, PageId, ScriptError, ToLogic};
use crate::surface::{ErrorView, PageChrome, Surface};
use mpkit_jsapi::{ApiError, Nav};
use mpkit_render::mounted::Mounted;
use serde_json::{json, Map, Value};

/// The page stack limit (WeChat's and Alipay's).
pub const MAX_PAGES: usize = 10;

/// A page on the stack, as the host holds it: its tree, built only from
/// checked patch ops, and its error state.
pub(super) struct PageState {
    pub(super) id: PageId,
    pub(super) route: String,
    /// The query it was opened with (`this.options`).
    pub(super) query: Map<String, Value>,
    pub(super) tree: Mounted,
    pub(super) error: Option<ErrorView>,
}

impl<S: Surface> Runtime<S> {
    fn chrome(&self, route: &str, depth: usize) -> PageChrome {
        let page_json: Value = self
            .files
            .read(&format!("{route}.json"))
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        // A page's `.json` overrides the app's window settings.
        let window = |key: &str, app: &Option<String>| {
            page_json[key]
                .as_str()
                .map(str::to_owned)
                .or_else(|| app.clone())
        };
        let w = &self.config.window;
        let title = page_json["navigationBarTitleText"]
            .as_str()
            .filter(|_| page_json["defaultTitle"].is_null())
            .map(str::to_owned)
            .or_else(|| window("defaultTitle", &w.default_title))
            .unwrap_or_default();
        let tabs = match &self.config.tab_bar {
            Some(bar) if self.config.is_tab(route) => bar
                .items
                .iter()
                .map(|t| crate::surface::TabChrome {
                    page_path: t.page_path.clone(),
                    name: t.name.clone(),
                    selected: t.page_path == route,
                })
                .collect(),
            _ => Vec::new(),
        };
        let tab_colors = self
            .config
            .tab_bar
            .as_ref()
            .map(|b| crate::surface::TabColors {
                text: b.text_color.clone(),
                selected: b.selected_color.clone(),
                background: b.background_color.clone(),
            })
            .unwrap_or_default();
        PageChrome {
            route: route.to_owned(),
            title,
            title_bar_color: window("titleBarColor", &w.title_bar_color),
            background_color: window("backgroundColor", &w.background_color),
            can_go_back: depth > 0,
            tabs,
            tab_colors,
        }
    }

    /// Opens `route` on top of the stack (the caller has made room). The
    /// unit loads the page's view first, so the surface gets its stylesheet
    /// and, when its template cannot be shown, why.
    pub(super) fn open(&mut self, route: &str, query: Map<String, Value>, reply: Option<u64>) {
        let query_kept = query.clone();
        let id = self.next_page;
        self.next_page += 1;
        let chrome = self.chrome(route, self.stack.len());
        let file = format!("{route}.axml");
        let known = self.config.pages.iter().any(|p| p == route);
        let broken = self.broken.get(route).cloned();
        let view = self.ask(
            &ToLogic::PageView {
                page: id,
                route: route.to_owned(),
                template: known && broken.is_none(),
            },
            |m| match m {
                FromLogic::PageView {
                    page,
                    css,
                    error,
                    warnings,
                } if *page == id => Some((css.clone(), error.clone(), warnings.clone())),
                _ => None,
            },
        );
        let (css, view_error, warnings) = view.unwrap_or_default();
        for w in warnings {
            tracing::warn!(app = %self.app, "{w}");
            self.warn(ScriptError::parse_located("view", &w, &file));
        }
        self.surface.page_shown(id, &chrome, &css);
        let problem = if !known {
            Some((
                format!("page {route:?} is not in app.json"),
                0,
                0,
                file.clone(),
            ))
        } else if let Some(e) = &broken {
            Some((e.message.clone(), e.line, e.column, e.file.clone()))
        } else {
            view_error.map(|e| (e.message, e.line, e.column, e.file))
        };
        self.stack.push(PageState {
            id,
            route: route.to_owned(),
            query: query_kept,
            tree: Mounted::new(),
            error: None,
        });
        self.sync_stack();
        if let Some((message, line, column, file)) = problem {
            let view = ErrorView {
                file,
                line,
                column,
                message,
            };
            self.surface.show_error(id, &view);
            if let Some(p) = self.stack.iter_mut().find(|p| p.id == id) {
                p.error = Some(view.clone());
            }
            // The page script's own syntax error was recorded at load; report the rest.
            if broken.is_none() {
                self.fail_outside_js("page", view);
            } else {
                let out = self.call(&ToLogic::AppError {
                    message: view.message,
                });
                self.absorb(out);
            }
        }
        if let Some(r) = reply {
            let out = self.call(&ToLogic::Reply {
                id: r,
                ok: true,
                result: json!({}),
            });
            self.absorb(out);
        }
        self.send(ToLogic::PageCreate {
            page: id,
            route: route.to_owned(),
            query: query.clone(),
        });
        self.send(ToLogic::PageHook {
            page: id,
            hook: "onLoad".into(),
            args: vec![Value::Object(query)],
        });
        self.send(ToLogic::PageHook {
            page: id,
            hook: "onShow".into(),
            args: vec![],
        });
        self.send(ToLogic::PageHook {
            page: id,
            hook: "onReady".into(),
            args: vec![],
        });
    }

    fn sync_stack(&mut self) {
        let pages = self.stack.iter().map(|p| p.id).collect();
        let out = self.call(&ToLogic::Stack { pages });
        self.absorb(out);
    }

    pub(super) fn close_top(&mut self) {
        if let Some(p) = self.stack.pop() {
            let out = self.call(&ToLogic::PageHook {
                page: p.id,
                hook: "onUnload".into(),
                args: vec![],
            });
            self.absorb(out);
            self.surface.page_closed(p.id);
        }
    }

    fn hook_top(&mut self, hook: &str) {
        if let Some(id) = self.stack.last().map(|p| p.id) {
            let out = self.call(&ToLogic::PageHook {
                page: id,
                hook: hook.into(),
                args: vec![],
            });
            self.absorb(out);
        }
    }

    /// Refuses a navigation: recorded, and the call's `fail` runs.
    fn reply_err(&mut self, id: u64, nav: Nav, e: ApiError) {
        self.record_call(CallRecord {
            api: nav.name().into(),
            ok: false,
            error: Some(e.code()),
        });
        let out = self.call(&ToLogic::Reply {
            id,
            ok: false,
            result: e.to_js(),
        });
        self.absorb(out);
    }

    /// Carries out a navigation that passed the gate: `params` are checked
    /// against its declaration (a `url` string, or an optional `delta` number).
    pub(super) fn navigate(&mut self, id: u64, nav: Nav, params: &Map<String, Value>, site: &str) {
        let url = params
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // A url without a leading `/` is relative to the current page, as on Alipay.
        let url = match self.stack.last() {
            Some(p) if !url.starts_with('/') && !url.is_empty() => {
                let (path, query) = url
                    .split_once('?')
                    .map_or((url, None), |(a, b)| (a, Some(b)));
                let path = mpkit_render::resolve_in_bundle(&p.route, path).unwrap_or_default();
                match query {
                    Some(q) => format!("{path}?{q}"),
                    None => path,
                }
            }
            _ => url.to_owned(),
        };
        let (route, query) = parse_url(&url);
        let known = self.config.pages.contains(&route);
        if nav.opens_url() && !known {
            let message = format!("{nav}: page {route:?} is not in app.json");
            // Where the mini program called from; else its page script.
            let (file, line, column) = crate::logic::engine::locate(site)
                .filter(|(f, _, _)| !f.is_empty())
                .unwrap_or_else(|| {
                    let file = self
                        .stack
                        .last()
                        .map(|p| format!("{}.js", p.route))
                        .unwrap_or_default();
                    (file, 0, 0)
                });
            let view = ErrorView {
                file,
                line,
                column,
                message,
            };
            // Shown and reported before the reply runs the mini program's
            // `fail`, which may navigate elsewhere.
            self.fail_outside_js("navigation", view.clone());
            self.reply_err(id, nav, ApiError::Navigation(view.message));
            return;
        }
        match nav {
            Nav::To => {
                if self.config.is_tab(&route) {
                    let why = format!("{route} is a tab page; use {}", Nav::SwitchTab);
                    return self.reply_err(id, nav, ApiError::Navigation(why));
                }
                if self.stack.len() >= MAX_PAGES {
                    let why = format!("the page stack is full ({MAX_PAGES} pages)");
                    return self.reply_err(id, nav, ApiError::Navigation(why));
                }
                self.hook_top("onHide");
                self.ok_call(nav);
                self.open(&route, query, Some(id));
            }
            Nav::Redirect => {
                self.close_top();
                self.ok_call(nav);
                self.open(&route, query, Some(id));
            }
            Nav::ReLaunch => {
                while !self.stack.is_empty() {
                    self.close_top();
                }
                self.ok_call(nav);
                self.open(&route, query, Some(id));
            }
            Nav::SwitchTab => {
                if !self.config.is_tab(&route) {
                    let why = format!("{route} is not a tab page");
                    return self.reply_err(id, nav, ApiError::Navigation(why));
                }
                while !self.stack.is_empty() {
                    self.close_top();
                }
                self.ok_call(nav);
                self.open(&route, Map::new(), Some(id));
            }
            Nav::Back => {
                let delta = params
                    .get("delta")
                    .and_then(Value::as_u64)
                    .unwrap_or(1)
                    .max(1) as usize;
                self.back(delta);
                self.ok_call(nav);
                let out = self.call(&ToLogic::Reply {
                    id,
                    ok: true,
                    result: json!({}),
                });
                self.absorb(out);
            }
        }
    }

    fn ok_call(&mut self, nav: Nav) {
        self.record_call(CallRecord {
            api: nav.name().into(),
            ok: true,
            error: None,
        });
    }

    /// Pops `delta` pages (never the last one) and shows the new top.
    pub fn back(&mut self, delta: usize) {
        let n = delta.min(self.stack.len().saturating_sub(1));
        if n == 0 {
            return;
        }
        for _ in 0..n {
            self.close_top();
        }
        self.sync_stack();
        self.hook_top("onShow");
        self.settle();
    }

    /// The user chose a tab of the tabBar (a surface's own tabBar, not JS):
    /// every page is unloaded and the tab's page opens, as [`Nav::SwitchTab`] does.
    pub fn switch_tab(&mut self, route: &str) -> Result<(), String> {
        if !self.config.is_tab(route) {
            return Err(format!("{route} is not a tab page"));
        }
        if self.stopped.is_some() {
            return Err("the mini program was stopped".into());
        }
        if self.stack.len() == 1 && self.route() == Some(route) {
            return Ok(());
        }
        while !self.stack.is_empty() {
            self.close_top();
        }
        self.open(route, Map::new(), None);
        self.settle();
        Ok(())
    }

    /// The surface reports a pull-down on the top page.
    pub fn pull_down_refresh(&mut self) {
        self.hook_top("onPullDownRefresh");
        self.settle();
    }

    /// The surface reports that the top page was scrolled to its bottom.
    pub fn reach_bottom(&mut self) {
        self.hook_top("onReachBottom");
        self.settle();
    }

    /// The embedding app shows the mini program again.
    pub fn show(&mut self) {
        self.send(ToLogic::AppShow);
        self.hook_top("onShow");
        self.settle();
    }

    /// The embedding app hides the mini program.
    pub fn hide(&mut self) {
        self.hook_top("onHide");
        self.send(ToLogic::AppHide);
    }

    /// Unloads every page.
    pub fn close(&mut self) {
        while !self.stack.is_empty() {
            self.close_top();
        }
        self.timers.clear();
        // In-flight calls finish on their threads; their answers are dropped.
        self.pending.clear();
        self.ready.clear();
    }

    /// The query the top page was opened with.
    pub fn query(&self) -> Option<&Map<String, Value>> {
        self.stack.last().map(|p| &p.query)
    }

    /// The top page's route.
    pub fn route(&self) -> Option<&str> {
        self.stack.last().map(|p| p.route.as_str())
    }

    /// Routes on the stack, bottom first.
    pub fn routes(&self) -> Vec<String> {
        self.stack.iter().map(|p| p.route.clone()).collect()
    }

    /// The top page as HTML, with its error state if any.
    pub fn html(&self) -> String {
        let Some(p) = self.stack.last() else {
            return String::new();
        };
        crate::surface::page_html(&p.route, p.tree.root(), p.error.as_ref())
    }

    /// The error state of the top page, if any.
    pub fn page_error(&self) -> Option<&ErrorView> {
        self.stack.last().and_then(|p| p.error.as_ref())
    }
}
