//! What the unit reads of the mini program: its files, as text, and the
//! positions in a loader's error messages.

use mpkit_render::axml::Pos;

/// Reads the mini program's own files, as text, for the view: its templates
/// and stylesheets. In a worker each read is a question to the host, which
/// answers from the verified bundle under the bundle's path rules.
pub(crate) trait UnitFiles {
    /// The file's text; `Err("no such file")` when it is not in the bundle,
    /// another message when it cannot be read as text.
    fn read(&self, path: &str) -> Result<String, String>;
}

fn parse_pos(m: &str) -> (u32, u32) {
    let mut it = m.split(':').skip(1);
    let line = it.next().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    let col = it.next().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    (line, col)
}

/// A loader's `path:line:col: message` as its position and message.
pub(crate) fn parse_error(m: &str) -> (Pos, String) {
    let (line, col) = parse_pos(m);
    let message = m
        .splitn(4, ':')
        .nth(3)
        .map_or(m.to_owned(), |s| s.trim().to_owned());
    (Pos { line, col }, message)
}

/// A unit's files from memory, for tests.
#[cfg(test)]
pub(crate) struct TestFiles(pub(crate) crate::runtime::files::MemFiles);

#[cfg(test)]
impl UnitFiles for TestFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        use crate::runtime::files::AppFiles;
        self.0
            .read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .ok_or_else(|| "no such file".into())
    }
}
