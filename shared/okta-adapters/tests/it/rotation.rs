//! A rotated Okta credential reaches the org's client once the secret cache has it,
//! without a cold start.

use std::sync::Arc;
use std::time::Duration;

use okta_adapters::OktaClients;
use org_secrets::{OrgName, OrgSecret, SecretCache, StaticSecrets};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn secret(org_url: &str, token: &str) -> OrgSecret {
    OrgSecret::from_json(&json!({"okta": {"org_url": org_url, "api_token": token}}).to_string())
        .expect("secret")
}

#[tokio::test]
async fn the_next_client_after_a_rotation_uses_the_new_token() {
    let okta = MockServer::builder().start().await;
    for token in ["old-token", "new-token"] {
        Mock::given(method("GET"))
            .and(path("/api/v1/users/00u1"))
            .and(header("authorization", format!("SSWS {token}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "00u1"})))
            .expect(1)
            .mount(&okta)
            .await;
    }
    let store = StaticSecrets::new();
    store.set("acme", secret(&okta.uri(), "old-token"));
    // TTL 0: every call re-reads the (in-memory) store, as a cache whose entry expired.
    let cache = Arc::new(SecretCache::new(
        store.clone(),
        Duration::ZERO,
        Duration::ZERO,
    ));
    let clients = OktaClients::new(cache, "test");
    let org = OrgName::parse("acme").expect("org");

    let client = clients.client(&org).await.expect("client");
    client.get_user("00u1").await.expect("old token accepted");
    store.set("acme", secret(&okta.uri(), "new-token"));
    let client = clients.client(&org).await.expect("client");
    client.get_user("00u1").await.expect("new token used");
    okta.verify().await;
}

#[tokio::test]
async fn a_request_timeout_shorter_than_a_slow_answer_ends_the_call_as_a_retryable_timeout() {
    let okta = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "00u1"}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&okta)
        .await;
    let store = StaticSecrets::new();
    store.set("acme", secret(&okta.uri(), "token"));
    let cache = Arc::new(SecretCache::new(
        store,
        Duration::from_secs(60),
        Duration::ZERO,
    ));
    let clients = OktaClients::new(cache, "test").request_timeout(Duration::from_millis(300));
    let org = OrgName::parse("acme").expect("org");

    let client = clients.client(&org).await.expect("client");
    let error = client.get_user("00u1").await.expect_err("timed out");
    assert!(
        matches!(error, okta_client::OktaError::Timeout { .. }),
        "{error:?}"
    );
    assert_eq!(error.class(), okta_client::ErrorClass::Retryable);
}
