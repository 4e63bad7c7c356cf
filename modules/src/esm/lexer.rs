//! The tokenizer under the rewrite: just enough of JavaScript's lexical
//! grammar to find top-level declarations. It skips strings, template
//! literals (with nested `${}`), comments and regular expressions (told from
//! division by the previous significant token) and records bracket depth.
//! One loop and an explicit stack: no input can overflow a stack.

use super::EsmError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Ident,
    Punct,
    Str,
    Num,
    Template,
    Regex,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Tok {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
    /// A line break lies between the previous token and this one.
    pub(super) nl: bool,
    /// Bracket depth before this token.
    pub(super) depth: u32,
}

const REGEX_AFTER_WORDS: &[&str] = &[
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "yield",
    "await",
];

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    toks: Vec<Tok>,
    /// Open brackets; `b'$'` marks a template's `${`.
    stack: Vec<u8>,
}

pub(super) fn err_at(src: &str, at: usize, message: impl Into<String>) -> EsmError {
    let before = &src[..at.min(src.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    EsmError {
        line,
        column,
        message: message.into(),
    }
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c == '$' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c == '$' || c.is_alphanumeric() || c == '\u{200c}' || c == '\u{200d}'
}

impl<'a> Lexer<'a> {
    fn regex_allowed(&self) -> bool {
        let Some(t) = self.toks.last() else {
            return true;
        };
        let text = &self.src[t.start..t.end];
        match t.kind {
            Kind::Ident => REGEX_AFTER_WORDS.contains(&text),
            Kind::Num | Kind::Str | Kind::Template | Kind::Regex => false,
            Kind::Punct => !matches!(text, ")" | "]" | "}"),
        }
    }

    fn push(&mut self, kind: Kind, start: usize, nl: bool) {
        let depth = self.stack.len() as u32;
        self.toks.push(Tok {
            kind,
            start,
            end: self.pos,
            nl,
            depth,
        });
    }

    /// Scans template characters from `self.pos` (just after a backtick or a
    /// closing `}`) to the closing backtick or the next `${`.
    fn template_part(&mut self, start: usize, nl: bool) -> Result<(), EsmError> {
        loop {
            match self.b.get(self.pos) {
                None => return Err(err_at(self.src, start, "unterminated template literal")),
                Some(b'\\') => self.pos += 2,
                Some(b'`') => {
                    self.pos += 1;
                    self.push(Kind::Template, start, nl);
                    return Ok(());
                }
                Some(b'$') if self.b.get(self.pos + 1) == Some(&b'{') => {
                    self.pos += 2;
                    self.push(Kind::Template, start, nl);
                    self.stack.push(b'$');
                    return Ok(());
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn run(mut self) -> Result<Vec<Tok>, EsmError> {
        let mut nl = false;
        while self.pos < self.b.len() {
            let c = self.b[self.pos];
            let start = self.pos;
            match c {
                b'\n' | b'\r' => {
                    nl = true;
                    self.pos += 1;
                    continue;
                }
                b' ' | b'\t' | 0x0b | 0x0c => {
                    self.pos += 1;
                    continue;
                }
                b'/' if self.b.get(self.pos + 1) == Some(&b'/') => {
                    while self.pos < self.b.len() && self.b[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                    continue;
                }
                b'/' if self.b.get(self.pos + 1) == Some(&b'*') => {
                    let end = self.src[self.pos + 2..]
                        .find("*/")
                        .ok_or_else(|| err_at(self.src, start, "unterminated comment"))?;
                    nl |= self.src[self.pos..self.pos + 2 + end].contains('\n');
                    self.pos += end + 4;
                    continue;
                }
                b'/' if self.regex_allowed() => {
                    self.pos += 1;
                    let mut class = false;
                    loop {
                        match self.b.get(self.pos) {
                            None | Some(b'\n') => {
                                return Err(err_at(
                                    self.src,
                                    start,
                                    "unterminated regular expression",
                                ))
                            }
                            Some(b'\\') => self.pos += 2,
                            Some(b'[') => {
                                class = true;
                                self.pos += 1
                            }
                            Some(b']') => {
                                class = false;
                                self.pos += 1
                            }
                            Some(b'/') if !class => {
                                self.pos += 1;
                                break;
                            }
                            Some(_) => self.pos += 1,
                        }
                    }
                    while self.pos < self.b.len()
                        && (self.b[self.pos].is_ascii_alphanumeric() || self.b[self.pos] == b'$')
                    {
                        self.pos += 1;
                    }
                    self.push(Kind::Regex, start, nl);
                }
                b'"' | b'\'' => {
                    self.pos += 1;
                    loop {
                        match self.b.get(self.pos) {
                            None | Some(b'\n') => {
                                return Err(err_at(self.src, start, "unterminated string"))
                            }
                            Some(b'\\') => self.pos += 2,
                            Some(&q) if q == c => {
                                self.pos += 1;
                                break;
                            }
                            Some(_) => self.pos += 1,
                        }
                    }
                    self.pos = self.pos.min(self.b.len());
                    self.push(Kind::Str, start, nl);
                }
                b'`' => {
                    self.pos += 1;
                    self.template_part(start, nl)?;
                }
                b'}' if self.stack.last() == Some(&b'$') => {
                    self.stack.pop();
                    self.pos += 1;
                    self.template_part(start, nl)?;
                }
                b'(' | b'[' | b'{' => {
                    self.pos += 1;
                    self.push(Kind::Punct, start, nl);
                    self.stack.push(c);
                }
                b')' | b']' | b'}' => {
                    self.stack.pop();
                    self.pos += 1;
                    self.push(Kind::Punct, start, nl);
                }
                b'0'..=b'9' => {
                    while self.pos < self.b.len()
                        && (self.b[self.pos].is_ascii_alphanumeric()
                            || self.b[self.pos] == b'.'
                            || self.b[self.pos] == b'_')
                    {
                        self.pos += 1;
                    }
                    self.push(Kind::Num, start, nl);
                }
                b'.' if self.b.get(self.pos + 1).is_some_and(u8::is_ascii_digit) => {
                    self.pos += 1;
                    while self.pos < self.b.len() && self.b[self.pos].is_ascii_alphanumeric() {
                        self.pos += 1;
                    }
                    self.push(Kind::Num, start, nl);
                }
                _ => {
                    let ch = self.src[self.pos..].chars().next().unwrap_or(' ');
                    if is_ident_start(ch) || ch == '\\' || ch == '#' {
                        self.pos += ch.len_utf8();
                        while let Some(n) = self.src[self.pos..].chars().next() {
                            if is_ident_char(n) || n == '\\' {
                                self.pos += n.len_utf8();
                            } else {
                                break;
                            }
                        }
                        self.push(Kind::Ident, start, nl);
                    } else if ch.is_whitespace() {
                        // U+2028, U+2029 end lines; other Unicode spaces do not.
                        nl |= matches!(ch, '\u{2028}' | '\u{2029}');
                        self.pos += ch.len_utf8();
                        continue;
                    } else {
                        // Punctuators: one character each is enough here,
                        // except `...` and `=>`, which the rewrite reads.
                        let rest = &self.src[self.pos..];
                        self.pos += if rest.starts_with("...") {
                            3
                        } else if rest.starts_with("=>") {
                            2
                        } else {
                            ch.len_utf8()
                        };
                        self.push(Kind::Punct, start, nl);
                    }
                }
            }
            nl = false;
        }
        if self.stack.contains(&b'$') {
            return Err(err_at(
                self.src,
                self.src.len(),
                "unterminated template literal",
            ));
        }
        Ok(self.toks)
    }
}

pub(super) fn tokens(src: &str) -> Result<Vec<Tok>, EsmError> {
    Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        toks: Vec::new(),
        stack: Vec::new(),
    }
    .run()
}
