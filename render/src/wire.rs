//! Patch ops as they cross from the isolation unit to the host.
//!
//! Each op is an array led by a number, as the webview's own encoding is:
//!
//! | op | form |
//! |---|---|
//! | insert | `[0, parent, index, [node, …]]` |
//! | remove | `[1, id]` |
//! | move | `[2, id, parent, index]` |
//! | set attribute | `[3, id, name, value]` |
//! | remove attribute | `[4, id, name]` |
//! | set text | `[5, id, text]` |
//!
//! An inserted subtree is a flat list of its nodes in document order, each
//! `[id, depth, tag, text, key or null, [name, value, …]]` with its depth
//! below the subtree's root (0 for the root). So however deep a subtree is,
//! its message nests four arrays at most: it never meets serde_json's
//! recursion limit, and the host rebuilds it with a loop, not recursion. A
//! subtree deeper than [`MAX_TREE_DEPTH`], or whose depths do not describe a
//! tree, is refused as it is read. What the host then does with the ops is
//! checked again by [`crate::mounted::Mounted`].

use crate::diff::PatchOp;
use crate::vdom::{DomNode, NodeId};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Most levels a mounted tree may have below its page root: the render
/// core's own limit, plus the page root.
pub const MAX_TREE_DEPTH: usize = crate::template::MAX_RENDER_DEPTH + 1;

/// Ops to send: serializes in the form above without copying them.
#[derive(Debug, Clone, Copy)]
pub struct WireOpsRef<'a>(pub &'a [PatchOp]);

/// Ops received: read from the form above, subtrees rebuilt and checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WireOps(pub Vec<PatchOp>);

impl Serialize for WireOps {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireOpsRef(&self.0).serialize(s)
    }
}

impl Serialize for WireOpsRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for op in self.0 {
            seq.serialize_element(&OpRef(op))?;
        }
        seq.end()
    }
}

struct OpRef<'a>(&'a PatchOp);

impl Serialize for OpRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            PatchOp::Insert {
                parent,
                index,
                node,
            } => (0u8, parent, index, Flat(node)).serialize(s),
            PatchOp::Remove { id } => (1u8, id).serialize(s),
            PatchOp::Move { id, parent, index } => (2u8, id, parent, index).serialize(s),
            PatchOp::SetAttr { id, name, value } => (3u8, id, name, value).serialize(s),
            PatchOp::RemoveAttr { id, name } => (4u8, id, name).serialize(s),
            PatchOp::SetText { id, text } => (5u8, id, text).serialize(s),
        }
    }
}

/// A subtree as its flat list of nodes, walked with an explicit stack.
struct Flat<'a>(&'a DomNode);

impl Serialize for Flat<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        let mut stack = vec![(self.0, 0usize)];
        while let Some((n, depth)) = stack.pop() {
            seq.serialize_element(&(n.id, depth, &n.tag, &n.text, &n.key, AttrsRef(&n.attrs)))?;
            stack.extend(n.children.iter().rev().map(|c| (c, depth + 1)));
        }
        seq.end()
    }
}

struct AttrsRef<'a>(&'a BTreeMap<String, String>);

impl Serialize for AttrsRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len() * 2))?;
        for (k, v) in self.0 {
            seq.serialize_element(k)?;
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for WireOps {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WireOps, D::Error> {
        struct Ops;
        impl<'de> Visitor<'de> for Ops {
            type Value = WireOps;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of patch ops")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WireOps, A::Error> {
                let mut ops = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(op) = seq.next_element::<OpIn>()? {
                    ops.push(op.0);
                }
                Ok(WireOps(ops))
            }
        }
        d.deserialize_seq(Ops)
    }
}

struct OpIn(PatchOp);

impl<'de> Deserialize<'de> for OpIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OpIn, D::Error> {
        struct Op;
        impl<'de> Visitor<'de> for Op {
            type Value = OpIn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a patch op: an array led by its number")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OpIn, A::Error> {
                let kind: u8 = next(&mut seq, 0)?;
                let op = match kind {
                    0 => {
                        let parent = next(&mut seq, 1)?;
                        let index = next(&mut seq, 2)?;
                        let nodes: Vec<FlatNode> = next(&mut seq, 3)?;
                        let node = rebuild(nodes).map_err(de::Error::custom)?;
                        PatchOp::Insert {
                            parent,
                            index,
                            node,
                        }
                    }
                    1 => PatchOp::Remove {
                        id: next(&mut seq, 1)?,
                    },
                    2 => PatchOp::Move {
                        id: next(&mut seq, 1)?,
                        parent: next(&mut seq, 2)?,
                        index: next(&mut seq, 3)?,
                    },
                    3 => PatchOp::SetAttr {
                        id: next(&mut seq, 1)?,
                        name: next(&mut seq, 2)?,
                        value: next(&mut seq, 3)?,
                    },
                    4 => PatchOp::RemoveAttr {
                        id: next(&mut seq, 1)?,
                        name: next(&mut seq, 2)?,
                    },
                    5 => PatchOp::SetText {
                        id: next(&mut seq, 1)?,
                        text: next(&mut seq, 2)?,
                    },
                    k => return Err(de::Error::custom(format!("unknown patch op {k}"))),
                };
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom("a patch op has too many fields"));
                }
                Ok(OpIn(op))
            }
        }
        d.deserialize_seq(Op)
    }
}

fn next<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(
    seq: &mut A,
    at: usize,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::invalid_length(at, &"the fields of a patch op"))
}

/// One node of a flat subtree.
#[derive(Deserialize)]
struct FlatNode(
    NodeId,
    usize,
    String,
    String,
    Option<String>,
    #[serde(deserialize_with = "attrs")] BTreeMap<String, String>,
);

fn attrs<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let flat: Vec<String> = Vec::deserialize(d)?;
    if !flat.len().is_multiple_of(2) {
        return Err(de::Error::custom("attributes come in name and value pairs"));
    }
    let mut out = BTreeMap::new();
    let mut it = flat.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.insert(k, v);
    }
    Ok(out)
}

/// Builds a subtree from its nodes in document order, with a stack of the
/// nodes still open; refuses depths that skip a level, a second root, and
/// anything deeper than [`MAX_TREE_DEPTH`].
fn rebuild(nodes: Vec<FlatNode>) -> Result<DomNode, String> {
    let mut open: Vec<DomNode> = Vec::new();
    let mut done: Option<DomNode> = None;
    for FlatNode(id, depth, tag, text, key, attrs) in nodes {
        if depth >= MAX_TREE_DEPTH {
            return Err(format!(
                "an inserted subtree is deeper than {MAX_TREE_DEPTH} levels"
            ));
        }
        if depth > open.len() || (depth == 0 && (done.is_some() || !open.is_empty())) {
            return Err(format!(
                "node {id} at depth {depth} does not continue the subtree"
            ));
        }
        // Close the nodes this one is not inside.
        while open.len() > depth {
            let child = open.pop().ok_or("a subtree lost its root")?;
            match open.last_mut() {
                Some(parent) => parent.children.push(child),
                None => done = Some(child),
            }
        }
        open.push(DomNode {
            id,
            tag,
            text,
            attrs,
            key,
            children: Vec::new(),
            memo: 0,
            owner: 0,
            host: false,
            data: None,
        });
    }
    while let Some(child) = open.pop() {
        match open.last_mut() {
            Some(parent) => parent.children.push(child),
            None => done = Some(child),
        }
    }
    done.ok_or_else(|| "an inserted subtree has no nodes".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::dom;

    fn round_trip(ops: &[PatchOp]) -> Vec<PatchOp> {
        let text = serde_json::to_string(&WireOpsRef(ops)).expect("json");
        serde_json::from_str::<WireOps>(&text).expect("reads").0
    }

    #[test]
    fn every_op_round_trips() {
        let root = dom(r#"<view class="a" data-x="1"><text>hi</text><view a:key="k"/></view>"#);
        let ops = vec![
            PatchOp::Insert {
                parent: 0,
                index: 0,
                node: root.children[0].clone(),
            },
            PatchOp::Remove { id: 3 },
            PatchOp::Move {
                id: 4,
                parent: 1,
                index: 0,
            },
            PatchOp::SetAttr {
                id: 1,
                name: "class".into(),
                value: "b \"q\"".into(),
            },
            PatchOp::RemoveAttr {
                id: 1,
                name: "data-x".into(),
            },
            PatchOp::SetText {
                id: 3,
                text: "</script>\u{2028}".into(),
            },
        ];
        assert_eq!(round_trip(&ops), ops);
        assert_eq!(
            serde_json::to_string(&WireOpsRef(&ops[1..3])).expect("json"),
            "[[1,3],[2,4,1,0]]"
        );
    }

    /// A chain `levels` deep, each node the only child of the one before.
    fn chain(levels: usize) -> DomNode {
        let mut node = DomNode {
            id: levels as u64,
            tag: "view".into(),
            text: String::new(),
            attrs: BTreeMap::new(),
            key: None,
            children: Vec::new(),
            memo: 0,
            owner: 0,
            host: false,
            data: None,
        };
        for id in (1..levels as u64).rev() {
            let mut parent = node.clone();
            parent.id = id;
            parent.children = vec![node];
            node = parent;
        }
        node
    }

    #[test]
    fn deep_subtrees_cross_without_recursion_and_too_deep_ones_are_refused() {
        // 129 levels would be 260 nested arrays in PatchOp's own form, past
        // serde_json's recursion limit; here the message nests four.
        let ok = vec![PatchOp::Insert {
            parent: 0,
            index: 0,
            node: chain(MAX_TREE_DEPTH),
        }];
        assert_eq!(round_trip(&ok), ok);
        let text = serde_json::to_string(&WireOpsRef(&[PatchOp::Insert {
            parent: 0,
            index: 0,
            node: chain(MAX_TREE_DEPTH + 1),
        }]))
        .expect("json");
        let e = serde_json::from_str::<WireOps>(&text).expect_err("too deep");
        assert!(
            e.to_string()
                .starts_with("an inserted subtree is deeper than 129 levels"),
            "{e}"
        );
    }

    #[test]
    fn flat_lists_that_are_not_one_tree_are_refused() {
        for (text, why) in [
            (r#"[[0,0,0,[]]]"#, "an inserted subtree has no nodes"),
            (
                r#"[[0,0,0,[[1,0,"view","",null,[]],[2,2,"view","",null,[]]]]]"#,
                "node 2 at depth 2 does not continue the subtree",
            ),
            (
                r#"[[0,0,0,[[1,0,"view","",null,[]],[2,0,"view","",null,[]]]]]"#,
                "node 2 at depth 0 does not continue the subtree",
            ),
            (
                r#"[[0,0,0,[[1,1,"view","",null,[]]]]]"#,
                "node 1 at depth 1 does not continue the subtree",
            ),
            (
                r#"[[0,0,0,[[1,0,"view","",null,["class"]]]]]"#,
                "attributes come in name and value pairs",
            ),
            (r#"[[9,1]]"#, "unknown patch op 9"),
            (r#"[[1,1,2]]"#, "a patch op has too many fields"),
            (r#"[[5,1]]"#, "invalid length 2"),
            (r#"[{"op":"remove","id":1}]"#, "invalid type: map"),
        ] {
            let e = serde_json::from_str::<WireOps>(text).expect_err(text);
            assert!(e.to_string().starts_with(why), "{text}: {e}");
        }
    }

    proptest::proptest! {
        /// Any tree of nodes crosses as it is.
        #[test]
        fn rendered_trees_round_trip(src in "(<view>|<text>a</text>|</view>|<view a:key=\"k\" class=\"c\"/>){0,24}") {
            if let Ok(doc) = crate::axml::parse(&src) {
                let v = crate::template::Renderer::new(&crate::testkit::NoFiles, 375.0)
                    .render(&doc, "p.axml", &serde_json::json!({}));
                if let Ok(v) = v {
                    let mut root = DomNode::root();
                    let ops = crate::diff::diff_root(&mut root, v, &mut crate::diff::Ids::default());
                    proptest::prop_assert_eq!(round_trip(&ops), ops);
                }
            }
        }
    }
}
