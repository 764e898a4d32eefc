//! Request shape: headers, Content-Length on empty bodies, encoded logins, typed query
//! parameters, and a raw request.

use crate::common;

use common::*;
use http::Method;
use okta_client::endpoints::sessions::ClearSessionsQuery;
use okta_client::endpoints::users::{LifecycleOptions, ListUsersQuery};
use okta_client::{OktaError, USER_AGENT_PREFIX};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn empty_post_sends_content_length_zero_and_json_headers() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/00u1/lifecycle/suspend"))
        .and(header("content-length", "0"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v1/groups/00g1/users/00u1"))
        .and(header("content-length", "0"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = ssws_client(&server.uri());
    client.suspend_user("00u1").await.unwrap();
    client.add_user_to_group("00g1", "00u1").await.unwrap();
    let reqs = server.received_requests().await.unwrap();
    let ua = reqs[0].headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(ua.starts_with("okta-hooks/"), "{ua}");
    assert_eq!(ua, USER_AGENT_PREFIX);
}

#[tokio::test]
async fn json_body_has_content_type() {
    let server = MockServer::builder().start().await;
    let mut profile = serde_json::Map::new();
    profile.insert("name".into(), json!("Engineering"));
    Mock::given(method("POST"))
        .and(path("/api/v1/groups"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"profile": {"name": "Engineering"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("group")))
        .expect(1)
        .mount(&server)
        .await;
    let group = ssws_client(&server.uri())
        .create_group(&profile)
        .await
        .unwrap();
    assert_eq!(group.value.group_type.as_deref(), Some("OKTA_GROUP"));
}

#[tokio::test]
async fn login_is_percent_encoded_in_the_path() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/first.last%2Btag%40example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    ssws_client(&server.uri())
        .get_user("first.last+tag@example.com")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_login_with_a_slash_cannot_escape_its_segment() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/a%2F..%2Fgroups"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    ssws_client(&server.uri())
        .get_user("a/../groups")
        .await
        .unwrap();
}

#[tokio::test]
async fn typed_query_parameters() {
    let server = MockServer::builder().start().await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/users/00u1/sessions"))
        .and(query_param("oauthTokens", "true"))
        .and(query_param("forgetDevices", "false"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/00u1/lifecycle/deactivate"))
        .and(query_param("sendEmail", "false"))
        .and(header("prefer", "respond-async"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param(
            "search",
            "profile.department eq \"Engineering\"",
        ))
        .and(query_param("sortBy", "profile.lastName"))
        .and(query_param("sortOrder", "desc"))
        .and(query_param("limit", "200"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("users-list")))
        .expect(1)
        .mount(&server)
        .await;
    let client = ssws_client(&server.uri());
    client
        .clear_user_sessions(
            "00u1",
            &ClearSessionsQuery {
                oauth_tokens: Some(true),
                forget_devices: Some(false),
            },
        )
        .await
        .unwrap();
    client
        .deactivate_user(
            "00u1",
            LifecycleOptions {
                send_email: Some(false),
                respond_async: true,
            },
        )
        .await
        .unwrap();
    let query = ListUsersQuery {
        search: Some("profile.department eq \"Engineering\"".into()),
        sort_by: Some("profile.lastName".into()),
        sort_order: Some(okta_client::endpoints::SortOrder::Desc),
        limit: Some(200),
        ..Default::default()
    };
    let page = client
        .list_users(&query)
        .unwrap()
        .first_page()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn raw_request_gets_auth_and_typed_errors() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/org"))
        .and(query_param("x", "1"))
        .and(header(
            "authorization",
            format!("SSWS {API_TOKEN}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "00o1"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/nope"))
        .respond_with(ResponseTemplate::new(404).set_body_json(error_body("ErrorResourceNotFound")))
        .mount(&server)
        .await;
    let client = ssws_client(&server.uri());
    let raw = client
        .raw(Method::GET, "/api/v1/org?x=1", None)
        .await
        .unwrap();
    assert_eq!(raw.meta.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(body["id"], "00o1");
    let err = client
        .raw(Method::GET, "/api/v1/nope", None)
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("E0000007"));
    let foreign = client
        .raw(Method::GET, "https://other.example.com/api/v1/org", None)
        .await
        .unwrap_err();
    assert!(matches!(foreign, OktaError::InvalidRequest(_)));
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", "https://elsewhere.example.com/steal"),
        )
        .mount(&server)
        .await;
    let err = ssws_client(&server.uri())
        .get_user("00u1")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(302));
}
