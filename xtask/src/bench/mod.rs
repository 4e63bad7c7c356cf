//! `cargo xtask bench <name>`: each benchmark against a peer in the same run.

mod auth;
mod install;
mod jsapi;
mod platform;
mod render;
mod resolve;
mod runtime;
mod update;
mod webview;

use crate::report::Output;
use anyhow::Result;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// verify + install of a 2 MB, 300-file bundle against `unzip -q` and `sha256sum`.
    Install {
        /// Measured runs of each contender (the median is reported).
        #[arg(long, default_value_t = 15)]
        runs: u32,
        /// Number of files in the generated bundle.
        #[arg(long, default_value_t = 300)]
        files: u32,
        /// Total unpacked size of the generated bundle, in bytes.
        #[arg(long, default_value_t = 2 * 1024 * 1024)]
        bytes: u64,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// setData of one changed row in a 1,000-row list against a full re-render,
    /// and the logic layer's context creation and native-call cost.
    Render {
        /// Measured runs (the median is reported).
        #[arg(long, default_value_t = 30)]
        runs: u32,
        /// Rows in the list.
        #[arg(long, default_value_t = 1000)]
        rows: u32,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Cold start of the sample app, setData at 16 KB, and memory per running app.
    /// /v1/resolve under wrk load against nginx serving the same bytes; the in-process decision.
    Resolve {
        /// Seconds of load per server (the figure holds it for 60).
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        connections: u32,
        /// Pilot testers in the policy.
        #[arg(long, default_value_t = 10_000)]
        testers: usize,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// A Sync JSAPI round trip against a no-op native call; setStorage throughput against fsync.
    Jsapi {
        /// Measured runs (the median is reported).
        #[arg(long, default_value_t = 15)]
        runs: u32,
        /// setStorage writes (and fsyncs) to time.
        #[arg(long, default_value_t = 300)]
        writes: u32,
        #[command(flatten)]
        fmt: Fmt,
    },
    Runtime {
        /// Measured runs (the median is reported).
        #[arg(long, default_value_t = 15)]
        runs: u32,
        /// Mini programs running at once for the memory figure.
        #[arg(long, default_value_t = 20)]
        apps: u32,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// The webview surface under the real WebKitGTK: first render cold and from a pre-warmed
    /// webview against a bare wry page, setData-to-DOM at 1, 16 and 256 KB, the event round
    /// trip, and the peak RSS of the process tree. Needs a display (xvfb-run -a).
    Webview {
        /// Measured runs of each figure (the median is reported).
        #[arg(long, default_value_t = 9)]
        runs: usize,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Auth codes on loopback: issuing and exchanging one against an authenticated read plus a
    /// durable write of the same disk.
    Auth {
        /// Measured codes (the median is reported; at least 20).
        #[arg(long, default_value_t = 200)]
        runs: usize,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// The host's update path on loopback: a verified check against a bare resolve, the limited
    /// download against a plain one, resolve-to-install against a local install.
    Update {
        /// Measured runs (the median is reported).
        #[arg(long, default_value_t = 9)]
        runs: usize,
        /// MiB of incompressible assets in the package.
        #[arg(long, default_value_t = 8)]
        mb: usize,
        #[command(flatten)]
        fmt: Fmt,
    },
}

#[derive(Debug, Args)]
pub(crate) struct Fmt {
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

impl BenchCommand {
    fn json(&self) -> bool {
        match self {
            BenchCommand::Install { fmt, .. }
            | BenchCommand::Render { fmt, .. }
            | BenchCommand::Runtime { fmt, .. }
            | BenchCommand::Jsapi { fmt, .. }
            | BenchCommand::Resolve { fmt, .. }
            | BenchCommand::Update { fmt, .. }
            | BenchCommand::Auth { fmt, .. }
            | BenchCommand::Webview { fmt, .. } => fmt.json,
        }
    }
}

/// Runs one benchmark.
pub(crate) fn run(command: BenchCommand) -> Result<()> {
    let o = &mut Output::new(command.json());
    match command {
        BenchCommand::Install {
            runs, files, bytes, ..
        } => install::install(runs, files, bytes, o),
        BenchCommand::Render { runs, rows, .. } => render::render(runs, rows, o),
        BenchCommand::Runtime { runs, apps, .. } => runtime::runtime(runs, apps, o),
        BenchCommand::Jsapi { runs, writes, .. } => jsapi::jsapi(runs, writes, o),
        BenchCommand::Resolve {
            seconds,
            connections,
            testers,
            ..
        } => resolve::resolve(seconds, connections, testers, o),
        BenchCommand::Update { runs, mb, .. } => update::update(runs, mb, o),
        BenchCommand::Auth { runs, .. } => auth::auth(runs, o),
        BenchCommand::Webview { runs, .. } => webview::webview(runs, o),
    }
}

/// The logic worker the benchmarks' process-isolated launches use: the
/// `mpkit-worker` executable beside this one when it is there (it links only
/// the runtime), else this executable, re-entered.
pub(crate) fn worker_config() -> mpkit_host::WorkerConfig {
    mpkit_host::WorkerConfig::beside_current_exe()
}
