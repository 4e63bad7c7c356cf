//! Positions in compiled code mapped back to the file the developer wrote.
//!
//! A TypeScript file `X.ts` is packed as `X.js` with its source map
//! `X.js.map` (`mpkit_bundle::typescript`); an npm package may ship maps of
//! its own. When an error or a warning names a line and column of a `.js`
//! file that has a map beside it, the position is moved to the source the map
//! names ([`mpkit_modules::SourceMap`]). A map that is unreadable, or names a
//! source outside the package, changes nothing: the compiled position is
//! reported as it is.
//!
//! Maps are read from the bundle, inside the isolation unit, once per file.

use super::protocol::ScriptError;
use super::view::UnitFiles;
use mpkit_modules::SourceMap;
use std::collections::HashMap;
use std::rc::Rc;

/// The longest source map read, in bytes.
const MAX_MAP_BYTES: usize = 16 << 20;

/// Decoded maps of one program, by the `.js` file they belong to.
#[derive(Debug, Default)]
pub(crate) struct SourceMaps {
    maps: HashMap<String, Option<Rc<SourceMap>>>,
}

impl SourceMaps {
    /// Moves `err`'s position to the original source, when a map says where.
    pub(crate) fn remap(&mut self, err: &mut ScriptError, files: &dyn UnitFiles) {
        if err.line == 0 || !err.file.ends_with(".js") {
            return;
        }
        let Some(map) = self.map_of(&err.file, files) else {
            return;
        };
        if let Some((file, line, column)) = map.lookup(err.line, err.column) {
            err.file = file;
            err.line = line;
            err.column = column;
        }
    }

    fn map_of(&mut self, js: &str, files: &dyn UnitFiles) -> Option<Rc<SourceMap>> {
        if let Some(m) = self.maps.get(js) {
            return m.clone();
        }
        let map = files
            .read(&format!("{js}.map"))
            .ok()
            .filter(|t| t.len() <= MAX_MAP_BYTES)
            .and_then(|t| SourceMap::parse(js, &t))
            .map(Rc::new);
        self.maps.insert(js.to_owned(), map.clone());
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Files(Vec<(&'static str, String)>);
    impl UnitFiles for Files {
        fn read(&self, path: &str) -> Result<String, String> {
            self.0
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, t)| t.clone())
                .ok_or_else(|| "missing".to_owned())
        }
    }

    fn err(file: &str, line: u32, column: u32) -> ScriptError {
        ScriptError::at("uncaught", file, line, column, "boom".into())
    }

    #[test]
    fn errors_in_compiled_files_name_the_source_and_others_are_left_alone() {
        let files = Files(vec![
            (
                "pages/a/a.js.map",
                r#"{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA;IAEE"}"#.to_owned(),
            ),
            ("bad.js.map", "{not json".to_owned()),
        ]);
        let mut maps = SourceMaps::default();
        let mut e = err("pages/a/a.js", 2, 9);
        maps.remap(&mut e, &files);
        assert_eq!((e.file.as_str(), e.line, e.column), ("pages/a/a.ts", 3, 3));
        for (f, line) in [
            ("pages/a/a.js", 7),
            ("none.js", 1),
            ("bad.js", 1),
            ("app.acss", 1),
            ("pages/a/a.js", 0),
        ] {
            let mut e = err(f, line, 1);
            maps.remap(&mut e, &files);
            assert_eq!((e.file.as_str(), e.line), (f, line), "{f}");
        }
    }
}
