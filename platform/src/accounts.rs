//! Accounts: the bootstrap admin of a fresh platform.

use crate::audit::audit;
use crate::authz::token_hash;
use crate::error::Error;
use crate::ids::{new_id, new_token};
use crate::{now, Bootstrap, Platform};
use serde_json::json;

/// Creates the bootstrap admin on first start.
pub(crate) async fn bootstrap(p: &Platform) -> Result<Option<Bootstrap>, Error> {
    let any = sqlx::query("SELECT id FROM accounts WHERE admin = 1 LIMIT 1")
        .fetch_optional(&p.db)
        .await?;
    if any.is_some() {
        return Ok(None);
    }
    let (id, token) = (new_id()?, new_token()?);
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO accounts (id, name, admin, created_at) VALUES ($1, $2, 1, $3)")
        .bind(&id)
        .bind("admin")
        .bind(now())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO tokens (hash, account_id, created_at) VALUES ($1, $2, $3)")
        .bind(token_hash(&token))
        .bind(&id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        "platform",
        "bootstrap",
        &format!("account:{id}"),
        None,
        Some(json!({"admin": true})),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Bootstrap { admin: id, token }))
}
