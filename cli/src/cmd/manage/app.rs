//! `mpkit app`: mini programs on the platform, and their servers' secrets.

use super::{releases_table, versions_table};
use crate::output::{table, to_json, when, Output};
use crate::session::Session;
use anyhow::Result;
use clap::{Args, Subcommand};
use mpkit_platform_client::wire;
use serde_json::json;

/// `mpkit app`.
#[derive(Debug, Args)]
pub(crate) struct AppArgs {
    #[command(subcommand)]
    command: AppCommand,
}

#[derive(Debug, Subcommand)]
enum AppCommand {
    /// Create a mini program in a merchant workspace.
    Create {
        /// The merchant workspace that owns it.
        #[arg(long)]
        workspace: String,
        /// Its appId (16 digits); the platform assigns one when left out.
        #[arg(long)]
        app_id: Option<String>,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The ISV workspace that develops it (third-party).
        #[arg(long, value_name = "ISV_WS")]
        developer: Option<String>,
    },
    /// The mini programs a workspace owns or develops that you can see.
    List {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
    },
    /// A mini program with its versions and releases.
    Show {
        /// The appId.
        app: String,
    },
    /// Take a mini program down from a target app (ends any pilot or grayscale).
    Takedown {
        /// The appId.
        app: String,
        /// The target app.
        #[arg(long)]
        target: String,
    },
    /// Credentials of the mini program's own server, which exchanges auth codes (Master or Owner).
    Secret {
        #[command(subcommand)]
        command: SecretCommand,
    },
}

#[derive(Debug, Subcommand)]
enum SecretCommand {
    /// Create one; the secret is printed once and never again.
    Create {
        /// The appId.
        app: String,
        /// What it is for, e.g. "orders backend".
        #[arg(long)]
        name: String,
    },
    /// The mini program's secrets, without the secrets themselves.
    List {
        /// The appId.
        app: String,
    },
    /// Revoke one: it exchanges nothing from now on.
    Revoke {
        /// The appId.
        app: String,
        /// The secret's id (from `list`).
        #[arg(long)]
        id: String,
    },
}

fn apps_table(apps: &[wire::App]) -> String {
    let rows: Vec<Vec<String>> = apps
        .iter()
        .map(|a| {
            vec![
                a.app_id.clone(),
                a.name.clone(),
                a.owner.clone(),
                a.developer.clone().unwrap_or_else(|| "-".into()),
                a.kind.to_string(),
            ]
        })
        .collect();
    table(&["APP", "NAME", "OWNER", "DEVELOPER", "KIND"], &rows)
}

pub(crate) fn run(args: AppArgs, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match args.command {
        AppCommand::Create {
            workspace,
            app_id,
            name,
            developer,
        } => {
            let req = wire::NewApp {
                app_id,
                name: name.clone(),
                developer_workspace: developer,
            };
            let a = s.call(
                format_args!("creating mini program {name:?} in {workspace}"),
                s.client.create_app(&workspace, &req),
            )?;
            o.emit(&to_json(&a)?, || {
                let dev = a
                    .developer
                    .as_deref()
                    .map(|d| format!(", developed by {d}"))
                    .unwrap_or_default();
                format!(
                    "created mini program {} ({}) owned by {}{dev}",
                    a.app_id, a.name, a.owner
                )
            })?;
        }
        AppCommand::List { workspace } => {
            let apps = s.call(
                format_args!("listing the mini programs of {workspace}"),
                s.client.apps(&workspace),
            )?;
            o.emit(&to_json(&apps)?, || apps_table(&apps))?;
        }
        AppCommand::Show { app } => {
            let d = s.call(format_args!("reading {app}"), s.client.app(&app))?;
            let vs = s.call(
                format_args!("listing the versions of {app}"),
                s.client.versions(&app),
            )?;
            let v = json!({
                "appId": d.app_id, "name": d.name, "owner": d.owner, "developer": d.developer,
                "versions": vs, "releases": d.releases,
            });
            o.emit(&v, || {
                let mut s = format!(
                    "{} {}\nowner:     {}\ndeveloper: {}\n\nversions\n",
                    d.app_id,
                    d.name,
                    d.owner,
                    d.developer.as_deref().unwrap_or("- (self-developed)")
                );
                if vs.is_empty() {
                    s.push_str("(none uploaded)\n");
                } else {
                    s.push_str(&versions_table(&vs));
                }
                s.push_str("\nreleases\n");
                if d.releases.is_empty() {
                    s.push_str("(none)\n");
                } else {
                    s.push_str(&releases_table(&d.releases));
                }
                s
            })?;
        }
        AppCommand::Takedown { app, target } => {
            let c = s.call(
                format_args!("taking {app} down from {target}"),
                s.client.takedown(&app, &target),
            )?;
            o.emit(&to_json(&c)?, || {
                format!(
                    "{} is taken down from {} (policy seq {}); resolve answers no version now",
                    c.app_id, c.target_app, c.seq
                )
            })?;
        }
        AppCommand::Secret { command } => app_secret(&s, command, o)?,
    }
    Ok(())
}

fn app_secret(s: &Session, cmd: SecretCommand, o: &mut Output<'_>) -> Result<()> {
    match cmd {
        SecretCommand::Create { app, name } => {
            let c = s.call(
                format_args!("creating a secret for {app}"),
                s.client.create_app_secret(&app, &name),
            )?;
            o.emit(&to_json(&c)?, || {
                format!(
                    "secret {} ({}) for {}: {}\nit is shown this once; give it to the mini program's server, which exchanges auth codes with it",
                    c.info.id, c.info.name, c.info.app_id, c.secret
                )
            })?;
        }
        SecretCommand::List { app } => {
            let list = s.call(
                format_args!("listing the secrets of {app}"),
                s.client.app_secrets(&app),
            )?;
            o.emit(&to_json(&list)?, || {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|k| {
                        vec![
                            k.id.clone(),
                            k.name.clone(),
                            when(k.created_at),
                            k.revoked_at.map_or_else(|| "-".to_owned(), when),
                        ]
                    })
                    .collect();
                table(&["ID", "NAME", "CREATED", "REVOKED"], &rows)
            })?;
        }
        SecretCommand::Revoke { app, id } => {
            let k = s.call(
                format_args!("revoking secret {id} of {app}"),
                s.client.revoke_app_secret(&app, &id),
            )?;
            o.emit(&to_json(&k)?, || {
                format!("secret {} ({}) of {} is revoked", k.id, k.name, k.app_id)
            })?;
        }
    }
    Ok(())
}
