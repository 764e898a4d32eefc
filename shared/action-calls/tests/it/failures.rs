//! How failures are classified for the executor Lambda, and the special behaviours:
//! 429 → throttled with Okta's retry-after, E0000038/E0000016 → done only when the user
//! is already where the action leads, else permanent naming the status, 404 →
//! permanent with Okta's details, 5xx/timeouts → retryable, invalid parameters → no
//! request at all, `user.delete`'s two calls, bounded lists.

use crate::common;

use std::time::Duration;

use action_calls::{ExecError, Executor, FailureClass, execute};
use common::*;
use okta_client::{AuthConfig, OktaClient, OktaConfig, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn okta_error(status: u16, example: &str, request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-okta-request-id", request_id)
        .set_body_json(error_body(example))
}

fn code_error(status: u16, code: &str, summary: &str, request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-okta-request-id", request_id)
        .set_body_json(json!({"errorCode": code, "errorSummary": summary,
                              "errorLink": code, "errorId": "oaeX", "errorCauses": []}))
}

#[tokio::test]
async fn rate_limited_is_throttled_with_okta_s_retry_after_and_never_waits() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/00u1/lifecycle/suspend"))
        .respond_with(
            okta_error(429, "ErrorTooManyRequests", "req-429")
                .insert_header("x-rate-limit-limit", "600")
                .insert_header("x-rate-limit-remaining", "0")
                .insert_header("x-rate-limit-reset", "1445412510")
                .insert_header("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let e = execute(
        &client(&server),
        "user.suspend",
        &params(json!({"user": "00u1"})),
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "it slept");
    assert_eq!(
        e.class(),
        FailureClass::Throttled {
            retry_after: Some(Duration::from_secs(31))
        }
    );
    assert_eq!(e.error_code(), Some("E0000047"));
    assert_eq!(e.request_id(), Some("req-429"));
    let report = serde_json::to_value(e.report()).unwrap();
    assert_eq!(report["class"], "throttled");
    assert_eq!(report["retry_after_secs"], 31);
    assert_eq!(report["errorCode"], "E0000047");
    assert_eq!(report["status"], 429);
}

fn user_in(status: &str, request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-okta-request-id", request_id)
        .set_body_json(json!({"id": "00u1", "status": status,
                              "profile": {"login": "a@example.com"}}))
}

async fn refused_then_read_as(server: &MockServer, action_path: &str, code: &str, status: &str) {
    Mock::given(method("POST"))
        .and(path(action_path))
        .respond_with(code_error(
            403,
            code,
            "This operation is not allowed in the user's current status.",
            "req-refused",
        ))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(user_in(status, "req-read"))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_refused_suspend_of_a_suspended_user_is_done() {
    let server = MockServer::builder().start().await;
    refused_then_read_as(
        &server,
        "/api/v1/users/00u1/lifecycle/suspend",
        "E0000038",
        "SUSPENDED",
    )
    .await;
    let suspended = execute(
        &client(&server),
        "user.suspend",
        &params(json!({"user": "00u1"})),
    )
    .await
    .unwrap();
    assert!(suspended.already_in_state);
    assert_eq!(suspended.request_ids, vec!["req-refused", "req-read"]);
    assert_eq!(suspended.output, json!({}));
}

#[tokio::test]
async fn a_refused_suspend_of_a_locked_out_user_fails_naming_the_status() {
    let server = MockServer::builder().start().await;
    refused_then_read_as(
        &server,
        "/api/v1/users/00u1/lifecycle/suspend",
        "E0000038",
        "LOCKED_OUT",
    )
    .await;
    let e = execute(
        &client(&server),
        "user.suspend",
        &params(json!({"user": "00u1"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.class(), FailureClass::Permanent);
    assert_eq!(
        e.to_string(),
        "user is LOCKED_OUT; user.suspend needs ACTIVE"
    );
    let report = serde_json::to_value(e.report()).unwrap();
    assert_eq!(report["class"], "permanent");
    assert_eq!(report["userStatus"], "LOCKED_OUT");
    assert_eq!(report["errorCode"], "E0000038");
    assert_eq!(report["requestId"], "req-refused");
    assert_eq!(report["status"], 403);
}

#[tokio::test]
async fn an_activation_refused_as_already_active_is_done_for_active_and_provisioned_users() {
    for status in ["ACTIVE", "PROVISIONED"] {
        let server = MockServer::builder().start().await;
        refused_then_read_as(
            &server,
            "/api/v1/users/00u1/lifecycle/activate",
            "E0000016",
            status,
        )
        .await;
        let activated = execute(
            &client(&server),
            "user.activate",
            &params(json!({"user": "00u1"})),
        )
        .await
        .unwrap();
        assert!(activated.already_in_state, "{status}");
    }
}

#[tokio::test]
async fn a_status_refusal_of_an_action_without_a_target_status_is_never_done() {
    // A password reset refused for a SUSPENDED user did not reset anything: no reset URL
    // reaches the next step, so it must fail, not pass as "already so".
    let server = MockServer::builder().start().await;
    refused_then_read_as(
        &server,
        "/api/v1/users/00u1/lifecycle/reset_password",
        "E0000038",
        "SUSPENDED",
    )
    .await;
    let e = execute(
        &client(&server),
        "user.password.reset",
        &params(json!({"user": "00u1", "send_email": false})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.class(), FailureClass::Permanent);
    assert_eq!(
        e.to_string(),
        "user is SUSPENDED; Okta does not allow user.password.reset in that status"
    );
}

#[tokio::test]
async fn a_status_refusal_whose_user_cannot_be_read_now_is_retried() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/00u1/lifecycle/unsuspend"))
        .respond_with(code_error(403, "E0000038", "not allowed", "req-refused"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(okta_error(500, "ErrorInternalServer", "req-500"))
        .mount(&server)
        .await;
    let e = execute(
        &client(&server),
        "user.unsuspend",
        &params(json!({"user": "00u1"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.class(), FailureClass::Retryable);
}

#[tokio::test]
async fn not_found_is_permanent_with_okta_s_code_summary_and_request_id() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups/00gMISSING"))
        .respond_with(okta_error(404, "ErrorResourceNotFound", "req-404"))
        .expect(1)
        .mount(&server)
        .await;
    let e = execute(
        &client(&server),
        "group.get",
        &params(json!({"group": "00gMISSING"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.class(), FailureClass::Permanent);
    assert_eq!(e.status(), Some(404));
    assert_eq!(e.error_code(), Some("E0000007"));
    assert_eq!(e.error_summary(), Some("Not found: {0}"));
    assert_eq!(e.request_id(), Some("req-404"));
    let report = serde_json::to_value(e.report()).unwrap();
    assert_eq!(
        report,
        json!({
            "class": "permanent",
            "error": e.to_string(),
            "status": 404,
            "errorCode": "E0000007",
            "errorSummary": "Not found: {0}",
            "requestId": "req-404"
        })
    );
    assert!(e.to_string().contains("E0000007"), "{e}");
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retryable() {
    let server = MockServer::builder().start().await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/users/00u1/sessions"))
        .respond_with(okta_error(500, "ErrorInternalServer", "req-500"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let e = execute(
        &client(&server),
        "user.sessions.clear",
        &params(json!({"user": "00u1"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.class(), FailureClass::Retryable);
    assert_eq!(e.error_code(), Some("E0000009"));
    assert_eq!(e.request_id(), Some("req-500"));

    let mut config = OktaConfig::new(
        &server.uri(),
        AuthConfig::ApiToken(SecretString::from(API_TOKEN)),
    )
    .unwrap();
    config.timeout = Duration::from_millis(300);
    let impatient = OktaClient::new(config).unwrap();
    let e = execute(&impatient, "user.get", &params(json!({"user": "slow"})))
        .await
        .unwrap_err();
    assert_eq!(e.class(), FailureClass::Retryable, "{e}");

    // Nothing listens on this port: a connection failure.
    let closed = okta_fixtures::RefusingPort::hold();
    let auth = AuthConfig::ApiToken(SecretString::from(API_TOKEN));
    let nowhere = OktaClient::new(OktaConfig::new(&closed.url(), auth).unwrap()).unwrap();
    let e = execute(&nowhere, "user.get", &params(json!({"user": "00u1"})))
        .await
        .unwrap_err();
    assert_eq!(e.class(), FailureClass::Retryable, "{e}");
}

#[tokio::test]
async fn invalid_parameters_are_permanent_and_send_nothing() {
    let server = MockServer::builder().start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(0)
        .mount(&server)
        .await;
    let okta = client(&server);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("user.suspend", json!({}), "missing parameter `user`"),
        ("user.suspend", json!({"user": 42}), "must be string"),
        (
            "user.suspend",
            json!({"user": "00u1", "usr": "x"}),
            "unknown parameter `usr`",
        ),
        ("user.suspend", json!({"user": ""}), "`user` is empty"),
        ("user.find", json!({}), "give `login` or `email`"),
        ("user.find", json!({"login": "a", "email": "b"}), "not both"),
        ("user.search", json!({"limit": 0}), "at least 1"),
        (
            "user.search",
            json!({"sort_order": "sideways"}),
            "`asc` or `desc`",
        ),
        (
            "user.roles.assign",
            json!({"user": "00u1", "type": "CUSTOM"}),
            "`resource_set`",
        ),
        (
            "user.roles.assign",
            json!({"user": "00u1", "type": "USER_ADMIN", "role": "cr0"}),
            "CUSTOM only",
        ),
        (
            "app.update_assignment",
            json!({"app": "0oa1", "user": "00u1"}),
            "`profile` or `credentials`",
        ),
        (
            "log.query",
            json!({"sort_order": "up"}),
            "ASCENDING or DESCENDING",
        ),
        (
            "event_hook.create",
            json!({"hook_name": "h", "url": "https://x", "events": [],
                                     "auth_header": "X-A"}),
            "`auth_value_secret`",
        ),
        (
            "event_hook.create",
            json!({"hook_name": "h", "url": "https://x", "events": [],
                                     "headers": {"X-A": 1}}),
            "must be a string",
        ),
        (
            "okta.request",
            json!({"method": "TRACE", "path": "/api/v1/users"}),
            "`method`",
        ),
        ("no.such.action", json!({}), "unknown action"),
    ];
    for (action, p, expected) in cases {
        let e = execute(&okta, action, &params(p.clone()))
            .await
            .unwrap_err();
        assert_eq!(e.class(), FailureClass::Permanent, "{action} {p}");
        assert!(
            e.to_string().contains(expected),
            "{action} {p}: `{e}` does not say `{expected}`"
        );
    }
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn passwords_never_appear_in_errors() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(code_error(
            400,
            "E0000001",
            "Api validation failed: password",
            "r",
        ))
        .mount(&server)
        .await;
    let okta = client(&server);
    let e = execute(
        &okta,
        "user.password.set",
        &params(json!({"user": "00u1", "password": "Hunter2-SECRET"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.class(), FailureClass::Permanent);
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains("Hunter2-SECRET"), "{text}");
        assert!(!text.contains(API_TOKEN), "{text}");
    }
    // A wrongly typed password: the error names the parameter, not the value.
    let e = execute(
        &okta,
        "user.password.change",
        &params(json!({"user": "00u1", "old_password": ["Hunter2-SECRET"], "new_password": "x"})),
    )
    .await
    .unwrap_err();
    assert!(!format!("{e} {e:?}").contains("Hunter2-SECRET"));
}

async fn user_with_status(server: &MockServer, status: &str, transitioning: Option<&str>) {
    let mut user = fixture("user");
    user["id"] = json!("00uDEL");
    user["status"] = json!(status);
    if let Some(t) = transitioning {
        user["transitioningToStatus"] = json!(t);
    }
    Mock::given(method("GET"))
        .and(path("/api/v1/users/jane%40example.com"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-okta-request-id", "req-get")
                .set_body_json(user),
        )
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn delete_deactivates_first_with_a_second_call() {
    let server = MockServer::builder().start().await;
    user_with_status(&server, "SUSPENDED", None).await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/users/00uDEL"))
        .and(query_param("sendEmail", "true"))
        .respond_with(ResponseTemplate::new(204).insert_header("x-okta-request-id", "req-del"))
        .expect(2)
        .mount(&server)
        .await;
    let out = execute(
        &client(&server),
        "user.delete",
        &params(json!({"user": "jane@example.com", "send_email": true})),
    )
    .await
    .unwrap();
    assert_eq!(out.request_ids, vec!["req-get", "req-del", "req-del"]);
    assert!(!out.already_in_state);
    server.verify().await;
}

#[tokio::test]
async fn delete_of_a_deprovisioned_user_is_one_call() {
    let server = MockServer::builder().start().await;
    user_with_status(&server, "DEPROVISIONED", None).await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/users/00uDEL"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    execute(
        &client(&server),
        "user.delete",
        &params(json!({"user": "jane@example.com"})),
    )
    .await
    .unwrap();
    server.verify().await;
}

#[tokio::test]
async fn delete_while_okta_is_still_deactivating_is_retried_not_done() {
    // The user is mid-transition: nothing is sent, try again later.
    let server = MockServer::builder().start().await;
    user_with_status(&server, "ACTIVE", Some("DEPROVISIONED")).await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let e = execute(
        &client(&server),
        "user.delete",
        &params(json!({"user": "jane@example.com"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.class(), FailureClass::Retryable);
    assert!(matches!(e, ExecError::InProgress { .. }), "{e:?}");
    server.verify().await;

    // The first DELETE deactivated, the second is refused as "not in this status":
    // that is not "already deleted", so it must be retried, not counted as done.
    let server = MockServer::builder().start().await;
    user_with_status(&server, "ACTIVE", None).await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(code_error(403, "E0000038", "not allowed", "req-2nd"))
        .expect(1)
        .mount(&server)
        .await;
    let e = execute(
        &client(&server),
        "user.delete",
        &params(json!({"user": "jane@example.com"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.class(), FailureClass::Retryable, "{e}");
    server.verify().await;
}

#[tokio::test]
async fn a_failed_second_call_of_delete_keeps_okta_s_classification() {
    let server = MockServer::builder().start().await;
    user_with_status(&server, "ACTIVE", None).await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(okta_error(500, "ErrorInternalServer", "req-500"))
        .mount(&server)
        .await;
    let e = execute(
        &client(&server),
        "user.delete",
        &params(json!({"user": "jane@example.com"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.class(), FailureClass::Retryable);
    assert_eq!(e.request_id(), Some("req-500"));
}

#[tokio::test]
async fn lists_follow_next_links_and_stop_at_the_limit_or_an_empty_page() {
    let server = MockServer::builder().start().await;
    let base = server.uri();
    let users = fixture("users-list");
    let two_users = json!([users[0].clone(), users[0].clone()]);
    Mock::given(method("GET"))
        .and(path("/api/v1/groups/00g1/users"))
        .and(query_param("after", "p2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-okta-request-id", "page-2")
                .insert_header(
                    "link",
                    format!("<{base}/api/v1/groups/00g1/users?after=p3&limit=2>; rel=\"next\"")
                        .as_str(),
                )
                .set_body_json(&two_users),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups/00g1/users"))
        .and(ExactQuery::of(&[("limit", "3")]))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-okta-request-id", "page-1")
                .insert_header(
                    "link",
                    format!("<{base}/api/v1/groups/00g1/users?after=p2&limit=3>; rel=\"next\"")
                        .as_str(),
                )
                .set_body_json(&two_users),
        )
        .expect(1)
        .mount(&server)
        .await;
    let okta = client(&server);
    let out = execute(
        &okta,
        "group.list_members",
        &params(json!({"group": "00g1", "limit": 3})),
    )
    .await
    .unwrap();
    // 3 items: two from page 1, one from page 2; page 3 never asked for.
    assert_eq!(out.output["count"], 3);
    assert_eq!(out.request_ids, vec!["page-1", "page-2"]);
    server.verify().await;

    // A System Log poll (no `until`): `next` never ends; an empty page stops it.
    let server = MockServer::builder().start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(query_param("after", "e2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!("<{base}/api/v1/logs?after=e2>; rel=\"next\"").as_str(),
                )
                .set_body_json(json!([])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(ExactQuery::of(&[(
            "filter",
            "eventType eq \"user.session.start\"",
        )]))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!("<{base}/api/v1/logs?after=e2>; rel=\"next\"").as_str(),
                )
                .set_body_json(fixture("logs-list")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let out = execute(
        &client(&server),
        "log.query",
        &params(json!({"filter": "eventType eq \"user.session.start\""})),
    )
    .await
    .unwrap();
    assert_eq!(out.output["count"], 1);
    server.verify().await;
}

#[tokio::test]
async fn okta_actions_need_a_client_and_say_so() {
    let e = Executor::without_okta()
        .execute("user.suspend", &params(json!({"user": "00u1"})))
        .await
        .unwrap_err();
    assert_eq!(e.class(), FailureClass::Permanent);
    assert!(e.to_string().contains("Okta client"), "{e}");
}

#[tokio::test]
async fn user_find_by_email_refuses_to_guess() {
    let server = MockServer::builder().start().await;
    let users = fixture("users-list");
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param(
            "search",
            "profile.email eq \"dup@example.com\"",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([users[0].clone(), users[0].clone()])),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param(
            "search",
            "profile.email eq \"none@example.com\"",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let okta = client(&server);
    for (email, says) in [
        ("dup@example.com", "several users"),
        ("none@example.com", "no user"),
    ] {
        let e = execute(&okta, "user.find", &params(json!({"email": email})))
            .await
            .unwrap_err();
        assert_eq!(e.class(), FailureClass::Permanent);
        assert!(e.to_string().contains(says), "{e}");
    }
}

#[tokio::test]
async fn user_find_by_login_refuses_a_short_name_or_id_match() {
    let server = MockServer::builder().start().await;
    // Okta resolves `isaac` as a short name of isaac.brock@example.com.
    Mock::given(method("GET"))
        .and(path("/api/v1/users/isaac"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/Isaac.Brock%40example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("user")))
        .expect(1)
        .mount(&server)
        .await;
    let okta = client(&server);
    let e = execute(&okta, "user.find", &params(json!({"login": "isaac"})))
        .await
        .unwrap_err();
    assert!(matches!(e, ExecError::NotFound { .. }), "{e:?}");
    assert_eq!(e.class(), FailureClass::Permanent);
    // Logins compare without case, as Okta's do.
    let out = execute(
        &okta,
        "user.find",
        &params(json!({"login": "Isaac.Brock@example.com"})),
    )
    .await
    .unwrap();
    assert_eq!(out.output["id"], "00ub0oNGTSWTBKOLGLNR");
    server.verify().await;
}
