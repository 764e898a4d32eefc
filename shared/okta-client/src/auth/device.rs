//! A person's login with the OAuth 2.0 device authorization grant (RFC 8628) at the org
//! authorization server, for an OIDC native app (public client: `client_id`, no secret).
//!
//! 1. [`device_authorize`]: `POST /oauth2/v1/device/authorize` gives a user code and a
//!    verification URI to show the person (works over SSH: no browser on this host).
//! 2. [`poll_until_done`]: `POST /oauth2/v1/token` with the device code, `interval`
//!    apart (5 s when the server gives none), `+5 s` on each `slow_down` (RFC 8628
//!    §3.5), until tokens, `access_denied`, `expired_token`, or the code's lifetime has
//!    passed. The sleep is injected, so tests record the waits instead of waiting.
//! 3. The tokens go into [`crate::LoginConfig`] ([`crate::AuthConfig::Login`]), which
//!    renews the access token with the refresh token; [`revoke`] ends the login.
//!
//! Tokens and the device code are [`SecretString`]s; no error or log line carries one.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::oauth::{TokenResponse, post_token_form};
use crate::error::{ErrorClass, OktaError, Result, TokenError};
use crate::http::HttpClient;

/// The device-code grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Polling interval when the server names none (RFC 8628 §3.2).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Added to the interval on each `slow_down` (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// An org URL as the client accepts it: `https://host`, or `http://` on loopback only.
pub fn org_url(text: &str) -> Result<Url> {
    crate::config::parse_org_url(text)
}

/// An HTTP client for the login endpoints, with the client's `User-Agent` and default
/// timeouts (30 s per exchange, 5 s to connect). Follows no redirect.
pub fn http_client() -> Result<HttpClient> {
    HttpClient::new(
        crate::USER_AGENT_PREFIX,
        Duration::from_secs(30),
        Duration::from_secs(5),
    )
    .map_err(|e| OktaError::Config(format!("HTTP client: {e}")))
}

/// The answer of `/device/authorize` (OAS `DeviceAuthorizeResponse`).
#[derive(Deserialize)]
pub struct DeviceAuthorization {
    /// The code this host polls with; secret.
    pub device_code: SecretString,
    /// The code the person types at the verification URI.
    pub user_code: String,
    /// Where the person goes (`https://{org}/activate`).
    pub verification_uri: String,
    /// The same with the user code filled in.
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    /// Lifetime of both codes, seconds.
    pub expires_in: u64,
    /// The least wait between two polls, seconds; [`DEFAULT_INTERVAL`] when absent.
    #[serde(default)]
    pub interval: Option<u64>,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("device_code", &self.device_code)
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("verification_uri_complete", &self.verification_uri_complete)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish()
    }
}

impl DeviceAuthorization {
    /// The first polling interval.
    pub fn interval(&self) -> Duration {
        self.interval.map_or(DEFAULT_INTERVAL, Duration::from_secs)
    }
}

/// Tokens of a successful device-code or refresh grant.
#[derive(Debug, Clone)]
pub struct TokenSet {
    /// `Bearer` access token.
    pub access_token: SecretString,
    /// Present when `offline_access` was granted (a refresh may rotate it).
    pub refresh_token: Option<SecretString>,
    /// When the access token expires, on this host's clock (from `expires_in`; 1 h
    /// when absent).
    pub access_expires_at: SystemTime,
    /// The granted scopes (`scope` of the answer).
    pub scopes: Vec<String>,
    /// `token_type` as sent (`Bearer`).
    pub token_type: String,
}

impl TokenSet {
    fn from_response(parsed: TokenResponse, asked_at: SystemTime) -> Self {
        TokenSet {
            access_token: parsed.access_token,
            refresh_token: parsed.refresh_token,
            access_expires_at: asked_at
                + parsed
                    .expires_in
                    .map_or(Duration::from_secs(3600), Duration::from_secs),
            scopes: parsed
                .scope
                .as_deref()
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            token_type: parsed.token_type,
        }
    }
}

/// What one poll of the token endpoint said.
#[derive(Debug)]
pub enum PollOutcome {
    /// `authorization_pending`: the person has not answered yet.
    Pending,
    /// `slow_down`: poll less often.
    SlowDown,
    /// The person approved: the tokens.
    Tokens(TokenSet),
    /// `access_denied`: the person (or a policy) refused.
    Denied,
    /// `expired_token`: the device code expired.
    Expired,
    /// Anything else: another OAuth error, a 5xx, a transport error, a bad body.
    Failed(OktaError),
}

/// Why a device login did not end with tokens.
#[derive(Debug, thiserror::Error)]
pub enum DeviceLoginError {
    /// The person or a policy denied the request.
    #[error("the login was denied at Okta (access_denied)")]
    Denied,
    /// The device code expired before it was approved.
    #[error("the code expired before it was approved: run login again")]
    Expired,
    /// Okta refused or failed otherwise.
    #[error(transparent)]
    Okta(#[from] OktaError),
}

/// `POST {org}/oauth2/v1/device/authorize` with `client_id` and the space-joined
/// `scopes`. A `400 invalid_scope` or `401 invalid_client` is [`OktaError::Token`].
pub async fn device_authorize(
    http: &HttpClient,
    org_url: &Url,
    client_id: &str,
    scopes: &[String],
) -> Result<DeviceAuthorization> {
    let url = endpoint(org_url, "/oauth2/v1/device/authorize")?;
    let scope = scopes.join(" ");
    let form = [("client_id", client_id), ("scope", scope.as_str())];
    let answer = post_token_form(http, &url, &form, http::HeaderMap::new()).await?;
    if !answer.status.is_success() {
        return Err(OktaError::Token(Box::new(answer.token_error())));
    }
    answer.json()
}

/// One poll of `POST {org}/oauth2/v1/token` with the device code.
pub async fn poll_once(
    http: &HttpClient,
    org_url: &Url,
    client_id: &str,
    device_code: &SecretString,
) -> PollOutcome {
    let url = match endpoint(org_url, "/oauth2/v1/token") {
        Ok(u) => u,
        Err(e) => return PollOutcome::Failed(e),
    };
    let form = [
        ("grant_type", DEVICE_CODE_GRANT),
        ("device_code", device_code.expose_secret()),
        ("client_id", client_id),
    ];
    let asked_at = SystemTime::now();
    let answer = match post_token_form(http, &url, &form, http::HeaderMap::new()).await {
        Ok(a) => a,
        Err(e) => return PollOutcome::Failed(e),
    };
    if answer.status.is_success() {
        return match answer.json::<TokenResponse>() {
            Ok(parsed) => PollOutcome::Tokens(TokenSet::from_response(parsed, asked_at)),
            Err(e) => PollOutcome::Failed(e),
        };
    }
    let error = answer.token_error();
    match error.error.as_deref() {
        Some("authorization_pending") => PollOutcome::Pending,
        Some("slow_down") => PollOutcome::SlowDown,
        Some("access_denied") => PollOutcome::Denied,
        Some("expired_token") => PollOutcome::Expired,
        _ => PollOutcome::Failed(OktaError::Token(Box::new(error))),
    }
}

/// The wait before the next poll: `slow_down` adds [`SLOW_DOWN_STEP`] for good (RFC 8628
/// §3.5: "this and all subsequent requests"); anything else keeps `current`.
pub fn next_interval(current: Duration, outcome: &PollOutcome) -> Duration {
    match outcome {
        PollOutcome::SlowDown => current + SLOW_DOWN_STEP,
        _ => current,
    }
}

/// Polls until the person approves (tokens), denies, or the code expires. Waits the
/// interval (through `sleep`) before every poll, as RFC 8628 asks. Retryable failures
/// (5xx, 429, timeouts, connection errors) are polled through until the code's
/// lifetime has passed — counted both on the monotonic clock and as the sum of the
/// waits, so an injected `sleep` that returns at once still ends; any other failure
/// ends the login. `on_poll` sees each outcome and the next interval (for progress).
pub async fn poll_until_done<S, F>(
    http: &HttpClient,
    org_url: &Url,
    client_id: &str,
    authorization: &DeviceAuthorization,
    mut sleep: S,
    mut on_poll: impl FnMut(&PollOutcome, Duration),
) -> Result<TokenSet, DeviceLoginError>
where
    S: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let lifetime = Duration::from_secs(authorization.expires_in);
    let started = Instant::now();
    let mut waited = Duration::ZERO;
    let mut interval = authorization.interval();
    loop {
        if started.elapsed() >= lifetime || waited >= lifetime {
            return Err(DeviceLoginError::Expired);
        }
        sleep(interval).await;
        waited += interval;
        let outcome = poll_once(http, org_url, client_id, &authorization.device_code).await;
        interval = next_interval(interval, &outcome);
        on_poll(&outcome, interval);
        match outcome {
            PollOutcome::Pending | PollOutcome::SlowDown => {}
            PollOutcome::Tokens(tokens) => return Ok(tokens),
            PollOutcome::Denied => return Err(DeviceLoginError::Denied),
            PollOutcome::Expired => return Err(DeviceLoginError::Expired),
            PollOutcome::Failed(e) => match e.class() {
                ErrorClass::Retryable | ErrorClass::Throttled { .. } => {
                    tracing::debug!(error = %e, "device login poll failed; polling on");
                }
                ErrorClass::Permanent | ErrorClass::AlreadyInState => {
                    return Err(DeviceLoginError::Okta(e));
                }
            },
        }
    }
}

/// One refresh-token grant (public client), outside a client: for `login` to check a
/// stored login. `scopes` empty sends none (Okta grants the original ones). A rotated
/// refresh token is in the result; `invalid_grant` (revoked, expired) is
/// [`OktaError::Token`].
pub async fn refresh(
    http: &HttpClient,
    org_url: &Url,
    client_id: &str,
    refresh_token: &SecretString,
    scopes: &[String],
) -> Result<TokenSet> {
    let url = endpoint(org_url, "/oauth2/v1/token")?;
    let scope = scopes.join(" ");
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.expose_secret()),
        ("client_id", client_id),
    ];
    if !scope.is_empty() {
        form.push(("scope", scope.as_str()));
    }
    let asked_at = SystemTime::now();
    let answer = post_token_form(http, &url, &form, http::HeaderMap::new()).await?;
    if !answer.status.is_success() {
        return Err(OktaError::Token(Box::new(answer.token_error())));
    }
    Ok(TokenSet::from_response(answer.json()?, asked_at))
}

/// Which kind of token [`revoke`] is given (`token_type_hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A refresh token (revoking it also ends the access tokens minted from it).
    Refresh,
    /// An access token.
    Access,
}

/// `POST {org}/oauth2/v1/revoke` (`token`, `token_type_hint`, `client_id`). Okta
/// answers 200 even for an unknown or already revoked token.
pub async fn revoke(
    http: &HttpClient,
    org_url: &Url,
    client_id: &str,
    token: &SecretString,
    kind: TokenKind,
) -> Result<()> {
    let url = endpoint(org_url, "/oauth2/v1/revoke")?;
    let hint = match kind {
        TokenKind::Refresh => "refresh_token",
        TokenKind::Access => "access_token",
    };
    let form = [
        ("token", token.expose_secret()),
        ("token_type_hint", hint),
        ("client_id", client_id),
    ];
    let answer = post_token_form(http, &url, &form, http::HeaderMap::new()).await?;
    if answer.status.is_success() {
        Ok(())
    } else {
        Err(OktaError::Token(Box::new(answer.token_error())))
    }
}

/// True for the refresh answer that means the login is gone for good (revoked,
/// expired, rotated away by another process): `400 invalid_grant`.
pub fn is_invalid_grant(error: &OktaError) -> bool {
    matches!(error, OktaError::Token(t) if is_error(t, "invalid_grant"))
}

fn is_error(t: &TokenError, code: &str) -> bool {
    t.error.as_deref() == Some(code)
}

fn endpoint(org_url: &Url, path: &str) -> Result<Url> {
    org_url
        .join(path)
        .map_err(|e| OktaError::Config(format!("{path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> PollOutcome {
        PollOutcome::Failed(OktaError::Timeout {
            request: "POST /oauth2/v1/token".into(),
        })
    }

    #[test]
    fn slow_down_adds_five_seconds_and_every_other_outcome_keeps_the_interval() {
        let five = Duration::from_secs(5);
        assert_eq!(
            next_interval(five, &PollOutcome::SlowDown),
            Duration::from_secs(10)
        );
        assert_eq!(
            next_interval(Duration::from_secs(10), &PollOutcome::SlowDown),
            Duration::from_secs(15)
        );
        for outcome in [
            PollOutcome::Pending,
            PollOutcome::Denied,
            PollOutcome::Expired,
            failed(),
        ] {
            assert_eq!(next_interval(five, &outcome), five, "{outcome:?}");
        }
    }

    #[test]
    fn an_authorization_without_interval_polls_every_five_seconds() {
        let a: DeviceAuthorization = serde_json::from_str(
            r#"{"device_code":"dc-secret","user_code":"ABCD","verification_uri":"https://x/activate","expires_in":600}"#,
        )
        .unwrap();
        assert_eq!(a.interval(), DEFAULT_INTERVAL);
        assert!(!format!("{a:?}").contains("dc-secret"));
    }
}
