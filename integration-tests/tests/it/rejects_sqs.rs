//! hook-ingest parks the events the events queue cannot take on a real SQS FIFO rejects
//! queue (`moto_server`), and the good events of the delivery still go through.

use std::time::Duration;

use aws_adapters::{SecretsManagerSource, SqsFifoQueue};
use aws_sdk_sqs::types::QueueAttributeName;
use hook_receiver::{Authenticator, HookRequest, IngestHandler, ReceiverConfig};
use http::Method;
use integration_tests::{Aws, MotoServer};
use serde_json::{Value, json};

/// A FIFO queue that takes SQS's 1 MiB messages, as the template creates them.
async fn fifo_queue_1_mib(aws: &Aws, name: &str) -> String {
    aws.fifo_queue_with(name, &[(QueueAttributeName::MaximumMessageSize, "1048576")])
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_events_are_parked_on_the_rejects_queue_and_the_good_ones_enqueued() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let events_url = fifo_queue_1_mib(&aws, "events.fifo").await;
    let rejects_url = fifo_queue_1_mib(&aws, "rejects.fifo").await;
    aws.put_org_secrets("default", &json!({"hook": {"current": "s3cr3t"}}))
        .await;
    let config = ReceiverConfig {
        secrets: org_secrets::SecretsConfig {
            refresh_min_age: Duration::ZERO,
            ..Default::default()
        },
        ..ReceiverConfig::default()
    };
    let secrets = SecretsManagerSource::for_hook_receiver(&aws.config, &config.secrets);
    let auth = Authenticator::for_config(secrets, &config);
    let handler = IngestHandler::new(
        config,
        auth,
        SqsFifoQueue::from_config(&aws.config, &events_url),
    )
    .with_rejects(SqsFifoQueue::from_config(&aws.config, &rejects_url));

    let (_, mut events) = okta_fixtures::delivery_of(3);
    events[1].as_object_mut().expect("an event").remove("uuid");
    events[2]["displayMessage"] = Value::from("y".repeat(1024 * 1024));
    let body = json!({"eventType": "com.okta.event_hook", "eventId": "d-rejects",
        "data": {"events": events}})
    .to_string();
    let request = HookRequest::new(Method::POST, None)
        .header("authorization", "s3cr3t")
        .header("content-type", "application/json")
        .body(body);
    let response = handler.handle(&request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        serde_json::from_str::<Value>(&response.body).unwrap(),
        json!({"accepted": 1, "rejected": 2})
    );

    let queued = aws.drain(&events_url).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].1, "00000000-cc19-11ed-a688-db22c99ef6c4");
    let mut parked: Vec<Value> = aws
        .drain(&rejects_url)
        .await
        .into_iter()
        .map(|(_, _, body)| serde_json::from_str(&body).expect("a parked event is JSON"))
        .collect();
    parked.sort_by_key(|p| p["index"].as_u64());
    let reasons: Vec<&str> = parked.iter().filter_map(|p| p["reason"].as_str()).collect();
    assert_eq!(reasons, ["missing_uuid", "too_large"]);
    assert_eq!(parked[0]["deliveryId"], "d-rejects");
    assert_eq!(parked[1]["truncated"], true);
    assert!(parked[1]["size"].as_u64().unwrap() > 1024 * 1024);
}
