//! Retries that run out end in a letter, the audit line and `on_failure` — never in a
//! silent redrive to the DLQ — and throttling never uses up a step's attempts.

use crate::common;

use actions::Family;
use common::Rig;
use serde_json::json;
use std::time::Duration;

use step_runner::{Attempts, Backoff, Ran, Settings};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

const EVENT: &str = "user.account.report_suspicious_activity_by_enduser.json";
const USER: &str = "01234";

const SUSPEND: &str = r#"
rules:
  - id: contain
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.suspend
        user: ${ target("User").id }
      - action: user.sessions.clear
        user: ${ target("User").id }
    on_failure:
      - action: notify.webhook
        url_secret: slack
        body: { text: "${ failure.action } gave up: ${ failure.class }" }
"#;

fn settings() -> Settings {
    Settings {
        attempts: Attempts {
            max_failures: 3,
            max_receives: 10,
        },
        ..Settings::default()
    }
}

async fn suspend_answers(rig: &Rig, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{USER}/lifecycle/suspend")))
        .respond_with(answer)
        .mount(&rig.okta)
        .await;
}

async fn expect_on_failure_notify(rig: &Rig) {
    Mock::given(method("POST"))
        .and(path("/slack"))
        .and(body_partial_json(
            json!({"text": "user.suspend gave up: exhausted"}),
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&rig.okta)
        .await;
}

#[tokio::test]
async fn a_step_that_keeps_failing_gives_up_on_its_last_attempt_with_a_letter_and_on_failure() {
    let mut rig = Rig::with_settings(SUSPEND, settings()).await;
    suspend_answers(
        &rig,
        ResponseTemplate::new(500)
            .insert_header("x-okta-request-id", "req-500")
            .set_body_json(okta_fixtures::error_body("ErrorInternalServer")),
    )
    .await;
    expect_on_failure_notify(&rig).await;
    rig.route(EVENT).await;
    let body = rig.bodies(Family::Users)[0].clone();
    let users = &rig.runners[&Family::Users];
    for receive in 1..=2 {
        let ran = users.run(&body, receive).await;
        assert!(ran.is_err(), "attempt {receive} is retried: {ran:?}");
        assert!(rig.dead_letters(Family::Users).is_empty());
    }
    let ran = users.run(&body, 3).await;
    let Ok(Ran::Failed {
        report, on_failure, ..
    }) = ran
    else {
        panic!("the third failure gives up: {ran:?}");
    };
    assert!(on_failure.is_some());
    assert!(
        report
            .message
            .starts_with("gave up after 3 failed attempts; last error: POST /api/v1/users/01234/lifecycle/suspend answered HTTP 500"),
        "{}",
        report.message
    );
    let letters = rig.dead_letters(Family::Users);
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["failure"]["class"], "exhausted");
    assert_eq!(letters[0]["failure"]["requestId"], "req-500");
    assert_eq!(letters[0]["action"], "user.suspend");
    // No later step; the on_failure notify runs (wiremock checks it was posted once).
    let notify = rig.run_next(Family::Notify).await;
    assert!(matches!(notify, Some(Ok(Ran::Done { .. }))), "{notify:?}");
    assert!(rig.bodies(Family::Sessions).is_empty());
}

#[tokio::test]
async fn a_failing_step_is_held_back_for_the_settings_backoff_cap_not_the_default_curve() {
    let settings = Settings {
        backoff: Backoff::queue_capped(Duration::from_secs(2)),
        ..settings()
    };
    let rig = Rig::with_settings(SUSPEND, settings).await;
    suspend_answers(
        &rig,
        ResponseTemplate::new(500).set_body_json(okta_fixtures::error_body("ErrorInternalServer")),
    )
    .await;
    rig.route(EVENT).await;
    let body = rig.bodies(Family::Users)[0].clone();
    let retry = rig.runners[&Family::Users]
        .run(&body, 1)
        .await
        .expect_err("a 500 is retried");
    // The default curve would wait 5 s; the 2 s cap is the first wait (plus jitter < 1 s).
    assert!(retry.after >= Duration::from_secs(2), "{retry:?}");
    assert!(retry.after < Duration::from_secs(3), "{retry:?}");
}

#[tokio::test]
async fn throttling_never_uses_up_the_attempts_but_the_queue_s_last_delivery_gives_up() {
    let mut rig = Rig::with_settings(SUSPEND, settings()).await;
    // No `X-Rate-Limit-Remaining`: every receive calls Okta and meets the 429 itself.
    // (With `remaining: 0` the runner would hold the call back until Okta's reset, 31 s
    // by Okta's `Date`, and these back-to-back receives would never reach Okta again.)
    suspend_answers(
        &rig,
        ResponseTemplate::new(429)
            .insert_header("x-rate-limit-limit", "600")
            .insert_header("x-rate-limit-reset", "1445412510")
            .insert_header("date", "Wed, 21 Oct 2015 07:28:00 GMT")
            .set_body_json(okta_fixtures::error_body("ErrorTooManyRequests")),
    )
    .await;
    expect_on_failure_notify(&rig).await;
    rig.route(EVENT).await;
    let body = rig.bodies(Family::Users)[0].clone();
    let users = &rig.runners[&Family::Users];
    // Nine throttled receives: three times the failures budget, still waiting.
    for receive in 1..=9 {
        let ran = users.run(&body, receive).await;
        assert!(ran.is_err(), "receive {receive} waits: {ran:?}");
    }
    assert!(rig.dead_letters(Family::Users).is_empty());
    // The tenth is the queue's last delivery: explained on the DLQ, not redriven silently.
    let ran = users.run(&body, 10).await;
    let Ok(Ran::Failed { report, .. }) = ran else {
        panic!("the last receive gives up: {ran:?}");
    };
    assert!(
        report.message.contains("receive 10 of 10"),
        "{}",
        report.message
    );
    let letters = rig.dead_letters(Family::Users);
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["failure"]["class"], "exhausted");
    assert_eq!(letters[0]["failure"]["errorCode"], "E0000047");
    let notify = rig.run_next(Family::Notify).await;
    assert!(matches!(notify, Some(Ok(Ran::Done { .. }))), "{notify:?}");
}

#[tokio::test]
async fn a_step_that_recovers_before_its_last_attempt_runs_once_and_leaves_no_letter() {
    let mut rig = Rig::with_settings(SUSPEND, settings()).await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{USER}/lifecycle/suspend")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&rig.okta)
        .await;
    suspend_answers(&rig, ResponseTemplate::new(200).set_body_json(json!({}))).await;
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1/users/{USER}/sessions")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&rig.okta)
        .await;
    rig.route(EVENT).await;
    let body = rig.bodies(Family::Users)[0].clone();
    let users = &rig.runners[&Family::Users];
    assert!(users.run(&body, 1).await.is_err());
    assert!(users.run(&body, 2).await.is_err());
    let ran = users.run(&body, 3).await;
    assert!(matches!(ran, Ok(Ran::Done { .. })), "{ran:?}");
    let sessions = rig.run_next(Family::Sessions).await;
    assert!(
        matches!(sessions, Some(Ok(Ran::Done { .. }))),
        "{sessions:?}"
    );
    assert!(rig.dead_letters(Family::Users).is_empty());
}
