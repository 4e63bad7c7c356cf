//! `mpkit rollout bucket`: a user's grayscale bucket, computed here with the
//! platform's own function.

use crate::output::Output;
use anyhow::Result;
use clap::{Args, Subcommand};
use mpkit_platform_client::rollout;
use serde_json::json;

/// `mpkit rollout`.
#[derive(Debug, Args)]
pub(crate) struct RolloutArgs {
    #[command(subcommand)]
    command: RolloutCommand,
}

#[derive(Debug, Subcommand)]
enum RolloutCommand {
    /// Print a user's grayscale bucket (0..9999 basis points) for a salt.
    Bucket(BucketArgs),
}

#[derive(Debug, Args)]
struct BucketArgs {
    /// The grayscale's salt.
    #[arg(long)]
    salt: String,
    /// The user id.
    #[arg(long)]
    user: String,
    /// Also say whether the user is inside this percentage (e.g. 12.5).
    #[arg(long)]
    percent: Option<String>,
}

pub(crate) fn run(args: RolloutArgs, o: &mut Output<'_>) -> Result<()> {
    let RolloutCommand::Bucket(a) = args.command;
    let (salt, user, percent) = (a.salt.as_str(), a.user.as_str(), a.percent.as_deref());
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
