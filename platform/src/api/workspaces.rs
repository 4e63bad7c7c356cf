//! `/v1/workspaces/...`: workspaces, members and roles, developer keys, the
//! workspace's mini programs and ISV authorizations.

use super::extract::{body, created, ok, ApiResult, AppState, Body};
use crate::audit::audit;
use crate::authz::{require_ws_role, role_in, Caller, IsvAction, Role};
use crate::db::Columns;
use crate::error::Error;
use crate::ids::new_id;
use crate::now;
use axum::extract::{Path, State as AxState};
use mpkit_bundle::{AppId, PublicKey};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{
    ApiErrorBody, App, AppKind, IsvAuthorization, KeyRegistered, Member, NewApp, NewAuth, NewKey,
    NewMember, NewWorkspace, Revoked, SetRole, Workspace, WorkspaceKind,
};
use serde_json::json;
use sqlx::{Any, Transaction};
use std::collections::BTreeSet;

/// The kind of a mini program on the wire.
pub(super) fn app_kind(developer: &Option<String>) -> AppKind {
    if developer.is_some() {
        AppKind::ThirdParty
    } else {
        AppKind::SelfDeveloped
    }
}

#[utoipa::path(post, path = paths::CREATE_WORKSPACE.template, tag = "workspaces", summary = "Create a merchant or ISV workspace; the creator is its Master", request_body = NewWorkspace, responses((status = 201, description = "Success", body = Workspace), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn create_workspace(AxState(p): AppState, c: Caller, Body(b): Body) -> ApiResult {
    let req: NewWorkspace = body(&b)?;
    if req.name.trim().is_empty() || req.name.len() > 100 {
        return Err(Error::BadRequest("name must be 1 to 100 characters".into()));
    }
    let id = new_id()?;
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO workspaces (id, name, kind, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(req.name.trim())
        .bind(req.kind.as_str())
        .bind(now())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO members (workspace_id, account_id, role) VALUES ($1, $2, 'master')")
        .bind(&id)
        .bind(&c.account)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "workspace.create",
        &format!("workspace:{id}"),
        None,
        Some(json!({"name": req.name, "kind": req.kind})),
    )
    .await?;
    tx.commit().await?;
    created(Workspace {
        id,
        name: req.name.trim().to_owned(),
        kind: req.kind,
        role: Role::Master,
    })
}

#[utoipa::path(get, path = paths::MEMBERS.template, tag = "workspaces", summary = "The workspace's members and their roles (members)", params(("ws" = String, Path)), responses((status = 200, description = "Success", body = [Member]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn list_members(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
) -> ApiResult {
    require_ws_role(&p, &c, &ws, Role::Developer).await?;
    let rows = sqlx::query(
        "SELECT account_id, role FROM members WHERE workspace_id = $1 ORDER BY account_id",
    )
    .bind(&ws)
    .fetch_all(&p.db)
    .await?;
    let members: Vec<Member> = rows
        .iter()
        .map(|r| {
            Ok(Member {
                workspace: ws.clone(),
                account_id: r.text("account_id")?,
                role: r.parsed("role")?,
            })
        })
        .collect::<Result<_, Error>>()?;
    ok(members)
}

#[utoipa::path(post, path = paths::ADD_MEMBER.template, tag = "workspaces", summary = "Add a member with a role (Master)", request_body = NewMember, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = Member), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn add_member(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Body(b): Body,
) -> ApiResult {
    require_ws_role(&p, &c, &ws, Role::Master).await?;
    let req: NewMember = body(&b)?;
    let role = req.role;
    let exists = sqlx::query("SELECT id FROM accounts WHERE id = $1")
        .bind(&req.account_id)
        .fetch_optional(&p.db)
        .await?;
    if exists.is_none() {
        return Err(Error::NotFound(format!("no account {}", req.account_id)));
    }
    if role_in(&p.db, &ws, &req.account_id).await?.is_some() {
        return Err(Error::Conflict(
            "already a member; change the role instead".into(),
        ));
    }
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO members (workspace_id, account_id, role) VALUES ($1, $2, $3)")
        .bind(&ws)
        .bind(&req.account_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "member.add",
        &format!("workspace:{ws}/member:{}", req.account_id),
        None,
        Some(json!({"role": role.as_str()})),
    )
    .await?;
    tx.commit().await?;
    created(Member {
        workspace: ws,
        account_id: req.account_id,
        role,
    })
}

#[utoipa::path(patch, path = paths::SET_ROLE.template, tag = "workspaces", summary = "Change a member's role (Master; nobody raises their own)", request_body = SetRole, params(("ws" = String, Path), ("account" = String, Path)), responses((status = 200, description = "Success", body = Member), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn set_role(
    AxState(p): AppState,
    c: Caller,
    Path((ws, account)): Path<(String, String)>,
    Body(b): Body,
) -> ApiResult {
    let mine = role_in(&p.db, &ws, &c.account)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no workspace {ws}")))?;
    let req: SetRole = body(&b)?;
    let role = req.role;
    // Only a Master changes roles, and nobody raises their own.
    if mine != Role::Master {
        return Err(Error::Forbidden("only a Master changes roles".into()));
    }
    let before = role_in(&p.db, &ws, &account)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{account} is not a member")))?;
    if account == c.account && role > before {
        return Err(Error::Forbidden("nobody raises their own role".into()));
    }
    let mut tx = p.db.begin().await?;
    if before == Role::Master && role != Role::Master {
        keep_a_master(&mut tx, &ws, "step down").await?;
    }
    sqlx::query("UPDATE members SET role = $1 WHERE workspace_id = $2 AND account_id = $3")
        .bind(role.as_str())
        .bind(&ws)
        .bind(&account)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "member.role",
        &format!("workspace:{ws}/member:{account}"),
        Some(json!({"role": before.as_str()})),
        Some(json!({"role": role.as_str()})),
    )
    .await?;
    tx.commit().await?;
    ok(Member {
        workspace: ws,
        account_id: account,
        role,
    })
}

/// Refuses a change that would leave workspace `ws` without a Master. The
/// workspace row is locked first (a row lock on PostgreSQL; SQLite has one
/// writer), so two Masters demoting or removing each other at once cannot
/// both pass.
pub(super) async fn keep_a_master(
    tx: &mut Transaction<'_, Any>,
    ws: &str,
    what: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
        .bind(ws)
        .execute(&mut **tx)
        .await?;
    let masters = sqlx::query(
        "SELECT COUNT(*) AS n FROM members WHERE workspace_id = $1 AND role = 'master'",
    )
    .bind(ws)
    .fetch_one(&mut **tx)
    .await?;
    if masters.int("n")? <= 1 {
        return Err(Error::Conflict(format!(
            "the last Master cannot {what}; make another member Master first"
        )));
    }
    Ok(())
}

#[utoipa::path(delete, path = paths::REMOVE_MEMBER.template, tag = "workspaces", summary = "Remove a member (Master; never the last Master); applies on their next call", params(("ws" = String, Path), ("account" = String, Path)), responses((status = 200, description = "The membership removed", body = Member), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn remove_member(
    AxState(p): AppState,
    c: Caller,
    Path((ws, account)): Path<(String, String)>,
) -> ApiResult {
    require_ws_role(&p, &c, &ws, Role::Master).await?;
    let mut tx = p.db.begin().await?;
    let row = sqlx::query("SELECT role FROM members WHERE workspace_id = $1 AND account_id = $2")
        .bind(&ws)
        .bind(&account)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{account} is not a member")))?;
    let role: Role = row.parsed("role")?;
    if role == Role::Master {
        keep_a_master(&mut tx, &ws, "be removed").await?;
    }
    sqlx::query("DELETE FROM members WHERE workspace_id = $1 AND account_id = $2")
        .bind(&ws)
        .bind(&account)
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
    .bind(&account)
    .bind(&ws)
    .fetch_all(&mut *tx)
    .await?;
    let stale = stale
        .iter()
        .map(|r| r.text("app_id"))
        .collect::<Result<Vec<_>, Error>>()?;
    for app in &stale {
        sqlx::query("DELETE FROM assignments WHERE app_id = $1 AND account_id = $2")
            .bind(app)
            .bind(&account)
            .execute(&mut *tx)
            .await?;
    }
    let mut before = json!({"role": role.as_str()});
    if !stale.is_empty() {
        before["assignments"] = json!(stale);
    }
    audit(
        &mut tx,
        &c.account,
        "member.remove",
        &format!("workspace:{ws}/member:{account}"),
        Some(before),
        None,
    )
    .await?;
    tx.commit().await?;
    ok(Member {
        workspace: ws,
        account_id: account,
        role,
    })
}

#[utoipa::path(post, path = paths::REGISTER_KEY.template, tag = "workspaces", summary = "Register a developer public key (Owner)", request_body = NewKey, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = KeyRegistered), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn add_key(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Body(b): Body,
) -> ApiResult {
    require_ws_role(&p, &c, &ws, Role::Owner).await?;
    let req: NewKey = body(&b)?;
    let key = PublicKey::from_hex(req.public_key_hex.trim())
        .map_err(|e| Error::BadRequest(format!("public key: {e}")))?;
    let mut tx = p.db.begin().await?;
    let dup = sqlx::query("SELECT key_id FROM dev_keys WHERE workspace_id = $1 AND key_id = $2")
        .bind(&ws)
        .bind(key.id().as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if dup.is_some() {
        return Err(Error::Conflict(format!(
            "key {} is already registered",
            key.id()
        )));
    }
    sqlx::query("INSERT INTO dev_keys (workspace_id, key_id, public_hex, added_by, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&ws)
        .bind(key.id().as_str())
        .bind(key.to_hex())
        .bind(&c.account)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "key.add",
        &format!("workspace:{ws}/key:{}", key.id()),
        None,
        Some(json!({"keyId": key.id().as_str()})),
    )
    .await?;
    tx.commit().await?;
    created(KeyRegistered {
        workspace: ws,
        key_id: key.id().as_str().to_owned(),
    })
}

#[utoipa::path(get, path = paths::APPS.template, tag = "workspaces", summary = "The workspace's mini programs (members; a Developer sees those assigned to them)", params(("ws" = String, Path)), responses((status = 200, description = "Success", body = [App]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn list_apps(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
) -> ApiResult {
    let role = require_ws_role(&p, &c, &ws, Role::Developer).await?;
    // The mini programs it owns (merchant) or develops (ISV).
    let rows = sqlx::query(
        "SELECT app_id, name, owner_ws, developer_ws FROM apps WHERE owner_ws = $1 OR developer_ws = $1 ORDER BY app_id",
    )
    .bind(&ws)
    .fetch_all(&p.db)
    .await?;
    let assigned: BTreeSet<String> = if role == Role::Developer {
        sqlx::query("SELECT app_id FROM assignments WHERE account_id = $1")
            .bind(&c.account)
            .fetch_all(&p.db)
            .await?
            .iter()
            .map(|r| r.text("app_id"))
            .collect::<Result<_, Error>>()?
    } else {
        BTreeSet::new()
    };
    // A developing ISV sees a merchant's mini program only under a live
    // authorization to read it, as `GET /v1/apps/{app}` does: a revocation
    // applies to the list on the next call too.
    let auths = sqlx::query(
        "SELECT merchant_ws, app_id, actions FROM isv_auths WHERE isv_ws = $1 AND revoked_at IS NULL",
    )
    .bind(&ws)
    .fetch_all(&p.db)
    .await?;
    let auths = auths
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
    let mut apps: Vec<App> = Vec::new();
    for r in &rows {
        let (app_id, owner) = (r.text("app_id")?, r.text("owner_ws")?);
        let related = owner == ws || readable(&owner, &app_id);
        let visible = role != Role::Developer || assigned.contains(&app_id);
        if !(related && visible) {
            continue;
        }
        let developer = r.opt_text("developer_ws")?;
        apps.push(App {
            name: r.text("name")?,
            kind: app_kind(&developer),
            app_id,
            owner,
            developer,
        });
    }
    ok(apps)
}

#[utoipa::path(post, path = paths::CREATE_APP.template, tag = "workspaces", summary = "Create a mini program (self-developed, or third-party with an ISV)", request_body = NewApp, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = App), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn create_app(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Body(b): Body,
) -> ApiResult {
    require_ws_role(&p, &c, &ws, Role::Owner).await?;
    let req: NewApp = body(&b)?;
    let app = AppId::new(req.app_id.clone()).map_err(|e| Error::BadRequest(e.to_string()))?;
    let kind = sqlx::query("SELECT kind FROM workspaces WHERE id = $1")
        .bind(&ws)
        .fetch_one(&p.db)
        .await?;
    if kind.parsed::<WorkspaceKind>("kind")? != WorkspaceKind::Merchant {
        return Err(Error::BadRequest(
            "mini programs are owned by merchant workspaces".into(),
        ));
    }
    if let Some(dev) = &req.developer_workspace {
        let k = sqlx::query("SELECT kind FROM workspaces WHERE id = $1")
            .bind(dev)
            .fetch_optional(&p.db)
            .await?;
        if k.map(|r| r.parsed("kind")).transpose()? != Some(WorkspaceKind::Isv) {
            return Err(Error::BadRequest(
                "developerWorkspace must be an ISV workspace".into(),
            ));
        }
    }
    let mut tx = p.db.begin().await?;
    if sqlx::query("SELECT app_id FROM apps WHERE app_id = $1")
        .bind(app.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!("{app} exists")));
    }
    sqlx::query("INSERT INTO apps (app_id, name, owner_ws, developer_ws, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(app.as_str())
        .bind(req.name.trim())
        .bind(&ws)
        .bind(&req.developer_workspace)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "app.create",
        &format!("app:{app}"),
        None,
        Some(json!({"owner": ws, "developer": req.developer_workspace})),
    )
    .await?;
    tx.commit().await?;
    created(App {
        app_id: app.as_str().to_owned(),
        name: req.name.trim().to_owned(),
        owner: ws,
        kind: app_kind(&req.developer_workspace),
        developer: req.developer_workspace,
    })
}

#[utoipa::path(post, path = paths::AUTHORIZE_ISV.template, tag = "workspaces", summary = "Authorize an ISV over one or all mini programs (Master)", request_body = NewAuth, params(("ws" = String, Path)), responses((status = 201, description = "Success", body = IsvAuthorization), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn authorize_isv(
    AxState(p): AppState,
    c: Caller,
    Path(ws): Path<String>,
    Body(b): Body,
) -> ApiResult {
    require_ws_role(&p, &c, &ws, Role::Master).await?;
    let req: NewAuth = body(&b)?;
    if req.actions.is_empty() {
        return Err(Error::BadRequest(
            "actions must be a non-empty list of read, upload, release, manage".into(),
        ));
    }
    if let Some(app) = &req.app_id {
        let r = sqlx::query("SELECT owner_ws FROM apps WHERE app_id = $1")
            .bind(app)
            .fetch_optional(&p.db)
            .await?;
        if r.map(|r| r.text("owner_ws")).transpose()?.as_deref() != Some(ws.as_str()) {
            return Err(Error::NotFound(format!(
                "no mini program {app} in this workspace"
            )));
        }
    }
    let k = sqlx::query("SELECT kind FROM workspaces WHERE id = $1")
        .bind(&req.isv_workspace)
        .fetch_optional(&p.db)
        .await?;
    if k.map(|r| r.parsed("kind")).transpose()? != Some(WorkspaceKind::Isv) {
        return Err(Error::BadRequest(
            "isvWorkspace must be an ISV workspace".into(),
        ));
    }
    let id = new_id()?;
    // Stored and answered by name, sorted, without repeats.
    let mut list = req.actions.clone();
    list.sort_by_key(|a| a.as_str());
    list.dedup();
    let actions = list
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO isv_auths (id, merchant_ws, isv_ws, app_id, actions, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(&ws)
        .bind(&req.isv_workspace)
        .bind(&req.app_id)
        .bind(&actions)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "isv.authorize",
        &format!("isv-auth:{id}"),
        None,
        Some(json!({"isv": req.isv_workspace, "app": req.app_id, "actions": actions})),
    )
    .await?;
    tx.commit().await?;
    created(IsvAuthorization {
        id,
        merchant: ws,
        isv: req.isv_workspace,
        app_id: req.app_id,
        actions: list,
    })
}

#[utoipa::path(delete, path = paths::REVOKE_ISV.template, tag = "isv-authorizations", summary = "Revoke an ISV authorization (applies on the ISV's next call)", params(("id" = String, Path)), responses((status = 200, description = "Success", body = Revoked), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn revoke_isv(
    AxState(p): AppState,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let row = sqlx::query("SELECT merchant_ws, revoked_at FROM isv_auths WHERE id = $1")
        .bind(&id)
        .fetch_optional(&p.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no authorization {id}")))?;
    require_ws_role(&p, &c, &row.text("merchant_ws")?, Role::Master).await?;
    if row.opt_int("revoked_at")?.is_some() {
        return Err(Error::Conflict("already revoked".into()));
    }
    let mut tx = p.db.begin().await?;
    sqlx::query("UPDATE isv_auths SET revoked_at = $1 WHERE id = $2")
        .bind(now())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "isv.revoke",
        &format!("isv-auth:{id}"),
        Some(json!({"revoked": false})),
        Some(json!({"revoked": true})),
    )
    .await?;
    tx.commit().await?;
    ok(Revoked { id, revoked: true })
}
