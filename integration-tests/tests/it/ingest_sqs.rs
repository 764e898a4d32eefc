//! hook-ingest against real AWS wire protocols (`moto_server`): SQS FIFO and Secrets Manager.

use std::collections::HashMap;
use std::time::Duration;

use aws_adapters::{SecretsManagerSource, SqsFifoQueue};
use hook_receiver::{Authenticator, HookRequest, IngestHandler, ReceiverConfig};
use http::Method;
use integration_tests::{Aws, MotoServer};
use okta_events::{LogEvent, QueuedEvent};
use org_secrets::SecretsConfig;
use serde_json::{Value, json};

/// Serves the orgs `default` and `acme`.
fn config(ttl: Duration) -> ReceiverConfig {
    let org = |name: &str| org_secrets::OrgName::parse(name).expect("org name");
    ReceiverConfig {
        secrets: SecretsConfig {
            ttl,
            refresh_min_age: Duration::ZERO,
            ..SecretsConfig::default()
        },
        orgs: org_secrets::KnownOrgs::new(org("default"), [org("acme")]),
        ..ReceiverConfig::default()
    }
}

fn handler(
    aws: &Aws,
    queue_url: &str,
    ttl: Duration,
) -> IngestHandler<SqsFifoQueue, SecretsManagerSource> {
    let config = config(ttl);
    let secrets = SecretsManagerSource::for_hook_receiver(&aws.config, &config.secrets);
    let auth = Authenticator::for_config(secrets, &config);
    IngestHandler::new(
        config,
        auth,
        SqsFifoQueue::from_config(&aws.config, queue_url),
    )
}

fn post(secret: &str, body: &str) -> HookRequest {
    HookRequest::new(Method::POST, None)
        .header("authorization", secret)
        .header("content-type", "application/json")
        .body(body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_event_delivery_posted_twice_leaves_exactly_100_messages() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let url = aws.fifo_queue("events.fifo").await;
    aws.put_org_secrets("default", &json!({"hook": {"current": "s3cr3t"}}))
        .await;
    let handler = handler(&aws, &url, Duration::from_secs(300));

    let (body, events) = okta_fixtures::delivery_of(100);
    for attempt in 0..2 {
        let response = handler.handle(&post("s3cr3t", &body)).await;
        assert_eq!(response.status, 200, "attempt {attempt}: {}", response.body);
    }

    let messages = aws.drain(&url).await;
    assert_eq!(
        messages.len(),
        100,
        "each event once, the retry deduplicated"
    );
    let by_uuid: HashMap<&str, &Value> = events
        .iter()
        .map(|e| (e["uuid"].as_str().unwrap(), e))
        .collect();
    for (group, dedup, body) in &messages {
        let original = by_uuid
            .get(dedup.as_str())
            .expect("dedup id is an event uuid");
        let queued: QueuedEvent<Value> = serde_json::from_str(body).unwrap();
        assert_eq!(
            &&queued.event, original,
            "body parses back to the same event"
        );
        assert_eq!(queued.org, "default");
        let model: LogEvent = serde_json::from_value(queued.event).unwrap();
        assert_eq!(
            Some(group.as_str()),
            model.subject_id(),
            "group id is the subject"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_queue_answers_503() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.put_org_secrets("default", &json!({"hook": {"current": "s3cr3t"}}))
        .await;
    // Secrets come from moto; the queue endpoint is a port that refuses connections.
    let refusing = integration_tests::RefusingPort::hold();
    let dead = Aws::new(&refusing.url()).await;
    let config = config(Duration::from_secs(300));
    let secrets = SecretsManagerSource::for_hook_receiver(&aws.config, &config.secrets);
    let queue =
        SqsFifoQueue::from_config(&dead.config, "http://127.0.0.1:1/123456789012/events.fifo");
    let handler = IngestHandler::new(
        config.clone(),
        Authenticator::for_config(secrets, &config),
        queue,
    );

    let response = handler
        .handle(&post("s3cr3t", &okta_fixtures::delivery_of(3).0))
        .await;
    assert_eq!(response.status, 503, "{}", response.body);
    assert!(response.body.contains("queue_unavailable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_queue_answers_503_and_a_later_retry_succeeds() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.put_org_secrets("default", &json!({"hook": {"current": "s3cr3t"}}))
        .await;
    let url = format!("{}/123456789012/late.fifo", moto.endpoint());
    let handler = handler(&aws, &url, Duration::from_secs(300));
    let (body, _) = okta_fixtures::delivery_of(5);
    assert_eq!(handler.handle(&post("s3cr3t", &body)).await.status, 503);
    let created = aws.fifo_queue("late.fifo").await;
    assert!(created.ends_with("/late.fifo"));
    assert_eq!(
        handler.handle(&post("s3cr3t", &body)).await.status,
        200,
        "Okta's retry lands"
    );
    assert_eq!(aws.drain(&created).await.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_secret_accepts_the_previous_value_until_it_is_dropped() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let url = aws.fifo_queue("events.fifo").await;
    aws.put_org_secrets("default", &json!({"hook": {"current": "value-one"}}))
        .await;
    let ttl = Duration::from_millis(500);
    let handler = handler(&aws, &url, ttl);
    let body = okta_fixtures::delivery_of(1).0;
    let status = |secret: &'static str| {
        let request = post(secret, &body);
        let handler = &handler;
        async move { handler.handle(&request).await.status.as_u16() }
    };

    assert_eq!(status("value-one").await, 200);
    assert_eq!(status("value-two").await, 401);

    // Rotate: new value current, old value previous. No restart, no wait for the TTL.
    aws.put_org_secrets(
        "default",
        &json!({"hook": {"current": "value-two", "previous": "value-one"}}),
    )
    .await;
    assert_eq!(
        status("value-two").await,
        200,
        "re-read on the failed check"
    );
    assert_eq!(
        status("value-one").await,
        200,
        "previous value still accepted"
    );

    // Drop the previous value: once the cache expires, the old value is refused.
    aws.put_org_secrets("default", &json!({"hook": {"current": "value-two"}}))
        .await;
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    assert_eq!(status("value-one").await, 401);
    assert_eq!(status("value-two").await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_in_the_path_uses_its_own_secret() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let url = aws.fifo_queue("events.fifo").await;
    aws.put_org_secrets(
        "acme",
        &json!({"hook": {"header": "X-Acme-Hook", "current": "acme-value"}}),
    )
    .await;
    let handler = handler(&aws, &url, Duration::from_secs(300));
    let body = okta_fixtures::delivery_of(2).0;
    let request = HookRequest::new(Method::POST, Some("acme"))
        .header("x-acme-hook", "acme-value")
        .header("content-type", "application/json")
        .body(body.clone());
    assert_eq!(handler.handle(&request).await.status, 200);
    let messages = aws.drain(&url).await;
    assert_eq!(messages.len(), 2);
    assert!(
        messages
            .iter()
            .all(|(_, _, b)| b.contains(r#""org":"acme""#))
    );
    // The default org has no secret in this account: refused.
    assert_eq!(handler.handle(&post("acme-value", &body)).await.status, 401);
}
