//! A mini program's console on stderr, as every mini program devtool shows
//! it: one line per call, tagged with its level (`[info] ...` for
//! `console.log` and `console.info`, `[warn] ...`, `[error] ...`, `[debug] ...`).
//! What a mini program logs is someone else's text: its control characters
//! are escaped, and a line never spans two.
//!
//! `mpkit run` reads the lines from its `AppHandle` as the app runs on its
//! thread ([`print_new`]); `mpkit preview` runs its app on another thread,
//! whose console reaches tracing with the target `miniprogram`, and shows
//! those events ([`layer`]).

use crate::output::escape_line;
use std::io::Write;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The tracing target of a mini program's console (host's runtime).
pub(crate) const TARGET: &str = "miniprogram";

/// One console line as shown.
pub(crate) fn line(level: &str, text: &str) -> String {
    format!("[{}] {}", escape_line(level), escape_line(text))
}

/// Prints `lines[from..]` (level, text) to `err`; returns how many lines are
/// shown now.
pub(crate) fn print_new(lines: &[(String, String)], from: usize, err: &mut dyn Write) -> usize {
    for (level, text) in lines.iter().skip(from) {
        let _ = writeln!(err, "{}", line(level, text));
    }
    lines.len().max(from)
}

/// The console of mini programs running on other threads, from tracing.
pub(crate) fn layer() -> ConsoleLayer {
    ConsoleLayer
}

/// Shows each `miniprogram` event on stderr as a console line.
#[derive(Debug)]
pub(crate) struct ConsoleLayer;

impl<S: Subscriber> Layer<S> for ConsoleLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warn",
            // console.log and console.info, as the host names them.
            Level::INFO => "info",
            _ => "debug",
        };
        let mut message = Message(String::new());
        event.record(&mut message);
        let _ = writeln!(std::io::stderr().lock(), "{}", line(level, &message.0));
    }
}

/// The `message` field of an event.
struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.0);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_tagged_with_its_level_and_escaped() {
        let lines = vec![
            ("info".to_owned(), "hello".to_owned()),
            ("warn".to_owned(), "\u{1b}[31mred\nsecond".to_owned()),
        ];
        let mut err = Vec::new();
        assert_eq!(print_new(&lines, 0, &mut err), 2);
        assert_eq!(
            String::from_utf8_lossy(&err),
            "[info] hello\n[warn] \\u{1b}[31mred\\u{a}second\n"
        );
        // Only what is new is printed again.
        err.clear();
        assert_eq!(print_new(&lines, 2, &mut err), 2);
        assert!(err.is_empty());
    }
}
