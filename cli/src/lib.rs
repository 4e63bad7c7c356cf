//! # mpkit (the CLI)
//!
//! Every command of the `mpkit` binary, callable in-process through [`run`] so
//! end-to-end tests drive exactly what users run.
//!
//! Exit codes: 0 success; 1 the operation failed (stderr names the reason);
//! 2 usage error. Every command that prints data takes `--json`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod cmd;
mod output;

use clap::Parser;
use std::ffi::OsString;
use std::io::Write;

pub use output::Output;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when the operation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code for a usage error.
pub const EXIT_USAGE: u8 = 2;

/// Parses `args` (including the program name) and runs the command, writing
/// results to `out` and diagnostics to `err`. Returns the process exit code.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let text = e.render().ansi().to_string();
            let _ = if e.use_stderr() {
                write!(err, "{text}")
            } else {
                write!(out, "{text}")
            };
            return code;
        }
    };
    init_tracing(cli.verbose);
    let json = cli.command.json();
    let mut o = Output::new(out, json);
    match cmd::dispatch(cli.command, &mut o) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let code = e
                .chain()
                .find_map(|c| c.downcast_ref::<mpkit_bundle::Error>())
                .map(mpkit_bundle::Error::code)
                .unwrap_or("failed");
            let reason = format!("{e:#}");
            let reported = e.downcast_ref::<Reported>().is_some();
            if json && !reported {
                let v =
                    serde_json::json!({"ok": false, "error": {"code": code, "message": reason}});
                let _ = writeln!(o.raw(), "{v}");
            }
            let _ = writeln!(err, "error: {reason}");
            EXIT_FAILED
        }
    }
}

/// A failure whose details the command already printed (e.g. `mpkit run --json`),
/// so only the exit code and a stderr line remain to be given.
#[derive(Debug)]
pub(crate) struct Reported(pub(crate) String);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reported {}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MPKIT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
