//! The hook delivery parser: any body POSTed to hook-ingest, through the real
//! `IngestHandler` (auth passes, JSON content type), with a queue that checks what it is
//! given. Also the typed parse of a delivery (`okta_events::Delivery<LogEvent>`).
//!
//! Properties: no panic; never a 5xx (the queue here always accepts); every message
//! the producer enqueues reads back the way the router reads it (`parse_queued`), with
//! the dedup id, group id and body limits SQS enforces.

#![no_main]

use std::sync::LazyLock;
use std::time::Duration;

use fifo_queue::{FailedEntry, FifoMessage, FifoQueue, QueueError};
use hook_receiver::{Authenticator, HookRequest, IngestHandler, ReceiverConfig};
use http::Method;
use libfuzzer_sys::fuzz_target;
use okta_events::{Delivery, LogEvent, is_sqs_id, parse_queued};
use org_secrets::{HookAuth, OrgSecret, SecretCache, StaticSecrets};

/// The events queue: accepts every batch after checking each message is one SQS takes
/// and the router can read.
struct EventsQueue;

/// The rejects queue: accepts every batch after checking each message is one SQS takes.
struct RejectsQueue;

fn check_sqs(message: &FifoMessage) {
    assert!(
        is_sqs_id(&message.dedup_id),
        "bad dedup id {:?}",
        message.dedup_id
    );
    assert!(
        is_sqs_id(&message.group_id),
        "bad group id {:?}",
        message.group_id
    );
    assert!(message.body.len() <= 256 * 1024, "message over SQS's limit");
}

impl FifoQueue for EventsQueue {
    async fn send_batch(&self, batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        for message in batch {
            check_sqs(message);
            let queued = parse_queued::<String>(&message.body);
            assert!(
                queued.is_ok(),
                "the router cannot read what ingest enqueued: {queued:?}"
            );
        }
        Ok(Vec::new())
    }
}

impl FifoQueue for RejectsQueue {
    async fn send_batch(&self, batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        batch.iter().for_each(check_sqs);
        Ok(Vec::new())
    }
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    handler: IngestHandler<EventsQueue, StaticSecrets, RejectsQueue>,
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let secrets = StaticSecrets::new().with(
        "default",
        OrgSecret {
            hook: Some(HookAuth::new("Authorization", "fuzz-secret", None)),
            ..Default::default()
        },
    );
    let cache = SecretCache::new(secrets, Duration::from_secs(3600), Duration::from_secs(10));
    let handler = IngestHandler::new(
        ReceiverConfig::default(),
        Authenticator::new(cache),
        EventsQueue,
    )
    .with_rejects(RejectsQueue);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    Harness { runtime, handler }
});

fuzz_target!(|body: &[u8]| {
    let harness = &*HARNESS;
    let request = HookRequest::new(Method::POST, None)
        .header("authorization", "fuzz-secret")
        .header("content-type", "application/json")
        .body(body.to_vec());
    let response = harness.runtime.block_on(harness.handler.handle(&request));
    assert!(
        !response.status.is_server_error(),
        "ingest answered {} to a body with an accepting queue: {}",
        response.status,
        response.body
    );
    let _ = serde_json::from_slice::<Delivery<LogEvent>>(body);
});
