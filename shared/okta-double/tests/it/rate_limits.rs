//! Rate-limit buckets: headers on every answer, 429 when empty, refill after the reset.

use std::time::Duration;

use okta_double::{BucketName, OktaDouble, User};

use crate::helpers::Api;

#[tokio::test]
async fn every_answer_reports_its_bucket_and_each_call_takes_one_unit() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.set_rate_limit(BucketName::UsersRead, 50, Duration::from_secs(60));
    let api = Api::new(&okta.base_url(), okta.token());

    let first = api.get("/api/v1/users/00u1").await;
    let second = api.get("/api/v1/users/00u1").await;

    assert_eq!(first.number("x-rate-limit-limit"), 50);
    assert_eq!(first.number("x-rate-limit-remaining"), 49);
    assert_eq!(second.number("x-rate-limit-remaining"), 48);
    let date = httpdate::parse_http_date(first.header("date").unwrap()).unwrap();
    let date = date
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset = first.number("x-rate-limit-reset");
    assert!(
        (date + 59..=date + 61).contains(&reset),
        "reset {reset}, date {date}"
    );
}

#[tokio::test]
async fn an_empty_bucket_answers_429_e0000047_until_the_reset_then_refills() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.add_user(User::active("00u2", "b@example.com"));
    okta.set_rate_limit(BucketName::UsersWrite, 1, Duration::from_secs(5));
    let api = Api::new(&okta.base_url(), okta.token());

    let allowed = api.post("/api/v1/users/00u1/lifecycle/suspend").await;
    let refused = api.post("/api/v1/users/00u2/lifecycle/suspend").await;
    let other_bucket = api.get("/api/v1/users/00u2").await;

    assert_eq!(allowed.status, 200);
    assert_eq!(
        (refused.status, refused.error_code()),
        (429, Some("E0000047"))
    );
    assert_eq!(
        refused.body["errorSummary"],
        "API call exceeded rate limit due to too many requests."
    );
    assert_eq!(refused.number("x-rate-limit-limit"), 1);
    assert_eq!(refused.number("x-rate-limit-remaining"), 0);
    assert!(refused.header("x-okta-request-id").is_some());
    assert_eq!(
        okta.status("00u2"),
        Some("ACTIVE"),
        "a throttled call is not applied"
    );
    assert_eq!(other_bucket.status, 200, "reads have a bucket of their own");

    okta.advance_clock(Duration::from_secs(5));
    let after_reset = api.post("/api/v1/users/00u2/lifecycle/suspend").await;

    assert_eq!(after_reset.status, 200);
    assert_eq!(after_reset.number("x-rate-limit-remaining"), 0);
    assert_eq!(okta.status("00u2"), Some("SUSPENDED"));
    assert_eq!(okta.applied_total("suspend"), 2);
}

#[tokio::test]
async fn the_reset_of_a_429_is_the_end_of_the_window_on_the_doubles_clock() {
    let okta = OktaDouble::start().await;
    okta.add_group(okta_double::Group::okta("00g1", "Eng"));
    okta.set_rate_limit(BucketName::Groups, 1, Duration::from_secs(30));
    let api = Api::new(&okta.base_url(), okta.token());

    let first = api.get("/api/v1/groups/00g1").await;
    okta.advance_clock(Duration::from_secs(10));
    let refused = api.get("/api/v1/groups/00g1").await;

    assert_eq!(refused.status, 429);
    assert_eq!(
        refused.number("x-rate-limit-reset"),
        first.number("x-rate-limit-reset"),
        "the window does not move while it is empty"
    );
    let date = httpdate::parse_http_date(refused.header("date").unwrap()).unwrap();
    let date = date
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let wait = refused.number("x-rate-limit-reset") - date;
    assert!((19..=21).contains(&wait), "Reset - Date = {wait}");
}
