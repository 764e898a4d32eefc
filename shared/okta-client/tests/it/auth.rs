//! Auth against an in-test Okta: SSWS, OAuth client assertions (RS256, ES256), token
//! caching and re-minting, DPoP proofs and nonce challenges.

use crate::common;

use std::sync::Arc;

use base64::Engine;
use common::*;
use jsonwebtoken::Algorithm;
use okta_client::{KeyAlgorithm, OktaClient, OktaError};
use serde_json::Value;
use sha2::{Digest, Sha256};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

async fn mount_token(
    server: &MockServer,
    endpoint: TokenEndpoint,
) -> Arc<std::sync::Mutex<Vec<TokenRequest>>> {
    let seen = endpoint.seen.clone();
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(endpoint)
        .mount(server)
        .await;
    seen
}

async fn mount_user(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .mount(server)
        .await;
}

fn api_requests(reqs: &[Request]) -> Vec<&Request> {
    reqs.iter()
        .filter(|r| r.url.path().starts_with("/api/"))
        .collect()
}

#[tokio::test]
async fn ssws_sends_the_api_token() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .and(header(
            "authorization",
            format!("SSWS {API_TOKEN}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    let user = ssws_client(&server.uri()).get_user("00u1").await.unwrap();
    assert_eq!(user.value.id.as_deref(), Some("00ub0oNGTSWTBKOLGLNR"));
}

async fn assertion_flow(alg: KeyAlgorithm, public: &'static str, jwt_alg: Algorithm) {
    let server = MockServer::builder().start().await;
    let seen = mount_token(&server, TokenEndpoint::new(public, jwt_alg)).await;
    mount_user(&server).await;
    let client = OktaClient::new(oauth_config(&server.uri(), alg, false)).unwrap();
    client.get_user("00u1").await.unwrap();
    client.get_user("00u1").await.unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "the token is cached between calls");
    let t = &seen[0];
    assert_eq!(t.form_value("grant_type"), Some("client_credentials"));
    assert_eq!(
        t.form_value("scope"),
        Some("okta.users.read okta.users.manage")
    );
    assert_eq!(
        t.form_value("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(t.assertion_header.alg, jwt_alg);
    assert_eq!(t.assertion_header.kid.as_deref(), Some("kid-1"));
    let c = &t.assertion_claims;
    assert_eq!(c["aud"], format!("{}/oauth2/v1/token", server.uri()));
    assert_eq!(c["iss"], CLIENT_ID);
    assert_eq!(c["sub"], CLIENT_ID);
    let (iat, exp) = (c["iat"].as_u64().unwrap(), c["exp"].as_u64().unwrap());
    assert!(
        exp > iat && exp - iat <= 3600,
        "exp ≤ 1 h: iat {iat} exp {exp}"
    );
    assert!(c["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert!(t.dpop.is_none());

    let reqs = server.received_requests().await.unwrap();
    for r in api_requests(&reqs) {
        assert_eq!(r.headers.get("authorization").unwrap(), "Bearer tok-1");
        assert!(r.headers.get("dpop").is_none());
    }
}

#[tokio::test]
async fn oauth_rs256_assertion_has_okta_claims_and_token_is_cached() {
    assertion_flow(KeyAlgorithm::Rs256, RSA_PUBLIC, Algorithm::RS256).await;
}

#[tokio::test]
async fn oauth_es256_assertion_has_okta_claims_and_token_is_cached() {
    assertion_flow(KeyAlgorithm::Es256, EC_PUBLIC, Algorithm::ES256).await;
}

#[tokio::test]
async fn token_is_reminted_when_within_the_refresh_margin() {
    let server = MockServer::builder().start().await;
    let mut endpoint = TokenEndpoint::new(RSA_PUBLIC, Algorithm::RS256);
    endpoint.expires_in = 120; // shorter than the 5-minute margin: never reused
    let seen = mount_token(&server, endpoint).await;
    mount_user(&server).await;
    let client = OktaClient::new(oauth_config(&server.uri(), KeyAlgorithm::Rs256, false)).unwrap();
    client.get_user("00u1").await.unwrap();
    client.get_user("00u1").await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_ne!(
        seen[0].assertion_claims["jti"], seen[1].assertion_claims["jti"],
        "jti is unique"
    );
}

/// 401 for `tok-1`, 200 for any other token.
struct RejectFirstToken;
impl Respond for RejectFirstToken {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap();
        if auth.ends_with(" tok-1") {
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", "Bearer error=\"invalid_token\"")
                .set_body_json(serde_json::json!({
                    "errorCode": "E0000011", "errorSummary": "Invalid token provided",
                    "errorLink": "E0000011", "errorId": "oae1", "errorCauses": []
                }))
        } else {
            ResponseTemplate::new(200).set_body_json(fixture("user"))
        }
    }
}

#[tokio::test]
async fn invalid_token_401_remints_once_and_succeeds() {
    let server = MockServer::builder().start().await;
    let endpoint = TokenEndpoint::new(RSA_PUBLIC, Algorithm::RS256);
    let seen = mount_token(&server, endpoint).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(RejectFirstToken)
        .mount(&server)
        .await;
    let client = OktaClient::new(oauth_config(&server.uri(), KeyAlgorithm::Rs256, false)).unwrap();
    let user = client.get_user("00u1").await.unwrap();
    assert_eq!(user.meta.status, 200);
    assert_eq!(seen.lock().unwrap().len(), 2, "one re-mint after the 401");
    let reqs = server.received_requests().await.unwrap();
    let auths: Vec<_> = api_requests(&reqs)
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(auths, vec!["Bearer tok-1", "Bearer tok-2"]);
}

#[tokio::test]
async fn a_second_401_is_returned_not_looped_on() {
    let server = MockServer::builder().start().await;
    let seen = mount_token(&server, TokenEndpoint::new(RSA_PUBLIC, Algorithm::RS256)).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "errorCode": "E0000011", "errorSummary": "Invalid token provided", "errorCauses": []
        })))
        .mount(&server)
        .await;
    let client = OktaClient::new(oauth_config(&server.uri(), KeyAlgorithm::Rs256, false)).unwrap();
    let err = client.get_user("00u1").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.error_code(), Some("E0000011"));
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "minted, then re-minted exactly once"
    );
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(api_requests(&reqs).len(), 2);
}

#[tokio::test]
async fn token_endpoint_error_is_typed() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(ResponseTemplate::new(401).insert_header("x-okta-request-id", "tokreq").set_body_json(
            serde_json::json!({"error": "invalid_client", "error_description": "The client_assertion signature is invalid."}),
        ))
        .mount(&server)
        .await;
    let client = OktaClient::new(oauth_config(&server.uri(), KeyAlgorithm::Rs256, false)).unwrap();
    let err = client.get_user("00u1").await.unwrap_err();
    match &err {
        OktaError::Token(t) => {
            assert_eq!(t.status, 401);
            assert_eq!(t.error.as_deref(), Some("invalid_client"));
            assert_eq!(t.request_id.as_deref(), Some("tokreq"));
        }
        other => panic!("expected a token error, got {other:?}"),
    }
    assert_eq!(err.class(), okta_client::ErrorClass::Permanent);
}

fn b64url_sha256(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(s.as_bytes()))
}

fn decode_unverified(jwt: &str) -> (jsonwebtoken::Header, Value) {
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(header.jwk.as_ref().unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(jwt, &key, &v).unwrap().claims;
    (header, claims)
}

#[tokio::test]
async fn dpop_nonce_challenge_is_answered_once_and_proofs_bind_each_request() {
    let server = MockServer::builder().start().await;
    let mut endpoint = TokenEndpoint::new(EC_PUBLIC, Algorithm::ES256);
    endpoint.nonce = Some("nonce-abc".into());
    let seen = mount_token(&server, endpoint).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/a%40b.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .mount(&server)
        .await;
    let client = OktaClient::new(oauth_config(&server.uri(), KeyAlgorithm::Es256, true)).unwrap();
    client.get_user("a@b.com").await.unwrap();
    client.get_user("a@b.com").await.unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        2,
        "first proof without nonce, then one retry with it"
    );
    let (h0, c0) = seen[0].dpop.clone().unwrap();
    let (_, c1) = seen[1].dpop.clone().unwrap();
    assert_eq!(h0.typ.as_deref(), Some("dpop+jwt"));
    let jwk = serde_json::to_value(h0.jwk.unwrap()).unwrap();
    assert_eq!(jwk["kty"], "EC");
    assert!(
        jwk.get("d").is_none(),
        "only the public key goes in the header"
    );
    assert_eq!(c0["htm"], "POST");
    assert_eq!(c0["htu"], format!("{}/oauth2/v1/token", server.uri()));
    assert!(c0.get("nonce").is_none());
    assert!(c0.get("ath").is_none(), "no ath on the token request");
    assert_eq!(c1["nonce"], "nonce-abc");
    assert_ne!(c0["jti"], c1["jti"]);
    assert_ne!(
        seen[0].assertion_claims["jti"], seen[1].assertion_claims["jti"],
        "a new client assertion for the retry: Okta rejects a reused jti"
    );

    let reqs = server.received_requests().await.unwrap();
    let api = api_requests(&reqs);
    assert_eq!(api.len(), 2);
    let mut jtis = Vec::new();
    for r in api {
        assert_eq!(
            r.url.path(),
            "/api/v1/users/a%40b.com",
            "login percent-encoded on the wire"
        );
        assert_eq!(r.headers.get("authorization").unwrap(), "DPoP tok-1");
        let (h, c) = decode_unverified(r.headers.get("dpop").unwrap().to_str().unwrap());
        assert_eq!(h.typ.as_deref(), Some("dpop+jwt"));
        assert_eq!(c["htm"], "GET");
        assert_eq!(
            c["htu"],
            format!("{}/api/v1/users/a@b.com", server.uri()),
            "decoded path, no query"
        );
        assert_eq!(c["ath"], b64url_sha256("tok-1"));
        assert!(c["iat"].as_u64().is_some());
        jtis.push(c["jti"].as_str().unwrap().to_owned());
    }
    assert_ne!(jtis[0], jtis[1], "a fresh proof per request");
}

#[tokio::test]
async fn a_second_nonce_challenge_is_an_error_not_a_loop() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(ResponseTemplate::new(400).insert_header("dpop-nonce", "n-rotating").set_body_json(
            serde_json::json!({"error": "use_dpop_nonce", "error_description": "Authorization server requires nonce in DPoP proof."}),
        ))
        .expect(2)
        .mount(&server)
        .await;
    let client = OktaClient::new(oauth_config(&server.uri(), KeyAlgorithm::Es256, true)).unwrap();
    let err = client.get_user("00u1").await.unwrap_err();
    match err {
        OktaError::Token(t) => assert_eq!(t.error.as_deref(), Some("use_dpop_nonce")),
        other => panic!("expected token error, got {other:?}"),
    }
}

/// The resource server's own nonce challenge: 401 with `WWW-Authenticate: DPoP
/// error="use_dpop_nonce"` and a `DPoP-Nonce`, then success when the proof carries it.
struct ResourceNonce;
impl Respond for ResourceNonce {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let proof = request.headers.get("dpop").unwrap().to_str().unwrap();
        let (_, claims) = decode_unverified(proof);
        if claims.get("nonce").and_then(Value::as_str) == Some("rs-nonce") {
            ResponseTemplate::new(200).set_body_json(fixture("user"))
        } else {
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", "DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\"")
                .insert_header("dpop-nonce", "rs-nonce")
        }
    }
}

#[tokio::test]
async fn resource_server_nonce_challenge_is_answered_once() {
    let server = MockServer::builder().start().await;
    let endpoint = TokenEndpoint::new(EC_PUBLIC, Algorithm::ES256);
    let seen = mount_token(&server, endpoint).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(ResourceNonce)
        .mount(&server)
        .await;
    let client = OktaClient::new(oauth_config(&server.uri(), KeyAlgorithm::Es256, true)).unwrap();
    client.get_user("00u1").await.unwrap();
    client.get_user("00u1").await.unwrap();
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "a nonce challenge does not re-mint the token"
    );
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(
        api_requests(&reqs).len(),
        3,
        "challenge + retry, then the cached nonce works first time"
    );
}

#[tokio::test]
async fn with_auth_switches_the_credential_after_a_rotation() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .and(header("authorization", "SSWS rotated-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .and(header(
            "authorization",
            format!("SSWS {API_TOKEN}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(serde_json::json!({"errorCode": "E0000011"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let old = ssws_client(&server.uri());
    let err = old.get_user("00u1").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    let new = old
        .with_auth(okta_client::AuthConfig::ApiToken(
            okta_client::SecretString::from("rotated-token"),
        ))
        .unwrap();
    new.get_user("00u1").await.unwrap();
}

#[tokio::test]
async fn a_nonce_handed_out_on_success_is_used_next_time() {
    let server = MockServer::builder().start().await;
    mount_token(&server, TokenEndpoint::new(EC_PUBLIC, Algorithm::ES256)).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("dpop-nonce", "fresh-nonce")
                .set_body_json(fixture("user")),
        )
        .mount(&server)
        .await;
    let client = OktaClient::new(oauth_config(&server.uri(), KeyAlgorithm::Es256, true)).unwrap();
    client.get_user("00u1").await.unwrap();
    client.get_user("00u1").await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    let nonces: Vec<Option<String>> = api_requests(&reqs)
        .iter()
        .map(|r| {
            let (_, c) = decode_unverified(r.headers.get("dpop").unwrap().to_str().unwrap());
            c.get("nonce").and_then(Value::as_str).map(str::to_owned)
        })
        .collect();
    assert_eq!(nonces, vec![None, Some("fresh-nonce".to_owned())]);
}
