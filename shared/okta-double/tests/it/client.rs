//! The project's own Okta client against the double: what the executors will see.

use std::time::Duration;

use okta_client::endpoints::logs::LogQuery;
use okta_client::endpoints::users::ListUsersQuery;
use okta_client::{
    AuthConfig, ErrorClass, LogCursor, OktaClient, OktaConfig, OktaError, SecretString,
};
use okta_double::{BucketName, Fault, Group, OktaDouble, User};

fn client(okta: &okta_double::Running) -> OktaClient {
    let config = OktaConfig::new(
        &okta.org_url(),
        AuthConfig::ApiToken(SecretString::from(okta.token().to_owned())),
    )
    .unwrap();
    OktaClient::new(config).unwrap()
}

#[tokio::test]
async fn the_client_suspends_an_active_user_and_reads_e0000038_on_a_locked_out_one() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.add_user(User::locked_out("00u2", "l@example.com"));
    let client = client(&okta);

    client.suspend_user("00u1").await.unwrap();
    let error = client.suspend_user("00u2").await.unwrap_err();

    assert_eq!(
        error.error_code(),
        Some(okta_client::E_NOT_ALLOWED_IN_CURRENT_STATUS)
    );
    assert_eq!(error.class(), ErrorClass::AlreadyInState);
    assert_eq!(error.status(), Some(403));
    assert!(error.request_id().is_some());
    assert_eq!(okta.status("00u1"), Some("SUSPENDED"));
    assert_eq!(okta.status("00u2"), Some("LOCKED_OUT"));
    let read = client.get_user("00u2").await.unwrap().value;
    assert_eq!(read.status.as_deref(), Some("LOCKED_OUT"));
    assert_eq!(okta.applied_total("suspend"), 1);
}

#[tokio::test]
async fn the_client_reads_the_doubles_429_as_throttled_with_okta_s_wait() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.set_rate_limit(BucketName::UsersWrite, 1, Duration::from_secs(20));
    let client = client(&okta);

    client.suspend_user("00u1").await.unwrap();
    let error = client.unsuspend_user("00u1").await.unwrap_err();

    let ErrorClass::Throttled {
        retry_after: Some(wait),
    } = error.class()
    else {
        panic!("not throttled: {error}");
    };
    assert!((20..=22).contains(&wait.as_secs()), "{wait:?}");
    assert_eq!(okta.status("00u1"), Some("SUSPENDED"));
}

#[tokio::test]
async fn the_client_times_out_on_a_delayed_answer_whose_change_was_applied() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.fault(Fault::delay(
        "POST",
        "/api/v1/users/00u1/lifecycle/suspend",
        Duration::from_secs(30),
    ));
    let mut config = OktaConfig::new(
        &okta.org_url(),
        AuthConfig::ApiToken(SecretString::from(okta.token().to_owned())),
    )
    .unwrap();
    config.timeout = Duration::from_millis(200);
    let client = OktaClient::new(config).unwrap();

    let error = client.suspend_user("00u1").await.unwrap_err();

    assert!(matches!(error, OktaError::Timeout { .. }), "{error}");
    assert_eq!(error.class(), ErrorClass::Retryable);
    assert_eq!(okta.applied("suspend", "00u1"), 1);
}

#[tokio::test]
async fn the_client_pages_through_users_and_writes_memberships() {
    let okta = OktaDouble::start().await;
    for i in 1..=5 {
        okta.add_user(User::active(format!("00u{i}"), format!("u{i}@example.com")));
    }
    okta.add_group(Group::okta("00g1", "Eng"));
    let client = client(&okta);

    let paged = client
        .list_users(&ListUsersQuery {
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    let ids: Vec<String> = paged
        .all()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|u| u.id)
        .collect();
    client.add_user_to_group("00g1", "00u3").await.unwrap();
    client.add_user_to_group("00g1", "00u3").await.unwrap();

    assert_eq!(ids, ["00u1", "00u2", "00u3", "00u4", "00u5"]);
    assert_eq!(okta.request_count("GET", "/api/v1/users"), 3);
    assert_eq!(okta.members("00g1"), ["00u3"]);
    assert_eq!(okta.applied_membership("add_to_group", "00g1", "00u3"), 1);
}

fn log_event(uuid: &str, minute: u32) -> serde_json::Value {
    serde_json::json!({
        "uuid": uuid,
        "published": format!("2026-11-30T10:{minute:02}:00.000Z"),
        "eventType": "user.lifecycle.suspend",
        "version": "0",
        "target": [{"id": "00u1", "type": "User"}],
    })
}

fn uuids(events: &[okta_client::models::LogEvent]) -> Vec<String> {
    events.iter().filter_map(|e| e.uuid.clone()).collect()
}

#[tokio::test]
async fn the_client_pages_through_every_event_of_a_bounded_system_log_query() {
    let okta = OktaDouble::start().await;
    for minute in [4, 1, 3, 2, 5] {
        okta.log_event(log_event(&format!("e{minute}"), minute));
    }
    let client = client(&okta);

    let events = client
        .query_logs(&LogQuery {
            since: Some("2026-11-30T10:00:00.000Z".into()),
            until: Some("2026-11-30T11:00:00.000Z".into()),
            limit: Some(2),
            ..LogQuery::default()
        })
        .unwrap()
        .all()
        .await
        .unwrap();

    assert_eq!(uuids(&events), ["e1", "e2", "e3", "e4", "e5"]);
    assert_eq!(okta.request_count("GET", "/api/v1/logs"), 3);
}

#[tokio::test]
async fn the_client_polls_the_system_log_until_caught_up_and_resumes_from_its_next_link() {
    let okta = OktaDouble::start().await;
    for minute in 1..=3 {
        okta.log_event(log_event(&format!("e{minute}"), minute));
    }
    let client = client(&okta);
    let start = client
        .log_poll_start(&LogQuery {
            since: Some("2026-01-01T00:00:00.000Z".into()),
            limit: Some(2),
            ..LogQuery::default()
        })
        .unwrap();

    let first = client.poll_logs(&start, 10).await.unwrap();
    okta.log_event(log_event("e4", 4));
    let second = client
        .poll_logs(&LogCursor::Next(first.next.clone()), 10)
        .await
        .unwrap();

    assert_eq!(uuids(&first.events), ["e1", "e2", "e3"]);
    assert!(first.caught_up);
    assert_eq!(first.pages, 3);
    assert_eq!(uuids(&second.events), ["e4"]);
    assert!(second.caught_up);
}
