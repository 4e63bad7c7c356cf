//! User identity: target app operators, app secrets and auth codes (see
//! [`crate::identity`]).

use super::extract::{body, created, ok, ApiResult, AppClient, AppState, Body};
use crate::audit::audit;
use crate::authz::{app_access, role_in, token_hash, AppRow, Caller, IsvAction, Role};
use crate::db::Columns;
use crate::error::Error;
use crate::identity::{check_scopes, check_user, is_operator, open_id, secret_row};
use crate::ids::{new_id, random_hex};
use crate::{now, policy, Platform};
use axum::extract::{Path, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{
    AccountRef, AppSecret, AppSecretCreated, AuthCodeIssued, CodeExchange, CodeExchanged,
    NewAppSecret, NewAuthCode, OperatorAdded,
};
use serde_json::json;

#[utoipa::path(post, path = paths::ADD_OPERATOR.template, tag = "identity", summary = "Name an operator of a target app: an account of the super app's server, which issues auth codes (admin)", request_body = AccountRef, params(("t" = String, Path)), responses((status = 201, description = "Success", body = OperatorAdded), (status = "4XX", description = "{code, message}", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn add_operator(
    AxState(p): AppState,
    c: Caller,
    Path(t): Path<String>,
    Body(b): Body,
) -> ApiResult {
    if !c.admin {
        return Err(Error::Forbidden(
            "only a platform admin names operators".into(),
        ));
    }
    let req: AccountRef = body(&b)?;
    if sqlx::query("SELECT id FROM target_apps WHERE id = $1")
        .bind(&t)
        .fetch_optional(&p.db)
        .await?
        .is_none()
    {
        return Err(Error::NotFound(format!("no target app {t}")));
    }
    if sqlx::query("SELECT id FROM accounts WHERE id = $1")
        .bind(&req.account_id)
        .fetch_optional(&p.db)
        .await?
        .is_none()
    {
        return Err(Error::NotFound(format!("no account {}", req.account_id)));
    }
    if is_operator(&p, &t, &req.account_id).await? {
        return Err(Error::Conflict("already an operator".into()));
    }
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO target_operators (target_app, account_id) VALUES ($1, $2)")
        .bind(&t)
        .bind(&req.account_id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "target.operator",
        &format!("target:{t}/operator:{}", req.account_id),
        None,
        Some(json!({})),
    )
    .await?;
    tx.commit().await?;
    created(OperatorAdded {
        target_app: t,
        account_id: req.account_id,
    })
}

/// The app, if the caller manages its secrets: a Master or Owner of the
/// owning merchant, or of an ISV the merchant authorized to manage it.
pub(super) async fn secrets_manager(p: &Platform, c: &Caller, app: &str) -> Result<AppRow, Error> {
    let a = app_access(&p.db, c, app, IsvAction::Manage).await?;
    if c.admin {
        return Ok(a);
    }
    let owner = role_in(&p.db, &a.owner_ws, &c.account).await?;
    let isv = match &a.developer_ws {
        Some(ws) => role_in(&p.db, ws, &c.account).await?,
        None => None,
    };
    if owner.max(isv) < Some(Role::Owner) {
        return Err(Error::Forbidden(
            "only a Master or Owner manages a mini program's secrets".into(),
        ));
    }
    Ok(a)
}

#[utoipa::path(post, path = paths::CREATE_APP_SECRET.template, tag = "identity", summary = "Create a credential for the mini program's server, which exchanges auth codes; the secret is shown once (Master or Owner)", request_body = NewAppSecret, params(("app" = String, Path)), responses((status = 201, description = "Success", body = AppSecretCreated), (status = "4XX", description = "{code, message}", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn create_secret(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
    Body(b): Body,
) -> ApiResult {
    let a = secrets_manager(&p, &c, &app).await?;
    let req: NewAppSecret = body(&b)?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Error::BadRequest(
            "name must be 1 to 64 characters, none of them control characters".into(),
        ));
    }
    let secret = format!("mpks_{}", random_hex(32)?);
    let info = AppSecret {
        id: new_id()?,
        app_id: a.app_id.clone(),
        name: name.to_owned(),
        created_by: c.account.clone(),
        created_at: now(),
        revoked_at: None,
    };
    let mut tx = p.db.begin().await?;
    sqlx::query("INSERT INTO app_secrets (hash, id, app_id, name, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(token_hash(&secret))
        .bind(&info.id)
        .bind(&info.app_id)
        .bind(&info.name)
        .bind(&info.created_by)
        .bind(info.created_at)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        &c.account,
        "app.secret.create",
        &format!("app:{}/secret:{}", info.app_id, info.id),
        None,
        Some(json!({"name": info.name})),
    )
    .await?;
    tx.commit().await?;
    created(AppSecretCreated { info, secret })
}

#[utoipa::path(get, path = paths::APP_SECRETS.template, tag = "identity", summary = "The mini program's server credentials, without the secrets (Master or Owner)", params(("app" = String, Path)), responses((status = 200, description = "Success", body = [AppSecret]), (status = "4XX", description = "{code, message}", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn list_secrets(
    AxState(p): AppState,
    c: Caller,
    Path(app): Path<String>,
) -> ApiResult {
    secrets_manager(&p, &c, &app).await?;
    let rows = sqlx::query(
        "SELECT id, app_id, name, created_by, created_at, revoked_at FROM app_secrets WHERE app_id = $1 ORDER BY created_at, id",
    )
    .bind(&app)
    .fetch_all(&p.db)
    .await?;
    ok(rows
        .iter()
        .map(secret_row)
        .collect::<Result<Vec<_>, Error>>()?)
}

#[utoipa::path(delete, path = paths::REVOKE_APP_SECRET.template, tag = "identity", summary = "Revoke a server credential: it exchanges nothing from now on (Master or Owner)", params(("app" = String, Path), ("id" = String, Path)), responses((status = 200, description = "The secret revoked", body = AppSecret), (status = "4XX", description = "{code, message}", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn revoke_secret(
    AxState(p): AppState,
    c: Caller,
    Path((app, id)): Path<(String, String)>,
) -> ApiResult {
    secrets_manager(&p, &c, &app).await?;
    let mut tx = p.db.begin().await?;
    let n = sqlx::query(
        "UPDATE app_secrets SET revoked_at = $1 WHERE id = $2 AND app_id = $3 AND revoked_at IS NULL",
    )
    .bind(now())
    .bind(&id)
    .bind(&app)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let row = sqlx::query(
        "SELECT id, app_id, name, created_by, created_at, revoked_at FROM app_secrets WHERE id = $1 AND app_id = $2",
    )
    .bind(&id)
    .bind(&app)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::NotFound(format!("no secret {id} for {app}")))?;
    if n != 1 {
        return Err(Error::Conflict(format!("secret {id} is already revoked")));
    }
    audit(
        &mut tx,
        &c.account,
        "app.secret.revoke",
        &format!("app:{app}/secret:{id}"),
        Some(json!({"revoked": false})),
        Some(json!({"revoked": true})),
    )
    .await?;
    tx.commit().await?;
    ok(secret_row(&row)?)
}

#[utoipa::path(post, path = paths::ISSUE_AUTH_CODE.template, tag = "identity", summary = "Issue an auth code for a user of the target app and a mini program they may run there (an operator of the target app)", request_body = NewAuthCode, responses((status = 201, description = "Success", body = AuthCodeIssued), (status = "4XX", description = "{code, message}", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn issue_code(AxState(p): AppState, c: Caller, Body(b): Body) -> ApiResult {
    let req: NewAuthCode = body(&b)?;
    check_user(&req.user_id)?;
    let scopes = check_scopes(&req.scopes)?;
    if !is_operator(&p, &req.target_app, &c.account).await? {
        return Err(Error::Forbidden(format!(
            "only an operator of target app {} issues auth codes for its users",
            req.target_app
        )));
    }
    // Only for a user who may run the mini program there now.
    let e = policy::current(&p, &req.app_id, &req.target_app).await?;
    if policy::decide(&e, &req.user_id).0.is_none() {
        return Err(Error::Conflict(format!(
            "{} is not available to this user in {}",
            req.app_id, req.target_app
        )));
    }
    let code = format!("ac_{}", random_hex(32)?);
    let (at, ttl) = (now(), p.config.auth_code_ttl.max(1));
    let mut tx = p.db.begin().await?;
    let open_id = open_id(&mut tx, &req.target_app, &req.app_id, &req.user_id).await?;
    // Housekeeping: codes an hour past their expiry are of no use to anyone.
    sqlx::query("DELETE FROM auth_codes WHERE expires_at < $1")
        .bind(at - 3600)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO auth_codes (hash, app_id, target_app, open_id, scopes, issued_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(token_hash(&code))
    .bind(&req.app_id)
    .bind(&req.target_app)
    .bind(&open_id)
    .bind(scopes.join(" "))
    .bind(&c.account)
    .bind(at)
    .bind(at + ttl)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    created(AuthCodeIssued {
        auth_code: code,
        open_id,
        scopes,
        expires_in: u64::try_from(ttl).unwrap_or_default(),
    })
}

#[utoipa::path(post, path = paths::EXCHANGE_AUTH_CODE.template, tag = "identity", summary = "Exchange an auth code for the user's open id, once (the mini program's server, with an app secret as the bearer token)", request_body = CodeExchange, responses((status = 200, description = "Success", body = CodeExchanged), (status = "4XX", description = "{code, message}: invalid_client (401) for a bad secret, invalid_grant (400) for any bad code", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn exchange(AxState(p): AppState, a: AppClient, Body(b): Body) -> ApiResult {
    let req: CodeExchange = body(&b)?;
    if !req.code.starts_with("ac_") || req.code.len() > 128 {
        return Err(Error::InvalidGrant);
    }
    let hash = token_hash(&req.code);
    let at = now();
    let mut tx = p.db.begin().await?;
    // Spent only when it is this app's, unspent and unexpired: one statement,
    // so of two concurrent exchanges exactly one wins.
    let n = sqlx::query(
        "UPDATE auth_codes SET used_at = $1 WHERE hash = $2 AND app_id = $3 AND used_at IS NULL AND expires_at >= $1",
    )
    .bind(at)
    .bind(&hash)
    .bind(&a.app_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(Error::InvalidGrant);
    }
    let r = sqlx::query(
        "SELECT app_id, target_app, open_id, scopes, created_at FROM auth_codes WHERE hash = $1",
    )
    .bind(&hash)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    ok(CodeExchanged {
        app_id: r.text("app_id")?,
        target_app: r.text("target_app")?,
        open_id: r.text("open_id")?,
        scopes: r
            .text("scopes")?
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        issued_at: r.int("created_at")?,
    })
}
