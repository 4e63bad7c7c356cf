//! `/v1/audit` and `/v1/inbox`.

use super::extract::{ok, ApiResult, AppState};
use crate::audit;
use crate::authz::Caller;
use crate::error::Error;
use crate::page::PageQ;
use axum::extract::{Query, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{AuditEntry, InboxMessage};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQ {
    object: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
}

#[utoipa::path(get, path = paths::AUDIT.template, tag = "audit", summary = "The audit log (admin)", params(("object" = Option<String>, Query, description = "only entries about this object, e.g. release:ID"), ("after" = Option<String>, Query, description = "the id of the last entry of the previous page"), ("limit" = Option<u32>, Query, description = "entries in this page, 1 to 1000 (500)")), responses((status = 200, description = "One page, oldest first; a full page means there may be more", body = [AuditEntry])), security(("bearer" = [])))]
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
    let page = PageQ {
        after: q.after,
        limit: q.limit,
    }
    .page()?;
    ok(audit::log(&p.db, q.object.as_deref(), &page).await?)
}

#[utoipa::path(get, path = paths::INBOX.template, tag = "inbox", summary = "The caller's notifications", params(("after" = Option<String>, Query, description = "the id of the last message of the previous page"), ("limit" = Option<u32>, Query, description = "messages in this page, 1 to 1000 (500)")), responses((status = 200, description = "One page, oldest first; a full page means there may be more", body = [InboxMessage])), security(("bearer" = [])))]
pub(super) async fn inbox(AxState(p): AppState, c: Caller, Query(q): Query<PageQ>) -> ApiResult {
    ok(audit::inbox(&p.db, &c.account, &q.page()?).await?)
}
