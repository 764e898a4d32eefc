//! Dry run: writes are recorded (exact method, URL, body) and never reach the server;
//! reads reach it only with `live_reads`; an offline client opens no connection at all;
//! what is logged is redacted (`tests/dry_run_log.rs`, alone in its binary so that no
//! other test's thread races its log capture).

use crate::common;

use common::*;
use futures_util::TryStreamExt;
use http::Method;
use okta_client::endpoints::logs::LogQuery;
use okta_client::endpoints::users::{
    CreateUserQuery, LifecycleOptions, ListUsersQuery, StrictQuery, UserWrite,
};
use okta_client::{
    AuthConfig, DryRun, LogCursor, OktaClient, RecordedRequest, RequestLog, SecretString,
};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASSWORD: &str = "Pa55-word!-DO-NOT-LOG";

/// A server that answers the user read, and 500 to anything else: a write that got
/// through would fail the action, not only the assertion on received requests.
async fn server() -> MockServer {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-okta-request-id", "live-read")
                .set_body_json(fixture("user")),
        )
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_body_json(error_body("ErrorInternalServer")))
        .mount(&server)
        .await;
    server
}

fn dry_client(uri: &str, dry_run: DryRun) -> OktaClient {
    OktaClient::new(ssws_config(uri).with_dry_run(dry_run)).unwrap()
}

fn user_with_password() -> UserWrite {
    UserWrite {
        profile: json!({"login": "isaac@example.com"}).as_object().cloned(),
        credentials: Some(json!({"password": {"value": PASSWORD}})),
        ..UserWrite::default()
    }
}

fn recorded(method: &str, url: String, body: Option<Value>) -> RecordedRequest {
    RecordedRequest {
        method: method.into(),
        url,
        body,
    }
}

async fn received(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

#[tokio::test]
async fn writes_are_recorded_not_sent_and_reads_are_live() {
    let server = server().await;
    let log = RequestLog::new();
    let okta = dry_client(&server.uri(), DryRun::with_live_reads(log.clone()));
    let uri = server.uri();

    let read = okta.get_user("00u1").await.unwrap();
    assert_eq!(read.value.id.as_deref(), Some("00ub0oNGTSWTBKOLGLNR"));
    assert_eq!(read.meta.request_id.as_deref(), Some("live-read"));
    assert!(!read.meta.is_dry_run());

    let suspended = okta.suspend_user("00u1").await.unwrap();
    assert!(suspended.meta.is_dry_run());
    assert_eq!(suspended.meta.status, 204);
    assert_eq!(suspended.meta.request_id, None);

    let created = okta
        .create_user(
            &user_with_password(),
            &CreateUserQuery {
                activate: Some(false),
                ..CreateUserQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(created.meta.status, 200);
    assert!(created.meta.is_dry_run());
    assert_eq!(created.value, okta_client::models::User::default());

    okta.delete_user(
        "00u1",
        LifecycleOptions {
            send_email: Some(false),
            ..LifecycleOptions::default()
        },
    )
    .await
    .unwrap();
    let raw = okta
        .raw(Method::PATCH, "/api/v1/things/1", Some(&json!({"a": 1})))
        .await
        .unwrap();
    assert_eq!(raw.meta.status, 200);

    // A client made for a rotated credential stays in dry run.
    let rotated = okta
        .with_auth(AuthConfig::ApiToken(SecretString::from("00other")))
        .unwrap();
    rotated.unlock_user("00u1").await.unwrap();

    assert_eq!(received(&server).await, ["GET /api/v1/users/00u1"]);
    assert_eq!(
        log.take(),
        [
            recorded(
                "POST",
                format!("{uri}/api/v1/users/00u1/lifecycle/suspend"),
                None
            ),
            recorded(
                "POST",
                format!("{uri}/api/v1/users?activate=false"),
                Some(json!({"profile": {"login": "isaac@example.com"},
                            "credentials": {"password": {"value": PASSWORD}}})),
            ),
            recorded(
                "DELETE",
                format!("{uri}/api/v1/users/00u1?sendEmail=false"),
                None
            ),
            recorded(
                "PATCH",
                format!("{uri}/api/v1/things/1"),
                Some(json!({"a": 1}))
            ),
            recorded(
                "POST",
                format!("{uri}/api/v1/users/00u1/lifecycle/unlock"),
                None
            ),
        ]
    );
}

#[tokio::test]
async fn without_live_reads_reads_are_recorded_and_synthesized_too() {
    let server = server().await;
    let log = RequestLog::new();
    let okta = dry_client(&server.uri(), DryRun::offline(log.clone()));

    let read = okta.get_user("00u1").await.unwrap();
    assert!(read.meta.is_dry_run());
    assert_eq!(read.value.id, None);
    let users = okta
        .list_users(&ListUsersQuery::default())
        .unwrap()
        .all()
        .await
        .unwrap();
    assert!(users.is_empty());
    okta.update_user(
        "00u1",
        &user_with_password(),
        &StrictQuery { strict: Some(true) },
    )
    .await
    .unwrap();

    assert!(
        received(&server).await.is_empty(),
        "nothing reaches the org"
    );
    let methods: Vec<(String, String)> = log
        .take()
        .into_iter()
        .map(|r| (r.method.clone(), r.path_and_query()))
        .collect();
    assert_eq!(
        methods,
        [
            ("GET".to_owned(), "/api/v1/users/00u1".to_owned()),
            ("GET".to_owned(), "/api/v1/users".to_owned()),
            (
                "POST".to_owned(),
                "/api/v1/users/00u1?strict=true".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn offline_client_needs_no_org_and_opens_no_connection() {
    // A port nothing answers on: any connection attempt would be a transport error.
    let closed = okta_fixtures::RefusingPort::hold();
    let org = closed.url();
    let log = RequestLog::new();
    let okta = OktaClient::offline_dry_run(&org, log.clone()).unwrap();
    assert!(okta.dry_run().is_some_and(|d| !d.live_reads));

    let user = okta.get_user("isaac@example.com").await.unwrap();
    assert_eq!(user.value.id, None);
    // A list type reads the synthetic `[]`, not `{}`.
    let hooks = okta.list_event_hooks().await.unwrap();
    assert!(hooks.value.is_empty());
    // Pagination ends on a synthetic page (no `next` link).
    let pages: Vec<_> = okta
        .list_users(&ListUsersQuery::default())
        .unwrap()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert!(pages[0].items.is_empty() && pages[0].next.is_none());
    // A System Log poll is caught up and stays where it started.
    let cursor = okta.log_poll_start(&LogQuery::default()).unwrap();
    let poll = okta.poll_logs(&cursor, 5).await.unwrap();
    assert!(poll.caught_up && poll.events.is_empty());
    assert_eq!(
        LogCursor::Next(poll.next),
        LogCursor::Next(cursor_url(&cursor))
    );
    // Writes, lifecycle calls with a JSON answer, raw requests.
    okta.suspend_user("00u1").await.unwrap();
    let activated = okta.activate_user("00u1", Some(false)).await.unwrap();
    assert_eq!(activated.value, json!({}));
    let raw = okta
        .raw(
            Method::POST,
            "/api/v1/users?activate=false",
            Some(&json!({})),
        )
        .await
        .unwrap();
    assert_eq!((raw.meta.status, raw.body.as_ref()), (200, &b"{}"[..]));

    let log = log.take();
    assert_eq!(log.len(), 7, "{log:#?}");
    assert!(log.iter().all(|r| r.url.starts_with(&org)));
    assert_eq!(
        log[0].url,
        format!("{org}/api/v1/users/isaac%40example.com")
    );
    // An offline client still refuses another origin rather than recording it.
    assert!(
        okta.raw(Method::GET, "https://evil.example.com/x", None)
            .await
            .is_err()
    );
}

fn cursor_url(cursor: &LogCursor) -> url::Url {
    match cursor {
        LogCursor::Start(u) | LogCursor::Next(u) => u.clone(),
    }
}
