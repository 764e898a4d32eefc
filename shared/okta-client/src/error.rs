//! Typed errors and the classification executors act on.
//!
//! Okta's error body (`errorCode`, `errorSummary`, `errorCauses`, `errorId`) is kept as
//! sent, with the HTTP status, the `X-Okta-Request-Id` (to correlate with the System Log)
//! and the rate-limit state. Only `errorCode` is stable enough for flow control, so the
//! classification looks at it first and at the status second.
//!
//! No variant carries a credential: messages are built from Okta's answer, the request's
//! method and path, and our own text — never from headers we sent.

use std::time::Duration;

use serde::Deserialize;

use crate::rate_limit::RateLimit;

/// `E0000038`: "This operation is not allowed in the user's current status".
pub const E_NOT_ALLOWED_IN_CURRENT_STATUS: &str = "E0000038";
/// `E0000016`: "Activation failed because the user is already active".
pub const E_ALREADY_ACTIVE: &str = "E0000016";
/// `E0000047`: API call exceeded rate limit.
pub const E_RATE_LIMIT: &str = "E0000047";
/// `E0000011`: invalid token provided.
pub const E_INVALID_TOKEN: &str = "E0000011";

/// What a caller should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Try again later with backoff: `5xx`, timeouts, connection failures.
    Retryable,
    /// `429`: try again after `retry_after` (Reset − Date + 1 s) when Okta said when.
    Throttled {
        /// How long to wait, from Okta's rate-limit headers.
        retry_after: Option<Duration>,
    },
    /// Do not retry: `4xx` other than the cases above, bad configuration, bad responses.
    Permanent,
    /// The target is already in the requested state (`E0000038`, `E0000016`): count the
    /// action as done.
    AlreadyInState,
}

/// One entry of Okta's `errorCauses`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCause {
    /// Human-readable cause, e.g. "login: An object with this field already exists".
    #[serde(default)]
    pub error_summary: String,
}

/// An Okta Management API error response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `errorCode` (e.g. `E0000007`); the only field stable enough for flow control.
    pub error_code: Option<String>,
    /// `errorSummary`.
    pub error_summary: Option<String>,
    /// `errorLink`.
    pub error_link: Option<String>,
    /// `errorId`.
    pub error_id: Option<String>,
    /// `errorCauses[].errorSummary`.
    pub error_causes: Vec<ErrorCause>,
    /// `X-Okta-Request-Id` of the failed response.
    pub request_id: Option<String>,
    /// Rate-limit headers of the failed response.
    pub rate_limit: RateLimit,
    /// `WWW-Authenticate` of a `401`/`403`/`400` (DPoP and token errors are reported there).
    pub www_authenticate: Option<String>,
    /// The HTTP method and path (no query, no host) that failed.
    pub request: String,
}

/// The error body as Okta sends it; everything optional, unknown fields ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorBody {
    pub error_code: Option<String>,
    pub error_summary: Option<String>,
    pub error_link: Option<String>,
    pub error_id: Option<String>,
    #[serde(default)]
    pub error_causes: Vec<ErrorCause>,
}

impl ApiError {
    /// Classifies by `errorCode` first, then by status.
    pub fn class(&self) -> ErrorClass {
        match self.error_code.as_deref() {
            Some(E_NOT_ALLOWED_IN_CURRENT_STATUS) | Some(E_ALREADY_ACTIVE) => {
                return ErrorClass::AlreadyInState;
            }
            Some(E_RATE_LIMIT) => {
                return ErrorClass::Throttled {
                    retry_after: self.rate_limit.retry_after(),
                };
            }
            _ => {}
        }
        match self.status {
            429 => ErrorClass::Throttled {
                retry_after: self.rate_limit.retry_after(),
            },
            500..=599 => ErrorClass::Retryable,
            _ => ErrorClass::Permanent,
        }
    }
}

impl ErrorClass {
    /// The class as the retry decision ([`retry::Policy::decide`]) sees it.
    /// [`ErrorClass::AlreadyInState`] reads as permanent: an action that knows what the
    /// user's status means turns it into a success before asking; anyone else gets the
    /// cautious answer.
    pub fn failure(self) -> retry::Failure {
        match self {
            ErrorClass::Retryable => retry::Failure::Retryable,
            ErrorClass::Throttled { retry_after } => {
                retry::Failure::Throttled { wait: retry_after }
            }
            ErrorClass::Permanent | ErrorClass::AlreadyInState => retry::Failure::Permanent,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} answered HTTP {}", self.request, self.status)?;
        if let Some(code) = &self.error_code {
            write!(f, " {code}")?;
        }
        if let Some(summary) = &self.error_summary {
            write!(f, ": {summary}")?;
        }
        for cause in &self.error_causes {
            write!(f, "; {}", cause.error_summary)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (X-Okta-Request-Id {id})")?;
        }
        Ok(())
    }
}

/// An OAuth 2.0 error from `/oauth2/v1/token` (`{"error": …, "error_description": …}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenError {
    /// HTTP status.
    pub status: u16,
    /// `error`, e.g. `invalid_client`, `invalid_dpop_proof`, `use_dpop_nonce`.
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
    /// `X-Okta-Request-Id`.
    pub request_id: Option<String>,
    /// Rate-limit headers of the failed response.
    pub rate_limit: RateLimit,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "token request answered HTTP {}", self.status)?;
        if let Some(e) = &self.error {
            write!(f, " {e}")?;
        }
        if let Some(d) = &self.error_description {
            write!(f, ": {d}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (X-Okta-Request-Id {id})")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong talking to Okta.
#[derive(Debug, thiserror::Error)]
pub enum OktaError {
    /// Okta answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The OAuth token endpoint refused to mint a token.
    #[error("{0}")]
    Token(Box<TokenError>),
    /// No answer within the configured timeout.
    #[error("{request} timed out")]
    Timeout {
        /// Method and path.
        request: String,
    },
    /// The connection failed (DNS, TCP, TLS, reset).
    #[error("{request} failed to connect: {message}")]
    Connection {
        /// Method and path.
        request: String,
        /// What the HTTP stack said, without the URL.
        message: String,
    },
    /// A successful response whose body did not parse as expected.
    #[error("{request}: unexpected response body: {message}")]
    Decode {
        /// Method and path.
        request: String,
        /// The parser's message.
        message: String,
    },
    /// The configuration or a key is not usable; fix it, do not retry.
    #[error("invalid Okta client configuration: {0}")]
    Config(String),
    /// A request could not be built from the given arguments (bad URL, foreign host…).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Signing a client assertion or DPoP proof failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

impl OktaError {
    /// What the caller should do about it.
    pub fn class(&self) -> ErrorClass {
        match self {
            OktaError::Api(e) => e.class(),
            OktaError::Token(e) => match e.status {
                429 => ErrorClass::Throttled {
                    retry_after: e.rate_limit.retry_after(),
                },
                500..=599 => ErrorClass::Retryable,
                _ => ErrorClass::Permanent,
            },
            OktaError::Timeout { .. } | OktaError::Connection { .. } => ErrorClass::Retryable,
            OktaError::Decode { .. }
            | OktaError::Config(_)
            | OktaError::InvalidRequest(_)
            | OktaError::Signing(_) => ErrorClass::Permanent,
        }
    }

    /// What retrying can do about it ([`ErrorClass::failure`]).
    pub fn failure(&self) -> retry::Failure {
        self.class().failure()
    }

    /// The Okta API error, when Okta answered one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            OktaError::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Okta's `errorCode`, when there is one.
    pub fn error_code(&self) -> Option<&str> {
        self.api().and_then(|e| e.error_code.as_deref())
    }

    /// The `X-Okta-Request-Id` of the failed response, when there was a response.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            OktaError::Api(e) => e.request_id.as_deref(),
            OktaError::Token(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// HTTP status, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            OktaError::Api(e) => Some(e.status),
            OktaError::Token(e) => Some(e.status),
            _ => None,
        }
    }

    /// Retry-after for a throttled error.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.class() {
            ErrorClass::Throttled { retry_after } => retry_after,
            _ => None,
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = OktaError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: Option<&str>) -> ApiError {
        ApiError {
            status,
            error_code: code.map(str::to_owned),
            request: "POST /api/v1/users/x/lifecycle/suspend".into(),
            ..ApiError::default()
        }
    }

    #[test]
    fn classification() {
        assert_eq!(
            api(403, Some("E0000038")).class(),
            ErrorClass::AlreadyInState
        );
        assert_eq!(
            api(403, Some("E0000016")).class(),
            ErrorClass::AlreadyInState
        );
        assert_eq!(api(404, Some("E0000007")).class(), ErrorClass::Permanent);
        assert_eq!(api(400, None).class(), ErrorClass::Permanent);
        assert_eq!(api(500, Some("E0000009")).class(), ErrorClass::Retryable);
        assert_eq!(api(503, None).class(), ErrorClass::Retryable);
        assert_eq!(
            api(429, Some("E0000047")).class(),
            ErrorClass::Throttled { retry_after: None }
        );
        let timeout = OktaError::Timeout {
            request: "GET /api/v1/users".into(),
        };
        assert_eq!(timeout.class(), ErrorClass::Retryable);
    }

    #[test]
    fn display_names_code_summary_causes_and_request_id() {
        let mut e = api(400, Some("E0000001"));
        e.error_summary = Some("Api validation failed: login".into());
        e.error_causes = vec![ErrorCause {
            error_summary: "login: An object with this field already exists".into(),
        }];
        e.request_id = Some("reqid123".into());
        let text = OktaError::Api(Box::new(e)).to_string();
        assert!(
            text.contains("HTTP 400 E0000001: Api validation failed: login"),
            "{text}"
        );
        assert!(text.contains("already exists"), "{text}");
        assert!(text.contains("reqid123"), "{text}");
    }
}
