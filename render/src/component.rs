//! Custom components as the render core sees them (compat.md B1–B4, B8):
//! what an owner passes a component at its tag — its props, the handler
//! names its `on*`/`catch*` attributes give, its slot content rendered in the
//! owner's scope — and what a diff learns about component hosts.
//!
//! A component instance renders its own template into a host node (tag as
//! written, attribute `is`); the owner's diff creates, keeps and removes
//! hosts and never looks inside one, so an instance's `setData` re-renders
//! and diffs that instance alone.

pub use super::vdom::Call;
use super::vdom::{DomNode, NodeId, VNode};
use std::rc::Rc;

/// Whether an attribute on a custom tag names one of its owner's methods:
/// `on` or `catch` followed by an upper-case letter (B3.3).
pub fn is_handler_attr(name: &str) -> bool {
    let rest = name
        .strip_prefix("on")
        .or_else(|| name.strip_prefix("catch"));
    rest.and_then(|r| r.chars().next())
        .is_some_and(|c| c.is_ascii_uppercase())
}

/// What a diff did to the component hosts under the node it diffed.
#[derive(Debug, Clone)]
pub enum HostChange {
    /// A new host: its instance is to be created with this call.
    Created(NodeId, Rc<Call>),
    /// A host kept from the last render, now rendered with this call.
    Kept(NodeId, Rc<Call>),
    /// A host removed, with everything under it; parents come before the
    /// hosts inside them.
    Removed(NodeId),
}

/// Records every host in `node`'s subtree as removed, outer first.
pub(crate) fn removed(node: &DomNode, into: &mut Vec<HostChange>) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.host {
            into.push(HostChange::Removed(n.id));
        }
        stack.extend(n.children.iter().rev());
    }
}

/// Nodes in `nodes`, counted to their leaves.
pub(crate) fn count(nodes: &[VNode]) -> usize {
    let mut n = 0;
    let mut stack: Vec<&VNode> = nodes.iter().collect();
    while let Some(v) = stack.pop() {
        n += 1;
        match v {
            VNode::Element { children, .. } => stack.extend(children),
            VNode::Memo { node, .. } => stack.push(node),
            VNode::Component { .. } | VNode::Text { .. } => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_attributes_are_on_or_catch_then_an_upper_case_letter() {
        for yes in ["onTap", "catchTap", "onX", "onChange"] {
            assert!(is_handler_attr(yes), "{yes}");
        }
        for no in [
            "on", "onto", "catch", "catchy", "one", "title", "on-tap", "",
        ] {
            assert!(!is_handler_attr(no), "{no}");
        }
    }
}
