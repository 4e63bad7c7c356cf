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

/// Rows as an aligned table, as the CLI prints them.
pub(crate) use mpkit::table;
