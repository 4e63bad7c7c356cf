//! Events a surface reports: the unit resolves them against its own tree of
//! the page into handler calls, which the host sends one by one, then the
//! form a submit button submits and the `<navigator>` a tap follows.

use super::Runtime;
use crate::logic::protocol::{FromLogic, NavRequest, ResolvedCall, ToLogic};
use crate::surface::Surface;
use mpkit_render::events::{self, EventKind};
use mpkit_render::vdom::NodeId;
use serde_json::{json, Value};

impl<S: Surface> Runtime<S> {
    /// Dispatches an event a surface reported at a node of the top page.
    /// What the user did to the element (typed, switched) is kept in the
    /// page's tree first, so a form submits what is on screen; a tap on a
    /// submit button also submits its form, and a tap in a `<navigator>`
    /// navigates after the handlers ran.
    pub fn dispatch(&mut self, target: NodeId, kind: EventKind, detail: Value) {
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        let page = top.id;
        if let Some(op) = events::value_op(top.tree.root(), target, kind, &detail) {
            // An attribute of a node that is there: within every limit the
            // tree keeps but bytes, which a user cannot type past.
            let _ = top.tree.apply(std::slice::from_ref(&op));
        }
        let Some((calls, form, navigate)) = self.resolve(page, target, kind, detail) else {
            return;
        };
        self.fire(page, calls);
        if let Some(form) = form {
            // The fields as the tap's handlers left them.
            if let Some((calls, ..)) = self.resolve(page, form, EventKind::Submit, json!({})) {
                self.fire(page, calls);
            }
        }
        // As the navigation API would, through the same gate, with no
        // callbacks to answer.
        if let Some(NavRequest { nav, params, site }) = navigate {
            if self.stopped.is_none() {
                self.start_call(0, nav.name().to_owned(), &params, site);
                self.settle();
            }
        }
    }

    /// Asks the unit which handler calls an event at `target` makes.
    fn resolve(
        &mut self,
        page: u64,
        target: NodeId,
        kind: EventKind,
        detail: Value,
    ) -> Option<(Vec<ResolvedCall>, Option<NodeId>, Option<NavRequest>)> {
        let time_stamp = self.started.elapsed().as_millis() as u64;
        self.ask(
            &ToLogic::DomEvent {
                page,
                target,
                event: kind,
                detail,
                time_stamp,
            },
            |m| match m {
                FromLogic::Resolved {
                    page: p,
                    calls,
                    form,
                    navigate,
                } if *p == page => Some((calls.clone(), *form, navigate.clone())),
                _ => None,
            },
        )
    }

    /// Runs the handlers an event reaches, each told where the template names it.
    fn fire(&mut self, page: u64, calls: Vec<ResolvedCall>) {
        for c in calls {
            if c.component == 0 {
                self.send(ToLogic::Event {
                    page,
                    handler: c.handler,
                    event: c.event,
                    site: c.site,
                });
            } else {
                self.send(ToLogic::ComponentEvent {
                    page,
                    component: c.component,
                    handler: c.handler,
                    event: c.event,
                    site: c.site,
                });
            }
        }
    }
}
