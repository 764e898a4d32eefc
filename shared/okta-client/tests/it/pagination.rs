//! `Link: rel="next"` pagination over three pages, and the never-ending System Log poll.

use crate::common;

use common::*;
use futures_util::TryStreamExt;
use okta_client::endpoints::logs::LogQuery;
use okta_client::endpoints::users::ListUsersQuery;
use okta_client::{LogCursor, OktaError};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn user(id: &str) -> Value {
    let mut u = fixture("user");
    u["id"] = json!(id);
    u
}

fn link(uri: &str, query: &str, rel: &str) -> String {
    format!("<{uri}/api/v1/users?{query}>; rel=\"{rel}\"")
}

async fn three_pages(server: &MockServer) {
    let uri = server.uri();
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("limit", "2"))
        .and(query_param_is_missing("after"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("link", link(&uri, "limit=2", "self").as_str())
                .append_header("link", link(&uri, "after=00u2&limit=2", "next").as_str())
                .set_body_json(json!([user("00u1"), user("00u2")])),
        )
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("after", "00u2"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("link", link(&uri, "after=00u2&limit=2", "self").as_str())
                .append_header("link", link(&uri, "after=00u4&limit=2", "next").as_str())
                .set_body_json(json!([user("00u3"), user("00u4")])),
        )
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("after", "00u4"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("link", link(&uri, "after=00u4&limit=2", "self").as_str())
                .set_body_json(json!([user("00u5")])),
        )
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn three_pages_as_items() {
    let server = MockServer::builder().start().await;
    three_pages(&server).await;
    let client = ssws_client(&server.uri());
    let query = ListUsersQuery {
        limit: Some(2),
        ..Default::default()
    };
    let users = client.list_users(&query).unwrap().all().await.unwrap();
    let ids: Vec<_> = users.iter().map(|u| u.id.clone().unwrap()).collect();
    assert_eq!(ids, ["00u1", "00u2", "00u3", "00u4", "00u5"]);
}

#[tokio::test]
async fn three_pages_as_pages_follow_next_verbatim() {
    let server = MockServer::builder().start().await;
    three_pages(&server).await;
    let client = ssws_client(&server.uri());
    let query = ListUsersQuery {
        limit: Some(2),
        ..Default::default()
    };
    let pages: Vec<_> = client
        .list_users(&query)
        .unwrap()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].items.len(), 2);
    assert_eq!(
        pages[0].next.as_ref().unwrap().as_str(),
        format!("{}/api/v1/users?after=00u2&limit=2", server.uri())
    );
    assert!(pages[2].next.is_none());
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(
        reqs[1].url.query(),
        Some("after=00u2&limit=2"),
        "the link is followed as sent"
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header(
                    "link",
                    "<https://evil.example.com/api/v1/users?after=x>; rel=\"next\"",
                )
                .set_body_json(json!([user("00u1")])),
        )
        .mount(&server)
        .await;
    let client = ssws_client(&server.uri());
    let err = client
        .list_users(&Default::default())
        .unwrap()
        .first_page()
        .await
        .unwrap_err();
    assert!(matches!(err, OktaError::InvalidRequest(_)), "{err:?}");
}

fn log_link(uri: &str, after: &str) -> String {
    format!("<{uri}/api/v1/logs?limit=1&sortOrder=ASCENDING&after={after}>; rel=\"next\"")
}

async fn endless_log(server: &MockServer) {
    let uri = server.uri();
    let event = fixture("logs-list")[0].clone();
    // First page: one event.
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(query_param_is_missing("after"))
        .and(query_param("sortOrder", "ASCENDING"))
        .and(query_param_is_missing("until"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("link", log_link(&uri, "c1").as_str())
                .set_body_json(json!([event])),
        )
        .mount(server)
        .await;
    // Second page: one event.
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(query_param("after", "c1"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("link", log_link(&uri, "c2").as_str())
                .set_body_json(json!([event])),
        )
        .mount(server)
        .await;
    // Caught up: empty, and still a next link — forever.
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(query_param("after", "c2"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("link", log_link(&uri, "c2").as_str())
                .set_body_json(json!([])),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn endless_log_poll_stops_when_caught_up_and_exposes_the_link() {
    let server = MockServer::builder().start().await;
    endless_log(&server).await;
    let client = ssws_client(&server.uri());
    let query = LogQuery {
        limit: Some(1),
        sort_order: Some(okta_client::endpoints::logs::LogSortOrder::Ascending),
        filter: Some("eventType eq \"user.session.start\"".into()),
        ..Default::default()
    };
    let start = client.log_poll_start(&query).unwrap();
    let poll = client.poll_logs(&start, 100).await.unwrap();
    assert_eq!(poll.events.len(), 2);
    assert_eq!(
        poll.events[0].event_type.as_deref(),
        Some("user.session.start")
    );
    assert!(poll.caught_up);
    assert_eq!(poll.pages, 3);
    assert!(poll.next.as_str().ends_with("after=c2"), "{}", poll.next);

    // Next run: resume from the stored link; nothing new.
    let again = client
        .poll_logs(&LogCursor::Next(poll.next.clone()), 100)
        .await
        .unwrap();
    assert!(again.events.is_empty());
    assert_eq!(again.pages, 1);
    assert_eq!(again.next, poll.next);
}

#[tokio::test]
async fn log_poll_respects_its_page_budget() {
    let server = MockServer::builder().start().await;
    endless_log(&server).await;
    let client = ssws_client(&server.uri());
    let start = client
        .log_poll_start(&LogQuery {
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    let poll = client.poll_logs(&start, 1).await.unwrap();
    assert_eq!(poll.pages, 1);
    assert_eq!(poll.events.len(), 1);
    assert!(!poll.caught_up);
    assert!(poll.next.as_str().ends_with("after=c1"));
}

#[tokio::test]
async fn a_bounded_query_is_not_a_poll() {
    let server = MockServer::builder().start().await;
    let client = ssws_client(&server.uri());
    let bounded = LogQuery {
        until: Some("2026-01-01T00:00:00Z".into()),
        ..Default::default()
    };
    assert!(client.log_poll_start(&bounded).is_err());
}
