//! `mpkit login`: checks a platform token with `GET /v1/me`, then stores it
//! with its server (mode 0600).

use crate::output::Output;
use crate::session::{config_dir, runtime, write_credentials, Credentials};
use anyhow::{Context as _, Result};
use clap::Args;
use mpkit_platform_client::Client;
use serde_json::json;

/// `mpkit login`.
#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The platform's base URL, e.g. https://platform.example.com.
    #[arg(long, value_name = "URL")]
    server: String,
    /// An API token of your account (a CI job may set MPKIT_TOKEN instead).
    #[arg(long, value_name = "TOKEN")]
    token: String,
}

pub(crate) fn run(args: LoginArgs, o: &mut Output<'_>) -> Result<()> {
    let (server, token) = (args.server.as_str(), args.token.as_str());
    let client =
        Client::new(server, Some(token.to_owned())).with_context(|| format!("server {server}"))?;
    let me = runtime()?.block_on(client.me()).map_err(|e| {
        let why = if e.status() == Some(401) {
            "the server refused this token; nothing was stored"
        } else {
            "checking the token with GET /v1/me failed; nothing was stored"
        };
        anyhow::Error::new(e).context(why)
    })?;
    let dir = config_dir()?;
    let path = write_credentials(
        &dir,
        &Credentials {
            server: client.base().to_owned(),
            token: token.to_owned(),
        },
    )?;
    o.emit(
        &json!({
            "ok": true, "server": client.base(), "account": me.id, "admin": me.admin,
            "workspaces": me.workspaces, "credentials": path,
        }),
        || {
            format!(
                "logged in to {} as {}{}; token stored in {} (mode 0600)",
                client.base(),
                me.id,
                if me.admin { " (platform admin)" } else { "" },
                path.display()
            )
        },
    )?;
    Ok(())
}
