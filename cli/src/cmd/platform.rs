//! `mpkit platform serve` and `mpkit rollout bucket`.

use crate::Output;
use anyhow::{Context as _, Result};
use mpkit_platform::{Config, Platform};
use mpkit_platform_client::rollout;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

pub(crate) fn serve(
    listen: &str,
    db: Option<String>,
    storage: PathBuf,
    admin_token_file: Option<PathBuf>,
    o: &mut Output<'_>,
) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let mut config = Config::new(&storage);
        if let Some(db) = db {
            config.db = db;
        }
        let (platform, boot) = Platform::open(config).await?;
        if let Some(b) = boot {
            // Shown once: only its hash is stored.
            writeln!(o.raw(), "bootstrap admin {} token: {}", b.admin, b.token)?;
            if let Some(path) = &admin_token_file {
                write_secret(path, &b.token)?;
                writeln!(o.raw(), "token written to {}", path.display())?;
            }
        }
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
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
