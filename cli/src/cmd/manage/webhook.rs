//! `mpkit webhook`: release results POSTed to your server, signed with
//! HMAC-SHA256 (Master).

use crate::args::wire_value;
use crate::output::{names, table, to_json, when, Output};
use crate::session::Session;
use anyhow::Result;
use clap::{Args, Subcommand};
use mpkit_platform_client::wire;

/// `mpkit webhook`.
#[derive(Debug, Args)]
pub(crate) struct WebhookArgs {
    #[command(subcommand)]
    command: WebhookCommand,
}

#[derive(Debug, Subcommand)]
enum WebhookCommand {
    /// Register a webhook; prints its signing secret once.
    Add {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
        /// Where events are POSTed (http or https; not a loopback or private address).
        #[arg(long)]
        url: String,
        /// Events to send, comma-separated (e.g. release.approved,release.rejected); all when absent.
        #[arg(long, value_delimiter = ',', value_parser = wire_value::<wire::WebhookEvent>())]
        events: Vec<wire::WebhookEvent>,
    },
    /// The workspace's webhooks (without secrets).
    List {
        /// The workspace id.
        #[arg(long)]
        workspace: String,
    },
    /// Delete a webhook and its deliveries.
    Remove {
        /// The webhook id.
        id: String,
    },
    /// A webhook's latest deliveries with every attempt.
    Deliveries {
        /// The webhook id.
        id: String,
    },
}

pub(crate) fn run(args: WebhookArgs, o: &mut Output<'_>) -> Result<()> {
    let s = Session::open()?;
    match args.command {
        WebhookCommand::Add {
            workspace,
            url,
            events,
        } => {
            let req = wire::NewWebhook {
                url: url.clone(),
                events: (!events.is_empty()).then_some(events),
            };
            let h = s.call(
                format_args!("registering a webhook for {url} in {workspace}"),
                s.client.create_webhook(&workspace, &req),
            )?;
            o.emit(&to_json(&h)?, || {
                format!(
                    "webhook {} posts {} to {}\nsigning secret (shown once; verify X-Mpkit-Signature: sha256=HMAC(secret, body)): {}",
                    h.id,
                    names(&h.events, ", "),
                    h.url,
                    h.secret
                )
            })?;
        }
        WebhookCommand::List { workspace } => {
            let list = s.call(
                format_args!("listing the webhooks of {workspace}"),
                s.client.webhooks(&workspace),
            )?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|h| {
                    vec![
                        h.id.clone(),
                        h.url.clone(),
                        names(&h.events, ","),
                        when(h.created_at),
                    ]
                })
                .collect();
            o.emit(&to_json(&list)?, || {
                table(&["id", "url", "events", "created"], &rows)
            })?;
        }
        WebhookCommand::Remove { id } => {
            let h = s.call(
                format_args!("removing webhook {id}"),
                s.client.delete_webhook(&id),
            )?;
            o.emit(&to_json(&h)?, || {
                format!("removed webhook {} ({})", h.id, h.url)
            })?;
        }
        WebhookCommand::Deliveries { id } => {
            let list = s.call(
                format_args!("reading the deliveries of webhook {id}"),
                s.client.webhook_deliveries(&id),
            )?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|d| {
                    let last = d.attempts.last();
                    vec![
                        d.id.clone(),
                        d.event.to_string(),
                        d.status.to_string(),
                        d.attempts.len().to_string(),
                        last.and_then(|a| a.status)
                            .map(|c| c.to_string())
                            .or_else(|| last.and_then(|a| a.error.clone()))
                            .unwrap_or_else(|| "-".into()),
                        when(d.created_at),
                    ]
                })
                .collect();
            o.emit(&to_json(&list)?, || {
                table(
                    &[
                        "delivery",
                        "event",
                        "status",
                        "attempts",
                        "last answer",
                        "created",
                    ],
                    &rows,
                )
            })?;
        }
    }
    Ok(())
}
