//! `mpkit pack`: a mini program directory into a signed bundle.

use crate::args::IdentityArgs;
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
    /// The project: a folder holding app.json, or mini.project.json naming it.
    dir: PathBuf,
    /// The signing key.
    #[arg(long)]
    key: PathBuf,
    /// The bundle to write.
    #[arg(long)]
    out: PathBuf,
    /// The app id, version and name to stamp (app.json holds none of them).
    #[command(flatten)]
    identity: IdentityArgs,
    /// Build number instead of mpkit.json's or the one derived from the version.
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
        identity,
        build,
        role,
    } = args;
    let key = SecretKey::read(&key)?;
    let pb = spinner("packing");
    let opts = PackOptions {
        app_id: identity.app_id,
        name: identity.name,
        version: identity.version,
        build,
        role: match role {
            SignRole::Developer => Role::Developer,
            SignRole::Publisher => Role::Publisher,
        },
        ..PackOptions::default()
    };
    let packed = mpkit_bundle::pack_project(&dir, &key, &opts)?;
    pb.finish_and_clear();
    for w in &packed.warnings {
        writeln!(o.diag(), "warning: {w}")?;
    }
    let (m, bytes) = (packed.manifest, packed.bytes);
    // The domain lists as a host and the platform read them: a pattern they
    // would refuse is refused now, and nothing is written.
    mpkit_sandbox::net::NetPolicy::from_lists(&m.permissions.domains)?;
    write_atomic(&out, &bytes)?;
    o.emit(
        &json!({
            "appId": m.app_id, "version": m.version.to_string(), "build": m.build,
            "files": m.files.len(), "unpackedBytes": m.limits.unpacked_bytes,
            "bundleBytes": bytes.len(), "keyId": key.public().id(), "out": out,
            "pages": m.pages, "warnings": packed.warnings,
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
