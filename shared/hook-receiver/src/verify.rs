//! The one-time verification challenge.
//!
//! Okta sends a `GET` with `X-Okta-Verification-Challenge` when a hook is created or its
//! Verify button is pressed, and marks the hook VERIFIED only if the value comes back as
//! `{"verification": "<value>"}` within 3 s. Until then it delivers nothing.

use http::{HeaderMap, Method, StatusCode};
use org_secrets::SecretSource;
use serde_json::json;

use crate::auth::Requirement;
use crate::{Authenticator, HookError, HookRequest, HookResponse, ReceiverConfig};

const CHALLENGE_HEADER: &str = "x-okta-verification-challenge";
/// Okta's challenges are short tokens; anything longer is not Okta.
const MAX_CHALLENGE_LEN: usize = 1024;

/// The `hook-verify` function: answers Okta's one-time verification `GET` with the
/// challenge it sent, once the request is authenticated as the org requires.
pub struct VerifyHandler<S> {
    config: ReceiverConfig,
    auth: Authenticator<S>,
}

impl<S: SecretSource> VerifyHandler<S> {
    /// A handler for `config`'s orgs, authenticating with `auth`.
    pub fn new(config: ReceiverConfig, auth: Authenticator<S>) -> Self {
        VerifyHandler { config, auth }
    }

    /// The authenticator (and through it, the secret cache) this handler uses.
    pub fn authenticator(&self) -> &Authenticator<S> {
        &self.auth
    }

    /// `200` with `{"verification": <challenge>}`, or the [`HookError`]'s status.
    pub async fn handle(&self, request: &HookRequest) -> HookResponse {
        answer(&self.config, &self.auth, request).await
    }
}

/// The verification answer to `request`, authenticated with `auth` for `config`'s orgs:
/// the one implementation behind [`VerifyHandler`] and the `GET` of
/// [`IngestHandler`](crate::IngestHandler) (one function behind a Lambda Function URL
/// answers both), so the two can never disagree on what a challenge needs.
pub(crate) async fn answer<S: SecretSource>(
    config: &ReceiverConfig,
    auth: &Authenticator<S>,
    request: &HookRequest,
) -> HookResponse {
    match verify(config, auth, request).await {
        Ok(challenge) => HookResponse::json(StatusCode::OK, &json!({ "verification": challenge })),
        Err(error) => error.into(),
    }
}

async fn verify<S: SecretSource>(
    config: &ReceiverConfig,
    auth: &Authenticator<S>,
    request: &HookRequest,
) -> Result<String, HookError> {
    if request.method != Method::GET {
        return Err(HookError::MethodNotAllowed);
    }
    let org = config.org_of(request.org.as_deref())?;
    auth.check(&org, &request.headers, Requirement::IfConfigured)
        .await?;
    let challenge = challenge(&request.headers)?;
    tracing::info!(%org, "answered the verification challenge");
    Ok(challenge)
}

/// The challenge value; `HeaderMap` lookups are case-insensitive, as API Gateway's v1
/// payload keeps Okta's casing and v2 lower-cases it.
fn challenge(headers: &HeaderMap) -> Result<String, HookError> {
    headers
        .get(CHALLENGE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= MAX_CHALLENGE_LEN)
        .map(str::to_owned)
        .ok_or(HookError::MissingChallenge)
}
