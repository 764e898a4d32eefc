//! What router-signed plans cost per step, against the HMAC-only body as the floor
//! measured in the same run: the router's seal (HMAC vs HMAC + Ed25519 signature), an
//! executor's forward of the next step (HMAC vs HMAC over progress with the signed plan
//! carried on), and an executor's open (HMAC vs HMAC + Ed25519 verify + digest).
//! The ratios are printed at the end.

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented `pub fn`"
)]

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use envelope::{
    Cursor, Envelope, EventRef, Phase, envelope_id, open, open_step, seal, seal_plan, seal_step,
    sign_plan,
};
use org_secrets::{OrgName, PlanSigningKeys, SigningKeys, generate_plan_key};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const KEY: &str = "bench-signing-key-0123456789abcdef01";

/// A plan of the size the shipped lock-down rule makes: five steps with parameters.
fn envelope() -> Envelope<Value> {
    let steps: Vec<Value> = ["user.suspend", "user.sessions.clear", "group.add_user",
        "user.factors.reset_all", "notify.webhook"]
        .iter()
        .map(|action| json!({"action": action, "family": "users",
            "params": {"user": "00u1abcdefghijklmnop", "reason": "lock-down after suspicious activity"}}))
        .collect();
    Envelope {
        id: envelope_id("u1", "lock-down", Phase::Steps, 0),
        org: OrgName::parse("acme").expect("org"),
        rule_id: "lock-down".into(),
        cursor: Cursor {
            phase: Phase::Steps,
            index: 0,
        },
        group: "00u1abcdefghijklmnop".into(),
        dry_run: false,
        event: EventRef {
            uuid: "u1".into(),
            event_type: "user.account.report_suspicious_activity_by_enduser".into(),
            published: Some("2026-11-30T12:00:00Z".into()),
            delivery_id: None,
            request: None,
        },
        plan: json!({"steps": steps}),
        outputs: serde_json::Map::new(),
        failure: None,
        done: Vec::new(),
    }
}

fn time(iters: u64, mut f: impl FnMut()) -> Duration {
    let started = Instant::now();
    for _ in 0..iters {
        f();
    }
    started.elapsed()
}

fn seal_and_open(c: &mut Criterion) {
    let pair = generate_plan_key().expect("plan key");
    let plan_keys = PlanSigningKeys::new("p1", &[("p1", pair.seed.expose_secret())]);
    let hmac_only = SigningKeys::new("k1", &[("k1", KEY)]);
    let with_plans =
        SigningKeys::new("k1", &[("k1", KEY)]).with_plan_keys(&[("p1", &pair.public_key)]);
    let env = envelope();
    let plain_body = seal(&env, &hmac_only).expect("seal");
    let signed_body = seal_plan(&env, &with_plans, &plan_keys).expect("seal_plan");
    let signed = sign_plan(&env, &plan_keys).expect("sign_plan");

    let mut group = c.benchmark_group("envelope");
    group.bench_function("router_seal/hmac_only", |b| {
        b.iter_custom(|n| time(n, || drop(std::hint::black_box(seal(&env, &hmac_only)))));
    });
    group.bench_function("router_seal/plan_signed", |b| {
        b.iter_custom(|n| {
            time(n, || {
                drop(std::hint::black_box(seal_plan(
                    &env,
                    &with_plans,
                    &plan_keys,
                )));
            })
        });
    });
    group.bench_function("executor_forward/hmac_only", |b| {
        b.iter_custom(|n| time(n, || drop(std::hint::black_box(seal(&env, &hmac_only)))));
    });
    group.bench_function("executor_forward/plan_signed", |b| {
        b.iter_custom(|n| {
            time(n, || {
                drop(std::hint::black_box(seal_step(&env, &signed, &with_plans)));
            })
        });
    });
    group.bench_function("executor_open/hmac_only", |b| {
        b.iter_custom(|n| {
            time(n, || {
                drop(std::hint::black_box(open::<Value>(&plain_body, &hmac_only)));
            })
        });
    });
    group.bench_function("executor_open/plan_signed", |b| {
        b.iter_custom(|n| {
            time(n, || {
                drop(std::hint::black_box(open_step::<Value>(
                    &signed_body,
                    &with_plans,
                )));
            })
        });
    });
    group.finish();

    // The ratios, each against its HMAC-only floor measured here, in this run.
    let n = 20_000;
    let ratio = |floor: Duration, cost: Duration| cost.as_secs_f64() / floor.as_secs_f64();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    let pairs = [
        (
            "router seal",
            time(n, || drop(seal(&env, &hmac_only))),
            time(n, || drop(seal_plan(&env, &with_plans, &plan_keys))),
        ),
        (
            "executor forward",
            time(n, || drop(seal(&env, &hmac_only))),
            time(n, || drop(seal_step(&env, &signed, &with_plans))),
        ),
        (
            "executor open",
            time(n, || drop(open::<Value>(&plain_body, &hmac_only))),
            time(n, || drop(open_step::<Value>(&signed_body, &with_plans))),
        ),
    ];
    for (what, floor, cost) in pairs {
        println!(
            "{what}: HMAC-only {:.1} µs, plan-signed {:.1} µs, ratio {:.2}",
            per(floor),
            per(cost),
            ratio(floor, cost)
        );
    }
}

criterion_group!(benches, seal_and_open);
criterion_main!(benches);
