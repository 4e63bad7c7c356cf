//! `a:for`: rendering a loop's items, their keys (`a:key` as a field,
//! `*this` or an expression; repeated or undefined keys fall back to
//! positions, with a warning), memoised items and the free names of a loop
//! body, which decide what the render cache may reuse.

use super::*;

impl<'a> Renderer<'a> {
    /// Renders one loop item; when `memoise`, wraps it for the cache.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn memo_item(
        &mut self,
        el: &Element,
        f: &crate::axml::ForLoop,
        scope: &dyn Scope,
        cx: &Cx<'_>,
        out: &mut Vec<VNode>,
        index: Value,
        item: &Value,
        key: Option<String>,
        memoise: bool,
        free: &Rc<Vec<Value>>,
    ) -> Result<Option<(String, Memo)>, RenderError> {
        self.step(cx.file, el.pos)?;
        let vars = Vars {
            vars: [(f.index.as_str(), &index), (f.item.as_str(), item)],
            parent: Some(scope),
        };
        let show = match &el.cond {
            Some(Cond::If(p)) => truthy(&self.value(p, &vars)),
            _ => true,
        };
        if !show {
            return Ok(None);
        }
        // The element takes its key from here (see `element_body`); the
        // memo keeps a copy.
        let key = match key {
            Some(k) if memoise => {
                self.loop_key = Some(k.clone());
                Some(k)
            }
            other => {
                self.loop_key = other;
                None
            }
        };
        // One buffer serves every item (a nested loop's items, rendered
        // while it is taken, get their own).
        let mut one = std::mem::take(&mut self.item_nodes);
        one.clear();
        self.memo_off += 1;
        let r = self.element_into(el, &vars, cx, &mut one);
        self.memo_off -= 1;
        self.loop_key = None;
        r?;
        // Only a single element per item can be kept by key; a `<block>` item
        // renders zero or several nodes and is passed through as it is.
        let node = if memoise && one.len() == 1 {
            one.pop()
        } else {
            out.append(&mut one);
            None
        };
        self.item_nodes = one;
        let (Some(node), Some(key)) = (node, key) else {
            return Ok(None);
        };
        let fp = self.cache.as_mut().map_or(0, |c| {
            c.next_fp += 1;
            c.next_fp
        });
        let node = Rc::new(node);
        out.push(VNode::Memo {
            fp,
            unchanged: false,
            node: node.clone(),
        });
        self.scratch.clear();
        write_form(item, &mut self.scratch);
        Ok(Some((
            key,
            Memo {
                index,
                item: Box::from(self.scratch.as_slice()),
                free: free.clone(),
                node,
                fp,
            },
        )))
    }

    /// The names a keyed loop's body reads from outside the loop, or `None`
    /// when the body cannot be memoised (it includes another file).
    pub(super) fn free_names(&mut self, el: &Element) -> Option<Rc<Vec<String>>> {
        let cache = self.cache.as_mut()?;
        let id = el as *const Element as usize;
        if let Some(v) = cache.free.get(&id) {
            return v.clone();
        }
        let mut names = Vec::new();
        let f = el.for_loop.as_ref()?;
        let bound = vec![f.item.clone(), f.index.clone()];
        let ok = collect_free(el, &bound, &mut names, true);
        names.sort();
        names.dedup();
        let v = ok.then(|| Rc::new(names));
        cache.free.insert(id, v.clone());
        v
    }

    pub(super) fn for_into(
        &mut self,
        el: &Element,
        scope: &dyn Scope,
        cx: &Cx<'_>,
        out: &mut Vec<VNode>,
    ) -> Result<(), RenderError> {
        let Some(f) = &el.for_loop else { return Ok(()) };
        let list_ref = match f.list.as_slice() {
            [Part::Expr(e, _)] => crate::expr::eval_ref(e, scope),
            _ => None,
        };
        let owned;
        let counted;
        let list: &Value = match list_ref {
            Some(v) => v,
            None => {
                owned = self.value(&f.list, scope);
                &owned
            }
        };
        let items: Vec<(Value, &Value)> = match list {
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::from(i), v))
                .collect(),
            Value::Object(o) => o
                .iter()
                .map(|(k, v)| (Value::String(k.clone()), v))
                .collect(),
            Value::Number(n) => {
                let count = n.as_u64().unwrap_or(0);
                // Never cut short in silence: a count past what a page can
                // render is the documented limit error, here.
                if count > MAX_NODES as u64 {
                    return Err(super::err(
                        cx.file,
                        el.pos,
                        format!(
                            "a:for over {count} items: the page renders more than {MAX_NODES} elements"
                        ),
                    ));
                }
                counted = (0..count).map(Value::from).collect::<Vec<_>>();
                counted
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Value::from(i), v))
                    .collect()
            }
            _ => Vec::new(),
        };
        let memo = if el.key.is_some() && self.memo_off == 0 {
            self.free_names(el)
        } else {
            None
        };
        let Some(names) = memo else {
            let no_free = Rc::new(Vec::new());
            let mut keys = match el.key {
                Some(_) => self.loop_keys(el, f, scope, cx, &items).0,
                None => Vec::new(),
            };
            for (i, (index, item)) in items.into_iter().enumerate() {
                let key = keys.get_mut(i).map(std::mem::take);
                self.memo_item(el, f, scope, cx, out, index, item, key, false, &no_free)?;
            }
            return Ok(());
        };
        let el_id = el as *const Element as usize;
        let prev = self
            .cache
            .as_mut()
            .and_then(|c| c.loops.remove(&el_id))
            .unwrap_or_default();
        // Fast path: setData touched only some indices of this loop's list and none
        // of the names its body reads; every other item is kept by position.
        let dirty: Option<HashSet<usize>> = match (&self.changes, f.list.as_slice()) {
            (Some(ch), [Part::Expr(Expr::Ident(root), _)])
                if !ch.all
                    && !ch.roots.contains(root)
                    && !names.iter().any(|n| ch.touches(n))
                    && prev.len() == items.len()
                    && list.is_array() =>
            {
                let d = ch.indexed.get(root).cloned().unwrap_or_default();
                (d.len() <= items.len() / 8 + 1).then_some(d)
            }
            _ => None,
        };
        // The fast path keeps every other item's key, so it is taken only
        // when the keys of the items it renders afresh are defined and
        // clash with no other: then every key is what a fresh render finds.
        let fresh = dirty.and_then(|d| self.fresh_keys(el, f, scope, &items, &prev, &d));
        let free = Rc::new(
            names
                .iter()
                .map(|n| scope.get(n).cloned().unwrap_or(Value::Null))
                .collect::<Vec<_>>(),
        );
        let mut next: Vec<Option<(String, Memo)>> = Vec::with_capacity(items.len());
        if let Some(fresh) = fresh {
            let mut prev = prev;
            let mut fresh = fresh.into_iter().peekable();
            for (i, (index, item)) in items.into_iter().enumerate() {
                if let Some((_, key)) = fresh.next_if(|(p, _)| *p == i) {
                    next.push(self.memo_item(
                        el,
                        f,
                        scope,
                        cx,
                        out,
                        index,
                        item,
                        Some(key),
                        true,
                        &free,
                    )?);
                    continue;
                }
                self.step(cx.file, el.pos)?;
                match prev.get_mut(i).and_then(Option::take) {
                    Some((key, m)) => {
                        out.push(VNode::Memo {
                            fp: m.fp,
                            unchanged: true,
                            node: m.node.clone(),
                        });
                        next.push(Some((key, m)));
                    }
                    // Every item without a fresh key had a memo; were one
                    // missing, it is rendered, not kept.
                    None => {
                        let key = self.item_key(el, f, scope, &index, item);
                        next.push(
                            self.memo_item(el, f, scope, cx, out, index, item, key, false, &free)?,
                        );
                    }
                }
            }
        } else {
            // Slow path: match items to the last render by key and compare
            // their inputs. While the keys stay in the same order, an item's
            // last render is the one at its own position; the map of the rest
            // by key is built only once an item is found elsewhere. Keys
            // that repeat or are undefined key the loop by position, and
            // such a loop is not memoised.
            let (keys, by_position) = self.loop_keys(el, f, scope, cx, &items);
            let mut prev = prev;
            let mut by_key: Option<HashMap<String, Memo>> = None;
            for (i, ((index, item), key)) in items.into_iter().zip(keys).enumerate() {
                if !by_position {
                    let last = match &mut by_key {
                        None if prev
                            .get(i)
                            .is_some_and(|p| p.as_ref().is_some_and(|(k, _)| *k == key)) =>
                        {
                            prev[i].take().map(|(_, m)| m)
                        }
                        None => {
                            let map: HashMap<String, Memo> =
                                std::mem::take(&mut prev).into_iter().flatten().collect();
                            by_key.insert(map).remove(&key)
                        }
                        Some(map) => map.remove(&key),
                    };
                    if let Some(m) = last.filter(|m| m.same_inputs(&index, item, &free)) {
                        out.push(VNode::Memo {
                            fp: m.fp,
                            unchanged: true,
                            node: m.node.clone(),
                        });
                        next.push(Some((key, m)));
                        continue;
                    }
                }
                next.push(self.memo_item(
                    el,
                    f,
                    scope,
                    cx,
                    out,
                    index,
                    item,
                    Some(key),
                    !by_position,
                    &free,
                )?);
            }
        }
        self.next.insert(el_id, next);
        Ok(())
    }

    /// The key of each item of a keyed loop, and whether they are positions:
    /// when a key is `undefined` or repeats, the loop is keyed by position
    /// (`"0"`, `"1"`, …), with one warning per loop.
    pub(super) fn loop_keys(
        &mut self,
        el: &Element,
        f: &ForLoop,
        scope: &dyn Scope,
        cx: &Cx<'_>,
        items: &[(Value, &Value)],
    ) -> (Vec<String>, bool) {
        let mut keys = Vec::with_capacity(items.len());
        let mut problem = None;
        for (i, (index, item)) in items.iter().enumerate() {
            match self.item_key(el, f, scope, index, item) {
                Some(k) => keys.push(k),
                None => {
                    problem
                        .get_or_insert_with(|| format!("a:key is undefined for the item at {i}"));
                    keys.push(String::new());
                }
            }
        }
        if problem.is_none() {
            let mut seen = HashSet::with_capacity(keys.len());
            if let Some(k) = keys.iter().find(|k| !seen.insert(k.as_str())) {
                problem = Some(format!("a:key {:?} is given to two items", clip(k)));
            }
        }
        let Some(problem) = problem else {
            return (keys, false);
        };
        self.warn(
            cx.file,
            el.pos,
            format!("{problem}; this loop's items are keyed by their position"),
        );
        ((0..items.len()).map(|i| i.to_string()).collect(), true)
    }

    /// For the fast path: the keys of the items to render afresh (those
    /// setData changed and those without a memo), if there are few, each is
    /// defined and none clashes with another item's key; else `None`.
    pub(super) fn fresh_keys(
        &self,
        el: &Element,
        f: &ForLoop,
        scope: &dyn Scope,
        items: &[(Value, &Value)],
        prev: &[Option<(String, Memo)>],
        dirty: &HashSet<usize>,
    ) -> Option<Vec<(usize, String)>> {
        // In order of position.
        let mut fresh = Vec::new();
        for (i, p) in prev.iter().enumerate() {
            if p.is_none() || dirty.contains(&i) {
                let (index, item) = items.get(i)?;
                fresh.push((i, self.item_key(el, f, scope, index, item)?));
                if fresh.len() > items.len() / 8 + 1 {
                    return None;
                }
            }
        }
        // Few keys are fresh (usually one): each is compared with the
        // others, which is cheaper than hashing every key of the loop.
        let is_fresh = |j: usize| fresh.binary_search_by_key(&j, |(p, _)| *p).is_ok();
        for (i, k) in &fresh {
            let clash = fresh.iter().any(|(j, o)| j != i && o == k)
                || prev
                    .iter()
                    .enumerate()
                    .any(|(j, p)| p.as_ref().is_some_and(|(o, _)| o == k) && !is_fresh(j));
            if clash {
                return None;
            }
        }
        Some(fresh)
    }

    /// `String()` of one item's `a:key`; `None` when it is `undefined`.
    pub(super) fn item_key(
        &self,
        el: &Element,
        f: &ForLoop,
        scope: &dyn Scope,
        index: &Value,
        item: &Value,
    ) -> Option<String> {
        match el.key.as_ref()? {
            Key::This => Some(js_string(Some(item))),
            Key::Field(k) => member_opt(item, k).map(|v| js_string(Some(&v))),
            Key::Expr(parts) => {
                let vars = Vars {
                    vars: [(f.index.as_str(), index), (f.item.as_str(), item)],
                    parent: Some(scope),
                };
                self.key_text(parts, &vars)
            }
        }
    }

    /// `String()` of an `a:key="{{…}}"`, `None` when it is `undefined`.
    pub(super) fn key_text(&self, parts: &[Part], scope: &dyn Scope) -> Option<String> {
        match parts {
            [Part::Expr(e, _)] => eval_opt(e, scope).map(|v| js_string(Some(&v))),
            _ => Some(self.text(parts, scope)),
        }
    }
}

fn parts_names(parts: &[Part], bound: &[String], out: &mut Vec<String>) {
    for p in parts {
        if let Part::Expr(e, _) = p {
            let mut n = Vec::new();
            e.names(&mut n);
            out.extend(n.into_iter().filter(|x| !bound.contains(x)));
        }
    }
}

/// Collects the names `el` reads that `bound` does not bind. `is_loop_root` is
/// true for the a:for element itself, whose list expression is evaluated
/// outside its own bindings. Returns false when the subtree includes a file.
pub(super) fn collect_free(
    el: &Element,
    bound: &[String],
    out: &mut Vec<String>,
    is_loop_root: bool,
) -> bool {
    if &*el.tag == "include" {
        return false;
    }
    let mut inner = bound.to_vec();
    if let Some(f) = &el.for_loop {
        if !is_loop_root {
            parts_names(&f.list, bound, out);
            inner.push(f.item.clone());
            inner.push(f.index.clone());
        }
    }
    if let Some(Cond::If(p) | Cond::Elif(p)) = &el.cond {
        parts_names(p, &inner, out);
    }
    // A key read from outside the item must invalidate kept items too.
    if let Some(Key::Expr(p)) = &el.key {
        parts_names(p, &inner, out);
    }
    for a in &el.attrs {
        if let Some(v) = &a.value {
            parts_names(v, &inner, out);
        }
    }
    for c in &el.children {
        match c {
            Node::Text(parts, _) => parts_names(parts, &inner, out),
            Node::Element(e) => {
                if !collect_free(e, &inner, out, false) {
                    return false;
                }
            }
        }
    }
    true
}
