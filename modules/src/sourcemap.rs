//! Source maps (version 3) read back: where a position in compiled code
//! (TypeScript compiled when packed, or an npm package's build) came from.
//!
//! The map comes from the bundle, so it is hostile input: decoding is oxc's,
//! every source is resolved against the package root (`None` when it leaves
//! it), and nothing here allocates more than the map's own segments.

/// One decoded map: segments sorted by generated position, and the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMap {
    /// `(generated line, generated column, source id, line, column)`, all from 0.
    segments: Vec<(u32, u32, u32, u32, u32)>,
    /// Source paths, resolved against the package root (`None`: outside it).
    sources: Vec<Option<String>>,
}

impl SourceMap {
    /// Reads the map of the package file `js` (its sources are relative to
    /// `js`'s folder); `None` when it does not parse.
    pub fn parse(js: &str, text: &str) -> Option<SourceMap> {
        let map = oxc_sourcemap::SourceMap::from_json_string(text).ok()?;
        let dir = js.rsplit_once('/').map_or("", |(d, _)| d);
        let root = map.get_source_root().unwrap_or("");
        let sources = map
            .get_sources()
            .map(|s| join(dir, &format!("{root}{s}")))
            .collect();
        let mut segments: Vec<_> = map
            .get_tokens()
            .filter_map(|t| {
                Some((
                    t.get_dst_line(),
                    t.get_dst_col(),
                    t.get_source_id()?,
                    t.get_src_line(),
                    t.get_src_col(),
                ))
            })
            .collect();
        segments.sort_unstable();
        Some(SourceMap { segments, sources })
    }

    /// The source file, line and column (from 1) of the generated `line` and
    /// `column` (from 1): the segment at or before it on its line, or the
    /// line's first segment. `None` when the map says nothing of that line,
    /// or its source lies outside the package.
    pub fn lookup(&self, line: u32, column: u32) -> Option<(String, u32, u32)> {
        let (line, column) = (line.checked_sub(1)?, column.saturating_sub(1));
        let end = self
            .segments
            .partition_point(|s| (s.0, s.1) <= (line, column));
        let seg = match end.checked_sub(1).map(|i| self.segments[i]) {
            Some(s) if s.0 == line => s,
            _ => *self.segments.get(end).filter(|s| s.0 == line)?,
        };
        let source = self.sources.get(seg.2 as usize)?.as_ref()?;
        Some((
            source.clone(),
            seg.3.saturating_add(1),
            seg.4.saturating_add(1),
        ))
    }
}

/// `rel` joined onto the package folder `dir`, `.` and `..` resolved, as
/// module specifiers are ([`crate::resolve`]); `None` when it leaves the
/// package root, is absolute or is a URL.
fn join(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') || rel.contains("://") || rel.contains('\\') {
        return None;
    }
    crate::resolve::join(dir, rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Generated line 1 (`AAAA`) maps to source line 1; generated line 2,
    // column 4 maps to source line 3, column 2 (`IAEE`: +4 cols, src 0, +2 lines, +2 cols).
    const MAP: &str = r#"{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA;IAEE"}"#;

    #[test]
    fn positions_map_to_the_source() {
        let m = SourceMap::parse("pages/a/a.js", MAP).expect("parses");
        assert_eq!(m.lookup(2, 9), Some(("pages/a/a.ts".into(), 3, 3)));
        // Before the line's first segment: that segment.
        assert_eq!(m.lookup(2, 1), Some(("pages/a/a.ts".into(), 3, 3)));
        assert_eq!(m.lookup(1, 40), Some(("pages/a/a.ts".into(), 1, 1)));
        // A line the map says nothing of, or no line at all.
        assert_eq!(m.lookup(7, 1), None);
        assert_eq!(m.lookup(0, 0), None);
    }

    #[test]
    fn hostile_maps_change_nothing() {
        assert_eq!(SourceMap::parse("a.js", "{not json"), None);
        for (sources, mappings) in [
            (r#"["../../etc/passwd"]"#, "AAAA"),
            (r#"["/etc/passwd"]"#, "AAAA"),
            (r#"["webpack://x/a.ts"]"#, "AAAA"),
            (r#"["a.ts"]"#, "A"),
            (r#"["a.ts"]"#, "AgggggggggggggggC"),
            (r#"["a.ts"]"#, "AKAA"),
        ] {
            let text = format!(
                r#"{{"version":3,"sources":{sources},"names":[],"mappings":"{mappings}"}}"#
            );
            let found = SourceMap::parse("x/a.js", &text).and_then(|m| m.lookup(1, 1));
            assert!(
                found.as_ref().is_none_or(|(f, _, _)| f.starts_with("x/")),
                "{sources} {mappings}: {found:?}"
            );
            assert_ne!(found.map(|f| f.0), Some("etc/passwd".to_owned()));
        }
    }

    #[test]
    fn an_npm_package_map_names_its_own_source() {
        let m = SourceMap::parse(
            "node_modules/p/lib/index.js",
            r#"{"version":3,"sourceRoot":"../","sources":["src/index.ts"],"names":[],"mappings":"AAAA"}"#,
        )
        .expect("parses");
        assert_eq!(
            m.lookup(1, 5).map(|f| f.0).as_deref(),
            Some("node_modules/p/src/index.ts")
        );
    }

    proptest::proptest! {
        /// Whatever a map says, a lookup never panics and never names a file
        /// outside the package.
        #[test]
        fn any_map_stays_in_the_package(
            sources in proptest::collection::vec("[a-z./]{0,12}", 0..4),
            mappings in "[A-Za-z0-9+/,;]{0,40}",
            line in 0u32..6,
            column in 0u32..50,
        ) {
            let text = serde_json::json!({
                "version": 3, "sources": sources, "names": [], "mappings": mappings
            })
            .to_string();
            if let Some(m) = SourceMap::parse("x/a.js", &text) {
                if let Some((f, l, c)) = m.lookup(line, column) {
                    proptest::prop_assert!(!f.starts_with('/') && !f.split('/').any(|s| s == ".."));
                    proptest::prop_assert!(l >= 1 && c >= 1);
                }
            }
        }
    }

    #[test]
    fn joins() {
        assert_eq!(join("a/b", "c.ts").as_deref(), Some("a/b/c.ts"));
        assert_eq!(join("a/b", "../c.ts").as_deref(), Some("a/c.ts"));
        assert_eq!(join("", "../c.ts"), None);
        assert_eq!(join("a", "webpack://x/c.ts"), None);
    }
}
