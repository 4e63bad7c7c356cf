//! sjs calls in a render (compat.md B12): each file's `<import-sjs>`
//! bindings over the scope its expressions see. The functions run in the
//! unit's own sjs engine ([`Sjs`]), never here: the render core stays pure.

use super::Renderer;
use crate::axml::{Pos, SjsImport};
use crate::expr::Scope;
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;

/// Runs the functions of sjs modules for a render.
pub trait Sjs {
    /// Calls `members` of export `export` of the module `from`, as
    /// imported by `file`, with `args`. `Ok(None)` when it returns
    /// `undefined` (or a function); `Err` says why it could not be called
    /// or what it threw.
    fn call(
        &self,
        file: &str,
        from: &str,
        export: &str,
        members: &[String],
        args: Vec<Value>,
    ) -> Result<Option<Value>, String>;
}

/// A file's sjs bindings over another scope. A bound name hides a data key
/// of the same name (sjs wins); it is only ever called.
pub(super) struct SjsScope<'s> {
    pub inner: &'s dyn Scope,
    pub file: &'s str,
    pub imports: &'s [SjsImport],
    pub sjs: Option<&'s dyn Sjs>,
    pub errors: Rc<RefCell<Vec<String>>>,
}

impl SjsScope<'_> {
    /// The import that binds `name` (the later of two), and its export.
    fn binding(&self, name: &str) -> Option<(&SjsImport, &str)> {
        self.imports.iter().rev().find_map(|i| {
            i.names
                .iter()
                .find(|(local, _)| local == name)
                .map(|(_, export)| (i, export.as_str()))
        })
    }
}

impl Scope for SjsScope<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        if self.binding(name).is_some() {
            return None;
        }
        self.inner.get(name)
    }

    fn call(&self, callee: &[String], args: Vec<Value>) -> Option<Value> {
        let name = callee.first()?;
        let Some((import, export)) = self.binding(name) else {
            // Not this file's: an `<include>`d file does not inherit.
            self.errors.borrow_mut().push(format!(
                "{}(…): {name} is not an sjs import of this file",
                callee.join(".")
            ));
            return None;
        };
        let Some(sjs) = self.sjs else {
            self.errors
                .borrow_mut()
                .push(format!("{}(…): this render runs no sjs", callee.join(".")));
            return None;
        };
        match sjs.call(self.file, &import.from, export, &callee[1..], args) {
            Ok(v) => v,
            Err(m) => {
                self.errors
                    .borrow_mut()
                    .push(format!("{}(…): {m}", callee.join(".")));
                None
            }
        }
    }
}

impl Renderer<'_> {
    /// What the sjs calls since the last look went wrong, as warnings at
    /// `file:pos` (the expression renders empty).
    pub(super) fn sjs_warnings(&mut self, file: &str, pos: Pos) {
        if self.sjs_errors.borrow().is_empty() {
            return;
        }
        let errors = std::mem::take(&mut *self.sjs_errors.borrow_mut());
        for m in errors {
            self.warn(file, pos, m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::axml::{parse, Document};
    use crate::template::Loader;
    use crate::vdom::VNode;
    use serde_json::json;
    use std::collections::HashMap;
    use std::sync::Arc;

    /// Answers every call with what it was asked.
    struct Echo;
    impl Sjs for Echo {
        fn call(
            &self,
            file: &str,
            from: &str,
            export: &str,
            members: &[String],
            args: Vec<Value>,
        ) -> Result<Option<Value>, String> {
            if members.first().is_some_and(|m| m == "fail") {
                return Err("it threw".into());
            }
            Ok(Some(json!(format!(
                "{file}|{from}|{export}|{}|{}",
                members.join("."),
                Value::Array(args)
            ))))
        }
    }

    struct Files(HashMap<&'static str, Arc<Document>>);
    impl Loader for Files {
        fn load(&self, path: &str) -> Result<Arc<Document>, String> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| "no such file".into())
        }
    }

    fn text(nodes: &[VNode]) -> String {
        nodes
            .iter()
            .map(|n| match n {
                VNode::Text { text } => text.clone(),
                VNode::Element { children, .. } => format!("[{}]", text(children)),
                _ => String::new(),
            })
            .collect()
    }

    /// B12: calls name a binding of the file (default or named export, then
    /// members); a template keeps its own file's bindings where it is used;
    /// an include does not inherit; a bound name hides a data key; a failed
    /// call renders empty with a warning at its node.
    #[test]
    fn calls_reach_the_files_own_imports() {
        let lib = parse(r#"<import-sjs name="{f: g}" from="./lib.sjs"/><template name="t"><text>{{g(x)}}</text></template>"#).expect("lib");
        let inc = parse(r#"<text>{{x}}</text>"#).expect("inc");
        let files = Files(HashMap::from([
            ("pages/lib.axml", Arc::new(lib)),
            ("pages/inc.axml", Arc::new(inc)),
        ]));
        let page = parse(
            r#"<import src="./lib.axml"/>
<text>{{m(1, x)}}</text><text>{{m.a.b()}}</text><text>[{{m}}]</text>
<template is="t" data="{{x: 5}}"/><include src="./inc.axml"/>
<text>{{m.fail()}}</text>
<import-sjs name="m" from="/u.sjs"/>"#,
        )
        .expect("page");
        let mut r = Renderer::new(&files, 375.0).with_sjs(&Echo);
        let out = r
            .render(&page, "pages/a.axml", &json!({"x": 2, "m": "data"}))
            .expect("renders");
        assert_eq!(
            text(&out),
            r#"[pages/a.axml|/u.sjs|default||[1,2]][pages/a.axml|/u.sjs|default|a.b|[]][[]][pages/lib.axml|./lib.sjs|f||[5]][2][]"#
        );
        let w = r.take_warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!((w[0].file.as_str(), w[0].pos.line), ("pages/a.axml", 4));
        assert_eq!(w[0].message, "m.fail(…): it threw");
        // Calls of anything else stay a parse error, with the old message.
        let e = parse("<text>{{ x.format(2) }}</text>").expect_err("not sjs");
        assert!(e.message.contains("templates cannot call this"), "{e}");
        // Without an engine, a call renders empty and says so.
        let mut r = Renderer::new(&files, 375.0);
        let out = r
            .render(&page, "pages/a.axml", &json!({}))
            .expect("renders");
        assert_eq!(text(&out[..1]), "[]");
        assert!(r.take_warnings()[0]
            .message
            .contains("this render runs no sjs"));
    }
}
