//! CPU of the ingest handler for 1, 10 and 100-event deliveries, queue calls excluded
//! (the queue is in-process and discards what it is given). Budget: ≤ 1 ms for 100.

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented `pub fn`"
)]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fifo_queue::{FailedEntry, FifoMessage, FifoQueue, QueueError};
use hook_receiver::{Authenticator, HookRequest, IngestHandler, ReceiverConfig};
use http::Method;
use org_secrets::{HookAuth, OrgSecret, SecretCache, StaticSecrets};

struct DiscardQueue;

/// Answers every batch after a fixed round trip, like a real queue endpoint would.
struct SlowQueue(Duration);

impl FifoQueue for SlowQueue {
    async fn send_batch(&self, _batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        tokio::time::sleep(self.0).await;
        Ok(Vec::new())
    }
}

impl FifoQueue for DiscardQueue {
    async fn send_batch(&self, _batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        Ok(Vec::new())
    }
}

fn handler<Q: FifoQueue>(queue: Q) -> IngestHandler<Q, StaticSecrets> {
    let secrets = StaticSecrets::new().with(
        "default",
        OrgSecret {
            hook: Some(HookAuth::new("Authorization", "bench-secret", None)),
            ..Default::default()
        },
    );
    let cache = SecretCache::new(secrets, Duration::from_secs(3600), Duration::from_secs(10));
    IngestHandler::new(ReceiverConfig::default(), Authenticator::new(cache), queue)
}

fn request(n: usize) -> HookRequest {
    HookRequest::new(Method::POST, None)
        .header("authorization", "bench-secret")
        .header("content-type", "application/json")
        .body(okta_fixtures::delivery_of(n).0)
}

/// A delivery of `n` events about `n` different users: each event's actor and `User`
/// targets get an id of their own, so every event is its own FIFO group.
fn spread_request(n: usize) -> HookRequest {
    let (_, events) = okta_fixtures::delivery_of(n);
    let events: Vec<serde_json::Value> = events
        .into_iter()
        .enumerate()
        .map(|(i, mut event)| {
            let id = serde_json::Value::from(format!("00ubench{i:012}"));
            if event["actor"].is_object() {
                event["actor"]["id"] = id.clone();
            }
            for target in event["target"].as_array_mut().into_iter().flatten() {
                if target["type"] == "User" {
                    target["id"] = id.clone();
                }
            }
            event
        })
        .collect();
    let body = serde_json::json!({
        "eventType": "com.okta.event_hook", "eventId": "bench-spread",
        "data": {"events": events},
    });
    HookRequest::new(Method::POST, None)
        .header("authorization", "bench-secret")
        .header("content-type", "application/json")
        .body(body.to_string())
}

/// Wall time of a 100-event delivery about 100 users when each queue call takes 20 ms: the
/// ten batches go out concurrently, so this should be one round trip plus the CPU time of
/// `ingest`. (One user with more than ten events costs a round trip per ten: a group's
/// batches go one after another to keep its order.)
fn ingest_wall(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_time()
        .build()
        .unwrap();
    let handler = handler(SlowQueue(Duration::from_millis(20)));
    let request = spread_request(100);
    let mut group = c.benchmark_group("ingest_wall_20ms_queue");
    group.sample_size(20);
    group.bench_function("events/100", |b| {
        b.to_async(&runtime).iter(|| handler.handle(&request));
    });
    group.finish();
}

fn ingest(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let handler = handler(DiscardQueue);

    let mut group = c.benchmark_group("ingest");
    for n in [1usize, 10, 100] {
        let request = request(n);
        // Sanity: the benchmark measures the success path.
        let response = runtime.block_on(handler.handle(&request));
        assert_eq!(response.status, 200, "{}", response.body);
        group.throughput(Throughput::Bytes(request.body.len() as u64));
        group.bench_with_input(BenchmarkId::new("events", n), &request, |b, request| {
            b.to_async(&runtime).iter(|| handler.handle(request));
        });
    }
    group.finish();
}

criterion_group!(benches, ingest, ingest_wall);
criterion_main!(benches);
