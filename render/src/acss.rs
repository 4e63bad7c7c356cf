//! ACSS: `rpx` to px by screen width (750rpx is the screen width) and `@import`
//! within the bundle.

/// Replaces every `<number>rpx` in `css` with px at `px_per_rpx`.
pub fn rpx_to_px(css: &str, px_per_rpx: f64) -> String {
    if !css.contains("rpx") {
        return css.to_owned();
    }
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        // A number starts a token only after a non-word character (`.x2` is a class name).
        let boundary = !prev.is_some_and(|p| p.is_alphanumeric() || p == '_');
        if boundary && (c.is_ascii_digit() || c == '.') {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
                .unwrap_or(rest.len());
            let num = &rest[..end];
            if rest[end..].starts_with("rpx") {
                if let Ok(n) = num.parse::<f64>() {
                    let px = (n * px_per_rpx * 1000.0).round() / 1000.0;
                    out.push_str(&super::expr::to_text(&super::expr::num(px)));
                    out.push_str("px");
                    rest = &rest[end + 3..];
                    prev = Some('x');
                    continue;
                }
            }
            out.push_str(num);
            rest = &rest[end..];
            prev = num.chars().last();
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
        prev = Some(c);
    }
    out
}

/// Expands `@import "x.acss";` lines using `load`, each file at most once, and
/// converts rpx. Imports that leave the bundle or are missing are errors.
pub fn expand(
    file: &str,
    css: &str,
    px_per_rpx: f64,
    load: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = String::new();
    expand_into(file, css, load, &mut seen, &mut out, 0)?;
    Ok(rpx_to_px(&out, px_per_rpx))
}

fn expand_into(
    file: &str,
    css: &str,
    load: &dyn Fn(&str) -> Option<String>,
    seen: &mut std::collections::BTreeSet<String>,
    out: &mut String,
    depth: usize,
) -> Result<(), String> {
    if depth > 16 {
        return Err(format!("{file}: @import nested too deeply"));
    }
    for line in css.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("@import") {
            let target = rest
                .trim()
                .trim_end_matches(';')
                .trim()
                .trim_matches(|c| c == '"' || c == '\'');
            let path = super::resolve_in_bundle(file, target)
                .ok_or_else(|| format!("{file}: @import {target:?} leaves the bundle"))?;
            if seen.insert(path.clone()) {
                let text = load(&path)
                    .ok_or_else(|| format!("{file}: @import {target:?}: no such file"))?;
                expand_into(&path, &text, load, seen, out, depth + 1)?;
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_rpx() {
        assert_eq!(
            rpx_to_px("width: 750rpx; margin: 10rpx 0.5rpx", 0.5),
            "width: 375px; margin: 5px 0.25px"
        );
        assert_eq!(
            rpx_to_px("h2 { font: 32rpx/1.2 serif } .x2 { top: -20rpx }", 0.5),
            "h2 { font: 16px/1.2 serif } .x2 { top: -10px }"
        );
        assert_eq!(rpx_to_px("content: 'é 2rpx'", 1.0), "content: 'é 2px'");
    }

    #[test]
    fn expands_imports_once_and_inside_the_bundle() {
        let load = |p: &str| match p {
            "common/base.acss" => {
                Some(".base { padding: 20rpx }\n@import './more.acss';".to_string())
            }
            "common/more.acss" => Some(".more {}\n@import 'base.acss';".to_string()),
            _ => None,
        };
        let css = expand(
            "app.acss",
            "@import 'common/base.acss';\n.app { width: 750rpx }",
            0.5,
            &load,
        )
        .expect("expands");
        assert_eq!(
            css,
            ".base { padding: 10px }\n.more {}\n.app { width: 375px }\n"
        );
        let e = expand("app.acss", "@import '../../x.acss';", 0.5, &load).expect_err("escapes");
        assert!(e.contains("leaves the bundle"));
        let e = expand("app.acss", "@import 'nope.acss';", 0.5, &load).expect_err("missing");
        assert!(e.contains("no such file"));
    }
}
