//! The audit log: one row per mutation, written in the mutation's transaction.

use crate::error::Error;
use crate::ids::ordered_id;
use crate::now;
use serde_json::Value;
use sqlx::{Any, Transaction};

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
