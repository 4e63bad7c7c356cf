//! # mpkit (the CLI)
//!
//! Every command of the `mpkit` binary, callable in-process through [`run`] so
//! end-to-end tests drive exactly what users run.
//!
//! Exit codes: 0 success; 1 the operation failed (stderr names the reason);
//! 2 usage error. Every command that prints data takes `--json`, before or
//! after the command's name.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod cli;
mod cmd;
mod error;
mod files;
mod output;
mod session;

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
    let json = cli.json;
    let mut o = Output::new(out, json);
    match cmd::dispatch(cli.command, &mut o) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let (code, status) = error_code(&e);
            let reason = format!("{e:#}");
            let reported = e.downcast_ref::<error::Reported>().is_some();
            if json && !reported {
                let v = serde_json::json!({
                    "ok": false,
                    "error": {"code": code, "status": status, "message": reason},
                });
                let _ = writeln!(o.raw(), "{v}");
            }
            let _ = writeln!(err, "error: {reason}");
            EXIT_FAILED
        }
    }
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
