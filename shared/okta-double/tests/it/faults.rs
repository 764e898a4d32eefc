//! Scripted faults: 429, 5xx, slow answers, a 500 after the change was applied.

use std::time::Duration;

use okta_double::{Fault, OktaDouble, User};

use crate::helpers::Api;

const SUSPEND: &str = "/api/v1/users/00u1/lifecycle/suspend";

async fn org() -> okta_double::Running {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta
}

#[tokio::test]
async fn a_500_after_apply_applies_the_change_once_and_the_retry_gets_e0000038() {
    let okta = org().await;
    okta.fault(Fault::after_apply_500("POST", SUSPEND).times(1));
    let api = Api::new(&okta.base_url(), okta.token());

    let faulted = api.post(SUSPEND).await;
    assert_eq!(
        (faulted.status, faulted.error_code()),
        (500, Some("E0000009"))
    );
    assert_eq!(okta.status("00u1"), Some("SUSPENDED"));
    assert_eq!(okta.applied("suspend", "00u1"), 1);

    let retry = api.post(SUSPEND).await;
    assert_eq!((retry.status, retry.error_code()), (403, Some("E0000038")));
    assert_eq!(okta.applied("suspend", "00u1"), 1);
    assert!(okta.pending_faults().is_empty());
}

#[tokio::test]
async fn an_injected_5xx_applies_nothing_and_the_next_call_goes_through() {
    let okta = org().await;
    okta.fault(Fault::status("POST", "/api/v1/users/", 503).times(2));
    let api = Api::new(&okta.base_url(), okta.token());

    let statuses = [
        api.post(SUSPEND).await.status,
        api.post(SUSPEND).await.status,
        api.post(SUSPEND).await.status,
    ];

    assert_eq!(statuses, [503, 503, 200]);
    assert_eq!(okta.applied("suspend", "00u1"), 1);
    let logged: Vec<u16> = okta.requests().iter().map(|r| r.status).collect();
    assert_eq!(logged, [503, 503, 200]);
}

#[tokio::test]
async fn an_injected_429_carries_the_rate_limit_headers_and_applies_nothing() {
    let okta = org().await;
    okta.fault(Fault::rate_limited("POST", SUSPEND).reset_in(Duration::from_secs(7)));
    let api = Api::new(&okta.base_url(), okta.token());

    let answer = api.post(SUSPEND).await;

    assert_eq!(
        (answer.status, answer.error_code()),
        (429, Some("E0000047"))
    );
    assert_eq!(answer.number("x-rate-limit-remaining"), 0);
    let date = httpdate::parse_http_date(answer.header("date").unwrap()).unwrap();
    let date = date
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let wait = answer.number("x-rate-limit-reset") - date;
    assert!((7..=8).contains(&wait), "Reset - Date = {wait}");
    assert_eq!(okta.status("00u1"), Some("ACTIVE"));
}

#[tokio::test]
async fn faults_match_method_and_path_prefix_only() {
    let okta = org().await;
    okta.add_user(User::active("00u2", "b@example.com"));
    okta.fault(Fault::server_error("POST", "/api/v1/users/00u2/"));
    let api = Api::new(&okta.base_url(), okta.token());

    let other_user = api.post(SUSPEND).await;
    let read = api.get("/api/v1/users/00u2").await;
    let target = api.post("/api/v1/users/00u2/lifecycle/suspend").await;

    assert_eq!(
        (other_user.status, read.status, target.status),
        (200, 200, 500)
    );
    assert_eq!(okta.status("00u2"), Some("ACTIVE"));
}

/// The suspend of 00u1 by a client that waits 200 ms for an answer.
async fn suspend_giving_up_after_200ms(
    okta: &okta_double::Running,
) -> Result<reqwest::Response, reqwest::Error> {
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    impatient
        .post(format!("{}{SUSPEND}", okta.base_url()))
        .header("authorization", format!("SSWS {}", okta.token()))
        .header("content-length", "0")
        .send()
        .await
}

#[tokio::test]
async fn a_delayed_answer_times_the_client_out_but_the_change_is_applied() {
    let okta = org().await;
    okta.fault(Fault::delay("POST", SUSPEND, Duration::from_secs(30)));
    let result = suspend_giving_up_after_200ms(&okta).await;

    assert!(result.is_err_and(|e| e.is_timeout()));
    assert_eq!(okta.status("00u1"), Some("SUSPENDED"));
    assert_eq!(okta.applied("suspend", "00u1"), 1);
}

#[tokio::test]
async fn a_hang_times_the_client_out_and_applies_nothing() {
    let okta = org().await;
    okta.fault(Fault::hang("POST", SUSPEND, Duration::from_secs(30)));
    let result = suspend_giving_up_after_200ms(&okta).await;

    assert!(result.is_err_and(|e| e.is_timeout()));
    assert_eq!(okta.status("00u1"), Some("ACTIVE"));
    assert_eq!(okta.applied("suspend", "00u1"), 0);
}

#[tokio::test]
async fn a_short_delay_still_answers_normally() {
    let okta = org().await;
    okta.fault(Fault::delay("POST", SUSPEND, Duration::from_millis(50)));
    let api = Api::new(&okta.base_url(), okta.token());

    let answer = api.post(SUSPEND).await;

    assert_eq!(answer.status, 200);
    assert_eq!(okta.applied("suspend", "00u1"), 1);
}
