//! ACSS: a mini program's stylesheets, read with a real CSS tokenizer
//! (Servo's `cssparser`) and written back as they were, with two changes:
//!
//! - `@import` at the top level of a file is replaced by the file it names,
//!   itself expanded (design note A11). A media list after the target is
//!   kept as an `@media` wrapper around the imported rules; `layer` and
//!   `supports()` conditions are not, and say so in a warning.
//! - `rpx` lengths in declaration values become px (750rpx is the screen
//!   width): a dimension token whose unit is `rpx`, in any case, also inside
//!   `calc()` and other functions. Never in strings, `url()`, comments,
//!   selectors, at-rule preludes (`@media (min-width: 300rpx)` stays) or
//!   names that merely contain the letters.
//!
//! Everything else is copied from the source text, byte for byte: strings,
//! escapes, comments, unicode. Problems are warnings, never errors: a missing
//! or escaping import is skipped, an `@import` inside a block dropped. A file
//! that ends inside a comment, string, `url(`, block or rule has the missing
//! closers appended (and a warning), so an imported file can never swallow
//! the rules of the file that imports it.
//!
//! The input is hostile: the walk recurses once per nested block, and a
//! block nested deeper than [`MAX_BLOCK_DEPTH`] is written as an empty block
//! (with a warning) instead of being entered.

use cssparser::{ParseError, Parser, ParserInput, SourceLocation, SourcePosition, Token};
use std::collections::BTreeSet;
use std::fmt;

/// How many files deep `@import`s may nest (the file given to [`expand`] is
/// depth 0); a deeper import is skipped with a warning.
pub const MAX_IMPORT_DEPTH: usize = 16;

/// How many blocks (`{}`, `()`, `[]`, functions) deep one file may nest; a
/// deeper block's contents are dropped with a warning.
pub const MAX_BLOCK_DEPTH: usize = 64;

/// How many warnings one expansion reports; one more says that others
/// were left out.
pub const MAX_WARNINGS: usize = 100;

/// A stylesheet with its imports expanded and its rpx converted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expanded {
    /// The CSS to serve.
    pub css: String,
    /// What was skipped, dropped or repaired on the way, in source order.
    pub warnings: Vec<Warning>,
}

/// A problem in one stylesheet that did not stop its expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The bundle path of the file that holds the problem.
    pub file: String,
    /// 1-based line in that file.
    pub line: u32,
    /// 1-based column in that line, in UTF-16 code units (as cssparser counts).
    pub column: u32,
    /// What happened, for a developer.
    pub message: String,
}

impl fmt::Display for Warning {
    /// `file:line:column: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Converts `rpx` to px at `px_per_rpx` in `css`, a declaration list such as
/// a `style` attribute's value (`width: 20rpx; content: "20rpx"`), or rules.
/// The rules of [`expand`] apply; `@import` is left alone, nothing is
/// appended to unterminated text, and warnings are not reported.
pub fn rpx_to_px(css: &str, px_per_rpx: f64) -> String {
    // Most style attributes have no rpx: skip the tokenizer for them. A unit
    // may be written with escapes (`2\72 px`), so a backslash goes the long way.
    if !contains_rpx(css) && !css.contains('\\') {
        return css.to_owned();
    }
    let mut shared = Shared {
        load: None,
        seen: BTreeSet::new(),
        warnings: Vec::new(),
    };
    walk_file("", css, px_per_rpx, &mut shared, 0, false)
}

/// Expands the `@import`s of `css` (the bundle file `file`) using `load`,
/// which reads a bundle path, and converts rpx at `px_per_rpx`.
///
/// ```
/// use mpkit_render::acss;
///
/// let load = |path: &str| {
///     (path == "common/base.acss").then(|| ".base { margin: 20rpx }".to_owned())
/// };
/// let page = "@import '/common/base.acss';@import '../../app.wxss';\n\
///             .title { content: \"20rpx\"; width: 750rpx }";
/// let out = acss::expand("pages/index/index.acss", page, 375.0 / 750.0, &load);
/// assert_eq!(
///     out.css,
///     ".base { margin: 10px }\n\n.title { content: \"20rpx\"; width: 375px }"
/// );
/// assert_eq!(
///     out.warnings[0].to_string(),
///     "pages/index/index.acss:1:29: @import \"../../app.wxss\": no such file \
///      (tried app.wxss, app.wxss.acss); skipped"
/// );
/// ```
///
/// Targets (a string or `url()`) resolve like other bundle paths: relative
/// to `file`, or from the root with a leading `/`; a bare name that is not
/// found there is looked for in `node_modules` from the file's folder up to
/// the root. A target without the extension `.acss` or `.css` is tried as
/// written, then with `.acss` appended. Each file is included at most once
/// per expansion (which also breaks cycles), `file` itself included.
pub fn expand(
    file: &str,
    css: &str,
    px_per_rpx: f64,
    load: &dyn Fn(&str) -> Option<String>,
) -> Expanded {
    let mut shared = Shared {
        load: Some(load),
        seen: BTreeSet::from([file.to_owned()]),
        warnings: Vec::new(),
    };
    let css = walk_file(file, css, px_per_rpx, &mut shared, 0, true);
    Expanded {
        css,
        warnings: shared.warnings,
    }
}

/// One file's text with rpx converted; for a stylesheet (`sheet`), also
/// its imports expanded and what it leaves open closed.
fn walk_file(
    file: &str,
    css: &str,
    ratio: f64,
    shared: &mut Shared<'_>,
    imports: usize,
    sheet: bool,
) -> String {
    let mut walk = Walk::new(file, css, ratio, shared, imports, sheet);
    let mut input = ParserInput::new(css);
    let mut p = Parser::new(&mut input);
    walk.contents(&mut p, 0);
    walk.finish(&mut p)
}

/// Reads a bundle file: `None` when it cannot.
type Load<'l> = dyn Fn(&str) -> Option<String> + 'l;

/// What all files of one expansion share.
struct Shared<'l> {
    /// Reads a bundle file; `None` for [`rpx_to_px`], which expands nothing.
    load: Option<&'l Load<'l>>,
    /// The files included so far.
    seen: BTreeSet<String>,
    warnings: Vec<Warning>,
}

/// A change to the source: `start..end` becomes `text`.
struct Edit {
    start: usize,
    end: usize,
    text: String,
    /// An rpx conversion, dropped again if the tokens turn out to be a
    /// selector rather than a declaration value.
    rpx: bool,
}

/// The walk over one file's tokens.
struct Walk<'w, 'l> {
    file: &'w str,
    src: &'w str,
    ratio: f64,
    shared: &'w mut Shared<'l>,
    /// How many files deep this one was imported.
    imports: usize,
    /// A stylesheet (its top level is a list of rules, `@import` expands
    /// and unterminated text is closed) rather than a declaration list.
    sheet: bool,
    /// In source order, not overlapping.
    edits: Vec<Edit>,
    /// What closes the file's unterminated constructs, innermost first.
    tail: String,
    warned_deep: bool,
    /// Where the token [`Walk::next`] gave last starts.
    at: SourceLocation,
}

/// Where an item in a list of rules or declarations stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    /// Its first token was an identifier (`--x` is `custom`): a
    /// declaration if a colon follows.
    Name { custom: bool },
    /// After `name:`, until `;` or the end of the block.
    Value { custom: bool },
    /// A selector or something else that is not a declaration.
    Prelude,
}

type Nested<'i> = Result<(), ParseError<'i, ()>>;

impl<'w, 'l> Walk<'w, 'l> {
    fn new(
        file: &'w str,
        src: &'w str,
        ratio: f64,
        shared: &'w mut Shared<'l>,
        imports: usize,
        sheet: bool,
    ) -> Self {
        Walk {
            file,
            src,
            ratio,
            shared,
            imports,
            sheet,
            edits: Vec::new(),
            tail: String::new(),
            warned_deep: false,
            at: SourceLocation::default(),
        }
    }

    fn warn(&mut self, at: SourceLocation, message: String) {
        if !self.sheet {
            return;
        }
        let message = match self.shared.warnings.len() {
            n if n < MAX_WARNINGS => message,
            MAX_WARNINGS => "further warnings about this stylesheet are left out".to_owned(),
            _ => return,
        };
        self.shared.warnings.push(Warning {
            file: self.file.to_owned(),
            line: at.line.saturating_add(1),
            column: at.column,
            message,
        });
    }

    /// The source with the edits applied and the closers appended.
    fn finish(mut self, p: &mut Parser<'_, '_>) -> String {
        let mut out = String::with_capacity(self.src.len() + self.tail.len());
        let mut copied = 0;
        for e in &self.edits {
            out.push_str(&self.src[copied..e.start]);
            out.push_str(&e.text);
            copied = e.end;
        }
        out.push_str(&self.src[copied..]);
        if self.sheet && !self.tail.is_empty() {
            let at = p.current_source_location();
            let message = format!(
                "the file ends inside an unterminated comment, string, url, block or rule; \
                 closed with `{}`",
                self.tail.trim_start()
            );
            self.warn(at, message);
            // A backslash at the very end would escape the first closer; a
            // newline after it escapes nothing. (A string or url closer that
            // needs one has it already.)
            let backslashes = out.bytes().rev().take_while(|&b| b == b'\\').count();
            if backslashes % 2 == 1 && !self.tail.starts_with('\n') {
                out.push('\n');
            }
            out.push_str(&self.tail);
        }
        out
    }

    /// The next token, whitespace and comments included, with where it
    /// starts; notes what closes it if it runs unterminated to the end.
    fn next<'i>(&mut self, p: &mut Parser<'i, '_>) -> Option<(Token<'i>, SourcePosition)> {
        self.at = p.current_source_location();
        let start = p.position();
        let token = p.next_including_whitespace_and_comments().ok()?.clone();
        if p.position().byte_index() == self.src.len() {
            // The last token: a comment, string or url may run open to the end.
            let candidates: &[&str] = match &token {
                Token::Comment(_) => &["*/"],
                Token::QuotedString(_) if p.slice_from(start).starts_with('\'') => &["'", "\n'"],
                Token::QuotedString(_) => &["\"", "\n\""],
                Token::UnquotedUrl(_) | Token::BadUrl(_) => &[")", "\n)"],
                _ => &[],
            };
            let text = p.slice_from(start);
            if !candidates.is_empty() && !closed_by(text, "") {
                // The first closer that ends the token where it ends. (After
                // a backslash, a url needs the newline in some cases and not
                // others: cssparser itself decides.)
                let closer = candidates
                    .iter()
                    .find(|c| closed_by(text, c))
                    .unwrap_or(&candidates[candidates.len() - 1]);
                self.tail.push_str(closer);
            }
        }
        Some((token, start))
    }

    /// A list of rules, at-rules and declarations: the top level, or a
    /// `{}` block (mixed, as CSS Nesting reads one).
    fn contents(&mut self, p: &mut Parser<'_, '_>, depth: usize) {
        while let Some((token, start)) = self.next(p) {
            match token {
                Token::WhiteSpace(_) | Token::Comment(_) | Token::Semicolon => {}
                Token::AtKeyword(ref name) if self.sheet && name.eq_ignore_ascii_case("import") => {
                    let at = self.at;
                    if depth == 0 {
                        self.import(p, start, at, depth);
                    } else {
                        self.drop_import(p, start, at, depth);
                    }
                }
                Token::AtKeyword(_) => self.at_rule(p, depth),
                token => self.item(p, token, start, depth),
            }
        }
    }

    /// A declaration or a qualified rule, from its first token. Only the
    /// top level of a stylesheet has no declarations.
    fn item<'i>(
        &mut self,
        p: &mut Parser<'i, '_>,
        first: Token<'i>,
        first_start: SourcePosition,
        depth: usize,
    ) {
        let top = self.sheet && depth == 0;
        let mark = self.edits.len();
        let mut state = match &first {
            Token::Ident(name) if !top => Item::Name {
                custom: name.starts_with("--"),
            },
            _ => Item::Prelude,
        };
        if state == Item::Prelude {
            if let Token::CurlyBracketBlock = first {
                self.block(p, depth, '}', |w, q, d| w.contents(q, d));
                return;
            }
            self.token(p, &first, first_start, depth, false);
        }
        loop {
            let Some((token, start)) = self.next(p) else {
                if top {
                    // Rules that follow must not become part of this one.
                    self.tail.push_str("{}");
                }
                return;
            };
            match (state, &token) {
                (Item::Value { custom: true }, Token::CurlyBracketBlock) => {
                    self.block(p, depth, '}', |w, q, d| w.values(q, d, true));
                }
                (_, Token::CurlyBracketBlock) => {
                    // `a:hover { … }`: a nested rule after all, not `a: hover`.
                    self.discard_rpx(mark);
                    self.block(p, depth, '}', |w, q, d| w.contents(q, d));
                    return;
                }
                (_, Token::Semicolon) if !top => return,
                (Item::Name { custom }, Token::Colon) => state = Item::Value { custom },
                (Item::Name { .. }, Token::WhiteSpace(_) | Token::Comment(_)) => {}
                (Item::Name { .. }, _) => {
                    state = Item::Prelude;
                    self.token(p, &token, start, depth, false);
                }
                (Item::Value { .. }, _) => self.token(p, &token, start, depth, true),
                (Item::Prelude, _) => self.token(p, &token, start, depth, false),
            }
        }
    }

    /// An at-rule other than `@import`: its prelude as written, then `;`,
    /// or a block read as a list of rules and declarations.
    fn at_rule(&mut self, p: &mut Parser<'_, '_>, depth: usize) {
        loop {
            let Some((token, start)) = self.next(p) else {
                if self.sheet && depth == 0 {
                    self.tail.push(';');
                }
                return;
            };
            match token {
                Token::Semicolon => return,
                Token::CurlyBracketBlock => {
                    self.block(p, depth, '}', |w, q, d| w.contents(q, d));
                    return;
                }
                token => self.token(p, &token, start, depth, false),
            }
        }
    }

    /// Tokens of a value (`convert`) or a prelude, to the end of the block.
    fn values(&mut self, p: &mut Parser<'_, '_>, depth: usize, convert: bool) {
        while let Some((token, start)) = self.next(p) {
            self.token(p, &token, start, depth, convert);
        }
    }

    /// One token of a value or a prelude; a block or function is entered.
    fn token<'i>(
        &mut self,
        p: &mut Parser<'i, '_>,
        token: &Token<'i>,
        start: SourcePosition,
        depth: usize,
        convert: bool,
    ) {
        match token {
            Token::Dimension { value, unit, .. } if convert && unit.eq_ignore_ascii_case("rpx") => {
                if let Some(px) = self.px(p.slice_from(start), *value) {
                    self.edits.push(Edit {
                        start: start.byte_index(),
                        end: p.position().byte_index(),
                        text: px,
                        rpx: true,
                    });
                }
            }
            Token::Function(name) => {
                let convert = convert && !name.eq_ignore_ascii_case("url");
                self.block(p, depth, ')', |w, q, d| w.values(q, d, convert));
            }
            Token::ParenthesisBlock => self.block(p, depth, ')', |w, q, d| w.values(q, d, convert)),
            Token::SquareBracketBlock => {
                self.block(p, depth, ']', |w, q, d| w.values(q, d, convert));
            }
            Token::CurlyBracketBlock => {
                self.block(p, depth, '}', |w, q, d| w.values(q, d, convert));
            }
            _ => {}
        }
    }

    /// The block just opened, walked by `inside` one level deeper; past
    /// [`MAX_BLOCK_DEPTH`] its contents are dropped instead.
    fn block<'i, F>(&mut self, p: &mut Parser<'i, '_>, depth: usize, close: char, inside: F)
    where
        F: for<'tt> FnOnce(&mut Self, &mut Parser<'i, 'tt>, usize),
    {
        let depth = depth + 1;
        let opened = p.position();
        if depth > MAX_BLOCK_DEPTH {
            let at = p.current_source_location();
            // cssparser skips the block without recursing.
            let _ = p.parse_nested_block(|_| -> Nested<'i> { Ok(()) });
            self.edits.push(Edit {
                start: opened.byte_index(),
                end: p.position().byte_index(),
                text: close.to_string(),
                rpx: false,
            });
            if !self.warned_deep {
                self.warned_deep = true;
                self.warn(
                    at,
                    format!(
                        "blocks nested more than {MAX_BLOCK_DEPTH} deep: the inner contents are dropped"
                    ),
                );
            }
            return;
        }
        let mut end = opened;
        let _ = p.parse_nested_block(|q| -> Nested<'i> {
            inside(self, q, depth);
            end = q.position();
            Ok(())
        });
        if p.position() == end {
            // The input ended before the closing token.
            self.tail.push(close);
        }
    }

    /// Forgets the rpx conversions since `mark`: their tokens were a selector.
    fn discard_rpx(&mut self, mark: usize) {
        let kept: Vec<Edit> = self.edits.drain(mark..).filter(|e| !e.rpx).collect();
        self.edits.extend(kept);
    }

    /// `rpx` token text (`-1.5rpx`) in px, as the renderer writes numbers:
    /// rounded to 3 decimals, integers without a fraction.
    fn px(&self, text: &str, value: f32) -> Option<String> {
        let n = number_prefix(text)
            .parse::<f64>()
            .unwrap_or_else(|_| f64::from(value));
        let px = (n * self.ratio * 1000.0).round() / 1000.0;
        if !px.is_finite() {
            return None;
        }
        let mut out = crate::expr::to_text(&crate::expr::num(px));
        out.push_str("px");
        Some(out)
    }
}

/// Whether the token `text`, followed by `closer`, is one token that ends
/// there: text after it would not extend it.
fn closed_by(text: &str, closer: &str) -> bool {
    let probe = format!("{text}{closer}Z");
    let mut input = ParserInput::new(&probe);
    let mut p = Parser::new(&mut input);
    p.next_including_whitespace_and_comments().is_ok()
        && p.position().byte_index() == text.len() + closer.len()
}

/// The number at the start of a numeric token's text: sign, digits,
/// fraction, exponent, as CSS reads them.
fn number_prefix(text: &str) -> &str {
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    while digit(i) {
        i += 1;
    }
    if b.get(i) == Some(&b'.') && digit(i + 1) {
        i += 1;
        while digit(i) {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        if digit(i + 1 + sign) {
            i += 1 + sign;
            while digit(i) {
                i += 1;
            }
        }
    }
    &text[..i]
}

/// Whether `css` holds `rpx` in any case.
fn contains_rpx(css: &str) -> bool {
    css.as_bytes()
        .windows(3)
        .any(|w| w.eq_ignore_ascii_case(b"rpx"))
}

mod import;
mod scope;

pub use scope::{class_prefix, scope_classes, unscoped_class};
#[cfg(test)]
mod tests;
