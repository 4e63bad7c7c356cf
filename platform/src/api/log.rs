//! `/v1/audit` and `/v1/inbox`.

use super::extract::{ok, ApiResult, AppState};
use crate::authz::Caller;
use crate::db::Columns;
use crate::error::Error;
use axum::extract::{Query, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{ApiErrorBody, AuditEntry, InboxMessage};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQ {
    object: Option<String>,
}

#[utoipa::path(get, path = paths::AUDIT.template, tag = "audit", summary = "The audit log (admin)", params(("object" = Option<String>, Query, description = "only entries about this object, e.g. release:ID")), responses((status = 200, description = "Success", body = [AuditEntry]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
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
        .map(|r| {
            Ok(AuditEntry {
                at: r.int("at")?,
                actor: r.text("actor")?,
                action: r.text("action")?,
                object: r.text("object")?,
                before: parse(r.opt_text("before_state")?),
                after: parse(r.opt_text("after_state")?),
            })
        })
        .collect::<Result<_, Error>>()?;
    ok(entries)
}

#[utoipa::path(get, path = paths::INBOX.template, tag = "inbox", summary = "The caller's notifications", responses((status = 200, description = "Success", body = [InboxMessage]), (status = "4XX", description = "{code, message}", body = ApiErrorBody)), security(("bearer" = [])))]
pub(super) async fn inbox(AxState(p): AppState, c: Caller) -> ApiResult {
    let rows =
        sqlx::query("SELECT at, text, release_id FROM inbox WHERE account_id = $1 ORDER BY id")
            .bind(&c.account)
            .fetch_all(&p.db)
            .await?;
    let messages: Vec<InboxMessage> = rows
        .iter()
        .map(|r| {
            Ok(InboxMessage {
                at: r.int("at")?,
                text: r.text("text")?,
                release: r.opt_text("release_id")?,
            })
        })
        .collect::<Result<_, Error>>()?;
    ok(messages)
}
