//! DPoP proofs (RFC 9449): a fresh, single-use JWT per request, signed by a key that
//! only this process holds, so a stolen access token is useless elsewhere.
//!
//! The DPoP key is separate from the client-assertion key (Okta requires that), is
//! generated in memory at start-up (ES256, P-256) and never leaves the process; the
//! proof's header carries only its public half.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use percent_encoding::percent_decode_str;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use url::Url;

use crate::error::{OktaError, Result};

/// A per-process DPoP key pair.
pub(crate) struct DpopKey {
    key: EncodingKey,
    /// The public key as a JWK: `kty`, `crv`, `x`, `y` (and `alg`), no private member.
    public_jwk: Jwk,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &"ES256")
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct ProofClaims<'a> {
    jti: String,
    htm: &'a str,
    htu: String,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

impl DpopKey {
    /// Generates a fresh P-256 key.
    pub(crate) fn generate() -> Result<Self> {
        crate::jwt_crypto::install();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| OktaError::Signing("could not generate the DPoP key".into()))?;
        let key = EncodingKey::from_ec_der(pkcs8.as_ref());
        let public_jwk = Jwk::from_encoding_key(&key, Algorithm::ES256)
            .map_err(|e| OktaError::Signing(format!("DPoP public key: {e}")))?;
        Ok(DpopKey { key, public_jwk })
    }

    /// The public JWK put in every proof's header.
    #[cfg(test)]
    pub(crate) fn public_jwk(&self) -> &Jwk {
        &self.public_jwk
    }

    /// Signs a proof for `method url`. `access_token` adds `ath` (required on resource
    /// requests, absent on the token request); `nonce` echoes the server's `DPoP-Nonce`.
    pub(crate) fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&SecretString>,
        nonce: Option<&str>,
    ) -> Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.public_jwk.clone());
        let claims = ProofClaims {
            jti: uuid::Uuid::new_v4().to_string(),
            htm: method,
            htu: htu(url),
            iat: now_epoch(),
            ath: access_token.map(|t| access_token_hash(t.expose_secret())),
            nonce,
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| OktaError::Signing(format!("DPoP proof: {e}")))
    }
}

/// `ath`: base64url (no padding) of SHA-256 of the access token's ASCII bytes.
pub(crate) fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// `htu`: scheme, authority and path, without query or fragment (RFC 9449 §4.2), with
/// the path percent-*decoded* — Okta compares against the decoded path and rejects a
/// proof for `/api/v1/users/a%40b.com` that says `a%40b.com`.
pub(crate) fn htu(url: &Url) -> String {
    let path = percent_decode_str(url.path()).decode_utf8_lossy();
    let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(&path);
    out
}

pub(crate) fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::AlgorithmParameters;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn htu_drops_query_and_decodes_path() {
        let url =
            Url::parse("https://ex.okta.com/api/v1/users/a%40b.com/groups?limit=2#x").unwrap();
        assert_eq!(htu(&url), "https://ex.okta.com/api/v1/users/a@b.com/groups");
        let url = Url::parse("http://127.0.0.1:8080/oauth2/v1/token").unwrap();
        assert_eq!(htu(&url), "http://127.0.0.1:8080/oauth2/v1/token");
    }

    #[test]
    fn ath_matches_rfc_9449_example() {
        // RFC 9449 §7.1 example access token and its ath.
        assert_eq!(
            access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn proof_is_verifiable_with_the_public_jwk_and_has_the_claims() {
        let key = DpopKey::generate().unwrap();
        let jwk = key.public_jwk().clone();
        match &jwk.algorithm {
            AlgorithmParameters::EllipticCurve(p) => {
                assert!(!p.x.is_empty() && !p.y.is_empty());
            }
            other => panic!("unexpected JWK {other:?}"),
        }
        let json = serde_json::to_value(&jwk).unwrap();
        assert!(json.get("d").is_none(), "private member leaked: {json}");

        let url = Url::parse("https://ex.okta.com/api/v1/users/a%40b.com?x=1").unwrap();
        let token = SecretString::from("tok");
        let proof = key.proof("GET", &url, Some(&token), Some("n1")).unwrap();
        let header = jsonwebtoken::decode_header(&proof).unwrap();
        assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
        assert_eq!(header.alg, Algorithm::ES256);
        let decoding = DecodingKey::from_jwk(header.jwk.as_ref().unwrap()).unwrap();
        let mut validation = Validation::new(Algorithm::ES256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let data =
            jsonwebtoken::decode::<serde_json::Value>(&proof, &decoding, &validation).unwrap();
        let c = data.claims;
        assert_eq!(c["htm"], "GET");
        assert_eq!(c["htu"], "https://ex.okta.com/api/v1/users/a@b.com");
        assert_eq!(c["ath"], access_token_hash("tok"));
        assert_eq!(c["nonce"], "n1");
        assert!(c["iat"].as_u64().unwrap() > 1_700_000_000);
        let again = key.proof("GET", &url, Some(&token), None).unwrap();
        let c2 = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(&again)
            .map(|d| d.claims)
            .unwrap_or_default();
        assert_ne!(c2["jti"], c["jti"], "jti must be unique per proof");
    }
}
