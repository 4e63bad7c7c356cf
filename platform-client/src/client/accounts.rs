//! The caller, accounts (admins), the audit log and the inbox.

use super::{seg, Client, Result};
use crate::wire;

impl Client {
    /// `GET /v1/me`: who the token belongs to.
    pub async fn me(&self) -> Result<wire::Me> {
        self.get("/v1/me").await
    }

    /// `POST /v1/accounts` (admins): a new account and its token.
    pub async fn create_account(&self, name: &str) -> Result<wire::AccountCreated> {
        self.post(
            "/v1/accounts",
            &wire::NewAccount {
                name: name.to_owned(),
            },
        )
        .await
    }

    /// The audit log, optionally of one object (`release:<id>`, `app:<id>`).
    pub async fn audit(&self, object: Option<&str>) -> Result<Vec<wire::AuditEntry>> {
        match object {
            Some(o) => self.get(&format!("/v1/audit?object={}", seg(o))).await,
            None => self.get("/v1/audit").await,
        }
    }

    /// The caller's notifications.
    pub async fn inbox(&self) -> Result<Vec<wire::InboxMessage>> {
        self.get("/v1/inbox").await
    }
}
