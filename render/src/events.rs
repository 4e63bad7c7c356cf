//! From "this kind of event happened at this node" to the handler calls the
//! logic layer makes: bubbling through `on*`, stopping at `catch*`.

use super::vdom::{DomNode, NodeId};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Events surfaces report: what Alipay's built-in components send (the
/// handler attribute is `on`/`catch` + the name's capitalised form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EventKind {
    /// A tap.
    Tap,
    /// A long press.
    LongTap,
    /// Text input.
    Input,
    /// A value change (switch, slider, picker, checkbox).
    Change,
    /// A form submission.
    Submit,
    /// A finger down; `detail.touches` and `detail.changedTouches` become
    /// the event's own `touches` and `changedTouches`, as for every touch.
    TouchStart,
    /// A finger moved.
    TouchMove,
    /// A finger up.
    TouchEnd,
    /// A touch the system took over.
    TouchCancel,
    /// A field got the focus.
    Focus,
    /// A field lost it.
    Blur,
    /// The keyboard's done key in a field.
    Confirm,
    /// A `scroll-view` (or another scrolling element) scrolled.
    Scroll,
    /// A CSS animation started.
    AnimationStart,
    /// A CSS animation began another iteration.
    AnimationIteration,
    /// A CSS animation ended.
    AnimationEnd,
    /// A CSS transition ended.
    TransitionEnd,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 17] = [
        EventKind::Tap,
        EventKind::LongTap,
        EventKind::Input,
        EventKind::Change,
        EventKind::Submit,
        EventKind::TouchStart,
        EventKind::TouchMove,
        EventKind::TouchEnd,
        EventKind::TouchCancel,
        EventKind::Focus,
        EventKind::Blur,
        EventKind::Confirm,
        EventKind::Scroll,
        EventKind::AnimationStart,
        EventKind::AnimationIteration,
        EventKind::AnimationEnd,
        EventKind::TransitionEnd,
    ];

    fn suffix(self) -> &'static str {
        match self {
            EventKind::Tap => "Tap",
            EventKind::LongTap => "LongTap",
            EventKind::Input => "Input",
            EventKind::Change => "Change",
            EventKind::Submit => "Submit",
            EventKind::TouchStart => "TouchStart",
            EventKind::TouchMove => "TouchMove",
            EventKind::TouchEnd => "TouchEnd",
            EventKind::TouchCancel => "TouchCancel",
            EventKind::Focus => "Focus",
            EventKind::Blur => "Blur",
            EventKind::Confirm => "Confirm",
            EventKind::Scroll => "Scroll",
            EventKind::AnimationStart => "AnimationStart",
            EventKind::AnimationIteration => "AnimationIteration",
            EventKind::AnimationEnd => "AnimationEnd",
            EventKind::TransitionEnd => "TransitionEnd",
        }
    }

    /// The event's `type`, as Alipay names it (`touchStart`, `animationEnd`).
    pub fn js_type(self) -> &'static str {
        match self {
            EventKind::Tap => "tap",
            EventKind::LongTap => "longTap",
            EventKind::Input => "input",
            EventKind::Change => "change",
            EventKind::Submit => "submit",
            EventKind::TouchStart => "touchStart",
            EventKind::TouchMove => "touchMove",
            EventKind::TouchEnd => "touchEnd",
            EventKind::TouchCancel => "touchCancel",
            EventKind::Focus => "focus",
            EventKind::Blur => "blur",
            EventKind::Confirm => "confirm",
            EventKind::Scroll => "scroll",
            EventKind::AnimationStart => "animationStart",
            EventKind::AnimationIteration => "animationIteration",
            EventKind::AnimationEnd => "animationEnd",
            EventKind::TransitionEnd => "transitionEnd",
        }
    }

    /// The kind a `type` names.
    pub fn from_js_type(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.js_type() == name)
    }

    /// Taps and touches bubble; the rest stay on their element.
    fn bubbles(self) -> bool {
        matches!(
            self,
            EventKind::Tap
                | EventKind::LongTap
                | EventKind::TouchStart
                | EventKind::TouchMove
                | EventKind::TouchEnd
                | EventKind::TouchCancel
        )
    }

    fn is_touch(self) -> bool {
        matches!(
            self,
            EventKind::TouchStart
                | EventKind::TouchMove
                | EventKind::TouchEnd
                | EventKind::TouchCancel
        )
    }
}

/// One call into the page's JS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandlerCall {
    /// The method name on the page.
    pub handler: String,
    /// `{type, timeStamp, target, currentTarget, detail}`.
    pub event: Value,
    /// Whose method it is: 0 for the page, else the component instance
    /// whose template declares the handler.
    #[serde(default)]
    pub owner: u64,
}

/// `data-item-id="3"` → `{"itemId": "3"}`; `data-item="{{obj}}"` keeps the object.
pub fn dataset(n: &DomNode) -> Value {
    let mut m = Map::new();
    for (k, v) in &n.attrs {
        if let Some(name) = k.strip_prefix("data-") {
            let mut key = String::new();
            let mut up = false;
            for c in name.chars() {
                if c == '-' {
                    up = true;
                } else if up {
                    key.extend(c.to_uppercase());
                    up = false;
                } else {
                    key.push(c);
                }
            }
            // A value the template gave as an object or a number stays one.
            let typed = n.data.as_ref().and_then(|d| d.get(k)).cloned();
            m.insert(key, typed.unwrap_or_else(|| Value::String(v.clone())));
        }
    }
    Value::Object(m)
}

fn describe(n: &DomNode) -> Value {
    json!({"id": n.attrs.get("id").cloned().unwrap_or_default(), "dataset": dataset(n), "tagName": n.tag})
}

/// The path of nodes from the root to `id`, root first.
pub fn path_to(root: &DomNode, id: NodeId) -> Option<Vec<&DomNode>> {
    if root.id == id {
        return Some(vec![root]);
    }
    for c in &root.children {
        if let Some(mut p) = path_to(c, id) {
            p.insert(0, root);
            return Some(p);
        }
    }
    None
}

/// Resolves an event at `target` into handler calls, innermost first.
pub fn resolve(
    root: &DomNode,
    target: NodeId,
    kind: EventKind,
    detail: Value,
    time_stamp: u64,
) -> Vec<HandlerCall> {
    let Some(path) = path_to(root, target) else {
        return Vec::new();
    };
    let Some(target_node) = path.last() else {
        return Vec::new();
    };
    let target_desc = describe(target_node);
    let mut calls = Vec::new();
    for node in path.iter().rev() {
        let catch = node.attrs.get(&format!("catch{}", kind.suffix()));
        let on = node.attrs.get(&format!("on{}", kind.suffix()));
        for handler in [on, catch].into_iter().flatten() {
            if !handler.is_empty() {
                let mut event = json!({
                    "type": kind.js_type(),
                    "timeStamp": time_stamp,
                    "target": target_desc,
                    "currentTarget": describe(node),
                    "detail": detail,
                });
                if kind.is_touch() {
                    for k in ["touches", "changedTouches"] {
                        event[k] = match &detail[k] {
                            Value::Array(list) => Value::Array(list.clone()),
                            _ => json!([]),
                        };
                    }
                }
                calls.push(HandlerCall {
                    handler: handler.clone(),
                    event,
                    owner: node.owner,
                });
            }
        }
        if catch.is_some() || !kind.bubbles() {
            break;
        }
    }
    calls
}

/// What an input or change event does to its element, as its user made it:
/// `value` for a text field, slider or picker, `checked` for a switch or
/// checkbox. `None` for other events, or when the detail carries no value.
pub fn value_op(
    dom: &DomNode,
    id: NodeId,
    kind: EventKind,
    detail: &Value,
) -> Option<crate::diff::PatchOp> {
    if !matches!(kind, EventKind::Input | EventKind::Change) {
        return None;
    }
    let tag = dom.find(id)?.tag.as_str();
    let (name, value) = match (tag, &detail["value"]) {
        (_, Value::Null) => return None,
        ("switch" | "checkbox", v) => ("checked", (v == &Value::Bool(true)).to_string()),
        (_, Value::String(v)) => ("value", v.clone()),
        (_, v) => ("value", v.to_string()),
    };
    Some(crate::diff::PatchOp::SetAttr {
        id,
        name: name.into(),
        value,
    })
}

/// The values of named form fields under `form`, for a submit event's detail.
pub fn form_values(form: &DomNode) -> Value {
    let mut m = Map::new();
    fn walk(n: &DomNode, m: &mut Map<String, Value>) {
        if let Some(name) = n.attrs.get("name") {
            let v = match n.tag.as_str() {
                "switch" | "checkbox" => {
                    Value::Bool(n.attrs.get("checked").is_some_and(|c| c != "false"))
                }
                _ => Value::String(n.attrs.get("value").cloned().unwrap_or_default()),
            };
            m.insert(name.clone(), v);
        }
        for c in &n.children {
            walk(c, m);
        }
    }
    walk(form, &mut m);
    json!({ "value": m })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{dom, id_attr};

    #[test]
    fn tap_bubbles_until_catch() {
        let root = dom(
            r#"<view onTap="outer"><view catchTap="middle" data-row-id="7"><view onTap="inner"><text id="t">x</text></view></view></view>"#,
        );
        let target = id_attr(&root, "t");
        let calls = resolve(&root, target, EventKind::Tap, json!({}), 5);
        let names: Vec<&str> = calls.iter().map(|c| c.handler.as_str()).collect();
        assert_eq!(names, ["inner", "middle"]);
        assert_eq!(
            calls[1].event["currentTarget"]["dataset"],
            json!({"rowId": "7"})
        );
        assert_eq!(calls[1].event["target"]["id"], "t");
        assert_eq!(calls[1].event["timeStamp"], 5);
    }

    /// A `data-*` given a number, a boolean, an array or an object by one
    /// `{{ }}` keeps that value in `dataset`; text around it makes it text.
    #[test]
    fn dataset_keeps_the_values_templates_give() {
        let root = dom(
            r#"<view id="v" data-n="{{1}}" data-on="{{true}}" data-list="{{[1, 'a']}}" data-mixed="n{{1}}" data-s="{{'x'}}" data-gone="{{missing}}" data-user-id="7"/>"#,
        );
        let v = root
            .children
            .iter()
            .find(|n| n.attrs.get("id").is_some_and(|i| i == "v"));
        let d = dataset(v.expect("the view"));
        assert_eq!(
            d,
            json!({"n": 1, "on": true, "list": [1, "a"], "mixed": "n1", "s": "x", "gone": "", "userId": "7"})
        );
        // What a surface gets is text all the same.
        let v = v.expect("the view");
        assert_eq!(
            (v.attrs["data-n"].as_str(), v.attrs["data-list"].as_str()),
            ("1", "1,a")
        );
    }

    /// Touches bubble and carry `touches`/`changedTouches` on the event
    /// itself; animation, focus and scroll events stay on their element.
    /// Each kind's `type` is its wire name.
    #[test]
    fn touches_bubble_with_their_points_and_animation_ends_do_not() {
        let root = dom(
            r#"<view onTouchMove="outerMove" onAnimationEnd="outerEnd"><view id="t" onTouchMove="move" onAnimationEnd="end"/></view>"#,
        );
        let t = id_attr(&root, "t");
        let points = json!({"touches": [{"identifier": 0, "clientX": 3, "clientY": 4, "pageX": 3, "pageY": 4}], "changedTouches": []});
        let calls = resolve(&root, t, EventKind::TouchMove, points, 1);
        let names: Vec<&str> = calls.iter().map(|c| c.handler.as_str()).collect();
        assert_eq!(names, ["move", "outerMove"]);
        assert_eq!(calls[0].event["type"], "touchMove");
        assert_eq!(calls[0].event["touches"][0]["clientX"], 3);
        assert_eq!(calls[0].event["changedTouches"], json!([]));
        let calls = resolve(
            &root,
            t,
            EventKind::AnimationEnd,
            json!({"animationName": "fade"}),
            1,
        );
        let names: Vec<&str> = calls.iter().map(|c| c.handler.as_str()).collect();
        assert_eq!(names, ["end"]);
        assert!(calls[0].event.get("touches").is_none());
        for k in EventKind::ALL {
            assert_eq!(EventKind::from_js_type(k.js_type()), Some(k));
            assert_eq!(serde_json::to_value(k).expect("json"), json!(k.js_type()));
        }
        assert_eq!(EventKind::from_js_type("click"), None);
    }

    #[test]
    fn input_does_not_bubble() {
        let root = dom(r#"<view onInput="outer"><input id="i" onInput="typed"/></view>"#);
        let target = id_attr(&root, "i");
        let calls = resolve(&root, target, EventKind::Input, json!({"value": "hi"}), 0);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].event["detail"]["value"], "hi");
    }

    #[test]
    fn form_values_collects_named_fields() {
        let root =
            dom(r#"<form><input name="qty" value="2"/><switch name="gift" checked/></form>"#);
        assert_eq!(
            form_values(&root),
            json!({"value": {"qty": "2", "gift": true}})
        );
    }
}
