//! `/v1/audit` and `/v1/inbox`.

use super::extract::{ok, ApiResult, AppState};
use crate::audit;
use crate::authz::Caller;
use crate::error::Error;
use axum::extract::{Query, State as AxState};
use mpkit_platform_client::paths;
use mpkit_platform_client::wire::{AuditEntry, InboxMessage};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQ {
    object: Option<String>,
}

#[utoipa::path(get, path = paths::AUDIT.template, tag = "audit", summary = "The audit log (admin)", params(("object" = Option<String>, Query, description = "only entries about this object, e.g. release:ID")), responses((status = 200, description = "Success", body = [AuditEntry])), security(("bearer" = [])))]
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
    ok(audit::log(&p.db, q.object.as_deref()).await?)
}

#[utoipa::path(get, path = paths::INBOX.template, tag = "inbox", summary = "The caller's notifications", responses((status = 200, description = "Success", body = [InboxMessage])), security(("bearer" = [])))]
pub(super) async fn inbox(AxState(p): AppState, c: Caller) -> ApiResult {
    ok(audit::inbox(&p.db, &c.account).await?)
}
