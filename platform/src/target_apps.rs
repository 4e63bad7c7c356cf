//! Target (super) apps: the JSAPI permissions each allows, and its reviewers.

use crate::audit::audit;
use crate::db::Columns;
use crate::error::Error;
use crate::now;
use mpkit_platform_client::wire::{NewTarget, TargetApp};
use serde_json::json;
use sqlx::AnyPool;
use std::collections::BTreeSet;

/// Every target app, by id.
pub(crate) async fn list(db: &AnyPool, page: &crate::page::Page) -> Result<Vec<TargetApp>, Error> {
    let rows =
        sqlx::query("SELECT id, name, allowed FROM target_apps WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(page.after_or(""))
            .bind(page.limit)
            .fetch_all(db)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(TargetApp {
                id: r.text("id")?,
                name: r.text("name")?,
                allowed_permissions: r.json("allowed")?,
            })
        })
        .collect()
}

/// Whether the target app exists.
pub(crate) async fn exists(db: &AnyPool, id: &str) -> Result<bool, Error> {
    Ok(sqlx::query("SELECT id FROM target_apps WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .is_some())
}

/// The JSAPI permission keys the target app allows, or `None` when there is no such target app.
pub(crate) async fn allowed(db: &AnyPool, id: &str) -> Result<Option<BTreeSet<String>>, Error> {
    sqlx::query("SELECT allowed FROM target_apps WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .map(|r| r.json("allowed"))
        .transpose()
}

/// Adds a target app (an admin's act, audited as `actor`).
pub(crate) async fn create(db: &AnyPool, actor: &str, req: &NewTarget) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    if sqlx::query("SELECT id FROM target_apps WHERE id = $1")
        .bind(&req.id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!("target app {} exists", req.id)));
    }
    let allowed = serde_json::to_string(&req.allowed_permissions)
        .map_err(|e| Error::Internal(e.to_string()))?;
    sqlx::query("INSERT INTO target_apps (id, name, allowed, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&req.id)
        .bind(&req.name)
        .bind(&allowed)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "target.create",
        &format!("target:{}", req.id),
        None,
        Some(json!({"allowed": req.allowed_permissions})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Names `account` a reviewer of target app `t` (audited as `actor`).
pub(crate) async fn add_reviewer(
    db: &AnyPool,
    actor: &str,
    t: &str,
    account: &str,
) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO reviewers (target_app, account_id) VALUES ($1, $2)")
        .bind(t)
        .bind(account)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "target.reviewer",
        &format!("target:{t}/reviewer:{account}"),
        None,
        Some(json!({})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
