//! Why a hook request was refused, and how that is said to the caller.

use std::sync::Arc;

use http::StatusCode;
use okta_events::OKTA_EVENT_HOOK_TYPE;
use serde_json::json;

use crate::HookResponse;

/// A refusal. Messages describe the request's shape, never a header value or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    /// Not a `POST` (`405`).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A path that is no hook endpoint (`404`): what a Lambda Function URL, which routes
    /// every path to the function, gets for anything but [`crate::HOOK_PATH`] and
    /// `HOOK_PATH/{org}` (API Gateway answers such paths itself).
    #[error("no hook endpoint at this path")]
    NotFound,
    /// The `{org}` of the path is no org name (`400`).
    #[error("the org in the path is not a valid org name")]
    InvalidOrg,
    /// No or a wrong `Authorization` header, or an org this deployment does not serve
    /// (`401`).
    #[error("unauthorized")]
    Unauthorized,
    /// The body is over `OKTA_HOOKS_MAX_BODY_BYTES` (`413`).
    #[error("body of {size} bytes is over the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The body's size.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A `Content-Type` that is not JSON (`415`).
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    /// The body is not JSON (`400`). The text gives the position only; the parser's
    /// error is the source.
    #[error("body is not valid JSON (line {line}, column {column})")]
    MalformedJson {
        /// Where the parser stopped.
        line: usize,
        /// Where the parser stopped.
        column: usize,
        /// The parser's error.
        #[source]
        source: JsonError,
    },
    /// JSON, but not an event hook delivery (`400`).
    #[error(transparent)]
    InvalidEnvelope(#[from] EnvelopeError),
    /// A verification request without its challenge (`400`).
    #[error("the X-Okta-Verification-Challenge header is missing or empty")]
    MissingChallenge,
    /// The org's secret could not be read (`503`: Okta retries).
    #[error("the secret store is unavailable; retry")]
    SecretsUnavailable,
    /// Some events could not be queued (`503`: Okta retries).
    #[error("not every event could be enqueued; retry")]
    QueueUnavailable,
}

/// Why a JSON body is not an event hook delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The JSON lacks a key of the envelope, or has one of the wrong type.
    #[error("not an event hook delivery: {0}")]
    Shape(#[source] JsonError),
    /// `eventType` is not [`OKTA_EVENT_HOOK_TYPE`].
    #[error("eventType must be {OKTA_EVENT_HOOK_TYPE}")]
    EventType,
    /// `eventId` is empty.
    #[error("eventId is empty")]
    EmptyEventId,
}

/// `serde_json`'s error, shared so that a [`HookError`] stays `Clone`, and compared by its
/// text so that it stays `PartialEq` (for tests).
#[derive(Debug, Clone)]
pub struct JsonError(pub Arc<serde_json::Error>);

impl From<serde_json::Error> for JsonError {
    fn from(error: serde_json::Error) -> Self {
        JsonError(Arc::new(error))
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

// Transparent: the parser's error is this error, not a cause of it.
impl std::error::Error for JsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for JsonError {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for JsonError {}

impl HookError {
    /// The HTTP status the caller gets.
    pub fn status(&self) -> StatusCode {
        match self {
            HookError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HookError::NotFound => StatusCode::NOT_FOUND,
            HookError::Unauthorized => StatusCode::UNAUTHORIZED,
            HookError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            HookError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HookError::InvalidOrg
            | HookError::MalformedJson { .. }
            | HookError::InvalidEnvelope(_)
            | HookError::MissingChallenge => StatusCode::BAD_REQUEST,
            HookError::SecretsUnavailable | HookError::QueueUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// A stable, machine-readable code for the `code` field.
    pub fn code(&self) -> &'static str {
        match self {
            HookError::MethodNotAllowed => "method_not_allowed",
            HookError::NotFound => "not_found",
            HookError::InvalidOrg => "invalid_org",
            HookError::Unauthorized => "unauthorized",
            HookError::PayloadTooLarge { .. } => "payload_too_large",
            HookError::UnsupportedMediaType => "unsupported_media_type",
            HookError::MalformedJson { .. } => "malformed_json",
            HookError::InvalidEnvelope(_) => "invalid_envelope",
            HookError::MissingChallenge => "missing_challenge",
            HookError::SecretsUnavailable => "secrets_unavailable",
            HookError::QueueUnavailable => "queue_unavailable",
        }
    }
}

impl From<HookError> for HookResponse {
    fn from(error: HookError) -> Self {
        HookResponse::json(
            error.status(),
            &json!({ "error": error.to_string(), "code": error.code() }),
        )
    }
}
