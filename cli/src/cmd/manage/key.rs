//! `mpkit key`: developer keys that uploads must be signed with.

use crate::error::Coded;
use crate::output::{to_json, Output};
use crate::session::Session;
use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use mpkit_bundle::PublicKey;
use std::path::PathBuf;

/// `mpkit key`.
#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    #[command(subcommand)]
    command: KeyCommand,
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Register a developer public key (the KEY.pub of `mpkit keygen`) with a workspace.
    Register {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
        /// The public key file (PEM or 64 hex digits).
        #[arg(long, value_name = "KEY.pub")]
        key: PathBuf,
    },
}

pub(crate) fn run(args: KeyArgs, o: &mut Output<'_>) -> Result<()> {
    match args.command {
        KeyCommand::Register { workspace, key } => {
            let text = std::fs::read_to_string(&key)
                .with_context(|| format!("reading {}", key.display()))?;
            if text.contains("PRIVATE KEY") {
                return Err(Coded::err(
                    "private_key",
                    format!(
                        "{} is a private key; register its public half (the KEY.pub `mpkit keygen` wrote)",
                        key.display()
                    ),
                ));
            }
            let pk = PublicKey::read(&key).with_context(|| format!("key {}", key.display()))?;
            let s = Session::open()?;
            let r = s.call(
                format_args!("registering key {} with {workspace}", pk.id()),
                s.client.register_key(&workspace, &pk.to_hex()),
            )?;
            o.emit(&to_json(&r)?, || {
                format!("registered key {} with {}", r.key_id, r.workspace)
            })?;
        }
    }
    Ok(())
}
