//! `my.createSelectorQuery` inside the unit: the selectors a mini program
//! wrote are parsed and matched here, behind the isolation boundary, against
//! the page's rendered tree. What goes on to the host (as the gated call's
//! parameters) is node ids, which the host checks against its own tree of
//! the page and measures on its surface.

use super::protocol::{FromLogic, ScriptError};
use super::view::Views;
use mpkit_render::selector::Selector;
use serde_json::{json, Map, Value};

/// The most queries one `exec` may hold.
pub(crate) const MAX_QUERIES: usize = 256;
/// The most nodes one `exec` may select, over all its queries.
pub(crate) const MAX_SELECTED: usize = 10_000;

impl Views {
    /// Turns a query as the logic layer wrote it (`{page, comp, queries:
    /// [{selector, all, fields} | {viewport, fields}]}`) into the call the
    /// host answers: `{page, queries: [{nodes, all, fields} | {viewport,
    /// fields}]}`. Page 0 is the top page. A selector that does not parse
    /// selects nothing, with a warning.
    pub(crate) fn resolve_query(&self, params: &Value, out: &mut Vec<FromLogic>) -> Value {
        let warn = |out: &mut Vec<FromLogic>, message: String| {
            out.push(FromLogic::Warning {
                warning: ScriptError::at("createSelectorQuery", "", 0, 0, message),
            })
        };
        let asked = params["page"].as_u64().unwrap_or(0);
        let page = match asked {
            0 => self.pages.last(),
            id => self.pages.iter().find(|p| p.id == id),
        };
        let Some(page) = page else {
            return json!({"page": asked, "queries": []});
        };
        let comp = params["comp"].as_u64().unwrap_or(0);
        // A component's query sees only the nodes of its own template.
        let root = match comp {
            0 => Some(&page.dom),
            id => page.dom.find(id),
        };
        let list = params["queries"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if list.len() > MAX_QUERIES {
            warn(
                out,
                format!("one exec holds at most {MAX_QUERIES} queries; the rest answer null"),
            );
        }
        let mut selected = 0usize;
        let mut queries = Vec::with_capacity(list.len().min(MAX_QUERIES));
        for q in list.iter().take(MAX_QUERIES) {
            let fields = q.get("fields").cloned().unwrap_or_else(|| json!({}));
            if q["viewport"] == Value::Bool(true) {
                queries.push(json!({"viewport": true, "fields": fields}));
                continue;
            }
            let all = q["all"] == Value::Bool(true);
            let text = q["selector"].as_str().unwrap_or_default();
            let nodes: Vec<u64> = match (Selector::parse(text), root) {
                (Ok(sel), Some(root)) => sel
                    .select(root)
                    .into_iter()
                    .filter(|n| comp == 0 || n.owner == comp)
                    .take(if all { usize::MAX } else { 1 })
                    .map(|n| n.id)
                    .collect(),
                (Err(e), _) => {
                    warn(out, e.to_string());
                    Vec::new()
                }
                (Ok(_), None) => Vec::new(),
            };
            let room = MAX_SELECTED.saturating_sub(selected);
            if nodes.len() > room {
                warn(
                    out,
                    format!("one exec selects at most {MAX_SELECTED} nodes; the rest are left out"),
                );
            }
            let nodes: Vec<u64> = nodes.into_iter().take(room).collect();
            selected += nodes.len();
            let mut m = Map::new();
            m.insert("nodes".into(), json!(nodes));
            m.insert("all".into(), Value::Bool(all));
            m.insert("fields".into(), fields);
            queries.push(Value::Object(m));
        }
        json!({"page": page.id, "queries": queries})
    }
}
