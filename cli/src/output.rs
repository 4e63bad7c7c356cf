//! Human tables or JSON, and progress bars that show only on a terminal.

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
    out.push_str(&fmt_row(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(|s| s.as_str())
            .collect(),
    ));
    for r in rows {
        out.push_str(&fmt_row(r.iter().map(|s| s.as_str()).collect()));
    }
    out
}
