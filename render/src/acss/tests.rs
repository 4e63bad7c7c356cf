//! The ACSS tests: every form of A11, hostile input, and properties.
use super::*;
use proptest::prelude::*;

/// A loader over `files`.
fn bundle(files: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect();
    move |p: &str| files.iter().find(|(f, _)| f == p).map(|(_, t)| t.clone())
}

/// `css` as `file` expanded at 0.5 px per rpx over `files`.
fn ex(file: &str, css: &str, files: &[(&str, &str)]) -> Expanded {
    expand(file, css, 0.5, &bundle(files))
}

/// The warnings as the host shows them.
fn said(e: &Expanded) -> Vec<String> {
    e.warnings.iter().map(ToString::to_string).collect()
}

#[test]
fn converts_rpx_in_values() {
    assert_eq!(
        rpx_to_px("width: 750rpx; margin: 10rpx 0.5rpx", 0.5),
        "width: 375px; margin: 5px 0.25px"
    );
    assert_eq!(
        rpx_to_px("h2 { font: 32rpx/1.2 serif } .x2 { top: -20rpx }", 0.5),
        "h2 { font: 16px/1.2 serif } .x2 { top: -10px }"
    );
    assert_eq!(
        rpx_to_px(
            "a: -1.5rpx .5rpx +4rpx 1e2rpx 10RPX 2Rpx 0rpx -0rpx 1.0rpx",
            0.5
        ),
        "a: -0.75px 0.25px 2px 50px 5px 1px 0px 0px 0.5px"
    );
    assert_eq!(
        rpx_to_px(
            "width: calc(100% - 20rpx); top: var(--x, 10rpx); --w: 4rpx; b: max(1rpx, min(2rpx, 3px))",
            0.5
        ),
        "width: calc(100% - 10px); top: var(--x, 5px); --w: 2px; b: max(0.5px, min(1px, 3px))"
    );
    // Other numbers and units stay; so does rpx that is not a dimension.
    assert_eq!(
        rpx_to_px("a: 2px 3 4% 5rpxx rpx 6 rpx", 0.5),
        "a: 2px 3 4% 5rpxx rpx 6 rpx"
    );
    // Rounded to 3 decimals, integers without a fraction.
    assert_eq!(
        rpx_to_px("a: 1rpx 3rpx 1000rpx 0.0001rpx", 414.0 / 750.0),
        "a: 0.552px 1.656px 552px 0px"
    );
    // The number is read from the source, not from cssparser's f32.
    assert_eq!(
        rpx_to_px("a: 123456789rpx 1.1rpx", 1.0),
        "a: 123456789px 1.1px"
    );
    // A unit written with an escape is still rpx.
    assert_eq!(rpx_to_px(r"a: 2\72 px", 1.0), "a: 2px");
    // Too large to be a number: left as written.
    assert_eq!(rpx_to_px("a: 1e400rpx", 1.0), "a: 1e400rpx");
}

#[test]
fn leaves_rpx_outside_values() {
    for css in [
        "content: 'é 2rpx'",
        r#"content: "20rpx wide""#,
        r#"content: "a\"20rpx""#,
        "background: url(20rpx.png)",
        "background: url( 'a 20rpx.png' )",
        "background: URL(\"20rpx.png\") no-repeat",
        "/* 20rpx */ color: red",
        "font-family: x20rpx, rpx, -rpx",
        ".x20rpx { color: red }",
        ".rpx, #a20rpx, [data-w=\"20rpx\"], [w=x20rpx] { color: red }",
        "a:nth-child(20rpx) { color: red }",
        "@media (min-width: 300rpx) { }",
        "@supports (width: 10rpx) { }",
        "@font-feature-values x { }",
    ] {
        assert_eq!(rpx_to_px(css, 0.5), css, "{css}");
    }
    assert_eq!(
        rpx_to_px(
            "@media (min-width: 300rpx) and (max-width: 600RPX) { .a20rpx { width: 300rpx } }",
            0.5
        ),
        "@media (min-width: 300rpx) and (max-width: 600RPX) { .a20rpx { width: 150px } }"
    );
    assert_eq!(
        rpx_to_px(r#".a::after { content: "2rpx"; width: 2rpx }"#, 0.5),
        r#".a::after { content: "2rpx"; width: 1px }"#
    );
}

#[test]
fn reads_nested_rules_and_at_rules() {
    let css = ".a { width: 2rpx; .b { top: 2rpx } &:hover { left: 2rpx } \
               a:not(.c20rpx) { right: 2rpx } @media (width > 2rpx) { bottom: 2rpx } }\n\
               @keyframes k { from { left: 2rpx } 50% { left: 4rpx } to { left: 6rpx } }\n\
               @font-face { font-family: f; src: url(f20rpx.ttf) }\n\
               @page { margin: 2rpx; @top-left { content: '2rpx' } }\n\
               :root { --w: 2rpx; --block: { a: 2rpx } }";
    let want = ".a { width: 1px; .b { top: 1px } &:hover { left: 1px } \
               a:not(.c20rpx) { right: 1px } @media (width > 2rpx) { bottom: 1px } }\n\
               @keyframes k { from { left: 1px } 50% { left: 2px } to { left: 3px } }\n\
               @font-face { font-family: f; src: url(f20rpx.ttf) }\n\
               @page { margin: 1px; @top-left { content: '2rpx' } }\n\
               :root { --w: 1px; --block: { a: 1px } }";
    assert_eq!(rpx_to_px(css, 0.5), want);
    let e = ex("app.acss", css, &[]);
    assert_eq!(e.css, want);
    assert!(e.warnings.is_empty(), "{:?}", said(&e));
}

#[test]
fn a_stylesheet_has_no_declarations_at_its_top_level() {
    // `a:hover{…}` and `x: 2rpx {…}` are selectors; text before a `;` at
    // the top level is part of the next rule's selector, as in browsers.
    let e = ex(
        "app.acss",
        "a:hover{top:2rpx} x: 2rpx {left: 2rpx} y: 4rpx; z{}",
        &[],
    );
    assert_eq!(e.css, "a:hover{top:1px} x: 2rpx {left: 1px} y: 4rpx; z{}");
    assert!(e.warnings.is_empty());
}

#[test]
fn expands_imports_once_and_inside_the_bundle() {
    let files = [
        (
            "common/base.acss",
            ".base { padding: 20rpx }\n@import './more.acss';",
        ),
        ("common/more.acss", ".more {}\n@import 'base.acss';"),
    ];
    let e = ex(
        "app.acss",
        "@import 'common/base.acss';\n.app { width: 750rpx }",
        &files,
    );
    assert_eq!(
        e.css,
        ".base { padding: 10px }\n.more {}\n\n.app { width: 375px }"
    );
    assert!(e.warnings.is_empty(), "{:?}", said(&e));

    let e = ex("app.acss", "@import '../../x.acss';\n.a{}", &files);
    assert_eq!(e.css, "\n.a{}");
    assert_eq!(
        said(&e),
        ["app.acss:1:1: @import \"../../x.acss\" leaves the bundle; skipped"]
    );
    let e = ex("pages/a/a.acss", ".a{}\n  @import 'nope.acss';.b{}", &files);
    assert_eq!(e.css, ".a{}\n  .b{}");
    assert_eq!(
        said(&e),
        ["pages/a/a.acss:2:3: @import \"nope.acss\": no such file \
          (tried pages/a/nope.acss, pages/a/node_modules/nope.acss, \
          pages/node_modules/nope.acss, node_modules/nope.acss); skipped"]
    );
}

#[test]
fn reads_every_import_form() {
    let files = [
        ("a.acss", ".a{w:2rpx}"),
        ("b.acss", ".b{}"),
        ("c.acss", ".c{}"),
        ("d.acss", ".d{}"),
        ("e.acss", ".e{}"),
        ("f.acss", ".f{}"),
    ];
    // Minified, several on a line, rules right after, every target form.
    let e = ex(
        "app.acss",
        "@import \"a.acss\";@import 'b';.x{color:red}\n\
         @import url(c.acss); @IMPORT url( 'd' ) ;@import url(\"e.acss\")/*x*/;.y{}@import 'f'",
        &files,
    );
    assert_eq!(
        e.css,
        ".a{w:1px}\n.b{}\n.x{color:red}\n.c{}\n .d{}\n.e{}\n.y{}.f{}\n"
    );
    assert!(e.warnings.is_empty(), "{:?}", said(&e));
}

#[test]
fn resolves_targets_like_other_bundle_paths() {
    let files = [
        ("styles/x.wxss", ".wxss{}"),
        ("styles/y.wxss.acss", ".wxss-acss{}"),
        ("styles/z.css", ".css{}"),
        ("styles/t.acss", ".t{}"),
        ("pages/a/local/s.acss", ".local{}"),
        ("pages/node_modules/ui/es/style.acss", ".ui{}"),
        ("node_modules/ui/es/style.acss", ".root-ui{}"),
        ("node_modules/lib/index.acss", ".lib{}"),
    ];
    let e = ex(
        "pages/a/a.acss",
        "@import '/styles/x.wxss';@import '../../styles/y.wxss';\
         @import '/styles/z.css';@import '/styles/t';@import 'local/s';\
         @import 'ui/es/style.acss';@import 'lib/index';",
        &files,
    );
    assert_eq!(
        e.css,
        ".wxss{}\n.wxss-acss{}\n.css{}\n.t{}\n.local{}\n.ui{}\n.lib{}\n"
    );
    assert!(e.warnings.is_empty(), "{:?}", said(&e));
    // `.css` and `.acss` are not tried with `.acss` appended.
    let e = ex("app.acss", "@import 'styles/none.css';", &files);
    assert_eq!(
        said(&e),
        ["app.acss:1:1: @import \"styles/none.css\": no such file \
          (tried styles/none.css, node_modules/styles/none.css); skipped"]
    );
    // A relative target never goes to node_modules.
    let e = ex("pages/a/a.acss", "@import './lib/index';", &files);
    assert!(e.css.is_empty());
    assert_eq!(e.warnings.len(), 1);
}

#[test]
fn a_missing_or_unreadable_import_is_a_warning() {
    // Taro imports a `.wxss` it never emits.
    let e = ex(
        "pages/index/index.acss",
        "@import \"../../app.wxss\";\n@import url(//fonts.example/x.css);\n\
         @import 'https://cdn.example/a.css';\n@import '';\n.a { width: 2rpx }",
        &[],
    );
    assert_eq!(e.css, "\n\n\n\n.a { width: 1px }");
    assert_eq!(
        said(&e),
        [
            "pages/index/index.acss:1:1: @import \"../../app.wxss\": no such file \
             (tried app.wxss, app.wxss.acss); skipped",
            "pages/index/index.acss:2:1: @import \"//fonts.example/x.css\": only \
             stylesheets inside the bundle are included; skipped",
            "pages/index/index.acss:3:1: @import \"https://cdn.example/a.css\": only \
             stylesheets inside the bundle are included; skipped",
            "pages/index/index.acss:4:1: @import with an empty target; skipped",
        ]
    );
}

#[test]
fn an_import_inside_a_block_is_dropped() {
    let files = [("a.acss", ".a{}")];
    let e = ex(
        "app.acss",
        ".x { @import 'a.acss'; color: red }\n@media screen { @import 'a.acss' }\n.y{}",
        &files,
    );
    assert_eq!(e.css, ".x {  color: red }\n@media screen { }\n.y{}");
    assert_eq!(
        said(&e),
        [
            "app.acss:1:6: @import is only read at the top level of a stylesheet; \
             this one is inside a block and dropped",
            "app.acss:2:17: @import is only read at the top level of a stylesheet; \
             this one is inside a block and dropped",
        ]
    );
}

#[test]
fn keeps_an_imports_media_list_as_a_wrapper() {
    let files = [("a.acss", ".a{w:2rpx}"), ("b.acss", ".b{}")];
    let e = ex(
        "app.acss",
        "@import 'a.acss' screen and (min-width: 300rpx) ;@import 'b' layer(x);",
        &files,
    );
    assert_eq!(
        e.css,
        "@media screen and (min-width: 300rpx) {\n.a{w:1px}\n}\n.b{}\n"
    );
    assert_eq!(
        said(&e),
        [
            "app.acss:1:50: @import \"b\": layer and supports() conditions are not \
          supported; included without its conditions"
        ]
    );
}

#[test]
fn a_malformed_import_is_dropped_with_a_warning() {
    for (css, want, message) in [
        ("@import;.a{}", ".a{}", "without a string or url() target"),
        ("@import", "", "without a string or url() target"),
        (
            "@import 12;.a{}",
            ".a{}",
            "without a string or url() target",
        ),
        ("@import url();.a{}", ".a{}", "empty target"),
        (
            "@import url(a b);.a{}",
            ".a{}",
            "without a string or url() target",
        ),
        ("@import \"a.acss\" { .b{} } .a{}", " .a{}", "{} block"),
    ] {
        let e = ex("app.acss", css, &[("a.acss", ".imported{}")]);
        assert_eq!(e.css, want, "{css}");
        assert_eq!(e.warnings.len(), 1, "{css}: {:?}", said(&e));
        assert!(
            e.warnings[0].message.contains(message),
            "{css}: {:?}",
            said(&e)
        );
    }
}

#[test]
fn imports_break_cycles_and_stop_at_the_depth_cap() {
    let files = [
        ("a.acss", "@import 'b.acss'; .a{}"),
        ("b.acss", "@import 'app.acss'; @import 'a.acss'; .b{}"),
    ];
    let e = ex("app.acss", "@import 'a.acss'; .app{}", &files);
    assert_eq!(e.css, "  .b{}\n .a{}\n .app{}");
    assert!(e.warnings.is_empty());

    // f0 imports f1 … f20: the file at depth 16 may not import.
    let chain: Vec<(String, String)> = (1..=20)
        .map(|i| {
            (
                format!("f{i}.acss"),
                format!("@import 'f{}.acss';.f{i}{{}}", i + 1),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = chain
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let e = ex("f0.acss", "@import 'f1.acss';.f0{}", &refs);
    let want: String = (0..=16).rev().map(|i| format!(".f{i}{{}}\n")).collect();
    assert_eq!(e.css, want.trim_end());
    assert_eq!(
        said(&e),
        ["f16.acss:1:1: @import \"f17.acss\": imports nested more than 16 files deep; skipped"]
    );
}

#[test]
fn closes_what_a_file_leaves_open() {
    // Each of these, imported, must not swallow the rule after the import.
    for (css, closed) in [
        (".a { content: \"x", ".a { content: \"x\"}"),
        (".a { content: 'x\\", ".a { content: 'x\\\n'}"),
        (".a { background: url(x.png", ".a { background: url(x.png)}"),
        (".a { background: url(x\\", ".a { background: url(x\\\n)}"),
        (".a { background: url(\"x", ".a { background: url(\"x\")}"),
        // After a space, cssparser reads a url's first backslash as a plain
        // byte, so two backslashes still escape a `)`.
        (".a { b: url(x \\\\", ".a { b: url(x \\\\\n)}"),
        (".a { color: red /* x", ".a { color: red /* x*/}"),
        ("/*/", "/*/*/"),
        (".a { b: calc(1px + [2", ".a { b: calc(1px + [2])}"),
        (".a { .b { c: d", ".a { .b { c: d}}"),
        (".a", ".a{}"),
        (".a\\", ".a\\\n{}"),
        ("@media screen", "@media screen;"),
        ("a { x: \"1\\\"", "a { x: \"1\\\"\"}"),
    ] {
        let e = ex(
            "app.acss",
            "@import 'a.acss';\n.after{}",
            &[("a.acss", css)],
        );
        assert_eq!(e.css, format!("{closed}\n\n.after{{}}"), "{css:?}");
        assert_eq!(e.warnings.len(), 1, "{css:?}");
        assert_eq!(e.warnings[0].file, "a.acss");
        assert!(
            e.warnings[0].message.starts_with("the file ends inside"),
            "{:?}",
            said(&e)
        );
        assert_top_level_rule_last(&e.css, "after");
    }
    // Where nothing is open, nothing is added.
    for css in [
        "a{}",
        "a{} /* x */",
        "@charset 'x';",
        "a { b: 'c' }",
        "a{ b: url(x) }",
    ] {
        let e = ex("app.acss", css, &[]);
        assert_eq!(e.css, css);
        assert!(e.warnings.is_empty(), "{css}: {:?}", said(&e));
    }
    // A root file is closed too, at its last line and column.
    let e = ex("app.acss", "a {\n  b: 2rpx", &[]);
    assert_eq!(e.css, "a {\n  b: 1px}");
    assert_eq!(
        said(&e),
        [
            "app.acss:2:10: the file ends inside an unterminated comment, string, url, \
          block or rule; closed with `}`"
        ]
    );
    // A style attribute is not closed.
    assert_eq!(rpx_to_px("a: 2rpx; b: 'x", 0.5), "a: 1px; b: 'x");
}

/// The last rule at the top level of `css` is `.name{…}`, standing alone.
fn assert_top_level_rule_last(css: &str, name: &str) {
    let mut input = ParserInput::new(css);
    let mut p = Parser::new(&mut input);
    let mut tokens = Vec::new();
    while let Ok(t) = p.next() {
        tokens.push(t.clone());
    }
    let n = tokens.len();
    assert!(n >= 3, "{css:?}");
    assert_eq!(tokens[n - 3], Token::Delim('.'), "{css:?}");
    assert_eq!(tokens[n - 2], Token::Ident(name.into()), "{css:?}");
    assert_eq!(tokens[n - 1], Token::CurlyBracketBlock, "{css:?}");
    if n > 3 {
        assert!(
            matches!(tokens[n - 4], Token::CurlyBracketBlock | Token::Semicolon),
            "{css:?}: {:?}",
            tokens[n - 4]
        );
    }
}

#[test]
fn survives_hostile_input() {
    // Deep nesting of every kind, on a 1 MB stack, imported 16 deep.
    let out = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let deep: Vec<(String, String)> = (0..=16)
                .map(|i| {
                    let open = ["{", "(", "[", "a{b:calc("][i % 4].repeat(10_000);
                    (
                        format!("d{i}.acss"),
                        format!("@import 'd{}.acss';.x{{y:2rpx}}{open}", i + 1),
                    )
                })
                .collect();
            let load = move |p: &str| deep.iter().find(|(f, _)| f == p).map(|(_, t)| t.clone());
            let e = expand("d0.acss", &load("d0.acss").unwrap_or_default(), 0.5, &load);
            let r = rpx_to_px(&"a{b:2rpx;c:calc(".repeat(10_000), 0.5);
            (e, r)
        })
        .expect("spawns")
        .join()
        .expect("does not overflow the stack");
    let (e, r) = out;
    assert!(e.css.len() < 20_000, "{}", e.css.len());
    assert!(e.css.contains(".x{y:1px}{{{"));
    assert!(e
        .warnings
        .iter()
        .any(|w| w.message.contains("nested more than 64 deep")));
    assert!(
        r.starts_with("a{b:1px;c:calc(a{b:1px;c:calc("),
        "{}",
        &r[..40]
    );

    // Unterminated everything, and no target.
    for css in [
        "a{content:\"20rpx",
        "a{b:url(20rpx",
        "a{b:2rpx",
        "a{b:2rpx /* 2rpx",
        "@import",
        "@import ",
        "@import url(",
        "@import url(\"",
        "@import \"",
        "\\",
        "@",
        "a{@import",
    ] {
        let e = ex("app.acss", css, &[]);
        assert!(!e.warnings.is_empty(), "{css}");
        let e = ex("app.acss", "@import 'x.acss';.after{}", &[("x.acss", css)]);
        assert_top_level_rule_last(&e.css, "after");
    }

    // A megabyte of rules.
    let big = "a{b:1rpx}".repeat(120_000);
    let e = ex("app.acss", &big, &[]);
    assert_eq!(e.css, "a{b:0.5px}".repeat(120_000));
    assert!(e.warnings.is_empty());
    // And of warnings: they stop at a hundred.
    let e = ex("app.acss", &"a{@import 'x'}".repeat(10_000), &[]);
    assert_eq!(e.css, "a{}".repeat(10_000));
    assert_eq!(e.warnings.len(), MAX_WARNINGS + 1);
}

/// The raw text of every string token in `css`, blocks included.
fn strings(css: &str) -> Vec<String> {
    fn walk<'i>(p: &mut Parser<'i, '_>, out: &mut Vec<String>) {
        loop {
            let at = p.position();
            let Ok(t) = p.next_including_whitespace_and_comments() else {
                return;
            };
            match t {
                Token::QuotedString(_) => out.push(p.slice_from(at).to_owned()),
                Token::Function(_)
                | Token::ParenthesisBlock
                | Token::SquareBracketBlock
                | Token::CurlyBracketBlock => {
                    let _ = p.parse_nested_block(|q| -> Nested<'i> {
                        walk(q, out);
                        Ok(())
                    });
                }
                _ => {}
            }
        }
    }
    let mut input = ParserInput::new(css);
    let mut p = Parser::new(&mut input);
    let mut out = Vec::new();
    walk(&mut p, &mut out);
    out
}

/// CSS-ish text: the characters that matter to the tokenizer, and rpx.
fn cssish(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("rpx".to_owned()),
        Just("2rpx".to_owned()),
        Just("@import ".to_owned()),
        Just("\\".to_owned()),
        plain_piece(),
    ];
    proptest::collection::vec(piece, 0..max).prop_map(|v| v.concat())
}

/// CSS-ish text without rpx, `@import` or backslashes.
fn plain(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(plain_piece(), 0..max).prop_map(|v| v.concat())
}

fn plain_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("url(".to_owned()),
        Just("calc(".to_owned()),
        Just("/*".to_owned()),
        Just("*/".to_owned()),
        "[ {}()\\[\\];:\"'.,@a-z0-9/*\n\u{e9}-]",
        any::<char>().prop_map(String::from),
    ]
}

/// Style isolation: class selectors renamed, in groups and functions;
/// everything else as written.
#[test]
fn scoped_classes_are_renamed_in_selectors_only() {
    let cases = [
        (".a{color:red}", ".p-a{color:red}"),
        (
            "view.a > .b, .c:hover::after {}",
            "view.p-a > .p-b, .p-c:hover::after {}",
        ),
        (":not(.a):is(.b, .c) {}", ":not(.p-a):is(.p-b, .p-c) {}"),
        (
            "[class~=a] .b[data-x='.c'] {}",
            "[class~=a] .p-b[data-x='.c'] {}",
        ),
        (
            ".a { width: .5em; content: '.b' }",
            ".p-a { width: .5em; content: '.b' }",
        ),
        ("/* .a */ .b {}", "/* .a */ .p-b {}"),
        (
            "@media (min-width: 1px) { @supports (x: y) { .a {} } }",
            "@media (min-width: 1px) { @supports (x: y) { .p-a {} } }",
        ),
        (
            "@keyframes k { from { top: 0 } } @font-face { src: url(.a) }",
            "@keyframes k { from { top: 0 } } @font-face { src: url(.a) }",
        ),
        ("@import '.a'; .b {}", "@import '.a'; .p-b {}"),
        (".\\31 a {}", ".p-\\31 a {}"),
    ];
    for (css, want) in cases {
        assert_eq!(scope_classes(css, "p-"), want, "{css}");
    }
}

/// A hostile sheet: nesting past the block limit is copied, not entered,
/// and nothing overflows; text that is not CSS is copied.
#[test]
fn scoping_a_hostile_sheet_stays_bounded() {
    let deep = format!("{}.a{{}}{}", "@media x{".repeat(10_000), "}".repeat(10_000));
    let out = scope_classes(&deep, "p-");
    assert_eq!(out.matches("p-").count(), 0, "past the limit: copied");
    let fns = format!("{}.a{}{{}}", ":is(".repeat(10_000), ")".repeat(10_000));
    let out = scope_classes(&fns, "p-");
    assert_eq!(out.replace("p-", ""), fns);
    assert_eq!(scope_classes("}}{{.a", "p-"), "}}{{.a");
}

proptest! {
    #[test]
    fn expand_never_panics(css in cssish(80), other in cssish(40)) {
        let load = |p: &str| (p != "app.acss").then(|| other.clone());
        let e = expand("app.acss", &css, 0.5, &load);
        let _ = e.warnings.iter().map(ToString::to_string).count();
        let _ = rpx_to_px(&css, 0.5);
        let _ = rpx_to_px(&css, f64::NAN);
    }

    #[test]
    fn text_without_rpx_or_import_comes_out_as_written(css in plain(40)) {
        let css = css.replace('\\', "");
        let lower = css.to_ascii_lowercase();
        if lower.contains("rpx") || lower.contains("@import") {
            return Ok(());
        }
        prop_assert_eq!(rpx_to_px(&css, 0.5), css.clone());
        let e = expand("app.acss", &css, 0.5, &|_: &str| None);
        if e.warnings.is_empty() {
            prop_assert_eq!(e.css, css);
        } else {
            // Only closers are added at the end.
            prop_assert_eq!(e.warnings.len(), 1);
            let added = e.css.strip_prefix(css.as_str());
            prop_assert!(added.is_some(), "{:?} -> {:?}", css, e.css);
            let closers = "*/\"')]};{\n";
            prop_assert!(added.unwrap_or_default().chars().all(|c| closers.contains(c)));
        }
    }

    #[test]
    fn an_import_never_swallows_the_rule_after_it(css in cssish(60)) {
        let load = |p: &str| (p == "x.acss").then(|| css.clone());
        let e = expand("app.acss", "@import 'x.acss';\n.after{}", 0.5, &load);
        assert_top_level_rule_last(&e.css, "after");
    }

    #[test]
    fn strings_are_never_altered(css in cssish(60)) {
        prop_assert_eq!(strings(&rpx_to_px(&css, 0.5)), strings(&css));
    }

    #[test]
    fn strings_with_rpx_survive_expansion(
        s in "[a-z0-9 .:;{}()/*-]{0,20}rpx[a-z0-9 .:;{}()/*-]{0,20}",
        n in 0u32..10_000,
    ) {
        let css = format!(".a{{content:\"{s}\";width:{n}rpx}}.b{{content:'{s}'}}");
        let e = expand("app.acss", "@import 'a.acss';", 1.0, &|p: &str| (p == "a.acss").then(|| css.clone()));
        prop_assert_eq!(
            e.css,
            format!(".a{{content:\"{s}\";width:{n}px}}.b{{content:'{s}'}}\n")
        );
        prop_assert!(e.warnings.is_empty());
    }

    #[test]
    fn scoping_only_inserts_the_prefix(css in cssish(60)) {
        let scoped = scope_classes(&css, "_s0-");
        prop_assert_eq!(scoped.replace("_s0-", ""), css.replace("_s0-", ""));
    }
}
