//! Executor overhead per step, Okta excluded: one signed envelope through
//! [`step_runner::StepRunner::run`] — verify the HMAC, claim the idempotency record,
//! render, re-check protection and rate-limit headroom, run the action, record it,
//! sign and send the next step — with in-memory records and queues.
//!
//! - `dry_run`: the Okta client records the request instead of sending it (no I/O).
//! - `loopback`: a live client against an "Okta" on 127.0.0.1 that answers at once: the
//!   above plus one real HTTP round trip.

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented `pub fn`"
)]

mod support;

use std::time::{Duration, Instant};

use axum::routing::post;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use okta_client::{OktaClient, RequestLog};
use step_runner::Settings;

/// Runs `iters` steps, cycling through `bodies`; the records are emptied between
/// cycles (outside the timing) so that every run is a first run.
async fn run_steps(runner: &support::Runner, bodies: &[String], iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for i in 0..iters as usize {
        let body = &bodies[i % bodies.len()];
        if i % bodies.len() == 0 {
            runner.records().clear();
        }
        let started = Instant::now();
        let ran = runner.run(body, 1).await;
        total += started.elapsed();
        std::hint::black_box(ran).ok();
    }
    total
}

fn step(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let bodies = rt.block_on(support::envelopes_of(support::TWO_STEPS, 500));
    let url = rt.block_on(async {
        let app = axum::Router::new().route(
            "/api/v1/users/{user}/lifecycle/suspend",
            post(|| async { ([("content-type", "application/json")], "{}") }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    });
    let recorder =
        OktaClient::offline_dry_run("https://bench.okta.com", RequestLog::new()).expect("recorder");
    let dry = support::with_client(
        recorder,
        Settings {
            dry_run: true,
            ..Settings::default()
        },
    );
    let live = support::runner(&url, Settings::default());
    let mut group = c.benchmark_group("step");
    group.throughput(Throughput::Elements(1));
    group.bench_function("dry_run", |b| {
        b.to_async(&rt)
            .iter_custom(|iters| run_steps(&dry, &bodies, iters));
    });
    group.bench_function("loopback", |b| {
        b.to_async(&rt)
            .iter_custom(|iters| run_steps(&live, &bodies, iters));
    });
    group.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
