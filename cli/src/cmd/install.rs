//! `mpkit install`: verify a bundle and install it into a store, keeping the
//! last good version.

use crate::args::{ExpectArgs, TrustArgs};
use crate::output::{spinner, Output};
use anyhow::Result;
use clap::Args;
use mpkit_bundle::{Caps, Store};
use serde_json::json;
use std::path::PathBuf;

/// `mpkit install`.
#[derive(Debug, Args)]
#[command(mut_group("trust_anchor", |g| g.required(true)))]
pub(crate) struct InstallArgs {
    /// The bundle.
    bundle: PathBuf,
    /// The store directory.
    #[arg(long)]
    store: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    expect: ExpectArgs,
    /// Install this older version over a newer current one (a rollback);
    /// without it, a bundle older than the current version is refused.
    #[arg(long, value_name = "VERSION", conflicts_with = "version")]
    rollback_to: Option<semver::Version>,
}

pub(crate) fn run(args: InstallArgs, o: &mut Output<'_>) -> Result<()> {
    let trust = args.trust.load()?;
    let store = Store::open(&args.store)?;
    let pb = spinner("installing");
    let mut expected = args.expect.expected()?;
    if let Some(v) = args.rollback_to {
        expected = expected.rollback_to(v);
    }
    let done = store.install_file(&args.bundle, &trust, &expected, &Caps::default())?;
    pb.finish_and_clear();
    let m = &done.manifest;
    let previous = done.previous.as_ref().map(ToString::to_string);
    o.emit(
        &json!({
            "ok": true, "appId": m.app_id, "version": m.version.to_string(), "path": done.path,
            "previous": previous, "alreadyPresent": done.already_present,
        }),
        || {
            let how = if done.already_present {
                "already installed; now current"
            } else {
                "installed"
            };
            let prev = previous
                .map(|p| format!(" (last good version kept: {p})"))
                .unwrap_or_default();
            format!(
                "{how} {} {} at {}{prev}",
                m.app_id,
                m.version,
                done.path.display()
            )
        },
    )?;
    Ok(())
}
