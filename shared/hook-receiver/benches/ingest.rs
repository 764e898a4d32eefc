//! CPU of the ingest handler for 1, 10 and 100-event deliveries, queue calls excluded
//! (the queue is in-process and discards what it is given). Budget: ≤ 1 ms for 100.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fifo_queue::{FailedEntry, FifoMessage, FifoQueue, QueueError};
use hook_receiver::{Authenticator, HookRequest, IngestHandler, ReceiverConfig};
use http::Method;
use org_secrets::{HookAuth, OrgSecret, SecretCache, StaticSecrets};
use serde_json::Value;

struct DiscardQueue;

impl FifoQueue for DiscardQueue {
    async fn send_batch(&self, _batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        Ok(Vec::new())
    }
}

/// A delivery of `n` real events (cycling through the reference files), each with its own uuid.
fn delivery(n: usize) -> String {
    let events: Vec<Value> = okta_fixtures::log_event_files()
        .iter()
        .map(|p| serde_json::from_str(&okta_fixtures::read(p)).unwrap())
        .collect();
    let batch: Vec<Value> = (0..n)
        .map(|i| {
            let mut event = events[i % events.len()].clone();
            event["uuid"] = Value::from(format!("bench-{i:04}-11ed-a688-db22c99ef6c4"));
            event
        })
        .collect();
    serde_json::json!({
        "eventType": "com.okta.event_hook", "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1", "eventId": "bench-delivery",
        "eventTime": "2026-11-22T00:00:00.000Z", "contentType": "application/json",
        "data": { "events": batch }
    })
    .to_string()
}

fn ingest(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let secrets = StaticSecrets::new().with(
        "default",
        OrgSecret {
            hook: Some(HookAuth::new("Authorization", "bench-secret", None)),
        },
    );
    let cache = SecretCache::new(secrets, Duration::from_secs(3600), Duration::from_secs(10));
    let handler = IngestHandler::new(
        ReceiverConfig::default(),
        Authenticator::new(cache),
        DiscardQueue,
    );

    let mut group = c.benchmark_group("ingest");
    for n in [1usize, 10, 100] {
        let body = delivery(n);
        let request = HookRequest::new(Method::POST, None)
            .header("authorization", "bench-secret")
            .header("content-type", "application/json")
            .body(body.clone());
        // Sanity: the benchmark measures the success path.
        let response = runtime.block_on(handler.handle(&request));
        assert_eq!(response.status, 200, "{}", response.body);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("events", n), &request, |b, request| {
            b.to_async(&runtime).iter(|| handler.handle(request));
        });
    }
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
