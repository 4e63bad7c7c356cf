//! `mpkit account`: platform accounts (admins).

use crate::output::{table, to_json, when, Output};
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
    /// Your own API tokens: list, create (optionally expiring), revoke.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Revoke every token of another account at once (admins).
    RevokeTokens {
        /// The account id.
        #[arg(long)]
        account: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Your tokens: ids, when made, when they expire, which one this is.
    List,
    /// A new token for you, printed once. Rotate: create, log in with it,
    /// revoke the old one.
    Create {
        /// Seconds until it expires (1 to five years); never, when absent.
        #[arg(long, value_name = "SECONDS")]
        expires_in: Option<u64>,
    },
    /// Revoke one of your tokens by its id; it fails on its next call. A
    /// platform admin keeps one live token.
    Revoke {
        /// The token's id (from `mpkit account token list`).
        #[arg(long)]
        id: String,
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
        AccountCommand::Token {
            command: TokenCommand::List,
        } => {
            let ts = s.call("listing your tokens", s.client.tokens())?;
            o.emit(&to_json(&ts)?, || {
                let rows: Vec<Vec<String>> = ts
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.clone(),
                            when(t.created_at),
                            t.expires_at.map_or_else(|| "never".into(), when),
                            t.revoked_at.map_or_else(|| "-".into(), when),
                            if t.current {
                                "this one".into()
                            } else {
                                String::new()
                            },
                        ]
                    })
                    .collect();
                table(&["TOKEN ID", "CREATED", "EXPIRES", "REVOKED", ""], &rows)
            })?;
        }
        AccountCommand::Token {
            command: TokenCommand::Create { expires_in },
        } => {
            let t = s.call("creating a token", s.client.create_token(expires_in))?;
            o.emit(&to_json(&t)?, || {
                format!(
                    "token {} (expires: {})\ntoken (shown once, store it now): {}",
                    t.id,
                    t.expires_at.map_or_else(|| "never".into(), when),
                    t.token
                )
            })?;
        }
        AccountCommand::Token {
            command: TokenCommand::Revoke { id },
        } => {
            let t = s.call(
                format_args!("revoking token {id}"),
                s.client.revoke_token(&id),
            )?;
            o.emit(&to_json(&t)?, || format!("token {} is revoked", t.id))?;
        }
        AccountCommand::RevokeTokens { account } => {
            let r = s.call(
                format_args!("revoking the tokens of {account}"),
                s.client.revoke_account_tokens(&account),
            )?;
            o.emit(&to_json(&r)?, || {
                format!("revoked {} token(s) of {}", r.revoked, r.account_id)
            })?;
        }
    }
    Ok(())
}
