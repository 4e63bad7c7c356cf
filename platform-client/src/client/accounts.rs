//! The caller, accounts (admins), the audit log and the inbox.

use super::{json, Client, Payload, Result};
use crate::{paths, wire};

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

    /// The audit log, optionally of one object (`release:<id>`, `app:<id>`).
    pub async fn audit(&self, object: Option<&str>) -> Result<Vec<wire::AuditEntry>> {
        let query: &[(&str, &str)] = match object {
            Some(o) => &[("object", o)],
            None => &[],
        };
        self.call(paths::AUDIT, &[], query, Payload::None).await
    }

    /// The caller's notifications.
    pub async fn inbox(&self) -> Result<Vec<wire::InboxMessage>> {
        self.call(paths::INBOX, &[], &[], Payload::None).await
    }
}
