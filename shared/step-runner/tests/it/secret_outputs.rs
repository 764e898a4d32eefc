//! Secret step outputs (a temporary password) reach the step that reads them, and no
//! queue body, step record, DLQ letter or log line (captured at TRACE).

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use actions::Family;
use common::{KEY, Rig};
use envelope::{Envelope, open};
use fifo_queue::MemoryQueue;
use org_secrets::SigningKeys;
use ports::{Claim, StepRecords};
use rules::Plan;
use serde_json::{Value, json};
use step_runner::Ran;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

const EVENT: &str = "user.account.report_suspicious_activity_by_enduser.json";
const USER: &str = "01234";
const TEMP: &str = "Temp-SECRET-5521-pw";

const TOLD: &str = r#"
rules:
  - id: temp-and-tell
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.password.expire_with_temp
        name: temp
        user: ${ target("User").id }
      - action: notify.webhook
        url_secret: slack
        body: { text: "temporary password: ${ steps.temp.tempPassword }" }
"#;

const NOT_TOLD: &str = r#"
rules:
  - id: temp-quietly
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.password.expire_with_temp
        name: temp
        user: ${ target("User").id }
      - action: notify.webhook
        url_secret: slack
        body: { text: "password of ${ target('User').alternateId } expired" }
"#;

async fn mock_temp_password(rig: &Rig) {
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v1/users/{USER}/lifecycle/expire_password_with_temp_password"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"tempPassword": TEMP})))
        .expect(1)
        .mount(&rig.okta)
        .await;
}

async fn mock_webhook(rig: &Rig, status: u16, text: Option<String>) {
    mock_webhook_answering(rig, status, text, "").await;
}

async fn mock_webhook_answering(rig: &Rig, status: u16, text: Option<String>, answer: &str) {
    let mock = Mock::given(method("POST")).and(path("/slack"));
    let mock = match text {
        Some(text) => mock.and(body_partial_json(json!({ "text": text }))),
        None => mock,
    };
    mock.respond_with(ResponseTemplate::new(status).set_body_string(answer))
        .expect(1)
        .mount(&rig.okta)
        .await;
}

fn opened(body: &str) -> Envelope<Plan> {
    open(body, &SigningKeys::new("k1", &[("k1", KEY)])).expect("signed envelope")
}

/// Every body on every queue and DLQ.
fn all_bodies(rig: &Rig) -> Vec<String> {
    Family::ALL
        .into_iter()
        .flat_map(|f| {
            rig.queues[&f]
                .messages()
                .into_iter()
                .chain(rig.dlqs[&f].messages())
                .map(|m| m.message.body)
        })
        .collect()
}

/// The output a family's runner recorded for an envelope.
async fn recorded(rig: &Rig, family: Family, envelope_id: &str) -> Value {
    match rig.records[&family]
        .claim(envelope_id, Duration::from_secs(1))
        .await
        .expect("records answer")
    {
        Claim::Done { output } => output,
        other => panic!("no done record: {other:?}"),
    }
}

fn assert_no_temp_password(what: &str, text: &str) {
    assert!(
        !text.contains(TEMP),
        "the temporary password is in {what}: {text}"
    );
}

#[tokio::test]
async fn a_temporary_password_reaches_the_webhook_that_reads_it_and_nothing_else() {
    let captured = okta_fixtures::CapturedLogs::json();
    let mut rig = Rig::new(TOLD).await;
    mock_temp_password(&rig).await;
    mock_webhook(&rig, 200, Some(format!("temporary password: {TEMP}"))).await;
    rig.route(EVENT).await;
    let ran = rig.drain().await;
    assert_eq!(ran.len(), 2, "{ran:?}");
    assert!(
        ran.iter()
            .all(|(_, r)| matches!(r, Ran::Done { dry_run: false, .. }))
    );

    // On the queue, the next step carries the password sealed, not in clear.
    let notify = opened(&rig.bodies(Family::Notify)[0]);
    let sealed = &notify.outputs["temp"]["tempPassword"]["$secret"];
    assert!(
        sealed.as_str().is_some_and(|s| s.starts_with("k1:")),
        "{notify:?}"
    );
    for body in all_bodies(&rig) {
        assert_no_temp_password("a queue body", &body);
    }
    // The step's record holds the same sealed form.
    let first = opened(&rig.bodies(Family::Credentials)[0]);
    let record = recorded(&rig, Family::Credentials, &first.id).await;
    assert_eq!(record["tempPassword"]["$secret"], *sealed);
    assert_no_temp_password("the step record", &record.to_string());
    let record = recorded(&rig, Family::Notify, &notify.id).await;
    assert_no_temp_password("the webhook step's record", &record.to_string());

    let logs = captured.contents();
    assert!(logs.contains("\"audit\":true"), "audit lines: {logs}");
    assert_no_temp_password("the logs", &logs);

    // The plan's result names both steps, and the password in no form.
    let published = rig.results.published();
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0].result.steps.len(), 2);
    let result = serde_json::to_string(&published[0].result).expect("a result serialises");
    assert_no_temp_password("the plan's result", &result);
    assert!(!result.contains("$secret"), "nor sealed: {result}");
}

#[tokio::test]
async fn a_duplicate_run_resends_the_next_step_from_the_record_and_the_password_still_arrives() {
    let captured = okta_fixtures::CapturedLogs::json();
    let mut rig = Rig::new(TOLD).await;
    mock_temp_password(&rig).await;
    mock_webhook(&rig, 200, Some(format!("temporary password: {TEMP}"))).await;
    rig.route(EVENT).await;
    let first = rig.run_next(Family::Credentials).await;
    assert!(matches!(first, Some(Ok(Ran::Done { .. }))), "{first:?}");

    // The send is lost to a fresh notify queue: the run of the same envelope again
    // builds the next step from the step's record alone.
    let fresh = Arc::new(MemoryQueue::new());
    let mut queues = rig.queues.clone();
    queues.insert(Family::Notify, fresh.clone());
    let credentials = rig.runner(Family::Credentials, queues);
    let body = rig.bodies(Family::Credentials)[0].clone();
    let again = credentials.run(&body, 2).await;
    assert!(matches!(again, Ok(Ran::Duplicate { .. })), "{again:?}");
    let resent = fresh.messages();
    assert_eq!(resent.len(), 1);
    assert_no_temp_password("the re-sent body", &resent[0].message.body);

    let told = rig.runners[&Family::Notify]
        .run(&resent[0].message.body, 1)
        .await;
    assert!(matches!(told, Ok(Ran::Done { .. })), "{told:?}");
    assert_no_temp_password("the logs", &captured.contents());
}

#[tokio::test]
async fn a_temporary_password_no_step_reads_is_dropped() {
    let captured = okta_fixtures::CapturedLogs::json();
    let mut rig = Rig::new(NOT_TOLD).await;
    mock_temp_password(&rig).await;
    mock_webhook(&rig, 200, None).await;
    rig.route(EVENT).await;
    let ran = rig.drain().await;
    assert_eq!(ran.len(), 2, "{ran:?}");

    let notify = opened(&rig.bodies(Family::Notify)[0]);
    assert_eq!(
        notify.outputs["temp"],
        json!({}),
        "dropped, not even sealed"
    );
    let first = opened(&rig.bodies(Family::Credentials)[0]);
    assert_eq!(
        recorded(&rig, Family::Credentials, &first.id).await,
        json!({})
    );
    for body in all_bodies(&rig) {
        assert_no_temp_password("a queue body", &body);
    }
    assert_no_temp_password("the logs", &captured.contents());
}

#[tokio::test]
async fn a_failed_step_that_reads_a_temporary_password_goes_to_the_dlq_without_it_even_when_the_webhook_echoes_it()
 {
    let captured = okta_fixtures::CapturedLogs::json();
    let mut rig = Rig::new(TOLD).await;
    mock_temp_password(&rig).await;
    // The webhook refuses, quoting what it got.
    let text = format!("temporary password: {TEMP}");
    let answer = format!("invalid_payload: {text}");
    mock_webhook_answering(&rig, 400, Some(text), &answer).await;
    rig.route(EVENT).await;
    let ran = rig.drain().await;
    assert!(
        matches!(ran.last(), Some((Family::Notify, Ran::Failed { .. }))),
        "{ran:?}"
    );
    let letters = rig.dead_letters(Family::Notify);
    assert_eq!(letters.len(), 1);
    let letter = letters[0].to_string();
    assert!(
        letter.contains("$secret"),
        "the letter keeps the sealed form: {letter}"
    );
    assert!(
        letter.contains("invalid_payload"),
        "the reason is kept: {letter}"
    );
    assert_no_temp_password("the DLQ letter", &letter);
    assert_no_temp_password("the logs", &captured.contents());
}
