//! Typed access to a row's columns. A column that is missing, NULL where a
//! value is required, or of another type is an error (a 500 with the cause in
//! the log), never a silent default: an empty id or a zero length would
//! otherwise travel on as if it had been read.

use crate::error::Error;
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::Row as _;
use std::str::FromStr;

/// The columns of a row, read as the schema declares them.
pub(crate) trait Columns {
    /// A `TEXT NOT NULL` column.
    fn text(&self, col: &str) -> Result<String, Error>;
    /// A nullable `TEXT` column.
    fn opt_text(&self, col: &str) -> Result<Option<String>, Error>;
    /// A `BIGINT NOT NULL` column.
    fn int(&self, col: &str) -> Result<i64, Error>;
    /// A nullable `BIGINT` column.
    fn opt_int(&self, col: &str) -> Result<Option<i64>, Error>;
    /// A `BIGINT NOT NULL` column that is never negative (a length, a count).
    fn uint(&self, col: &str) -> Result<u64, Error> {
        let n = self.int(col)?;
        u64::try_from(n).map_err(|_| Error::Internal(format!("column {col}: {n} is negative")))
    }
    /// A `TEXT NOT NULL` column holding a name (a state, a role) parsed with `FromStr`.
    fn parsed<T: FromStr>(&self, col: &str) -> Result<T, Error> {
        let s = self.text(col)?;
        s.parse()
            .map_err(|_| Error::Internal(format!("column {col}: {s:?} is not a known value")))
    }
    /// A `TEXT NOT NULL` column holding JSON the platform wrote.
    fn json<T: DeserializeOwned>(&self, col: &str) -> Result<T, Error> {
        let s = self.text(col)?;
        serde_json::from_str(&s).map_err(|e| Error::Internal(format!("column {col}: {e}")))
    }
    /// A nullable `TEXT` column holding JSON the platform wrote.
    fn opt_json<T: DeserializeOwned>(&self, col: &str) -> Result<Option<T>, Error> {
        match self.opt_text(col)? {
            None => Ok(None),
            Some(s) => serde_json::from_str(&s)
                .map(Some)
                .map_err(|e| Error::Internal(format!("column {col}: {e}"))),
        }
    }
}

impl Columns for AnyRow {
    fn text(&self, col: &str) -> Result<String, Error> {
        Ok(self.try_get::<String, _>(col)?)
    }

    fn opt_text(&self, col: &str) -> Result<Option<String>, Error> {
        Ok(self.try_get::<Option<String>, _>(col)?)
    }

    fn int(&self, col: &str) -> Result<i64, Error> {
        Ok(self.try_get::<i64, _>(col)?)
    }

    fn opt_int(&self, col: &str) -> Result<Option<i64>, Error> {
        Ok(self.try_get::<Option<i64>, _>(col)?)
    }
}

/// A count or length the database keeps as BIGINT (never negative) as the
/// wire's unsigned number.
pub(crate) fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn row(sql: &str) -> AnyRow {
        sqlx::any::install_default_drivers();
        let db = sqlx::AnyPool::connect("sqlite::memory:").await.expect("db");
        sqlx::query(sql).fetch_one(&db).await.expect("row")
    }

    #[tokio::test]
    async fn columns_read_as_declared() {
        let r = row("SELECT 'a' AS t, NULL AS n, 7 AS i, -1 AS neg, '[1,2]' AS j").await;
        assert_eq!(r.text("t").expect("text"), "a");
        assert_eq!(r.opt_text("t").expect("some"), Some("a".into()));
        assert_eq!(r.opt_text("n").expect("none"), None);
        assert_eq!(r.int("i").expect("int"), 7);
        assert_eq!(r.opt_int("n").expect("none"), None);
        assert_eq!(r.uint("i").expect("uint"), 7);
        assert_eq!(
            r.parsed::<i32>("i").ok(),
            None,
            "an integer column is not text"
        );
        assert_eq!(r.json::<Vec<u8>>("j").expect("json"), [1, 2]);
        assert_eq!(r.opt_json::<Vec<u8>>("n").expect("none"), None);
    }

    #[tokio::test]
    async fn what_the_schema_does_not_promise_is_an_error_not_a_default() {
        let r = row("SELECT 'a' AS t, NULL AS n, 7 AS i, -1 AS neg").await;
        // The helpers these replace answered "", 0 or None to each of these.
        assert!(matches!(r.text("missing"), Err(Error::Db(_))));
        assert!(matches!(r.text("n"), Err(Error::Db(_))), "NULL is not text");
        assert!(
            matches!(r.int("n"), Err(Error::Db(_))),
            "NULL is not a number"
        );
        assert!(
            matches!(r.int("t"), Err(Error::Db(_))),
            "text is not a number"
        );
        assert!(matches!(r.opt_int("t"), Err(Error::Db(_))));
        assert!(
            matches!(r.uint("neg"), Err(Error::Internal(m)) if m.contains("negative")),
            "a negative length"
        );
        assert!(
            matches!(r.parsed::<std::net::Ipv4Addr>("t"), Err(Error::Internal(m)) if m.contains("\"a\"")),
            "an unknown name"
        );
        assert!(
            matches!(r.json::<Vec<u8>>("t"), Err(Error::Internal(m)) if m.starts_with("column t:")),
            "text that is not JSON"
        );
    }
}
