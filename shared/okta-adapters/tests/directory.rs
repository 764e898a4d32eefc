//! The directory reads the subject user (and groups) from Okta with the org's credential.

use std::sync::Arc;
use std::time::Duration;

use okta_adapters::{OktaClients, OktaDirectory};
use org_secrets::{OrgSecret, SecretCache, StaticSecrets};
use router::Directory;
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
    let okta = MockServer::start().await;
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
    let user = directory.user("acme", "00u1", true).await.unwrap();
    assert_eq!(user["status"], "ACTIVE");
    assert_eq!(user["profile"]["department"], "Sales");
    // The type tells rules which memberships the API can change.
    assert_eq!(
        user["groups"],
        json!([{"id": "00g1", "name": "Everyone", "type": "OKTA_GROUP"}])
    );
    let without = directory.user("acme", "00u1", false).await.unwrap();
    assert!(
        without.get("groups").is_none(),
        "no groups call when not asked"
    );
}

#[tokio::test]
async fn an_org_without_credential_or_an_okta_error_is_an_error() {
    let okta = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"errorCode": "E0000007", "errorSummary": "Not found"})),
        )
        .mount(&okta)
        .await;
    let directory = directory(&okta).await;
    assert!(directory.user("acme", "00u404", false).await.is_err());
    assert!(directory.user("other", "00u1", false).await.is_err());
}
