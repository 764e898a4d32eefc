//! Client configuration: which org, which credential, which limits.
//!
//! Credentials are [`SecretString`]s: their `Debug` prints `[REDACTED]`, they are not
//! `Display`, and they are zeroised on drop, so a configuration can be logged whole.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use secrecy::SecretString;
use url::Url;

use crate::dry_run::DryRun;
use crate::error::{OktaError, Result};

/// Signing algorithm of the client-assertion key registered with the Okta service app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// RSA PKCS#1 v1.5 with SHA-256; the PEM is PKCS#1 or PKCS#8.
    Rs256,
    /// ECDSA P-256 with SHA-256; the PEM is PKCS#8.
    Es256,
}

/// OAuth 2.0 client credentials with `private_key_jwt`, against the org authorization
/// server (`https://{org}/oauth2/v1/token`) — the only one that mints Okta API scopes.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// The service app's client id (`iss` = `sub` of the client assertion).
    pub client_id: String,
    /// The private key registered with the app, PEM.
    pub private_key_pem: SecretString,
    /// Algorithm of that key.
    pub algorithm: KeyAlgorithm,
    /// `kid` of the registered key, so Okta picks the right one among up to 50.
    pub key_id: Option<String>,
    /// Okta API scopes to request (e.g. `okta.users.manage`), space-joined on the wire.
    pub scopes: Vec<String>,
    /// Bind tokens with DPoP (RFC 9449). New API Services apps require it by default.
    pub dpop: bool,
}

/// What a refresh produced, handed to [`LoginConfig::on_refresh`] so the caller can store
/// it before the new access token is used (Okta may rotate the refresh token: the old
/// one stops working once the new one is issued).
#[derive(Debug, Clone)]
pub struct RefreshedLogin {
    /// The new access token.
    pub access_token: SecretString,
    /// The refresh token to use next time: the rotated one when Okta sent one, else the
    /// one just used.
    pub refresh_token: SecretString,
    /// True when Okta sent a new refresh token.
    pub rotated: bool,
    /// When the new access token expires (from `expires_in`, on this host's clock).
    pub access_expires_at: SystemTime,
    /// The scopes Okta granted (`scope` of the answer; the asked ones when absent).
    pub scopes: Vec<String>,
}

/// Called after every refresh, before the new access token is used.
pub type OnRefresh = Arc<dyn Fn(&RefreshedLogin) + Send + Sync>;

/// A person's login (`okta-hooks login`: the device authorization grant of an OIDC
/// native app, a public client): an access token used as `Bearer` and the refresh token
/// that renews it at the org authorization server (`/oauth2/v1/token`,
/// `grant_type=refresh_token`). The access token is renewed a margin before it expires
/// and once when Okta answers 401 to it.
#[derive(Clone)]
pub struct LoginConfig {
    /// The native app's client id (public client: no secret).
    pub client_id: String,
    /// The refresh token (`offline_access`).
    pub refresh_token: SecretString,
    /// The access token saved with the login, used while it is valid.
    pub access_token: Option<SecretString>,
    /// When that access token expires; unknown counts as expired.
    pub access_expires_at: Option<SystemTime>,
    /// Scopes sent with a refresh (a subset of the granted ones); empty sends none, so
    /// Okta grants the original ones.
    pub scopes: Vec<String>,
    /// Told of each refresh, to save the (possibly rotated) refresh token.
    pub on_refresh: Option<OnRefresh>,
}

impl std::fmt::Debug for LoginConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginConfig")
            .field("client_id", &self.client_id)
            .field("refresh_token", &self.refresh_token)
            .field("access_token", &self.access_token)
            .field("access_expires_at", &self.access_expires_at)
            .field("scopes", &self.scopes)
            .field("on_refresh", &self.on_refresh.is_some())
            .finish()
    }
}

/// How the client authenticates.
#[derive(Debug, Clone)]
pub enum AuthConfig {
    /// `Authorization: SSWS <token>`; the token carries the creating admin's privileges.
    ApiToken(SecretString),
    /// OAuth 2.0 client credentials with a signed client assertion, optionally DPoP.
    OAuth(OAuthConfig),
    /// A person's login: a refreshable `Bearer` access token (`okta-hooks login`).
    Login(LoginConfig),
}

/// An optional waiting retry policy, for interactive use (the CLI). Executors in Lambda
/// keep the default [`RetryPolicy::Never`] and act on [`crate::ErrorClass`] instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryPolicy {
    /// Return every error at once.
    #[default]
    Never,
    /// Sleep and retry: a `429` after its retry-after, `5xx`/timeouts/connection errors
    /// after an exponential backoff from `base_delay`. Each retry sends
    /// `X-Okta-Retry-For` (the first attempt's `X-Okta-Request-Id`) and
    /// `X-Okta-Retry-Count`.
    Wait {
        /// Retries after the first attempt.
        max_retries: u32,
        /// A 429 whose retry-after exceeds this is returned instead of waited on.
        max_wait: Duration,
        /// First backoff delay for 5xx and transport errors; doubled each retry.
        base_delay: Duration,
        /// Also retry `POST` on 5xx/timeouts (they may have taken effect). A 429 is
        /// always safe to retry: Okta did not process the request.
        retry_non_idempotent: bool,
    },
}

impl RetryPolicy {
    /// Okta SDKs' defaults: two retries, waits up to a minute.
    pub fn interactive() -> Self {
        RetryPolicy::Wait {
            max_retries: 2,
            max_wait: Duration::from_secs(60),
            base_delay: Duration::from_millis(500),
            retry_non_idempotent: false,
        }
    }
}

/// Everything the client needs. Build with [`OktaConfig::new`] and adjust the fields.
#[derive(Debug, Clone)]
pub struct OktaConfig {
    /// `https://{yourOktaDomain}`; plain `http` is accepted for loopback test servers only.
    pub org_url: Url,
    /// The credential.
    pub auth: AuthConfig,
    /// Total time for one HTTP attempt.
    pub timeout: Duration,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Requests in flight at once across all tasks sharing this client. Okta's org-wide
    /// concurrency limit is 75 (35 on Integrator Free), shared with every other client.
    pub max_in_flight: usize,
    /// Waiting retries; off by default.
    pub retry: RetryPolicy,
    /// Re-mint an OAuth token this long before it expires.
    pub token_refresh_margin: Duration,
    /// Appended to the `User-Agent` (`okta-hooks/<version> <suffix>`), e.g. a function name.
    pub user_agent_suffix: Option<String>,
    /// Dry run: requests that change Okta are recorded in [`DryRun::log`] and answered
    /// synthetically instead of sent (see [`crate::dry_run`]). `None`: everything is
    /// sent.
    pub dry_run: Option<DryRun>,
}

impl OktaConfig {
    /// A configuration with conservative defaults: 30 s timeout (the System Log's own
    /// query timeout), 5 s connect, 16 requests in flight, no waiting retries.
    pub fn new(org_url: &str, auth: AuthConfig) -> Result<Self> {
        let org_url = parse_org_url(org_url)?;
        Ok(OktaConfig {
            org_url,
            auth,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            max_in_flight: 16,
            retry: RetryPolicy::Never,
            token_refresh_margin: Duration::from_secs(300),
            user_agent_suffix: None,
            dry_run: None,
        })
    }

    /// This configuration in dry run.
    pub fn with_dry_run(mut self, dry_run: DryRun) -> Self {
        self.dry_run = Some(dry_run);
        self
    }
}

/// Accepts `https://host[:port]` (a trailing slash is fine) and, for tests against
/// a loopback server, `http://127.0.0.1:port` or `http://localhost:port`. Anything else
/// would send a credential in clear or to a path we would silently drop.
pub(crate) fn parse_org_url(text: &str) -> Result<Url> {
    let url = Url::parse(text.trim())
        .map_err(|e| OktaError::Config(format!("org URL {text:?} is not a URL: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| OktaError::Config(format!("org URL {text:?} has no host")))?;
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        other => {
            return Err(OktaError::Config(format!(
                "org URL must be https (got {other}://); http is for loopback test servers only"
            )));
        }
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(OktaError::Config(format!(
            "org URL {text:?} must be the bare origin, like https://example.okta.com"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OktaError::Config("org URL must not carry user info".into()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> AuthConfig {
        AuthConfig::ApiToken(SecretString::from("00abc"))
    }

    #[test]
    fn org_url_rules() {
        assert!(OktaConfig::new("https://example.okta.com", token()).is_ok());
        assert!(OktaConfig::new("https://example.okta.com/", token()).is_ok());
        assert!(OktaConfig::new("http://127.0.0.1:8080", token()).is_ok());
        assert!(OktaConfig::new("http://example.okta.com", token()).is_err());
        assert!(OktaConfig::new("https://example.okta.com/api/v1", token()).is_err());
        assert!(OktaConfig::new("example.okta.com", token()).is_err());
        assert!(OktaConfig::new("https://u:p@example.okta.com", token()).is_err());
    }
}
