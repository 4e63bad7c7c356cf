//! `mpkit keygen`: an ed25519 key pair.

use crate::output::Output;
use anyhow::Result;
use clap::Args;
use mpkit_bundle::SecretKey;
use serde_json::json;
use std::path::PathBuf;

/// `mpkit keygen`.
#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Where to write the private key; the public key goes to KEY.pub.
    #[arg(long)]
    out: PathBuf,
}

pub(crate) fn run(args: KeygenArgs, o: &mut Output<'_>) -> Result<()> {
    let out = &args.out;
    let key = SecretKey::generate()?;
    let pub_path = key.write_pair(out)?;
    let id = key.public().id().to_string();
    o.emit(
        &json!({"keyId": id, "private": out, "public": pub_path}),
        || {
            format!(
                "keyId {id}\nprivate key: {} (mode 0600)\npublic key:  {}",
                out.display(),
                pub_path.display()
            )
        },
    )?;
    Ok(())
}
