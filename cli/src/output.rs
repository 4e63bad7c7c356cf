//! Human tables or JSON, progress bars that show only on a terminal, and the
//! one rule for text that comes from other people: no control character of
//! it reaches a terminal. Human output escapes them (`\u{1b}`); JSON output
//! is exact (JSON escapes them itself).

use anyhow::{Context as _, Result};
use std::io::{IsTerminal, Write};

/// Where a command's results go (stdout), and its diagnostics (stderr).
pub struct Output<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    json: bool,
}

impl std::fmt::Debug for Output<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output").field("json", &self.json).finish()
    }
}

impl<'a> Output<'a> {
    /// Wraps the two writers; `json` selects machine output.
    pub fn new(out: &'a mut dyn Write, err: &'a mut dyn Write, json: bool) -> Output<'a> {
        Output { out, err, json }
    }

    /// True when `--json` was given.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// The underlying stdout writer, as it is.
    pub fn raw(&mut self) -> &mut dyn Write {
        self.out
    }

    /// The stderr writer, for diagnostics a command prints as it goes (the
    /// mini program's console). Whatever goes there is escaped by the caller.
    pub fn diag(&mut self) -> &mut dyn Write {
        self.err
    }

    /// Prints `value` as one JSON document in JSON mode, or `human()` (escaped)
    /// otherwise.
    pub fn emit(
        &mut self,
        value: &serde_json::Value,
        human: impl FnOnce() -> String,
    ) -> std::io::Result<()> {
        if self.json {
            writeln!(
                self.out,
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            )
        } else {
            let text = escape_text(&human());
            write!(self.out, "{text}")?;
            if !text.ends_with('\n') {
                writeln!(self.out)?;
            }
            Ok(())
        }
    }

    /// A line of human output (suppressed in JSON mode), escaped.
    pub fn line(&mut self, text: impl AsRef<str>) -> std::io::Result<()> {
        if self.json {
            return Ok(());
        }
        writeln!(self.out, "{}", escape_text(text.as_ref()))
    }
}

/// Whether `c` must not reach a terminal as it is: a control character (C0,
/// DEL, C1: escape sequences, carriage returns, backspaces) or a bidi
/// override that reorders what is shown.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character but the newline written as `\u{..}`.
pub(crate) fn escape_text(text: &str) -> String {
    escape(text, |c| c != '\n' && is_unsafe(c))
}

/// `text` as one line: every control character written as `\u{..}`, the
/// newline too (a table cell, a console line, a reason).
pub(crate) fn escape_line(text: &str) -> String {
    escape(text, is_unsafe)
}

fn escape(text: &str, unsafe_char: impl Fn(char) -> bool) -> String {
    if !text.chars().any(&unsafe_char) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// A progress bar on stderr when it is a terminal, hidden otherwise (pipes, CI, tests).
pub(crate) fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len);
    let style =
        indicatif::ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
    pb.set_style(style);
    pb.set_message(what.to_owned());
    pb
}

/// A spinner on stderr when it is a terminal, hidden otherwise.
pub(crate) fn spinner(what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_message(what.to_owned());
    pb.enable_steady_tick(std::time::Duration::from_millis(100));
    pb
}

/// Renders rows as an aligned table; each cell is one line (escaped).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| escape_line(c)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let fmt_row = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            s.push_str(c);
            if i + 1 < cells.len() {
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = fmt_row(header.to_vec());
    let rules: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&fmt_row(rules.iter().map(String::as_str).collect()));
    for r in &rows {
        out.push_str(&fmt_row(r.iter().map(String::as_str).collect()));
    }
    out
}

/// An answer as JSON, for `--json`.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).context("encoding the answer")
}

/// Names joined by `sep`, for tables and messages.
pub(crate) fn names<T: std::fmt::Display>(list: &[T], sep: &str) -> String {
    list.iter().map(T::to_string).collect::<Vec<_>>().join(sep)
}

/// Unix seconds as RFC 3339 (UTC), for tables.
pub(crate) fn when(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

/// Basis points as a percentage: 2000 → "20", 1250 → "12.5", 1 → "0.01".
pub(crate) fn percent(bp: i64) -> String {
    let s = format!("{}.{:02}", bp / 100, (bp % 100).abs());
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(percent(2000), "20");
        assert_eq!(percent(1250), "12.5");
        assert_eq!(percent(1), "0.01");
        assert_eq!(percent(10000), "100");
        assert_eq!(percent(0), "0");
    }

    #[test]
    fn control_characters_are_written_out() {
        assert_eq!(escape_text("plain\ntext"), "plain\ntext");
        assert_eq!(
            escape_text("\u{1b}[31mred\u{1b}[0m\r\u{7}"),
            "\\u{1b}[31mred\\u{1b}[0m\\u{d}\\u{7}"
        );
        assert_eq!(escape_line("two\nlines\t"), "two\\u{a}lines\\u{9}");
        // C1 controls and bidi overrides too.
        assert_eq!(escape_line("\u{9b}2J\u{202e}cba"), "\\u{9b}2J\\u{202e}cba");
    }

    #[test]
    fn human_output_is_escaped_and_json_is_exact() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let v = serde_json::json!({"reason": "\u{1b}[2Jgone"});
        Output::new(&mut out, &mut err, false)
            .emit(&v, || "reason: \u{1b}[2Jgone".into())
            .expect("emit");
        assert_eq!(String::from_utf8_lossy(&out), "reason: \\u{1b}[2Jgone\n");
        out.clear();
        Output::new(&mut out, &mut err, true)
            .emit(&v, String::new)
            .expect("emit");
        let back: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(back, v);
    }

    #[test]
    fn table_cells_stay_on_their_line() {
        let t = table(&["A", "B"], &[vec!["x\ny".into(), "\u{1b}[1m".into()]]);
        assert_eq!(t.lines().count(), 3, "{t}");
        assert!(t.contains("x\\u{a}y") && t.contains("\\u{1b}[1m"), "{t}");
    }
}
