//! Failure modes against an in-test server: 429 with rate-limit headers, 5xx then
//! success under the waiting policy, timeouts, error bodies and their classes.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use okta_client::{ErrorClass, OktaClient, OktaError, RetryPolicy};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn too_many() -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("x-okta-request-id", "req-429")
        .set_body_json(error_body("ErrorTooManyRequests"))
}

#[tokio::test]
async fn throttled_429_returns_retry_after_from_reset_minus_date() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(rate_limit_headers(too_many(), 0, 42))
        .expect(1) // no retry: the caller decides
        .mount(&server)
        .await;
    let client = ssws_client(&server.uri());
    let started = Instant::now();
    let err = client.get_user("00u1").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "did not sleep");
    assert_eq!(
        err.class(),
        ErrorClass::Throttled {
            retry_after: Some(Duration::from_secs(43))
        }
    );
    assert_eq!(err.retry_after(), Some(Duration::from_secs(43)));
    assert_eq!(err.error_code(), Some("E0000047"));
    assert_eq!(err.request_id(), Some("req-429"));
    let api = err.api().unwrap();
    assert_eq!(api.rate_limit.limit, Some(600));
    assert_eq!(api.rate_limit.remaining, Some(0));
    assert_eq!(client.last_rate_limit().remaining, Some(0));
}

#[tokio::test]
async fn rate_limit_headers_are_exposed_on_success() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(rate_limit_headers(
            ResponseTemplate::new(200)
                .insert_header("x-okta-request-id", "ok-1")
                .set_body_json(fixture("user")),
            599,
            60,
        ))
        .mount(&server)
        .await;
    let client = ssws_client(&server.uri());
    let reply = client.get_user("00u1").await.unwrap();
    assert_eq!(reply.meta.rate_limit.limit, Some(600));
    assert_eq!(reply.meta.rate_limit.remaining, Some(599));
    assert_eq!(reply.meta.rate_limit.reset_epoch, Some(1_445_412_540));
    assert_eq!(reply.meta.request_id.as_deref(), Some("ok-1"));
    assert_eq!(client.last_rate_limit().remaining, Some(599));
}

/// 500 on the first call, then the user.
struct FailOnce(AtomicUsize);
impl Respond for FailOnce {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            ResponseTemplate::new(500)
                .insert_header("x-okta-request-id", "first-500")
                .set_body_json(error_body("ErrorInternalServer"))
        } else {
            ResponseTemplate::new(200).set_body_json(fixture("user"))
        }
    }
}

fn waiting(uri: &str) -> OktaClient {
    let mut config = ssws_config(uri);
    config.retry = RetryPolicy::Wait {
        max_retries: 2,
        max_wait: Duration::from_secs(5),
        base_delay: Duration::from_millis(10),
        retry_non_idempotent: false,
    };
    OktaClient::new(config).unwrap()
}

#[tokio::test]
async fn server_error_then_success_with_the_waiting_policy_sends_retry_headers() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(FailOnce(AtomicUsize::new(0)))
        .expect(2)
        .mount(&server)
        .await;
    let user = waiting(&server.uri()).get_user("00u1").await.unwrap();
    assert_eq!(user.meta.status, 200);
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs[0].headers.get("x-okta-retry-for").is_none());
    assert_eq!(
        reqs[1].headers.get("x-okta-retry-for").unwrap(),
        "first-500"
    );
    assert_eq!(reqs[1].headers.get("x-okta-retry-count").unwrap(), "1");
}

#[tokio::test]
async fn server_error_without_policy_is_retryable_and_not_retried() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(FailOnce(AtomicUsize::new(0)))
        .expect(1)
        .mount(&server)
        .await;
    let err = ssws_client(&server.uri())
        .get_user("00u1")
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Retryable);
    assert_eq!(err.error_code(), Some("E0000009"));
}

#[tokio::test]
async fn post_is_not_retried_on_5xx_by_default() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/00u1/lifecycle/suspend"))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    let err = waiting(&server.uri())
        .suspend_user("00u1")
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Retryable);
}

/// 429 that resets at once, then success.
struct ThrottleOnce(AtomicUsize);
impl Respond for ThrottleOnce {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            // Reset == Date: wait only the 1 s margin.
            rate_limit_headers(too_many(), 0, 0)
        } else {
            ResponseTemplate::new(204)
        }
    }
}

#[tokio::test]
async fn waiting_policy_waits_out_a_429_even_on_post() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/00u1/lifecycle/suspend"))
        .respond_with(ThrottleOnce(AtomicUsize::new(0)))
        .expect(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    waiting(&server.uri()).suspend_user("00u1").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited Reset − Date + 1 s"
    );
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs[1].headers.get("x-okta-retry-for").unwrap(), "req-429");
    assert_eq!(reqs[1].headers.get("x-okta-retry-count").unwrap(), "1");
}

#[tokio::test]
async fn waiting_policy_gives_up_when_the_wait_is_too_long() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(rate_limit_headers(too_many(), 0, 3600))
        .expect(1)
        .mount(&server)
        .await;
    let err = waiting(&server.uri()).get_user("00u1").await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3601)));
}

#[tokio::test]
async fn a_slow_answer_is_a_retryable_timeout() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("user"))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let mut config = ssws_config(&server.uri());
    config.timeout = Duration::from_millis(200);
    let started = Instant::now();
    let err = OktaClient::new(config)
        .unwrap()
        .get_user("00u1")
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(err, OktaError::Timeout { .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Retryable);
}

#[tokio::test]
async fn refused_connection_is_retryable() {
    // A port held bound but never listening: nothing answers, nobody else can take it.
    let closed = okta_fixtures::RefusingPort::hold();
    let err = ssws_client(&closed.url())
        .get_user("00u1")
        .await
        .unwrap_err();
    assert!(matches!(err, OktaError::Connection { .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Retryable);
}

#[tokio::test]
async fn already_in_state_is_its_own_class() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/00u1/lifecycle/suspend"))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "errorCode": "E0000038",
            "errorSummary": "This operation is not allowed in the user's current status.",
            "errorLink": "E0000038", "errorId": "oaeX", "errorCauses": []
        })))
        .mount(&server)
        .await;
    let err = ssws_client(&server.uri())
        .suspend_user("00u1")
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::AlreadyInState);
}

#[tokio::test]
async fn permanent_error_keeps_okta_fields() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(400).insert_header("x-okta-request-id", "req-400").set_body_json(
            serde_json::json!({
                "errorCode": "E0000001",
                "errorSummary": "Api validation failed: login",
                "errorLink": "E0000001",
                "errorId": "oaeABC",
                "errorCauses": [{"errorSummary": "login: An object with this field already exists in the current organization"}]
            }),
        ))
        .mount(&server)
        .await;
    let err = ssws_client(&server.uri())
        .create_user(&Default::default(), &Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Permanent);
    let api = err.api().unwrap();
    assert_eq!(api.status, 400);
    assert_eq!(api.error_id.as_deref(), Some("oaeABC"));
    assert_eq!(api.error_causes.len(), 1);
    assert_eq!(api.request_id.as_deref(), Some("req-400"));
    assert!(err.to_string().contains("already exists"));
}

#[tokio::test]
async fn in_flight_requests_are_bounded() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00u1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("user"))
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    let mut config = ssws_config(&server.uri());
    config.max_in_flight = 2;
    let client = OktaClient::new(config).unwrap();
    let started = Instant::now();
    let calls = (0..6).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.get_user("00u1").await.map(|_| ()) })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    // 6 requests, 2 at a time, 300 ms each: at least 3 rounds.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}
