//! `mpkit isv`: authorize an ISV workspace to act on a merchant's mini programs.

use crate::args::wire_value;
use crate::output::{names, to_json, Output};
use crate::session::Session;
use anyhow::Result;
use clap::{Args, Subcommand};
use mpkit_platform_client::wire;

/// `mpkit isv`.
#[derive(Debug, Args)]
pub(crate) struct IsvArgs {
    #[command(subcommand)]
    command: IsvCommand,
}

#[derive(Debug, Subcommand)]
enum IsvCommand {
    /// Let an ISV workspace act on one or all of a merchant's mini programs (merchant Master).
    Authorize {
        /// The merchant workspace.
        #[arg(long)]
        workspace: String,
        /// The ISV workspace.
        #[arg(long, value_name = "ISV_WS")]
        isv: String,
        /// One mini program; all of the merchant's when absent.
        #[arg(long)]
        app: Option<String>,
        /// Allowed actions, comma-separated.
        #[arg(long, value_delimiter = ',', required = true, value_parser = wire_value::<wire::IsvAction>())]
        actions: Vec<wire::IsvAction>,
    },
    /// Revoke an authorization; it applies on the ISV's next call.
    Revoke {
        /// The authorization id.
        id: String,
    },
}

pub(crate) fn run(args: IsvArgs, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match args.command {
        IsvCommand::Authorize {
            workspace,
            isv,
            app,
            actions,
        } => {
            let req = wire::NewAuth {
                isv_workspace: isv.clone(),
                app_id: app,
                actions,
            };
            let a = s.call(
                format_args!("authorizing {isv} in {workspace}"),
                s.client.authorize_isv(&workspace, &req),
            )?;
            o.emit(&to_json(&a)?, || {
                format!(
                    "authorization {}: {} may {} {} of {}",
                    a.id,
                    a.isv,
                    names(&a.actions, ", "),
                    a.app_id
                        .as_deref()
                        .map(|x| format!("mini program {x}"))
                        .unwrap_or_else(|| "every mini program".into()),
                    a.merchant
                )
            })?;
        }
        IsvCommand::Revoke { id } => {
            let r = s.call(
                format_args!("revoking authorization {id}"),
                s.client.revoke_isv(&id),
            )?;
            o.emit(&to_json(&r)?, || format!("revoked authorization {}", r.id))?;
        }
    }
    Ok(())
}
