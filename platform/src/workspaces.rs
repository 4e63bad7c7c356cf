//! Workspaces: their members and roles, their developer keys, and the ISV
//! authorizations a merchant grants.

use crate::audit::audit;
use crate::authz::Role;
use crate::db::Columns;
use crate::error::Error;
use crate::ids::new_id;
use crate::now;
use mpkit_bundle::PublicKey;
use mpkit_platform_client::wire::{IsvAction, IsvAuthorization, Member, WorkspaceKind};
use serde_json::json;
use sqlx::{Any, AnyPool, Transaction};

/// Creates a workspace whose Master is `actor`; its id.
pub(crate) async fn create(
    db: &AnyPool,
    actor: &str,
    name: &str,
    kind: WorkspaceKind,
) -> Result<String, Error> {
    let id = new_id()?;
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO workspaces (id, name, kind, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(name)
        .bind(kind.as_str())
        .bind(now())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO members (workspace_id, account_id, role) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(actor)
        .bind(Role::Master.as_str())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "workspace.create",
        &format!("workspace:{id}"),
        None,
        Some(json!({"name": name, "kind": kind})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// What the workspace is, or `None` when there is no such workspace.
pub(crate) async fn kind(db: &AnyPool, ws: &str) -> Result<Option<WorkspaceKind>, Error> {
    sqlx::query("SELECT kind FROM workspaces WHERE id = $1")
        .bind(ws)
        .fetch_optional(db)
        .await?
        .map(|r| r.parsed("kind"))
        .transpose()
}

/// The workspace's members, by account id.
pub(crate) async fn members(
    db: &AnyPool,
    ws: &str,
    page: &crate::page::Page,
) -> Result<Vec<Member>, Error> {
    let rows = sqlx::query(
        "SELECT account_id, role FROM members WHERE workspace_id = $1 AND account_id > $2 \
         ORDER BY account_id LIMIT $3",
    )
    .bind(ws)
    .bind(page.after_or(""))
    .bind(page.limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Member {
                workspace: ws.to_owned(),
                account_id: r.text("account_id")?,
                role: r.parsed("role")?,
            })
        })
        .collect()
}

/// Adds `account` to `ws` with `role` (audited as `actor`).
pub(crate) async fn add_member(
    db: &AnyPool,
    actor: &str,
    ws: &str,
    account: &str,
    role: Role,
) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO members (workspace_id, account_id, role) VALUES ($1, $2, $3)")
        .bind(ws)
        .bind(account)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "member.add",
        &format!("workspace:{ws}/member:{account}"),
        None,
        Some(json!({"role": role.as_str()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes a member's role from `before` to `role`; never the last Master's
/// away (audited as `actor`).
pub(crate) async fn set_role(
    db: &AnyPool,
    actor: &str,
    ws: &str,
    account: &str,
    before: Role,
    role: Role,
) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    if before == Role::Master && role != Role::Master {
        keep_a_master(&mut tx, ws, "step down").await?;
    }
    sqlx::query("UPDATE members SET role = $1 WHERE workspace_id = $2 AND account_id = $3")
        .bind(role.as_str())
        .bind(ws)
        .bind(account)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "member.role",
        &format!("workspace:{ws}/member:{account}"),
        Some(json!({"role": before.as_str()})),
        Some(json!({"role": role.as_str()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses a change that would leave workspace `ws` without a Master. The
/// workspace row is locked first (a row lock on PostgreSQL; SQLite has one
/// writer), so two Masters demoting or removing each other at once cannot
/// both pass.
async fn keep_a_master(tx: &mut Transaction<'_, Any>, ws: &str, what: &str) -> Result<(), Error> {
    sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
        .bind(ws)
        .execute(&mut **tx)
        .await?;
    let masters =
        sqlx::query("SELECT COUNT(*) AS n FROM members WHERE workspace_id = $1 AND role = $2")
            .bind(ws)
            .bind(Role::Master.as_str())
            .fetch_one(&mut **tx)
            .await?;
    if masters.int("n")? <= 1 {
        return Err(Error::Conflict(format!(
            "the last Master cannot {what}; make another member Master first"
        )));
    }
    Ok(())
}

/// Removes `account` from `ws` (never the last Master) with the assignments
/// no membership backs any more; the role it had (audited as `actor`).
pub(crate) async fn remove_member(
    db: &AnyPool,
    actor: &str,
    ws: &str,
    account: &str,
) -> Result<Role, Error> {
    let mut tx = db.begin().await?;
    let row = sqlx::query("SELECT role FROM members WHERE workspace_id = $1 AND account_id = $2")
        .bind(ws)
        .bind(account)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{account} is not a member")))?;
    let role: Role = row.parsed("role")?;
    if role == Role::Master {
        keep_a_master(&mut tx, ws, "be removed").await?;
    }
    sqlx::query("DELETE FROM members WHERE workspace_id = $1 AND account_id = $2")
        .bind(ws)
        .bind(account)
        .execute(&mut *tx)
        .await?;
    // Assignments to this workspace's mini programs that no membership backs
    // any more (neither the owning nor the developing workspace) go too, so a
    // later re-invitation starts with none.
    let stale = sqlx::query(
        "SELECT a.app_id AS app_id FROM assignments a JOIN apps ap ON ap.app_id = a.app_id \
         WHERE a.account_id = $1 AND (ap.owner_ws = $2 OR ap.developer_ws = $2) \
         AND NOT EXISTS (SELECT 1 FROM members m WHERE m.account_id = $1 \
           AND (m.workspace_id = ap.owner_ws OR m.workspace_id = ap.developer_ws)) \
         ORDER BY a.app_id",
    )
    .bind(account)
    .bind(ws)
    .fetch_all(&mut *tx)
    .await?;
    let stale = stale
        .iter()
        .map(|r| r.text("app_id"))
        .collect::<Result<Vec<_>, Error>>()?;
    for app in &stale {
        sqlx::query("DELETE FROM assignments WHERE app_id = $1 AND account_id = $2")
            .bind(app)
            .bind(account)
            .execute(&mut *tx)
            .await?;
    }
    let mut before = json!({"role": role.as_str()});
    if !stale.is_empty() {
        before["assignments"] = json!(stale);
    }
    audit(
        &mut tx,
        actor,
        "member.remove",
        &format!("workspace:{ws}/member:{account}"),
        Some(before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(role)
}

/// Registers a developer key with `ws` (audited as `actor`); a key
/// registered already is a conflict.
pub(crate) async fn add_key(
    db: &AnyPool,
    actor: &str,
    ws: &str,
    key: &PublicKey,
) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    let dup = sqlx::query("SELECT key_id FROM dev_keys WHERE workspace_id = $1 AND key_id = $2")
        .bind(ws)
        .bind(key.id().as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if dup.is_some() {
        return Err(Error::Conflict(format!(
            "key {} is already registered, or was revoked (a revoked key stays revoked)",
            key.id()
        )));
    }
    sqlx::query("INSERT INTO dev_keys (workspace_id, key_id, public_hex, added_by, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(ws)
        .bind(key.id().as_str())
        .bind(key.to_hex())
        .bind(actor)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "key.add",
        &format!("workspace:{ws}/key:{}", key.id()),
        None,
        Some(json!({"keyId": key.id().as_str()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The developer keys registered with `ws`.
pub(crate) async fn dev_keys(db: &AnyPool, ws: &str) -> Result<Vec<PublicKey>, Error> {
    let rows = sqlx::query(
        "SELECT public_hex FROM dev_keys WHERE workspace_id = $1 AND revoked_at IS NULL",
    )
    .bind(ws)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            PublicKey::from_hex(&r.text("public_hex")?).map_err(|e| Error::Internal(e.to_string()))
        })
        .collect()
}

/// Authorizes ISV workspace `isv` over one mini program of merchant `ws`, or
/// all of them (audited as `actor`). The app must be the merchant's and the
/// ISV an ISV workspace.
pub(crate) async fn authorize_isv(
    db: &AnyPool,
    actor: &str,
    ws: &str,
    isv: &str,
    app: Option<&str>,
    actions: &[IsvAction],
) -> Result<IsvAuthorization, Error> {
    if let Some(app) = app {
        let owner = sqlx::query("SELECT owner_ws FROM apps WHERE app_id = $1")
            .bind(app)
            .fetch_optional(db)
            .await?
            .map(|r| r.text("owner_ws"))
            .transpose()?;
        if owner.as_deref() != Some(ws) {
            return Err(Error::NotFound(format!(
                "no mini program {app} in this workspace"
            )));
        }
    }
    if kind(db, isv).await? != Some(WorkspaceKind::Isv) {
        return Err(Error::BadRequest(
            "isvWorkspace must be an ISV workspace".into(),
        ));
    }
    let id = new_id()?;
    // Stored and answered by name, sorted, without repeats.
    let mut list = actions.to_vec();
    list.sort_by_key(|a| a.as_str());
    list.dedup();
    let names = list
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO isv_auths (id, merchant_ws, isv_ws, app_id, actions, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(ws)
        .bind(isv)
        .bind(app)
        .bind(&names)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "isv.authorize",
        &format!("isv-auth:{id}"),
        None,
        Some(json!({"isv": isv, "app": app, "actions": names})),
    )
    .await?;
    tx.commit().await?;
    Ok(IsvAuthorization {
        id,
        merchant: ws.to_owned(),
        isv: isv.to_owned(),
        app_id: app.map(str::to_owned),
        actions: list,
    })
}

/// The merchant workspace of an ISV authorization, if it exists.
pub(crate) async fn isv_auth_merchant(db: &AnyPool, id: &str) -> Result<Option<String>, Error> {
    sqlx::query("SELECT merchant_ws FROM isv_auths WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?
        .map(|r| r.text("merchant_ws"))
        .transpose()
}

/// Revokes an ISV authorization (audited as `actor`); revoking it twice is a conflict.
pub(crate) async fn revoke_isv(db: &AnyPool, actor: &str, id: &str) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    let n =
        sqlx::query("UPDATE isv_auths SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if n != 1 {
        return Err(Error::Conflict("already revoked".into()));
    }
    // The server credentials the ISV made under the merchant's apps, that
    // no other standing authorization keeps, are revoked with it.
    let secrets = sqlx::query(&format!(
        "UPDATE app_secrets SET revoked_at = $1 WHERE revoked_at IS NULL AND isv_ws IS NOT NULL \
         AND hash IN (SELECT s.hash FROM app_secrets s WHERE s.isv_ws IS NOT NULL AND NOT {})",
        crate::identity::ISV_STANDS
    ))
    .bind(now())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    audit(
        &mut tx,
        actor,
        "isv.revoke",
        &format!("isv-auth:{id}"),
        Some(json!({"revoked": false})),
        Some(json!({"revoked": true, "secretsRevoked": secrets})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
