//! Why a hook request was refused, and how that is said to the caller.

use http::StatusCode;
use serde_json::json;

use crate::HookResponse;

/// A refusal. Messages describe the request's shape, never a header value or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the org in the path is not a valid org name")]
    InvalidOrg,
    #[error("unauthorized")]
    Unauthorized,
    #[error("body of {size} bytes is over the limit of {limit} bytes")]
    PayloadTooLarge { size: usize, limit: usize },
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    MalformedJson(String),
    #[error("{0}")]
    InvalidEnvelope(String),
    #[error("the X-Okta-Verification-Challenge header is missing or empty")]
    MissingChallenge,
    #[error("the secret store is unavailable; retry")]
    SecretsUnavailable,
    #[error("not every event could be enqueued; retry")]
    QueueUnavailable,
}

impl HookError {
    pub fn status(&self) -> StatusCode {
        match self {
            HookError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HookError::Unauthorized => StatusCode::UNAUTHORIZED,
            HookError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            HookError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HookError::InvalidOrg
            | HookError::MalformedJson(_)
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
            HookError::InvalidOrg => "invalid_org",
            HookError::Unauthorized => "unauthorized",
            HookError::PayloadTooLarge { .. } => "payload_too_large",
            HookError::UnsupportedMediaType => "unsupported_media_type",
            HookError::MalformedJson(_) => "malformed_json",
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
