//! Authentication: which headers a request carries, and what to do when Okta rejects
//! them.
//!
//! - [`ssws`]: a static API token.
//! - [`oauth`]: a client-credentials token minted with a signed assertion, cached.
//! - [`dpop`]: proofs of possession layered on an OAuth token.
//! - [`refresh`]: a person's login, a `Bearer` token renewed with its refresh token.
//! - [`device`]: the device authorization grant that makes such a login.

pub mod device;
pub(crate) mod dpop;
pub(crate) mod oauth;
pub(crate) mod refresh;
pub(crate) mod ssws;

use std::sync::{Mutex as StdMutex, PoisonError};

use http::HeaderValue;
use secrecy::SecretString;
use url::Url;

use crate::config::{AuthConfig, OktaConfig};
use crate::error::{OktaError, Result};
use oauth::{OAuth, sensitive};
use refresh::RefreshAuth;

/// The headers that authenticate one request attempt.
pub(crate) struct Credentials {
    pub authorization: HeaderValue,
    pub dpop_proof: Option<HeaderValue>,
    /// Which OAuth token was used (0 for an API token), to invalidate just that one.
    pub generation: u64,
}

/// Chosen once from the configuration.
#[derive(Debug)]
pub(crate) enum RequestAuth {
    ApiToken(SecretString),
    OAuth {
        oauth: Box<OAuth>,
        /// The resource server's last `DPoP-Nonce` (distinct from the token endpoint's).
        resource_nonce: StdMutex<Option<String>>,
    },
    /// A person's login: `Bearer`, renewed with the refresh token.
    Login(Box<RefreshAuth>),
    /// No credential: an offline dry-run client, which never sends a request.
    None,
}

impl RequestAuth {
    pub(crate) fn new(config: &OktaConfig) -> Result<Self> {
        Ok(match &config.auth {
            AuthConfig::ApiToken(token) => {
                ssws::authorization(token)?;
                RequestAuth::ApiToken(token.clone())
            }
            AuthConfig::OAuth(o) => RequestAuth::OAuth {
                oauth: Box::new(OAuth::new(o, &config.org_url, config.token_refresh_margin)?),
                resource_nonce: StdMutex::new(None),
            },
            AuthConfig::Login(l) => RequestAuth::Login(Box::new(RefreshAuth::new(
                l,
                &config.org_url,
                config.token_refresh_margin,
            )?)),
        })
    }

    /// True when a 401 may be cured by minting a new token.
    pub(crate) fn can_remint(&self) -> bool {
        matches!(self, RequestAuth::OAuth { .. } | RequestAuth::Login(_))
    }

    /// True when requests carry DPoP proofs.
    pub(crate) fn uses_dpop(&self) -> bool {
        matches!(self, RequestAuth::OAuth { oauth, .. } if oauth.uses_dpop())
    }

    /// Headers for one attempt of `method url`; may mint a token.
    pub(crate) async fn credentials(
        &self,
        http: &crate::http::HttpClient,
        method: &str,
        url: &Url,
    ) -> Result<Credentials> {
        match self {
            RequestAuth::ApiToken(token) => Ok(Credentials {
                authorization: ssws::authorization(token)?,
                dpop_proof: None,
                generation: 0,
            }),
            RequestAuth::OAuth {
                oauth,
                resource_nonce,
            } => {
                let token = oauth.token(http).await?;
                let (scheme, dpop_proof) = match &token.dpop_key {
                    Some(key) => {
                        let nonce = resource_nonce
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .clone();
                        let proof =
                            key.proof(method, url, Some(&token.secret), nonce.as_deref())?;
                        ("DPoP", Some(sensitive(&proof)?))
                    }
                    None => ("Bearer", None),
                };
                let authorization = sensitive(&format!(
                    "{scheme} {}",
                    secrecy::ExposeSecret::expose_secret(&token.secret)
                ))?;
                Ok(Credentials {
                    authorization,
                    dpop_proof,
                    generation: token.generation,
                })
            }
            RequestAuth::Login(login) => {
                let token = login.token(http).await?;
                let authorization = sensitive(&format!(
                    "Bearer {}",
                    secrecy::ExposeSecret::expose_secret(&token.secret)
                ))?;
                Ok(Credentials {
                    authorization,
                    dpop_proof: None,
                    generation: token.generation,
                })
            }
            RequestAuth::None => Err(OktaError::Config(
                "this offline dry-run client has no credential and sends no request".into(),
            )),
        }
    }

    /// Okta said the token is invalid: drop it so the next attempt mints another.
    pub(crate) async fn invalidate(&self, generation: u64) {
        match self {
            RequestAuth::OAuth { oauth, .. } => oauth.invalidate(generation).await,
            RequestAuth::Login(login) => login.invalidate(generation).await,
            RequestAuth::ApiToken(_) | RequestAuth::None => {}
        }
    }

    /// Caches a resource server `DPoP-Nonce`.
    pub(crate) fn set_resource_nonce(&self, nonce: &str) {
        if let RequestAuth::OAuth { resource_nonce, .. } = self {
            *resource_nonce
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(nonce.to_owned());
        }
    }
}

/// A transport error as an [`OktaError`], without the URL (which may hold a login).
pub(crate) fn transport_error(request: &str, error: crate::http::HttpError) -> OktaError {
    match error {
        crate::http::HttpError::Timeout => OktaError::Timeout {
            request: request.to_owned(),
        },
        other => OktaError::Connection {
            request: request.to_owned(),
            message: other.to_string(),
        },
    }
}
