//! `<import-sjs name from>` (compat.md B12.1): what a file binds, found
//! before its expressions are parsed (the tag may sit anywhere in the file,
//! and its names serve the whole file).

use super::{Element, Part};

/// One `<import-sjs>`: the names it binds and the module they come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SjsImport {
    /// `(local name, export)`: `name="m"` binds `m` to `default`;
    /// `name="{a, b: c}"` binds `a` to `a` and `c` to `b`.
    pub names: Vec<(String, String)>,
    /// The `.sjs` file as written: relative to the file, `/`-rooted, or an
    /// npm path.
    pub from: String,
    /// Where the tag is.
    pub pos: super::Pos,
}

fn is_ident(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The bindings of a `name` attribute: an identifier, or an object
/// pattern of identifiers and `export: local` pairs.
pub(crate) fn names(spec: &str) -> Result<Vec<(String, String)>, String> {
    let spec = spec.trim();
    if is_ident(spec) {
        return Ok(vec![(spec.to_owned(), "default".to_owned())]);
    }
    let inner = spec
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or_else(|| format!("import-sjs name {spec:?} is neither a name nor {{a, b: c}}"))?;
    let mut out = Vec::new();
    for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (export, local) = match part.split_once(':') {
            Some((e, l)) => (e.trim(), l.trim()),
            None => (part, part),
        };
        if !is_ident(export) || !is_ident(local) {
            return Err(format!(
                "import-sjs name {spec:?}: {part:?} is not a binding"
            ));
        }
        out.push((local.to_owned(), export.to_owned()));
    }
    if out.is_empty() {
        return Err(format!("import-sjs name {spec:?} binds nothing"));
    }
    Ok(out)
}

/// The local names every `<import-sjs>` in `src` binds, found by a scan
/// of the text ahead of the parse; a name that does not read as one is
/// left out here and refused where its tag is parsed.
pub(crate) fn prescan(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find("<import-sjs") {
        rest = &rest[i + "<import-sjs".len()..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        let Some(n) = tag.find("name") else { continue };
        let after = tag[n + 4..].trim_start();
        let Some(after) = after.strip_prefix('=') else {
            continue;
        };
        let after = after.trim_start();
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let body = &after[1..];
        let Some(end) = body.find(q) else { continue };
        if let Ok(bound) = names(&body[..end]) {
            out.extend(bound.into_iter().map(|(local, _)| local));
        }
    }
    out
}

/// The import an `<import-sjs>` element makes.
pub(crate) fn import(el: &Element) -> Result<SjsImport, String> {
    let literal = |name: &str| match el.attr(name).and_then(|a| a.value.as_deref()) {
        Some([Part::Lit(s)]) => Some(s.clone()),
        _ => None,
    };
    let spec = literal("name").ok_or("<import-sjs> needs a literal name")?;
    let from = literal("from").ok_or("<import-sjs> needs a literal from")?;
    if !from.ends_with(".sjs") {
        return Err(format!(
            "<import-sjs> from {from:?}: an sjs module's file ends in .sjs"
        ));
    }
    Ok(SjsImport {
        names: names(&spec)?,
        from,
        pos: el.pos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_an_identifier_or_an_object_pattern() {
        assert_eq!(
            names("m").expect("m"),
            [("m".to_owned(), "default".to_owned())]
        );
        assert_eq!(
            names("{ a, b: c }").expect("pattern"),
            [
                ("a".to_owned(), "a".to_owned()),
                ("c".to_owned(), "b".to_owned())
            ]
        );
        for bad in ["", "{}", "a b", "{a: }", "1x", "{a.b}"] {
            assert!(names(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_prescan_finds_every_bound_name_wherever_the_tag_sits() {
        let src = "<view>{{u.f(1)}}</view>\n<import-sjs from='./u.sjs' name='u'/>\n<import-sjs name=\"{x, y: z}\" from=\"/a.sjs\"></import-sjs><import-sjs name=";
        assert_eq!(prescan(src), ["u", "x", "z"]);
    }
}
