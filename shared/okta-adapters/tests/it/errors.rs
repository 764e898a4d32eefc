//! A credential that makes no client: the error names the org and keeps what was wrong
//! as its source, through to the step runner's `AccessError`.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use okta_adapters::{CredentialError, OktaClientError, OktaClients};
use org_secrets::{OrgName, OrgSecret, SecretCache, SecretKind, StaticSecrets};
use ports::OktaAccess;
use serde_json::json;

fn clients_for(okta: &serde_json::Value) -> OktaClients<StaticSecrets> {
    let store = StaticSecrets::new();
    let secret = OrgSecret::from_json(&json!({ "okta": okta }).to_string()).expect("secret");
    store.set("acme", secret);
    let cache = SecretCache::new(store, Duration::from_secs(60), Duration::ZERO);
    OktaClients::new(Arc::new(cache), "test")
}

/// A key credential naming an algorithm the client does not take (the secret's own
/// parsing accepts any `key_alg`; the client configuration does not).
fn hs256() -> serde_json::Value {
    json!({
        "org_url": "https://acme.okta.com",
        "client_id": "0oa1",
        "private_key": "-----BEGIN PRIVATE KEY-----",
        "key_alg": "HS256",
    })
}

fn acme() -> OrgName {
    OrgName::parse("acme").expect("org")
}

#[tokio::test]
async fn an_unknown_key_algorithm_is_an_invalid_credential_that_keeps_its_cause() {
    let clients = clients_for(&hs256());
    let error = clients
        .client(&acme())
        .await
        .expect_err("HS256 makes no client");
    assert_eq!(
        error.to_string(),
        "the okta credential of org acme is unusable: key_alg must be RS256 or ES256, not HS256"
    );
    let source = error.source().expect("the credential error is kept");
    assert!(matches!(
        source.downcast_ref::<CredentialError>(),
        Some(CredentialError::KeyAlgorithm(alg)) if alg == "HS256"
    ));
}

#[tokio::test]
async fn the_step_runners_access_error_keeps_the_client_error_as_its_source() {
    let clients = clients_for(&hs256());
    let error = OktaAccess::client(&clients, &acme(), false)
        .await
        .expect_err("HS256 makes no client");
    assert_eq!(
        error.message,
        "the okta credential of org acme is unusable: key_alg must be RS256 or ES256, not HS256"
    );
    assert!(!error.retryable, "a bad credential is not retried");
    let source = error.source().expect("the client error is kept");
    assert!(matches!(
        source.downcast_ref::<OktaClientError>(),
        Some(OktaClientError::Invalid {
            source: CredentialError::KeyAlgorithm(_),
            ..
        })
    ));
}

/// The org's secrets without an Okta credential (the signing keys only).
fn clients_without_credential() -> OktaClients<StaticSecrets> {
    let store = StaticSecrets::new();
    let secret = OrgSecret::from_json(
        &json!({"signing": {"active": "k1", "keys": {"k1": "0123456789abcdef0123456789abcdef"}}})
            .to_string(),
    )
    .expect("secret");
    store.set("acme", secret);
    let cache = SecretCache::new(store, Duration::from_secs(60), Duration::ZERO);
    OktaClients::new(Arc::new(cache), "test")
}

#[tokio::test]
async fn an_org_without_its_familys_credential_names_the_secret_to_create_and_is_not_retried() {
    // ExecutorCredentials=PerFamilyOnly: the users executor reads okta-users alone.
    let users = SecretKind::okta_family("users").expect("a family");
    let clients = clients_without_credential().naming_credential_secrets("okta-hooks/", &[users]);
    let error = clients.client(&acme()).await.expect_err("no credential");
    assert_eq!(
        error.to_string(),
        "org acme has no Okta credential: create the secret okta-hooks/acme/okta-users"
    );
    let access = OktaAccess::client(&clients, &acme(), false)
        .await
        .expect_err("no credential");
    assert!(
        access.message.contains("okta-hooks/acme/okta-users"),
        "{}",
        access.message
    );
    assert!(!access.retryable, "a missing credential is not retried");
    // PerFamily: either secret would do, tried in this order.
    let both = [
        SecretKind::okta_family("users").expect("a family"),
        SecretKind::Okta,
    ];
    let clients = clients_without_credential().naming_credential_secrets("team/", &both);
    let error = clients.client(&acme()).await.expect_err("no credential");
    assert_eq!(
        error.to_string(),
        "org acme has no Okta credential: create the secret team/acme/okta-users or team/acme/okta"
    );
    // Without the names (the single secret of before the split): as before.
    let error = clients_without_credential()
        .client(&acme())
        .await
        .expect_err("no credential");
    assert!(matches!(error, OktaClientError::NoCredential(ref org) if *org == acme()));
}
