//! `mpkit account`: platform accounts (admins).

use crate::output::{to_json, Output};
use crate::session::Session;
use anyhow::Result;
use clap::{Args, Subcommand};

/// `mpkit account`.
#[derive(Debug, Args)]
pub(crate) struct AccountArgs {
    #[command(subcommand)]
    command: AccountCommand,
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create an account and print its API token (shown once).
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
    },
}

pub(crate) fn run(args: AccountArgs, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match args.command {
        AccountCommand::Create { name } => {
            let a = s.call(
                format_args!("creating account {name:?}"),
                s.client.create_account(&name),
            )?;
            o.emit(&to_json(&a)?, || {
                format!(
                    "created account {} ({})\ntoken (shown once, store it now): {}",
                    a.id, a.name, a.token
                )
            })?;
        }
    }
    Ok(())
}
