//! What every handler is built from: the state and result aliases, the body
//! and caller extractors, and the 200/201 answers.

use crate::authz::{self, Caller};
use crate::error::Error;
use crate::{identity, Platform};
use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::extract::State as AxState;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The platform, as every handler receives it.
pub(crate) type AppState = AxState<Arc<Platform>>;
/// What every handler returns: an answer, or a `{code, message}` error.
pub(crate) type ApiResult = Result<Response, Error>;

/// 200 with a JSON body (a wire type).
pub(crate) fn ok<T: Serialize>(v: T) -> ApiResult {
    Ok(Json(v).into_response())
}

/// 201 with a JSON body (a wire type).
pub(crate) fn created<T: Serialize>(v: T) -> ApiResult {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Parses a JSON body strictly: malformed JSON and unknown fields are 400.
pub(crate) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Error> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::BadRequest(format!("malformed request body: {e}")))
}

/// A request body; an over-limit or unreadable body becomes a `{code, message}` error.
pub(crate) struct Body(pub(crate) Bytes);

impl axum::extract::FromRequest<Arc<Platform>> for Body {
    type Rejection = Error;

    async fn from_request(req: axum::extract::Request, p: &Arc<Platform>) -> Result<Body, Error> {
        // A declared length over the limit is refused before any byte is read.
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > p.config.max_upload as u64) {
            return Err(Error::TooLarge(p.config.max_upload));
        }
        // A body that trickles in is cut off (slow-body attacks).
        let within = p.config.body_timeout;
        match tokio::time::timeout(within, Bytes::from_request(req, p)).await {
            Err(_) => Err(Error::BodyTimeout(within.as_secs().max(1))),
            Ok(read) => read.map(Body).map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::TooLarge(p.config.max_upload)
                } else {
                    Error::BadRequest(r.body_text())
                }
            }),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Empty {}

/// Actions take no fields: `{}` or nothing. Anything else (a `state`, say) is refused.
pub(crate) fn no_body(bytes: &Bytes) -> Result<(), Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    body::<Empty>(bytes).map(|_| ())
}

/// A display name as people give one (an account, a workspace, a mini
/// program, a target app, an app secret): trimmed, 1 to 64 characters, none
/// of them control characters (NUL, escapes, C1) or bidirectional overrides,
/// which would make it print as something else.
pub(crate) fn display_name(raw: &str) -> Result<&str, Error> {
    let name = raw.trim();
    let n = name.chars().count();
    let printable = name.chars().all(|ch| {
        !ch.is_control() && !matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    });
    if n == 0 || n > 64 || !printable {
        return Err(Error::BadRequest(
            "name must be 1 to 64 printable characters".into(),
        ));
    }
    Ok(name)
}

/// The bearer token of a request, if it has one. The scheme is matched
/// without regard to case, as HTTP says (`Bearer`, `bearer`, `BEARER`).
fn bearer(parts: &Parts) -> Option<&str> {
    bearer_of(&parts.headers)
}

fn bearer_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The mini program whose server is calling, from its app secret.
pub(crate) struct AppClient {
    pub(crate) app_id: String,
}

impl FromRequestParts<Arc<Platform>> for AppClient {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, p: &Arc<Platform>) -> Result<AppClient, Error> {
        let secret = bearer(parts).ok_or(Error::InvalidClient)?;
        let app_id = identity::app_of_secret(&p.db, secret)
            .await?
            .ok_or(Error::InvalidClient)?;
        Ok(AppClient { app_id })
    }
}

/// The caller of an endpoint that answers without login too: `None`
/// without a bearer token; a token that names no account is refused.
pub(crate) async fn optional_caller(
    p: &Platform,
    headers: &axum::http::HeaderMap,
) -> Result<Option<Caller>, Error> {
    match bearer_of(headers) {
        None => Ok(None),
        Some(token) => authz::caller(&p.db, token)
            .await?
            .ok_or(Error::Unauthorized)
            .map(Some),
    }
}

impl FromRequestParts<Arc<Platform>> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, p: &Arc<Platform>) -> Result<Caller, Error> {
        let token = bearer(parts).ok_or(Error::Unauthorized)?;
        authz::caller(&p.db, token)
            .await?
            .ok_or(Error::Unauthorized)
    }
}
