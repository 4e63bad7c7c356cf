//! `mpkit verify`: a bundle completely, against a trust anchor.

use crate::args::{ExpectArgs, TrustArgs};
use crate::output::{progress, Output};
use anyhow::Result;
use clap::Args;
use mpkit_bundle::Caps;
use serde_json::json;
use std::path::PathBuf;

/// `mpkit verify`.
#[derive(Debug, Args)]
#[command(mut_group("trust_anchor", |g| g.required(true)))]
pub(crate) struct VerifyArgs {
    /// The bundle.
    bundle: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    expect: ExpectArgs,
}

pub(crate) fn run(args: VerifyArgs, o: &mut Output<'_>) -> Result<()> {
    let trust = args.trust.load()?;
    let caps = Caps::default();
    let bytes = mpkit_bundle::read_capped(&args.bundle, caps.max_archive_bytes)?;
    let expected = args.expect.expected()?;
    let bundle = mpkit_bundle::open(&bytes, &trust, &expected, &caps)?;
    let pb = progress(bundle.manifest().files.len() as u64, "verifying");
    bundle.check_contents()?;
    pb.finish_and_clear();
    let m = bundle.manifest();
    let signers: Vec<String> = bundle.signers().iter().map(|k| k.to_string()).collect();
    o.emit(
        &json!({"ok": true, "appId": m.app_id, "version": m.version.to_string(), "build": m.build, "signers": signers, "files": m.files.len()}),
        || format!("OK {} {} (build {}), {} files, signed by {}", m.app_id, m.version, m.build, m.files.len(), signers.join(", ")),
    )?;
    Ok(())
}
