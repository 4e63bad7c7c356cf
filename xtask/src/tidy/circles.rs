//! Rule `circles`: no import circle between the files of a crate.
//!
//! Each library and binary target is read as rustc reads it: from its root
//! file along its `mod` declarations. A file depends on another when it
//! names an item of a module that file holds: through a `use` (braces and
//! globs included) or a path in its code, spelled from `crate::`, `super::`,
//! `self::` or a child module's name. A name a module re-exports
//! (`pub use`) is followed to where it comes from, so importing through a
//! façade is not a dependency on the façade's file, and a re-export is not
//! an import. Declaring a module (`mod x;`) is not an import either.
//!
//! Not counted: a path to one of the module's own ancestors (`super::x`,
//! `crate::x` for an item of the crate root): a child module is part of its
//! parent, so a parent that calls into its children while they use what it
//! declares (the crate root, a `mod.rs` holding what its files share, an
//! `impl` split across a module's files) is no circle. Nor is code under
//! `#[cfg(test)]` (or `cfg(any(test, ...))`), which may reach anywhere, nor
//! macro bodies. So a circle runs between files of which neither contains
//! the other: siblings, cousins.
//!
//! [`KNOWN_CIRCLES`] lists the circles that were there when the rule came,
//! until each goes; a listed circle that is gone is a problem too, so the
//! list only ever shrinks.

use super::source::{is_cfg_test, slash};
use super::Problem;
use anyhow::{Context as _, Result};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// Circles that were there when the rule came, each as its files (sorted),
/// in crates their owners were reshaping: remove each once it is gone.
pub(crate) const KNOWN_CIRCLES: &[&[&str]] = &[];

/// Checks every library and binary target of every workspace package.
pub(crate) fn check(metadata: &Value, root: &Path) -> Result<Vec<Problem>> {
    let mut problems = check_all(metadata, root)?;
    let gone = stale(&mut problems, KNOWN_CIRCLES);
    problems.extend(gone);
    Ok(problems)
}

/// Drops the problems of listed circles from `problems`, and returns one
/// problem per listed circle that no problem matched.
fn stale(problems: &mut Vec<Problem>, known: &[&[&str]]) -> Vec<Problem> {
    let mut matched = vec![false; known.len()];
    problems.retain(|p| {
        let files = circle_files(&p.message);
        match known.iter().position(|k| *k == files.as_slice()) {
            Some(i) => {
                matched[i] = true;
                false
            }
            None => true,
        }
    });
    known
        .iter()
        .zip(matched)
        .filter(|(_, m)| !m)
        .map(|(k, _)| Problem {
            file: k[0].to_owned(),
            rule: "circles",
            message: format!(
                "the circle between {} is in circles.rs's KNOWN_CIRCLES list but is gone: remove it from the list",
                k.join(", ")
            ),
        })
        .collect()
}

/// The files a circle's message names, sorted.
fn circle_files(message: &str) -> Vec<&str> {
    let mut files: Vec<&str> = message
        .split(' ')
        .filter(|w| w.contains('/') && w.contains(".rs"))
        .map(|w| {
            w.trim_end_matches([',', ';'])
                .split(':')
                .next()
                .unwrap_or(w)
        })
        .collect();
    files.sort_unstable();
    files.dedup();
    files
}

fn check_all(metadata: &Value, root: &Path) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for p in metadata["packages"].as_array().into_iter().flatten() {
        for t in p["targets"].as_array().into_iter().flatten() {
            let kinds: Vec<&str> = t["kind"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if !kinds
                .iter()
                .any(|k| matches!(*k, "lib" | "bin" | "proc-macro"))
            {
                continue;
            }
            let src = PathBuf::from(
                t["src_path"]
                    .as_str()
                    .context("a target without src_path")?,
            );
            if !seen.insert(src.clone()) {
                continue;
            }
            let krate = Crate::load(&src, &|p| std::fs::read_to_string(p).ok())?;
            problems.extend(krate.circles(root));
        }
    }
    Ok(problems)
}

/// A crate's files and the modules they hold.
pub(crate) struct Crate {
    /// Files, in discovery order; the root first.
    files: Vec<SourceFile>,
    /// Every module (its path from the crate root) and the file that holds it.
    modules: BTreeMap<Vec<String>, usize>,
}

struct SourceFile {
    path: PathBuf,
    /// The module this file is.
    module: Vec<String>,
    ast: syn::File,
}

impl Crate {
    /// Reads the crate whose root file is `root`, with `read` for file text.
    pub(crate) fn load(root: &Path, read: &dyn Fn(&Path) -> Option<String>) -> Result<Crate> {
        let mut c = Crate {
            files: Vec::new(),
            modules: BTreeMap::new(),
        };
        let mut queue = vec![(root.to_path_buf(), Vec::<String>::new(), true)];
        while let Some((path, module, mod_rs)) = queue.pop() {
            let Some(text) = read(&path) else { continue };
            let ast =
                syn::parse_file(&text).with_context(|| format!("parsing {}", path.display()))?;
            let index = c.files.len();
            c.modules.insert(module.clone(), index);
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let base = if mod_rs {
                dir.clone()
            } else {
                dir.join(path.file_stem().unwrap_or_default())
            };
            let mut children = Vec::new();
            declared(&ast.items, &module, &base, &dir, &mut children, &mut |m| {
                c.modules.insert(m, index);
            });
            for (child_module, candidates) in children {
                if let Some((file, is_mod_rs)) =
                    candidates.into_iter().find(|(p, _)| read(p).is_some())
                {
                    queue.push((file, child_module, is_mod_rs));
                }
            }
            c.files.push(SourceFile { path, module, ast });
        }
        Ok(c)
    }

    /// Every import from one file to another: (from, to) → the first line.
    fn edges(&self) -> BTreeMap<(usize, usize), usize> {
        let exports = self.exports();
        let mut edges = BTreeMap::new();
        for (from, f) in self.files.iter().enumerate() {
            let mut v = Uses {
                krate: self,
                module: f.module.clone(),
                found: Vec::new(),
            };
            v.visit_file(&f.ast);
            for (at, abs, line) in v.found {
                let Some(module) = self.target(&abs, &exports, 0) else {
                    continue;
                };
                // An ancestor's own item: the child is part of it.
                if at.starts_with(&module) {
                    continue;
                }
                let to = self.modules[&module];
                if to != from {
                    edges.entry((from, to)).or_insert(line);
                }
            }
        }
        edges
    }

    /// The module an absolute path's item lives in, following re-exports
    /// (`None`: outside the crate).
    fn target(
        &self,
        abs: &[String],
        exports: &BTreeMap<(Vec<String>, String), Option<Vec<String>>>,
        depth: usize,
    ) -> Option<Vec<String>> {
        let n = (0..=abs.len())
            .rev()
            .find(|n| self.modules.contains_key(&abs[..*n]))?;
        let module = &abs[..n];
        if let (Some(name), true) = (abs.get(n), depth < 8) {
            if let Some(via) = exports.get(&(module.to_vec(), name.clone())) {
                // Re-exported from outside the crate: no file of it.
                let via = via.as_ref()?;
                let mut next = via.clone();
                next.extend(abs[n + 1..].iter().cloned());
                return self.target(&next, exports, depth + 1);
            }
        }
        Some(module.to_vec())
    }

    /// Names each module re-exports (`pub use`, any `pub(...)`), with the
    /// absolute path they stand for (`None`: from another crate).
    fn exports(&self) -> BTreeMap<(Vec<String>, String), Option<Vec<String>>> {
        let mut out = BTreeMap::new();
        for f in &self.files {
            let mut v = Exports {
                krate: self,
                module: f.module.clone(),
                out: &mut out,
            };
            v.visit_file(&f.ast);
        }
        out
    }

    /// The module an absolute path names, spelled from `module`: `crate::`,
    /// `super::`, `self::` or a child module's name; `None` otherwise.
    fn resolve(&self, module: &[String], segments: &[String]) -> Option<Vec<String>> {
        let first = segments.first()?;
        let mut base: Vec<String> = match first.as_str() {
            "crate" => Vec::new(),
            "self" => module.to_vec(),
            "super" => module.to_vec(),
            _ => {
                let mut child = module.to_vec();
                child.push(first.clone());
                if !self.modules.contains_key(&child) {
                    return None;
                }
                let mut out = module.to_vec();
                out.extend(segments.iter().cloned());
                return Some(out);
            }
        };
        let mut rest = segments;
        if first == "crate" || first == "self" {
            rest = &segments[1..];
        }
        while rest.first().is_some_and(|s| s == "super") {
            base.pop()?;
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// One problem per circle, naming its files in order.
    pub(crate) fn circles(&self, root: &Path) -> Vec<Problem> {
        let edges = self.edges();
        let name = |i: usize| {
            self.files[i]
                .path
                .strip_prefix(root)
                .map(slash)
                .unwrap_or_else(|_| self.files[i].path.display().to_string())
        };
        let mut out = Vec::new();
        for scc in strongly_connected(self.files.len(), &edges) {
            let start = *scc.iter().min_by_key(|i| name(**i)).unwrap_or(&scc[0]);
            let cycle = shortest_cycle(start, &scc, &edges);
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    format!(
                        "{}:{} uses {}",
                        name(w[0]),
                        edges[&(w[0], w[1])],
                        name(w[1])
                    )
                })
                .collect();
            out.push(Problem {
                file: name(start),
                rule: "circles",
                message: format!(
                    "import circle between files of one crate: {}; make one side stop importing the other (move what both need into a module of its own)",
                    steps.join(", ")
                ),
            });
        }
        out
    }
}

/// A module declared with `mod x;`: its path, and the files it may be in
/// (each with whether it is a `mod.rs`-like file), in the order rustc tries them.
type Declared = (Vec<String>, Vec<(PathBuf, bool)>);

/// Collects the modules that `items` (of module `module`) declare: files to
/// look for, and inline modules, which `inline` records as this file's.
fn declared(
    items: &[syn::Item],
    module: &[String],
    base: &Path,
    dir: &Path,
    files: &mut Vec<Declared>,
    inline: &mut dyn FnMut(Vec<String>),
) {
    for item in items {
        let syn::Item::Mod(m) = item else { continue };
        if is_cfg_test(&m.attrs) {
            continue;
        }
        let mut child = module.to_vec();
        child.push(m.ident.to_string());
        match &m.content {
            Some((_, inner)) => {
                inline(child.clone());
                declared(
                    inner,
                    &child,
                    &base.join(m.ident.to_string()),
                    dir,
                    files,
                    inline,
                );
            }
            None => {
                let explicit = m.attrs.iter().find_map(|a| {
                    if !a.path().is_ident("path") {
                        return None;
                    }
                    match &a.meta {
                        syn::Meta::NameValue(nv) => match &nv.value {
                            syn::Expr::Lit(syn::ExprLit {
                                lit: syn::Lit::Str(s),
                                ..
                            }) => Some(s.value()),
                            _ => None,
                        },
                        _ => None,
                    }
                });
                let candidates = match explicit {
                    Some(p) => vec![(dir.join(p), true)],
                    None => {
                        let name = m.ident.to_string();
                        vec![
                            (base.join(format!("{name}.rs")), false),
                            (base.join(&name).join("mod.rs"), true),
                        ]
                    }
                };
                files.push((child, candidates));
            }
        }
    }
}

/// The paths one file names, resolved to absolute module paths, with lines.
struct Uses<'a> {
    krate: &'a Crate,
    /// The module being read (the file's, then inline modules').
    module: Vec<String>,
    /// (where, the absolute path, its line).
    found: Vec<(Vec<String>, Vec<String>, usize)>,
}

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        if !is_cfg_test(item_attrs(i)) {
            syn::visit::visit_item(self, i);
        }
    }

    fn visit_variant(&mut self, v: &'ast syn::Variant) {
        if !is_cfg_test(&v.attrs) {
            syn::visit::visit_variant(self, v);
        }
    }

    fn visit_field(&mut self, f: &'ast syn::Field) {
        if !is_cfg_test(&f.attrs) {
            syn::visit::visit_field(self, f);
        }
    }

    fn visit_impl_item(&mut self, i: &'ast syn::ImplItem) {
        let attrs = match i {
            syn::ImplItem::Fn(f) => &f.attrs,
            syn::ImplItem::Const(c) => &c.attrs,
            syn::ImplItem::Type(t) => &t.attrs,
            _ => return syn::visit::visit_impl_item(self, i),
        };
        if !is_cfg_test(attrs) {
            syn::visit::visit_impl_item(self, i);
        }
    }

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        let attrs = match s {
            syn::Stmt::Local(l) => &l.attrs,
            syn::Stmt::Item(i) => item_attrs(i),
            _ => return syn::visit::visit_stmt(self, s),
        };
        if !is_cfg_test(attrs) {
            syn::visit::visit_stmt(self, s);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if let Some((_, items)) = &m.content {
            self.module.push(m.ident.to_string());
            for i in items {
                self.visit_item(i);
            }
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        // A re-export is followed where it is used, not counted here.
        if !matches!(u.vis, syn::Visibility::Inherited) {
            return;
        }
        let line = u.use_token.span.start().line;
        for (segments, _) in flatten(&u.tree) {
            if let Some(abs) = self.krate.resolve(&self.module, &segments) {
                self.found.push((self.module.clone(), abs, line));
            }
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() >= 2 {
            if let Some(abs) = self.krate.resolve(&self.module, &segments) {
                let line = p
                    .segments
                    .first()
                    .map(|s| s.ident.span().start().line)
                    .unwrap_or(0);
                self.found.push((self.module.clone(), abs, line));
            }
        }
        syn::visit::visit_path(self, p);
    }
}

/// An item's attributes (none for the kinds that cannot carry a cfg here).
fn item_attrs(i: &syn::Item) -> &[syn::Attribute] {
    match i {
        syn::Item::Const(x) => &x.attrs,
        syn::Item::Enum(x) => &x.attrs,
        syn::Item::Fn(x) => &x.attrs,
        syn::Item::Impl(x) => &x.attrs,
        syn::Item::Macro(x) => &x.attrs,
        syn::Item::Mod(x) => &x.attrs,
        syn::Item::Static(x) => &x.attrs,
        syn::Item::Struct(x) => &x.attrs,
        syn::Item::Trait(x) => &x.attrs,
        syn::Item::Type(x) => &x.attrs,
        syn::Item::Union(x) => &x.attrs,
        syn::Item::Use(x) => &x.attrs,
        _ => &[],
    }
}

/// Re-exports: `pub use` items and what they stand for.
struct Exports<'a, 'o> {
    krate: &'a Crate,
    module: Vec<String>,
    out: &'o mut BTreeMap<(Vec<String>, String), Option<Vec<String>>>,
}

impl<'ast> Visit<'ast> for Exports<'_, '_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if let Some((_, items)) = &m.content {
            self.module.push(m.ident.to_string());
            for i in items {
                self.visit_item(i);
            }
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if matches!(u.vis, syn::Visibility::Inherited) {
            return;
        }
        for (segments, name) in flatten(&u.tree) {
            let Some(name) = name else { continue };
            let abs = self.krate.resolve(&self.module, &segments);
            self.out.insert((self.module.clone(), name), abs);
        }
    }
}

/// The paths of a use tree, each with the name it brings in (`None` for a glob).
fn flatten(tree: &syn::UseTree) -> Vec<(Vec<String>, Option<String>)> {
    fn go(
        t: &syn::UseTree,
        prefix: &mut Vec<String>,
        out: &mut Vec<(Vec<String>, Option<String>)>,
    ) {
        match t {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                go(&p.tree, prefix, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    let last = prefix.last().cloned();
                    out.push((prefix.clone(), last));
                } else {
                    let mut p = prefix.clone();
                    p.push(name.clone());
                    out.push((p, Some(name)));
                }
            }
            syn::UseTree::Rename(r) => {
                let mut p = prefix.clone();
                p.push(r.ident.to_string());
                out.push((p, Some(r.rename.to_string())));
            }
            syn::UseTree::Glob(_) => out.push((prefix.clone(), None)),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    go(t, prefix, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    go(tree, &mut Vec::new(), &mut out);
    out
}

/// Tarjan's strongly connected components with more than one node.
fn strongly_connected(n: usize, edges: &BTreeMap<(usize, usize), usize>) -> Vec<Vec<usize>> {
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges.keys() {
        next[a].push(b);
    }
    struct State {
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        counter: usize,
        out: Vec<Vec<usize>>,
    }
    fn connect(v: usize, next: &[Vec<usize>], s: &mut State) {
        s.index[v] = Some(s.counter);
        s.low[v] = s.counter;
        s.counter += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &next[v] {
            match s.index[w] {
                None => {
                    connect(w, next, s);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                scc.push(w);
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort_unstable();
                s.out.push(scc);
            }
        }
    }
    let mut s = State {
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        counter: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            connect(v, &next, &mut s);
        }
    }
    s.out
}

/// The shortest path from `start` back to itself inside `scc`.
fn shortest_cycle(
    start: usize,
    scc: &[usize],
    edges: &BTreeMap<(usize, usize), usize>,
) -> Vec<usize> {
    let mut prev: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &(a, b) in edges.keys() {
            if a != v || !scc.contains(&b) {
                continue;
            }
            if b == start {
                let mut path = vec![start, v];
                let mut at = v;
                while at != start {
                    at = prev[&at];
                    path.push(at);
                }
                // Built backwards: start, v, v's predecessors .. start.
                path.reverse();
                return path;
            }
            if let std::collections::btree_map::Entry::Vacant(e) = prev.entry(b) {
                e.insert(v);
                queue.push_back(b);
            }
        }
    }
    vec![start, start]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crate from (path, text) pairs, rooted at `src/lib.rs`.
    fn circles(files: &[(&str, &str)]) -> Vec<String> {
        let map: BTreeMap<PathBuf, String> = files
            .iter()
            .map(|(p, t)| (Path::new("/ws/k").join(p), (*t).to_owned()))
            .collect();
        let read = |p: &Path| map.get(p).cloned();
        let c = Crate::load(Path::new("/ws/k/src/lib.rs"), &read).expect("load");
        c.circles(Path::new("/ws"))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn two_files_that_import_each_other_are_a_circle() {
        let found = circles(&[
            ("src/lib.rs", "mod cli;\nmod cmd;\n"),
            (
                "src/cli.rs",
                "use crate::cmd::compat::CompatArgs;\npub struct Cli;\n",
            ),
            ("src/cmd/mod.rs", "pub mod compat;\nuse crate::cli::Cli;\n"),
            (
                "src/cmd/compat.rs",
                "pub struct CompatArgs;\nfn f() { super::super::cli::Cli; }\n",
            ),
        ]);
        assert_eq!(
            found,
            ["k/src/cli.rs: [circles] import circle between files of one crate: k/src/cli.rs:1 uses k/src/cmd/compat.rs, k/src/cmd/compat.rs:2 uses k/src/cli.rs; make one side stop importing the other (move what both need into a module of its own)"]
        );
    }

    #[test]
    fn a_longer_circle_is_named_in_order() {
        let found = circles(&[
            ("src/lib.rs", "mod a;\nmod b;\nmod c;\n"),
            ("src/a.rs", "use crate::b::B;\n"),
            ("src/b.rs", "pub struct B;\nuse super::c::*;\n"),
            ("src/c.rs", "fn f() { let _ = crate::a::x(); }\n"),
        ]);
        assert_eq!(
            found,
            ["k/src/a.rs: [circles] import circle between files of one crate: k/src/a.rs:1 uses k/src/b.rs, k/src/b.rs:2 uses k/src/c.rs, k/src/c.rs:1 uses k/src/a.rs; make one side stop importing the other (move what both need into a module of its own)"]
        );
    }

    #[test]
    fn one_way_imports_declarations_and_tests_are_no_circle() {
        let found = circles(&[
            ("src/lib.rs", "mod args;\nmod cmd;\n"),
            ("src/args.rs", "pub struct Trust;\n#[cfg(test)]\nmod tests { use crate::cmd::go; }\n"),
            ("src/cmd.rs", "use crate::args::Trust;\npub fn go() {}\n#[cfg(test)]\nmod tests { use super::*; }\n"),
        ]);
        assert_eq!(found, Vec::<String>::new());
        // A test hook gated like tests is not counted either; ungated, it is.
        let hook = |gate: &str| {
            circles(&[
                ("src/lib.rs", "mod error;\nmod install;\n"),
                (
                    "src/error.rs",
                    &format!("pub enum Error {{ Io, {gate} Crash(crate::install::Step) }}\n"),
                ),
                (
                    "src/install.rs",
                    "use crate::error::Error;\npub struct Step;\n",
                ),
            ])
        };
        assert_eq!(
            hook("#[cfg(any(test, feature = \"fault-injection\"))]"),
            Vec::<String>::new()
        );
        assert_eq!(hook("").len(), 1);
    }

    #[test]
    fn a_parent_and_its_children_are_no_circle() {
        // mod.rs holds what its files share and calls them; they use it.
        let found = circles(&[
            ("src/lib.rs", "mod tidy;\n"),
            ("src/tidy/mod.rs", "mod graph;\nmod size;\npub struct Problem;\npub fn run() { graph::check(); size::check(); }\n"),
            ("src/tidy/graph.rs", "use super::Problem;\npub fn check() {}\n"),
            ("src/tidy/size.rs", "use crate::tidy::Problem;\npub fn check() {}\n"),
        ]);
        assert_eq!(found, Vec::<String>::new());
        // But two children of it that use each other are.
        let found = circles(&[
            ("src/lib.rs", "mod tidy;\n"),
            ("src/tidy/mod.rs", "mod graph;\nmod size;\n"),
            (
                "src/tidy/graph.rs",
                "use super::size::LIMIT;\npub fn check() {}\n",
            ),
            (
                "src/tidy/size.rs",
                "pub const LIMIT: usize = 1;\nfn f() { super::graph::check() }\n",
            ),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn the_root_and_re_exports_are_no_part_of_a_circle() {
        // lib.rs defines Coded, re-exports Output and calls cmd; cmd uses
        // both: the root is the façade, and crate::Output is output.rs's.
        let found = circles(&[
            ("src/lib.rs", "mod cmd;\nmod output;\npub use output::Output;\npub struct Coded;\npub fn run() { cmd::go(); }\n"),
            ("src/output.rs", "pub struct Output;\nfn f() { crate::cmd::go(); }\n"),
            ("src/cmd.rs", "use crate::{Coded, Output};\npub fn go() {}\n"),
        ]);
        assert_eq!(
            found,
            ["k/src/cmd.rs: [circles] import circle between files of one crate: k/src/cmd.rs:1 uses k/src/output.rs, k/src/output.rs:2 uses k/src/cmd.rs; make one side stop importing the other (move what both need into a module of its own)"]
        );
        // A module that re-exports its children's items and holds what they
        // share (wire/mod.rs) does not import them.
        let found = circles(&[
            ("src/lib.rs", "pub mod wire;\n"),
            (
                "src/wire/mod.rs",
                "mod accounts;\npub use accounts::*;\npub enum Role { Owner }\n",
            ),
            (
                "src/wire/accounts.rs",
                "use super::Role;\npub struct Member { pub role: Role }\n",
            ),
        ]);
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn the_list_of_known_circles_only_shrinks() {
        let circle = |a: &str, b: &str| {
            Problem {
            file: a.into(),
            rule: "circles",
            message: format!("import circle between files of one crate: {a}:3 uses {b}, {b}:9 uses {a}; make one side stop"),
        }
        };
        let mut problems = vec![
            circle("k/src/a.rs", "k/src/b.rs"),
            circle("k/src/c.rs", "k/src/d.rs"),
        ];
        let known: &[&[&str]] = &[&["k/src/a.rs", "k/src/b.rs"], &["k/src/x.rs", "k/src/y.rs"]];
        let gone = stale(&mut problems, known);
        assert_eq!(problems, [circle("k/src/c.rs", "k/src/d.rs")]);
        assert_eq!(
            gone.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["k/src/x.rs: [circles] the circle between k/src/x.rs, k/src/y.rs is in circles.rs's KNOWN_CIRCLES list but is gone: remove it from the list"]
        );
    }
}
