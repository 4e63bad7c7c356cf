//! Diffing a page's mounted tree against a new render into a minimal list of
//! serializable patch ops, keyed by `a:key` where every sibling has one.

use super::component::HostChange;
use super::vdom::{DomNode, NodeId, VNode, TEXT_TAG};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Whether `attr` of a `tag` element is its user's when the template does
/// not set it: what was typed into a field, or whether a switch is on. A
/// re-render keeps it, as a page keeps what its user typed, instead of
/// clearing it; a template that binds it controls it.
fn users_own(tag: &str, attr: &str) -> bool {
    matches!(attr, "value" | "checked")
        && matches!(
            tag,
            "input" | "textarea" | "switch" | "checkbox" | "radio" | "slider" | "picker"
        )
}

/// Takes the user's own attributes that the new render does not set out of
/// `old`, to be put back after it.
fn users_state(
    tag: &str,
    old: &mut BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    ["value", "checked"]
        .into_iter()
        .filter(|a| users_own(tag, a) && !new.contains_key(*a))
        .filter_map(|a| old.remove_entry(a))
        .collect()
}

/// One change a surface applies, addressed by node id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum PatchOp {
    /// Insert a new subtree as child `index` of `parent`.
    Insert {
        /// Parent node.
        parent: NodeId,
        /// Position among the parent's children after the insert.
        index: usize,
        /// The subtree, with fresh ids.
        node: DomNode,
    },
    /// Remove a node and its subtree.
    Remove {
        /// The node.
        id: NodeId,
    },
    /// Move an existing node to child `index` of `parent` (its current parent).
    Move {
        /// The node.
        id: NodeId,
        /// Its parent.
        parent: NodeId,
        /// Position after the move.
        index: usize,
    },
    /// Set an attribute.
    SetAttr {
        /// The node.
        id: NodeId,
        /// Attribute name.
        name: String,
        /// New value.
        value: String,
    },
    /// Remove an attribute.
    RemoveAttr {
        /// The node.
        id: NodeId,
        /// Attribute name.
        name: String,
    },
    /// Replace a text node's text.
    SetText {
        /// The node.
        id: NodeId,
        /// New text.
        text: String,
    },
}

/// Allocates node ids for one page, and notes what each diff did to
/// component hosts ([`Ids::take_hosts`]).
#[derive(Debug, Default)]
pub struct Ids {
    next: NodeId,
    hosts: Vec<HostChange>,
}

impl Ids {
    fn take(&mut self) -> NodeId {
        self.next += 1;
        self.next
    }

    /// What the diffs since the last call did to component hosts, in the
    /// order they did it.
    pub fn take_hosts(&mut self) -> Vec<HostChange> {
        std::mem::take(&mut self.hosts)
    }

    fn remove(&mut self, node: &DomNode, ops: &mut Vec<PatchOp>) {
        ops.push(PatchOp::Remove { id: node.id });
        crate::component::removed(node, &mut self.hosts);
    }
}

/// Mounts a fresh subtree, assigning ids.
pub fn mount(v: VNode, ids: &mut Ids) -> DomNode {
    match v {
        VNode::Memo { fp, node, .. } => {
            let mut n = mount((*node).clone(), ids);
            n.memo = fp;
            n
        }
        VNode::Text { text } => DomNode {
            id: ids.take(),
            tag: TEXT_TAG.into(),
            text,
            attrs: BTreeMap::new(),
            key: None,
            children: Vec::new(),
            memo: 0,
            owner: 0,
            host: false,
            data: None,
        },
        VNode::Element {
            tag,
            attrs,
            key,
            children,
            owner,
            data,
        } => {
            let id = ids.take();
            DomNode {
                id,
                tag: tag.to_string(),
                text: String::new(),
                attrs,
                key,
                children: children.into_iter().map(|c| mount(c, ids)).collect(),
                memo: 0,
                owner,
                host: false,
                data,
            }
        }
        VNode::Component { tag, key, call } => {
            let id = ids.take();
            let node = DomNode {
                id,
                tag: tag.to_string(),
                text: String::new(),
                attrs: BTreeMap::from([("is".to_owned(), format!("/{}", call.is))]),
                key,
                children: Vec::new(),
                memo: 0,
                owner: call.owner,
                host: true,
                data: None,
            };
            ids.hosts.push(HostChange::Created(id, call));
            node
        }
    }
}

/// Updates `root`'s children to `new`, returning the ops that do the same on a surface.
pub fn diff_root(root: &mut DomNode, new: Vec<VNode>, ids: &mut Ids) -> Vec<PatchOp> {
    let mut ops = Vec::new();
    let old = std::mem::take(&mut root.children);
    root.children = diff_children(root.id, old, new, ids, &mut ops);
    ops
}

fn same_kind(old: &DomNode, new: &VNode) -> bool {
    match new {
        VNode::Memo {
            fp,
            unchanged: true,
            ..
        } => old.memo == *fp,
        VNode::Memo { node, .. } => same_kind(old, node),
        VNode::Text { .. } => old.is_text(),
        VNode::Element { tag, key, .. } => !old.host && *old.tag == **tag && &old.key == key,
        VNode::Component { tag, key, call } => {
            old.host
                && *old.tag == **tag
                && &old.key == key
                && old.attrs.get("is").is_some_and(|is| is[1..] == *call.is)
        }
    }
}

fn patch(mut old: DomNode, new: VNode, ids: &mut Ids, ops: &mut Vec<PatchOp>) -> DomNode {
    match new {
        VNode::Memo {
            fp,
            unchanged,
            node,
        } => {
            if unchanged && old.memo == fp {
                return old;
            }
            // The render cache keeps the node too: patch from a borrow, and
            // clone only the parts that change shape.
            patch_ref(&mut old, &node, ids, ops);
            old.memo = fp;
            old
        }
        VNode::Text { text } => {
            if old.text != text {
                ops.push(PatchOp::SetText {
                    id: old.id,
                    text: text.clone(),
                });
                old.text = text;
            }
            old
        }
        VNode::Element {
            attrs,
            children,
            owner,
            data,
            ..
        } => {
            old.owner = owner;
            old.data = data;
            for name in old.attrs.keys() {
                if !attrs.contains_key(name) && !users_own(&old.tag, name) {
                    ops.push(PatchOp::RemoveAttr {
                        id: old.id,
                        name: name.clone(),
                    });
                }
            }
            for (name, value) in &attrs {
                if old.attrs.get(name) != Some(value) {
                    ops.push(PatchOp::SetAttr {
                        id: old.id,
                        name: name.clone(),
                        value: value.clone(),
                    });
                }
            }
            let kept = users_state(&old.tag, &mut old.attrs, &attrs);
            old.attrs = attrs;
            old.attrs.extend(kept);
            let old_children = std::mem::take(&mut old.children);
            old.children = diff_children(old.id, old_children, children, ids, ops);
            old
        }
        VNode::Component { call, .. } => {
            ids.hosts.push(HostChange::Kept(old.id, call));
            old
        }
    }
}

/// `patch` from a borrowed node, in place: what changed is cloned, what did
/// not is only compared. Children of a different shape fall back to the
/// owned diff.
fn patch_ref(old: &mut DomNode, new: &VNode, ids: &mut Ids, ops: &mut Vec<PatchOp>) {
    match new {
        VNode::Memo {
            fp,
            unchanged,
            node,
        } => {
            if *unchanged && old.memo == *fp {
                return;
            }
            patch_ref(old, node, ids, ops);
            old.memo = *fp;
        }
        VNode::Text { text } => {
            if &old.text != text {
                ops.push(PatchOp::SetText {
                    id: old.id,
                    text: text.clone(),
                });
                old.text.clone_from(text);
            }
        }
        VNode::Element {
            attrs,
            children,
            owner,
            data,
            ..
        } => {
            old.owner = *owner;
            if &old.data != data {
                old.data.clone_from(data);
            }
            if &old.attrs != attrs {
                for name in old.attrs.keys() {
                    if !attrs.contains_key(name) && !users_own(&old.tag, name) {
                        ops.push(PatchOp::RemoveAttr {
                            id: old.id,
                            name: name.clone(),
                        });
                    }
                }
                for (name, value) in attrs {
                    if old.attrs.get(name) != Some(value) {
                        ops.push(PatchOp::SetAttr {
                            id: old.id,
                            name: name.clone(),
                            value: value.clone(),
                        });
                    }
                }
                let kept = users_state(&old.tag, &mut old.attrs, attrs);
                old.attrs.clone_from(attrs);
                old.attrs.extend(kept);
            }
            let same_shape = old.children.len() == children.len()
                && old
                    .children
                    .iter()
                    .zip(children)
                    .all(|(o, v)| o.key.as_deref() == key_of(v) && same_kind(o, v));
            if same_shape {
                for (o, v) in old.children.iter_mut().zip(children) {
                    patch_ref(o, v, ids, ops);
                }
            } else {
                let old_children = std::mem::take(&mut old.children);
                old.children = diff_children(old.id, old_children, children.clone(), ids, ops);
            }
        }
        VNode::Component { call, .. } => ids.hosts.push(HostChange::Kept(old.id, call.clone())),
    }
}

fn key_of(v: &VNode) -> Option<&str> {
    match v {
        VNode::Element { key: Some(k), .. } | VNode::Component { key: Some(k), .. } => Some(k),
        VNode::Memo { node, .. } => key_of(node),
        _ => None,
    }
}

fn diff_children(
    parent: NodeId,
    old: Vec<DomNode>,
    new: Vec<VNode>,
    ids: &mut Ids,
    ops: &mut Vec<PatchOp>,
) -> Vec<DomNode> {
    // The common case after setData: the same children, by key, in the same order.
    let same_shape = old.len() == new.len()
        && old
            .iter()
            .zip(&new)
            .all(|(o, v)| o.key.as_deref() == key_of(v) && same_kind(o, v));
    if same_shape {
        return old
            .into_iter()
            .zip(new)
            .map(|(o, v)| patch(o, v, ids, ops))
            .collect();
    }
    // Keyed where any sibling has a key (an `a:for` among other children):
    // keyed nodes match by key, the others by their order among the
    // unkeyed, so that a list's items, and the component instances among
    // them, keep their state when the list changes around fixed siblings.
    let any_key = new.iter().any(|v| key_of(v).is_some()) || old.iter().any(|o| o.key.is_some());
    let keyed = !new.is_empty() && any_key && {
        let mut seen = std::collections::HashSet::new();
        new.iter().filter_map(key_of).all(|k| seen.insert(k))
    };
    if keyed {
        let old_keys = sibling_keys(old.iter().map(|o| o.key.as_deref()));
        let new_keys = sibling_keys(new.iter().map(key_of));
        diff_keyed(parent, old, new, (old_keys, new_keys), ids, ops)
    } else {
        diff_indexed(parent, old, new, ids, ops)
    }
}

/// Each sibling's identity for the keyed diff: `k` + its key, or `#` + its
/// place among the siblings that have none.
fn sibling_keys<'a>(keys: impl Iterator<Item = Option<&'a str>>) -> Vec<String> {
    let mut unkeyed = 0;
    keys.map(|k| match k {
        Some(k) => format!("k{k}"),
        None => {
            unkeyed += 1;
            format!("#{unkeyed}")
        }
    })
    .collect()
}

fn diff_indexed(
    parent: NodeId,
    old: Vec<DomNode>,
    new: Vec<VNode>,
    ids: &mut Ids,
    ops: &mut Vec<PatchOp>,
) -> Vec<DomNode> {
    let mut out = Vec::with_capacity(new.len());
    let mut old = old.into_iter();
    let mut pending = Vec::new();
    for (index, v) in new.into_iter().enumerate() {
        match old.next() {
            Some(o) if same_kind(&o, &v) => out.push(patch(o, v, ids, ops)),
            Some(o) => {
                ids.remove(&o, ops);
                pending.push((index, mount(v, ids)));
                out.push(DomNode::root());
            }
            None => {
                pending.push((index, mount(v, ids)));
                out.push(DomNode::root());
            }
        }
    }
    for o in old {
        ids.remove(&o, ops);
    }
    for (index, node) in pending {
        ops.push(PatchOp::Insert {
            parent,
            index,
            node: node.clone(),
        });
        out[index] = node;
    }
    out
}

fn diff_keyed(
    parent: NodeId,
    old: Vec<DomNode>,
    new: Vec<VNode>,
    (old_keys, new_keys_list): (Vec<String>, Vec<String>),
    ids: &mut Ids,
    ops: &mut Vec<PatchOp>,
) -> Vec<DomNode> {
    let new_keys: HashMap<&str, usize> = new_keys_list
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    // Old nodes whose key survives with the same tag are reused; the rest go.
    let mut reusable: HashMap<String, (usize, DomNode)> = HashMap::new();
    for ((i, o), k) in old.into_iter().enumerate().zip(old_keys) {
        let keep = new_keys
            .get(k.as_str())
            .is_some_and(|&j| same_kind(&o, &new[j]));
        if keep {
            reusable.insert(k, (i, o));
        } else {
            ids.remove(&o, ops);
        }
    }
    // Old positions of reused nodes in new order; the longest increasing run stays put.
    let plan: Vec<Option<usize>> = new_keys_list
        .iter()
        .map(|k| reusable.get(k).map(|(i, _)| *i))
        .collect();
    let stay = lis(&plan);
    // Patch every reused node and mount the new ones, in order.
    let mut out = Vec::with_capacity(new.len());
    let mut fresh = vec![false; new.len()];
    for ((index, v), k) in new.into_iter().enumerate().zip(&new_keys_list) {
        match reusable.remove(k) {
            Some((_, o)) => out.push(patch(o, v, ids, ops)),
            None => {
                fresh[index] = true;
                out.push(mount(v, ids));
            }
        }
    }
    // Place nodes from the end: each one that is new or not in the stable run goes
    // right before its final successor. The surface's order is simulated so that
    // indices in the ops are exact when applied in sequence.
    let mut current: Vec<NodeId> = plan
        .iter()
        .zip(&out)
        .filter_map(|(old_pos, n)| old_pos.map(|p| (p, n.id)))
        .collect::<std::collections::BTreeMap<usize, NodeId>>()
        .into_values()
        .collect();
    for index in (0..out.len()).rev() {
        if stay[index] && !fresh[index] {
            continue;
        }
        let id = out[index].id;
        if let Some(at) = current.iter().position(|&c| c == id) {
            current.remove(at);
        }
        let to = match out.get(index + 1) {
            Some(next) => current
                .iter()
                .position(|&c| c == next.id)
                .unwrap_or(current.len()),
            None => current.len(),
        };
        current.insert(to, id);
        if fresh[index] {
            ops.push(PatchOp::Insert {
                parent,
                index: to,
                node: out[index].clone(),
            });
        } else {
            ops.push(PatchOp::Move {
                id,
                parent,
                index: to,
            });
        }
    }
    out
}

/// Marks the entries of the longest strictly increasing subsequence of old positions.
fn lis(seq: &[Option<usize>]) -> Vec<bool> {
    let mut tails: Vec<usize> = Vec::new(); // indices into seq
    let mut prev: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, v) in seq.iter().enumerate() {
        let Some(v) = *v else { continue };
        let pos = tails.partition_point(|&t| seq[t].unwrap_or(0) < v);
        if pos > 0 {
            prev[i] = Some(tails[pos - 1]);
        }
        if pos == tails.len() {
            tails.push(i);
        } else {
            tails[pos] = i;
        }
    }
    let mut keep = vec![false; seq.len()];
    let mut cur = tails.last().copied();
    while let Some(i) = cur {
        keep[i] = true;
        cur = prev[i];
    }
    keep
}

/// Applies ops to a mounted tree: what every surface does. Unknown ids are
/// errors, so a confused surface is noticed rather than silently diverging.
pub fn apply(root: &mut DomNode, ops: &[PatchOp]) -> Result<(), String> {
    // Runs of attribute and text ops are applied in one walk of the tree,
    // so a batch of 1,000 text changes is linear rather than quadratic and
    // allocates nothing per node. Structural ops apply one by one, in order.
    let mut i = 0;
    while i < ops.len() {
        let run = ops[i..]
            .iter()
            .take_while(|op| {
                matches!(
                    op,
                    PatchOp::SetAttr { .. } | PatchOp::RemoveAttr { .. } | PatchOp::SetText { .. }
                )
            })
            .count();
        if run > 0 {
            apply_run(root, &ops[i..i + run])?;
            i += run;
            continue;
        }
        match &ops[i] {
            PatchOp::Insert {
                parent,
                index: at,
                node,
            } => {
                let p = root
                    .find_mut(*parent)
                    .ok_or_else(|| format!("insert into unknown node {parent}"))?;
                let at = (*at).min(p.children.len());
                p.children.insert(at, node.clone());
            }
            PatchOp::Remove { id } => {
                detach(root, *id).ok_or_else(|| format!("remove of unknown node {id}"))?;
            }
            PatchOp::Move {
                id,
                parent,
                index: at,
            } => {
                let node = detach(root, *id).ok_or_else(|| format!("move of unknown node {id}"))?;
                let p = root
                    .find_mut(*parent)
                    .ok_or_else(|| format!("move into unknown node {parent}"))?;
                let at = (*at).min(p.children.len());
                p.children.insert(at, node);
            }
            _ => unreachable!("attribute and text ops are applied in runs"),
        }
        i += 1;
    }
    Ok(())
}

/// The ops of a run by the node they address: for each node, where its
/// ops start in `order` and how many there are. No allocation per node.
struct RunIndex {
    /// (node, op index) sorted by node, then by op index, so one node's ops
    /// keep their order.
    order: Vec<(NodeId, usize)>,
    by_node: HashMap<NodeId, (usize, usize), super::IdHash>,
}

impl RunIndex {
    fn new(ops: &[PatchOp]) -> RunIndex {
        let mut order: Vec<(NodeId, usize)> = ops
            .iter()
            .enumerate()
            .filter_map(|(i, op)| match op {
                PatchOp::SetAttr { id, .. }
                | PatchOp::RemoveAttr { id, .. }
                | PatchOp::SetText { id, .. } => Some((*id, i)),
                _ => None,
            })
            .collect();
        order.sort_unstable();
        let mut by_node = HashMap::with_capacity_and_hasher(order.len(), super::IdHash);
        let mut start = 0;
        while start < order.len() {
            let id = order[start].0;
            let len = order[start..].iter().take_while(|(n, _)| *n == id).count();
            by_node.insert(id, (start, len));
            start += len;
        }
        RunIndex { order, by_node }
    }

    /// The error for the first (lowest) node id of the run not in the tree.
    fn missing(&self, ops: &[PatchOp], found: &dyn Fn(NodeId) -> bool) -> String {
        let id = self
            .order
            .iter()
            .map(|(id, _)| *id)
            .find(|id| !found(*id))
            .unwrap_or_default();
        let what = ops
            .iter()
            .find(|op| matches!(op, PatchOp::SetText { id: i, .. } if *i == id))
            .map_or("attribute", |_| "text");
        format!("{what} on unknown node {id}")
    }
}

/// Applies attribute and text ops (no structural ones) in one walk. Ops on
/// the same node keep their order; an op for a node not in the tree is an
/// error, and then nothing of the run is applied. Returns by how many bytes
/// the tree's text and attributes grew (negative when they shrank).
pub(crate) fn apply_run(root: &mut DomNode, ops: &[PatchOp]) -> Result<isize, String> {
    let index = RunIndex::new(ops);
    // Checked before anything changes, so a bad batch leaves the tree as it was.
    let mut found =
        std::collections::HashSet::with_capacity_and_hasher(index.by_node.len(), super::IdHash);
    fn present(
        n: &DomNode,
        index: &RunIndex,
        found: &mut std::collections::HashSet<NodeId, super::IdHash>,
    ) {
        if found.len() == index.by_node.len() {
            return;
        }
        if index.by_node.contains_key(&n.id) {
            found.insert(n.id);
        }
        for c in &n.children {
            present(c, index, found);
        }
    }
    present(root, &index, &mut found);
    if found.len() != index.by_node.len() {
        return Err(index.missing(ops, &|id| found.contains(&id)));
    }
    let mut left = index.by_node.len();
    let mut grew = 0;
    walk_run(root, ops, &index, &mut left, &mut grew);
    Ok(grew)
}

/// [`apply_run`] in one walk that stops once every addressed node is found,
/// for a tree whose owner stops using it when this fails: an op for a node
/// that is not there is an error after the others were applied.
pub(crate) fn apply_run_once(root: &mut DomNode, ops: &[PatchOp]) -> Result<isize, String> {
    let index = RunIndex::new(ops);
    let mut left = index.by_node.len();
    let mut grew = 0;
    let mut seen = std::collections::HashSet::with_capacity_and_hasher(left, super::IdHash);
    walk_run_seen(root, ops, &index, &mut left, &mut grew, &mut seen);
    if left > 0 {
        return Err(index.missing(ops, &|id| seen.contains(&id)));
    }
    Ok(grew)
}

/// Applies the run's ops of each node it meets, until none is left.
fn walk_run(
    n: &mut DomNode,
    ops: &[PatchOp],
    index: &RunIndex,
    left: &mut usize,
    grew: &mut isize,
) {
    if *left == 0 {
        return;
    }
    if let Some(&(start, len)) = index.by_node.get(&n.id) {
        *left -= 1;
        for &(_, i) in &index.order[start..start + len] {
            *grew += apply_in_place(n, &ops[i]);
        }
    }
    for c in &mut n.children {
        walk_run(c, ops, index, left, grew);
    }
}

/// [`walk_run`], noting which nodes it met (a node id could appear twice in
/// a tree no check has held to unique ids; its ops apply once).
fn walk_run_seen(
    n: &mut DomNode,
    ops: &[PatchOp],
    index: &RunIndex,
    left: &mut usize,
    grew: &mut isize,
    seen: &mut std::collections::HashSet<NodeId, super::IdHash>,
) {
    if *left == 0 {
        return;
    }
    if let Some(&(start, len)) = index.by_node.get(&n.id) {
        if seen.insert(n.id) {
            *left -= 1;
            for &(_, i) in &index.order[start..start + len] {
                *grew += apply_in_place(n, &ops[i]);
            }
        }
    }
    for c in &mut n.children {
        walk_run_seen(c, ops, index, left, grew, seen);
    }
}

/// One attribute or text op on its node; returns how many bytes it grew by.
pub(crate) fn apply_in_place(n: &mut DomNode, op: &PatchOp) -> isize {
    let mut grew = 0;
    match op {
        PatchOp::SetAttr { name, value, .. } => {
            grew += value.len() as isize;
            match n.attrs.insert(name.clone(), value.clone()) {
                Some(old) => grew -= old.len() as isize,
                None => grew += name.len() as isize,
            }
        }
        PatchOp::RemoveAttr { name, .. } => {
            if let Some(old) = n.attrs.remove(name) {
                grew -= (name.len() + old.len()) as isize;
            }
        }
        PatchOp::SetText { text, .. } => {
            grew += text.len() as isize - n.text.len() as isize;
            n.text.clone_from(text);
        }
        _ => {}
    }
    grew
}

fn detach(node: &mut DomNode, id: NodeId) -> Option<DomNode> {
    if let Some(i) = node.children.iter().position(|c| c.id == id) {
        return Some(node.children.remove(i));
    }
    node.children.iter_mut().find_map(|c| detach(c, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(key: &str, text: &str) -> VNode {
        VNode::Element {
            tag: "view".into(),
            attrs: BTreeMap::from([("class".into(), "row".into())]),
            key: Some(key.into()),
            children: vec![VNode::Text { text: text.into() }],
            owner: 0,
            data: None,
        }
    }

    /// Structure without ids, to compare trees.
    fn shape(n: &DomNode) -> serde_json::Value {
        serde_json::json!({
            "tag": n.tag, "text": n.text, "attrs": n.attrs, "key": n.key,
            "children": n.children.iter().map(shape).collect::<Vec<_>>(),
        })
    }

    fn check_roundtrip(before: Vec<VNode>, after: Vec<VNode>) -> Vec<PatchOp> {
        let mut ids = Ids::default();
        let mut page = DomNode::root();
        let first = diff_root(&mut page, before, &mut ids);
        let mut surface = DomNode::root();
        apply(&mut surface, &first).expect("apply first");
        let ops = diff_root(&mut page, after.clone(), &mut ids);
        apply(&mut surface, &ops).expect("apply diff");
        let mut fresh = DomNode::root();
        diff_root(&mut fresh, after, &mut Ids::default());
        assert_eq!(
            shape(&surface),
            shape(&fresh),
            "surface diverged with ops {ops:?}"
        );
        assert_eq!(shape(&page), shape(&fresh));
        ops
    }

    #[test]
    fn one_changed_row_is_one_text_op() {
        let before: Vec<VNode> = (0..1000)
            .map(|i| row(&i.to_string(), &format!("row {i}")))
            .collect();
        let mut after = before.clone();
        after[500] = row("500", "changed");
        let ops = check_roundtrip(before, after);
        assert_eq!(ops.len(), 1);
        assert!(matches!(&ops[0], PatchOp::SetText { text, .. } if text == "changed"));
    }

    #[test]
    fn what_a_user_typed_or_switched_survives_a_render_that_does_not_bind_it() {
        let el = |tag: &str, attrs: &[(&str, &str)]| VNode::Element {
            tag: tag.into(),
            attrs: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            key: None,
            children: Vec::new(),
            owner: 0,
            data: None,
        };
        let mut ids = Ids::default();
        let mut page = DomNode::root();
        let first = vec![
            el("input", &[("name", "who")]),
            el("switch", &[]),
            el("view", &[("value", "v")]),
        ];
        diff_root(&mut page, first.clone(), &mut ids);
        // The user typed and switched (the surface told the page).
        let (input, switch) = (page.children[0].id, page.children[1].id);
        apply(
            &mut page,
            &[
                PatchOp::SetAttr {
                    id: input,
                    name: "value".into(),
                    value: "bob".into(),
                },
                PatchOp::SetAttr {
                    id: switch,
                    name: "checked".into(),
                    value: "true".into(),
                },
            ],
        )
        .expect("apply");
        // A render that binds neither keeps both; a view's value is the template's.
        let ops = diff_root(
            &mut page,
            vec![first[0].clone(), first[1].clone(), el("view", &[])],
            &mut ids,
        );
        assert_eq!(
            ops,
            [PatchOp::RemoveAttr {
                id: page.children[2].id,
                name: "value".into()
            }]
        );
        assert_eq!(
            page.children[0].attrs.get("value").map(String::as_str),
            Some("bob")
        );
        assert_eq!(
            page.children[1].attrs.get("checked").map(String::as_str),
            Some("true")
        );
        // A render that binds the value controls it.
        let ops = diff_root(
            &mut page,
            vec![
                el("input", &[("name", "who"), ("value", "")]),
                first[1].clone(),
                el("view", &[]),
            ],
            &mut ids,
        );
        assert_eq!(
            ops,
            [PatchOp::SetAttr {
                id: input,
                name: "value".into(),
                value: String::new()
            }]
        );
    }

    #[test]
    fn snapshot_of_ops() {
        let before = vec![row("a", "A"), row("b", "B"), row("c", "C")];
        let after = vec![row("c", "C"), row("a", "A!"), row("d", "D")];
        let ops = check_roundtrip(before, after);
        insta::assert_json_snapshot!(ops);
    }

    fn arb_list() -> impl Strategy<Value = Vec<(u8, u8)>> {
        proptest::collection::vec((0u8..12, 0u8..3), 0..10)
    }

    fn to_rows(list: &[(u8, u8)], keyed: bool) -> Vec<VNode> {
        let mut seen = std::collections::HashSet::new();
        list.iter()
            .filter(|(k, _)| !keyed || seen.insert(*k))
            .map(|(k, t)| {
                let mut r = row(&k.to_string(), &format!("t{t}"));
                if let VNode::Element { key, .. } = &mut r {
                    if !keyed {
                        *key = None;
                    }
                }
                r
            })
            .collect()
    }

    /// Render-cache items whose attributes and number of text children vary
    /// with `t`, so patching from a borrow meets both the same-shape path and
    /// the fallback to the owned diff.
    fn memo_rows(list: &[(u8, u8)]) -> Vec<VNode> {
        let mut seen = std::collections::HashSet::new();
        list.iter()
            .filter(|(k, _)| seen.insert(*k))
            .map(|(k, t)| {
                let mut attrs = BTreeMap::from([("class".to_string(), "row".to_string())]);
                if *t > 0 {
                    attrs.insert("data-t".into(), t.to_string());
                }
                VNode::Memo {
                    fp: u64::from(*k) + 1,
                    unchanged: false,
                    node: std::rc::Rc::new(VNode::Element {
                        tag: "view".into(),
                        attrs,
                        key: Some(k.to_string()),
                        children: (0..*t)
                            .map(|i| VNode::Text {
                                text: format!("{k}.{i}.{t}"),
                            })
                            .collect(),
                        owner: 0,
                        data: None,
                    }),
                }
            })
            .collect()
    }

    #[test]
    fn a_text_op_for_an_unknown_node_changes_nothing() {
        let mut ids = Ids::default();
        let mut page = DomNode::root();
        let ops = diff_root(&mut page, vec![row("a", "A"), row("b", "B")], &mut ids);
        let mut surface = DomNode::root();
        apply(&mut surface, &ops).expect("mount");
        let before = surface.clone();
        let text_id = surface.children[0].children[0].id;
        let forged = vec![
            PatchOp::SetText {
                id: text_id,
                text: "changed".into(),
            },
            PatchOp::SetText {
                id: 9_999,
                text: "nowhere".into(),
            },
        ];
        assert_eq!(
            apply(&mut surface, &forged),
            Err("text on unknown node 9999".to_string())
        );
        assert_eq!(surface, before, "a bad batch must leave the tree as it was");
        let attr = vec![PatchOp::RemoveAttr {
            id: 4_242,
            name: "class".into(),
        }];
        assert_eq!(
            apply(&mut surface, &attr),
            Err("attribute on unknown node 4242".to_string())
        );
        assert_eq!(surface, before);
    }

    proptest! {
        #[test]
        fn memoised_items_patched_from_a_borrow_reproduce_the_new_tree(a in arb_list(), b in arb_list()) {
            check_roundtrip(memo_rows(&a), memo_rows(&b));
        }

        #[test]
        fn keyed_diffs_reproduce_the_new_tree(a in arb_list(), b in arb_list()) {
            check_roundtrip(to_rows(&a, true), to_rows(&b, true));
        }

        #[test]
        fn unkeyed_diffs_reproduce_the_new_tree(a in arb_list(), b in arb_list()) {
            check_roundtrip(to_rows(&a, false), to_rows(&b, false));
        }
    }
}
