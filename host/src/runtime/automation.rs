//! Driving a mini program as its user would, by CSS selector: what
//! `mpkit run` steps, compatibility runs and tests use. Selectors are
//! matched against the host's own tree of the top page.

use super::Runtime;
use crate::surface::Surface;
use mpkit_render::events::{self, EventKind};
use mpkit_render::selector::Selector;
use mpkit_render::vdom::{DomNode, NodeId};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Why an automation step could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AutomationError {
    /// The selector does not parse.
    #[error("{0}")]
    Selector(String),
    /// No page is open.
    #[error("no page is open")]
    NoPage,
    /// Nothing on the top page matches.
    #[error("no element matches {selector:?} on {route}")]
    NoMatch {
        /// The selector.
        selector: String,
        /// The top page's route.
        route: String,
    },
    /// Nothing matched before the time was up.
    #[error("timed out waiting for {0:?}")]
    Timeout(String),
}

impl From<AutomationError> for String {
    fn from(e: AutomationError) -> String {
        e.to_string()
    }
}

impl<S: Surface> Runtime<S> {
    /// Taps the first element matching `selector` on the top page; a submit button
    /// also submits its form.
    pub fn tap(&mut self, selector: &str) -> Result<(), AutomationError> {
        let id = self.first(selector)?;
        let toggled = self.toggled_by_tap(id);
        self.dispatch(id, EventKind::Tap, json!({}));
        // As on a phone: a tap on a checkbox, radio or switch, or in a
        // `label` around one, changes it, and its `onChange` hears of it.
        if let Some((control, detail)) = toggled {
            let exists = self
                .stack
                .last()
                .is_some_and(|p| p.tree.find(control).is_some());
            if exists {
                if let Some(top) = self.stack.last() {
                    if let Some(op) =
                        events::value_op(top.tree.root(), control, EventKind::Change, &detail)
                    {
                        let _ = self.surface.apply(top.id, &[op]);
                    }
                }
                self.dispatch(control, EventKind::Change, detail);
            }
        }
        Ok(())
    }

    /// The control a tap at `id` changes, and the change: the checkbox,
    /// radio or switch tapped (or the one the tap is in), else the first
    /// one inside the `label` around the tap. A disabled one changes not.
    fn toggled_by_tap(&self, id: NodeId) -> Option<(NodeId, Value)> {
        const CONTROLS: [&str; 3] = ["checkbox", "radio", "switch"];
        let root = self.stack.last()?.tree.root();
        let path = events::path_to(root, id)?;
        let control = match path
            .iter()
            .rev()
            .find(|n| CONTROLS.contains(&n.tag.as_str()))
        {
            Some(c) => *c,
            None => {
                let label = path.iter().rev().find(|n| n.tag == "label")?;
                let mut stack: Vec<&DomNode> = vec![label];
                let mut found = None;
                while let Some(n) = stack.pop() {
                    if CONTROLS.contains(&n.tag.as_str()) {
                        found = Some(n);
                        break;
                    }
                    stack.extend(n.children.iter().rev());
                }
                found?
            }
        };
        let on = |a: &str| {
            control
                .attrs
                .get(a)
                .is_some_and(|v| v != "false" && !v.is_empty())
        };
        if on("disabled") {
            return None;
        }
        let value = control.tag == "radio" || !on("checked");
        Some((control.id, json!({ "value": value })))
    }

    /// Types `value` into the first element matching `selector`, as its user would.
    pub fn input(&mut self, selector: &str, value: &str) -> Result<(), AutomationError> {
        self.as_user(selector, EventKind::Input, json!({ "value": value }))
    }

    /// A value change on the first element matching `selector` (a switch,
    /// checkbox, slider or picker), as its user made it: the element takes
    /// `detail.value` (`checked` for a switch or checkbox, else `value`),
    /// then its `onChange` handlers run with `detail`.
    pub fn change(&mut self, selector: &str, detail: Value) -> Result<(), AutomationError> {
        self.as_user(selector, EventKind::Change, detail)
    }

    /// A long press on the first element matching `selector`.
    pub fn long_tap(&mut self, selector: &str) -> Result<(), AutomationError> {
        self.fire_at(selector, EventKind::LongTap, json!({}))
    }

    /// An event of any kind at the first element matching `selector`, as
    /// a surface would report it (an `animationEnd`, a `focus`, a `scroll`);
    /// an input or change shows its value first, as a user's would.
    pub fn fire_at(
        &mut self,
        selector: &str,
        kind: EventKind,
        detail: Value,
    ) -> Result<(), AutomationError> {
        self.as_user(selector, kind, detail)
    }

    /// A finger on the first element matching `selector`: `touchStart` at
    /// the first point, `touchMove` through the rest, `touchEnd` where it
    /// lifts (the last point), each with Alipay's `touches` and
    /// `changedTouches` (`clientX`/`clientY`, `pageX`/`pageY`, in px).
    pub fn touch(&mut self, selector: &str, points: &[(f64, f64)]) -> Result<(), AutomationError> {
        let id = self.first(selector)?;
        let Some((&first, rest)) = points.split_first() else {
            return Ok(());
        };
        let at = |(x, y): (f64, f64)| json!({"identifier": 0, "clientX": x, "clientY": y, "pageX": x, "pageY": y, "x": x, "y": y});
        self.dispatch(
            id,
            EventKind::TouchStart,
            json!({"touches": [at(first)], "changedTouches": [at(first)]}),
        );
        for &p in rest {
            self.dispatch(
                id,
                EventKind::TouchMove,
                json!({"touches": [at(p)], "changedTouches": [at(p)]}),
            );
        }
        let last = rest.last().copied().unwrap_or(first);
        self.dispatch(
            id,
            EventKind::TouchEnd,
            json!({"touches": [], "changedTouches": [at(last)]}),
        );
        Ok(())
    }

    /// What a user's typing or switching does: the surface shows the new
    /// value, then the event is dispatched.
    fn as_user(
        &mut self,
        selector: &str,
        kind: EventKind,
        detail: Value,
    ) -> Result<(), AutomationError> {
        let id = self.first(selector)?;
        if let Some(top) = self.stack.last() {
            if let Some(op) = events::value_op(top.tree.root(), id, kind, &detail) {
                let _ = self.surface.apply(top.id, &[op]);
            }
        }
        self.dispatch(id, kind, detail);
        Ok(())
    }

    fn first(&self, selector: &str) -> Result<NodeId, AutomationError> {
        let sel =
            Selector::parse(selector).map_err(|e| AutomationError::Selector(e.to_string()))?;
        let top = self.stack.last().ok_or(AutomationError::NoPage)?;
        sel.select(top.tree.root())
            .first()
            .map(|n| n.id)
            .ok_or_else(|| AutomationError::NoMatch {
                selector: selector.to_owned(),
                route: top.route.clone(),
            })
    }

    /// The text of the first element matching `selector` on the top page.
    pub fn text(&self, selector: &str) -> Result<String, AutomationError> {
        let id = self.first(selector)?;
        Ok(self
            .stack
            .last()
            .and_then(|p| p.tree.find(id))
            .map(DomNode::text_content)
            .unwrap_or_default())
    }

    /// Runs timers until an element matches `selector` or `timeout` passes.
    pub fn wait_for(&mut self, selector: &str, timeout: Duration) -> Result<(), AutomationError> {
        Selector::parse(selector).map_err(|e| AutomationError::Selector(e.to_string()))?;
        let deadline = Instant::now() + timeout;
        loop {
            if self.first(selector).is_ok() {
                return Ok(());
            }
            let next = self.pump();
            let now = Instant::now();
            if now >= deadline {
                return Err(AutomationError::Timeout(selector.to_owned()));
            }
            let wake = next
                .unwrap_or(deadline)
                .min(deadline)
                .min(now + Duration::from_millis(50));
            std::thread::sleep(wake.saturating_duration_since(now));
        }
    }
}
