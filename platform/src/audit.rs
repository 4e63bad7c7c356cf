//! The audit log (one row per mutation, written in the mutation's
//! transaction) and the inbox (the release results each account is told).

use crate::db::Columns;
use crate::error::Error;
use crate::ids::ordered_id;
use crate::now;
use mpkit_platform_client::wire::{AuditEntry, InboxMessage};
use serde_json::Value;
use sqlx::{Any, AnyPool, Transaction};

/// Records one mutation: who, what, when, and the state before and after.
pub(crate) async fn audit(
    tx: &mut Transaction<'_, Any>,
    actor: &str,
    action: &str,
    object: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO audit (id, at, actor, action, object, before_state, after_state) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(ordered_id()?)
        .bind(now())
        .bind(actor)
        .bind(action)
        .bind(object)
        .bind(before.map(|v| v.to_string()))
        .bind(after.map(|v| v.to_string()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The audit log in the order it was written, or only the entries about `object`.
pub(crate) async fn log(db: &AnyPool, object: Option<&str>) -> Result<Vec<AuditEntry>, Error> {
    let rows = match object {
        Some(o) => {
            sqlx::query("SELECT * FROM audit WHERE object = $1 ORDER BY id")
                .bind(o)
                .fetch_all(db)
                .await?
        }
        None => {
            sqlx::query("SELECT * FROM audit ORDER BY id")
                .fetch_all(db)
                .await?
        }
    };
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                at: r.int("at")?,
                actor: r.text("actor")?,
                action: r.text("action")?,
                object: r.text("object")?,
                before: r.opt_json("before_state")?,
                after: r.opt_json("after_state")?,
            })
        })
        .collect()
}

/// An account's notifications, oldest first.
pub(crate) async fn inbox(db: &AnyPool, account: &str) -> Result<Vec<InboxMessage>, Error> {
    let rows =
        sqlx::query("SELECT at, text, release_id FROM inbox WHERE account_id = $1 ORDER BY id")
            .bind(account)
            .fetch_all(db)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(InboxMessage {
                at: r.int("at")?,
                text: r.text("text")?,
                release: r.opt_text("release_id")?,
            })
        })
        .collect()
}
