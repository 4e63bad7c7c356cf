//! A release as the workflow handlers need it: loading it, moving its state
//! (a compare-and-set, audited, bumping the policy when devices see the
//! change), notifying its creator and the webhooks, publishing a stable
//! version, and its tester list.

use crate::audit::audit;
use crate::authz::Caller;
use crate::db::Columns;
use crate::error::Error;
use crate::ids::ordered_id;
use crate::policy::bump;
use crate::webhooks;
use crate::workflow::{transition, Action, ReleaseState};
use crate::{now, Platform};
use mpkit_platform_client::wire::{PackageRef, Release, ReleaseGray, WebhookEvent};
use serde_json::{json, Value};
use sqlx::{Any, Transaction};

/// A loaded release: its columns as the workflow needs them, and its answer.
pub(crate) struct Rel {
    pub(crate) id: String,
    pub(crate) app: String,
    pub(crate) target: String,
    pub(crate) version: String,
    pub(crate) state: ReleaseState,
    pub(crate) created_by: String,
    pub(crate) gray_bp: Option<i64>,
    pub(crate) gray_salt: Option<String>,
    pub(crate) row: Release,
}

pub(crate) async fn load_release(p: &Platform, id: &str) -> Result<Rel, Error> {
    let r = sqlx::query("SELECT * FROM releases WHERE id = $1")
        .bind(id)
        .fetch_optional(&p.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no release {id}")))?;
    let state = r.parsed::<ReleaseState>("state")?;
    let row = Release {
        id: r.text("id")?,
        app_id: r.text("app_id")?,
        target_app: r.text("target_app")?,
        version: r.text("version")?,
        state,
        package: PackageRef {
            sha256: r.text("package_sha256")?,
            length: r.uint("package_length")?,
        },
        compat_report: r.opt_json("compat_report")?,
        basic_info: r.json("basic_info")?,
        reject_reason: r.opt_text("reject_reason")?,
        grayscale: match r.opt_int("gray_bp")? {
            Some(percent_bp) => Some(ReleaseGray {
                percent_bp,
                salt: r.opt_text("gray_salt")?,
            }),
            None => None,
        },
        created_at: r.int("created_at")?,
        updated_at: r.int("updated_at")?,
    };
    Ok(Rel {
        id: r.text("id")?,
        app: r.text("app_id")?,
        target: r.text("target_app")?,
        version: r.text("version")?,
        state,
        created_by: r.text("created_by")?,
        gray_bp: r.opt_int("gray_bp")?,
        gray_salt: r.opt_text("gray_salt")?,
        row,
    })
}

pub(crate) fn step(r: &Rel, action: Action) -> Result<ReleaseState, Error> {
    transition(r.state, action).ok_or_else(|| {
        Error::Conflict(format!(
            "a release in state {} cannot {:?}",
            r.state.as_str(),
            action
        ))
    })
}

/// Moves a release to `next` (checked), with extra column updates, audited,
/// bumping the policy when what devices see changes.
pub(crate) async fn set_state(
    p: &Platform,
    c: &Caller,
    r: &Rel,
    next: ReleaseState,
    action: &str,
    extra: &[(&str, Value)],
    affects_policy: bool,
) -> Result<Transaction<'static, Any>, Error> {
    let mut tx = p.db.begin().await?;
    // Compare-and-set on the state: two racing transitions cannot both win.
    let n = sqlx::query(
        "UPDATE releases SET state = $1, active = $2, updated_at = $3 WHERE id = $4 AND state = $5",
    )
    .bind(next.as_str())
    .bind(i64::from(next.is_active()))
    .bind(now())
    .bind(&r.id)
    .bind(r.state.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(Error::Conflict(
            "the release changed meanwhile; reload it".into(),
        ));
    }
    let mut after = json!({"state": next.as_str()});
    for (k, v) in extra {
        after[*k] = v.clone();
    }
    audit(
        &mut tx,
        &c.account,
        action,
        &format!("release:{}", r.id),
        Some(json!({"state": r.state.as_str()})),
        Some(after),
    )
    .await?;
    if affects_policy {
        bump(&mut tx, &r.app, &r.target).await?;
    }
    Ok(tx)
}

/// Basic info is an object of known fields only, at start and at every edit.
pub(crate) fn check_basic_info(info: &Value) -> Result<(), Error> {
    let Value::Object(m) = info else {
        return Err(Error::BadRequest("basic info must be a JSON object".into()));
    };
    for k in m.keys() {
        if !matches!(
            k.as_str(),
            "description" | "releaseNotes" | "iconUrl" | "category" | "contact"
        ) {
            return Err(Error::BadRequest(format!(
                "{k:?} is not basic info (description, releaseNotes, iconUrl, category, contact)"
            )));
        }
    }
    Ok(())
}

/// Writes a release result to its creator's inbox and queues it for the
/// webhooks that receive `event`, in the mutation's transaction (so both exist
/// exactly when the change committed). Wake the delivery worker after the
/// commit ([`webhooks::Outbox::wake`]).
pub(crate) async fn notify(
    tx: &mut Transaction<'_, Any>,
    r: &Rel,
    event: WebhookEvent,
    text: &str,
) -> Result<(), Error> {
    let id = ordered_id()?;
    sqlx::query(
        "INSERT INTO inbox (id, account_id, at, text, release_id) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&r.created_by)
    .bind(now())
    .bind(text)
    .bind(&r.id)
    .execute(&mut **tx)
    .await?;
    webhooks::enqueue(
        tx,
        &webhooks::Event {
            id: &id,
            event,
            release: &r.id,
            app: &r.app,
            target: &r.target,
            text,
        },
    )
    .await?;
    Ok(())
}

pub(crate) async fn publish(
    tx: &mut Transaction<'_, Any>,
    app: &str,
    target: &str,
    v: Option<(&str, &str, i64)>,
    reason: &str,
) -> Result<i64, Error> {
    let seq = bump(tx, app, target).await?;
    sqlx::query("INSERT INTO published (app_id, target_app, seq, version, sha256, length, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(app)
        .bind(target)
        .bind(seq)
        .bind(v.map(|x| x.0))
        .bind(v.map(|x| x.1))
        .bind(v.map(|x| x.2))
        .bind(reason)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

pub(crate) async fn replace_testers(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    testers: &[String],
) -> Result<(), Error> {
    sqlx::query("DELETE FROM testers WHERE release_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for t in testers {
        sqlx::query("INSERT INTO testers (release_id, user_id) VALUES ($1, $2)")
            .bind(id)
            .bind(t)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
