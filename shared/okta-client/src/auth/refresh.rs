//! A person's login as request auth: a `Bearer` access token renewed with the refresh
//! token (`grant_type=refresh_token`, public client: `client_id`, no secret).
//!
//! Like [`super::oauth::OAuth`]: the token is cached, renewed a margin before it expires
//! and once after Okta rejects it (401), single-flight. Okta may rotate the refresh
//! token on every use; the new one replaces the old in memory and is handed to
//! [`LoginConfig::on_refresh`] before the new access token is used, so a caller that
//! stores it never keeps a refresh token Okta has already retired.

use std::sync::{Mutex as StdMutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use secrecy::{ExposeSecret, SecretString};

use url::Url;

use super::oauth::{AccessToken, TokenCache, TokenResponse, post_token_form};
use crate::config::{LoginConfig, OnRefresh, RefreshedLogin};
use crate::error::{OktaError, Result};

/// Lifetime assumed when a token answer has no `expires_in` (Okta's default).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// The login side of the authenticator.
pub(crate) struct RefreshAuth {
    client_id: String,
    token_url: Url,
    /// Space-joined scopes sent with a refresh; empty: none sent.
    scope: String,
    refresh_token: StdMutex<SecretString>,
    cache: TokenCache,
    generation: StdMutex<u64>,
    on_refresh: Option<OnRefresh>,
}

impl std::fmt::Debug for RefreshAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshAuth")
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url.as_str())
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl RefreshAuth {
    /// From the configuration; a saved access token still valid beyond `margin` is
    /// used as it is (generation 1), so a command right after `login` refreshes nothing.
    pub(crate) fn new(config: &LoginConfig, org_url: &Url, margin: Duration) -> Result<Self> {
        if config.client_id.trim().is_empty() {
            return Err(OktaError::Config("login client id is empty".into()));
        }
        if config.refresh_token.expose_secret().trim().is_empty() {
            return Err(OktaError::Config("login refresh token is empty".into()));
        }
        let token_url = org_url
            .join("/oauth2/v1/token")
            .map_err(|e| OktaError::Config(format!("token URL: {e}")))?;
        let saved = match (&config.access_token, config.access_expires_at) {
            (Some(token), Some(at)) => {
                at.duration_since(SystemTime::now())
                    .ok()
                    .map(|left| AccessToken {
                        secret: token.clone(),
                        dpop_key: None,
                        expires_at: Instant::now() + left,
                        generation: 1,
                    })
            }
            _ => None,
        };
        let generation = u64::from(saved.is_some());
        Ok(RefreshAuth {
            client_id: config.client_id.trim().to_owned(),
            token_url,
            scope: config.scopes.join(" "),
            refresh_token: StdMutex::new(config.refresh_token.clone()),
            cache: TokenCache::new(margin, saved),
            generation: StdMutex::new(generation),
            on_refresh: config.on_refresh.clone(),
        })
    }

    /// The cached token, or a refreshed one when none is cached or it is within the
    /// margin of its expiry.
    pub(crate) async fn token(&self, http: &crate::http::HttpClient) -> Result<AccessToken> {
        self.cache.get_or_renew(self.refresh(http)).await
    }

    /// Forgets the token of `generation` after Okta rejected it; a newer one is kept.
    pub(crate) async fn invalidate(&self, generation: u64) {
        self.cache.invalidate(generation).await;
    }

    async fn refresh(&self, http: &crate::http::HttpClient) -> Result<AccessToken> {
        let current = self
            .refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let started = Instant::now();
        let wall = SystemTime::now();
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", current.expose_secret()),
            ("client_id", self.client_id.as_str()),
        ];
        if !self.scope.is_empty() {
            form.push(("scope", self.scope.as_str()));
        }
        let answer = post_token_form(http, &self.token_url, &form, http::HeaderMap::new()).await?;
        if !answer.status.is_success() {
            let mut error = answer.token_error();
            if error.error.as_deref() == Some("invalid_grant") {
                // Say what it means for a person's login; keep Okta's words after it.
                error.error_description = Some(format!(
                    "the login's refresh token was refused (revoked, expired or already \
                     rotated): log in again{}",
                    error
                        .error_description
                        .as_deref()
                        .map(|d| format!("; Okta: {d}"))
                        .unwrap_or_default()
                ));
            }
            return Err(OktaError::Token(Box::new(error)));
        }
        let parsed: TokenResponse = answer.json()?;
        let lifetime = parsed
            .expires_in
            .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        let rotated = parsed.refresh_token.is_some();
        let next_refresh = parsed.refresh_token.unwrap_or(current);
        *self
            .refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = next_refresh.clone();
        let scopes = parsed.scope.as_deref().map_or_else(
            || self.scope.split_whitespace().map(str::to_owned).collect(),
            |s| s.split_whitespace().map(str::to_owned).collect(),
        );
        if let Some(on_refresh) = &self.on_refresh {
            on_refresh(&RefreshedLogin {
                access_token: parsed.access_token.clone(),
                refresh_token: next_refresh,
                rotated,
                access_expires_at: wall + lifetime,
                scopes,
            });
        }
        let generation = {
            let mut g = self
                .generation
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *g += 1;
            *g
        };
        tracing::debug!(
            client_id = %self.client_id,
            expires_in_s = lifetime.as_secs(),
            rotated,
            generation,
            okta_request_id = answer.request_id.as_deref().unwrap_or(""),
            "refreshed the login's access token"
        );
        Ok(AccessToken {
            secret: parsed.access_token,
            dpop_key: None,
            expires_at: started + lifetime,
            generation,
        })
    }
}
