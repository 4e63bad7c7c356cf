//! `mpkit member`: workspace members, their roles, and Developers' assignments.

use crate::args::wire_value;
use crate::output::{table, to_json, Output};
use crate::session::Session;
use anyhow::Result;
use clap::{Args, Subcommand};
use mpkit_platform_client::wire;

/// `mpkit member`.
#[derive(Debug, Args)]
pub(crate) struct MemberArgs {
    #[command(subcommand)]
    command: MemberCommand,
}

#[derive(Debug, Subcommand)]
enum MemberCommand {
    /// Add an account to a workspace with a role (Master).
    Add {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
        /// The account id.
        #[arg(long)]
        account: String,
        /// Its role.
        #[arg(long, value_parser = wire_value::<wire::Role>())]
        role: wire::Role,
    },
    /// Change a member's role (Master).
    Role {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
        /// The account id.
        #[arg(long)]
        account: String,
        /// The new role.
        #[arg(long, value_parser = wire_value::<wire::Role>())]
        role: wire::Role,
    },
    /// Assign a mini program to a Developer.
    Assign {
        /// The mini program.
        #[arg(long)]
        app: String,
        /// The Developer's account id.
        #[arg(long)]
        account: String,
        /// Also grant production decisions on it (rollback, takedown);
        /// assigning again without it withdraws the grant.
        #[arg(long)]
        production: bool,
    },
    /// Remove a member from a workspace (Master; the last Master stays).
    Remove {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
        /// The account id.
        #[arg(long)]
        account: String,
    },
    /// A workspace's members and their roles.
    List {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
    },
}

fn members_table(members: &[wire::Member]) -> String {
    let rows: Vec<Vec<String>> = members
        .iter()
        .map(|m| vec![m.account_id.clone(), m.role.to_string()])
        .collect();
    table(&["ACCOUNT", "ROLE"], &rows)
}

pub(crate) fn run(args: MemberArgs, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match args.command {
        MemberCommand::Add {
            workspace,
            account,
            role,
        } => {
            let m = s.call(
                format_args!("adding {account} to {workspace}"),
                s.client.add_member(&workspace, &account, role),
            )?;
            o.emit(&to_json(&m)?, || {
                format!("{} is now {} in {}", m.account_id, m.role, m.workspace)
            })?;
        }
        MemberCommand::Role {
            workspace,
            account,
            role,
        } => {
            let m = s.call(
                format_args!("changing the role of {account} in {workspace}"),
                s.client.set_role(&workspace, &account, role),
            )?;
            o.emit(&to_json(&m)?, || {
                format!("{} is now {} in {}", m.account_id, m.role, m.workspace)
            })?;
        }
        MemberCommand::Assign {
            app,
            account,
            production,
        } => {
            let a = s.call(
                format_args!("assigning {app} to {account}"),
                s.client.assign(&app, &account, production),
            )?;
            o.emit(&to_json(&a)?, || {
                let grant = if a.production {
                    ", with production decisions (rollback, takedown)"
                } else {
                    ""
                };
                format!("{} is assigned to {}{grant}", a.app_id, a.account_id)
            })?;
        }
        MemberCommand::Remove { workspace, account } => {
            let m = s.call(
                format_args!("removing {account} from {workspace}"),
                s.client.remove_member(&workspace, &account),
            )?;
            o.emit(&to_json(&m)?, || {
                format!("removed {} ({}) from {}", m.account_id, m.role, m.workspace)
            })?;
        }
        MemberCommand::List { workspace } => {
            let ms = s.call(
                format_args!("listing the members of {workspace}"),
                s.client.members(&workspace),
            )?;
            o.emit(&to_json(&ms)?, || members_table(&ms))?;
        }
    }
    Ok(())
}
