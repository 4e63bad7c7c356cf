//! `cargo xtask`: mpkit's own tooling, kept out of the product binary.
//!
//! - `cargo xtask bench <name>`: the benchmarks, each against a peer in the same run.
//!
//! The alias lives in `.cargo/config.toml`. Nothing in the product depends on
//! this crate.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod report;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mpkit's own tooling: benchmarks.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Benchmarks, measured against a peer in the same run.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

fn main() -> ExitCode {
    // The benchmarks' logic workers re-enter this executable when no
    // mpkit-worker is beside it.
    mpkit_host::enter_if_worker();
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Bench { command } => bench::run(command),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
