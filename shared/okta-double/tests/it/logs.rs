//! The System Log: bounded and polling queries, paging, auth, its bucket, faults, and
//! events logged over the control API.

use std::time::Duration;

use okta_double::{BucketName, Fault, OktaDouble, Running};
use serde_json::{Value, json};

use crate::helpers::{Answer, Api};

/// A System Log event with this uuid, published at this RFC 3339 time.
fn event(uuid: &str, published: &str) -> Value {
    json!({
        "uuid": uuid,
        "published": published,
        "eventType": "user.lifecycle.suspend",
        "version": "0",
        "severity": "INFO",
        "displayMessage": "Suspend Okta user",
        "actor": {"id": "00uadmin", "type": "User"},
        "outcome": {"result": "SUCCESS"},
        "target": [{"id": "00u1", "type": "User"}],
    })
}

fn at(hour_minute: &str) -> String {
    format!("2026-11-30T{hour_minute}:00.000Z")
}

/// The `Link` target with this `rel`, as the double sent it.
fn link(answer: &Answer, rel: &str) -> Option<String> {
    answer
        .headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.ends_with(&format!("rel=\"{rel}\"")))
        .and_then(|v| v.strip_prefix('<'))
        .and_then(|v| v.split_once('>'))
        .map(|(target, _)| target.to_owned())
}

fn uuids(answer: &Answer) -> Vec<String> {
    answer
        .body
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {:?}", answer.body))
        .iter()
        .map(|e| e["uuid"].as_str().unwrap().to_owned())
        .collect()
}

/// GETs a link the double sent (an absolute URL on its own base).
async fn follow(api: &Api, url: &str) -> Answer {
    let path = url
        .strip_prefix(&api.base)
        .unwrap_or_else(|| panic!("{url} is not on {}", api.base));
    api.get(path).await
}

fn api(okta: &Running) -> Api {
    Api::new(&okta.base_url(), okta.token())
}

#[tokio::test]
async fn a_bounded_query_pages_every_event_once_by_published_then_logging_order() {
    let okta = OktaDouble::start().await;
    // Logged out of published order; e3 and e4 share a published time.
    for (uuid, time) in [
        ("e5", "10:05"),
        ("e1", "10:01"),
        ("e3", "10:03"),
        ("e4", "10:03"),
        ("e2", "10:02"),
        ("e7", "10:07"),
        ("e6", "10:06"),
    ] {
        okta.log_event(event(uuid, &at(time)));
    }
    let api = api(&okta);

    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut answer = api
        .get(&format!(
            "/api/v1/logs?since={}&until={}&limit=3",
            at("10:00"),
            at("11:00")
        ))
        .await;
    loop {
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        assert!(link(&answer, "self").is_some());
        pages.push(uuids(&answer).len());
        seen.extend(uuids(&answer));
        let Some(next) = link(&answer, "next") else {
            break;
        };
        assert!(next.contains("since=") && next.contains("until=") && next.contains("after="));
        answer = follow(&api, &next).await;
    }

    assert_eq!(seen, ["e1", "e2", "e3", "e4", "e5", "e6", "e7"]);
    assert_eq!(pages, [3, 3, 1]);
}

#[tokio::test]
async fn since_is_inclusive_and_until_exclusive_on_published() {
    let okta = OktaDouble::start().await;
    for (uuid, time) in [
        ("e9", "09:00"),
        ("e10", "10:00"),
        ("e11", "11:00"),
        ("e12", "12:00"),
    ] {
        okta.log_event(event(uuid, &at(time)));
    }
    let api = api(&okta);

    let window = api
        .get(&format!(
            "/api/v1/logs?since={}&until={}",
            at("10:00"),
            at("12:00")
        ))
        .await;
    let descending = api
        .get(&format!(
            "/api/v1/logs?since={}&until={}&sortOrder=DESCENDING",
            at("09:30"),
            at("13:00")
        ))
        .await;

    assert_eq!(uuids(&window), ["e10", "e11"]);
    assert_eq!(link(&window, "next"), None);
    assert_eq!(uuids(&descending), ["e12", "e11", "e10"]);
}

#[tokio::test]
async fn a_bounded_query_without_since_reads_the_seven_days_before_until() {
    let okta = OktaDouble::start().await;
    okta.log_event(event("old", "2026-11-19T09:59:59.000Z"));
    okta.log_event(event("edge", "2026-11-19T10:00:00.000Z"));
    okta.log_event(event("recent", "2026-11-25T10:00:00.000Z"));
    let api = api(&okta);

    let answer = api.get("/api/v1/logs?until=2026-11-26T10:00:00.000Z").await;

    assert_eq!(uuids(&answer), ["edge", "recent"]);
}

#[tokio::test]
async fn a_polling_query_links_next_from_its_last_page_and_that_link_returns_what_was_logged_later()
{
    let okta = OktaDouble::start().await;
    okta.log_event(event("e1", &at("10:01")));
    okta.log_event(event("e2", &at("10:02")));
    okta.log_event(event("e3", &at("10:03")));
    let api = api(&okta);
    let since = "2026-01-01T00:00:00.000Z";

    let first = api
        .get(&format!(
            "/api/v1/logs?since={since}&limit=2&sortOrder=ASCENDING"
        ))
        .await;
    let second = follow(&api, &link(&first, "next").unwrap()).await;
    let caught_up = follow(&api, &link(&second, "next").unwrap()).await;
    let resume = link(&caught_up, "next").expect("polling: a next link even on an empty page");
    // Logged after the poll caught up; e0 was published before the others (a late
    // event), and still comes: polling follows the order events were logged.
    okta.log_event(event("e4", &at("10:04")));
    okta.log_event(event("e0", &at("09:00")));
    let later = follow(&api, &resume).await;

    assert_eq!(uuids(&first), ["e1", "e2"]);
    assert_eq!(uuids(&second), ["e3"]);
    assert!(link(&second, "next").is_some());
    assert_eq!(uuids(&caught_up), Vec::<String>::new());
    assert!(!resume.contains("since="), "after replaces since: {resume}");
    assert!(resume.contains("limit=2") && resume.contains("sortOrder=ASCENDING"));
    assert_eq!(uuids(&later), ["e4", "e0"]);
    let again = follow(&api, &link(&later, "next").unwrap()).await;
    assert_eq!(uuids(&again), Vec::<String>::new());
}

#[tokio::test]
async fn a_polling_query_bounds_since_on_the_time_events_were_logged() {
    let okta = OktaDouble::start().await;
    okta.log_event(event("before", &at("10:00")));
    okta.advance_clock(Duration::from_secs(3600));
    let since = time::OffsetDateTime::from(std::time::SystemTime::now() + Duration::from_secs(60))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    okta.log_event(event("after", &at("09:00")));
    let api = api(&okta);

    let answer = api.get(&format!("/api/v1/logs?since={since}")).await;

    assert_eq!(uuids(&answer), ["after"]);
    assert!(link(&answer, "next").is_some());
}

#[tokio::test]
async fn the_filter_keeps_the_event_types_asked_for_and_a_bad_filter_is_e0000031() {
    let okta = OktaDouble::start().await;
    for (uuid, event_type) in [
        ("a", "user.lifecycle.suspend"),
        ("b", "user.session.start"),
        ("c", "group.user_membership.add"),
    ] {
        let mut e = event(uuid, &at("10:00"));
        e["eventType"] = json!(event_type);
        okta.log_event(e);
    }
    let api = api(&okta);

    let kept = api
        .get("/api/v1/logs?filter=eventType eq \"user.lifecycle.suspend\" or eventType eq \"group.user_membership.add\"")
        .await;
    let bad = api.get("/api/v1/logs?filter=(eventType eq \"a\")").await;

    assert_eq!(uuids(&kept), ["a", "c"]);
    assert_eq!((bad.status, bad.error_code()), (400, Some("E0000031")));
}

#[tokio::test]
async fn a_fault_on_the_logs_path_answers_instead_and_the_next_call_reads_the_log() {
    let okta = OktaDouble::start().await;
    okta.log_event(event("e1", &at("10:00")));
    okta.fault(Fault::status("GET", "/api/v1/logs", 503));
    let api = api(&okta);

    let faulted = api.get("/api/v1/logs").await;
    let next = api.get("/api/v1/logs").await;

    assert_eq!(
        (faulted.status, faulted.error_code()),
        (503, Some("E0000009"))
    );
    assert_eq!(uuids(&next), ["e1"]);
    assert_eq!(okta.request_count("GET", "/api/v1/logs"), 2);
}

#[tokio::test]
async fn a_wrong_token_gets_401_e0000011_and_no_events() {
    let okta = OktaDouble::start().await;
    okta.log_event(event("e1", &at("10:00")));
    let api = Api::new(&okta.base_url(), "not-the-token");

    let answer = api.get("/api/v1/logs").await;

    assert_eq!(
        (answer.status, answer.error_code()),
        (401, Some("E0000011"))
    );
    assert!(!answer.body.is_array());
}

#[tokio::test]
async fn the_system_log_has_a_bucket_of_its_own() {
    let okta = OktaDouble::start().await;
    okta.set_rate_limit(BucketName::Logs, 1, Duration::from_secs(60));
    let api = api(&okta);

    let first = api.get("/api/v1/logs").await;
    let second = api.get("/api/v1/logs").await;
    let users = api.get("/api/v1/users").await;

    assert_eq!(first.status, 200);
    assert_eq!(first.number("x-rate-limit-limit"), 1);
    assert_eq!(
        (second.status, second.error_code()),
        (429, Some("E0000047"))
    );
    assert_eq!(users.status, 200);
}

#[tokio::test]
async fn events_posted_to_the_control_api_are_logged_and_a_bad_list_logs_none() {
    let okta = OktaDouble::start().await;
    let control = reqwest::Client::new();
    let url = format!("{}/__double/logs", okta.base_url());

    let one = control
        .post(&url)
        .json(&event("e1", &at("10:01")))
        .send()
        .await
        .unwrap();
    let many = control
        .post(&url)
        .json(&json!([
            event("e2", &at("10:02")),
            event("e3", &at("10:03"))
        ]))
        .send()
        .await
        .unwrap();
    let bad = control
        .post(&url)
        .json(&json!([
            event("e4", &at("10:04")),
            event("e5", "yesterday")
        ]))
        .send()
        .await
        .unwrap();
    let listed: Value = control
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!((one.status().as_u16(), many.status().as_u16()), (204, 204));
    assert_eq!(bad.status(), 400);
    let logged: Vec<String> = okta
        .log_events()
        .iter()
        .map(|e| e["uuid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(logged, ["e1", "e2", "e3"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn a_reset_empties_the_log() {
    let okta = OktaDouble::start().await;
    okta.log_event(event("e1", &at("10:00")));

    okta.reset();

    assert!(okta.log_events().is_empty());
    assert_eq!(
        uuids(&api(&okta).get("/api/v1/logs").await),
        Vec::<String>::new()
    );
}
