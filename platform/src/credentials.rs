//! Credentials and their revocation (issue 22, item 4): account tokens
//! (with an optional expiry; the bootstrap admin's rotate like any other),
//! developer keys, and the reviewers and operators of target apps. Every
//! revocation is audited and applies on the credential's next call, since
//! every call checks it.

use crate::audit::audit;
use crate::authz::{token_hash, token_id};
use crate::db::Columns;
use crate::error::Error;
use crate::ids::new_token;
use crate::now;
use crate::page::Page;
use mpkit_platform_client::wire::{
    DevKey, OperatorAdded, ReviewerAdded, TokenCreated, TokenInfo, MAX_TOKEN_LIFETIME,
};
use serde_json::json;
use sqlx::AnyPool;

fn token_info(r: &sqlx::any::AnyRow, current: &str) -> Result<TokenInfo, Error> {
    let id = token_id(&r.text("hash")?);
    Ok(TokenInfo {
        current: id == current,
        id,
        created_at: r.int("created_at")?,
        expires_at: r.opt_int("expires_at")?,
        revoked_at: r.opt_int("revoked_at")?,
    })
}

/// The account's tokens, oldest first; `current` is the id of the token
/// the call was made with.
pub(crate) async fn tokens(
    db: &AnyPool,
    account: &str,
    current: &str,
    page: &Page,
) -> Result<Vec<TokenInfo>, Error> {
    // By hash: a token's id is its hash's first 16 digits, so every hash
    // with that prefix sorts below the id followed by `g`.
    let after = page.after_or("").to_owned()
        + if page.after_or("").is_empty() {
            ""
        } else {
            "g"
        };
    let rows = sqlx::query(
        "SELECT hash, created_at, expires_at, revoked_at FROM tokens WHERE account_id = $1 \
         AND hash > $2 ORDER BY hash LIMIT $3",
    )
    .bind(account)
    .bind(after)
    .bind(page.limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| token_info(r, current)).collect()
}

/// A new token for `account`, expiring after `expires_in` seconds when
/// given (one second to five years).
pub(crate) async fn create_token(
    db: &AnyPool,
    account: &str,
    expires_in: Option<u64>,
) -> Result<TokenCreated, Error> {
    if let Some(s) = expires_in {
        if !(1..=MAX_TOKEN_LIFETIME).contains(&s) {
            return Err(Error::BadRequest(format!(
                "expiresInSeconds must be 1 to {MAX_TOKEN_LIFETIME} (five years)"
            )));
        }
    }
    let token = new_token()?;
    let hash = token_hash(&token);
    let at = now();
    let expires_at = expires_in.map(|s| at + s as i64);
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO tokens (hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&hash)
    .bind(account)
    .bind(at)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    let id = token_id(&hash);
    audit(
        &mut tx,
        account,
        "token.create",
        &format!("account:{account}/token:{id}"),
        None,
        Some(json!({"expiresAt": expires_at})),
    )
    .await?;
    tx.commit().await?;
    Ok(TokenCreated {
        id,
        token,
        expires_at,
    })
}

/// How many live tokens `account` has.
async fn live_tokens(db: &AnyPool, account: &str) -> Result<i64, Error> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n FROM tokens WHERE account_id = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(account)
    .bind(now())
    .fetch_one(db)
    .await?;
    r.int("n")
}

/// Revokes the caller's token `id`. An admin keeps one live token (create
/// the next one first), so a platform never locks itself out.
pub(crate) async fn revoke_token(
    db: &AnyPool,
    account: &str,
    admin: bool,
    id: &str,
    current: &str,
) -> Result<TokenInfo, Error> {
    let not_found = || Error::NotFound(format!("you have no token {id}"));
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let row = sqlx::query(
        "SELECT hash, created_at, expires_at, revoked_at FROM tokens WHERE account_id = $1 \
         AND hash LIKE $2",
    )
    .bind(account)
    .bind(format!("{id}%"))
    .fetch_optional(db)
    .await?
    .ok_or_else(not_found)?;
    let hash = row.text("hash")?;
    if row.opt_int("revoked_at")?.is_some() {
        return Err(Error::Conflict(format!("token {id} is already revoked")));
    }
    if admin && live_tokens(db, account).await? <= 1 {
        return Err(Error::Conflict(
            "this is your last live token and you are a platform admin: create the next one \
             (`mpkit account token create`) before revoking this one"
                .into(),
        ));
    }
    let at = now();
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL")
        .bind(at)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        account,
        "token.revoke",
        &format!("account:{account}/token:{id}"),
        None,
        Some(json!({"revokedAt": at})),
    )
    .await?;
    tx.commit().await?;
    let mut info = token_info(&row, current)?;
    info.revoked_at = Some(at);
    Ok(info)
}

/// Revokes every live token of `account` (an admin's act, audited as
/// `actor`); how many. An admin revokes their own tokens one by one.
pub(crate) async fn revoke_account_tokens(
    db: &AnyPool,
    actor: &str,
    account: &str,
) -> Result<u64, Error> {
    if actor == account {
        return Err(Error::Conflict(
            "revoke your own tokens one by one (`mpkit account token revoke --id ID`), keeping one"
                .into(),
        ));
    }
    let at = now();
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(account)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    audit(
        &mut tx,
        actor,
        "token.revoke_all",
        &format!("account:{account}"),
        None,
        Some(json!({"revoked": n})),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

fn dev_key(r: &sqlx::any::AnyRow) -> Result<DevKey, Error> {
    Ok(DevKey {
        workspace: r.text("workspace_id")?,
        key_id: r.text("key_id")?,
        public_key_hex: r.text("public_hex")?,
        added_by: r.text("added_by")?,
        created_at: r.int("created_at")?,
        revoked_at: r.opt_int("revoked_at")?,
    })
}

const KEY_COLUMNS: &str = "workspace_id, key_id, public_hex, added_by, created_at, revoked_at";

/// The workspace's developer keys, revoked ones included.
pub(crate) async fn keys(db: &AnyPool, ws: &str, page: &Page) -> Result<Vec<DevKey>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {KEY_COLUMNS} FROM dev_keys WHERE workspace_id = $1 AND key_id > $2 \
         ORDER BY key_id LIMIT $3"
    ))
    .bind(ws)
    .bind(page.after_or(""))
    .bind(page.limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(dev_key).collect()
}

/// Revokes a developer key (audited as `actor`): uploads signed with it
/// are refused from now on, and so is building the package of a version it
/// signed.
pub(crate) async fn revoke_key(
    db: &AnyPool,
    actor: &str,
    ws: &str,
    key_id: &str,
) -> Result<DevKey, Error> {
    let row = sqlx::query(&format!(
        "SELECT {KEY_COLUMNS} FROM dev_keys WHERE workspace_id = $1 AND key_id = $2"
    ))
    .bind(ws)
    .bind(key_id)
    .fetch_optional(db)
    .await?
    .ok_or_else(|| Error::NotFound(format!("no key {key_id} in {ws}")))?;
    let mut key = dev_key(&row)?;
    if key.revoked_at.is_some() {
        return Err(Error::Conflict(format!("key {key_id} is already revoked")));
    }
    let at = now();
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE dev_keys SET revoked_at = $1 WHERE workspace_id = $2 AND key_id = $3")
        .bind(at)
        .bind(ws)
        .bind(key_id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "key.revoke",
        &format!("workspace:{ws}/key:{key_id}"),
        None,
        Some(json!({"revokedAt": at})),
    )
    .await?;
    tx.commit().await?;
    key.revoked_at = Some(at);
    Ok(key)
}

/// Which people of a target app: its reviewers or its operators.
#[derive(Clone, Copy)]
pub(crate) enum People {
    Reviewers,
    Operators,
}

impl People {
    fn table(self) -> &'static str {
        match self {
            People::Reviewers => "reviewers",
            People::Operators => "target_operators",
        }
    }
    pub(crate) fn plural(self) -> &'static str {
        match self {
            People::Reviewers => "reviewers",
            People::Operators => "operators",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            People::Reviewers => "reviewer",
            People::Operators => "operator",
        }
    }
}

/// The accounts of target app `t` in `who`.
pub(crate) async fn people(
    db: &AnyPool,
    t: &str,
    who: People,
    page: &Page,
) -> Result<Vec<String>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT account_id FROM {} WHERE target_app = $1 AND account_id > $2 \
         ORDER BY account_id LIMIT $3",
        who.table()
    ))
    .bind(t)
    .bind(page.after_or(""))
    .bind(page.limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| r.text("account_id")).collect()
}

/// Removes `account` from target app `t`'s `who` (audited as `actor`).
pub(crate) async fn remove_person(
    db: &AnyPool,
    actor: &str,
    t: &str,
    account: &str,
    who: People,
) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    let n = sqlx::query(&format!(
        "DELETE FROM {} WHERE target_app = $1 AND account_id = $2",
        who.table()
    ))
    .bind(t)
    .bind(account)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(Error::NotFound(format!(
            "{account} is not a {} of {t}",
            who.noun()
        )));
    }
    audit(
        &mut tx,
        actor,
        &format!("target.{}_removed", who.noun()),
        &format!("target:{t}/{}:{account}", who.noun()),
        Some(json!({ who.noun(): account })),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A reviewer as the wire names one.
pub(crate) fn reviewer(t: &str, account: String) -> ReviewerAdded {
    ReviewerAdded {
        target_app: t.to_owned(),
        account_id: account,
    }
}

/// An operator as the wire names one.
pub(crate) fn operator(t: &str, account: String) -> OperatorAdded {
    OperatorAdded {
        target_app: t.to_owned(),
        account_id: account,
    }
}
