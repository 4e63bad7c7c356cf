//! `cargo xtask`: mpkit's own tooling, kept out of the product binary.
//!
//! - `cargo xtask tidy`: the rules ARCHITECTURE.md states (the crate graph,
//!   host's API boundary, file sizes, import circles), checked.
//! - `cargo xtask bench <name>`: the benchmarks, each against a peer in the same run.
//!
//! The alias lives in `.cargo/config.toml`. Nothing in the product depends on
//! this crate.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod report;
mod tidy;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mpkit's own tooling: the architecture's rules checked, and the benchmarks.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the rules ARCHITECTURE.md states: the crate graph, host's API
    /// boundary, file sizes and import circles.
    Tidy,
    /// Benchmarks, measured against a peer in the same run.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    // The benchmarks' logic workers re-enter this executable when no
    // mpkit-worker is beside it.
    mpkit_host::enter_if_worker();
    let cli = Cli::parse();
    // The host's log (a mini program's console among it) only when asked for:
    // a benchmark prints its table and nothing else.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("MPKIT_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let r = match cli.command {
        Command::Tidy => tidy::run(),
        Command::Bench(args) => bench::run(args, cli.json),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
