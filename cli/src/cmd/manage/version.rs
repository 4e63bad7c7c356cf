//! `mpkit version`: uploaded versions of a mini program.

use super::versions_table;
use crate::output::{progress, to_json, Output};
use crate::session::Session;
use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use mpkit_bundle::Caps;
use mpkit_platform_client::{Config, Progress};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `mpkit version`.
#[derive(Debug, Args)]
pub(crate) struct VersionArgs {
    #[command(subcommand)]
    command: VersionCommand,
}

#[derive(Debug, Subcommand)]
enum VersionCommand {
    /// Upload a developer-signed bundle (its appId comes from the manifest).
    Upload {
        /// The bundle, from `mpkit pack`.
        bundle: PathBuf,
    },
    /// The uploaded versions of a mini program.
    List {
        /// The appId.
        #[arg(long)]
        app: String,
    },
}

pub(crate) fn run(args: VersionArgs, o: &mut Output<'_>) -> Result<()> {
    match args.command {
        VersionCommand::Upload { bundle } => upload(&bundle, o),
        VersionCommand::List { app } => {
            let s = Session::open()?;
            let vs = s.call(
                format_args!("listing the versions of {app}"),
                s.client.versions(&app),
            )?;
            o.emit(&to_json(&vs)?, || versions_table(&vs))?;
            Ok(())
        }
    }
}

fn upload(path: &Path, o: &mut Output<'_>) -> Result<()> {
    let caps = Caps::default();
    let bytes = mpkit_bundle::read_capped(path, caps.max_archive_bytes)?;
    // The appId the bundle claims (not verified here: the platform verifies
    // the upload against the developing workspace's registered keys).
    let claims = mpkit_bundle::inspect(&bytes, &caps)
        .with_context(|| format!("{} is not a bundle", path.display()))?;
    let app = claims.manifest.app_id.to_string();
    let s = Session::open_with(Config {
        // A whole upload on a slow link; the server caps its size.
        timeout: std::time::Duration::from_secs(600),
        ..Config::default()
    })?;
    let pb = progress(bytes.len() as u64, "uploading");
    let bar = pb.clone();
    let report: Progress = Arc::new(move |done, _total| bar.set_position(done));
    let r = s.call(
        format_args!(
            "uploading {} {} to {app}",
            path.display(),
            claims.manifest.version
        ),
        s.client.upload_version(&app, bytes.into(), Some(report)),
    );
    pb.finish_and_clear();
    let r = r?;
    o.emit(&to_json(&r)?, || {
        let mut s = format!(
            "uploaded {} {} (build {}): {} bytes, sha256 {}",
            r.app_id, r.version, r.build, r.length, r.sha256
        );
        if !r.requested_permissions.jsapi.is_empty() {
            s.push_str(&format!(
                "\nrequests: {}",
                r.requested_permissions.jsapi.join(", ")
            ));
        }
        s
    })?;
    Ok(())
}
