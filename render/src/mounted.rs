//! A page's tree as the host holds it: built only from patch ops, which come
//! from the isolation unit and so are trusted no more than the mini program
//! that made them. Every op is checked against limits a hostile producer
//! cannot pass — depth, nodes, bytes of text and attributes — so the host
//! can walk, print and free the tree recursively on any thread.

use crate::diff::{self, PatchOp};
use crate::vdom::{DomNode, NodeId};
use crate::wire::MAX_TREE_DEPTH;

/// Most nodes, elements and texts, one mounted page may hold (the render
/// core makes at most 100,000 elements, and about as many texts).
pub const MAX_TREE_NODES: usize = 3 * crate::template::MAX_NODES;

/// Most bytes of tags, text, keys and attributes one mounted page may hold.
pub const MAX_TREE_BYTES: usize = 64 << 20;

/// A mounted page tree that only changes through checked patch ops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mounted {
    root: DomNode,
    nodes: usize,
    bytes: usize,
}

impl Default for Mounted {
    fn default() -> Self {
        Mounted::new()
    }
}

/// A subtree's size.
struct Stats {
    nodes: usize,
    bytes: usize,
    /// Levels, 1 for a single node.
    height: usize,
}

fn node_bytes(n: &DomNode) -> usize {
    n.tag.len()
        + n.text.len()
        + n.key.as_ref().map_or(0, String::len)
        + n.attrs
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>()
}

/// Walks a subtree with an explicit stack (an inserted subtree has not been
/// checked yet, so its depth is not known to be small).
fn stats(n: &DomNode) -> Stats {
    let mut s = Stats {
        nodes: 0,
        bytes: 0,
        height: 0,
    };
    let mut stack = vec![(n, 1)];
    while let Some((n, level)) = stack.pop() {
        s.nodes += 1;
        s.bytes += node_bytes(n);
        s.height = s.height.max(level);
        stack.extend(n.children.iter().map(|c| (c, level + 1)));
    }
    s
}

/// The depth of node `id` (the root is at 0), in a tree already within the
/// depth limit.
fn depth_of(n: &DomNode, id: NodeId, depth: usize) -> Option<usize> {
    if n.id == id {
        return Some(depth);
    }
    n.children.iter().find_map(|c| depth_of(c, id, depth + 1))
}

impl Mounted {
    /// An empty page root.
    pub fn new() -> Mounted {
        let root = DomNode::root();
        Mounted {
            bytes: node_bytes(&root),
            root,
            nodes: 1,
        }
    }

    /// The tree.
    pub fn root(&self) -> &DomNode {
        &self.root
    }

    /// Nodes in the tree, the root included.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Bytes of tags, text, keys and attributes in the tree.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Applies `ops` in order. An op for a node that is not there, or one
    /// that would take the tree past a limit, is an error; the ops before it
    /// stay applied, and the caller stops the app that sent them.
    pub fn apply(&mut self, ops: &[PatchOp]) -> Result<(), String> {
        let mut i = 0;
        while i < ops.len() {
            let run = ops[i..]
                .iter()
                .take_while(|op| {
                    matches!(
                        op,
                        PatchOp::SetAttr { .. }
                            | PatchOp::RemoveAttr { .. }
                            | PatchOp::SetText { .. }
                    )
                })
                .count();
            if run > 0 {
                let grew = diff::apply_run(&mut self.root, &ops[i..i + run])?;
                self.bytes = self.bytes.saturating_add_signed(grew);
                self.check_bytes()?;
                i += run;
                continue;
            }
            let op = &ops[i];
            match op {
                PatchOp::Insert { parent, node, .. } => {
                    let depth = depth_of(&self.root, *parent, 0)
                        .ok_or_else(|| format!("insert into unknown node {parent}"))?;
                    let s = stats(node);
                    if depth + s.height > MAX_TREE_DEPTH {
                        return Err(format!(
                            "an insert would make the page deeper than {MAX_TREE_DEPTH} levels"
                        ));
                    }
                    if self.nodes + s.nodes > MAX_TREE_NODES {
                        return Err(format!(
                            "an insert would give the page more than {MAX_TREE_NODES} nodes"
                        ));
                    }
                    diff::apply(&mut self.root, std::slice::from_ref(op))?;
                    self.nodes += s.nodes;
                    self.bytes += s.bytes;
                    self.check_bytes()?;
                }
                PatchOp::Remove { id } => {
                    let s = match self.root.children.iter().find_map(|c| c.find(*id)) {
                        Some(n) => stats(n),
                        None => return Err(format!("remove of unknown node {id}")),
                    };
                    diff::apply(&mut self.root, std::slice::from_ref(op))?;
                    self.nodes -= s.nodes;
                    self.bytes -= s.bytes;
                }
                PatchOp::Move { id, parent, .. } => {
                    let height = match self.root.children.iter().find_map(|c| c.find(*id)) {
                        Some(n) => stats(n).height,
                        None => return Err(format!("move of unknown node {id}")),
                    };
                    let depth = depth_of(&self.root, *parent, 0)
                        .ok_or_else(|| format!("move into unknown node {parent}"))?;
                    if depth + height > MAX_TREE_DEPTH {
                        return Err(format!(
                            "a move would make the page deeper than {MAX_TREE_DEPTH} levels"
                        ));
                    }
                    diff::apply(&mut self.root, std::slice::from_ref(op))?;
                }
                _ => unreachable!("attribute and text ops are applied in runs"),
            }
            i += 1;
        }
        Ok(())
    }

    fn check_bytes(&self) -> Result<(), String> {
        if self.bytes > MAX_TREE_BYTES {
            return Err(format!(
                "the page would hold more than {MAX_TREE_BYTES} bytes of text and attributes"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn node(id: NodeId, children: Vec<DomNode>) -> DomNode {
        DomNode {
            id,
            tag: "view".into(),
            text: String::new(),
            attrs: BTreeMap::new(),
            key: None,
            children,
            memo: 0,
        }
    }

    fn chain(first: NodeId, levels: usize) -> DomNode {
        let mut n = node(first + levels as u64 - 1, vec![]);
        for id in (first..first + levels as u64 - 1).rev() {
            n = node(id, vec![n]);
        }
        n
    }

    fn insert(parent: NodeId, node: DomNode) -> PatchOp {
        PatchOp::Insert {
            parent,
            index: 0,
            node,
        }
    }

    #[test]
    fn a_tree_built_from_rendered_ops_equals_the_rendered_tree() {
        let rendered = crate::testkit::dom(r#"<view class="a"><text>hi</text></view><view/>"#);
        let ops: Vec<PatchOp> = rendered
            .children
            .iter()
            .enumerate()
            .map(|(index, n)| PatchOp::Insert {
                parent: 0,
                index,
                node: n.clone(),
            })
            .collect();
        let mut m = Mounted::new();
        m.apply(&ops).expect("applies");
        assert_eq!(m.root(), &rendered);
        assert_eq!(m.nodes(), 5);
        m.apply(&[
            PatchOp::SetText {
                id: 3,
                text: "hello".into(),
            },
            PatchOp::SetAttr {
                id: 1,
                name: "class".into(),
                value: "ab".into(),
            },
        ])
        .expect("applies");
        let total = |n: &DomNode| stats(n).bytes;
        assert_eq!(m.bytes(), total(m.root()), "bytes are counted exactly");
        m.apply(&[
            PatchOp::RemoveAttr {
                id: 1,
                name: "class".into(),
            },
            PatchOp::Remove { id: 1 },
        ])
        .expect("applies");
        assert_eq!((m.nodes(), m.bytes()), (2, total(m.root())));
    }

    #[test]
    fn ops_past_the_limits_are_refused() {
        let mut m = Mounted::new();
        m.apply(&[insert(0, chain(1, MAX_TREE_DEPTH))])
            .expect("at the limit");
        let mut deeper = m.clone();
        let e = deeper
            .apply(&[insert(MAX_TREE_DEPTH as u64, node(9_999, vec![]))])
            .expect_err("one more level");
        assert_eq!(e, "an insert would make the page deeper than 129 levels");
        // A move that stacks one chain under the deepest node of another.
        m.apply(&[insert(0, chain(1_000, 2))])
            .expect("second chain");
        let e = m
            .apply(&[PatchOp::Move {
                id: 1_000,
                parent: MAX_TREE_DEPTH as u64,
                index: 0,
            }])
            .expect_err("too deep");
        assert_eq!(e, "a move would make the page deeper than 129 levels");

        let mut m = Mounted::new();
        let wide = node(
            1,
            (2..MAX_TREE_NODES as u64 + 1)
                .map(|id| node(id, vec![]))
                .collect(),
        );
        let e = m.apply(&[insert(0, wide)]).expect_err("too many");
        assert_eq!(e, "an insert would give the page more than 300000 nodes");
        assert_eq!(m, Mounted::new(), "nothing was inserted");

        let mut m = Mounted::new();
        m.apply(&[insert(0, node(1, vec![]))]).expect("one");
        let big = "x".repeat(MAX_TREE_BYTES / 2);
        let set = |v: &str| PatchOp::SetAttr {
            id: 1,
            name: "a".into(),
            value: v.into(),
        };
        // Replacing a value counts its new size, not both.
        for _ in 0..4 {
            m.apply(&[set(&big)]).expect("replaced in place");
        }
        let e = m
            .apply(&[PatchOp::SetText {
                id: 1,
                text: big.clone(),
            }])
            .expect_err("too many bytes");
        assert_eq!(
            e,
            "the page would hold more than 67108864 bytes of text and attributes"
        );

        let mut m = Mounted::new();
        for (op, why) in [
            (insert(7, node(8, vec![])), "insert into unknown node 7"),
            (PatchOp::Remove { id: 0 }, "remove of unknown node 0"),
            (PatchOp::Remove { id: 5 }, "remove of unknown node 5"),
            (
                PatchOp::Move {
                    id: 5,
                    parent: 0,
                    index: 0,
                },
                "move of unknown node 5",
            ),
            (
                PatchOp::SetText {
                    id: 5,
                    text: "x".into(),
                },
                "text on unknown node 5",
            ),
        ] {
            assert_eq!(m.apply(&[op]).expect_err(why), why);
        }
    }
}
