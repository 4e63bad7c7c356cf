//! What the logic layer asks of the view while JS runs, through
//! [`ComponentTree`] (the typings' instance methods, `lib.component.d.ts`
//! and `lib.shared.d.ts`): `$selectComponent`/`$selectAllComponents`,
//! `selectComposedParentComponent`, and the JS object of a deferred
//! instance made on the spot (`selectOwnerComponent` of a child whose owner
//! is plain). The view is the only one that knows the tree; these answer
//! with instance ids, and for a deferred instance the create task that
//! makes its JS object there and then.

use super::protocol::PageId;
use super::view::Views;
use mpkit_render::selector::Selector;
use mpkit_render::vdom::DomNode;
use serde_json::Value;

/// An instance found for JS: its id, and the create task JS must run first
/// when its JS object was deferred.
pub(crate) type Found = (u64, Option<Value>);

/// The view's tree as the logic layer's natives see it.
pub(crate) trait ComponentTree {
    /// The instances whose tag `owner` (0: the page) wrote in its own
    /// template and that `selector` matches, in document order (the first
    /// only, unless `all`). The selector is a list of compounds (tag, `#id`,
    /// `.class`, `[attr]`), read against the tag and what the owner passes
    /// (`id`, `class`, the other attributes).
    fn select_components(
        &mut self,
        page: PageId,
        owner: u64,
        selector: &str,
        all: bool,
    ) -> Result<Vec<Found>, String>;
    /// The instance around `id` in the page's tree (where its events
    /// bubble): `None` when that is the page.
    fn composed_parent(&mut self, page: PageId, id: u64) -> Option<Found>;
    /// Instance `id`, its JS object made if it was deferred.
    fn instance(&mut self, page: PageId, id: u64) -> Option<Found>;
}

/// Most instances one `$selectAllComponents` answers.
const MAX_SELECTED: usize = 10_000;

impl ComponentTree for Views {
    fn select_components(
        &mut self,
        page: PageId,
        owner: u64,
        selector: &str,
        all: bool,
    ) -> Result<Vec<Found>, String> {
        let sel = Selector::parse(selector).map_err(|e| e.to_string())?;
        let Some(i) = self.pages.iter().position(|p| p.id == page) else {
            return Ok(Vec::new());
        };
        let p = &self.pages[i];
        let mut ids = Vec::new();
        let mut stack = vec![&p.dom];
        while let Some(n) = stack.pop() {
            if n.host {
                if let Some(inst) = p.comps.get(&n.id).filter(|c| c.call.owner == owner) {
                    let mut attrs = std::collections::BTreeMap::new();
                    for (k, v) in &inst.call.props {
                        let name = if k == "className" {
                            "class"
                        } else {
                            k.as_str()
                        };
                        let text = match v {
                            Value::String(s) => s.clone(),
                            Value::Null => continue,
                            other => other.to_string(),
                        };
                        attrs.insert(name.to_owned(), text);
                    }
                    let probe = DomNode {
                        id: n.id,
                        tag: n.tag.clone(),
                        attrs,
                        ..DomNode::root()
                    };
                    if sel.matches(&probe, &[]) {
                        ids.push(n.id);
                        if !all || ids.len() >= MAX_SELECTED {
                            break;
                        }
                    }
                }
            }
            stack.extend(n.children.iter().rev());
        }
        Ok(ids.into_iter().map(|id| self.found(i, id)).collect())
    }

    fn composed_parent(&mut self, page: PageId, id: u64) -> Option<Found> {
        let i = self.pages.iter().position(|p| p.id == page)?;
        let p = &self.pages[i];
        let path = mpkit_render::events::path_to(&p.dom, id)?;
        let parent = path
            .iter()
            .rev()
            .skip(1)
            .find(|n| n.host && p.comps.contains_key(&n.id))
            .map(|n| n.id)?;
        Some(self.found(i, parent))
    }

    fn instance(&mut self, page: PageId, id: u64) -> Option<Found> {
        let i = self.pages.iter().position(|p| p.id == page)?;
        self.pages[i]
            .comps
            .contains_key(&id)
            .then(|| self.found(i, id))
    }
}

impl Views {
    /// Instance `id` of page `i` for JS: with the task that makes its JS
    /// object when it was deferred (and is no longer, once JS runs it).
    fn found(&mut self, i: usize, id: u64) -> Found {
        let mut tasks = Vec::new();
        self.materialize(i, id, &mut tasks);
        (id, tasks.pop())
    }
}
