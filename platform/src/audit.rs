//! The audit log (one row per mutation, written in the mutation's
//! transaction) and the inbox (the release results each account is told).

use crate::db::Columns;
use crate::error::Error;
use crate::ids::ordered_id;
use crate::now;
use mpkit_platform_client::wire::{AuditEntry, InboxMessage};
use serde_json::Value;
use sqlx::{Any, AnyPool, Transaction};

/// The most bytes one side (before or after) of an audit entry keeps.
pub(crate) const MAX_AUDIT_SIDE: usize = 16 * 1024;

/// A state as the audit log keeps it: whole up to [`MAX_AUDIT_SIDE`]
/// bytes; past it, its size and digest (the log cannot be grown by large
/// edits).
fn capped(v: Value) -> String {
    let text = v.to_string();
    if text.len() <= MAX_AUDIT_SIDE {
        return text;
    }
    use sha2::Digest;
    serde_json::json!({
        "truncated": true,
        "bytes": text.len(),
        "sha256": hex::encode(sha2::Sha256::digest(text.as_bytes())),
    })
    .to_string()
}

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
        .bind(before.map(capped))
        .bind(after.map(capped))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The audit log in the order it was written, or only the entries about
/// `object`: `limit` entries after the entry `after`.
pub(crate) async fn log(
    db: &AnyPool,
    object: Option<&str>,
    page: &crate::page::Page,
) -> Result<Vec<AuditEntry>, Error> {
    let (after, limit) = (page.after_or(""), page.limit);
    let rows = match object {
        Some(o) => {
            sqlx::query("SELECT * FROM audit WHERE object = $1 AND id > $2 ORDER BY id LIMIT $3")
                .bind(o)
                .bind(after)
                .bind(limit)
                .fetch_all(db)
                .await?
        }
        None => {
            sqlx::query("SELECT * FROM audit WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(db)
                .await?
        }
    };
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.text("id")?,
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

/// An account's notifications, oldest first: `limit` after the message `after`.
pub(crate) async fn inbox(
    db: &AnyPool,
    account: &str,
    page: &crate::page::Page,
) -> Result<Vec<InboxMessage>, Error> {
    let rows = sqlx::query(
        "SELECT id, at, text, release_id FROM inbox WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(account)
    .bind(page.after_or(""))
    .bind(page.limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(InboxMessage {
                id: r.text("id")?,
                at: r.int("at")?,
                text: r.text("text")?,
                release: r.opt_text("release_id")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_side_is_kept_as_its_size_and_digest() {
        let small = serde_json::json!({"a": "b"});
        assert_eq!(capped(small.clone()), small.to_string());
        let big = serde_json::json!({"description": "x".repeat(MAX_AUDIT_SIDE)});
        let kept: Value = serde_json::from_str(&capped(big.clone())).expect("json");
        assert_eq!(kept["truncated"], true);
        assert_eq!(kept["bytes"], big.to_string().len());
        assert_eq!(kept["sha256"].as_str().map(str::len), Some(64));
        assert!(capped(big).len() < 200);
    }
}
