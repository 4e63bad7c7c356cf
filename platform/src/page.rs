//! Lists are read a page at a time (issue 22, item 10): `?limit=N` (1 to
//! 1,000; 500 when not given) items after `?after=CURSOR`, the cursor being
//! the list's key of the last item of the previous page. An empty page is
//! the end. The server never loads a whole list at once.

use crate::error::Error;
use serde::Deserialize;

/// A page as the database reads it.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    after: Option<String>,
    /// Items in the page.
    pub(crate) limit: i64,
}

impl Page {
    /// The cursor, or `first` (a value below every key) for the first page.
    pub(crate) fn after_or<'a>(&'a self, first: &'a str) -> &'a str {
        self.after.as_deref().unwrap_or(first)
    }

    /// A numeric cursor (versions page by build), or `first`.
    pub(crate) fn after_int(&self, first: i64) -> Result<i64, Error> {
        match &self.after {
            None => Ok(first),
            Some(a) => a
                .parse()
                .map_err(|_| Error::BadRequest(format!("after {a:?} is not a build number"))),
        }
    }
}

/// The page parameters of a list endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQ {
    pub(crate) after: Option<String>,
    pub(crate) limit: Option<u32>,
}

impl PageQ {
    /// The page, or a 400 for a limit out of bounds.
    pub(crate) fn page(self) -> Result<Page, Error> {
        let limit = match self.limit.unwrap_or(500) {
            n @ 1..=1000 => i64::from(n),
            _ => return Err(Error::BadRequest("limit must be 1 to 1000".into())),
        };
        if self.after.as_ref().is_some_and(|a| a.len() > 256) {
            return Err(Error::BadRequest(
                "after is longer than 256 characters".into(),
            ));
        }
        Ok(Page {
            after: self.after,
            limit,
        })
    }
}
