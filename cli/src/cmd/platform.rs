//! `mpkit platform serve`: the management platform's HTTP API.

use crate::output::Output;
use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use mpkit_platform::{Config, Objects, Platform, S3Config};
use std::io::Write;
use std::path::PathBuf;

/// `mpkit platform`.
#[derive(Debug, Args)]
pub(crate) struct PlatformArgs {
    #[command(subcommand)]
    command: PlatformCommand,
}

#[derive(Debug, Subcommand)]
enum PlatformCommand {
    /// Serve the platform's HTTP API (SQLite by default, PostgreSQL with --db postgres://...).
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
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
    #[command(flatten)]
    tuning: Tuning,
    #[command(flatten)]
    s3: S3Args,
}

/// Operational settings of `mpkit platform serve`.
#[derive(Debug, Clone, Copy, Args)]
struct Tuning {
    /// How long a signed policy is valid, in seconds (re-signed before it expires).
    #[arg(long, default_value_t = 24 * 3600)]
    policy_ttl_secs: i64,
    /// How old a cached policy may get before it is checked against the database, in
    /// milliseconds (several instances on one database; PostgreSQL also notifies at once).
    #[arg(long, default_value_t = 1000)]
    policy_revalidate_ms: u64,
    /// Attempts per webhook delivery before it is marked failed.
    #[arg(long, default_value_t = 8)]
    webhook_max_attempts: u32,
    /// The wait before a webhook delivery's first retry, in milliseconds (it doubles per
    /// attempt, up to an hour).
    #[arg(long, default_value_t = 10_000)]
    webhook_backoff_ms: u64,
    /// How long an auth code can be exchanged, in seconds (10 to 600).
    #[arg(long, default_value_t = 300)]
    auth_code_ttl_secs: i64,
    /// The most connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a connection may take to send a request's headers, or sit idle between
    /// requests, before it is closed (1 to 300).
    #[arg(long, default_value_t = 10)]
    header_timeout_secs: u64,
    /// Seconds a request body may take to arrive (1 to 3600).
    #[arg(long, default_value_t = 120)]
    body_timeout_secs: u64,
    /// Failed authentications per client address per minute before it gets 429 (0: no limit).
    #[arg(long, default_value_t = 30)]
    auth_failures_per_minute: u32,
    /// Expensive calls (uploads, tester lists, dry runs, QR codes, the audit log, tokens, auth
    /// codes) per client address per minute (0: no limit).
    #[arg(long, default_value_t = 300)]
    expensive_per_ip_per_minute: u32,
    /// Expensive calls per bearer credential per minute (0: no limit).
    #[arg(long, default_value_t = 120)]
    expensive_per_token_per_minute: u32,
}

/// Uploads and packages in an S3-compatible bucket instead of `<storage>/objects`. The key is
/// read from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, never from the command line.
#[derive(Debug, Args)]
struct S3Args {
    /// The bucket (it must exist; it is checked at start).
    #[arg(long, value_name = "BUCKET")]
    s3_bucket: Option<String>,
    /// The bucket's region.
    #[arg(long, default_value = "us-east-1", requires = "s3_bucket")]
    s3_region: String,
    /// An S3-compatible service's endpoint (default: AWS).
    #[arg(long, value_name = "URL", requires = "s3_bucket")]
    s3_endpoint: Option<String>,
    /// Allow a plain http:// endpoint (a service on a private network).
    #[arg(long, requires = "s3_endpoint")]
    s3_allow_http: bool,
}

pub(crate) fn run(args: PlatformArgs, o: &mut Output<'_>) -> Result<()> {
    let PlatformCommand::Serve(a) = args.command;
    serve(
        &a.listen,
        a.db,
        a.storage,
        a.admin_token_file,
        a.tuning,
        a.s3,
        o,
    )
}

fn serve(
    listen: &str,
    db: Option<String>,
    storage: PathBuf,
    admin_token_file: Option<PathBuf>,
    tuning: Tuning,
    s3: S3Args,
    o: &mut Output<'_>,
) -> Result<()> {
    // A policy must live long enough to be re-signed before it expires.
    if tuning.policy_ttl_secs < 60 {
        anyhow::bail!("--policy-ttl-secs must be at least 60");
    }
    if tuning.webhook_max_attempts == 0 {
        anyhow::bail!("--webhook-max-attempts must be at least 1");
    }
    if tuning.webhook_backoff_ms == 0 {
        anyhow::bail!("--webhook-backoff-ms must be at least 1");
    }
    // Long enough to reach the mini program's server; short enough that a
    // code seen on the way is of little use.
    if !(10..=600).contains(&tuning.auth_code_ttl_secs) {
        anyhow::bail!("--auth-code-ttl-secs must be 10 to 600");
    }
    if tuning.max_connections == 0 {
        anyhow::bail!("--max-connections must be at least 1");
    }
    if !(1..=300).contains(&tuning.header_timeout_secs) {
        anyhow::bail!("--header-timeout-secs must be 1 to 300");
    }
    if !(1..=3600).contains(&tuning.body_timeout_secs) {
        anyhow::bail!("--body-timeout-secs must be 1 to 3600");
    }
    let objects = match s3.s3_bucket {
        None => Objects::Local,
        Some(bucket) => {
            let key = |name: &str| -> Result<String> {
                std::env::var(name)
                    .ok()
                    .filter(|v| !v.trim().is_empty())
                    .with_context(|| format!("--s3-bucket needs {name} in the environment"))
            };
            Objects::S3(S3Config {
                bucket,
                region: s3.s3_region,
                endpoint: s3.s3_endpoint,
                access_key_id: key("AWS_ACCESS_KEY_ID")?,
                secret_access_key: key("AWS_SECRET_ACCESS_KEY")?,
                allow_http: s3.s3_allow_http,
            })
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        // The port first: a start that cannot listen creates nothing, and
        // above all mints no bootstrap token it could never show.
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let mut config = Config::new(&storage);
        if let Some(db) = db {
            config.db = db;
        }
        config.policy_ttl = tuning.policy_ttl_secs;
        config.policy_revalidate = std::time::Duration::from_millis(tuning.policy_revalidate_ms);
        config.webhook_max_attempts = tuning.webhook_max_attempts;
        config.webhook_backoff = std::time::Duration::from_millis(tuning.webhook_backoff_ms);
        config.auth_code_ttl = tuning.auth_code_ttl_secs;
        config.max_connections = tuning.max_connections;
        config.header_timeout = std::time::Duration::from_secs(tuning.header_timeout_secs);
        config.body_timeout = std::time::Duration::from_secs(tuning.body_timeout_secs);
        let some = |n: u32| (n > 0).then_some(n);
        config.rate_limits = mpkit_platform::RateLimits {
            auth_failures_per_minute: some(tuning.auth_failures_per_minute),
            expensive_per_ip_per_minute: some(tuning.expensive_per_ip_per_minute),
            expensive_per_token_per_minute: some(tuning.expensive_per_token_per_minute),
        };
        config.objects = objects;
        let (platform, boot) = Platform::open(config).await?;
        if let Some(b) = boot {
            // Shown once: only its hash is stored. With a token file, it
            // goes there alone, never to a log that captures stdout.
            match &admin_token_file {
                Some(path) => {
                    write_secret(path, &b.token)?;
                    writeln!(
                        o.raw(),
                        "bootstrap admin {}: token written to {} (not shown)",
                        b.admin,
                        path.display()
                    )?;
                }
                None => writeln!(o.raw(), "bootstrap admin {} token: {}", b.admin, b.token)?,
            }
        }
        writeln!(
            o.raw(),
            "mpkit platform listening on http://{}",
            listener.local_addr()?
        )?;
        o.raw().flush()?;
        platform
            .serve(listener, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}

fn write_secret(path: &std::path::Path, text: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("{} (it must not exist yet)", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}
