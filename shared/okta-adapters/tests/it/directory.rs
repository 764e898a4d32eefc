//! The directory reads the subject user (and groups) from Okta with the org's credential.

use std::sync::Arc;
use std::time::Duration;

use okta_adapters::{OktaClients, OktaDirectory};
use org_secrets::{OrgName, OrgSecret, SecretCache, StaticSecrets};
use ports::Directory;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn directory(okta: &MockServer) -> OktaDirectory<StaticSecrets> {
    let text = json!({"okta": {"org_url": okta.uri(), "api_token": "00tok"}}).to_string();
    let secrets = StaticSecrets::new().with("acme", OrgSecret::from_json(&text).unwrap());
    let cache = Arc::new(SecretCache::new(
        secrets,
        Duration::from_secs(60),
        Duration::ZERO,
    ));
    OktaDirectory::new(OktaClients::new(cache, "event-router"))
}

#[tokio::test]
async fn reads_status_profile_and_groups() {
    let okta = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .and(header("authorization", "SSWS 00tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "00u1", "status": "ACTIVE", "profile": {"login": "a@example.com", "department": "Sales"}
        })))
        .expect(2)
        .mount(&okta)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1/groups"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "00g1", "type": "OKTA_GROUP", "profile": {"name": "Everyone"}}
        ])))
        .expect(1)
        .mount(&okta)
        .await;

    let directory = directory(&okta).await;
    let user = directory
        .user(&org("acme"), "00u1", true)
        .await
        .unwrap()
        .expect("the user exists");
    assert_eq!(user["status"], "ACTIVE");
    assert_eq!(user["profile"]["department"], "Sales");
    // The type tells rules which memberships the API can change.
    assert_eq!(
        user["groups"],
        json!([{"id": "00g1", "name": "Everyone", "type": "OKTA_GROUP"}])
    );
    let without = directory
        .user(&org("acme"), "00u1", false)
        .await
        .unwrap()
        .expect("the user exists");
    assert!(
        without.get("groups").is_none(),
        "no groups call when not asked"
    );
}

fn org(name: &str) -> OrgName {
    OrgName::parse(name).unwrap()
}

fn okta_error(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"errorCode": code, "errorSummary": "…"}))
}

#[tokio::test]
async fn a_user_okta_does_not_know_is_no_user_not_an_error() {
    let okta = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00ugone"))
        .respond_with(okta_error(404, "E0000007"))
        .expect(1)
        .mount(&okta)
        .await;
    let directory = directory(&okta).await;
    assert!(
        directory
            .user(&org("acme"), "00ugone", true)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_user_deleted_before_the_groups_call_is_no_user() {
    let okta = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "00u1"})))
        .mount(&okta)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1/groups"))
        .respond_with(okta_error(404, "E0000007"))
        .mount(&okta)
        .await;
    let directory = directory(&okta).await;
    assert!(
        directory
            .user(&org("acme"), "00u1", true)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn okta_unavailable_or_throttling_is_transient() {
    let okta = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u503"))
        .respond_with(okta_error(503, "E0000009"))
        .mount(&okta)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u429"))
        .respond_with(okta_error(429, "E0000047"))
        .mount(&okta)
        .await;
    let directory = directory(&okta).await;
    for id in ["00u503", "00u429"] {
        let error = directory.user(&org("acme"), id, false).await.unwrap_err();
        assert!(error.transient, "{id}: {error}");
    }
}

#[tokio::test]
async fn a_refused_scope_or_an_org_without_credential_is_permanent() {
    let okta = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .respond_with(okta_error(403, "E0000006"))
        .mount(&okta)
        .await;
    let directory = directory(&okta).await;
    let error = directory
        .user(&org("acme"), "00u1", false)
        .await
        .unwrap_err();
    assert!(!error.transient, "{error}");
    let error = directory
        .user(&org("other"), "00u1", false)
        .await
        .unwrap_err();
    assert!(!error.transient, "no secret for the org: {error}");
}
