//! Shared test helpers: an in-test Okta (wiremock on 127.0.0.1), client builders, and
//! a token endpoint that checks client assertions and DPoP proofs like Okta does.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use okta_client::{AuthConfig, KeyAlgorithm, OAuthConfig, OktaClient, OktaConfig, SecretString};
use serde_json::Value;
use wiremock::{Request, Respond, ResponseTemplate};

pub const API_TOKEN: &str = "00SSWS-test-token-DO-NOT-LEAK-4f1c";
pub const CLIENT_ID: &str = "0oa-test-client";
pub const RSA_PRIVATE: &str = include_str!("../../fixtures/test-rsa-private.pem");
pub const RSA_PUBLIC: &str = include_str!("../../fixtures/test-rsa-public.pem");
pub const EC_PRIVATE: &str = include_str!("../../fixtures/test-ec-private.pem");
pub const EC_PUBLIC: &str = include_str!("../../fixtures/test-ec-public.pem");

// Each test binary uses a different part of this module.
#[allow(unused_imports)]
pub use okta_fixtures::{answer as fixture, error_body};

pub fn ssws_config(uri: &str) -> OktaConfig {
    OktaConfig::new(uri, AuthConfig::ApiToken(SecretString::from(API_TOKEN))).unwrap()
}

pub fn ssws_client(uri: &str) -> OktaClient {
    OktaClient::new(ssws_config(uri)).unwrap()
}

pub fn oauth_config(uri: &str, algorithm: KeyAlgorithm, dpop: bool) -> OktaConfig {
    let pem = match algorithm {
        KeyAlgorithm::Rs256 => RSA_PRIVATE,
        KeyAlgorithm::Es256 => EC_PRIVATE,
    };
    OktaConfig::new(
        uri,
        AuthConfig::OAuth(OAuthConfig {
            client_id: CLIENT_ID.into(),
            private_key_pem: SecretString::from(pem),
            algorithm,
            key_id: Some("kid-1".into()),
            scopes: vec!["okta.users.read".into(), "okta.users.manage".into()],
            dpop,
        }),
    )
    .unwrap()
}

/// What the token endpoint saw on one request.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub form: Vec<(String, String)>,
    pub assertion_header: jsonwebtoken::Header,
    pub assertion_claims: Value,
    pub dpop: Option<(jsonwebtoken::Header, Value)>,
}

impl TokenRequest {
    pub fn form_value(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Okta's `/oauth2/v1/token`, strict: verifies the client assertion's signature with
/// the public key, and (when `nonce` is set) answers `use_dpop_nonce` to a proof
/// without it. Issues `tok-1`, `tok-2`, … with `expires_in`.
pub struct TokenEndpoint {
    pub public_pem: &'static str,
    pub algorithm: Algorithm,
    pub nonce: Option<String>,
    pub expires_in: u64,
    pub issued: AtomicUsize,
    pub seen: Arc<Mutex<Vec<TokenRequest>>>,
}

impl TokenEndpoint {
    pub fn new(public_pem: &'static str, algorithm: Algorithm) -> Self {
        TokenEndpoint {
            public_pem,
            algorithm,
            nonce: None,
            expires_in: 3600,
            issued: AtomicUsize::new(0),
            seen: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

fn verify_jwt(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
) -> Result<(jsonwebtoken::Header, Value), String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let mut v = Validation::new(alg);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v.validate_aud = false;
    let data = jsonwebtoken::decode::<Value>(token, key, &v).map_err(|e| e.to_string())?;
    Ok((header, data.claims))
}

impl Respond for TokenEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let form: Vec<(String, String)> = url_form(&request.body);
        let assertion = form
            .iter()
            .find(|(k, _)| k == "client_assertion")
            .map(|(_, v)| v.clone());
        let Some(assertion) = assertion else {
            return ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "invalid_client"}));
        };
        let key = match self.algorithm {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(self.public_pem.as_bytes()).unwrap(),
            _ => DecodingKey::from_ec_pem(self.public_pem.as_bytes()).unwrap(),
        };
        let (assertion_header, assertion_claims) =
            match verify_jwt(&assertion, &key, self.algorithm) {
                Ok(v) => v,
                Err(e) => {
                    return ResponseTemplate::new(401).set_body_json(
                        serde_json::json!({"error": "invalid_client", "error_description": e}),
                    );
                }
            };
        let dpop = request.headers.get("dpop").map(|v| {
            let proof = v.to_str().unwrap();
            let header = jsonwebtoken::decode_header(proof).unwrap();
            let jwk_key = DecodingKey::from_jwk(header.jwk.as_ref().unwrap()).unwrap();
            verify_jwt(proof, &jwk_key, header.alg).unwrap()
        });
        self.seen.lock().unwrap().push(TokenRequest {
            form: form.clone(),
            assertion_header,
            assertion_claims,
            dpop: dpop.clone(),
        });
        if let Some(nonce) = &self.nonce {
            let sent = dpop
                .as_ref()
                .and_then(|(_, c)| c.get("nonce"))
                .and_then(Value::as_str);
            if sent != Some(nonce.as_str()) {
                return ResponseTemplate::new(400)
                    .insert_header("dpop-nonce", nonce.as_str())
                    .set_body_json(serde_json::json!({
                        "error": "use_dpop_nonce",
                        "error_description": "Authorization server requires nonce in DPoP proof."
                    }));
            }
        }
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": if dpop.is_some() { "DPoP" } else { "Bearer" },
            "expires_in": self.expires_in,
            "access_token": format!("tok-{n}"),
            "scope": "okta.users.read okta.users.manage",
        }))
    }
}

/// Parses an `application/x-www-form-urlencoded` body.
pub fn url_form(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8()
            .unwrap()
            .into_owned()
    };
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Okta-style rate-limit headers with `Date` fixed at 2015-10-21 07:28:00 GMT
/// (epoch 1445412480) and a reset `reset_in` seconds later.
pub fn rate_limit_headers(t: ResponseTemplate, remaining: u64, reset_in: u64) -> ResponseTemplate {
    t.insert_header("x-rate-limit-limit", "600")
        .insert_header("x-rate-limit-remaining", remaining.to_string().as_str())
        .insert_header(
            "x-rate-limit-reset",
            (1_445_412_480 + reset_in).to_string().as_str(),
        )
        .insert_header("date", "Wed, 21 Oct 2015 07:28:00 GMT")
}
