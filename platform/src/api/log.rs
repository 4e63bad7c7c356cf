//! `/v1/audit` and `/v1/inbox`.

use super::extract::{ok, ApiResult, AppState};
use crate::authz::Caller;
use crate::db;
use crate::error::Error;
use axum::extract::{Query, State as AxState};
use mpkit_platform_client::wire::{ApiErrorBody, AuditEntry, InboxMessage};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQ {
    object: Option<String>,
}

#[utoipa::path(get, path = "/v1/audit", tag = "audit", summary = "The audit log (admin)", params(("object" = Option<String>, Query, description = "only entries about this object, e.g. release:ID")), responses((status = 200, description = "Success", body = [AuditEntry]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn audit_log(
    AxState(p): AppState,
    c: Caller,
    Query(q): Query<AuditQ>,
) -> ApiResult {
    if !c.admin {
        return Err(Error::Forbidden(
            "the full audit log is for platform admins".into(),
        ));
    }
    let rows = match &q.object {
        Some(o) => {
            sqlx::query("SELECT * FROM audit WHERE object = $1 ORDER BY id")
                .bind(o)
                .fetch_all(&p.db)
                .await?
        }
        None => {
            sqlx::query("SELECT * FROM audit ORDER BY id")
                .fetch_all(&p.db)
                .await?
        }
    };
    let parse = |t: Option<String>| t.and_then(|t| serde_json::from_str::<Value>(&t).ok());
    let entries: Vec<AuditEntry> = rows
        .iter()
        .map(|r| AuditEntry {
            at: db::i(r, "at"),
            actor: db::s(r, "actor"),
            action: db::s(r, "action"),
            object: db::s(r, "object"),
            before: parse(db::os(r, "before_state")),
            after: parse(db::os(r, "after_state")),
        })
        .collect();
    ok(entries)
}

#[utoipa::path(get, path = "/v1/inbox", tag = "inbox", summary = "The caller's notifications", responses((status = 200, description = "Success", body = [InboxMessage]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn inbox(AxState(p): AppState, c: Caller) -> ApiResult {
    let rows =
        sqlx::query("SELECT at, text, release_id FROM inbox WHERE account_id = $1 ORDER BY id")
            .bind(&c.account)
            .fetch_all(&p.db)
            .await?;
    let messages: Vec<InboxMessage> = rows
        .iter()
        .map(|r| InboxMessage {
            at: db::i(r, "at"),
            text: db::s(r, "text"),
            release: db::os(r, "release_id"),
        })
        .collect();
    ok(messages)
}
