//! `mpkit pack`: a mini program directory into a signed bundle.

use crate::files::write_atomic;
use crate::output::{spinner, Output};
use anyhow::Result;
use clap::{Args, ValueEnum};
use mpkit_bundle::{PackOptions, Role, SecretKey};
use serde_json::json;
use std::path::PathBuf;

/// `mpkit pack`.
#[derive(Debug, Args)]
pub(crate) struct PackArgs {
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
}

/// The role a signature claims.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum SignRole {
    Developer,
    Publisher,
}

pub(crate) fn run(args: PackArgs, o: &mut Output<'_>) -> Result<()> {
    let PackArgs {
        dir,
        key,
        out,
        version,
        build,
        role,
    } = args;
    let key = SecretKey::read(&key)?;
    let pb = spinner("packing");
    let opts = PackOptions {
        version,
        build,
        role: match role {
            SignRole::Developer => Role::Developer,
            SignRole::Publisher => Role::Publisher,
        },
        ..PackOptions::default()
    };
    let (m, bytes) = mpkit_bundle::pack_dir(&dir, &key, &opts)?;
    pb.finish_and_clear();
    write_atomic(&out, &bytes)?;
    o.emit(
        &json!({
            "appId": m.app_id, "version": m.version.to_string(), "build": m.build,
            "files": m.files.len(), "unpackedBytes": m.limits.unpacked_bytes,
            "bundleBytes": bytes.len(), "keyId": key.public().id(), "out": out,
        }),
        || {
            format!(
                "packed {} {} (build {}): {} files, {} bytes unpacked, {} bytes packed\nsigned by {} as {}\nwrote {}",
                m.app_id,
                m.version,
                m.build,
                m.files.len(),
                m.limits.unpacked_bytes,
                bytes.len(),
                key.public().id(),
                opts.role,
                out.display()
            )
        },
    )?;
    Ok(())
}
