//! `@import`: reading the statement, resolving its target, including the
//! file (design note A11.1–4).

use super::{walk_file, Edit, Walk, MAX_IMPORT_DEPTH};
use cssparser::{Parser, SourceLocation, SourcePosition, Token};

impl Walk<'_, '_> {
    /// `@import` at the top level: read to `;`, then replaced by the file.
    pub(super) fn import<'i>(
        &mut self,
        p: &mut Parser<'i, '_>,
        start: SourcePosition,
        at: SourceLocation,
        depth: usize,
    ) {
        let closers = self.tail.len();
        let mut target: Option<String> = None;
        let mut no_target = false;
        let mut media: Option<(SourcePosition, SourcePosition)> = None;
        let mut conditions = false;
        let mut block = false;
        while let Some((token, t0)) = self.next(p) {
            match token {
                Token::WhiteSpace(_) | Token::Comment(_) => {}
                Token::Semicolon => break,
                Token::CurlyBracketBlock => {
                    self.block(p, depth, '}', |w, q, d| w.values(q, d, false));
                    block = true;
                    break;
                }
                Token::QuotedString(ref s) | Token::UnquotedUrl(ref s)
                    if target.is_none() && !no_target =>
                {
                    target = Some(s.to_string());
                }
                Token::Function(ref name)
                    if name.eq_ignore_ascii_case("url") && target.is_none() && !no_target =>
                {
                    let mut found = None;
                    self.block(p, depth, ')', |w, q, d| {
                        let mut first = true;
                        while let Some((token, t)) = w.next(q) {
                            match token {
                                Token::WhiteSpace(_) | Token::Comment(_) => {}
                                Token::QuotedString(ref s) if first => {
                                    found = Some(s.to_string());
                                    first = false;
                                }
                                ref token => {
                                    found = None;
                                    first = false;
                                    w.token(q, token, t, d, false);
                                }
                            }
                        }
                    });
                    match found {
                        Some(s) => target = Some(s),
                        None => no_target = true,
                    }
                }
                ref token => {
                    if target.is_none() {
                        no_target = true;
                    } else if media.is_none() {
                        conditions = match token {
                            Token::Ident(n) => n.eq_ignore_ascii_case("layer"),
                            Token::Function(n) => {
                                n.eq_ignore_ascii_case("layer")
                                    || n.eq_ignore_ascii_case("supports")
                            }
                            _ => false,
                        };
                    }
                    self.token(p, token, t0, depth, false);
                    if target.is_some() {
                        media = Some((media.map_or(t0, |m| m.0), p.position()));
                    }
                }
            }
        }
        // The statement goes, unterminated parts and all.
        self.tail.truncate(closers);
        let text = match target {
            _ if block => {
                self.warn(
                    at,
                    "@import with a {} block is not valid CSS; dropped".into(),
                );
                String::new()
            }
            Some(t) if !no_target => {
                let media = media.map(|(a, b)| p.slice(a..b).trim().to_owned());
                self.include(&t, media.as_deref(), conditions, at)
            }
            _ => {
                self.warn(
                    at,
                    "@import without a string or url() target; dropped".into(),
                );
                String::new()
            }
        };
        self.edits.push(Edit {
            start: start.byte_index(),
            end: p.position().byte_index(),
            text,
            rpx: false,
        });
    }

    /// `@import` inside a block: dropped, as browsers ignore it there.
    pub(super) fn drop_import(
        &mut self,
        p: &mut Parser<'_, '_>,
        start: SourcePosition,
        at: SourceLocation,
        depth: usize,
    ) {
        let closers = self.tail.len();
        while let Some((token, t0)) = self.next(p) {
            match token {
                Token::Semicolon => break,
                Token::CurlyBracketBlock => {
                    self.block(p, depth, '}', |w, q, d| w.values(q, d, false));
                    break;
                }
                token => self.token(p, &token, t0, depth, false),
            }
        }
        self.tail.truncate(closers);
        self.edits.push(Edit {
            start: start.byte_index(),
            end: p.position().byte_index(),
            text: String::new(),
            rpx: false,
        });
        self.warn(
            at,
            "@import is only read at the top level of a stylesheet; this one is inside a block and dropped"
                .into(),
        );
    }

    /// The expanded text of the file `target` names, or nothing (with a
    /// warning) when it cannot be included.
    fn include(
        &mut self,
        target: &str,
        media: Option<&str>,
        conditions: bool,
        at: SourceLocation,
    ) -> String {
        let Some(load) = self.shared.load else {
            return String::new();
        };
        if target.trim().is_empty() {
            self.warn(at, "@import with an empty target; skipped".into());
            return String::new();
        }
        if target.contains("://") || target.starts_with("//") || target.starts_with("data:") {
            self.warn(
                at,
                format!(
                    "@import {target:?}: only stylesheets inside the bundle are included; skipped"
                ),
            );
            return String::new();
        }
        let candidates = candidates(self.file, target);
        if candidates.is_empty() {
            self.warn(at, format!("@import {target:?} leaves the bundle; skipped"));
            return String::new();
        }
        for path in &candidates {
            if self.shared.seen.contains(path) {
                return String::new();
            }
        }
        if self.imports >= MAX_IMPORT_DEPTH {
            self.warn(
                at,
                format!(
                    "@import {target:?}: imports nested more than {MAX_IMPORT_DEPTH} files deep; skipped"
                ),
            );
            return String::new();
        }
        let Some((path, text)) = candidates
            .iter()
            .find_map(|c| load(c).map(|text| (c.clone(), text)))
        else {
            self.warn(
                at,
                format!(
                    "@import {target:?}: no such file (tried {}); skipped",
                    candidates.join(", ")
                ),
            );
            return String::new();
        };
        self.shared.seen.insert(path.clone());
        let mut css = walk_file(
            &path,
            &text,
            self.ratio,
            self.shared,
            self.imports + 1,
            true,
        );
        if !css.is_empty() && !css.ends_with('\n') {
            css.push('\n');
        }
        match media {
            Some(_) if conditions => {
                self.warn(
                    at,
                    format!(
                        "@import {target:?}: layer and supports() conditions are not supported; \
                         included without its conditions"
                    ),
                );
                css
            }
            Some(m) if !m.is_empty() => format!("@media {m} {{\n{css}}}\n"),
            _ => css,
        }
    }
}

/// The bundle paths an `@import` target may name, in the order to try them.
fn candidates(file: &str, target: &str) -> Vec<String> {
    let last = target.rsplit('/').next().unwrap_or(target);
    let ext = last.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let names = match ext.as_deref() {
        Some("acss" | "css") => vec![target.to_owned()],
        _ => vec![target.to_owned(), format!("{target}.acss")],
    };
    let mut out: Vec<String> = Vec::new();
    let mut add = |from: &str, name: &str| {
        if let Some(p) = crate::resolve_in_bundle(from, name) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    };
    for n in &names {
        add(file, n);
    }
    if !target.starts_with('.') && !target.starts_with('/') {
        // An npm stylesheet: `node_modules` from the file's folder up to the root.
        let mut dir: Vec<&str> = file.split('/').collect();
        dir.pop();
        loop {
            let mut from = dir.join("/");
            if !from.is_empty() {
                from.push('/');
            }
            from.push_str("node_modules/-");
            for n in &names {
                add(&from, n);
            }
            if dir.pop().is_none() {
                break;
            }
        }
    }
    out
}
