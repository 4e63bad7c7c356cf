//! The command-line grammar.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// mpkit: sign, verify and install mini program bundles, and run the whole product.
#[derive(Debug, Parser)]
#[command(name = "mpkit", version, about)]
pub(crate) struct Cli {
    /// More log output on stderr (-v info, -vv debug); MPKIT_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate an ed25519 key: KEY (private, mode 0600) and KEY.pub.
    Keygen {
        /// Where to write the private key; the public key goes to KEY.pub.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Pack a mini program directory into a signed bundle.
    Pack {
        /// The directory holding app.json.
        dir: PathBuf,
        /// The signing key.
        #[arg(long)]
        key: PathBuf,
        /// The bundle to write.
        #[arg(long)]
        out: PathBuf,
        /// Version to stamp instead of app.json's.
        #[arg(long)]
        version: Option<semver::Version>,
        /// Build number instead of app.json's or the one derived from the version.
        #[arg(long)]
        build: Option<u64>,
        /// The role the signature claims.
        #[arg(long, value_enum, default_value_t = SignRole::Developer)]
        role: SignRole,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Verify a bundle completely: structure, signature, identity, every file.
    Verify {
        /// The bundle.
        bundle: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// Require this appId.
        #[arg(long)]
        app_id: Option<String>,
        /// Require this version.
        #[arg(long)]
        version: Option<semver::Version>,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Show a bundle's manifest and signatures (structure checked, trust NOT checked).
    Inspect {
        /// The bundle.
        bundle: PathBuf,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Verify and install a bundle into a store, keeping the last good version.
    Install {
        /// The bundle.
        bundle: PathBuf,
        /// The store directory.
        #[arg(long)]
        store: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// Require this appId.
        #[arg(long)]
        app_id: Option<String>,
        /// Require this version.
        #[arg(long)]
        version: Option<semver::Version>,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Run a mini program (a directory or a bundle) and optionally script it.
    Run {
        /// A mini program directory (packed on the fly with a throwaway dev key) or an .mpk.
        app: PathBuf,
        /// Render into the headless DOM (the window mode arrives with the webview surface).
        #[arg(long)]
        headless: bool,
        /// A JSON array of steps: {"tap": SEL}, {"input": {"selector", "value"}}, {"back": N},
        /// {"wait_for": SEL}, {"expect_text": {"selector", "text"}}, {"idle": MS}.
        #[arg(long)]
        script: Option<PathBuf>,
        /// Trust for an .mpk (a directory is signed with a throwaway key and trusted for this run).
        #[command(flatten)]
        trust: OptionalTrust,
        /// Screen width in px (750rpx).
        #[arg(long, default_value_t = 375.0)]
        width: f64,
        /// Where the JS runs: a worker process (memory cap and watchdog) or this thread.
        #[arg(long, value_enum, default_value_t = IsolationArg::Process)]
        isolation: IsolationArg,
        /// Watchdog: how long one handler may run, in milliseconds (process mode).
        #[arg(long, default_value_t = 5000)]
        timeout_ms: u64,
        /// Memory cap of the worker, in MiB (process mode).
        #[arg(long, default_value_t = 1024)]
        memory_mb: u64,
        /// The host user the mini program runs for (identity comes from the host).
        #[arg(long, default_value = "dev-user")]
        user: String,
        /// Answer yes when the mini program asks for this scope (e.g. scope.location).
        #[arg(long = "grant", value_name = "SCOPE")]
        grant: Vec<String>,
        /// Answer no when the mini program asks for this scope (the default answer).
        #[arg(long = "deny", value_name = "SCOPE")]
        deny: Vec<String>,
        /// Confirm payment sheets (tradePay); without it every payment is cancelled.
        #[arg(long)]
        confirm_payments: bool,
        /// A loopback origin the mini program may reach in development, e.g. http://127.0.0.1:8080.
        #[arg(long = "dev-origin", value_name = "URL")]
        dev_origin: Vec<String>,
        /// Keep user data (storage, files, consent) here across runs instead of a temporary directory.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Create and rotate trust roots.
    Root {
        #[command(subcommand)]
        command: RootCommand,
    },
    /// Run the whole product end to end on embedded defaults.
    Demo {
        /// Keep the demo's working directory here instead of a temporary one.
        #[arg(long)]
        workdir: Option<PathBuf>,
        /// Where the mini program's JS runs.
        #[arg(long, value_enum, default_value_t = IsolationArg::Process)]
        isolation: IsolationArg,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Benchmarks, measured against a peer in the same run.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// The management platform server.
    Platform {
        #[command(subcommand)]
        command: PlatformCommand,
    },
    /// Grayscale rollout tools.
    Rollout {
        #[command(subcommand)]
        command: RolloutCommand,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PlatformCommand {
    /// Serve the platform's HTTP API (SQLite by default, PostgreSQL with --db postgres://...).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8470")]
        listen: String,
        /// sqlite://PATH (created when missing) or postgres://USER@HOST/DB.
        #[arg(long)]
        db: Option<String>,
        /// Bundles, packages and the platform's keys.
        #[arg(long, default_value = "platform-data")]
        storage: PathBuf,
        /// On first start, also write the bootstrap admin token here (mode 0600).
        #[arg(long)]
        admin_token_file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RolloutCommand {
    /// Print a user's grayscale bucket (0..9999 basis points) for a salt.
    Bucket {
        /// The grayscale's salt.
        #[arg(long)]
        salt: String,
        /// The user id.
        #[arg(long)]
        user: String,
        /// Also say whether the user is inside this percentage (e.g. 12.5).
        #[arg(long)]
        percent: Option<String>,
        #[command(flatten)]
        fmt: Fmt,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RootCommand {
    /// Create root.json and fresh keys for the root, publisher and policy roles.
    Init {
        /// Directory for root.json and keys/ (must not hold a root.json yet).
        #[arg(long)]
        out_dir: PathBuf,
        /// Days until the root expires.
        #[arg(long, default_value_t = 365)]
        expires_days: i64,
        /// Number of root keys.
        #[arg(long, default_value_t = 1)]
        root_keys: u32,
        /// Root signatures required.
        #[arg(long, default_value_t = 1)]
        root_threshold: u32,
        #[command(flatten)]
        fmt: Fmt,
    },
    /// Write root N+1, signed by a threshold of root N's keys and of its own.
    Rotate {
        /// The current root.json.
        #[arg(long)]
        root: PathBuf,
        /// Private keys of the current root role (repeat for a threshold).
        #[arg(long = "sign-key", required = true)]
        sign_keys: Vec<PathBuf>,
        /// Private keys that become the new root role (repeat); default: unchanged.
        #[arg(long = "new-root-key")]
        new_root_keys: Vec<PathBuf>,
        /// Root threshold of the new root; default: unchanged, or 1 with new keys.
        #[arg(long)]
        root_threshold: Option<u32>,
        /// Public keys that become the publisher role (repeat); default: unchanged.
        #[arg(long = "publisher-key")]
        publisher_keys: Vec<PathBuf>,
        /// Public keys that become the policy role (repeat); default: unchanged.
        #[arg(long = "policy-key")]
        policy_keys: Vec<PathBuf>,
        /// Days until the new root expires.
        #[arg(long, default_value_t = 365)]
        expires_days: i64,
        /// Where to write the new root.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        fmt: Fmt,
    },
}

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum IsolationArg {
    Process,
    Thread,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum SignRole {
    Developer,
    Publisher,
}

#[derive(Debug, Args)]
pub(crate) struct Fmt {
    /// Print machine-readable JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct TrustArgs {
    /// Trust these developer public keys (preview and dev mode).
    #[arg(long = "trust", value_name = "KEY.pub", num_args = 1..)]
    pub(crate) trust: Vec<PathBuf>,
    /// Trust this root; further roots are rotations applied in order.
    #[arg(long = "root", value_name = "root.json", num_args = 1..)]
    pub(crate) root: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[group(required = false, multiple = false)]
pub(crate) struct OptionalTrust {
    /// Trust these developer public keys.
    #[arg(long = "trust", value_name = "KEY.pub", num_args = 1..)]
    pub(crate) trust: Vec<PathBuf>,
    /// Trust this root; further roots are rotations applied in order.
    #[arg(long = "root", value_name = "root.json", num_args = 1..)]
    pub(crate) root: Vec<PathBuf>,
}

impl Command {
    pub(crate) fn json(&self) -> bool {
        match self {
            Command::Keygen { fmt, .. }
            | Command::Pack { fmt, .. }
            | Command::Verify { fmt, .. }
            | Command::Inspect { fmt, .. }
            | Command::Install { fmt, .. }
            | Command::Run { fmt, .. }
            | Command::Demo { fmt, .. } => fmt.json,
            Command::Root { command } => match command {
                RootCommand::Init { fmt, .. } | RootCommand::Rotate { fmt, .. } => fmt.json,
            },
            Command::Bench { command } => match command {
                BenchCommand::Install { fmt, .. }
                | BenchCommand::Render { fmt, .. }
                | BenchCommand::Runtime { fmt, .. }
                | BenchCommand::Jsapi { fmt, .. }
                | BenchCommand::Resolve { fmt, .. } => fmt.json,
            },
            Command::Platform { .. } => false,
            Command::Rollout { command } => match command {
                RolloutCommand::Bucket { fmt, .. } => fmt.json,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn grammar_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
