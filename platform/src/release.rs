//! A release and its workflow: starting one (its package built and
//! re-signed for the target app), each step (a compare-and-set on the state,
//! audited in the same transaction, bumping the policy when what devices see
//! changes), notifying its creator and the webhooks, publishing a stable
//! version, rollback and takedown.

use crate::audit::audit;
use crate::authz::AppRow;
use crate::db::{unsigned, Columns};
use crate::error::Error;
use crate::ids::{new_id, ordered_id, random_hex};
use crate::policy::bump;
use crate::workflow::{refusal, transition, Action, ReleaseState};
use crate::{apps, now, packages, target_apps, webhooks, Platform};
use mpkit_platform_client::rollout;
use mpkit_platform_client::wire::{
    NewRelease, PackageRef, Release, ReleaseGray, ReleaseStarted, WebhookEvent,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
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

/// The accounts that brought a release to review: who started it, who
/// uploaded its version, and who applied for review (from the audit log).
pub(crate) async fn involved(
    p: &Platform,
    r: &Rel,
) -> Result<std::collections::BTreeSet<String>, Error> {
    let mut out = std::collections::BTreeSet::from([r.created_by.clone()]);
    let uploader =
        sqlx::query("SELECT uploaded_by FROM versions WHERE app_id = $1 AND version = $2")
            .bind(&r.app)
            .bind(&r.version)
            .fetch_optional(&p.db)
            .await?;
    if let Some(row) = uploader {
        out.insert(row.text("uploaded_by")?);
    }
    let applied = sqlx::query("SELECT actor FROM audit WHERE object = $1 AND action = $2")
        .bind(format!("release:{}", r.id))
        .bind("release.apply")
        .fetch_all(&p.db)
        .await?;
    for row in applied {
        out.insert(row.text("actor")?);
    }
    Ok(out)
}

/// Loads a release; 404 when there is none.
pub(crate) async fn load(p: &Platform, id: &str) -> Result<Rel, Error> {
    let r = sqlx::query(
        "SELECT r.*, v.sha256 AS upload_sha256, v.length AS upload_length FROM releases r \
         JOIN versions v ON v.app_id = r.app_id AND v.version = r.version WHERE r.id = $1",
    )
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
        upload: PackageRef {
            sha256: r.text("upload_sha256")?,
            length: r.uint("upload_length")?,
        },
        // Empty until a reviewer approves and the package is signed.
        package: Some(r.text("package_sha256")?)
            .filter(|s| !s.is_empty())
            .map(|sha256| {
                Ok::<_, Error>(PackageRef {
                    sha256,
                    length: r.uint("package_length")?,
                })
            })
            .transpose()?,
        compat_report: r.opt_json("compat_report")?,
        basic_info: r.json("basic_info")?,
        requested_permissions: None,
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

/// The state after `action`, or a conflict that says why not.
pub(crate) fn step(r: &Rel, action: Action) -> Result<ReleaseState, Error> {
    transition(r.state, action).ok_or_else(|| Error::Conflict(refusal(&r.id, r.state, action)))
}

/// Basic info is an object of known fields only, at start and at every edit.
pub(crate) fn check_basic_info(info: &Value) -> Result<(), Error> {
    let Value::Object(m) = info else {
        return Err(Error::BadRequest("basic info must be a JSON object".into()));
    };
    for (k, v) in m {
        // (most characters, whether it is text with lines)
        let (max, lines) = match k.as_str() {
            "description" => (2000, true),
            "releaseNotes" => (4000, true),
            "iconUrl" => (2048, false),
            "category" => (64, false),
            "contact" => (256, false),
            _ => {
                return Err(Error::BadRequest(format!(
                "{k:?} is not basic info (description, releaseNotes, iconUrl, category, contact)"
            )))
            }
        };
        let Value::String(s) = v else {
            return Err(Error::BadRequest(format!(
                "basic info {k} must be a string"
            )));
        };
        if s.chars().count() > max {
            return Err(Error::BadRequest(format!(
                "basic info {k} is longer than {max} characters"
            )));
        }
        let allowed = |c: char| lines && (c == '\n' || c == '\t');
        if s.chars().any(|c| c.is_control() && !allowed(c)) {
            return Err(Error::BadRequest(format!(
                "basic info {k} holds control characters"
            )));
        }
        if k == "iconUrl" && !s.is_empty() {
            let ok =
                reqwest::Url::parse(s).is_ok_and(|u| u.scheme() == "https" && u.host().is_some());
            if !ok {
                return Err(Error::BadRequest(
                    "basic info iconUrl must be an https: URL".into(),
                ));
            }
        }
    }
    Ok(())
}

/// Starts a release of an uploaded version in a target app: builds the
/// target app's package (the permissions it allows, re-signed by the
/// publisher key) and stores it. One release per (app, target app) is
/// active; a rejected one is superseded (audited as `actor`).
pub(crate) async fn start(
    p: &Platform,
    actor: &str,
    a: &AppRow,
    req: &NewRelease,
) -> Result<ReleaseStarted, Error> {
    let app = &a.app_id;
    let allowed = target_apps::allowed(&p.db, &req.target_app)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no target app {}", req.target_app)))?;
    if !apps::has_version(&p.db, app, &req.version).await? {
        return Err(Error::NotFound(format!(
            "no version {} of {app}",
            req.version
        )));
    }
    let active = sqlx::query(
        "SELECT id, version, state FROM releases WHERE app_id = $1 AND target_app = $2 AND active = 1",
    )
    .bind(app)
    .bind(&req.target_app)
    .fetch_optional(&p.db)
    .await?;
    // Nothing is built, signed or stored yet: the publisher key signs a
    // package only when a reviewer approves it (see `review`).
    let perms = packages::planned_permissions(p, app, &req.version, &allowed).await?;
    let upload = packages::upload_ref(p, app, &req.version).await?;
    let id = new_id()?;
    let info = req.basic_info.clone().unwrap_or_else(|| json!({}));
    let mut tx = p.db.begin().await?;
    if let Some(r) = active {
        // One active release per (app, target app). A rejected one is replaced
        // by starting over with a new version; anything else must end first.
        let state: ReleaseState = r.parsed("state")?;
        let other = r.text("id")?;
        if state != ReleaseState::Rejected {
            return Err(Error::Conflict(format!(
                "release {other} of {app} {} in {} is {}, and a target app runs one release at a time: \
                 finish it, or cancel it (`mpkit release cancel --release {other}`), before starting another",
                r.text("version")?,
                req.target_app,
                state.describe(),
            )));
        }
        sqlx::query("UPDATE releases SET state = $1, active = 0, updated_at = $2 WHERE id = $3")
            .bind(ReleaseState::Cancelled.as_str())
            .bind(now())
            .bind(&other)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            "release.superseded",
            &format!("release:{other}"),
            Some(json!({"state": ReleaseState::Rejected})),
            Some(json!({"state": ReleaseState::Cancelled})),
        )
        .await?;
    }
    sqlx::query("INSERT INTO releases (id, app_id, target_app, version, state, active, package_sha256, package_length, basic_info, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11)")
        .bind(&id)
        .bind(app)
        .bind(&req.target_app)
        .bind(&req.version)
        .bind(ReleaseState::Built.as_str())
        .bind("")
        .bind(0_i64)
        .bind(info.to_string())
        .bind(actor)
        .bind(now())
        .bind(now())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        actor,
        "release.start",
        &format!("release:{id}"),
        None,
        Some(json!({"state": ReleaseState::Built, "version": req.version, "targetApp": req.target_app, "upload": upload.sha256})),
    )
    .await?;
    tx.commit().await?;
    Ok(ReleaseStarted {
        id,
        app_id: app.clone(),
        target_app: req.target_app.clone(),
        version: req.version.clone(),
        state: ReleaseState::Built,
        upload,
        permissions: perms,
    })
}

/// Moves a release to `next` (a compare-and-set on its state, so two racing
/// steps cannot both win), audited as `actor` with `extra` fields, bumping
/// the policy when what devices see changes. The caller adds its own writes
/// and commits.
async fn set_state(
    p: &Platform,
    actor: &str,
    r: &Rel,
    next: ReleaseState,
    action: &str,
    extra: &[(&str, Value)],
    affects_policy: bool,
) -> Result<Transaction<'static, Any>, Error> {
    let mut tx = p.db.begin().await?;
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
        return Err(Error::Conflict(format!(
            "release {} changed meanwhile (another step was taken first); see where it is now \
             (`mpkit release status --release {}`) and try again",
            r.id, r.id
        )));
    }
    let mut after = json!({"state": next.as_str()});
    for (k, v) in extra {
        after[*k] = v.clone();
    }
    audit(
        &mut tx,
        actor,
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

/// A step that writes nothing but the state: applying, completing the pilot.
pub(crate) async fn advance(
    p: &Platform,
    actor: &str,
    r: &Rel,
    next: ReleaseState,
    action: &str,
    affects_policy: bool,
) -> Result<(), Error> {
    let tx = set_state(p, actor, r, next, action, &[], affects_policy).await?;
    tx.commit().await?;
    if affects_policy {
        p.policies.invalidate(&r.app, &r.target);
    }
    Ok(())
}

/// Attaches a compatibility report.
pub(crate) async fn attach_report(
    p: &Platform,
    actor: &str,
    r: &Rel,
    next: ReleaseState,
    report: &Value,
) -> Result<(), Error> {
    let mut tx = set_state(p, actor, r, next, "release.report", &[], false).await?;
    sqlx::query("UPDATE releases SET compat_report = $1 WHERE id = $2")
        .bind(report.to_string())
        .bind(&r.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the basic info (the state stays `next`, which is the current one).
pub(crate) async fn edit_basic_info(
    p: &Platform,
    actor: &str,
    r: &Rel,
    next: ReleaseState,
    info: &Value,
) -> Result<(), Error> {
    let mut tx = p.db.begin().await?;
    sqlx::query(
        "UPDATE releases SET basic_info = $1, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(info.to_string())
    .bind(now())
    .bind(&r.id)
    .bind(next.as_str())
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        actor,
        "release.basic_info",
        &format!("release:{}", r.id),
        Some(r.row.basic_info.clone()),
        Some(info.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A reviewer's decision: approved, or rejected with `reason`; the creator
/// and the webhooks are told.
pub(crate) async fn review(
    p: &Platform,
    actor: &str,
    r: &Rel,
    next: ReleaseState,
    reason: Option<&str>,
) -> Result<(), Error> {
    // An approval is what lets the publisher key sign: the target app's
    // package is built now, from the reviewed upload, with the permissions
    // the target app allows. A rejection signs nothing.
    let package = match reason {
        None => Some(approved_package(p, r).await?),
        Some(_) => None,
    };
    let mut tx = set_state(
        p,
        actor,
        r,
        next,
        "release.review",
        &[
            ("reason", json!(reason)),
            ("package", json!(package.as_ref().map(|(sha, _, _)| sha))),
        ],
        false,
    )
    .await?;
    sqlx::query("UPDATE releases SET reject_reason = $1 WHERE id = $2")
        .bind(reason)
        .bind(&r.id)
        .execute(&mut *tx)
        .await?;
    if let Some((sha, length, bytes)) = package {
        sqlx::query("UPDATE releases SET package_sha256 = $1, package_length = $2 WHERE id = $3")
            .bind(&sha)
            .bind(length)
            .bind(&r.id)
            .execute(&mut *tx)
            .await?;
        // Stored under the state's compare-and-set: a step that lost the
        // race stored nothing. Until the policy pins it, only the
        // release's members and reviewers can fetch it.
        packages::store(p, &r.app, &r.target, &r.version, bytes).await?;
    }
    let (event, text) = match reason {
        None => (
            WebhookEvent::ReleaseApproved,
            format!("{} {} for {} was approved", r.app, r.version, r.target),
        ),
        Some(why) => (
            WebhookEvent::ReleaseRejected,
            format!(
                "{} {} for {} was rejected: {why}",
                r.app, r.version, r.target
            ),
        ),
    };
    notify(&mut tx, r, event, &text).await?;
    tx.commit().await?;
    p.webhooks.wake();
    Ok(())
}

/// The target app's package of an approved release: built from the
/// reviewed upload and signed by the publisher key; its digest, length and
/// bytes.
async fn approved_package(p: &Platform, r: &Rel) -> Result<(String, i64, Vec<u8>), Error> {
    let app = sqlx::query("SELECT owner_ws, developer_ws FROM apps WHERE app_id = $1")
        .bind(&r.app)
        .fetch_optional(&p.db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no mini program {}", r.app)))?;
    let ws = match app.opt_text("developer_ws")? {
        Some(ws) => ws,
        None => app.text("owner_ws")?,
    };
    let allowed = target_apps::allowed(&p.db, &r.target)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no target app {}", r.target)))?;
    let (bytes, _) = packages::build_package(p, &ws, &r.app, &r.version, &allowed).await?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let length = i64::try_from(bytes.len()).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((sha, length, bytes))
}

/// Starts the pilot with `testers`, or replaces its tester list.
pub(crate) async fn set_testers(
    p: &Platform,
    actor: &str,
    r: &Rel,
    next: ReleaseState,
    action: &str,
    testers: &[String],
) -> Result<(), Error> {
    let mut tx = set_state(
        p,
        actor,
        r,
        next,
        action,
        &[("testers", json!(testers.len()))],
        true,
    )
    .await?;
    sqlx::query("DELETE FROM testers WHERE release_id = $1")
        .bind(&r.id)
        .execute(&mut *tx)
        .await?;
    for t in testers {
        sqlx::query("INSERT INTO testers (release_id, user_id) VALUES ($1, $2)")
            .bind(&r.id)
            .bind(t)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    Ok(())
}

/// Starts or raises the grayscale to `bp` basis points; the salt it runs
/// with. The percentage only goes up. The salt is minted (or named, `asked`)
/// when the grayscale starts; raising keeps it, so every user already in
/// stays in.
pub(crate) async fn grayscale(
    p: &Platform,
    actor: &str,
    r: &Rel,
    next: ReleaseState,
    bp: u16,
    asked: Option<&str>,
) -> Result<String, Error> {
    let running = r.state == ReleaseState::Grayscale;
    if let Some(cur) = r.gray_bp.filter(|_| running) {
        if i64::from(bp) <= cur {
            let now = cur as f64 / 100.0;
            return Err(Error::Conflict(format!(
                "the grayscale of release {} is at {now:.2}% and only goes up: raise it above \
                 {now:.2}% (`mpkit release gray PERCENT`), or release it to everyone (`mpkit release full`)",
                r.id
            )));
        }
    }
    if let Some(s) = asked {
        rollout::check_salt(s).map_err(Error::BadRequest)?;
    }
    let salt = match (&r.gray_salt, running, asked) {
        (Some(s), true, Some(asked)) if asked != s => return Err(Error::Conflict(
            "the salt is fixed when the grayscale starts; raising keeps it: leave the salt out, \
                 or repeat the running one"
                .into(),
        )),
        (Some(s), true, _) => s.clone(),
        (_, _, Some(asked)) => asked.to_owned(),
        _ => format!("{}:{}", r.app, random_hex(6)?),
    };
    let mut tx = set_state(
        p,
        actor,
        r,
        next,
        "release.grayscale",
        &[("percentBp", json!(bp)), ("salt", json!(salt))],
        true,
    )
    .await?;
    sqlx::query("UPDATE releases SET gray_bp = $1, gray_salt = $2 WHERE id = $3")
        .bind(i64::from(bp))
        .bind(&salt)
        .bind(&r.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    Ok(salt)
}

/// Releases to everyone: the release's package becomes the stable version.
pub(crate) async fn full(
    p: &Platform,
    actor: &str,
    r: &Rel,
    next: ReleaseState,
) -> Result<(), Error> {
    let pkg = r.row.package.as_ref().ok_or_else(|| {
        Error::Conflict(format!(
            "release {} has no signed package: it was never approved",
            r.id
        ))
    })?;
    let length = i64::try_from(pkg.length).unwrap_or_default();
    let mut tx = set_state(p, actor, r, next, "release.full", &[], false).await?;
    publish(
        &mut tx,
        &r.app,
        &r.target,
        Some((&r.version, &pkg.sha256, length)),
        FULL_RELEASE,
    )
    .await?;
    notify(
        &mut tx,
        r,
        WebhookEvent::ReleaseReleased,
        &format!(
            "{} {} is released to everyone in {}",
            r.app, r.version, r.target
        ),
    )
    .await?;
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    p.webhooks.wake();
    Ok(())
}

/// Cancels the release; a pilot or grayscale it ran ends with it.
pub(crate) async fn cancel(
    p: &Platform,
    actor: &str,
    r: &Rel,
    next: ReleaseState,
) -> Result<(), Error> {
    let affects = matches!(r.state, ReleaseState::Pilot | ReleaseState::Grayscale);
    let mut tx = set_state(p, actor, r, next, "release.cancel", &[], affects).await?;
    notify(
        &mut tx,
        r,
        WebhookEvent::ReleaseCancelled,
        &format!("{} {} for {} was cancelled", r.app, r.version, r.target),
    )
    .await?;
    tx.commit().await?;
    p.policies.invalidate(&r.app, &r.target);
    p.webhooks.wake();
    Ok(())
}

/// Why a version was published: the reason column of `published`.
const FULL_RELEASE: &str = "full release";

/// Makes `version`, fully released in this target app before, the stable one
/// again; the policy's new sequence number (audited as `actor`).
pub(crate) async fn rollback(
    p: &Platform,
    actor: &str,
    app: &str,
    t: &str,
    version: &str,
) -> Result<u64, Error> {
    let prev = sqlx::query("SELECT sha256, length FROM published WHERE app_id = $1 AND target_app = $2 AND version = $3 AND reason = $4 ORDER BY seq DESC LIMIT 1")
        .bind(app)
        .bind(t)
        .bind(version)
        .bind(FULL_RELEASE)
        .fetch_optional(&p.db)
        .await?
        .ok_or_else(|| {
            Error::Conflict(format!(
                "{version} was never released to everyone in {t}; a rollback returns to a version \
                 that was (see `mpkit app show {app}`)"
            ))
        })?;
    let mut tx = p.db.begin().await?;
    let seq = publish(
        &mut tx,
        app,
        t,
        Some((version, &prev.text("sha256")?, prev.int("length")?)),
        "rollback",
    )
    .await?;
    audit(
        &mut tx,
        actor,
        "app.rollback",
        &format!("app:{app}/target:{t}"),
        None,
        Some(json!({"stable": version, "seq": seq})),
    )
    .await?;
    tx.commit().await?;
    p.policies.invalidate(app, t);
    Ok(unsigned(seq))
}

/// Takes the mini program down from a target app: nothing is stable, and any
/// active release (a pilot, a grayscale) is cancelled; the policy's new
/// sequence number (audited as `actor`).
pub(crate) async fn takedown(p: &Platform, actor: &str, app: &str, t: &str) -> Result<u64, Error> {
    if !crate::target_apps::exists(&p.db, t).await? {
        return Err(Error::NotFound(format!("no target app {t}")));
    }
    let mut tx = p.db.begin().await?;
    sqlx::query("UPDATE releases SET state = $1, active = 0, updated_at = $2 WHERE app_id = $3 AND target_app = $4 AND active = 1")
        .bind(ReleaseState::Cancelled.as_str())
        .bind(now())
        .bind(app)
        .bind(t)
        .execute(&mut *tx)
        .await?;
    let seq = publish(&mut tx, app, t, None, "takedown").await?;
    audit(
        &mut tx,
        actor,
        "app.takedown",
        &format!("app:{app}/target:{t}"),
        None,
        Some(json!({"stable": null, "seq": seq})),
    )
    .await?;
    tx.commit().await?;
    p.policies.invalidate(app, t);
    Ok(unsigned(seq))
}

/// Records a new stable version (or none, after a takedown) under a new
/// policy sequence number, in the mutation's transaction.
async fn publish(
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

/// Writes a release result to its creator's inbox and queues it for the
/// webhooks that receive `event`, in the mutation's transaction (so both exist
/// exactly when the change committed). Wake the delivery worker after the
/// commit ([`webhooks::Outbox::wake`]).
async fn notify(
    tx: &mut Transaction<'_, Any>,
    r: &Rel,
    event: WebhookEvent,
    text: &str,
) -> Result<(), Error> {
    let id = ordered_id()?;
    // Only while the creator can still see the mini program: a member of the
    // workspace that owns or develops it, or of an ISV workspace whose
    // authorization over it stands. A removed member is told nothing more.
    sqlx::query(
        "INSERT INTO inbox (id, account_id, at, text, release_id) \
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS ( \
           SELECT 1 FROM members m JOIN apps a ON a.app_id = $6 \
           WHERE m.account_id = $2 AND (m.workspace_id = a.owner_ws OR m.workspace_id = a.developer_ws \
             OR m.workspace_id IN (SELECT i.isv_ws FROM isv_auths i WHERE i.merchant_ws = a.owner_ws \
               AND (i.app_id IS NULL OR i.app_id = a.app_id) AND i.revoked_at IS NULL)))",
    )
    .bind(&id)
    .bind(&r.created_by)
    .bind(now())
    .bind(text)
    .bind(&r.id)
    .bind(&r.app)
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
