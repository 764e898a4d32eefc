//! Rule evaluation per event, for rule sets of 10 and 100 rules; and the cost of a
//! threshold, counted in memory.
//!
//! Each rule has a CEL condition and two steps with templates; the rules cycle over the
//! event types of Okta's real sample events, so an event meets about a tenth of the
//! rules (the realistic case: most rules are about other event types). One iteration
//! evaluates every sample event once; the reported time is divided by their count.

#![allow(
    missing_docs,
    reason = "criterion_group! defines an undocumented `pub fn`"
)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rules::{EvalInput, RuleSet, Windows};
use serde_json::Value;

fn events() -> Vec<Value> {
    okta_fixtures::log_event_files()
        .iter()
        .map(|p| serde_json::from_str(&okta_fixtures::read(p)).expect("event JSON"))
        .collect()
}

fn rule_set(n: usize, types: &[String]) -> RuleSet {
    let mut yaml = String::from("rules:\n");
    for i in 0..n {
        let t = &types[i % types.len()];
        yaml.push_str(&format!(
            r#"  - id: rule-{i}
    on: [{t}]
    if: has(outcome.result) && outcome.result != "DENY" && org == "prod"
    do:
      - action: user.sessions.clear
        user: '${{ target("User") != null ? target("User").id : actor.id }}'
        oauth_tokens: true
      - action: notify.webhook
        url_secret: slack_webhook
        body:
          text: "${{ event.eventType }} for ${{ actor.?alternateId.orValue('?') }} (rule {i})"
"#
        ));
    }
    RuleSet::from_sources(&[("bench.yaml", yaml)]).expect("bench rules load")
}

fn evaluate(c: &mut Criterion) {
    let events = events();
    let mut types: Vec<String> = events
        .iter()
        .filter_map(|e| e["eventType"].as_str().map(str::to_owned))
        .collect();
    types.sort();
    types.dedup();
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(events.len() as u64));
    for n in [10, 100] {
        let set = rule_set(n, &types);
        group.bench_with_input(BenchmarkId::new("rules", n), &set, |b, set| {
            b.iter(|| {
                let mut plans = 0;
                for event in &events {
                    let input = EvalInput {
                        org: "prod",
                        event,
                        subject: None,
                    };
                    plans += set.evaluate(&input).expect("evaluates").len();
                }
                plans
            });
        });
    }
    group.finish();
}

/// A counting rule against the same rule without `threshold`: 10,000 failed sign-ins of
/// 1,000 users, one [`Windows`] kept across them, as the local runner and `rules
/// backtest` do. The ratio of the two is the cost of counting.
fn threshold(c: &mut Criterion) {
    let rule = |threshold: &str| {
        format!(
            r#"rules:
  - id: brute
    on: [user.session.start]
    if: outcome.result == "FAILURE"
{threshold}    do:
      - action: notify.webhook
        url_secret: slack_webhook
        body: {{ text: "${{ actor.alternateId }} failed to sign in" }}
"#
        )
    };
    let events: Vec<Value> = (0..10_000u32)
        .map(|i| {
            let user = i % 1000;
            let second = i / 1000 * 30;
            serde_json::json!({
                "uuid": format!("e{i}"),
                "eventType": "user.session.start",
                "published": format!("2026-11-30T10:{:02}:{:02}Z", second / 60, second % 60),
                "actor": {"id": format!("00u{user}"), "type": "User", "alternateId": format!("u{user}@example.com")},
                "outcome": {"result": "FAILURE"},
            })
        })
        .collect();
    let mut group = c.benchmark_group("threshold");
    group.throughput(Throughput::Elements(events.len() as u64));
    for (name, text) in [
        ("plain", rule("")),
        (
            "counted",
            rule(
                "    threshold: {count: 5, within: 10m, by: actor.id}\n    suppress: {for: 1h, by: actor.id}\n",
            ),
        ),
    ] {
        let set = RuleSet::from_sources(&[("bench.yaml", text)]).expect("bench rules load");
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut windows = Windows::default();
                let mut fired = 0;
                for event in &events {
                    let input = EvalInput {
                        org: "prod",
                        event,
                        subject: None,
                    };
                    for gated in set.evaluate_gated(&input, &mut windows).expect("evaluates") {
                        fired += usize::from(gated.expect("plan").admission.fires());
                    }
                }
                fired
            });
        });
    }
    group.finish();
}

criterion_group!(benches, evaluate, threshold);
criterion_main!(benches);
