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

use crate::audit::audit;
use crate::authz::token_hash;
use crate::db::Columns;
use crate::error::Error;
use crate::ids::{new_id, random_hex};
use crate::{now, policy, Platform};
use mpkit_platform_client::wire::{AppSecret, AppSecretCreated, AuthCodeIssued, CodeExchanged};
use serde_json::json;
use sqlx::{Any, AnyPool, Transaction};

/// The scopes `my.getAuthCode` asks for.
pub(crate) const SCOPES: [&str; 2] = ["auth_base", "auth_user"];

/// A user id as an operator names it: 1 to 128 characters, none a control character.
pub(crate) fn check_user(user: &str) -> Result<(), Error> {
    if user.is_empty() || user.chars().count() > 128 || user.chars().any(char::is_control) {
        return Err(Error::BadRequest(
            "userId must be 1 to 128 characters, none of them control characters".into(),
        ));
    }
    Ok(())
}

/// The scopes asked for, checked and in a stable order without repeats.
pub(crate) fn check_scopes(scopes: &[String]) -> Result<Vec<String>, Error> {
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

/// Whether `account` is an operator of target app `target`.
pub(crate) async fn is_operator(db: &AnyPool, target: &str, account: &str) -> Result<bool, Error> {
    Ok(sqlx::query(
        "SELECT account_id FROM target_operators WHERE target_app = $1 AND account_id = $2",
    )
    .bind(target)
    .bind(account)
    .fetch_optional(db)
    .await?
    .is_some())
}

/// Names `account` an operator of target app `t` (audited as `actor`).
pub(crate) async fn add_operator(
    db: &AnyPool,
    actor: &str,
    t: &str,
    account: &str,
) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO target_operators (target_app, account_id) VALUES ($1, $2)")
        .bind(t)
        .bind(account)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "target.operator",
        &format!("target:{t}/operator:{account}"),
        None,
        Some(json!({})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn secret_row(r: &sqlx::any::AnyRow) -> Result<AppSecret, Error> {
    Ok(AppSecret {
        id: r.text("id")?,
        app_id: r.text("app_id")?,
        name: r.text("name")?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
        revoked_at: r.opt_int("revoked_at")?,
    })
}

/// Creates an app secret for `app` (audited as `actor`); the answer carries
/// the secret, shown once: only its hash is stored.
/// `isv_ws` is the developing ISV when its member made it: the secret then
/// lives only as long as the merchant's authorization of that ISV.
pub(crate) async fn create_secret(
    db: &AnyPool,
    actor: &str,
    app: &str,
    name: &str,
    isv_ws: Option<&str>,
) -> Result<AppSecretCreated, Error> {
    let secret = format!("mpks_{}", random_hex(32)?);
    let info = AppSecret {
        id: new_id()?,
        app_id: app.to_owned(),
        name: name.to_owned(),
        created_by: actor.to_owned(),
        created_at: now(),
        revoked_at: None,
    };
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO app_secrets (hash, id, app_id, name, created_by, created_at, isv_ws) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(token_hash(&secret))
        .bind(&info.id)
        .bind(&info.app_id)
        .bind(&info.name)
        .bind(&info.created_by)
        .bind(info.created_at)
        .bind(isv_ws)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "app.secret.create",
        &format!("app:{}/secret:{}", info.app_id, info.id),
        None,
        Some(json!({"name": info.name})),
    )
    .await?;
    tx.commit().await?;
    Ok(AppSecretCreated { info, secret })
}

/// The app's secrets, oldest first, never the secrets themselves.
pub(crate) async fn secrets(
    db: &AnyPool,
    app: &str,
    page: &crate::page::Page,
) -> Result<Vec<AppSecret>, Error> {
    let rows = sqlx::query(
        "SELECT id, app_id, name, created_by, created_at, revoked_at FROM app_secrets \
         WHERE app_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(app)
    .bind(page.after_or(""))
    .bind(page.limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(secret_row).collect()
}

/// Revokes an app secret (audited as `actor`): it exchanges nothing from now
/// on. An unknown secret is 404, a revoked one a conflict.
pub(crate) async fn revoke_secret(
    db: &AnyPool,
    actor: &str,
    app: &str,
    id: &str,
) -> Result<AppSecret, Error> {
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE app_secrets SET revoked_at = $1 WHERE id = $2 AND app_id = $3 AND revoked_at IS NULL",
    )
    .bind(now())
    .bind(id)
    .bind(app)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let row = sqlx::query(
        "SELECT id, app_id, name, created_by, created_at, revoked_at FROM app_secrets WHERE id = $1 AND app_id = $2",
    )
    .bind(id)
    .bind(app)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::NotFound(format!("no secret {id} for {app}")))?;
    if n != 1 {
        return Err(Error::Conflict(format!("secret {id} is already revoked")));
    }
    audit(
        &mut tx,
        actor,
        "app.secret.revoke",
        &format!("app:{app}/secret:{id}"),
        Some(json!({"revoked": false})),
        Some(json!({"revoked": true})),
    )
    .await?;
    tx.commit().await?;
    secret_row(&row)
}

/// What keeps a secret made through an ISV alive: a standing authorization
/// of that ISV by the app's merchant to `manage` (what making it took), for
/// all its apps or this one.
pub(crate) const ISV_STANDS: &str =
    "(s.isv_ws IS NULL OR EXISTS (SELECT 1 FROM isv_auths a, apps p \
     WHERE p.app_id = s.app_id AND a.merchant_ws = p.owner_ws AND a.isv_ws = s.isv_ws \
     AND a.revoked_at IS NULL AND (a.app_id IS NULL OR a.app_id = s.app_id) \
     AND (',' || a.actions || ',') LIKE '%,manage,%'))";

/// The mini program an unrevoked app secret belongs to; a secret an ISV
/// made counts only while the merchant's authorization of it stands.
pub(crate) async fn app_of_secret(db: &AnyPool, secret: &str) -> Result<Option<String>, Error> {
    sqlx::query(&format!(
        "SELECT s.app_id AS app_id FROM app_secrets s WHERE s.hash = $1 AND s.revoked_at IS NULL AND {ISV_STANDS}"
    ))
        .bind(token_hash(secret))
        .fetch_optional(db)
        .await?
        .map(|r| r.text("app_id"))
        .transpose()
}

/// The user's open id in (target, app): made once, then always the same. In
/// the code's transaction, so a first code costs one commit, not two.
async fn open_id(
    tx: &mut Transaction<'_, Any>,
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
        return r.text("open_id");
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
    r.text("open_id")
}

/// Issues an auth code for (`app`, `user`) in `target`, asked by `operator`,
/// with `scopes` (checked): only while the user may run the mini program
/// there now.
pub(crate) async fn issue_code(
    p: &Platform,
    operator: &str,
    app: &str,
    target: &str,
    user: &str,
    scopes: Vec<String>,
) -> Result<AuthCodeIssued, Error> {
    // Only for a user who may run the mini program there now.
    let e = policy::current(p, app, target).await?;
    if policy::decide(&e, user).0.is_none() {
        return Err(Error::Conflict(format!(
            "{app} is not available to this user in {target}"
        )));
    }
    let code = format!("ac_{}", random_hex(32)?);
    let (at, ttl) = (now(), p.config.auth_code_ttl.max(1));
    let mut tx = p.db.begin().await?;
    let open_id = open_id(&mut tx, target, app, user).await?;
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
    .bind(app)
    .bind(target)
    .bind(&open_id)
    .bind(scopes.join(" "))
    .bind(operator)
    .bind(at)
    .bind(at + ttl)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(AuthCodeIssued {
        auth_code: code,
        open_id,
        scopes,
        expires_in: u64::try_from(ttl).unwrap_or_default(),
    })
}

/// Spends `code` for mini program `app` (whose server presented its
/// secret): who it stood for. Spent only when it is this app's, unspent and
/// unexpired, in one statement, so of two concurrent exchanges exactly one
/// wins; every failure is the same `invalid_grant`.
pub(crate) async fn exchange(db: &AnyPool, app: &str, code: &str) -> Result<CodeExchanged, Error> {
    if !code.starts_with("ac_") || code.len() > 128 {
        return Err(Error::InvalidGrant);
    }
    let hash = token_hash(code);
    let at = now();
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE auth_codes SET used_at = $1 WHERE hash = $2 AND app_id = $3 AND used_at IS NULL AND expires_at >= $1",
    )
    .bind(at)
    .bind(&hash)
    .bind(app)
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
    Ok(CodeExchanged {
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
