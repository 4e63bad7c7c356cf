//! The one error type of the API, and its one mapping to `{code, message}` with a status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mpkit_platform_client::wire::ApiErrorBody;

/// Every way a platform call fails.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request is malformed (JSON, fields, values).
    #[error("{0}")]
    BadRequest(String),
    /// No valid token.
    #[error("a valid API token is required")]
    Unauthorized,
    /// The caller may not do this to this object.
    #[error("{0}")]
    Forbidden(String),
    /// No such object (or the caller may not know it exists).
    #[error("{0}")]
    NotFound(String),
    /// The object exists already, or the state does not allow the action.
    #[error("{0}")]
    Conflict(String),
    /// The upload is over the size limit.
    #[error("the upload is over the {0}-byte limit")]
    TooLarge(usize),
    /// The bundle failed verification.
    #[error("the bundle failed verification: {0}")]
    Invalid(String),
    /// An app secret that is unknown or revoked.
    #[error("a valid app secret is required")]
    InvalidClient,
    /// An auth code that is unknown, expired, already exchanged or for
    /// another mini program (one answer for all, so it tells nothing).
    #[error("the auth code is unknown, expired, already exchanged, or for another mini program")]
    InvalidGrant,
    /// Too many calls: failed authentications from this address, or
    /// expensive calls from it or with this credential; retry after the
    /// seconds given (also in `Retry-After`).
    #[error("too many requests: retry in {0} s")]
    TooManyRequests(u64),
    /// The request body did not arrive in time.
    #[error("the request body did not arrive within {0} s")]
    BodyTimeout(u64),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Something else inside the platform failed.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// The status and the stable code.
    pub fn status(&self) -> (StatusCode, &'static str) {
        match self {
            Error::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Error::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Error::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_bundle"),
            Error::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
            Error::InvalidGrant => (StatusCode::BAD_REQUEST, "invalid_grant"),
            Error::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Error::BodyTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            Error::Db(_) | Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = ApiErrorBody {
            code: code.to_owned(),
            message: self.to_string(),
        };
        (status, axum::Json(body)).into_response()
    }
}

impl From<mpkit_bundle::Error> for Error {
    fn from(e: mpkit_bundle::Error) -> Error {
        Error::Invalid(e.to_string())
    }
}
