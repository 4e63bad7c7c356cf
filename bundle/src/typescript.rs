//! TypeScript as Alipay's compiler takes it: a `.ts` page, component or
//! module is compiled to JavaScript when the project is packed, with oxc
//! (types removed, `enum`, `namespace` and parameter properties lowered, as
//! Babel's preset-typescript does; no type checking, as in Alipay). The
//! bundle carries `X.js` and its source map `X.js.map`, so the runtime names
//! the `.ts` file, line and column of an error.
//!
//! This runs where the project is packed (the developer's machine, a dev
//! run), never on the platform. The compiler is recursive, so a file nested
//! deeper than [`MAX_NESTING`] is refused before it is parsed, and the
//! compile runs on a thread with a stack of its own.

/// The deepest bracket nesting a TypeScript file may have.
pub const MAX_NESTING: usize = 1_000;

/// The compile thread's stack: room for [`MAX_NESTING`] levels.
const STACK_BYTES: usize = 256 << 20;

/// A compiled file: its JavaScript and its source map (JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// The JavaScript.
    pub js: String,
    /// The source map, version 3, whose one source is the `.ts` file.
    pub map: String,
}

/// Whether a packed path is TypeScript the packer compiles: `.ts`, not a
/// declaration file (`.d.ts`, which is never packed).
pub fn is_source(rel: &str) -> bool {
    rel.ends_with(".ts") && !is_declaration(rel)
}

/// Whether a path is a declaration file (types only).
pub fn is_declaration(rel: &str) -> bool {
    rel.ends_with(".d.ts")
}

/// The JavaScript path a TypeScript file compiles to: `a/b.ts` → `a/b.js`.
pub fn output_path(rel: &str) -> String {
    format!("{}.js", rel.strip_suffix(".ts").unwrap_or(rel))
}

/// Compiles `source`, the text of the package file `rel`. An error reads
/// `rel:line:column: message`, lines and columns from 1.
pub fn compile(rel: &str, source: &str) -> Result<Compiled, String> {
    if let Some((line, column)) = too_deep(source) {
        return Err(format!(
            "{rel}:{line}:{column}: nested more than {MAX_NESTING} levels deep"
        ));
    }
    let (rel_owned, text) = (rel.to_owned(), source.to_owned());
    std::thread::Builder::new()
        .name("mpkit-typescript".into())
        .stack_size(STACK_BYTES)
        .spawn(move || compile_here(&rel_owned, &text))
        .map_err(|e| format!("{rel}: the TypeScript compiler could not start: {e}"))?
        .join()
        .map_err(|_| format!("{rel}: the TypeScript compiler failed on this file"))?
}

#[cfg(not(feature = "typescript"))]
fn compile_here(rel: &str, _: &str) -> Result<Compiled, String> {
    Err(format!(
        "{rel}: this build of mpkit compiles no TypeScript (mpkit-bundle's `typescript` feature)"
    ))
}

#[cfg(feature = "typescript")]
fn compile_here(rel: &str, source: &str) -> Result<Compiled, String> {
    use oxc_allocator::Allocator;
    use oxc_codegen::{Codegen, CodegenOptions};
    use oxc_parser::Parser;
    use oxc_semantic::SemanticBuilder;
    use oxc_span::SourceType;
    use oxc_transformer::{TransformOptions, Transformer};

    let alloc = Allocator::default();
    let parsed = Parser::new(&alloc, source, SourceType::ts()).parse();
    if let Some(d) = parsed.diagnostics.iter().next() {
        return Err(located(rel, source, d));
    }
    if parsed.panicked {
        return Err(format!("{rel}: the file could not be parsed"));
    }
    let mut program = parsed.program;
    let semantic = SemanticBuilder::new()
        .with_check_syntax_error(true)
        .with_enum_eval(true)
        .build(&program);
    if let Some(d) = semantic.diagnostics.iter().next() {
        return Err(located(rel, source, d));
    }
    let scoping = semantic.semantic.into_scoping();
    let name = std::path::Path::new(rel);
    let done = Transformer::new(&alloc, name, &TransformOptions::default())
        .build_with_scoping(scoping, &mut program);
    if let Some(d) = done.diagnostics.iter().next() {
        return Err(located(rel, source, d));
    }
    let file = name
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or(rel)
        .to_owned();
    let out = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(file.clone().into()),
            ..CodegenOptions::default()
        })
        .build(&program);
    let mut map = out
        .map
        .ok_or_else(|| format!("{rel}: the compiler wrote no source map"))?;
    map.set_sources([file.as_str()]);
    map.set_file(&output_path(&file));
    Ok(Compiled {
        js: out.code,
        map: map.to_json_string(),
    })
}

/// `rel:line:column: message` for a compiler diagnostic.
#[cfg(feature = "typescript")]
fn located(rel: &str, source: &str, d: &oxc_diagnostics::OxcDiagnostic) -> String {
    let offset = d
        .labels
        .iter()
        .map(|l| l.offset() as usize)
        .next()
        .unwrap_or(0);
    let (line, column) = line_column(source, offset);
    format!("{rel}:{line}:{column}: {}", d.message)
}

/// Line and column (from 1, columns in characters) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(source.len());
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    let before = &source[..end];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// Where a file first nests brackets deeper than [`MAX_NESTING`], counting
/// every `(`, `[` and `{` (those in strings and comments too: a bound that
/// only ever refuses more).
fn too_deep(source: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    for (i, b) in source.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(line_column(source, i));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(all(test, feature = "typescript"))]
mod tests {
    use super::*;

    #[test]
    fn types_go_and_enums_become_objects() {
        let src = "import type { T } from './t';\nimport { used, unused } from './u';\nenum Color { Red, Green = 5 }\nexport const f = (x: number): T => used(x as number) + Color.Green;\n";
        let c = compile("pages/a/a.ts", src).expect("compiles");
        assert!(!c.js.contains("import type"), "{}", c.js);
        assert!(!c.js.contains(": number"), "{}", c.js);
        assert!(c.js.contains("import { used } from"), "{}", c.js);
        assert!(
            !c.js.contains("unused"),
            "an import used only as a type goes"
        );
        assert!(c.js.contains("Color"), "{}", c.js);
        let map: serde_json::Value = serde_json::from_str(&c.map).expect("map is JSON");
        assert_eq!(map["version"], 3);
        assert_eq!(map["sources"], serde_json::json!(["a.ts"]));
        assert_eq!(map["file"], "a.js");
    }

    #[test]
    fn a_syntax_error_names_the_ts_file_line_and_column() {
        let e = compile("utils/x.ts", "const a: number = 1;\nlet b = (;\n").expect_err("refused");
        assert!(e.starts_with("utils/x.ts:2:10: "), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let src = format!("let a = {}1{};", "(".repeat(1_500), ")".repeat(1_500));
        let e = compile("deep.ts", &src).expect_err("refused");
        assert_eq!(
            e,
            format!("deep.ts:1:{}: nested more than 1000 levels deep", 9 + 1_000)
        );
        // Just under the bound compiles.
        let ok = format!("let a = {}1{};", "(".repeat(900), ")".repeat(900));
        compile("ok.ts", &ok).expect("900 levels compile");
    }

    #[test]
    fn paths() {
        assert!(is_source("a/b.ts"));
        assert!(!is_source("a/b.d.ts"));
        assert!(!is_source("a/b.tsx.js"));
        assert_eq!(output_path("a/b.ts"), "a/b.js");
    }
}
