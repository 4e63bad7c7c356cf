//! A benchmark's result: an aligned table for people, or one JSON document.

use std::io::{IsTerminal, Write};

/// Where a benchmark's result goes: stdout, as a table or as JSON.
#[derive(Debug)]
pub(crate) struct Output {
    json: bool,
}

impl Output {
    /// `json` selects machine output.
    pub(crate) fn new(json: bool) -> Output {
        Output { json }
    }

    /// Prints `value` as one JSON document in JSON mode, or `human()` otherwise.
    pub(crate) fn emit(
        &mut self,
        value: &serde_json::Value,
        human: impl FnOnce() -> String,
    ) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        if self.json {
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            )
        } else {
            let text = human();
            write!(out, "{text}")?;
            if !text.ends_with('\n') {
                writeln!(out)?;
            }
            Ok(())
        }
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
