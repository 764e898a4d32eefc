//! Executor overhead per action, Okta excluded.
//!
//! - `validate_and_dispatch`: every case of the action table (`tests/it/common/cases.rs`)
//!   through catalog validation, handler lookup and parameter reading, stopping where
//!   the handler would call Okta (the executor has no client). Reported per action.
//! - `execute_loopback`: whole actions (request building, client, answer parsing,
//!   output projection) against an in-process "Okta" on 127.0.0.1 that answers at once
//!   with Okta's example bodies: the floor an action costs besides Okta's own latency.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

#[path = "../tests/it/common/mod.rs"]
mod common;

use action_calls::Executor;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use okta_client::{AuthConfig, OktaClient, OktaConfig, SecretString};
use serde_json::{Map, Value, json};

fn table() -> Vec<(&'static str, Map<String, Value>)> {
    common::cases::cases()
        .into_iter()
        .map(|c| (c.action, common::params(c.params)))
        .collect()
}

fn validate_and_dispatch(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let cases = table();
    let exec = Executor::without_okta();
    let mut group = c.benchmark_group("executor");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("validate_and_dispatch", |b| {
        b.to_async(&rt).iter(|| async {
            for (action, params) in &cases {
                // NotConfigured where Okta would be called.
                let _ = std::hint::black_box(exec.execute(action, params).await);
            }
        });
    });
    group.finish();
}

fn json_answer(v: &Value) -> Response {
    ([("content-type", "application/json")], v.to_string()).into_response()
}

async fn fake_okta(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    match (request.method().as_str(), path.as_str()) {
        ("GET", "/api/v1/users") => json_answer(&common::fixture("users-list")),
        ("GET", _) => json_answer(&common::fixture("user")),
        _ => json_answer(&json!({})),
    }
}

fn execute_loopback(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let address = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, axum::Router::new().fallback(fake_okta)).await;
        });
        address
    });
    let auth = AuthConfig::ApiToken(SecretString::from("00bench"));
    let okta =
        OktaClient::new(OktaConfig::new(&format!("http://{address}"), auth).expect("config"))
            .expect("client");
    let mut group = c.benchmark_group("execute_loopback");
    for (action, params) in [
        ("user.suspend", json!({"user": "00u1"})),
        ("user.get", json!({"user": "00u1"})),
        (
            "user.search",
            json!({"search": "status eq \"ACTIVE\"", "limit": 10}),
        ),
    ] {
        let params = common::params(params);
        group.bench_function(action, |b| {
            b.to_async(&rt).iter(|| async {
                let out = action_calls::execute(&okta, action, &params).await;
                assert!(out.is_ok(), "{action}: {out:?}");
            });
        });
    }
    group.finish();
}

criterion_group!(benches, validate_and_dispatch, execute_loopback);
criterion_main!(benches);
