//! The view's own APIs after the gate ([`Outcome::View`]): a selector
//! query's `exec` and the component contexts' methods, answered from the
//! host's tree of the page and its surface. Nothing here parses what the
//! mini program wrote: the unit turned its selectors into node ids, which
//! are checked against the host's own tree of that page.
//!
//! [`Outcome::View`]: mpkit_jsapi::Outcome::View

use super::Runtime;
use crate::logic::query::MAX_SELECTED;
use crate::surface::{CanvasAction, Measured, Rect, Surface, CANVAS_ACTIONS};
use mpkit_jsapi::{ApiError, Outcome, ViewApi};
use mpkit_render::vdom::DomNode;
use serde_json::{json, Map, Value};

/// The most actions one `draw` may carry.
pub(crate) const MAX_DRAW_ACTIONS: usize = 10_000;

/// Screen height over width of the default screen (`my.getSystemInfo`'s 375 × 812).
const SCREEN_ASPECT: f64 = 812.0 / 375.0;

impl<S: Surface> Runtime<S> {
    /// Answers a view API that passed the gate.
    pub(super) fn view_call(&mut self, api: ViewApi, params: &Map<String, Value>) -> Outcome {
        match api {
            ViewApi::SelectorQuery => self.selector_query(params),
            ViewApi::Canvas => Outcome::Ready(self.canvas_call(params)),
            ViewApi::Map
            | ViewApi::Video
            | ViewApi::WebView
            | ViewApi::Lottie
            | ViewApi::IntersectionObserver => {
                let method = params.get("method").and_then(Value::as_str).unwrap_or("");
                Outcome::Ready(Err(not_here(api, method)))
            }
        }
    }

    /// `{page, queries: [{nodes, all, fields} | {viewport, fields}]}` →
    /// one answer per query: an object (`select`), an array (`selectAll`)
    /// or null (nothing selected, or the page is gone). The answers are
    /// built here with zero rects; the surface's rects, when it has them
    /// (now, or later from its UI thread), are filled in.
    fn selector_query(&mut self, params: &Map<String, Value>) -> Outcome {
        let queries = params
            .get("queries")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let page = params.get("page").and_then(Value::as_u64).unwrap_or(0);
        let Some(state) = self.stack.iter().find(|p| p.id == page) else {
            return Outcome::Ready(Ok(Value::Array(
                queries.iter().map(|_| Value::Null).collect(),
            )));
        };
        let width = self.screen_width;
        let viewport = Rect {
            width,
            height: width * SCREEN_ASPECT,
            ..Rect::default()
        };
        // Each query's answer, and the nodes behind it in order.
        let mut answers = Vec::with_capacity(queries.len());
        let mut ids: Vec<Vec<u64>> = Vec::with_capacity(queries.len());
        let mut wanted = Vec::new();
        for q in &queries {
            let fields = &q["fields"];
            if q["viewport"] == Value::Bool(true) {
                answers.push(answer(None, &viewport, fields));
                ids.push(Vec::new());
                continue;
            }
            let room = MAX_SELECTED.saturating_sub(wanted.len());
            let nodes: Vec<&DomNode> = q["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_u64)
                .filter_map(|id| state.tree.find(id))
                .take(room)
                .collect();
            let zero = Rect::default();
            let each: Vec<Value> = nodes
                .iter()
                .map(|n| answer(Some(n), &zero, fields))
                .collect();
            let node_ids: Vec<u64> = nodes.iter().map(|n| n.id).collect();
            wanted.extend_from_slice(&node_ids);
            answers.push(if q["all"] == Value::Bool(true) {
                Value::Array(each)
            } else {
                each.into_iter().next().unwrap_or(Value::Null)
            });
            ids.push(node_ids);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let asked = wanted.clone();
        self.surface.measure(
            page,
            &wanted,
            Measured::new(move |rects| {
                let mut answers = answers;
                if let Some(rects) = rects.filter(|r| r.len() == asked.len()) {
                    fill(&mut answers, &ids, &asked, &rects);
                }
                let _ = tx.send(Ok(Value::Array(answers)));
            }),
        );
        // A surface that answered at once (headless) is answered now.
        match rx.try_recv() {
            Ok(r) => Outcome::Ready(r),
            Err(_) => Outcome::Pending(rx),
        }
    }

    /// A canvas context's method: `draw` paints the checked actions on the
    /// page's `<canvas id>`; the rest need pixels this host cannot give.
    fn canvas_call(&mut self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        let method = params.get("method").and_then(Value::as_str).unwrap_or("");
        if method != "draw" {
            return Err(not_here(ViewApi::Canvas, method));
        }
        let id = params.get("id").and_then(Value::as_str).unwrap_or("");
        let args = params.get("args").cloned().unwrap_or(Value::Null);
        let actions = canvas_actions(&args["actions"])?;
        let reserve = args["reserve"] == Value::Bool(true);
        let Some(state) = self.stack.last() else {
            return Err(no_canvas(id));
        };
        let node = find_canvas(state.tree.root(), id).ok_or_else(|| no_canvas(id))?;
        let page = state.id;
        self.surface.draw_canvas(page, node, &actions, reserve);
        Ok(json!({}))
    }
}

fn not_here(api: ViewApi, method: &str) -> ApiError {
    let method: String = method.chars().take(64).collect();
    ApiError::NotAvailable(format!("{api}().{method}"))
}

fn no_canvas(id: &str) -> ApiError {
    ApiError::InvalidParam {
        param: "id".into(),
        reason: format!(
            "no <canvas id=\"{}\"> on the current page",
            id.chars().take(64).collect::<String>()
        ),
    }
}

/// Checks a draw's actions: at most [`MAX_DRAW_ACTIONS`], each a known name
/// with an array of at most 9 JSON arguments.
fn canvas_actions(v: &Value) -> Result<Vec<CanvasAction>, ApiError> {
    let bad = |reason: String| ApiError::InvalidParam {
        param: "actions".into(),
        reason,
    };
    let list = v.as_array().ok_or_else(|| bad("must be an array".into()))?;
    if list.len() > MAX_DRAW_ACTIONS {
        return Err(bad(format!("at most {MAX_DRAW_ACTIONS} per draw")));
    }
    list.iter()
        .map(|a| {
            let name = a[0].as_str().unwrap_or_default();
            let args = a[1].as_array().filter(|a| a.len() <= 9);
            match (CANVAS_ACTIONS.contains(&name), args) {
                (true, Some(args)) => Ok(CanvasAction(name.to_owned(), args.clone())),
                _ => Err(bad(format!(
                    "{:?} is not a canvas action",
                    name.chars().take(64).collect::<String>()
                ))),
            }
        })
        .collect()
}

/// The first `<canvas>` whose `id` is `id`, in document order.
fn find_canvas(node: &DomNode, id: &str) -> Option<u64> {
    if node.tag == "canvas" && node.attrs.get("id").is_some_and(|v| v == id) {
        return Some(node.id);
    }
    node.children.iter().find_map(|c| find_canvas(c, id))
}

/// Puts the surface's rects into the answers built with zero ones: only
/// the fields each answer has (what its query asked for).
fn fill(answers: &mut [Value], ids: &[Vec<u64>], asked: &[u64], rects: &[Rect]) {
    let by_id: std::collections::HashMap<u64, Rect> =
        asked.iter().copied().zip(rects.iter().copied()).collect();
    let rect_of = |id: u64| by_id.get(&id).copied();
    for (a, ids) in answers.iter_mut().zip(ids) {
        let targets: Vec<&mut Value> = match a {
            Value::Array(list) => list.iter_mut().collect(),
            Value::Object(_) => vec![a],
            _ => Vec::new(),
        };
        for (t, id) in targets.into_iter().zip(ids) {
            let (Some(r), Value::Object(m)) = (rect_of(*id), t) else {
                continue;
            };
            for (k, v) in [
                ("left", r.left),
                ("top", r.top),
                ("right", r.left + r.width),
                ("bottom", r.top + r.height),
                ("width", r.width),
                ("height", r.height),
                ("scrollLeft", r.scroll_left),
                ("scrollTop", r.scroll_top),
            ] {
                if let Some(slot) = m.get_mut(k) {
                    *slot = json!(v);
                }
            }
        }
    }
}

/// One node's answer, with the fields asked for.
fn answer(node: Option<&DomNode>, rect: &Rect, fields: &Value) -> Value {
    let on = |f: &str| fields[f] == Value::Bool(true);
    let mut m = Map::new();
    if let Some(n) = node {
        if on("id") {
            m.insert(
                "id".into(),
                json!(n.attrs.get("id").cloned().unwrap_or_default()),
            );
        }
        if on("dataset") {
            m.insert("dataset".into(), mpkit_render::events::dataset(n));
        }
        if let Some(props) = fields["properties"].as_array() {
            for p in props.iter().filter_map(Value::as_str).take(64) {
                let v = n.attrs.get(p).map_or(Value::Null, |v| json!(v));
                m.insert(p.to_owned(), v);
            }
        }
        if on("context") {
            m.insert(
                "context".into(),
                json!({"tag": n.tag, "id": n.attrs.get("id").cloned().unwrap_or_default()}),
            );
        }
        if on("node") {
            m.insert("node".into(), Value::Null);
        }
    }
    if on("rect") {
        m.insert("left".into(), json!(rect.left));
        m.insert("top".into(), json!(rect.top));
        m.insert("right".into(), json!(rect.left + rect.width));
        m.insert("bottom".into(), json!(rect.top + rect.height));
    }
    if on("size") {
        m.insert("width".into(), json!(rect.width));
        m.insert("height".into(), json!(rect.height));
    }
    if on("scrollOffset") {
        m.insert("scrollLeft".into(), json!(rect.scroll_left));
        m.insert("scrollTop".into(), json!(rect.scroll_top));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What reaches a surface is only actions of the list, each with at most
    /// 9 arguments, at most MAX_DRAW_ACTIONS of them; anything else refuses
    /// the whole draw, naming the action.
    #[test]
    fn canvas_actions_outside_the_list_refuse_the_whole_draw() {
        let ok = canvas_actions(&json!([
            ["fillRect", [0, 0, 1, 1]],
            ["=fillStyle", ["red"]]
        ]))
        .expect("known actions");
        assert_eq!(ok.len(), 2);
        let refused = |v: Value| canvas_actions(&v).expect_err("refused").to_string();
        assert_eq!(
            refused(json!([["fillRect", []], ["eval", ["alert(1)"]]])),
            "invalid parameter actions: \"eval\" is not a canvas action"
        );
        assert_eq!(
            refused(json!([["=innerHTML", ["<img>"]]])),
            "invalid parameter actions: \"=innerHTML\" is not a canvas action"
        );
        assert_eq!(
            refused(json!([["fillRect", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]])),
            "invalid parameter actions: \"fillRect\" is not a canvas action"
        );
        assert_eq!(
            refused(json!([["fillRect", "0,0,1,1"]])),
            "invalid parameter actions: \"fillRect\" is not a canvas action"
        );
        assert_eq!(
            refused(json!({"0": ["fillRect", []]})),
            "invalid parameter actions: must be an array"
        );
        let flood: Vec<Value> = (0..=MAX_DRAW_ACTIONS)
            .map(|_| json!(["beginPath", []]))
            .collect();
        assert_eq!(
            refused(Value::Array(flood)),
            "invalid parameter actions: at most 10000 per draw"
        );
    }

    /// A surface's rects land in the fields each answer asked for, matched
    /// by node id, in `select` and `selectAll` answers alike; a viewport
    /// answer and fields not asked for are left as they are.
    #[test]
    fn rects_fill_only_the_fields_asked_for() {
        let mut answers = vec![
            json!({"id": "a", "left": 0.0, "width": 0.0}),
            json!([{"scrollTop": 0.0}, {"top": 0.0, "bottom": 0.0}]),
            json!({"width": 375.0}),
            Value::Null,
        ];
        let ids = vec![vec![7], vec![8, 7], vec![], vec![]];
        let r = |left: f64, top: f64| Rect {
            left,
            top,
            width: 10.0,
            height: 5.0,
            scroll_left: 0.0,
            scroll_top: 3.0,
        };
        fill(&mut answers, &ids, &[7, 8], &[r(1.0, 2.0), r(4.0, 6.0)]);
        assert_eq!(
            answers,
            vec![
                json!({"id": "a", "left": 1.0, "width": 10.0}),
                json!([{"scrollTop": 3.0}, {"top": 2.0, "bottom": 7.0}]),
                json!({"width": 375.0}),
                Value::Null,
            ]
        );
    }

    /// A context method this host cannot carry out names itself, cut to a
    /// readable length whatever the program sent.
    #[test]
    fn a_method_this_host_lacks_is_error_1_naming_it() {
        let e = not_here(ViewApi::Video, "play");
        assert_eq!(e.code(), ApiError::NOT_AVAILABLE);
        assert_eq!(
            e.to_string(),
            "my.createVideoContext().play is not available in this host"
        );
        let long = "x".repeat(10_000);
        assert!(not_here(ViewApi::Map, &long).to_string().len() < 120);
    }
}
