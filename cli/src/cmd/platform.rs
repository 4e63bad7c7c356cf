//! `mpkit platform serve` and `mpkit rollout bucket`.

use crate::cli::S3Args;
use crate::Output;
use anyhow::{Context as _, Result};
use mpkit_platform::{Config, Objects, Platform, S3Config};
use mpkit_platform_client::rollout;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

/// Operational settings of `mpkit platform serve`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tuning {
    pub(crate) policy_ttl_secs: i64,
    pub(crate) policy_revalidate_ms: u64,
    pub(crate) webhook_max_attempts: u32,
    pub(crate) webhook_backoff_ms: u64,
    pub(crate) auth_code_ttl_secs: i64,
}

pub(crate) fn serve(
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
        config.objects = objects;
        let (platform, boot) = Platform::open(config).await?;
        if let Some(b) = boot {
            // Shown once: only its hash is stored.
            writeln!(o.raw(), "bootstrap admin {} token: {}", b.admin, b.token)?;
            if let Some(path) = &admin_token_file {
                write_secret(path, &b.token)?;
                writeln!(o.raw(), "token written to {}", path.display())?;
            }
        }
        writeln!(
            o.raw(),
            "mpkit platform listening on http://{}",
            listener.local_addr()?
        )?;
        o.raw().flush()?;
        axum::serve(listener, platform.router())
            .with_graceful_shutdown(async {
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

pub(crate) fn bucket(
    salt: &str,
    user: &str,
    percent: Option<&str>,
    o: &mut Output<'_>,
) -> Result<()> {
    let b = rollout::bucket(salt, user);
    let inside = match percent {
        Some(p) => Some(rollout::in_grayscale(
            salt,
            user,
            rollout::percent_to_bp(p).map_err(anyhow::Error::msg)?,
        )),
        None => None,
    };
    let v = json!({"salt": salt, "user": user, "bucketBp": b, "inside": inside});
    o.emit(&v, || match inside {
        Some(i) => format!("{b}\n{}\n", if i { "inside" } else { "outside" }),
        None => format!("{b}\n"),
    })?;
    Ok(())
}
