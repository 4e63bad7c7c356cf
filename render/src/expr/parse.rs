//! The expression parser: precedence climbing in loops, every nesting
//! counted against [`MAX_DEPTH`](super::MAX_DEPTH) and every tree's height
//! against [`MAX_HEIGHT`](super::MAX_HEIGHT), so no input overflows a stack.

use super::*;

struct Parser<'a> {
    src: &'a str,
    /// The names of the file's sjs imports: the only functions a call may name.
    calls: &'a [String],
    pos: usize,
    depth: usize,
    /// The height of the expression the last parse function returned.
    height: usize,
}

/// Parses a whole expression.
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    parse_with(src, &[])
}

/// Parses a whole expression in a file whose `<import-sjs>` bind `calls`:
/// `name(…)` and `name.member(…)` call them; any other call is an error.
pub fn parse_with(src: &str, calls: &[String]) -> Result<Expr, ExprError> {
    let mut p = Parser {
        src,
        calls,
        pos: 0,
        depth: 0,
        height: 0,
    };
    let e = p.expr()?;
    p.ws();
    if p.pos != src.len() {
        return Err(p.err("unexpected text after the expression"));
    }
    Ok(e)
}

/// Parses the body of an object literal without braces (`a: 1, ...b`), as
/// `<template is data="{{...}}">` allows.
pub fn parse_object_body(src: &str) -> Result<Expr, ExprError> {
    parse_object_body_with(src, &[])
}

/// [`parse_object_body`] in a file whose sjs imports bind `calls`.
pub fn parse_object_body_with(src: &str, calls: &[String]) -> Result<Expr, ExprError> {
    let mut p = Parser {
        src,
        calls,
        pos: 0,
        depth: 0,
        height: 0,
    };
    let parts = p.object_parts(None)?;
    p.ws();
    if p.pos != src.len() {
        return Err(p.err("unexpected text after the object"));
    }
    p.grown(p.height + 1)?;
    Ok(Expr::Object(parts))
}

impl<'a> Parser<'a> {
    fn err(&self, m: impl Into<String>) -> ExprError {
        ExprError {
            offset: self.pos,
            message: m.into(),
        }
    }
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }
    fn ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.src.len() - trimmed.len();
    }
    fn eat(&mut self, s: &str) -> bool {
        self.ws();
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, s: &str) -> Result<(), ExprError> {
        if self.eat(s) {
            Ok(())
        } else {
            Err(self.err(format!("expected `{s}`")))
        }
    }
    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!(
                "expression nested too deeply (more than {MAX_DEPTH} levels)"
            )));
        }
        Ok(())
    }

    /// Records `height` as the height of the expression being returned,
    /// refusing a tree taller than [`MAX_HEIGHT`] before it is built.
    fn grown(&mut self, height: usize) -> Result<(), ExprError> {
        if height > MAX_HEIGHT {
            return Err(self.err(format!(
                "expression too long: more than {MAX_HEIGHT} operators or links in one chain"
            )));
        }
        self.height = height;
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let cond = self.binary(0)?;
        let out = if self.eat("?") {
            let hc = self.height;
            let a = self.expr()?;
            let ha = self.height;
            self.expect(":")?;
            let b = self.expr()?;
            let h = hc.max(ha).max(self.height) + 1;
            self.grown(h)?;
            Expr::Cond(Box::new(cond), Box::new(a), Box::new(b))
        } else {
            cond
        };
        self.depth -= 1;
        Ok(out)
    }

    fn binop(&mut self, level: usize) -> Option<BinOp> {
        self.ws();
        let r = self.rest();
        let table: &[(&str, BinOp)] = match level {
            0 => &[("||", BinOp::Or)],
            1 => &[("&&", BinOp::And)],
            2 => &[
                ("===", BinOp::StrictEq),
                ("!==", BinOp::StrictNe),
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
            ],
            3 => &[
                ("<=", BinOp::Le),
                (">=", BinOp::Ge),
                ("<", BinOp::Lt),
                (">", BinOp::Gt),
            ],
            4 => &[("+", BinOp::Add), ("-", BinOp::Sub)],
            5 => &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
            _ => &[],
        };
        for (s, op) in table {
            if r.starts_with(s) {
                self.pos += s.len();
                return Some(*op);
            }
        }
        None
    }

    fn binary(&mut self, level: usize) -> Result<Expr, ExprError> {
        if level > 5 {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        let mut h = self.height;
        while let Some(op) = self.binop(level) {
            let right = self.binary(level + 1)?;
            h = h.max(self.height) + 1;
            self.grown(h)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        self.height = h;
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        self.ws();
        let op = match self.rest().as_bytes().first() {
            Some(b'!') => UnaryOp::Not,
            Some(b'-') => UnaryOp::Neg,
            Some(b'+') => UnaryOp::Plus,
            _ => return self.postfix(),
        };
        self.pos += 1;
        self.enter()?;
        let e = self.unary()?;
        self.depth -= 1;
        self.grown(self.height + 1)?;
        Ok(Expr::Unary(op, Box::new(e)))
    }

    fn postfix(&mut self) -> Result<Expr, ExprError> {
        let mut e = self.primary()?;
        let mut h = self.height;
        loop {
            self.ws();
            if self.rest().starts_with('.') && !self.rest().starts_with("...") {
                self.pos += 1;
                self.ws();
                let name = self
                    .ident()
                    .ok_or_else(|| self.err("expected a property name after `.`"))?;
                h += 1;
                self.grown(h)?;
                e = Expr::Member(Box::new(e), name);
            } else if self.eat("[") {
                let idx = self.expr()?;
                self.expect("]")?;
                h = h.max(self.height) + 1;
                self.grown(h)?;
                e = Expr::Index(Box::new(e), Box::new(idx));
            } else if self.rest().starts_with('(') && self.sjs_callee(&e).is_some() {
                let (call, ah) = self.call(&e)?;
                e = call;
                h = h.max(ah) + 1;
                self.grown(h)?;
            } else if self.rest().starts_with('(')
                && matches!(&e, Expr::Member(_, n) if super::methods::METHODS.contains(&n.as_str()))
            {
                let (call, ah) = self.method(e)?;
                e = call;
                h = h.max(ah) + 1;
                self.grown(h)?;
            } else if self.rest().starts_with('(') {
                let callee = match &e {
                    Expr::Ident(n) | Expr::Member(_, n) => format!("`{n}(…)`"),
                    _ => "this call".to_owned(),
                };
                return Err(self.err(format!(
                    "{callee}: templates cannot call this: only functions of the sjs modules \
                     the file imports and the string, array and number methods Alipay's \
                     templates allow (substring, includes, toFixed, …); compute the value in \
                     the page's JS and pass it with setData"
                )));
            } else {
                self.height = h;
                return Ok(e);
            }
        }
    }

    /// The call of the sjs function `callee` names, at `(`, and the
    /// height of its tallest argument. Out of line: the parser's recursion
    /// keeps its frames small.
    #[inline(never)]
    fn call(&mut self, callee: &Expr) -> Result<(Expr, usize), ExprError> {
        let path = self.sjs_callee(callee).unwrap_or_default();
        let (args, tallest) = self.args()?;
        Ok((Expr::Call(path.into(), args.into()), tallest))
    }

    /// A call's arguments, from its `(` to its `)`, and the height of the
    /// tallest.
    fn args(&mut self) -> Result<(Vec<Expr>, usize), ExprError> {
        self.pos += 1;
        self.enter()?;
        let mut args = Vec::new();
        let mut tallest = 0;
        if !self.eat(")") {
            loop {
                args.push(self.expr()?);
                tallest = tallest.max(self.height);
                if self.eat(")") {
                    break;
                }
                self.expect(",")?;
            }
        }
        self.depth -= 1;
        Ok((args, tallest))
    }

    /// `value.method(…)`, at `(`, and the height of its tallest argument.
    #[inline(never)]
    fn method(&mut self, callee: Expr) -> Result<(Expr, usize), ExprError> {
        let Expr::Member(value, name) = callee else {
            return Err(self.err("expected a method"));
        };
        let (args, tallest) = self.args()?;
        Ok((Expr::Method(Box::new((*value, name, args))), tallest))
    }

    /// The callee path of `e` when it names an sjs import or one of its
    /// members (`m`, `m.f`, `m.a.b`).
    fn sjs_callee(&self, e: &Expr) -> Option<Vec<String>> {
        let mut path = Vec::new();
        let mut cur = e;
        loop {
            match cur {
                Expr::Member(o, n) => {
                    path.push(n.clone());
                    cur = o;
                }
                Expr::Ident(n) if self.calls.contains(n) => {
                    path.push(n.clone());
                    path.reverse();
                    return Some(path);
                }
                _ => return None,
            }
        }
    }

    fn ident(&mut self) -> Option<String> {
        let r = self.rest();
        let mut end = 0;
        for (i, c) in r.char_indices() {
            let ok = if i == 0 {
                c.is_alphabetic() || c == '_' || c == '$'
            } else {
                c.is_alphanumeric() || c == '_' || c == '$'
            };
            if !ok {
                break;
            }
            end = i + c.len_utf8();
        }
        if end == 0 {
            return None;
        }
        self.pos += end;
        Some(r[..end].to_owned())
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        self.ws();
        let r = self.rest();
        let Some(c) = r.chars().next() else {
            return Err(self.err("expected an expression"));
        };
        match c {
            '(' => {
                self.pos += 1;
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            '[' => {
                self.pos += 1;
                self.enter()?;
                let mut items = Vec::new();
                let mut h = 0;
                if !self.eat("]") {
                    loop {
                        items.push(self.expr()?);
                        h = h.max(self.height);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                self.depth -= 1;
                self.grown(h + 1)?;
                Ok(Expr::Array(items))
            }
            '{' => {
                self.pos += 1;
                self.enter()?;
                let parts = self.object_parts(Some('}'))?;
                self.depth -= 1;
                self.grown(self.height + 1)?;
                Ok(Expr::Object(parts))
            }
            '\'' | '"' => {
                self.height = 1;
                self.string(c).map(|s| Expr::Lit(Value::String(s)))
            }
            '`' => self.template(),
            '0'..='9' | '.' => {
                self.height = 1;
                self.number()
            }
            _ => {
                self.height = 1;
                let name = self
                    .ident()
                    .ok_or_else(|| self.err(format!("unexpected `{c}`")))?;
                Ok(match name.as_str() {
                    "true" => Expr::Lit(Value::Bool(true)),
                    "false" => Expr::Lit(Value::Bool(false)),
                    "null" => Expr::Lit(Value::Null),
                    "undefined" => Expr::Undefined,
                    _ => Expr::Ident(name),
                })
            }
        }
    }

    fn object_parts(&mut self, close: Option<char>) -> Result<Vec<ObjectPart>, ExprError> {
        let mut parts = Vec::new();
        // The tallest value so far; what the caller reads as the parts' height.
        let mut h = 0;
        let closes = |p: &mut Self| match close {
            Some(c) => p.eat(&c.to_string()),
            None => {
                p.ws();
                p.pos == p.src.len()
            }
        };
        if closes(self) {
            self.height = 0;
            return Ok(parts);
        }
        loop {
            if self.eat("...") {
                parts.push(ObjectPart::Spread(self.expr()?));
                h = h.max(self.height);
            } else {
                self.ws();
                let key = match self.rest().chars().next() {
                    Some(q @ ('\'' | '"')) => self.string(q)?,
                    _ => self
                        .ident()
                        .ok_or_else(|| self.err("expected a property name"))?,
                };
                if self.eat(":") {
                    parts.push(ObjectPart::Field(key, self.expr()?));
                    h = h.max(self.height);
                } else {
                    parts.push(ObjectPart::Field(key.clone(), Expr::Ident(key)));
                    h = h.max(1);
                }
            }
            if closes(self) {
                self.height = h;
                return Ok(parts);
            }
            self.expect(",")?;
        }
    }

    fn string(&mut self, quote: char) -> Result<String, ExprError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.src[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                self.pos += i + 1;
                return Ok(out);
            }
            if c == '\\' {
                match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, e)) => out.push(e),
                    None => break,
                }
            } else {
                out.push(c);
            }
        }
        self.pos = start;
        Err(self.err("unterminated string"))
    }

    /// A template literal, from its opening backtick. Each `${}` holds a
    /// whole expression (template literals included), so nesting counts
    /// against [`MAX_DEPTH`] like brackets do.
    fn template(&mut self) -> Result<Expr, ExprError> {
        let start = self.pos;
        self.pos += 1;
        self.enter()?;
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut h = 0;
        loop {
            let mut chars = self.rest().chars();
            match chars.next() {
                None => {
                    self.pos = start;
                    return Err(self.err("template literal is never closed (no closing backtick)"));
                }
                Some('`') => {
                    self.pos += 1;
                    break;
                }
                Some('\\') => {
                    let Some(e) = chars.next() else {
                        self.pos = start;
                        return Err(
                            self.err("template literal is never closed (no closing backtick)")
                        );
                    };
                    text.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                    self.pos += 1 + e.len_utf8();
                }
                Some('$') if chars.next() == Some('{') => {
                    let open = self.pos;
                    self.pos += 2;
                    if !text.is_empty() {
                        parts.push(TemplatePart::Str(std::mem::take(&mut text)));
                    }
                    let e = self.expr()?;
                    h = h.max(self.height);
                    if !self.eat("}") {
                        if self.rest().is_empty() {
                            self.pos = open;
                            return Err(self.err("`${` is never closed"));
                        }
                        return Err(self.err("expected `}` to end the `${` expression"));
                    }
                    parts.push(TemplatePart::Expr(e));
                }
                Some(c) => {
                    text.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        if !text.is_empty() {
            parts.push(TemplatePart::Str(text));
        }
        self.depth -= 1;
        self.grown(h + 1)?;
        Ok(Expr::Template(parts))
    }

    fn number(&mut self) -> Result<Expr, ExprError> {
        let r = self.rest();
        let end = r
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == 'E'))
            .map_or(r.len(), |(i, _)| i);
        let text = &r[..end];
        let n: f64 = text
            .parse()
            .map_err(|_| self.err(format!("bad number `{text}`")))?;
        self.pos += end;
        Ok(Expr::Lit(num(n)))
    }
}
