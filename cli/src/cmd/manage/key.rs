//! `mpkit key`: developer keys that uploads must be signed with.

use crate::error::Coded;
use crate::output::{table, to_json, when, Output};
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
    /// A workspace's developer keys, revoked ones included (Owner).
    List {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
    },
    /// Revoke a developer key (Owner): uploads signed with it are refused,
    /// and so are approvals of versions it signed.
    Revoke {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
        /// The key's id (from `mpkit key list`).
        #[arg(long = "key-id")]
        key_id: String,
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
        KeyCommand::List { workspace } => {
            let s = Session::open()?;
            let ks = s.call(
                format_args!("listing the keys of {workspace}"),
                s.client.keys(&workspace),
            )?;
            o.emit(&to_json(&ks)?, || {
                let rows: Vec<Vec<String>> = ks
                    .iter()
                    .map(|k| {
                        vec![
                            k.key_id.clone(),
                            k.added_by.clone(),
                            when(k.created_at),
                            k.revoked_at.map_or_else(|| "-".into(), when),
                        ]
                    })
                    .collect();
                table(&["KEY", "ADDED BY", "ADDED", "REVOKED"], &rows)
            })?;
        }
        KeyCommand::Revoke { workspace, key_id } => {
            let s = Session::open()?;
            let k = s.call(
                format_args!("revoking key {key_id} of {workspace}"),
                s.client.revoke_key(&workspace, &key_id),
            )?;
            o.emit(&to_json(&k)?, || {
                format!("key {} of {} is revoked", k.key_id, k.workspace)
            })?;
        }
    }
    Ok(())
}
