//! Okta Management API client for okta-hooks.
//!
//! There is no official Okta SDK for Rust; this crate is small and says plainly what
//! Okta said:
//!
//! - **Auth**: an `SSWS` API token, or OAuth 2.0 client credentials with a
//!   `private_key_jwt` assertion (RS256/ES256), optionally DPoP-bound (RFC 9449). Tokens
//!   are cached and re-minted before expiry and once after a `401`. Or a person's login
//!   ([`login`]: the device authorization grant of a native app), a `Bearer` token
//!   renewed with its refresh token the same way ([`AuthConfig::Login`]).
//! - **Rate limits**: every response's `X-Rate-Limit-*` headers are parsed; a `429`
//!   becomes [`ErrorClass::Throttled`] with a retry-after computed from Okta's clock,
//!   and [`OktaClient::headroom_wait`] says how long to hold a call back near the limit
//!   (same clock). Waiting is opt-in ([`RetryPolicy::Wait`]); executors in Lambda hand
//!   [`OktaError::failure`] to `retry::Policy`, the one place that decides.
//! - **Pagination**: `Link: rel="next"` followed verbatim, as pages or items; System
//!   Log polling exposes the `next` link to store.
//! - **Errors**: [`OktaError`] with Okta's error body, request id and an
//!   [`ErrorClass`].
//! - **Secrets** live in [`secrecy::SecretString`] and sensitive header values; none
//!   reaches `Debug`, `Display`, an error or a log line.
//! - **Dry run** ([`dry_run`]): requests that would change Okta are recorded in a
//!   [`RequestLog`], logged redacted and answered synthetically instead of sent;
//!   [`OktaClient::offline_dry_run`] needs no org at all.
//!
//! ```no_run
//! use okta_client::endpoints::users::ListUsersQuery;
//! use okta_client::{AuthConfig, ErrorClass, OktaClient, OktaConfig, SecretString};
//! use futures_util::TryStreamExt;
//!
//! # async fn run() -> okta_client::Result<()> {
//! let auth = AuthConfig::ApiToken(SecretString::from("00abc…"));
//! let client = OktaClient::new(OktaConfig::new("https://example.okta.com", auth)?)?;
//!
//! // One call: the value and what Okta said about it.
//! let user = client.get_user("jane.doe@example.com").await?;
//! println!("{:?} (request {:?}, {:?} left)", user.value.status, user.meta.request_id,
//!          user.meta.rate_limit.remaining);
//!
//! // A list, followed through its `next` links.
//! let query = ListUsersQuery { search: Some("status eq \"SUSPENDED\"".into()), ..Default::default() };
//! let mut users = Box::pin(client.list_users(&query)?.items());
//! while let Some(user) = users.try_next().await? {
//!     println!("{:?}", user.login());
//! }
//!
//! // An action: the executor decides what an error means.
//! if let Err(e) = client.suspend_user("jane.doe@example.com").await {
//!     match e.class() {
//!         ErrorClass::AlreadyInState => {}                       // done already
//!         ErrorClass::Throttled { retry_after } => { let _ = retry_after; } // requeue later
//!         ErrorClass::Retryable | ErrorClass::Permanent => return Err(e),
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod auth;
mod client;
mod config;
pub mod dry_run;
pub mod endpoints;
mod error;
pub mod http;
mod jwt_crypto;
/// The device authorization grant (RFC 8628) that makes a login, its refresh and revoke.
pub use auth::device as login;
pub mod models;
mod pagination;
mod rate_limit;
mod request;

/// The parsers of Okta's answers that the client keeps private, reachable without a
/// network for the fuzz targets in `fuzz/` (feature `fuzzing`, off in every other
/// build). Not an API: hidden, and free to change with the fuzz targets.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use http::{HeaderMap, StatusCode};
    use url::Url;

    use crate::{OktaError, RawResponse, ResponseMeta};

    /// What the client makes of a non-success answer: its metadata read from `headers`
    /// (request id, rate limits), then the error body parsed from `body`.
    pub fn api_error(status: StatusCode, headers: HeaderMap, body: &[u8]) -> OktaError {
        let raw = RawResponse {
            meta: ResponseMeta::from_headers(status.as_u16(), headers),
            body: bytes::Bytes::copy_from_slice(body),
        };
        crate::client::api_error("GET /api/v1/fuzz", status, &raw)
    }

    /// The `rel="next"` target of a page's `Link` headers, resolved against `base`.
    pub fn next_link(headers: &HeaderMap, base: &Url) -> Option<Url> {
        crate::pagination::next_link(headers, base)
    }
}

pub use client::{
    OktaClient, REQUEST_ID_HEADER, RETRY_COUNT_HEADER, RETRY_FOR_HEADER, RawResponse, Reply,
    ResponseMeta, USER_AGENT_PREFIX,
};
pub use config::{
    AuthConfig, KeyAlgorithm, LoginConfig, OAuthConfig, OktaConfig, OnRefresh, RefreshedLogin,
    RetryPolicy,
};
pub use dry_run::{DRY_RUN_HEADER, DryRun, RecordedRequest, RequestLog};
pub use error::{
    ApiError, E_ALREADY_ACTIVE, E_INVALID_TOKEN, E_NOT_ALLOWED_IN_CURRENT_STATUS, E_RATE_LIMIT,
    ErrorCause, ErrorClass, OktaError, Result, TokenError,
};
pub use pagination::{LogCursor, LogPoll, Page, Paged};
pub use rate_limit::RateLimit;
pub use secrecy::{ExposeSecret, SecretString};
