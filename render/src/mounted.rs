//! A page's tree as the host holds it: built only from patch ops, which come
//! from the isolation unit and so are trusted no more than the mini program
//! that made them. Every op is checked against limits a hostile producer
//! cannot pass — depth, nodes, bytes of text and attributes — so the host
//! can walk, print and free the tree recursively on any thread.

use crate::diff::{self, PatchOp};
use crate::vdom::{DomNode, NodeId};
use crate::wire::MAX_TREE_DEPTH;
use crate::IdHash;
use std::collections::HashMap;

/// Most nodes one mounted page may hold: the elements and texts the render
/// core makes at most, and the page root.
pub const MAX_TREE_NODES: usize = crate::template::MAX_NODES + crate::template::MAX_TEXTS + 1;

/// Most bytes of tags, text, keys and attributes one mounted page may hold.
pub const MAX_TREE_BYTES: usize = 64 << 20;

/// A mounted page tree that only changes through checked patch ops. It
/// keeps each node's parent by id, so an op finds its node by walking down
/// from the root along that node's ancestors instead of searching the
/// tree, and an id that is already in the tree cannot be inserted again.
#[derive(Debug, Clone)]
pub struct Mounted {
    root: DomNode,
    nodes: usize,
    bytes: usize,
    parents: HashMap<NodeId, NodeId, IdHash>,
}

impl PartialEq for Mounted {
    fn eq(&self, other: &Mounted) -> bool {
        self.root == other.root
    }
}

impl Eq for Mounted {}

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

/// Runs of attribute and text ops longer than this are applied in one walk
/// of the tree; shorter ones find each node through its ancestors.
const WALK_RUNS_OVER: usize = 16;

impl Mounted {
    /// An empty page root.
    pub fn new() -> Mounted {
        let root = DomNode::root();
        Mounted {
            bytes: node_bytes(&root),
            root,
            nodes: 1,
            parents: HashMap::default(),
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

    /// The ids from the root down to `id`, both included; `None` when `id`
    /// is not in the tree.
    fn chain(&self, id: NodeId) -> Option<Vec<NodeId>> {
        let mut chain = vec![id];
        let mut cur = id;
        while cur != self.root.id {
            cur = *self.parents.get(&cur)?;
            chain.push(cur);
        }
        chain.reverse();
        Some(chain)
    }

    /// The depth of node `id` (the root is at 0).
    fn depth_of(&self, id: NodeId) -> Option<usize> {
        self.chain(id).map(|c| c.len() - 1)
    }

    /// Node `id`, found by walking down along its ancestors.
    pub fn find(&self, id: NodeId) -> Option<&DomNode> {
        let chain = self.chain(id)?;
        let mut n = &self.root;
        for c in &chain[1..] {
            n = n.children.iter().find(|x| x.id == *c)?;
        }
        Some(n)
    }

    fn find_mut(&mut self, id: NodeId) -> Option<&mut DomNode> {
        let chain = self.chain(id)?;
        let mut n = &mut self.root;
        for c in &chain[1..] {
            n = n.children.iter_mut().find(|x| x.id == *c)?;
        }
        Some(n)
    }

    /// Applies `ops` in order. An op for a node that is not there, an id
    /// already in the tree, or an op that would take the tree past a limit is
    /// an error; the ops before it stay applied, and the caller stops the
    /// app that sent them.
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
            if run > WALK_RUNS_OVER {
                let grew = diff::apply_run_once(&mut self.root, &ops[i..i + run])?;
                self.bytes = self.bytes.saturating_add_signed(grew);
                self.check_bytes()?;
                i += run;
                continue;
            }
            if run > 0 {
                for op in &ops[i..i + run] {
                    let (PatchOp::SetAttr { id, .. }
                    | PatchOp::RemoveAttr { id, .. }
                    | PatchOp::SetText { id, .. }) = op
                    else {
                        continue;
                    };
                    let what = if matches!(op, PatchOp::SetText { .. }) {
                        "text"
                    } else {
                        "attribute"
                    };
                    let n = self
                        .find_mut(*id)
                        .ok_or_else(|| format!("{what} on unknown node {id}"))?;
                    let grew = diff::apply_in_place(n, op);
                    self.bytes = self.bytes.saturating_add_signed(grew);
                }
                self.check_bytes()?;
                i += run;
                continue;
            }
            match &ops[i] {
                PatchOp::Insert {
                    parent,
                    index,
                    node,
                } => self.insert(*parent, *index, node)?,
                PatchOp::Remove { id } => self.remove(*id)?,
                PatchOp::Move { id, parent, index } => self.move_to(*id, *parent, *index)?,
                _ => unreachable!("attribute and text ops are applied in runs"),
            }
            i += 1;
        }
        Ok(())
    }

    fn insert(&mut self, parent: NodeId, index: usize, node: &DomNode) -> Result<(), String> {
        let depth = self
            .depth_of(parent)
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
        // Every id is new, the subtree's own included.
        let mut added: Vec<(NodeId, NodeId)> = Vec::with_capacity(s.nodes);
        let mut stack = vec![(node, parent)];
        while let Some((n, p)) = stack.pop() {
            added.push((n.id, p));
            stack.extend(n.children.iter().map(|c| (c, n.id)));
        }
        let mut seen = std::collections::HashSet::with_capacity_and_hasher(added.len(), IdHash);
        for (id, _) in &added {
            if *id == self.root.id || self.parents.contains_key(id) || !seen.insert(*id) {
                return Err(format!("an insert repeats node id {id}"));
            }
        }
        let p = self
            .find_mut(parent)
            .ok_or_else(|| format!("insert into unknown node {parent}"))?;
        let at = index.min(p.children.len());
        p.children.insert(at, node.clone());
        self.parents.extend(added);
        self.nodes += s.nodes;
        self.bytes += s.bytes;
        self.check_bytes()
    }

    fn remove(&mut self, id: NodeId) -> Result<(), String> {
        let gone = self
            .detach(id)
            .ok_or_else(|| format!("remove of unknown node {id}"))?;
        let mut stack = vec![&gone];
        while let Some(n) = stack.pop() {
            self.parents.remove(&n.id);
            self.nodes -= 1;
            self.bytes -= node_bytes(n);
            stack.extend(n.children.iter());
        }
        Ok(())
    }

    fn move_to(&mut self, id: NodeId, parent: NodeId, index: usize) -> Result<(), String> {
        let height = self
            .find(id)
            .filter(|_| id != self.root.id)
            .map(|n| stats(n).height)
            .ok_or_else(|| format!("move of unknown node {id}"))?;
        let chain = self
            .chain(parent)
            .ok_or_else(|| format!("move into unknown node {parent}"))?;
        if chain.contains(&id) {
            return Err(format!("a move puts node {id} inside itself"));
        }
        if chain.len() - 1 + height > MAX_TREE_DEPTH {
            return Err(format!(
                "a move would make the page deeper than {MAX_TREE_DEPTH} levels"
            ));
        }
        let node = self
            .detach(id)
            .ok_or_else(|| format!("move of unknown node {id}"))?;
        let p = self
            .find_mut(parent)
            .ok_or_else(|| format!("move into unknown node {parent}"))?;
        let at = index.min(p.children.len());
        p.children.insert(at, node);
        self.parents.insert(id, parent);
        Ok(())
    }

    /// Takes node `id` (not the root) out of its parent's children.
    fn detach(&mut self, id: NodeId) -> Option<DomNode> {
        let parent = *self.parents.get(&id)?;
        let p = self.find_mut(parent)?;
        let i = p.children.iter().position(|c| c.id == id)?;
        Some(p.children.remove(i))
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
            owner: 0,
            host: false,
            data: None,
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
        assert_eq!(e, "an insert would give the page more than 300001 nodes");
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

        // Ids are unique: a node already in the tree, or one repeated
        // within the insert, is refused.
        let mut m = Mounted::new();
        m.apply(&[insert(0, node(1, vec![]))]).expect("one");
        for (op, why) in [
            (insert(0, node(1, vec![])), "an insert repeats node id 1"),
            (insert(1, node(0, vec![])), "an insert repeats node id 0"),
            (
                insert(1, node(2, vec![node(3, vec![]), node(3, vec![])])),
                "an insert repeats node id 3",
            ),
        ] {
            assert_eq!(m.apply(&[op]).expect_err(why), why);
        }
        m.apply(&[insert(1, node(2, vec![node(3, vec![])]))])
            .expect("fresh ids");
        let e = m
            .apply(&[PatchOp::Move {
                id: 1,
                parent: 3,
                index: 0,
            }])
            .expect_err("inside itself");
        assert_eq!(e, "a move puts node 1 inside itself");

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

    proptest::proptest! {
        /// Whatever a sequence of renders does to a page, the tree built
        /// from its ops with the checks and the parent index equals the one
        /// the diff keeps, and its totals are exact.
        #[test]
        fn mounted_trees_follow_the_diff_exactly(
            steps in proptest::collection::vec(
                proptest::collection::vec((0u8..8, 0u8..3, proptest::bool::ANY), 0..12), 1..8)
        ) {
            let doc = crate::axml::parse(
                r#"<view a:for="{{rows}}" a:key="id" class="{{item.c}}"><text>{{item.t}}</text><view a:if="{{item.f}}"><text>f</text></view></view><text>{{rows.length}}</text>"#,
            ).expect("parses");
            let mut rendered = DomNode::root();
            let mut ids = crate::diff::Ids::default();
            let mut m = Mounted::new();
            for rows in steps {
                let mut seen = std::collections::HashSet::new();
                let rows: Vec<serde_json::Value> = rows.into_iter().filter(|(k, _, _)| seen.insert(*k)).map(|(k, t, f)| {
                    serde_json::json!({"id": k, "t": format!("t{t}"), "c": format!("c{}", k % 3), "f": f})
                }).collect();
                let v = crate::template::Renderer::new(&crate::testkit::NoFiles, 375.0)
                    .render(&doc, "p.axml", &serde_json::json!({ "rows": rows }))
                    .expect("renders");
                let ops = crate::diff::diff_root(&mut rendered, v, &mut ids);
                m.apply(&ops).expect("applies");
                proptest::prop_assert_eq!(m.root(), &rendered);
                let s = stats(m.root());
                proptest::prop_assert_eq!((m.nodes(), m.bytes()), (s.nodes, s.bytes));
            }
        }
    }
}
