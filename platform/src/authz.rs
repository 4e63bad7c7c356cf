//! Who the caller is, and what they may do to one object. Every handler goes
//! through these checks on the object itself (no list-level or id-wildcard
//! shortcuts). Objects a caller has no relation to answer 404, so their
//! existence does not leak.

use crate::db::Columns;
use crate::error::Error;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The account id.
    pub(crate) account: String,
    /// Platform administrator (target apps, reviewers, accounts).
    pub(crate) admin: bool,
}

pub(crate) use mpkit_platform_client::wire::{IsvAction, Role};

/// The account a bearer token belongs to, if any.
pub(crate) async fn caller(db: &AnyPool, token: &str) -> Result<Option<Caller>, Error> {
    let row = sqlx::query(
        "SELECT a.id AS id, a.admin AS admin FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE t.hash = $1",
    )
    .bind(token_hash(token))
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(Caller {
            account: r.text("id")?,
            admin: r.int("admin")? != 0,
        })
    })
    .transpose()
}

/// The hash under which a token is stored.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The caller's role in a workspace.
pub(crate) async fn role_in(db: &AnyPool, ws: &str, account: &str) -> Result<Option<Role>, Error> {
    let row = sqlx::query("SELECT role FROM members WHERE workspace_id = $1 AND account_id = $2")
        .bind(ws)
        .bind(account)
        .fetch_optional(db)
        .await?;
    row.map(|r| r.parsed("role")).transpose()
}

/// A mini program as the checks need it.
#[derive(Debug, Clone)]
pub(crate) struct AppRow {
    pub(crate) app_id: String,
    pub(crate) name: String,
    pub(crate) owner_ws: String,
    pub(crate) developer_ws: Option<String>,
}

/// Loads a mini program and checks that `caller` may do `action` to it.
pub(crate) async fn app_access(
    db: &AnyPool,
    caller: &Caller,
    app_id: &str,
    action: IsvAction,
) -> Result<AppRow, Error> {
    let not_found = || Error::NotFound(format!("no mini program {app_id}"));
    let row =
        sqlx::query("SELECT app_id, name, owner_ws, developer_ws FROM apps WHERE app_id = $1")
            .bind(app_id)
            .fetch_optional(db)
            .await?
            .ok_or_else(not_found)?;
    let app = AppRow {
        app_id: row.text("app_id")?,
        name: row.text("name")?,
        owner_ws: row.text("owner_ws")?,
        developer_ws: row.opt_text("developer_ws")?,
    };
    if caller.admin {
        return Ok(app);
    }
    let assigned = || async {
        Ok::<bool, Error>(
            sqlx::query("SELECT app_id FROM assignments WHERE app_id = $1 AND account_id = $2")
                .bind(app_id)
                .bind(&caller.account)
                .fetch_optional(db)
                .await?
                .is_some(),
        )
    };
    // The owning merchant's members.
    if let Some(role) = role_in(db, &app.owner_ws, &caller.account).await? {
        return match role {
            Role::Master | Role::Owner => Ok(app),
            Role::Developer if assigned().await? => Ok(app),
            Role::Developer => Err(Error::Forbidden(format!("{app_id} is not assigned to you"))),
        };
    }
    // The developing ISV's members: only under a live authorization, checked
    // on every call, so a revocation applies to tokens issued before it.
    if let Some(dev_ws) = &app.developer_ws {
        if let Some(role) = role_in(db, dev_ws, &caller.account).await? {
            let auths = sqlx::query(
                "SELECT actions FROM isv_auths WHERE merchant_ws = $1 AND isv_ws = $2 AND revoked_at IS NULL \
                 AND (app_id IS NULL OR app_id = $3)",
            )
            .bind(&app.owner_ws)
            .bind(dev_ws)
            .bind(app_id)
            .fetch_all(db)
            .await?;
            let mut allowed = false;
            for r in &auths {
                allowed |= r.text("actions")?.split(',').any(|a| a == action.as_str());
            }
            if !allowed {
                return Err(Error::Forbidden(format!(
                    "the merchant has not authorized your workspace to {} {app_id}",
                    action.as_str()
                )));
            }
            return match role {
                Role::Master | Role::Owner => Ok(app),
                Role::Developer if assigned().await? => Ok(app),
                Role::Developer => {
                    Err(Error::Forbidden(format!("{app_id} is not assigned to you")))
                }
            };
        }
    }
    Err(not_found())
}

/// Whether the caller reviews releases for `target`.
pub(crate) async fn is_reviewer(db: &AnyPool, target: &str, account: &str) -> Result<bool, Error> {
    Ok(
        sqlx::query("SELECT account_id FROM reviewers WHERE target_app = $1 AND account_id = $2")
            .bind(target)
            .bind(account)
            .fetch_optional(db)
            .await?
            .is_some(),
    )
}

/// The caller's role in `ws` when it is at least `min`; a non-member learns
/// nothing (404), a member with too small a role is forbidden.
pub(crate) async fn require_ws_role(
    db: &AnyPool,
    c: &Caller,
    ws: &str,
    min: Role,
) -> Result<Role, Error> {
    match role_in(db, ws, &c.account).await? {
        Some(r) if r >= min => Ok(r),
        Some(_) => Err(Error::Forbidden(format!(
            "this needs the {} role in the workspace",
            min.as_str()
        ))),
        None => Err(Error::NotFound(format!("no workspace {ws}"))),
    }
}
