//! Plans run step by step across families, with the router in front, Okta and the
//! webhook played by wiremock.

use crate::common;

use std::time::Duration;

use actions::Family;
use common::{KEY, Rig};
use envelope::{Envelope, Phase, envelope_id, open};
use org_secrets::SigningKeys;
use rules::Plan;
use serde_json::json;
use step_runner::{Ran, Settings};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

pub(crate) const EVENT: &str = "user.account.report_suspicious_activity_by_enduser.json";
const UUID: &str = "ABC1234";
const USER: &str = "01234";

pub(crate) const LOCK_DOWN: &str = r#"
rules:
  - id: lock-down
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.suspend
        user: ${ target("User").id }
      - action: user.sessions.clear
        user: ${ target("User").id }
        oauth_tokens: true
      - action: group.create
        name: quarantine
        group_name: Quarantine ${ target("User").id }
      - action: group.add_user
        group: ${ steps.quarantine.id }
        user: ${ target("User").id }
      - action: notify.webhook
        url_secret: slack
        body: { text: "locked down ${ target('User').alternateId } in ${ steps.quarantine.id }" }
    on_failure:
      - action: notify.webhook
        url_secret: slack
        body: { text: "failed at ${ failure.action }: ${ failure.errorCode }" }
"#;

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-okta-request-id", "req-ok")
        .set_body_json(json!({}))
}

pub(crate) async fn mock_lock_down(rig: &Rig) {
    let mount = |m: Mock| m.mount(&rig.okta);
    mount(
        Mock::given(method("POST"))
            .and(path(format!("/api/v1/users/{USER}/lifecycle/suspend")))
            .respond_with(ok())
            .expect(1),
    )
    .await;
    mount(
        Mock::given(method("DELETE"))
            .and(path(format!("/api/v1/users/{USER}/sessions")))
            .and(query_param("oauthTokens", "true"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1),
    )
    .await;
    let mut group = okta_fixtures::answer("group");
    group["id"] = json!("00gquarantine");
    mount(
        Mock::given(method("POST"))
            .and(path("/api/v1/groups"))
            .and(body_partial_json(
                json!({"profile": {"name": format!("Quarantine {USER}")}}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(group))
            .expect(1),
    )
    .await;
    mount(
        Mock::given(method("PUT"))
            .and(path(format!("/api/v1/groups/00gquarantine/users/{USER}")))
            .respond_with(ResponseTemplate::new(204))
            .expect(1),
    )
    .await;
    mount(
        Mock::given(method("POST"))
            .and(path("/slack"))
            .and(body_partial_json(
                json!({"text": "locked down homer.simpson@duff.com in 00gquarantine"}),
            ))
            .respond_with(ResponseTemplate::new(200))
            .expect(1),
    )
    .await;
}

/// The Okta calls wiremock received, as "METHOD /path", in order.
async fn calls(rig: &Rig) -> Vec<String> {
    rig.okta
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

fn opened(body: &str) -> Envelope<Plan> {
    open(body, &SigningKeys::new("k1", &[("k1", KEY)])).expect("signed envelope")
}

#[tokio::test]
async fn steps_run_in_order_across_families_with_an_earlier_steps_output() {
    let mut rig = Rig::new(LOCK_DOWN).await;
    mock_lock_down(&rig).await;
    rig.route(EVENT).await;
    let ran = rig.drain().await;
    let order: Vec<(Family, String)> = ran
        .iter()
        .map(|(f, r)| match r {
            Ran::Done { action, .. } => (*f, action.clone()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        order,
        vec![
            (Family::Users, "user.suspend".to_owned()),
            (Family::Sessions, "user.sessions.clear".to_owned()),
            (Family::Groups, "group.create".to_owned()),
            (Family::Groups, "group.add_user".to_owned()),
            (Family::Notify, "notify.webhook".to_owned()),
        ]
    );
    assert_eq!(
        calls(&rig).await,
        vec![
            format!("POST /api/v1/users/{USER}/lifecycle/suspend"),
            format!("DELETE /api/v1/users/{USER}/sessions"),
            "POST /api/v1/groups".to_owned(),
            format!("PUT /api/v1/groups/00gquarantine/users/{USER}"),
            "POST /slack".to_owned(),
        ]
    );
    // Every step kept the user's FIFO group and carries its own deterministic id.
    let add = opened(&rig.bodies(Family::Groups)[1]);
    assert_eq!(add.group, USER);
    assert_eq!(add.id, envelope_id(UUID, "lock-down", Phase::Steps, 3));
    assert_eq!(add.outputs["quarantine"]["id"], "00gquarantine");
    assert!(rig.dead_letters(Family::Users).is_empty());
}

#[tokio::test]
async fn the_same_envelope_twice_calls_okta_once() {
    let mut rig = Rig::new(LOCK_DOWN).await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{USER}/lifecycle/suspend")))
        .respond_with(ok())
        .expect(1)
        .mount(&rig.okta)
        .await;
    rig.route(EVENT).await;
    let body = rig.bodies(Family::Users)[0].clone();
    let runner = &rig.runners[&Family::Users];
    let first = runner.run(&body, 1).await.expect("ran");
    let again = runner.run(&body, 2).await.expect("ran");
    let Ran::Done {
        next: Some(next), ..
    } = first
    else {
        panic!("{first:?}")
    };
    assert_eq!(
        again,
        Ran::Duplicate {
            envelope_id: envelope_id(UUID, "lock-down", Phase::Steps, 0),
            next: Some(next),
        }
    );
    // The next step was sent again, and the queue's dedup kept one.
    assert_eq!(rig.bodies(Family::Sessions).len(), 1);
    assert_eq!(calls(&rig).await.len(), 1);
    let _ = rig.run_next(Family::Users).await;
}

#[tokio::test]
async fn a_429_waits_for_the_reset_then_runs_once() {
    let mut rig = Rig::new(LOCK_DOWN).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let date = httpdate(now);
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{USER}/lifecycle/suspend")))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-rate-limit-limit", "600")
                .insert_header("x-rate-limit-remaining", "0")
                .insert_header("x-rate-limit-reset", (now + 2).to_string())
                .insert_header("date", date.as_str())
                .set_body_json(okta_fixtures::error_body("ErrorTooManyRequests")),
        )
        .up_to_n_times(1)
        .mount(&rig.okta)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{USER}/lifecycle/suspend")))
        .respond_with(ok())
        .mount(&rig.okta)
        .await;
    rig.route(EVENT).await;
    let retry = rig
        .run_next(Family::Users)
        .await
        .expect("a message")
        .expect_err("throttled");
    // Reset − Date + 1 s, plus under a second of jitter.
    assert!(retry.after >= Duration::from_secs(3), "{retry:?}");
    assert!(retry.after < Duration::from_secs(4), "{retry:?}");
    assert!(rig.bodies(Family::Sessions).is_empty(), "no next step yet");
    // Back too early (before the reset): held again, without spending a call.
    let early = rig.run_next(Family::Users).await.expect("a message");
    assert!(early.is_err(), "{early:?}");
    assert_eq!(calls(&rig).await.len(), 1);
    // After the reset the claim is free again and the step runs, once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ran = rig.run_next(Family::Users).await.expect("a message");
    assert!(matches!(ran, Ok(Ran::Done { .. })), "{ran:?}");
    let ran = rig.runners[&Family::Users]
        .run(&rig.bodies(Family::Users)[0], 3)
        .await;
    assert!(matches!(ran, Ok(Ran::Duplicate { .. })), "{ran:?}");
    assert_eq!(calls(&rig).await.len(), 2, "one 429 and one success");
    assert_eq!(rig.bodies(Family::Sessions).len(), 1);
}

/// A rig whose first step (a suspend) ran and whose Okta answer left 3 calls in the
/// window (reserve 5), with `answer` adding the `Date` and `X-Rate-Limit-Reset` headers;
/// the next step (the unsuspend) is waiting on the users queue.
async fn rig_after_a_low_headroom_answer(
    answer: impl FnOnce(ResponseTemplate) -> ResponseTemplate,
) -> Rig {
    let settings = Settings {
        rate_reserve: 5,
        ..Settings::default()
    };
    let rules = r#"
rules:
  - id: suspend-and-back
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.suspend
        user: ${ target("User").id }
      - action: user.unsuspend
        user: ${ target("User").id }
"#;
    let mut rig = Rig::with_settings(rules, settings).await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{USER}/lifecycle/suspend")))
        .respond_with(answer(
            ok().insert_header("x-rate-limit-limit", "600")
                .insert_header("x-rate-limit-remaining", "3"),
        ))
        .mount(&rig.okta)
        .await;
    rig.route(EVENT).await;
    assert!(matches!(
        rig.run_next(Family::Users).await,
        Some(Ok(Ran::Done { .. }))
    ));
    rig
}

#[tokio::test]
async fn little_rate_limit_headroom_holds_the_call_back_without_a_429() {
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 30;
    let mut rig = rig_after_a_low_headroom_answer(|answer| {
        answer.insert_header("x-rate-limit-reset", reset.to_string())
    })
    .await;
    // The executor now knows 3 calls are left (reserve 5): its next call waits.
    let retry = rig
        .run_next(Family::Users)
        .await
        .expect("a message")
        .expect_err("held back");
    assert!(retry.after >= Duration::from_secs(29), "{retry:?}");
    assert_eq!(calls(&rig).await.len(), 1, "no call was spent on a 429");
}

#[tokio::test]
async fn the_headroom_wait_counts_from_okta_date_not_from_a_skewed_host_clock() {
    // Okta's clock (its `Date`) reads October 2015, years behind this host's: the
    // window resets 30 s after Okta's answer, whatever the host thinks the time is.
    let okta_now: u64 = 1_445_412_480;
    let mut rig = rig_after_a_low_headroom_answer(|answer| {
        answer
            .insert_header("date", "Wed, 21 Oct 2015 07:28:00 GMT")
            .insert_header("x-rate-limit-reset", (okta_now + 30).to_string())
    })
    .await;
    // By the host's clock that reset is long past; by Okta's it is 30 s away.
    let retry = rig
        .run_next(Family::Users)
        .await
        .expect("a message")
        .expect_err("held back until Okta's reset");
    assert!(retry.after >= Duration::from_secs(29), "{retry:?}");
    assert!(retry.after <= Duration::from_secs(32), "{retry:?}");
    assert_eq!(calls(&rig).await.len(), 1, "no call was spent on a 429");
}

#[tokio::test]
async fn a_404_goes_to_the_dlq_with_the_reason_and_starts_on_failure() {
    let mut rig = Rig::new(LOCK_DOWN).await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{USER}/lifecycle/suspend")))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-okta-request-id", "req-404")
                .set_body_json(okta_fixtures::error_body("ErrorResourceNotFound")),
        )
        .expect(1)
        .mount(&rig.okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/slack"))
        .and(body_partial_json(
            json!({"text": "failed at user.suspend: E0000007"}),
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&rig.okta)
        .await;
    rig.route(EVENT).await;
    let ran = rig.drain().await;
    let Ran::Failed {
        report, on_failure, ..
    } = &ran[0].1
    else {
        panic!("{ran:?}")
    };
    assert_eq!(report.error_code.as_deref(), Some("E0000007"));
    assert_eq!(
        on_failure.as_deref(),
        Some(envelope_id(UUID, "lock-down", Phase::OnFailure, 0).as_str())
    );
    let letters = rig.dead_letters(Family::Users);
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter["failure"]["errorCode"], "E0000007");
    assert_eq!(letter["failure"]["requestId"], "req-404");
    assert!(
        letter["failure"]["errorSummary"]
            .as_str()
            .unwrap_or("")
            .contains("Not found")
    );
    assert_eq!(letter["action"], "user.suspend");
    // The original signed body travels with it, so a redrive can run it again.
    let original = opened(letter["envelope"].as_str().unwrap_or_default());
    let step = step_runner::current_step(&original).expect("its step");
    assert_eq!(step.action, "user.suspend");
    // No later step ran; the on_failure notify did.
    assert!(rig.bodies(Family::Sessions).is_empty());
    assert!(matches!(
        ran.last(),
        Some((Family::Notify, Ran::Done { .. }))
    ));
}

#[tokio::test]
async fn a_tampered_envelope_goes_to_the_dlq_without_an_okta_call() {
    let rig = Rig::new(LOCK_DOWN).await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .expect(0)
        .mount(&rig.okta)
        .await;
    rig.route(EVENT).await;
    let body = rig.bodies(Family::Users)[0].clone();
    let tampered = body.replace(USER, "00uvictim");
    assert_ne!(tampered, body);
    let unsigned = serde_json::to_string(&opened(&body)).unwrap_or_default();
    let other_key = {
        let keys = SigningKeys::new("k9", &[("k9", "another-key-0123456789abcdef0123456")]);
        envelope::seal(&opened(&body), &keys).unwrap_or_default()
    };
    let runner = &rig.runners[&Family::Users];
    for (name, bad) in [
        ("tampered", tampered),
        ("unsigned", unsigned),
        ("unknown key", other_key),
    ] {
        let ran = runner.run(&bad, 1).await;
        assert!(matches!(ran, Ok(Ran::Refused { .. })), "{name}: {ran:?}");
    }
    let letters = rig.dead_letters(Family::Users);
    assert_eq!(letters.len(), 3);
    assert!(letters.iter().all(|l| l["failure"]["class"] == "permanent"));
    assert!(
        letters[2]["failure"]["error"]
            .as_str()
            .unwrap_or("")
            .contains("unknown key")
    );
}

/// The body of the `user.suspend` envelope the previous version's router signed, with
/// its copies of the step's `family`, `action` and `params` beside the plan.
fn previous_version_body() -> String {
    let batch: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../events/sqs-envelopes-batch-previous.json"
    ))
    .expect("json");
    batch["Records"][0]["body"]
        .as_str()
        .expect("body")
        .to_owned()
}

#[tokio::test]
async fn an_envelope_signed_by_the_previous_version_runs_its_step_and_passes_the_plan_on() {
    let rig = Rig::new(LOCK_DOWN).await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{USER}/lifecycle/suspend")))
        .respond_with(ok())
        .expect(1)
        .mount(&rig.okta)
        .await;
    let body = previous_version_body();
    assert!(body.contains(r#"\"family\":\"users\""#), "the old shape");
    let ran = rig.runners[&Family::Users].run(&body, 1).await;
    let Ok(Ran::Done { action, next, .. }) = ran else {
        panic!("{ran:?}")
    };
    assert_eq!(action, "user.suspend");
    // The next step goes on in the new shape: its step referred to, not copied.
    let sent = rig.bodies(Family::Sessions);
    assert_eq!(sent.len(), 1);
    let step = opened(&sent[0]);
    assert_eq!(next.as_deref(), Some(step.id.as_str()));
    assert_eq!(step.cursor.index, 1);
    let current = step_runner::current_step(&step).expect("its step");
    assert_eq!(current.action, "user.sessions.clear");
    let sealed: serde_json::Value = serde_json::from_str(&sent[0]).expect("json");
    let payload: serde_json::Value =
        serde_json::from_str(sealed["payload"].as_str().expect("payload")).expect("json");
    for copy in ["family", "action", "params"] {
        assert!(payload.get(copy).is_none(), "{copy} copied: {payload}");
    }
    assert!(rig.dead_letters(Family::Users).is_empty());
    assert_eq!(
        calls(&rig).await,
        vec![format!("POST /api/v1/users/{USER}/lifecycle/suspend")]
    );
}

#[tokio::test]
async fn a_step_sent_to_the_wrong_family_is_refused() {
    let rig = Rig::new(LOCK_DOWN).await;
    rig.route(EVENT).await;
    let body = rig.bodies(Family::Users)[0].clone();
    let ran = rig.runners[&Family::Groups].run(&body, 1).await;
    let Ok(Ran::Failed { report, .. }) = ran else {
        panic!("{ran:?}")
    };
    assert!(
        report.message.contains("groups executor"),
        "{}",
        report.message
    );
}

#[tokio::test]
async fn a_protected_user_is_refused_at_execution() {
    // The id is only known at execution (an earlier step's output), so only the
    // executor can see that it is protected.
    let rules = r#"
rules:
  - id: find-and-suspend
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.find
        name: who
        login: boss@example.com
      - action: user.suspend
        user: ${ steps.who.id }
protected:
  users: [boss@example.com]
"#;
    let mut rig = Rig::new(rules).await;
    let mut user = okta_fixtures::answer("user");
    user["id"] = json!("00uboss");
    user["profile"]["login"] = json!("boss@example.com");
    Mock::given(method("GET"))
        .and(path("/api/v1/users/boss%40example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user.clone()))
        .mount(&rig.okta)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([user.clone()])))
        .mount(&rig.okta)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00uboss"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user))
        .mount(&rig.okta)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .expect(0)
        .mount(&rig.okta)
        .await;
    rig.route(EVENT).await;
    let ran = rig.drain().await;
    let Some((Family::Users, Ran::Failed { report, .. })) = ran.last() else {
        panic!("{ran:?}")
    };
    assert!(
        report.message.contains("protected user"),
        "{}",
        report.message
    );
}

#[tokio::test]
async fn a_dry_run_rule_is_not_sent_by_the_router() {
    let rules = LOCK_DOWN.replace("    do:", "    dry_run: true\n    do:");
    let mut rig = Rig::new(&rules).await;
    rig.route(EVENT).await;
    assert!(rig.drain().await.is_empty());
    assert!(calls(&rig).await.is_empty());
}

#[tokio::test]
async fn a_dry_run_logs_each_request_sends_none_and_keeps_the_plan_moving() {
    let settings = Settings {
        dry_run: true,
        ..Settings::default()
    };
    let mut rig = Rig::with_settings(LOCK_DOWN, settings).await;
    Mock::given(method("POST"))
        .respond_with(ok())
        .expect(0)
        .mount(&rig.okta)
        .await;
    rig.route(EVENT).await;
    let Some(Ok(Ran::Done {
        dry_run,
        requests,
        next,
        ..
    })) = rig.run_next(Family::Users).await
    else {
        panic!("dry run done")
    };
    assert!(dry_run);
    assert_eq!(
        requests,
        vec![format!(
            "POST {}/api/v1/users/{USER}/lifecycle/suspend",
            rig.okta.uri()
        )]
    );
    assert!(next.is_some(), "the next step is sent, to be dry-run too");
    let Some(Ok(Ran::Done { requests, .. })) = rig.run_next(Family::Sessions).await else {
        panic!("dry run done")
    };
    assert_eq!(
        requests,
        vec![format!(
            "DELETE {}/api/v1/users/{USER}/sessions?oauthTokens=true",
            rig.okta.uri()
        )]
    );
    // Nothing is remembered as done: the real run can still happen.
    let body = rig.bodies(Family::Users)[0].clone();
    let again = rig.runners[&Family::Users].run(&body, 2).await;
    assert!(
        matches!(again, Ok(Ran::Done { dry_run: true, .. })),
        "{again:?}"
    );
    assert!(calls(&rig).await.is_empty());
}

fn httpdate(epoch: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(epoch))
}
