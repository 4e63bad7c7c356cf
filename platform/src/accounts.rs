//! Accounts and their API tokens: the bootstrap admin of a fresh platform,
//! accounts an admin creates, and the caller's memberships.

use crate::audit::audit;
use crate::authz::token_hash;
use crate::db::Columns;
use crate::error::Error;
use crate::ids::{new_id, new_token};
use crate::{now, Bootstrap, Platform};
use mpkit_platform_client::wire::{AccountCreated, Membership};
use serde_json::json;
use sqlx::{Any, AnyPool, Transaction};

/// Inserts an account and its token; the token is returned (shown once),
/// only its hash is stored.
async fn insert(
    tx: &mut Transaction<'_, Any>,
    name: &str,
    admin: bool,
) -> Result<(String, String), Error> {
    let (id, token) = (new_id()?, new_token()?);
    sqlx::query("INSERT INTO accounts (id, name, admin, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(name)
        .bind(i64::from(admin))
        .bind(now())
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO tokens (hash, account_id, created_at) VALUES ($1, $2, $3)")
        .bind(token_hash(&token))
        .bind(&id)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok((id, token))
}

/// Creates the bootstrap admin on first start.
pub(crate) async fn bootstrap(p: &Platform) -> Result<Option<Bootstrap>, Error> {
    let any = sqlx::query("SELECT id FROM accounts WHERE admin = 1 LIMIT 1")
        .fetch_optional(&p.db)
        .await?;
    if any.is_some() {
        return Ok(None);
    }
    let mut tx = p.db.begin().await?;
    let (id, token) = insert(&mut tx, "admin", true).await?;
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

/// Creates an account (an admin's act, audited as `actor`) and its token.
pub(crate) async fn create(db: &AnyPool, actor: &str, name: &str) -> Result<AccountCreated, Error> {
    let mut tx = db.begin().await?;
    let (id, token) = insert(&mut tx, name, false).await?;
    audit(
        &mut tx,
        actor,
        "account.create",
        &format!("account:{id}"),
        None,
        Some(json!({"name": name})),
    )
    .await?;
    tx.commit().await?;
    Ok(AccountCreated {
        id,
        name: name.to_owned(),
        token,
    })
}

/// Whether the account exists.
pub(crate) async fn exists(db: &AnyPool, id: &str) -> Result<bool, Error> {
    Ok(sqlx::query("SELECT id FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .is_some())
}

/// The account's workspaces and its role in each.
pub(crate) async fn memberships(db: &AnyPool, account: &str) -> Result<Vec<Membership>, Error> {
    let rows = sqlx::query(
        "SELECT workspace_id, role FROM members WHERE account_id = $1 ORDER BY workspace_id",
    )
    .bind(account)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Membership {
                workspace: r.text("workspace_id")?,
                role: r.parsed("role")?,
            })
        })
        .collect()
}
