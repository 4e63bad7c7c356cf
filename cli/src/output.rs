//! Human tables or JSON, progress bars that show only on a terminal, and the
//! formats tables share.

use anyhow::{Context as _, Result};
use std::io::{IsTerminal, Write};

/// Where a command's results go.
pub struct Output<'a> {
    out: &'a mut dyn Write,
    json: bool,
}

impl std::fmt::Debug for Output<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output").field("json", &self.json).finish()
    }
}

impl<'a> Output<'a> {
    /// Wraps a writer; `json` selects machine output.
    pub fn new(out: &'a mut dyn Write, json: bool) -> Output<'a> {
        Output { out, json }
    }

    /// True when `--json` was given.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// The underlying writer.
    pub fn raw(&mut self) -> &mut dyn Write {
        self.out
    }

    /// Prints `value` as one JSON document in JSON mode, or `human()` otherwise.
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
            let text = human();
            write!(self.out, "{text}")?;
            if !text.ends_with('\n') {
                writeln!(self.out)?;
            }
            Ok(())
        }
    }

    /// A line of human output (suppressed in JSON mode).
    pub fn line(&mut self, text: impl AsRef<str>) -> std::io::Result<()> {
        if self.json {
            return Ok(());
        }
        writeln!(self.out, "{}", text.as_ref())
    }
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

/// Renders rows as an aligned table.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
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
    for r in rows {
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
}
