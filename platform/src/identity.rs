//! User identity for mini programs: auth codes.
//!
//! A mini program learns who its user is the way Alipay's do: `my.getAuthCode`
//! hands it a code, it sends the code to its own server, and that server
//! exchanges the code here for the user's *open id*.
//!
//! - **Operators** of a target app (accounts of the super app's own server,
//!   named by an admin) issue codes for the target app's users. The platform
//!   never sees the user; it trusts the operator for the user id, as it trusts
//!   the host for identity on the device.
//! - A code is issued only for a user who may run the mini program in that
//!   target app now (the eligibility decision of `resolve`), so a taken-down
//!   or unreleased mini program gets no codes.
//! - **App secrets** authenticate the mini program's server (not an account:
//!   a backend holding one can do nothing else). Master or Owner creates,
//!   lists and revokes them.
//! - An **open id** is random, per (target app, mini program, user), and kept:
//!   the same user always has the same open id in one mini program, and two
//!   mini programs cannot match their users by it.
//! - A code is random (256 bits), stored as its SHA-256, single use, bound to
//!   its mini program and expiring (`Config::auth_code_ttl`). Exchanging is
//!   one conditional `UPDATE`, so two concurrent exchanges cannot both win.
//!   Every failure of a code gives the same answer (`invalid_grant`), and a
//!   code presented with another mini program's secret is not spent.

use crate::api::{audit, body, created, ok, Body, P, R};
use crate::authz::{app_access, role_in, token_hash, AppAction, AppRow, Caller, Role};
use crate::error::Error;
use crate::{db, now, policy, Platform};
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use mpkit_platform_client::wire::{
    AccountRef, AppSecret, AppSecretCreated, AuthCodeIssued, CodeExchange, CodeExchanged,
    NewAppSecret, NewAuthCode, OperatorAdded,
};
use serde_json::json;
use std::sync::Arc;

/// The scopes `my.getAuthCode` asks for.
pub(crate) const SCOPES: [&str; 2] = ["auth_base", "auth_user"];

/// `n` random bytes as hex, or an error: a secret is never made from anything weaker.
fn random_hex(n: usize) -> Result<String, Error> {
    let mut b = vec![0u8; n];
    getrandom::getrandom(&mut b).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(b))
}

/// A user id as an operator names it: 1 to 128 characters, none a control character.
fn check_user(user: &str) -> Result<(), Error> {
    if user.is_empty() || user.chars().count() > 128 || user.chars().any(char::is_control) {
        return Err(Error::BadRequest(
            "userId must be 1 to 128 characters, none of them control characters".into(),
        ));
    }
    Ok(())
}

/// The scopes asked for, checked and in a stable order without repeats.
fn check_scopes(scopes: &[String]) -> Result<Vec<String>, Error> {
    if scopes.is_empty() {
        return Err(Error::BadRequest(
            "scopes must name at least one scope".into(),
        ));
    }
    if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(Error::BadRequest(format!(
            "unknown scope {bad:?}: scopes are auth_base and auth_user"
        )));
    }
    Ok(SCOPES
        .iter()
        .filter(|s| scopes.iter().any(|x| x == *s))
        .map(|s| (*s).to_owned())
        .collect())
}

async fn is_operator(p: &Platform, target: &str, account: &str) -> Result<bool, Error> {
    Ok(sqlx::query(
        "SELECT account_id FROM target_operators WHERE target_app = $1 AND account_id = $2",
    )
    .bind(target)
    .bind(account)
    .fetch_optional(&p.db)
    .await?
    .is_some())
}

#[utoipa::path(post, path = "/v1/target-apps/{t}/operators", tag = "identity", summary = "Name an operator of a target app: an account of the super app's server, which issues auth codes (admin)", request_body = AccountRef, params(("t" = String, Path)), responses((status = 201, description = "Success", body = OperatorAdded), (status = "4XX", description = "{code, message}", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn add_operator(
    axum::extract::State(p): P,
    c: Caller,
    Path(t): Path<String>,
    Body(b): Body,
) -> R {
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
async fn secrets_manager(p: &Platform, c: &Caller, app: &str) -> Result<AppRow, Error> {
    let a = app_access(&p.db, c, app, AppAction::Manage).await?;
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

fn secret_row(r: &sqlx::any::AnyRow) -> AppSecret {
    AppSecret {
        id: db::s(r, "id"),
        app_id: db::s(r, "app_id"),
        name: db::s(r, "name"),
        created_by: db::s(r, "created_by"),
        created_at: db::i(r, "created_at"),
        revoked_at: db::oi(r, "revoked_at"),
    }
}

#[utoipa::path(post, path = "/v1/apps/{app}/secrets", tag = "identity", summary = "Create a credential for the mini program's server, which exchanges auth codes; the secret is shown once (Master or Owner)", request_body = NewAppSecret, params(("app" = String, Path)), responses((status = 201, description = "Success", body = AppSecretCreated), (status = "4XX", description = "{code, message}", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn create_secret(
    axum::extract::State(p): P,
    c: Caller,
    Path(app): Path<String>,
    Body(b): Body,
) -> R {
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
        id: crate::new_id(),
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

#[utoipa::path(get, path = "/v1/apps/{app}/secrets", tag = "identity", summary = "The mini program's server credentials, without the secrets (Master or Owner)", params(("app" = String, Path)), responses((status = 200, description = "Success", body = [AppSecret]), (status = "4XX", description = "{code, message}", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn list_secrets(
    axum::extract::State(p): P,
    c: Caller,
    Path(app): Path<String>,
) -> R {
    secrets_manager(&p, &c, &app).await?;
    let rows = sqlx::query(
        "SELECT id, app_id, name, created_by, created_at, revoked_at FROM app_secrets WHERE app_id = $1 ORDER BY created_at, id",
    )
    .bind(&app)
    .fetch_all(&p.db)
    .await?;
    ok(rows.iter().map(secret_row).collect::<Vec<_>>())
}

#[utoipa::path(delete, path = "/v1/apps/{app}/secrets/{id}", tag = "identity", summary = "Revoke a server credential: it exchanges nothing from now on (Master or Owner)", params(("app" = String, Path), ("id" = String, Path)), responses((status = 200, description = "The secret revoked", body = AppSecret), (status = "4XX", description = "{code, message}", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn revoke_secret(
    axum::extract::State(p): P,
    c: Caller,
    Path((app, id)): Path<(String, String)>,
) -> R {
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
    ok(secret_row(&row))
}

/// The user's open id in (target, app): made once, then always the same. In
/// the code's transaction, so a first code costs one commit, not two.
async fn open_id(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    target: &str,
    app: &str,
    user: &str,
) -> Result<String, Error> {
    const FIND: &str =
        "SELECT open_id FROM open_ids WHERE target_app = $1 AND app_id = $2 AND user_id = $3";
    let found = sqlx::query(FIND)
        .bind(target)
        .bind(app)
        .bind(user)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(r) = found {
        return Ok(db::s(&r, "open_id"));
    }
    // Two first codes at once (PostgreSQL): one insert wins, and both read the winner.
    sqlx::query(
        "INSERT INTO open_ids (target_app, app_id, user_id, open_id, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (target_app, app_id, user_id) DO NOTHING",
    )
    .bind(target)
    .bind(app)
    .bind(user)
    .bind(format!("oid_{}", random_hex(16)?))
    .bind(now())
    .execute(&mut **tx)
    .await?;
    let r = sqlx::query(FIND)
        .bind(target)
        .bind(app)
        .bind(user)
        .fetch_one(&mut **tx)
        .await?;
    Ok(db::s(&r, "open_id"))
}

#[utoipa::path(post, path = "/v1/auth-codes", tag = "identity", summary = "Issue an auth code for a user of the target app and a mini program they may run there (an operator of the target app)", request_body = NewAuthCode, responses((status = 201, description = "Success", body = AuthCodeIssued), (status = "4XX", description = "{code, message}", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn issue_code(axum::extract::State(p): P, c: Caller, Body(b): Body) -> R {
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

/// The mini program whose server is calling, from its app secret.
pub(crate) struct AppClient {
    app_id: String,
}

impl FromRequestParts<Arc<Platform>> for AppClient {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, p: &Arc<Platform>) -> Result<AppClient, Error> {
        let secret = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Error::InvalidClient)?;
        let row =
            sqlx::query("SELECT app_id FROM app_secrets WHERE hash = $1 AND revoked_at IS NULL")
                .bind(token_hash(secret.trim()))
                .fetch_optional(&p.db)
                .await?
                .ok_or(Error::InvalidClient)?;
        Ok(AppClient {
            app_id: db::s(&row, "app_id"),
        })
    }
}

#[utoipa::path(post, path = "/v1/auth-codes/exchange", tag = "identity", summary = "Exchange an auth code for the user's open id, once (the mini program's server, with an app secret as the bearer token)", request_body = CodeExchange, responses((status = 200, description = "Success", body = CodeExchanged), (status = "4XX", description = "{code, message}: invalid_client (401) for a bad secret, invalid_grant (400) for any bad code", body = mpkit_platform_client::wire::ApiErrorBody)), security(("bearer" = [])))]
pub(crate) async fn exchange(axum::extract::State(p): P, a: AppClient, Body(b): Body) -> R {
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
        app_id: db::s(&r, "app_id"),
        target_app: db::s(&r, "target_app"),
        open_id: db::s(&r, "open_id"),
        scopes: db::s(&r, "scopes")
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        issued_at: db::i(&r, "created_at"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_checked_ordered_and_deduplicated() {
        let s = |v: &[&str]| check_scopes(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(
            s(&["auth_user", "auth_base", "auth_user"]).expect("ok"),
            ["auth_base", "auth_user"]
        );
        assert!(matches!(s(&[]), Err(Error::BadRequest(m)) if m.contains("at least one")));
        assert!(
            matches!(s(&["auth_base", "scope.location"]), Err(Error::BadRequest(m)) if m.contains("scope.location"))
        );
    }

    #[test]
    fn user_ids_are_bounded_and_printable() {
        assert!(check_user("alice").is_ok());
        assert!(check_user(&"é".repeat(128)).is_ok());
        for bad in ["", "a\nb", "\u{0}", &"x".repeat(129)] {
            assert!(
                matches!(check_user(bad), Err(Error::BadRequest(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn codes_and_secrets_are_256_bits_of_randomness() {
        let a = random_hex(32).expect("random");
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, random_hex(32).expect("random"));
    }
}
