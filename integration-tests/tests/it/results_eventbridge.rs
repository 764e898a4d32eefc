//! `aws_adapters::EventBridgeResults` (and `SqsFifoQueue` on a standard queue) against
//! `moto_server`: the result event reaches a rule's SQS target on the default bus, the
//! same body reaches the reply queue, and a refused entry is an error.

use aws_adapters::{EventBridgeResults, PutEventsRefused, SqsFifoQueue};
use fifo_queue::{FifoMessage, FifoQueue};
use integration_tests::aws::events_request;
use integration_tests::{Aws, MotoServer};
use ports::{ActionResult, ResultSink, ResultStatus, StepOutcome, StepStatus};
use serde_json::{Value, json};

/// moto's account and region, as the queue ARNs of a rule's targets name them.
const QUEUE_ARN_PREFIX: &str = "arn:aws:sqs:us-east-1:123456789012:";

fn result() -> ActionResult {
    ActionResult {
        request_id: Some("req-42".into()),
        rule: None,
        event: None,
        org: "default".into(),
        status: ResultStatus::Done,
        dry_run: false,
        requested_by: Some("alice@example.com".into()),
        requester: Some("AIDAEXAMPLE".into()),
        reason: Some("ticket 42".into()),
        error: None,
        steps: vec![StepOutcome {
            step: "0".into(),
            phase: "steps".into(),
            action: "user.suspend".into(),
            status: StepStatus::Done,
            output: None,
            okta_request_ids: vec!["okta-req-1".into()],
            requests: vec![],
            error: None,
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_reaches_a_rule_on_the_default_bus_and_the_reply_queue() {
    let moto = MotoServer::start();
    let endpoint = moto.endpoint();
    let aws = Aws::new(&endpoint).await;
    let target = aws.standard_queue("results-target").await;
    let reply = aws.standard_queue("okta-hooks-reply-1").await;
    let unrelated = aws.standard_queue("other-target").await;
    let pattern = json!({"source": ["okta-hooks"], "detail-type": ["Action Result"]});
    events_request(
        &endpoint,
        "PutRule",
        &json!({"Name": "results", "EventPattern": pattern.to_string()}),
    );
    events_request(
        &endpoint,
        "PutTargets",
        &json!({"Rule": "results", "Targets": [
            {"Id": "queue", "Arn": format!("{QUEUE_ARN_PREFIX}results-target")}
        ]}),
    );
    // A rule for someone else's events must not see ours.
    events_request(
        &endpoint,
        "PutRule",
        &json!({"Name": "other", "EventPattern": json!({"source": ["aws.guardduty"]}).to_string()}),
    );
    events_request(
        &endpoint,
        "PutTargets",
        &json!({"Rule": "other", "Targets": [
            {"Id": "queue", "Arn": format!("{QUEUE_ARN_PREFIX}other-target")}
        ]}),
    );

    let results = EventBridgeResults::from_config(&aws.config, "default");
    results.publish(&result(), Some(&reply)).await.unwrap();

    let on_target = aws.drain(&target).await;
    assert_eq!(on_target.len(), 1, "one event per result: {on_target:?}");
    let event: Value = serde_json::from_str(&on_target[0].2).unwrap();
    assert_eq!(event["source"], "okta-hooks");
    assert_eq!(event["detail-type"], "Action Result");
    let detail: ActionResult = serde_json::from_value(event["detail"].clone()).unwrap();
    assert_eq!(detail, result());

    let on_reply = aws.drain(&reply).await;
    assert_eq!(on_reply.len(), 1, "one reply: {on_reply:?}");
    let (group, dedup, body) = &on_reply[0];
    assert!(
        group.is_empty() && dedup.is_empty(),
        "a standard queue's message"
    );
    let replied: ActionResult = serde_json::from_str(body).unwrap();
    assert_eq!(replied, result());

    assert!(aws.drain(&unrelated).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_without_reply_to_goes_to_the_bus_alone() {
    let moto = MotoServer::start();
    let endpoint = moto.endpoint();
    let aws = Aws::new(&endpoint).await;
    let target = aws.standard_queue("results-target").await;
    let reply = aws.standard_queue("okta-hooks-reply-1").await;
    events_request(
        &endpoint,
        "PutRule",
        &json!({"Name": "results", "EventPattern": json!({"source": ["okta-hooks"]}).to_string()}),
    );
    events_request(
        &endpoint,
        "PutTargets",
        &json!({"Rule": "results", "Targets": [
            {"Id": "queue", "Arn": format!("{QUEUE_ARN_PREFIX}results-target")}
        ]}),
    );

    let results = EventBridgeResults::from_config(&aws.config, "default");
    results.publish(&result(), None).await.unwrap();

    assert_eq!(aws.drain(&target).await.len(), 1);
    assert!(aws.drain(&reply).await.is_empty(), "no reply was asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_events_answer_with_a_failed_entry_is_an_error_and_sends_no_reply() {
    use wiremock::matchers::{header, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    // EventBridge answers 200 and refuses the entry inside (`FailedEntryCount`): the
    // adapter must read the count, not only the call's success. moto refuses entries
    // only for what a result never is (no source, malformed detail), so a double answers.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("x-amz-target", "AWSEvents.PutEvents"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "FailedEntryCount": 1,
            "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}]
        })))
        .mount(&server)
        .await;
    let aws = Aws::new(&server.uri()).await;
    let results = EventBridgeResults::from_config(&aws.config, "default");
    let reply = format!("{}/123456789012/okta-hooks-reply-1", server.uri());

    let error = results.publish(&result(), Some(&reply)).await.unwrap_err();

    assert_eq!(error.store, "results");
    let refused = error
        .source
        .downcast_ref::<PutEventsRefused>()
        .expect("the refusal is the source");
    assert_eq!(
        (refused.code.as_str(), refused.message.as_str()),
        ("InternalFailure", "try again")
    );
    let calls = server.received_requests().await.unwrap();
    let targets: Vec<_> = calls
        .iter()
        .map(|r| {
            r.headers
                .get("x-amz-target")
                .map(|v| v.to_str().unwrap_or_default().to_owned())
        })
        .collect();
    assert_eq!(
        targets,
        [Some("AWSEvents.PutEvents".to_owned())],
        "no reply is sent for a result the bus refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bus_that_does_not_exist_is_an_error() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let results = EventBridgeResults::from_config(&aws.config, "no-such-bus");

    let error = results.publish(&result(), None).await.unwrap_err();

    assert_eq!(error.store, "results");
    assert!(error.to_string().contains("no-such-bus"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_to_a_standard_queue_goes_without_group_or_deduplication_ids() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let standard = aws.standard_queue("action-requests-dlq").await;
    let fifo = aws.fifo_queue("events.fifo").await;
    let message = FifoMessage {
        entry_id: "0".into(),
        body: "{\"refused\": true}".into(),
        group_id: "g-1".into(),
        dedup_id: "d-1".into(),
    };

    let to_standard = SqsFifoQueue::from_config(&aws.config, &standard);
    let to_fifo = SqsFifoQueue::from_config(&aws.config, &fifo);
    assert!(!to_standard.is_fifo() && to_fifo.is_fifo());
    assert!(
        to_standard
            .send_batch(std::slice::from_ref(&message))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        to_fifo
            .send_batch(std::slice::from_ref(&message))
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(
        aws.drain(&standard).await,
        [(String::new(), String::new(), message.body.clone())],
        "SQS refuses group and deduplication ids on a standard queue"
    );
    assert_eq!(
        aws.drain(&fifo).await,
        [("g-1".to_owned(), "d-1".to_owned(), message.body.clone())],
        "a FIFO queue still gets both"
    );
}
