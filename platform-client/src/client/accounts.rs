//! The caller, accounts (admins), the audit log and the inbox.

use super::{json, Client, Payload, Result};
use crate::{paths, wire};

/// Entries per page when a list is read in full.
pub(crate) const PAGE: u32 = 500;

impl Client {
    /// [`ME`](paths::ME): who the token belongs to.
    pub async fn me(&self) -> Result<wire::Me> {
        self.call(paths::ME, &[], &[], Payload::None).await
    }

    /// [`CREATE_ACCOUNT`](paths::CREATE_ACCOUNT) (admins): a new account and its token.
    pub async fn create_account(&self, name: &str) -> Result<wire::AccountCreated> {
        self.call(
            paths::CREATE_ACCOUNT,
            &[],
            &[],
            json(&wire::NewAccount {
                name: name.to_owned(),
            })?,
        )
        .await
    }

    /// The audit log, optionally of one object (`release:<id>`, `app:<id>`),
    /// page by page (500 entries a call).
    pub async fn audit(&self, object: Option<&str>) -> Result<Vec<wire::AuditEntry>> {
        let mut all: Vec<wire::AuditEntry> = Vec::new();
        loop {
            let after = all.last().map(|e| e.id.clone());
            let page = self.audit_page(object, after.as_deref(), PAGE).await?;
            let more = page.len() == PAGE as usize;
            all.extend(page);
            if !more {
                return Ok(all);
            }
        }
    }

    /// One page of the audit log: up to `limit` (1 to 1,000) entries after
    /// the entry `after`.
    pub async fn audit_page(
        &self,
        object: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<wire::AuditEntry>> {
        let limit = limit.to_string();
        let mut query = vec![("limit", limit.as_str())];
        query.extend(object.map(|o| ("object", o)));
        query.extend(after.map(|a| ("after", a)));
        self.call(paths::AUDIT, &[], &query, Payload::None).await
    }

    /// The caller's notifications, page by page.
    pub async fn inbox(&self) -> Result<Vec<wire::InboxMessage>> {
        let mut all: Vec<wire::InboxMessage> = Vec::new();
        loop {
            let limit = PAGE.to_string();
            let mut query = vec![("limit", limit.as_str())];
            let after = all.last().map(|m| m.id.clone());
            query.extend(after.as_deref().map(|a| ("after", a)));
            let page: Vec<wire::InboxMessage> =
                self.call(paths::INBOX, &[], &query, Payload::None).await?;
            let more = page.len() == PAGE as usize;
            all.extend(page);
            if !more {
                return Ok(all);
            }
        }
    }
}
