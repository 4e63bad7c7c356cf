//! The virtual DOM a template renders to, and the mounted tree with node ids
//! that patch ops address.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A rendered node, before ids are assigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum VNode {
    /// A component instance.
    Element {
        /// Component name, shared with the template's element.
        tag: std::sync::Arc<str>,
        /// Attributes after evaluation, events (`onTap`...) and `data-*` included.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        attrs: BTreeMap<String, String>,
        /// The `a:key` value, for keyed list diffing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        /// Children.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        children: Vec<VNode>,
        /// Whose template wrote it, for its event handlers: 0 for the page,
        /// else the component instance's id (its host node's id).
        #[serde(skip)]
        owner: u64,
        /// `data-*` attributes whose `{{ }}` gave a value that is not a
        /// string, as that value (`dataset` keeps it, as on Alipay).
        #[serde(skip)]
        data: Option<Box<BTreeMap<String, serde_json::Value>>>,
    },
    /// A custom component's tag, as its owner rendered it: the component
    /// renders its own subtree into the host node this becomes.
    #[serde(skip)]
    Component {
        /// The tag as written.
        tag: std::sync::Arc<str>,
        /// `a:key`.
        key: Option<String>,
        /// What the owner passes it.
        call: std::rc::Rc<Call>,
    },
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// A keyed `a:for` item rendered with the page's render cache. When
    /// `unchanged`, the node mounted from the last render of the same item
    /// (marked with `fp`) is kept as it is, without a diff; any other node is
    /// patched or mounted from `node`.
    #[serde(skip)]
    Memo {
        /// Identifies the item (its loop and key) within the page.
        fp: u64,
        /// Whether its inputs are the same as at the last render.
        unchanged: bool,
        /// The rendered item.
        node: std::rc::Rc<VNode>,
    },
}

/// A node id, unique within a page; the page root is 0.
pub type NodeId = u64;

/// The tag of text nodes in a mounted tree.
pub const TEXT_TAG: &str = "#text";

/// A node as mounted on a surface: what patch ops create and address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomNode {
    /// Its id.
    pub id: NodeId,
    /// Component name, or `#text`.
    pub tag: String,
    /// Text of a text node.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// Attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attrs: BTreeMap<String, String>,
    /// `a:key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Children.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<DomNode>,
    /// The render-cache item this node was last rendered from (0: none).
    #[serde(skip)]
    pub memo: u64,
    /// Whose template wrote it (see [`VNode::Element`]'s `owner`).
    #[serde(skip)]
    pub owner: u64,
    /// Whether this is a custom component's host: its children are the
    /// component's own render, which only the component diffs.
    #[serde(skip)]
    pub host: bool,
    /// Typed `data-*` values (see [`VNode::Element`]'s `data`); kept where
    /// events are made, never sent to a surface.
    #[serde(skip)]
    pub data: Option<Box<BTreeMap<String, serde_json::Value>>>,
}

impl DomNode {
    /// An empty page root.
    pub fn root() -> DomNode {
        DomNode {
            id: 0,
            tag: "page".into(),
            text: String::new(),
            attrs: BTreeMap::new(),
            key: None,
            children: Vec::new(),
            memo: 0,
            owner: 0,
            host: false,
            data: None,
        }
    }

    /// True for text nodes.
    pub fn is_text(&self) -> bool {
        self.tag == TEXT_TAG
    }

    /// Finds a node by id.
    pub fn find(&self, id: NodeId) -> Option<&DomNode> {
        if self.id == id {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(id))
    }

    /// Finds a node by id, mutably.
    pub fn find_mut(&mut self, id: NodeId) -> Option<&mut DomNode> {
        if self.id == id {
            return Some(self);
        }
        self.children.iter_mut().find_map(|c| c.find_mut(id))
    }

    /// The concatenated text of this subtree.
    pub fn text_content(&self) -> String {
        if self.is_text() {
            return self.text.clone();
        }
        self.children.iter().map(DomNode::text_content).collect()
    }

    /// The subtree as HTML (components become custom elements with their attributes).
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        self.write_html(&mut out);
        out
    }

    fn write_html(&self, out: &mut String) {
        if self.is_text() {
            escape(&self.text, out);
            return;
        }
        out.push('<');
        out.push_str(&self.tag);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            escape(v, out);
            out.push('"');
        }
        out.push('>');
        for c in &self.children {
            c.write_html(out);
        }
        out.push_str("</");
        out.push_str(&self.tag);
        out.push('>');
    }
}

/// Escapes `s` as HTML text or a double-quoted attribute value, onto `out`.
pub fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

/// What an owner passes a component at one occurrence of its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The component's base path in the bundle (`components/card/index`);
    /// its `is` is this with a leading `/`.
    pub is: std::sync::Arc<str>,
    /// Every attribute but the handlers and `ref`, `slot`, `slot-scope`,
    /// `key` and `a:*`: `{{x}}` as its value, text as a string, a bare
    /// attribute as `true`; `class` arrives as `className`.
    pub props: serde_json::Map<String, serde_json::Value>,
    /// Function props: `(prop, owner's method)`, from `onX="method"` and
    /// `catchX="method"` written as plain text.
    pub handlers: Vec<(String, String)>,
    /// Slot content by name (`""` is the default slot), in source order,
    /// rendered in the owner's scope.
    pub slots: Vec<(String, Vec<VNode>)>,
    /// Content passed with `slot-scope`, rendered at each outlet of its
    /// name with the outlet's props (B8.5).
    pub scoped: Vec<ScopedSlot>,
    /// Nodes in [`Call::slots`], counted against the render's node limit
    /// at each outlet that shows them.
    pub slot_nodes: usize,
    /// Who wrote the tag: 0 for the page, else the owning instance's id.
    pub owner: u64,
    /// `ref="method"`: the owner's method given the instance once it exists.
    pub ref_method: Option<String>,
    /// The file and place of the tag, for errors about this instance.
    pub file: String,
    /// Where the tag is in [`Call::file`].
    pub pos: crate::axml::Pos,
}

impl Call {
    /// The content passed for slot `name` (`""` for the default slot), each
    /// piece in source order; `None` when nothing was passed for it.
    pub fn slot(&self, name: &str) -> Option<Vec<&VNode>> {
        let out: Vec<&VNode> = self
            .slots
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, nodes)| nodes.iter())
            .collect();
        (!out.is_empty()).then_some(out)
    }
}

/// Slot content passed with `slot-scope="s"`: its nodes, rendered at each
/// outlet named `name` in its owner's scope (what the content reads of it,
/// kept when the owner rendered) plus `s`, the outlet's props.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedSlot {
    /// The slot's name (`""`: the default slot).
    pub name: String,
    /// The `slot-scope` name.
    pub var: String,
    /// The content, its `slot` and `slot-scope` attributes removed.
    pub nodes: Vec<crate::axml::Node>,
    /// The names the content reads, with their values in the owner's scope.
    pub scope: serde_json::Value,
    /// The owner's file, for errors.
    pub file: String,
    /// What the owner's own owner passed it, when the owner is a component:
    /// a `<slot>` inside the content is the owner's outlet, not the one the
    /// content is rendered at (Ant Design Mini's FormInput passes its
    /// `header` slot on to form-item's).
    pub outer: Option<std::rc::Rc<Call>>,
    /// The tags the owner's template may use: custom tags in the content
    /// are the owner's (a page's component inside a list's scoped slot).
    pub components: Option<std::rc::Rc<std::collections::HashMap<String, std::sync::Arc<str>>>>,
}

// Nodes compare by value; what they hold (expressions over JSON) has no
// value that is unequal to itself.
impl Eq for ScopedSlot {}
