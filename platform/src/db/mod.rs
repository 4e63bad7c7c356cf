//! The database: SQLite (embedded default) or PostgreSQL, through sqlx's Any
//! driver and one set of portable migrations. Ids are random text, times are
//! unix seconds (BIGINT), flags are 0/1 — nothing dialect-specific.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::AnyPool;

mod row;

pub(crate) use row::{unsigned, Columns};

/// The migrations, in order. Each runs once, in a transaction, recorded in
/// `mpkit_migrations`. A migration that ran somewhere never changes: a test
/// pins each file's SHA-256.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/001.sql")),
    // Webhooks and their outbox. `next_at_ms` is unix milliseconds (retry
    // backoffs are sub-second in tests); every other time is unix seconds.
    (2, include_str!("migrations/002.sql")),
    // User identity: the super app's servers (operators) issue auth codes,
    // the mini program's server (with an app secret) exchanges them once.
    // Codes and secrets are stored only as their SHA-256.
    (3, include_str!("migrations/003.sql")),
    // The ISV a server credential was made through (issue 22, item 5).
    (4, include_str!("migrations/004.sql")),
    // Production grants, token expiry and revocation, revoked developer
    // keys (issue 22, items 3 and 4).
    (5, include_str!("migrations/005.sql")),
];

/// A database URL as the driver takes it. Every SQLite form a user may write
/// (`sqlite:///abs/path.db`, `sqlite://rel/path.db`, `sqlite:rel.db`, with
/// or without query parameters) opens the file read-write and creates it,
/// and its directory, when missing: `mode=rwc` unless the URL names a mode
/// itself. Other URLs are kept as they are.
pub(crate) fn prepare(url: &str) -> Result<String, crate::Error> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(url.to_owned());
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path.is_empty() || path == ":memory:" {
        return Ok(url.to_owned());
    }
    let mode = query.and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "mode")
            .map(|(_, v)| v)
    });
    let mut out = url.to_owned();
    match mode {
        None => {
            out.push(if query.is_some() { '&' } else { '?' });
            out.push_str("mode=rwc");
        }
        Some("rwc") => {}
        Some(_) => return Ok(out),
    }
    let file = std::path::PathBuf::from(percent_decode(path));
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| crate::Error::Internal(format!("{}: {e}", dir.display())))?;
    }
    Ok(out)
}

/// `%XX` escapes decoded (the SQLite driver decodes the path the same way).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Connects (see [`prepare`] for SQLite URLs) and applies pending migrations.
pub(crate) async fn connect(url: &str) -> Result<AnyPool, crate::Error> {
    sqlx::any::install_default_drivers();
    let url = &prepare(url)?;
    let sqlite = url.starts_with("sqlite:");
    let pool = AnyPoolOptions::new()
        // One writer for SQLite: it serialises writes anyway, and this avoids
        // SQLITE_BUSY under load.
        .max_connections(if sqlite { 1 } else { 8 })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    sqlx::query("PRAGMA foreign_keys=ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA journal_mode=WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous=FULL")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS mpkit_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .execute(&pool)
        .await?;
    for (version, sql) in MIGRATIONS {
        let done: Option<AnyRow> =
            sqlx::query("SELECT version FROM mpkit_migrations WHERE version = $1")
                .bind(*version)
                .fetch_optional(&pool)
                .await?;
        if done.is_some() {
            continue;
        }
        let mut tx = pool.begin().await?;
        for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(stmt).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO mpkit_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(crate::now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// Applied migrations never change (a database that ran the old text
    /// would differ from a new one); a change is a new migration.
    #[test]
    fn every_sqlite_form_creates_its_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let abs = dir.path().join("a/b.db");
        let abs = abs.to_str().expect("utf-8");
        for (url, want) in [
            (
                format!("sqlite://{abs}"),
                format!("sqlite://{abs}?mode=rwc"),
            ),
            (
                format!("sqlite://{abs}?cache=shared"),
                format!("sqlite://{abs}?cache=shared&mode=rwc"),
            ),
            (
                format!("sqlite://{abs}?mode=rwc"),
                format!("sqlite://{abs}?mode=rwc"),
            ),
            ("sqlite://rel.db".into(), "sqlite://rel.db?mode=rwc".into()),
            ("sqlite:rel.db".into(), "sqlite:rel.db?mode=rwc".into()),
            // A mode the user names is theirs; memory and other databases are left alone.
            (
                "sqlite://r.db?mode=ro".into(),
                "sqlite://r.db?mode=ro".into(),
            ),
            ("sqlite::memory:".into(), "sqlite::memory:".into()),
            ("postgres://u@h/db".into(), "postgres://u@h/db".into()),
        ] {
            assert_eq!(prepare(&url).expect("prepared"), want, "{url}");
        }
        assert!(dir.path().join("a").is_dir(), "the directory is made");
        assert_eq!(percent_decode("a%20b%2Fc%zz"), "a b/c%zz");
    }

    #[test]
    fn migrations_are_pinned() {
        let pinned = [
            "5aa7a4d761280dbdf3e4d90af47ce4f020fd9bb93c030b5aed80ae9fb2cafab1",
            "f7797b4c4eba22a2ff1aa84b3be214be1241240f18c50e0d9fa103daf9e28bce",
            "c6f4e49b01681a5d77ccede746d5b540b0f07802dca9e3b628a93ffebd8366a6",
            "d69f9694a64cd363a31f32756f4179387972978542a0c2d35f64aacddfe1c100",
            "77a225f3f3fbc14bf476d08b1f56f9b6fbd329fab9f60410268503ba6f8c689a",
        ];
        assert_eq!(MIGRATIONS.len(), pinned.len());
        for ((version, sql), want) in MIGRATIONS.iter().zip(pinned) {
            assert_eq!(
                hex::encode(Sha256::digest(sql.as_bytes())),
                want,
                "migration {version}"
            );
        }
    }
}
