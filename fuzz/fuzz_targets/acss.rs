//! ACSS on arbitrary text: a stylesheet that imports another (the input's
//! second part, after the first NUL), then a rule. Nothing may panic or
//! overflow the stack, warnings stay capped, and the imported text can
//! never swallow the rule after its `@import`; scoping the result's class
//! selectors (style isolation) only inserts the prefix.
#![no_main]
use cssparser::{Parser, ParserInput, Token};
use mpkit_render::acss;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let (root, imported) = src.split_once('\0').unwrap_or((src, ""));
    let load = |p: &str| (p == "x.acss").then(|| imported.to_owned());
    let e = acss::expand("app.acss", root, 0.5, &load);
    assert!(e.warnings.len() <= acss::MAX_WARNINGS + 1);
    let _ = acss::rpx_to_px(root, 0.5);
    // Scoping an isolated component's sheet only ever adds the prefix.
    let scoped = acss::scope_classes(&e.css, "_s0-");
    assert_eq!(scoped.replace("_s0-", ""), e.css.replace("_s0-", ""));

    // The top level of the result ends `… } .after {}` or `…; .after {}`.
    let e = acss::expand("app.acss", "@import 'x.acss';\n.after{}", 0.5, &load);
    let mut input = ParserInput::new(&e.css);
    let mut p = Parser::new(&mut input);
    let mut tokens = Vec::new();
    while let Ok(t) = p.next() {
        tokens.push(t.clone());
    }
    let n = tokens.len();
    assert!(n >= 3, "{:?}", e.css);
    assert_eq!(
        tokens[n - 3..],
        [
            Token::Delim('.'),
            Token::Ident("after".into()),
            Token::CurlyBracketBlock
        ],
        "{:?}",
        e.css
    );
    if n > 3 {
        assert!(
            matches!(tokens[n - 4], Token::CurlyBracketBlock | Token::Semicolon),
            "{:?}",
            e.css
        );
    }
});
