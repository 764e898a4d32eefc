//! Rule evaluation per event, for rule sets of 10 and 100 rules.
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
use rules::{EvalInput, RuleSet};
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

criterion_group!(benches, evaluate);
criterion_main!(benches);
