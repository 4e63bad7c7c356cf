//! # mpkit (the CLI)
//!
//! Every command of the `mpkit` binary, callable in-process through [`run`] so
//! end-to-end tests drive exactly what users run.
//!
//! Exit codes: 0 success; 1 the operation failed (stderr names the reason,
//! each cause once); 2 usage error. Every command that prints data takes
//! `--json`, before or after the command's name. Colour only ever goes to a
//! terminal (`NO_COLOR` and `CLICOLOR_FORCE` are honoured), and text that
//! comes from other people reaches human output with its control characters
//! escaped.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod cli;
mod cmd;
mod console;
mod error;
mod files;
mod fixtures;
mod output;
mod session;

use clap::Parser;
use std::ffi::OsString;
use std::io::{IsTerminal, Write};

pub use output::{table, Output};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when the operation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code for a usage error.
pub const EXIT_USAGE: u8 = 2;

/// Which of the process's output streams are terminals: colour goes only there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Terminals {
    /// stdout is a terminal.
    pub stdout: bool,
    /// stderr is a terminal.
    pub stderr: bool,
}

impl Terminals {
    /// This process's own stdout and stderr.
    pub fn of_this_process() -> Terminals {
        Terminals {
            stdout: std::io::stdout().is_terminal(),
            stderr: std::io::stderr().is_terminal(),
        }
    }
}

/// Parses `args` (including the program name) and runs the command, writing
/// results to `out` and diagnostics to `err`, neither of them a terminal.
/// Returns the process exit code.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_on(args, out, err, Terminals::default())
}

/// As [`run`], for writers of which `terminals` says which are terminals
/// (the binary's own stdout and stderr).
pub fn run_on<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write, terminals: Terminals) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let env = |name: &str| std::env::var_os(name);
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            // Help and version go to stdout, usage errors to stderr, each in
            // colour only when that stream is a terminal.
            let to_err = e.use_stderr();
            let tty = if to_err {
                terminals.stderr
            } else {
                terminals.stdout
            };
            let styled = e.render();
            let text = if use_color(tty, &env) {
                styled.ansi().to_string()
            } else {
                styled.to_string()
            };
            let _ = if to_err {
                write!(err, "{text}")
            } else {
                write!(out, "{text}")
            };
            return if to_err { EXIT_USAGE } else { EXIT_OK };
        }
    };
    init_tracing(
        cli.verbose,
        console_mode(&cli.command),
        use_color(terminals.stderr, &env),
    );
    let json = cli.json;
    let mut o = Output::new(out, err, json);
    match cmd::dispatch(cli.command, &mut o) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let (code, status) = error_code(&e);
            let reason = error::causes(&e);
            let reported = e.downcast_ref::<error::Reported>().is_some();
            if json && !reported {
                let v = serde_json::json!({
                    "ok": false,
                    "error": {"code": code, "status": status, "message": reason},
                });
                let _ = writeln!(o.raw(), "{v}");
            }
            let _ = writeln!(o.diag(), "error: {}", output::escape_text(&reason));
            EXIT_FAILED
        }
    }
}

/// Whether to colour a stream: never with `NO_COLOR`; always with
/// `CLICOLOR_FORCE` (not `0`); never with `CLICOLOR=0`; else only on a
/// terminal that is not `TERM=dumb`. <https://no-color.org>,
/// <https://bixense.com/clicolors/>.
pub(crate) fn use_color(is_terminal: bool, var: &dyn Fn(&str) -> Option<OsString>) -> bool {
    if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if var("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    if var("CLICOLOR").is_some_and(|v| v == "0") {
        return false;
    }
    is_terminal && var("TERM").is_none_or(|t| t != "dumb")
}

/// The stable code of a failure, and the HTTP status when a server answered:
/// the CLI's own code, the platform's (`forbidden`, `conflict`, ...) or the
/// platform client's (`unreachable`, `timeout`, ...), or the bundle's.
fn error_code(e: &anyhow::Error) -> (String, Option<u16>) {
    for c in e.chain() {
        if let Some(c) = c.downcast_ref::<error::Coded>() {
            return (c.code.to_owned(), None);
        }
        if let Some(c) = c.downcast_ref::<mpkit_platform_client::Error>() {
            return (c.code().to_owned(), c.status());
        }
        if let Some(c) = c.downcast_ref::<mpkit_bundle::Error>() {
            return (c.code().to_owned(), None);
        }
    }
    ("failed".to_owned(), None)
}

/// Where a mini program's console goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Console {
    /// With the rest of the log (commands that run no app of their own).
    Log,
    /// Printed by the command itself (`mpkit run`, from its `AppHandle`).
    Command,
    /// Shown from tracing (`mpkit preview`: the app runs on another thread).
    Shown,
    /// Hidden (`--quiet`).
    Hidden,
}

fn console_mode(c: &cli::Command) -> Console {
    match c {
        cli::Command::Run(a) if a.console.quiet => Console::Hidden,
        cli::Command::Run(_) => Console::Command,
        cli::Command::Preview(a) if a.console.quiet => Console::Hidden,
        cli::Command::Preview(_) => Console::Shown,
        _ => Console::Log,
    }
}

fn init_tracing(verbose: u8, console: Console, ansi: bool) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::Layer as _;
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("MPKIT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    if console != Console::Log {
        // The console has its own way out (or none); never twice.
        if let Ok(d) = format!("{}=off", console::TARGET).parse() {
            filter = filter.add_directive(d);
        }
    }
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_filter(filter);
    let shown = (console == Console::Shown).then(|| {
        console::layer().with_filter(tracing_subscriber::filter::filter_fn(|m| {
            m.target() == console::TARGET
        }))
    });
    let _ = tracing_subscriber::registry()
        .with(log)
        .with(shown)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn colour_only_on_a_terminal_and_as_the_environment_says() {
        assert!(use_color(true, &env(&[])));
        assert!(!use_color(false, &env(&[])));
        assert!(!use_color(true, &env(&[("NO_COLOR", "1")])));
        assert!(use_color(false, &env(&[("CLICOLOR_FORCE", "1")])));
        assert!(!use_color(
            false,
            &env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])
        ));
        assert!(!use_color(false, &env(&[("CLICOLOR_FORCE", "0")])));
        assert!(!use_color(true, &env(&[("CLICOLOR", "0")])));
        assert!(!use_color(true, &env(&[("TERM", "dumb")])));
        // An empty NO_COLOR does not count.
        assert!(use_color(true, &env(&[("NO_COLOR", "")])));
    }
}
