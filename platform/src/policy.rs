//! The release policy of each (mini program, target app): built from the
//! database, signed with the policy key, and cached in memory so that resolve
//! touches the database only when something changed.
//!
//! How an entry learns that it is stale:
//! - **In this instance**: every mutation bumps the sequence in its
//!   transaction and drops the entry after the commit.
//! - **In other instances** (PostgreSQL): the bump also sends
//!   `NOTIFY mpkit_policy, '<app> <target>'` in the same transaction, so it is
//!   delivered on commit only; [`listen`] runs a `PgListener` per instance
//!   that drops the entry. An instance hears its own changes too, and drops
//!   the entry again: one extra rebuild per change, which covers a handler
//!   cancelled between its commit and its own invalidation. When that connection is lost, or its state is
//!   unknown, the whole cache is dropped once it listens again, and until then
//!   every use of an entry checks its sequence first.
//! - **Safety net** (both backends, and two processes on one SQLite file): an
//!   entry older than `Config::policy_revalidate` is checked against
//!   `SELECT seq FROM policy_seq` before it is used: one small query per entry
//!   per interval, claimed by one request, never one per request.
//!
//! A build that raced with an invalidation is answered but not cached (the
//! cache's generation changed meanwhile), so a notification can never be
//! overtaken by a build that read the data before the change.

use crate::db::{unsigned, Columns};
use crate::error::Error;
use crate::Platform;
use mpkit_bundle::Context;
use mpkit_platform_client::rollout;
use mpkit_platform_client::wire::{
    Grayscale, PinnedVersion, ReleasePolicy, ReleaseState, ResolveAnswer, Rule, Signed,
};
use sqlx::{Any, Transaction};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

/// The PostgreSQL channel that carries policy changes between instances.
pub(crate) const CHANNEL: &str = "mpkit_policy";

/// One cached, signed policy with its pilot testers, and the signed resolve
/// answers already given under it (an answer only changes with the policy, so
/// it is signed once per user per policy; the entry, and with it every cached
/// answer, is dropped when the policy changes or is re-signed).
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) policy: ReleasePolicy,
    pub(crate) signed: Signed,
    pub(crate) testers: HashSet<String>,
    answers: std::sync::Mutex<HashMap<String, bytes::Bytes>>,
    /// When the entry was last known current (milliseconds on the cache's clock).
    checked: AtomicU64,
    /// The bytes every entry's cached answers hold, shared by the cache.
    held: Arc<AtomicUsize>,
}

impl Drop for Entry {
    /// An entry dropped (changed, re-signed, invalidated) gives back what
    /// its answers held.
    fn drop(&mut self) {
        if let Ok(m) = self.answers.get_mut() {
            let bytes: usize = m.iter().map(|(k, v)| answer_cost(k, v)).sum();
            self.held.fetch_sub(bytes, Ordering::SeqCst);
        }
    }
}

/// What one cached answer costs the budget: its body, its key, and the
/// map's own bookkeeping.
fn answer_cost(user: &str, body: &bytes::Bytes) -> usize {
    user.len() + body.len() + 64
}

/// The in-memory cache.
#[derive(Debug)]
pub(crate) struct Cache {
    map: RwLock<HashMap<(String, String), Arc<Entry>>>,
    /// Bumped by every invalidation; a build only caches its entry when the
    /// generation did not move while it read the database.
    generation: AtomicU64,
    /// Whether change notifications arrive (always true without a listener:
    /// SQLite has none, and the revalidation interval is its bound).
    live: AtomicBool,
    /// Whether this cache depends on a listener at all (PostgreSQL).
    listened: bool,
    /// Database reads made by the cache (builds, existence checks, revalidations).
    reads: AtomicU64,
    /// Times the listener (re)started listening and dropped the whole cache.
    resets: AtomicU64,
    clock: Instant,
    /// Bytes of cached answers, over every entry, and the most they may hold.
    held: Arc<AtomicUsize>,
    budget: usize,
}

/// What the policy cache is doing, for monitoring and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyCacheStats {
    /// Cached (mini program, target app) policies.
    pub entries: usize,
    /// Database reads the cache made so far: builds, existence checks and
    /// revalidations. A resolve on a warm, unchanged entry makes none.
    pub db_reads: u64,
    /// On PostgreSQL, whether the change listener is connected and listening
    /// (`None` on SQLite, which has no listener).
    pub listening: Option<bool>,
    /// Times the listener started listening (again) and dropped the whole cache.
    pub resets: u64,
    /// Bytes the cached resolve answers hold, over every policy; at most
    /// `Config::resolve_cache_bytes`.
    pub answer_bytes: usize,
    /// Resolve answers cached, over every policy.
    pub answers: usize,
}

impl Cache {
    /// A cache; `listened` when a change listener will feed it
    /// (PostgreSQL); its resolve answers hold at most `budget` bytes.
    pub(crate) fn new(listened: bool, budget: usize) -> Cache {
        Cache {
            held: Arc::new(AtomicUsize::new(0)),
            budget,
            map: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            live: AtomicBool::new(!listened),
            listened,
            reads: AtomicU64::new(0),
            resets: AtomicU64::new(0),
            clock: Instant::now(),
        }
    }

    /// Drops an entry after a change.
    pub(crate) fn invalidate(&self, app: &str, target: &str) {
        if let Ok(mut m) = self.map.write() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            m.remove(&(app.to_owned(), target.to_owned()));
        }
    }

    /// Drops every entry (the change feed was interrupted or is unknown).
    pub(crate) fn clear(&self) {
        if let Ok(mut m) = self.map.write() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            m.clear();
        }
    }

    fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::SeqCst);
    }

    fn now_ms(&self) -> u64 {
        self.clock.elapsed().as_millis() as u64
    }

    fn read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> PolicyCacheStats {
        PolicyCacheStats {
            entries: self.map.read().map_or(0, |m| m.len()),
            db_reads: self.reads.load(Ordering::Relaxed),
            listening: self.listened.then(|| self.live.load(Ordering::SeqCst)),
            answer_bytes: self.held.load(Ordering::SeqCst),
            answers: self.map.read().map_or(0, |m| {
                m.values()
                    .map(|e| e.answers.lock().map_or(0, |a| a.len()))
                    .sum()
            }),
            resets: self.resets.load(Ordering::Relaxed),
        }
    }
}

/// Sends the change notification of (app, target) inside the mutation's
/// transaction (PostgreSQL only: it is delivered on commit, and never when the
/// transaction rolls back).
pub(crate) async fn notify_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    app: &str,
    target: &str,
) -> Result<(), Error> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("{app} {target}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The change listener of one instance (PostgreSQL): drops the entry each
/// notification names; drops the whole cache whenever it (re)starts
/// listening, since notifications sent while it was not are lost. Runs until
/// the platform is gone.
pub(crate) async fn listen(url: String, p: Weak<Platform>) {
    use sqlx::postgres::PgListener;
    let mut backoff = Duration::from_millis(100);
    loop {
        let cache = match p.upgrade() {
            Some(p) => p.policies.clone(),
            None => return,
        };
        let connected = async {
            let mut l = PgListener::connect(&url).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        }
        .await;
        let mut l = match connected {
            Ok(l) => l,
            Err(e) => {
                cache.set_live(false);
                tracing::warn!(error = %e, "policy listener: cannot listen; every cached policy is checked on use");
                drop(cache);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        // Listening from here on: what changed before is unknown.
        cache.clear();
        cache.resets.fetch_add(1, Ordering::Relaxed);
        cache.set_live(true);
        loop {
            match l.try_recv().await {
                Ok(Some(n)) => match n.payload().split_once(' ') {
                    Some((app, target)) if n.channel() == CHANNEL => cache.invalidate(app, target),
                    // Not ours to understand: assume anything changed.
                    _ => cache.clear(),
                },
                Ok(None) => {
                    // The connection was lost and has been re-established
                    // (LISTEN included): anything sent in between is lost.
                    tracing::warn!("policy listener: reconnected; dropping the policy cache");
                    cache.clear();
                    cache.resets.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    cache.set_live(false);
                    cache.clear();
                    tracing::warn!(error = %e, "policy listener: lost; every cached policy is checked on use until it listens again");
                    break;
                }
            }
        }
        drop(cache);
        tokio::time::sleep(backoff).await;
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
    p.policies.read();
    let seq = sqlx::query("SELECT seq FROM policy_seq WHERE app_id = $1 AND target_app = $2")
        .bind(app)
        .bind(target)
        .fetch_optional(&p.db)
        .await?
        .map_or(Ok(0), |r| r.int("seq"))?;
    let stable = sqlx::query(
        "SELECT version, sha256, length FROM published WHERE app_id = $1 AND target_app = $2 ORDER BY seq DESC LIMIT 1",
    )
    .bind(app)
    .bind(target)
    .fetch_optional(&p.db)
    .await?;
    // A takedown publishes no version: nothing is stable then.
    let stable = match stable {
        None => None,
        Some(r) => match (
            r.opt_text("version")?,
            r.opt_text("sha256")?,
            r.opt_int("length")?,
        ) {
            (Some(version), Some(sha256), Some(length)) => Some(PinnedVersion {
                version,
                sha256,
                length: unsigned(length),
            }),
            _ => None,
        },
    };
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
            version: r.text("version")?,
            sha256: r.text("package_sha256")?,
            length: r.uint("package_length")?,
        };
        match r.parsed::<ReleaseState>("state")? {
            ReleaseState::Pilot => {
                let rows = sqlx::query("SELECT user_id FROM testers WHERE release_id = $1")
                    .bind(r.text("id")?)
                    .fetch_all(&p.db)
                    .await?;
                testers = rows
                    .iter()
                    .map(|t| t.text("user_id"))
                    .collect::<Result<_, Error>>()?;
                pilot = Some(pinned);
            }
            ReleaseState::Grayscale => {
                grayscale = Some(Grayscale {
                    version: pinned,
                    percent_bp: r.opt_int("gray_bp")?.unwrap_or(0) as u16,
                    salt: r.opt_text("gray_salt")?.unwrap_or_default(),
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
        checked: AtomicU64::new(p.policies.now_ms()),
        held: p.policies.held.clone(),
    })
}

/// The sequence of (app, target) as stored now (0 before the first change).
async fn stored_seq(p: &Platform, app: &str, target: &str) -> Result<u64, Error> {
    p.policies.read();
    let seq = sqlx::query("SELECT seq FROM policy_seq WHERE app_id = $1 AND target_app = $2")
        .bind(app)
        .bind(target)
        .fetch_optional(&p.db)
        .await?
        .map_or(Ok(0), |r| r.int("seq"))?;
    Ok(u64::try_from(seq).unwrap_or_default())
}

/// Whether a cached entry may be used: it is not near expiry, and it is known
/// current (checked within the revalidation interval while notifications
/// arrive; checked now otherwise).
async fn usable(p: &Platform, e: &Entry, app: &str, target: &str) -> Result<bool, Error> {
    let margin = (p.config.policy_ttl / 10).min(3600);
    if e.policy.expires - crate::now() <= margin {
        return Ok(false);
    }
    let cache = &p.policies;
    let window = if cache.live.load(Ordering::SeqCst) {
        p.config.policy_revalidate.as_millis() as u64
    } else {
        0
    };
    let now = cache.now_ms();
    let last = e.checked.load(Ordering::SeqCst);
    if now.saturating_sub(last) < window {
        return Ok(true);
    }
    // One request revalidates; the others keep using the entry meanwhile (it
    // is at most one interval old). Without notifications, every use checks.
    if window > 0
        && e.checked
            .compare_exchange(last, now, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
    {
        return Ok(true);
    }
    match stored_seq(p, app, target).await {
        Ok(seq) if seq == e.policy.seq => {
            e.checked.fetch_max(now, Ordering::SeqCst);
            Ok(true)
        }
        Ok(_) => Ok(false),
        Err(err) => {
            // Let the next request try again.
            let _ = e
                .checked
                .compare_exchange(now, last, Ordering::SeqCst, Ordering::SeqCst);
            Err(err)
        }
    }
}

/// The current signed policy, from the cache when nothing changed; re-signed
/// when it is within an hour (or a tenth of its lifetime) of expiring.
pub(crate) async fn current(p: &Platform, app: &str, target: &str) -> Result<Arc<Entry>, Error> {
    let key = (app.to_owned(), target.to_owned());
    // Read before anything else: a change notified after this point keeps
    // what this call builds out of the cache.
    let generation = p.policies.generation.load(Ordering::SeqCst);
    if let Some(e) = p
        .policies
        .map
        .read()
        .ok()
        .and_then(|m| m.get(&key).cloned())
    {
        if usable(p, &e, app, target).await? {
            return Ok(e);
        }
        // Stale or near expiry: nobody may use it any more.
        if let Ok(mut m) = p.policies.map.write() {
            if m.get(&key).is_some_and(|cur| Arc::ptr_eq(cur, &e)) {
                m.remove(&key);
            }
        }
    }
    p.policies.read();
    let exists =
        sqlx::query("SELECT a.app_id FROM apps a, target_apps t WHERE a.app_id = $1 AND t.id = $2")
            .bind(app)
            .bind(target)
            .fetch_optional(&p.db)
            .await?;
    let e = Arc::new(build(p, app, target).await?);
    // A pair that does not exist answers as one never released does (a
    // stranger learns nothing from the answer), but is not kept: random
    // names cannot fill the cache.
    if exists.is_none() {
        return Ok(e);
    }
    if let Ok(mut m) = p.policies.map.write() {
        if p.policies.generation.load(Ordering::SeqCst) == generation {
            m.insert(key, e.clone());
        }
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
pub(crate) fn answer(p: &Platform, e: &Entry, user: &str) -> Result<bytes::Bytes, Error> {
    if let Some(b) = e.answers.lock().ok().and_then(|m| m.get(user).cloned()) {
        return Ok(b);
    }
    let (version, _, _) = decide(e, user);
    let a = ResolveAnswer {
        kind: "resolve".into(),
        app_id: e.policy.app_id.clone(),
        target_app: e.policy.target_app.clone(),
        user: user.to_owned(),
        version,
        seq: e.policy.seq,
        expires: e.policy.expires,
    };
    let payload = serde_json::to_string(&a).map_err(|e| Error::Internal(e.to_string()))?;
    let body = serde_json::to_vec(&sign(p, payload)).map_err(|e| Error::Internal(e.to_string()))?;
    let body = bytes::Bytes::from(body);
    // A policy with nothing to serve (never released, taken down) answers
    // every user alike: signed per call, never cached, so random user ids
    // cannot fill memory through apps that have no release.
    let serves =
        e.policy.stable.is_some() || e.policy.grayscale.is_some() || e.policy.pilot.is_some();
    if serves {
        cache_answer(p, e, user, &body);
    }
    Ok(body)
}

/// Keeps `body` for `user` under `e` within the cache's byte budget: past
/// it, this entry's answers are dropped first; if the others still hold
/// too much, the answer is not kept.
fn cache_answer(p: &Platform, e: &Entry, user: &str, body: &bytes::Bytes) {
    let cost = answer_cost(user, body);
    let held = &p.policies.held;
    let Ok(mut m) = e.answers.lock() else {
        return;
    };
    if held.load(Ordering::SeqCst) + cost > p.policies.budget {
        let freed: usize = m.iter().map(|(k, v)| answer_cost(k, v)).sum();
        m.clear();
        held.fetch_sub(freed, Ordering::SeqCst);
        if held.load(Ordering::SeqCst) + cost > p.policies.budget {
            return;
        }
    }
    if let Some(old) = m.insert(user.to_owned(), body.clone()) {
        held.fetch_sub(answer_cost(user, &old), Ordering::SeqCst);
    }
    held.fetch_add(cost, Ordering::SeqCst);
}

/// Bumps the policy sequence of (app, target) inside the mutation's
/// transaction, and tells the other instances on commit (PostgreSQL NOTIFY).
/// The caller drops its own cache entry after the commit.
///
/// One statement reads and writes the number, so two changes at once (two
/// requests, two instances) can never both read 5 and both write 6: the
/// second waits for the first's row lock (PostgreSQL) or write lock (SQLite)
/// and counts on from what it committed. The first change of a pair inserts
/// the row.
pub(crate) async fn bump(
    tx: &mut Transaction<'_, Any>,
    app: &str,
    target: &str,
) -> Result<i64, Error> {
    let next = sqlx::query(
        "INSERT INTO policy_seq (app_id, target_app, seq) VALUES ($1, $2, 1) \
         ON CONFLICT (app_id, target_app) DO UPDATE SET seq = policy_seq.seq + 1 \
         RETURNING seq",
    )
    .bind(app)
    .bind(target)
    .fetch_one(&mut **tx)
    .await?
    .int("seq")?;
    notify_change(tx, app, target).await?;
    Ok(next)
}
