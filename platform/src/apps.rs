//! Mini programs: who owns and develops each, who sees it, its assigned
//! developers, its versions and its releases.

use crate::audit::audit;
use crate::authz::{role_in, AppRow, IsvAction, Role};
use crate::db::Columns;
use crate::error::Error;
use crate::{now, workspaces};
use mpkit_bundle::AppId;
use mpkit_platform_client::wire::{App, AppKind, ReleaseSummary, VersionInfo, WorkspaceKind};
use serde_json::json;
use sqlx::AnyPool;
use std::collections::BTreeSet;

/// The kind of a mini program on the wire.
pub(crate) fn kind(developer: &Option<String>) -> AppKind {
    if developer.is_some() {
        AppKind::ThirdParty
    } else {
        AppKind::SelfDeveloped
    }
}

/// The mini programs workspace `ws` owns (merchant) or develops (ISV) that
/// `account`, with `role` there, may see: a Developer only those assigned to
/// them, and a developing ISV only under a live authorization to read (as
/// `GET /v1/apps/{app}` checks, so a revocation applies to the list on the
/// next call too).
pub(crate) async fn of_workspace(
    db: &AnyPool,
    ws: &str,
    role: Role,
    account: &str,
    page: &crate::page::Page,
) -> Result<Vec<App>, Error> {
    let assigned: BTreeSet<String> = if role == Role::Developer {
        sqlx::query("SELECT app_id FROM assignments WHERE account_id = $1")
            .bind(account)
            .fetch_all(db)
            .await?
            .iter()
            .map(|r| r.text("app_id"))
            .collect::<Result<_, Error>>()?
    } else {
        BTreeSet::new()
    };
    let auths = sqlx::query(
        "SELECT merchant_ws, app_id, actions FROM isv_auths WHERE isv_ws = $1 AND revoked_at IS NULL",
    )
    .bind(ws)
    .fetch_all(db)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.text("merchant_ws")?,
            r.opt_text("app_id")?,
            r.text("actions")?,
        ))
    })
    .collect::<Result<Vec<_>, Error>>()?;
    let readable = |owner: &str, app: &str| {
        auths.iter().any(|(merchant, one, actions)| {
            merchant == owner
                && one.as_deref().is_none_or(|a| a == app)
                && actions.split(',').any(|a| a == IsvAction::Read.as_str())
        })
    };
    // Pages of the workspace's apps, of which the caller sees those it may:
    // read on while a page shows nothing but more may follow, so only the
    // end is an empty answer.
    let mut apps = Vec::new();
    let mut after = page.after_or("").to_owned();
    loop {
        let rows = sqlx::query(
            "SELECT app_id, name, owner_ws, developer_ws FROM apps WHERE (owner_ws = $1 OR developer_ws = $1) \
             AND app_id > $2 ORDER BY app_id LIMIT $3",
        )
        .bind(ws)
        .bind(&after)
        .bind(page.limit)
        .fetch_all(db)
        .await?;
        let full = rows.len() as i64 == page.limit;
        for r in &rows {
            let (app_id, owner) = (r.text("app_id")?, r.text("owner_ws")?);
            after.clone_from(&app_id);
            let related = owner == ws || readable(&owner, &app_id);
            let visible = role != Role::Developer || assigned.contains(&app_id);
            if !(related && visible) {
                continue;
            }
            let developer = r.opt_text("developer_ws")?;
            apps.push(App {
                name: r.text("name")?,
                kind: kind(&developer),
                app_id,
                owner,
                developer,
            });
        }
        if !apps.is_empty() || !full {
            return Ok(apps);
        }
    }
}

/// Creates a mini program owned by merchant workspace `ws`, developed by
/// its own members or by ISV workspace `developer` (audited as `actor`).
pub(crate) async fn create(
    db: &AnyPool,
    actor: &str,
    ws: &str,
    app: &AppId,
    name: &str,
    developer: Option<&str>,
) -> Result<App, Error> {
    if workspaces::kind(db, ws).await? != Some(WorkspaceKind::Merchant) {
        return Err(Error::BadRequest(
            "mini programs are owned by merchant workspaces".into(),
        ));
    }
    if let Some(dev) = developer {
        if workspaces::kind(db, dev).await? != Some(WorkspaceKind::Isv) {
            return Err(Error::BadRequest(
                "developerWorkspace must be an ISV workspace".into(),
            ));
        }
    }
    let mut tx = db.begin().await?;
    // Taken, whoever holds it: one answer, which says nothing of whose.
    if sqlx::query("SELECT app_id FROM apps WHERE app_id = $1")
        .bind(app.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "appId {app} is not available; leave it out and the platform assigns one"
        )));
    }
    sqlx::query("INSERT INTO apps (app_id, name, owner_ws, developer_ws, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(app.as_str())
        .bind(name)
        .bind(ws)
        .bind(developer)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "app.create",
        &format!("app:{app}"),
        None,
        Some(json!({"owner": ws, "developer": developer})),
    )
    .await?;
    tx.commit().await?;
    let developer = developer.map(str::to_owned);
    Ok(App {
        app_id: app.as_str().to_owned(),
        name: name.to_owned(),
        owner: ws.to_owned(),
        kind: kind(&developer),
        developer,
    })
}

/// The mini program's releases, oldest first.
pub(crate) async fn releases(db: &AnyPool, app: &str) -> Result<Vec<ReleaseSummary>, Error> {
    let rows = sqlx::query(
        "SELECT id, target_app, version, state FROM releases WHERE app_id = $1 ORDER BY created_at",
    )
    .bind(app)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ReleaseSummary {
                id: r.text("id")?,
                target_app: r.text("target_app")?,
                version: r.text("version")?,
                state: r.parsed("state")?,
            })
        })
        .collect()
}

/// Assigns the mini program to `account`, who must be a member of its owning
/// or developing workspace, with or without the production grant (audited
/// as `actor`). Whether the assignment is new; assigning again with another
/// grant changes it, and with the same one is a conflict.
pub(crate) async fn assign(
    db: &AnyPool,
    actor: &str,
    a: &AppRow,
    account: &str,
    production: bool,
) -> Result<bool, Error> {
    let member = role_in(db, &a.owner_ws, account).await?.is_some()
        || match &a.developer_ws {
            Some(d) => role_in(db, d, account).await?.is_some(),
            None => false,
        };
    if !member {
        return Err(Error::BadRequest(
            "the account is not a member of this mini program's workspaces".into(),
        ));
    }
    let app = &a.app_id;
    let mut tx = db.begin().await?;
    let existing =
        sqlx::query("SELECT production FROM assignments WHERE app_id = $1 AND account_id = $2")
            .bind(app)
            .bind(account)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.int("production").map(|p| p != 0))
            .transpose()?;
    let object = format!("app:{app}/developer:{account}");
    match existing {
        Some(had) if had == production => {
            return Err(Error::Conflict(if production {
                "already assigned, with production granted".into()
            } else {
                "already assigned".into()
            }))
        }
        Some(had) => {
            sqlx::query(
                "UPDATE assignments SET production = $1 WHERE app_id = $2 AND account_id = $3",
            )
            .bind(i64::from(production))
            .bind(app)
            .bind(account)
            .execute(&mut *tx)
            .await?;
            audit(
                &mut tx,
                actor,
                "app.production_grant",
                &object,
                Some(json!({"production": had})),
                Some(json!({"production": production})),
            )
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO assignments (app_id, account_id, production) VALUES ($1, $2, $3)",
            )
            .bind(app)
            .bind(account)
            .bind(i64::from(production))
            .execute(&mut *tx)
            .await?;
            audit(
                &mut tx,
                actor,
                "app.assign",
                &object,
                None,
                Some(json!({"production": production})),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(existing.is_none())
}

/// The mini program's uploaded versions, by build.
pub(crate) async fn versions(
    db: &AnyPool,
    app: &str,
    page: &crate::page::Page,
) -> Result<Vec<VersionInfo>, Error> {
    let rows = sqlx::query("SELECT version, build, sha256, length, created_at FROM versions WHERE app_id = $1 AND build > $2 ORDER BY build LIMIT $3")
        .bind(app)
        .bind(page.after_int(-1)?)
        .bind(page.limit)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(VersionInfo {
                version: r.text("version")?,
                build: r.uint("build")?,
                sha256: r.text("sha256")?,
                length: r.uint("length")?,
                created_at: r.int("created_at")?,
            })
        })
        .collect()
}

/// Whether `version` of `app` was uploaded.
pub(crate) async fn has_version(db: &AnyPool, app: &str, version: &str) -> Result<bool, Error> {
    Ok(
        sqlx::query("SELECT version FROM versions WHERE app_id = $1 AND version = $2")
            .bind(app)
            .bind(version)
            .fetch_optional(db)
            .await?
            .is_some(),
    )
}

/// A fresh appId: `2021` and twelve random digits.
pub(crate) fn mint_app_id() -> Result<String, Error> {
    let hex = crate::ids::random_hex(8)?;
    let n = u64::from_str_radix(&hex, 16).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(format!("2021{:012}", n % 1_000_000_000_000))
}
