//! OAuth 2.0 client credentials with `private_key_jwt`, for Okta-scoped access tokens.
//!
//! Okta service apps authenticate only with a signed client assertion; tokens last one
//! hour and come with no refresh token, so the token is cached and re-minted a margin
//! before it expires, and once more when Okta rejects it as invalid (key rotation,
//! revoked grant). Minting is single-flight: concurrent callers wait on one request.

use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::{Duration, Instant};

use http::{HeaderValue, StatusCode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use url::Url;

use super::dpop::{DpopKey, now_epoch};
use crate::config::{KeyAlgorithm, OAuthConfig};
use crate::error::{OktaError, Result, TokenError};
use crate::rate_limit::RateLimit;

/// How long one DPoP key is used before a new one is generated (Okta's own SDKs rotate
/// daily). A token stays bound to the key it was minted with.
const DPOP_KEY_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Lifetime of a client assertion: well under Okta's 1 h maximum, long enough for skew.
const ASSERTION_LIFETIME_SECS: u64 = 300;
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Claims of the client assertion, exactly as Okta requires.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AssertionClaims {
    pub aud: String,
    pub iss: String,
    pub sub: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

/// A token endpoint's success body (OAS `TokenResponse`): every grant's fields, those a
/// grant does not return are absent.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: SecretString,
    #[serde(default)]
    pub token_type: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// Only with `offline_access` (device code and refresh grants); a refresh may rotate it.
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// The granted scopes, space-separated.
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(Deserialize, Default)]
struct OAuthErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

/// One answer of an org authorization server endpoint, whatever its status.
pub(crate) struct FormAnswer {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: bytes::Bytes,
    pub request_id: Option<String>,
    /// `POST <path>`, for errors.
    pub request: String,
}

impl FormAnswer {
    /// The OAuth error of a failed answer (`{"error", "error_description"}`, OAS
    /// `OAuthError`); fields absent when the body is not one.
    pub(crate) fn token_error(&self) -> TokenError {
        let err: OAuthErrorBody = serde_json::from_slice(&self.body).unwrap_or_default();
        TokenError {
            status: self.status.as_u16(),
            error: err.error,
            error_description: err.error_description,
            request_id: self.request_id.clone(),
            rate_limit: RateLimit::from_headers(&self.headers),
        }
    }

    /// The body parsed as `T`, or a decode error naming the request.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| OktaError::Decode {
            request: self.request.clone(),
            message: e.to_string(),
        })
    }
}

/// POSTs `form` url-encoded to an endpoint of the org authorization server (`token`,
/// `device/authorize`, `revoke`) with `Accept: application/json` and `extra` headers
/// (a DPoP proof). Every grant goes through here, so none logs or reports a form value:
/// errors name the method and path only.
pub(crate) async fn post_token_form(
    http: &crate::http::HttpClient,
    url: &Url,
    form: &[(&str, &str)],
    extra: http::HeaderMap,
) -> Result<FormAnswer> {
    let request = format!("POST {}", url.path());
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut headers = extra;
    headers.insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let response = http
        .send(
            http::Method::POST,
            url,
            headers,
            Some(bytes::Bytes::from(body)),
        )
        .await
        .map_err(|e| super::transport_error(&request, e))?;
    let request_id = response
        .headers
        .get("x-okta-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(FormAnswer {
        status: response.status,
        headers: response.headers,
        body: response.body,
        request_id,
        request,
    })
}

/// A minted access token.
#[derive(Clone)]
pub(crate) struct AccessToken {
    pub secret: SecretString,
    /// The key Okta bound the token to (`cnf.jkt`), when it did; proofs for requests
    /// with this token must be signed by this very key, even after a rotation.
    pub dpop_key: Option<Arc<DpopKey>>,
    pub expires_at: Instant,
    /// Bumped on every mint, so that a 401 invalidates only the token that failed.
    pub generation: u64,
}

/// The cached access token of an OAuth grant, renewed when none is cached or it is
/// within `margin` of its expiry, and forgotten when Okta rejects it. One place for the
/// client-credentials app ([`OAuth`]) and a person's login ([`super::refresh`]).
pub(crate) struct TokenCache {
    margin: Duration,
    token: Mutex<Option<AccessToken>>,
}

impl TokenCache {
    /// A cache holding `saved` (a token still valid from before, or none).
    pub(crate) fn new(margin: Duration, saved: Option<AccessToken>) -> Self {
        TokenCache {
            margin,
            token: Mutex::new(saved),
        }
    }

    /// The cached token, or the one `renew` gets when none is cached or it is within the
    /// margin of its expiry (the lock is held meanwhile: one renewal at a time).
    pub(crate) async fn get_or_renew<F>(&self, renew: F) -> Result<AccessToken>
    where
        F: std::future::Future<Output = Result<AccessToken>>,
    {
        let mut cache = self.token.lock().await;
        if let Some(token) = cache.as_ref()
            && token.expires_at > Instant::now() + self.margin
        {
            return Ok(token.clone());
        }
        let token = renew.await?;
        *cache = Some(token.clone());
        Ok(token)
    }

    /// Forgets the token of `generation` after Okta rejected it; a newer one is kept.
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut cache = self.token.lock().await;
        if cache.as_ref().is_some_and(|t| t.generation == generation) {
            *cache = None;
        }
    }
}

/// The OAuth side of the authenticator.
pub(crate) struct OAuth {
    client_id: String,
    token_url: Url,
    scope: String,
    key: EncodingKey,
    algorithm: Algorithm,
    key_id: Option<String>,
    /// The current DPoP key and when it was generated; `None` without DPoP.
    dpop: Option<StdMutex<(Arc<DpopKey>, Instant)>>,
    dpop_key_lifetime: Duration,
    cache: TokenCache,
    generation: StdMutex<u64>,
    /// The authorization server's last `DPoP-Nonce`.
    token_nonce: StdMutex<Option<String>>,
}

impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth")
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url.as_str())
            .field("scope", &self.scope)
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .field("dpop", &self.dpop.is_some())
            .finish_non_exhaustive()
    }
}

impl OAuth {
    pub(crate) fn new(config: &OAuthConfig, org_url: &Url, margin: Duration) -> Result<Self> {
        crate::jwt_crypto::install();
        let pem = config.private_key_pem.expose_secret().as_bytes();
        let (key, algorithm) = match config.algorithm {
            KeyAlgorithm::Rs256 => (EncodingKey::from_rsa_pem(pem), Algorithm::RS256),
            KeyAlgorithm::Es256 => (EncodingKey::from_ec_pem(pem), Algorithm::ES256),
        };
        // The parser's error text does not quote the key; keep only its kind anyway.
        let key = key.map_err(|e| {
            OktaError::Config(format!(
                "the {algorithm:?} private key PEM is not usable ({:?})",
                e.kind()
            ))
        })?;
        if config.client_id.trim().is_empty() {
            return Err(OktaError::Config("OAuth client id is empty".into()));
        }
        if config.scopes.is_empty() {
            return Err(OktaError::Config("OAuth needs at least one scope".into()));
        }
        let token_url = org_url
            .join("/oauth2/v1/token")
            .map_err(|e| OktaError::Config(format!("token URL: {e}")))?;
        let dpop = if config.dpop {
            Some(StdMutex::new((
                Arc::new(DpopKey::generate()?),
                Instant::now(),
            )))
        } else {
            None
        };
        Ok(OAuth {
            client_id: config.client_id.trim().to_owned(),
            token_url,
            scope: config.scopes.join(" "),
            key,
            algorithm,
            key_id: config.key_id.clone(),
            dpop,
            dpop_key_lifetime: DPOP_KEY_LIFETIME,
            cache: TokenCache::new(margin, None),
            generation: StdMutex::new(0),
            token_nonce: StdMutex::new(None),
        })
    }

    /// A signed client assertion with a unique `jti` (Okta rejects a reused one).
    pub(crate) fn client_assertion(&self) -> Result<SecretString> {
        let now = now_epoch();
        let claims = AssertionClaims {
            aud: self.token_url.to_string(),
            iss: self.client_id.clone(),
            sub: self.client_id.clone(),
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(self.algorithm);
        header.kid = self.key_id.clone();
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(SecretString::from)
            .map_err(|e| OktaError::Signing(format!("client assertion: {:?}", e.kind())))
    }

    /// The cached token, or a freshly minted one when none is cached or it is within the
    /// refresh margin of its expiry.
    pub(crate) async fn token(&self, http: &crate::http::HttpClient) -> Result<AccessToken> {
        self.cache.get_or_renew(self.mint(http)).await
    }

    /// Forgets the token of `generation` after Okta rejected it; a newer one is kept.
    pub(crate) async fn invalidate(&self, generation: u64) {
        self.cache.invalidate(generation).await;
    }

    /// True when tokens are requested DPoP-bound.
    pub(crate) fn uses_dpop(&self) -> bool {
        self.dpop.is_some()
    }

    /// The DPoP key for a new token, generating a fresh one once the current one is
    /// older than its lifetime. Tokens minted earlier keep their own key.
    fn current_dpop_key(&self) -> Result<Option<Arc<DpopKey>>> {
        let Some(slot) = &self.dpop else {
            return Ok(None);
        };
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.1.elapsed() >= self.dpop_key_lifetime {
            *slot = (Arc::new(DpopKey::generate()?), Instant::now());
            tracing::debug!("rotated the DPoP key");
        }
        Ok(Some(slot.0.clone()))
    }

    async fn mint(&self, http: &crate::http::HttpClient) -> Result<AccessToken> {
        let dpop_key = self.current_dpop_key()?;
        // One answer to a `use_dpop_nonce` challenge, no more: a second challenge means
        // the server does not accept our nonce, and looping would not help.
        let mut nonce_retry_left = dpop_key.is_some();
        loop {
            let assertion = self.client_assertion()?;
            let form = [
                ("grant_type", "client_credentials"),
                ("scope", self.scope.as_str()),
                ("client_assertion_type", CLIENT_ASSERTION_TYPE),
                ("client_assertion", assertion.expose_secret()),
            ];
            let mut request_headers = http::HeaderMap::new();
            if let Some(dpop) = &dpop_key {
                let nonce = self.cached_token_nonce();
                let proof = dpop.proof("POST", &self.token_url, None, nonce.as_deref())?;
                request_headers.insert("DPoP", sensitive(&proof)?);
            }
            let started = Instant::now();
            let answer = post_token_form(http, &self.token_url, &form, request_headers).await?;
            let new_nonce = answer
                .headers
                .get("dpop-nonce")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if let Some(n) = &new_nonce {
                self.set_token_nonce(n.clone());
            }
            let status = answer.status;
            let request_id = answer.request_id.clone();
            if status.is_success() {
                let parsed: TokenResponse = answer.json()?;
                let dpop_bound = parsed.token_type.eq_ignore_ascii_case("DPoP");
                if dpop_key.is_some() && !dpop_bound {
                    tracing::warn!(token_type = %parsed.token_type, "asked for a DPoP-bound token, got another type");
                }
                let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
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
                    token_type = %parsed.token_type,
                    expires_in_s = lifetime.as_secs(),
                    generation,
                    okta_request_id = request_id.as_deref().unwrap_or(""),
                    "minted an Okta access token"
                );
                return Ok(AccessToken {
                    secret: parsed.access_token,
                    dpop_key: if dpop_bound { dpop_key } else { None },
                    expires_at: started + lifetime,
                    generation,
                });
            }
            let err = answer.token_error();
            if status == StatusCode::BAD_REQUEST
                && err.error.as_deref() == Some("use_dpop_nonce")
                && new_nonce.is_some()
                && nonce_retry_left
            {
                nonce_retry_left = false;
                tracing::debug!("token endpoint asked for a DPoP nonce; retrying once with it");
                continue;
            }
            return Err(OktaError::Token(Box::new(err)));
        }
    }

    fn cached_token_nonce(&self) -> Option<String> {
        self.token_nonce
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_token_nonce(&self, nonce: String) {
        *self
            .token_nonce
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(nonce);
    }
}

/// A header value that `http` treats as sensitive.
pub(crate) fn sensitive(text: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(text)
        .map_err(|_| OktaError::Signing("credential is not a valid header value".into()))?;
    v.set_sensitive(true);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{KeyAlgorithm, OAuthConfig};

    const EC_PEM: &str = include_str!("../../tests/fixtures/test-ec-private.pem");

    fn config(algorithm: KeyAlgorithm, dpop: bool) -> OAuthConfig {
        OAuthConfig {
            client_id: "0oa1".into(),
            private_key_pem: SecretString::from(EC_PEM),
            algorithm,
            key_id: None,
            scopes: vec!["okta.users.read".into()],
            dpop,
        }
    }

    fn org() -> Url {
        Url::parse("https://ex.okta.com").unwrap()
    }

    #[test]
    fn dpop_key_is_kept_until_its_lifetime_then_rotated() {
        let mut o = OAuth::new(&config(KeyAlgorithm::Es256, true), &org(), Duration::ZERO).unwrap();
        let a = o.current_dpop_key().unwrap().unwrap();
        let b = o.current_dpop_key().unwrap().unwrap();
        assert!(Arc::ptr_eq(&a, &b), "same key within its lifetime");
        o.dpop_key_lifetime = Duration::ZERO;
        let c = o.current_dpop_key().unwrap().unwrap();
        assert!(!Arc::ptr_eq(&a, &c), "a new key after its lifetime");
        let plain =
            OAuth::new(&config(KeyAlgorithm::Es256, false), &org(), Duration::ZERO).unwrap();
        assert!(plain.current_dpop_key().unwrap().is_none());
    }

    #[test]
    fn assertion_claims_follow_okta_rules() {
        let o = OAuth::new(&config(KeyAlgorithm::Es256, false), &org(), Duration::ZERO).unwrap();
        let jwt = o.client_assertion().unwrap();
        let claims: AssertionClaims = jsonwebtoken::dangerous::insecure_decode(jwt.expose_secret())
            .unwrap()
            .claims;
        assert_eq!(claims.aud, "https://ex.okta.com/oauth2/v1/token");
        assert_eq!(claims.iss, "0oa1");
        assert_eq!(claims.sub, "0oa1");
        assert!(claims.exp > claims.iat && claims.exp - claims.iat <= 3600);
    }

    #[test]
    fn rsa_keys_in_pkcs1_and_pkcs8_sign_verifiable_assertions() {
        let public = jsonwebtoken::DecodingKey::from_rsa_pem(include_bytes!(
            "../../tests/fixtures/test-rsa-public.pem"
        ))
        .unwrap();
        for pem in [
            include_str!("../../tests/fixtures/test-rsa-private.pem"),
            include_str!("../../tests/fixtures/test-rsa-private-pkcs1.pem"),
        ] {
            let mut c = config(KeyAlgorithm::Rs256, false);
            c.private_key_pem = SecretString::from(pem);
            let o = OAuth::new(&c, &org(), Duration::ZERO).unwrap();
            let jwt = o.client_assertion().unwrap();
            let mut v = jsonwebtoken::Validation::new(Algorithm::RS256);
            v.set_audience(&["https://ex.okta.com/oauth2/v1/token"]);
            jsonwebtoken::decode::<AssertionClaims>(jwt.expose_secret(), &public, &v).unwrap();
        }
    }

    #[test]
    fn a_key_of_the_wrong_kind_is_a_config_error() {
        let err =
            OAuth::new(&config(KeyAlgorithm::Rs256, false), &org(), Duration::ZERO).unwrap_err();
        assert!(matches!(err, OktaError::Config(_)), "{err:?}");
    }
}
