//! The release policy of each (mini program, target app): built from the
//! database, signed with the policy key, and cached in memory so that resolve
//! touches the database only when something changed (every mutation bumps the
//! sequence in the same transaction and drops the cache entry).

use crate::db;
use crate::error::Error;
use crate::Platform;
use mpkit_bundle::Context;
use mpkit_platform_client::rollout;
use mpkit_platform_client::wire::{
    Grayscale, PinnedVersion, ReleasePolicy, ResolveAnswer, Rule, Signed,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

/// One cached, signed policy with its pilot testers, and the signed resolve
/// answers already given under it (an answer only changes with the policy, so
/// it is signed once per user per policy; the entry, and with it every cached
/// answer, is dropped when the policy changes or is re-signed).
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) policy: ReleasePolicy,
    pub(crate) signed: Signed,
    pub(crate) testers: HashSet<String>,
    answers: std::sync::Mutex<HashMap<String, axum::body::Bytes>>,
}

/// Cached answers per policy, at most (then the cache starts over).
const MAX_CACHED_ANSWERS: usize = 100_000;

/// The in-memory cache.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    map: RwLock<HashMap<(String, String), Arc<Entry>>>,
}

impl Cache {
    /// Drops an entry after a change.
    pub(crate) fn invalidate(&self, app: &str, target: &str) {
        if let Ok(mut m) = self.map.write() {
            m.remove(&(app.to_owned(), target.to_owned()));
        }
    }
}

/// Signs a payload in the policy context.
pub(crate) fn sign(p: &Platform, payload: String) -> Signed {
    let sig = p.keys.policy.sign(Context::Policy, payload.as_bytes());
    Signed {
        payload,
        sig: hex::encode(sig),
        key_id: p.keys.policy.public().id().to_string(),
    }
}

async fn build(p: &Platform, app: &str, target: &str) -> Result<Entry, Error> {
    let seq = sqlx::query("SELECT seq FROM policy_seq WHERE app_id = $1 AND target_app = $2")
        .bind(app)
        .bind(target)
        .fetch_optional(&p.db)
        .await?
        .map_or(0, |r| db::i(&r, "seq"));
    let stable = sqlx::query(
        "SELECT version, sha256, length FROM published WHERE app_id = $1 AND target_app = $2 ORDER BY seq DESC LIMIT 1",
    )
    .bind(app)
    .bind(target)
    .fetch_optional(&p.db)
    .await?
    .and_then(|r| {
        Some(PinnedVersion {
            version: db::os(&r, "version")?,
            sha256: db::os(&r, "sha256")?,
            length: db::oi(&r, "length")? as u64,
        })
    });
    let active = sqlx::query(
        "SELECT id, version, state, package_sha256, package_length, gray_bp, gray_salt FROM releases \
         WHERE app_id = $1 AND target_app = $2 AND active = 1",
    )
    .bind(app)
    .bind(target)
    .fetch_optional(&p.db)
    .await?;
    let (mut pilot, mut grayscale, mut testers) = (None, None, HashSet::new());
    if let Some(r) = active {
        let pinned = PinnedVersion {
            version: db::s(&r, "version"),
            sha256: db::s(&r, "package_sha256"),
            length: db::i(&r, "package_length") as u64,
        };
        match db::s(&r, "state").as_str() {
            "pilot" => {
                let rows = sqlx::query("SELECT user_id FROM testers WHERE release_id = $1")
                    .bind(db::s(&r, "id"))
                    .fetch_all(&p.db)
                    .await?;
                testers = rows.iter().map(|t| db::s(t, "user_id")).collect();
                pilot = Some(pinned);
            }
            "grayscale" => {
                grayscale = Some(Grayscale {
                    version: pinned,
                    percent_bp: db::oi(&r, "gray_bp").unwrap_or(0) as u16,
                    salt: db::os(&r, "gray_salt").unwrap_or_default(),
                });
            }
            _ => {}
        }
    }
    let policy = ReleasePolicy {
        kind: "policy".into(),
        app_id: app.to_owned(),
        target_app: target.to_owned(),
        seq: seq as u64,
        expires: crate::now() + p.config.policy_ttl,
        stable,
        grayscale,
        pilot,
    };
    let payload = serde_json::to_string(&policy).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Entry {
        signed: sign(p, payload),
        policy,
        testers,
        answers: std::sync::Mutex::new(HashMap::new()),
    })
}

/// The current signed policy, from the cache when nothing changed; re-signed
/// when it is within an hour (or a tenth of its lifetime) of expiring.
pub(crate) async fn current(p: &Platform, app: &str, target: &str) -> Result<Arc<Entry>, Error> {
    let key = (app.to_owned(), target.to_owned());
    let margin = (p.config.policy_ttl / 10).min(3600);
    if let Some(e) = p
        .policies
        .map
        .read()
        .ok()
        .and_then(|m| m.get(&key).cloned())
    {
        if e.policy.expires - crate::now() > margin {
            return Ok(e);
        }
    }
    let exists =
        sqlx::query("SELECT a.app_id FROM apps a, target_apps t WHERE a.app_id = $1 AND t.id = $2")
            .bind(app)
            .bind(target)
            .fetch_optional(&p.db)
            .await?;
    if exists.is_none() {
        return Err(Error::NotFound(format!(
            "no mini program {app} in target app {target}"
        )));
    }
    let e = Arc::new(build(p, app, target).await?);
    if let Ok(mut m) = p.policies.map.write() {
        m.insert(key, e.clone());
    }
    Ok(e)
}

/// Which version `user` gets, and why (the one shared decision function).
pub(crate) fn decide(e: &Entry, user: &str) -> (Option<PinnedVersion>, Rule, Option<u16>) {
    let (v, rule, bucket) = rollout::decide(
        &e.policy,
        !user.is_empty() && e.testers.contains(user),
        user,
    );
    (v.cloned(), rule, bucket)
}

/// The signed resolve answer for `user`, as the response body.
pub(crate) fn answer(p: &Platform, e: &Entry, user: &str) -> Result<axum::body::Bytes, Error> {
    if let Some(b) = e.answers.lock().ok().and_then(|m| m.get(user).cloned()) {
        return Ok(b);
    }
    let (version, rule, bucket) = decide(e, user);
    let a = ResolveAnswer {
        kind: "resolve".into(),
        app_id: e.policy.app_id.clone(),
        target_app: e.policy.target_app.clone(),
        user: user.to_owned(),
        version,
        rule,
        bucket,
        seq: e.policy.seq,
        expires: e.policy.expires,
    };
    let payload = serde_json::to_string(&a).map_err(|e| Error::Internal(e.to_string()))?;
    let body = serde_json::to_vec(&sign(p, payload)).map_err(|e| Error::Internal(e.to_string()))?;
    let body = axum::body::Bytes::from(body);
    if let Ok(mut m) = e.answers.lock() {
        if m.len() >= MAX_CACHED_ANSWERS {
            m.clear();
        }
        m.insert(user.to_owned(), body.clone());
    }
    Ok(body)
}
