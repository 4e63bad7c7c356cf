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
];

/// Connects and applies pending migrations.
pub(crate) async fn connect(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
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
    fn migrations_are_pinned() {
        let pinned = [
            "5aa7a4d761280dbdf3e4d90af47ce4f020fd9bb93c030b5aed80ae9fb2cafab1",
            "f7797b4c4eba22a2ff1aa84b3be214be1241240f18c50e0d9fa103daf9e28bce",
            "c6f4e49b01681a5d77ccede746d5b540b0f07802dca9e3b628a93ffebd8366a6",
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
