//! The host's user data: `my.*Storage` key-values and consent decisions, in
//! one SQLite file (WAL, `synchronous=FULL`). Every row is keyed by
//! (host user, appId), both from the host; JS never names either.
//!
//! Layout (also in ARCHITECTURE.md):
//! - `kv(user, app, key, value)`: value is the JSON text of the stored data;
//! - `consent(user, app, scope, state, at, until, receipt)`: the current decision;
//! - `consent_log(id, user, app, scope, state, at, until, receipt)`: every
//!   decision ever made, append-only (the user's receipts).

use mpkit_jsapi::{ApiError, ConsentStore};
use mpkit_sandbox::acl::ScopeDecision;
use mpkit_sandbox::storage::{check_key, StorageQuota};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use serde::Serialize;
use std::cell::RefCell;
use std::path::Path;

/// One stored consent decision, as the embedding app lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The scope.
    pub scope: String,
    /// The decision, with its time, receipt and expiry.
    pub decision: ScopeDecision,
}

/// What `getStorageInfo` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorageInfo {
    /// Keys, sorted.
    pub keys: Vec<String>,
    /// Bytes used (keys plus values).
    pub used: u64,
    /// The quota.
    pub limit: u64,
}

/// The SQLite-backed user data of one host.
#[derive(Debug)]
pub struct UserData {
    conn: RefCell<Connection>,
    quota: StorageQuota,
    /// Recently read or written small values, by (user, app, key). This host
    /// owns the database (exclusive locking), and every write goes through
    /// here, so the cache cannot go stale.
    cache: RefCell<ReadCache>,
}

/// A bounded cache of small values' JSON text.
#[derive(Debug, Default)]
struct ReadCache {
    map: std::collections::HashMap<(String, String, String), std::rc::Rc<str>>,
    bytes: usize,
}

impl ReadCache {
    const MAX_VALUE: usize = 4 * 1024;
    const MAX_BYTES: usize = 4 * 1024 * 1024;

    fn put(&mut self, user: &str, app: &str, key: &str, json: Option<&str>) {
        let k = (user.to_owned(), app.to_owned(), key.to_owned());
        if let Some(old) = self.map.remove(&k) {
            self.bytes -= old.len();
        }
        let Some(json) = json.filter(|j| j.len() <= Self::MAX_VALUE) else {
            return;
        };
        if self.bytes + json.len() > Self::MAX_BYTES {
            self.map.clear();
            self.bytes = 0;
        }
        self.bytes += json.len();
        self.map.insert(k, std::rc::Rc::from(json));
    }

    fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }
}

fn internal(e: rusqlite::Error) -> ApiError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => ApiError::NoSpace,
        _ => ApiError::Internal(format!("storage: {e}")),
    }
}

impl UserData {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path, quota: StorageQuota) -> Result<UserData, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL with synchronous=FULL: a committed write survives power loss, and
        // an interrupted one is rolled back, so the old value stays.
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(rusqlite::Error::InvalidParameterName(format!(
                "journal_mode is {mode}, not wal"
            )));
        }
        conn.execute_batch(
            "PRAGMA locking_mode=EXCLUSIVE;
             PRAGMA synchronous=FULL;
             PRAGMA foreign_keys=ON;
             CREATE TABLE IF NOT EXISTS kv(
               user TEXT NOT NULL, app TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
               PRIMARY KEY(user, app, key)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS consent(
               user TEXT NOT NULL, app TEXT NOT NULL, scope TEXT NOT NULL,
               state TEXT NOT NULL CHECK(state IN ('granted','denied')),
               at INTEGER NOT NULL, until INTEGER, receipt TEXT NOT NULL,
               PRIMARY KEY(user, app, scope)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS consent_log(
               id INTEGER PRIMARY KEY AUTOINCREMENT,
               user TEXT NOT NULL, app TEXT NOT NULL, scope TEXT NOT NULL,
               state TEXT NOT NULL, at INTEGER NOT NULL, until INTEGER, receipt TEXT NOT NULL);",
        )?;
        Ok(UserData {
            conn: RefCell::new(conn),
            quota,
            cache: RefCell::new(ReadCache::default()),
        })
    }

    /// The storage quota.
    pub fn quota(&self) -> StorageQuota {
        self.quota
    }

    /// Caps the database at `pages` pages, so tests can reach the disk-full
    /// condition without filling a disk.
    #[doc(hidden)]
    pub fn cap_pages_for_test(&self, pages: u32) -> Result<(), rusqlite::Error> {
        self.conn
            .borrow()
            .query_row(&format!("PRAGMA max_page_count={pages}"), [], |_| Ok(()))
    }

    /// Stores `json` (the JSON text of the value) under `key`, within the quota,
    /// in one transaction: either the new value is durable or the old one stays.
    pub fn set(&self, user: &str, app: &str, key: &str, json: &str) -> Result<(), ApiError> {
        check_key(key)?;
        let mut conn = self.conn.borrow_mut();
        let tx = conn.transaction().map_err(internal)?;
        let old: Option<u64> = tx
            .query_row(
                "SELECT length(CAST(value AS BLOB)) FROM kv WHERE user=?1 AND app=?2 AND key=?3",
                params![user, app, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(internal)?;
        let used: u64 = tx
            .query_row(
                "SELECT COALESCE(SUM(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))), 0)
                 FROM kv WHERE user=?1 AND app=?2",
                params![user, app],
                |r| r.get(0),
            )
            .map_err(internal)?;
        self.quota.check_write(key, old, json.len() as u64, used)?;
        tx.execute(
            "INSERT INTO kv(user, app, key, value) VALUES(?1, ?2, ?3, ?4)
             ON CONFLICT(user, app, key) DO UPDATE SET value=excluded.value",
            params![user, app, key, json],
        )
        .map_err(internal)?;
        // Forget the old value before committing: if the commit fails, the
        // next read goes to the database, which holds whatever survived.
        self.cache.borrow_mut().put(user, app, key, None);
        tx.commit().map_err(internal)?;
        self.cache.borrow_mut().put(user, app, key, Some(json));
        Ok(())
    }

    /// The JSON text stored under `key`.
    pub fn get(&self, user: &str, app: &str, key: &str) -> Result<Option<String>, ApiError> {
        check_key(key)?;
        let k = (user.to_owned(), app.to_owned(), key.to_owned());
        if let Some(v) = self.cache.borrow().map.get(&k) {
            return Ok(Some(v.to_string()));
        }
        let v = self.get_uncached(user, app, key)?;
        self.cache.borrow_mut().put(user, app, key, v.as_deref());
        Ok(v)
    }

    fn get_uncached(&self, user: &str, app: &str, key: &str) -> Result<Option<String>, ApiError> {
        let conn = self.conn.borrow();
        let mut stmt = conn
            .prepare_cached("SELECT value FROM kv WHERE user=?1 AND app=?2 AND key=?3")
            .map_err(internal)?;
        stmt.query_row(params![user, app, key], |r| r.get(0))
            .optional()
            .map_err(internal)
    }

    /// Removes `key`.
    pub fn remove(&self, user: &str, app: &str, key: &str) -> Result<(), ApiError> {
        check_key(key)?;
        self.cache.borrow_mut().put(user, app, key, None);
        self.conn
            .borrow()
            .execute(
                "DELETE FROM kv WHERE user=?1 AND app=?2 AND key=?3",
                params![user, app, key],
            )
            .map(drop)
            .map_err(internal)
    }

    /// Removes every key of (`user`, `app`).
    pub fn clear(&self, user: &str, app: &str) -> Result<(), ApiError> {
        self.cache.borrow_mut().clear();
        self.conn
            .borrow()
            .execute(
                "DELETE FROM kv WHERE user=?1 AND app=?2",
                params![user, app],
            )
            .map(drop)
            .map_err(internal)
    }

    /// Keys and usage of (`user`, `app`).
    pub fn info(&self, user: &str, app: &str) -> Result<StorageInfo, ApiError> {
        let conn = self.conn.borrow();
        let mut stmt = conn
            .prepare_cached(
                "SELECT key, length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))
                 FROM kv WHERE user=?1 AND app=?2 ORDER BY key",
            )
            .map_err(internal)?;
        let rows = stmt
            .query_map(params![user, app], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
            })
            .map_err(internal)?;
        let mut info = StorageInfo {
            keys: Vec::new(),
            used: 0,
            limit: self.quota.per_app,
        };
        for row in rows {
            let (k, n) = row.map_err(internal)?;
            info.keys.push(k);
            info.used += n;
        }
        Ok(info)
    }

    /// Every stored consent decision of (`user`, `app`).
    pub fn grants(&self, user: &str, app: &str) -> Result<Vec<Grant>, ApiError> {
        let conn = self.conn.borrow();
        let mut stmt = conn
            .prepare_cached(
                "SELECT scope, state, at, until, receipt FROM consent
                 WHERE user=?1 AND app=?2 ORDER BY scope",
            )
            .map_err(internal)?;
        let rows = stmt
            .query_map(params![user, app], |r| {
                let state: String = r.get(1)?;
                let at: u64 = r.get(2)?;
                let decision = if state == "granted" {
                    ScopeDecision::Granted {
                        at,
                        receipt: r.get(4)?,
                        until: r.get(3)?,
                    }
                } else {
                    ScopeDecision::Denied { at }
                };
                Ok(Grant {
                    scope: r.get(0)?,
                    decision,
                })
            })
            .map_err(internal)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(internal)
    }

    /// Stores a decision and appends it to the receipt log, in one transaction.
    pub fn put_decision(
        &self,
        user: &str,
        app: &str,
        scope: &str,
        decision: &ScopeDecision,
    ) -> Result<(), ApiError> {
        let (state, at, until, receipt) = match decision {
            ScopeDecision::Granted { at, receipt, until } => {
                ("granted", *at, *until, receipt.clone())
            }
            ScopeDecision::Denied { at } => ("denied", *at, None, format!("denied:{at}")),
        };
        let mut conn = self.conn.borrow_mut();
        let tx = conn.transaction().map_err(internal)?;
        tx.execute(
            "INSERT INTO consent(user, app, scope, state, at, until, receipt) VALUES(?1,?2,?3,?4,?5,?6,?7)
             ON CONFLICT(user, app, scope) DO UPDATE SET state=excluded.state, at=excluded.at,
               until=excluded.until, receipt=excluded.receipt",
            params![user, app, scope, state, at, until, receipt],
        )
        .map_err(internal)?;
        tx.execute(
            "INSERT INTO consent_log(user, app, scope, state, at, until, receipt) VALUES(?1,?2,?3,?4,?5,?6,?7)",
            params![user, app, scope, state, at, until, receipt],
        )
        .map_err(internal)?;
        tx.commit().map_err(internal)
    }

    /// Forgets decisions of (`user`, `app`): one scope, or all. The next use
    /// asks again. The receipt log keeps a `revoked` line.
    pub fn revoke(
        &self,
        user: &str,
        app: &str,
        scope: Option<&str>,
        now: u64,
    ) -> Result<usize, ApiError> {
        let mut conn = self.conn.borrow_mut();
        let tx = conn.transaction().map_err(internal)?;
        tx.execute(
            "INSERT INTO consent_log(user, app, scope, state, at, until, receipt)
             SELECT user, app, scope, 'revoked', ?4, NULL, receipt FROM consent
             WHERE user=?1 AND app=?2 AND (?3 IS NULL OR scope=?3)",
            params![user, app, scope, now],
        )
        .map_err(internal)?;
        let n = tx
            .execute(
                "DELETE FROM consent WHERE user=?1 AND app=?2 AND (?3 IS NULL OR scope=?3)",
                params![user, app, scope],
            )
            .map_err(internal)?;
        tx.commit().map_err(internal)?;
        Ok(n)
    }

    /// The receipt log of (`user`, `app`), oldest first: (scope, state, at, receipt).
    pub fn receipts(
        &self,
        user: &str,
        app: &str,
    ) -> Result<Vec<(String, String, u64, String)>, ApiError> {
        let conn = self.conn.borrow();
        let mut stmt = conn
            .prepare_cached(
                "SELECT scope, state, at, receipt FROM consent_log WHERE user=?1 AND app=?2 ORDER BY id",
            )
            .map_err(internal)?;
        let rows = stmt
            .query_map(params![user, app], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(internal)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(internal)
    }
}

impl ConsentStore for UserData {
    fn decision(&self, user: &str, app: &str, scope: &str) -> Option<ScopeDecision> {
        self.grants(user, app)
            .ok()?
            .into_iter()
            .find(|g| g.scope == scope)
            .map(|g| g.decision)
    }

    fn record(&self, user: &str, app: &str, scope: &str, decision: ScopeDecision) {
        if let Err(e) = self.put_decision(user, app, scope, &decision) {
            // The call itself still follows the user's answer; only persistence failed.
            tracing::error!(app, scope, error = %e, "could not store a consent decision");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_wal_with_full_sync_and_exclusive() {
        let tmp = tempfile::tempdir().expect("tmp");
        let db =
            UserData::open(&tmp.path().join("kv.sqlite"), StorageQuota::default()).expect("open");
        let conn = db.conn.borrow();
        let get = |p: &str| -> String {
            conn.query_row(&format!("PRAGMA {p}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| format!("{v:?}"))
            .expect("pragma")
        };
        assert_eq!(get("journal_mode"), "Text(\"wal\")");
        assert_eq!(get("synchronous"), "Integer(2)", "FULL");
        assert_eq!(get("locking_mode"), "Text(\"exclusive\")");
    }
}
