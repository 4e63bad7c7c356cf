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

use crate::db::Columns;
use crate::error::Error;
use crate::ids::random_hex;
use crate::{now, Platform};
use mpkit_platform_client::wire::AppSecret;

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

pub(crate) async fn is_operator(p: &Platform, target: &str, account: &str) -> Result<bool, Error> {
    Ok(sqlx::query(
        "SELECT account_id FROM target_operators WHERE target_app = $1 AND account_id = $2",
    )
    .bind(target)
    .bind(account)
    .fetch_optional(&p.db)
    .await?
    .is_some())
}

pub(crate) fn secret_row(r: &sqlx::any::AnyRow) -> Result<AppSecret, Error> {
    Ok(AppSecret {
        id: r.text("id")?,
        app_id: r.text("app_id")?,
        name: r.text("name")?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
        revoked_at: r.opt_int("revoked_at")?,
    })
}

/// The user's open id in (target, app): made once, then always the same. In
/// the code's transaction, so a first code costs one commit, not two.
pub(crate) async fn open_id(
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
