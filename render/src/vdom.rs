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
