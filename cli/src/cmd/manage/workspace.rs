//! `mpkit workspace`: merchant and ISV workspaces.

use crate::args::wire_value;
use crate::output::{table, to_json, Output};
use crate::session::Session;
use anyhow::Result;
use clap::{Args, Subcommand};
use mpkit_platform_client::wire;

/// `mpkit workspace`.
#[derive(Debug, Args)]
pub(crate) struct WorkspaceArgs {
    #[command(subcommand)]
    command: WorkspaceCommand,
}

#[derive(Debug, Subcommand)]
enum WorkspaceCommand {
    /// Create a workspace; you become its Master.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Merchant (owns mini programs) or ISV (develops them for merchants).
        #[arg(long, value_parser = wire_value::<wire::WorkspaceKind>())]
        kind: wire::WorkspaceKind,
    },
    /// The workspaces you are a member of, and your role in each.
    List,
}

pub(crate) fn run(args: WorkspaceArgs, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match args.command {
        WorkspaceCommand::Create { name, kind } => {
            let w = s.call(
                format_args!("creating workspace {name:?}"),
                s.client.create_workspace(&name, kind),
            )?;
            o.emit(&to_json(&w)?, || {
                format!(
                    "created {} workspace {} ({}); you are its {}",
                    w.kind, w.id, w.name, w.role
                )
            })?;
        }
        WorkspaceCommand::List => {
            let me = s.call("reading your account (GET /v1/me)", s.client.me())?;
            o.emit(&to_json(&me.workspaces)?, || {
                if me.workspaces.is_empty() {
                    return format!("{} is not a member of any workspace", me.id);
                }
                let rows: Vec<Vec<String>> = me
                    .workspaces
                    .iter()
                    .map(|m| vec![m.workspace.clone(), m.role.to_string()])
                    .collect();
                table(&["WORKSPACE", "ROLE"], &rows)
            })?;
        }
    }
    Ok(())
}
