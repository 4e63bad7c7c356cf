//! `mpkit target`: target (super) apps, their reviewers and operators.

use crate::output::{table, to_json, Output};
use crate::session::Session;
use anyhow::Result;
use clap::{Args, Subcommand};
use mpkit_platform_client::wire;

/// `mpkit target`.
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    #[command(subcommand)]
    command: TargetCommand,
}

#[derive(Debug, Subcommand)]
enum TargetCommand {
    /// Add a target app with the JSAPI permissions it allows (admins).
    Create {
        /// Its id, e.g. demo.wallet.
        #[arg(long)]
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// JSAPI permission keys it allows, comma-separated (e.g. request,tradePay).
        #[arg(long, value_delimiter = ',')]
        allow: Vec<String>,
    },
    /// Every target app.
    List,
    /// The reviewers of a target app.
    Reviewer {
        #[command(subcommand)]
        command: ReviewerCommand,
    },
    /// The operators of a target app: accounts of its server, which issue auth codes.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ReviewerCommand {
    /// Make an account a reviewer of a target app (admins).
    Add {
        /// The target app.
        #[arg(long)]
        target: String,
        /// The account id.
        #[arg(long)]
        account: String,
    },
    /// The reviewers of a target app (admins).
    List {
        /// The target app.
        #[arg(long)]
        target: String,
    },
    /// Remove a reviewer (admins); it applies on their next call.
    Remove {
        /// The target app.
        #[arg(long)]
        target: String,
        /// The account id.
        #[arg(long)]
        account: String,
    },
}

#[derive(Debug, Subcommand)]
enum OperatorCommand {
    /// Let an account issue auth codes for the target app's users (admins).
    Add {
        /// The target app.
        #[arg(long)]
        target: String,
        /// The account id.
        #[arg(long)]
        account: String,
    },
    /// The operators of a target app (admins).
    List {
        /// The target app.
        #[arg(long)]
        target: String,
    },
    /// Remove a operator (admins); it applies on their next call.
    Remove {
        /// The target app.
        #[arg(long)]
        target: String,
        /// The account id.
        #[arg(long)]
        account: String,
    },
}

pub(crate) fn run(args: TargetArgs, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match args.command {
        TargetCommand::Create { id, name, allow } => {
            let req = wire::NewTarget {
                id: id.clone(),
                name,
                allowed_permissions: allow
                    .into_iter()
                    .map(|a| a.trim().to_owned())
                    .filter(|a| !a.is_empty())
                    .collect(),
            };
            let t = s.call(
                format_args!("creating target app {id}"),
                s.client.create_target(&req),
            )?;
            o.emit(&to_json(&t)?, || {
                format!(
                    "created target app {} ({}), allowing: {}",
                    t.id,
                    t.name,
                    if t.allowed_permissions.is_empty() {
                        "nothing".to_owned()
                    } else {
                        t.allowed_permissions.join(", ")
                    }
                )
            })?;
        }
        TargetCommand::List => {
            let ts = s.call("listing the target apps", s.client.targets())?;
            o.emit(&to_json(&ts)?, || {
                let rows: Vec<Vec<String>> = ts
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.clone(),
                            t.name.clone(),
                            t.allowed_permissions.join(","),
                        ]
                    })
                    .collect();
                table(&["TARGET", "NAME", "ALLOWS"], &rows)
            })?;
        }
        TargetCommand::Reviewer {
            command: ReviewerCommand::List { target },
        } => {
            let rs = s.call(
                format_args!("listing the reviewers of {target}"),
                s.client.reviewers(&target),
            )?;
            o.emit(&to_json(&rs)?, || people(rs.iter().map(|r| &r.account_id)))?;
        }
        TargetCommand::Reviewer {
            command: ReviewerCommand::Remove { target, account },
        } => {
            let r = s.call(
                format_args!("removing reviewer {account} from {target}"),
                s.client.remove_reviewer(&target, &account),
            )?;
            o.emit(&to_json(&r)?, || {
                format!(
                    "{} no longer reviews releases in {}",
                    r.account_id, r.target_app
                )
            })?;
        }
        TargetCommand::Operator {
            command: OperatorCommand::List { target },
        } => {
            let rs = s.call(
                format_args!("listing the operators of {target}"),
                s.client.operators(&target),
            )?;
            o.emit(&to_json(&rs)?, || people(rs.iter().map(|r| &r.account_id)))?;
        }
        TargetCommand::Operator {
            command: OperatorCommand::Remove { target, account },
        } => {
            let r = s.call(
                format_args!("removing operator {account} from {target}"),
                s.client.remove_operator(&target, &account),
            )?;
            o.emit(&to_json(&r)?, || {
                format!(
                    "{} no longer issues auth codes for the users of {}",
                    r.account_id, r.target_app
                )
            })?;
        }
        TargetCommand::Reviewer {
            command: ReviewerCommand::Add { target, account },
        } => {
            let r = s.call(
                format_args!("adding reviewer {account} to {target}"),
                s.client.add_reviewer(&target, &account),
            )?;
            o.emit(&to_json(&r)?, || {
                format!("{} now reviews releases in {}", r.account_id, r.target_app)
            })?;
        }
        TargetCommand::Operator {
            command: OperatorCommand::Add { target, account },
        } => {
            let r = s.call(
                format_args!("adding operator {account} to {target}"),
                s.client.add_operator(&target, &account),
            )?;
            o.emit(&to_json(&r)?, || {
                format!(
                    "{} now issues auth codes for the users of {}",
                    r.account_id, r.target_app
                )
            })?;
        }
    }
    Ok(())
}

/// Accounts, one per row.
fn people<'a>(accounts: impl Iterator<Item = &'a String>) -> String {
    let rows: Vec<Vec<String>> = accounts.map(|a| vec![a.clone()]).collect();
    table(&["ACCOUNT"], &rows)
}
