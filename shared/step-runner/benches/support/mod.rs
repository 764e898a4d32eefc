//! Shared by the benches: envelopes made by the real router, a step runner per
//! simulated Lambda instance, and an in-process "Okta" on 127.0.0.1.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use action_calls::{StaticNamedSecrets, WebhookSender};
use actions::Family;
use aws_adapters::memory::{MemoryCounter, MemoryLedger, MemoryRecords};
use fifo_queue::MemoryQueue;
use okta_adapters::memory::{FixedOkta, StaticDirectory};
use okta_client::{AuthConfig, OktaClient, OktaConfig, RetryPolicy, SecretString};
use org_secrets::{OrgSecret, SecretCache, SigningKeys, StaticSecrets};
use router::Router;
use rules::RuleSet;
use serde_json::{Value, json};
use step_runner::{Settings, StepRunner};

pub const RULES: &str = r#"
rules:
  - id: suspend
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.suspend
        user: ${ target("User").id }
"#;

pub type Queue = Arc<MemoryQueue>;
pub type Runner = StepRunner<MemoryRecords, Queue, FixedOkta, StaticSecrets>;

pub fn secrets() -> Arc<SecretCache<StaticSecrets>> {
    let secret = OrgSecret {
        signing: Some(SigningKeys::new(
            "k1",
            &[("k1", "bench-signing-key-0123456789abcdef01")],
        )),
        ..Default::default()
    };
    Arc::new(SecretCache::new(
        StaticSecrets::new().with("default", secret),
        Duration::from_secs(3600),
        Duration::ZERO,
    ))
}

pub fn queues() -> HashMap<Family, Queue> {
    Family::ALL
        .into_iter()
        .map(|f| (f, Arc::new(MemoryQueue::new())))
        .collect()
}

/// Two steps: the first one's executor also signs and sends the second.
pub const TWO_STEPS: &str = r#"
rules:
  - id: suspend-then-clear
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.suspend
        user: ${ target("User").id }
      - action: user.sessions.clear
        user: ${ target("User").id }
        oauth_tokens: true
"#;

/// `n` first-step envelopes (one per user), signed by the router.
pub async fn envelopes(n: usize) -> Vec<String> {
    envelopes_of(RULES, n).await
}

/// The same for other rules.
pub async fn envelopes_of(rules: &str, n: usize) -> Vec<String> {
    let queues = queues();
    let rules = RuleSet::from_sources(&[("bench.yaml", rules)]).expect("rules");
    let router = Router::builder(rules, queues.clone(), secrets())
        .ledger(MemoryLedger::default())
        .counter(MemoryCounter::default())
        .directory(StaticDirectory::default())
        .ledger_ttl(Duration::from_secs(3600))
        .build();
    let template: Value = serde_json::from_str(&okta_fixtures::read_event(
        "user.account.report_suspicious_activity_by_enduser.json",
    ))
    .expect("event");
    for i in 0..n {
        let mut event = template.clone();
        event["uuid"] = json!(format!("bench-{i}"));
        event["target"][0]["id"] = json!(format!("00ubench{i}"));
        let body = json!({"org": "default", "source": "hook", "event": event});
        router.route(&body.to_string()).await.expect("routed");
    }
    queues[&Family::Users]
        .messages()
        .into_iter()
        .map(|m| m.message.body)
        .collect()
}

/// A users executor talking to the Okta at `url` with its own client, as one Lambda
/// instance does.
pub fn runner(url: &str, settings: Settings) -> Runner {
    let auth = AuthConfig::ApiToken(SecretString::from("bench-token"));
    let mut config = OktaConfig::new(url, auth).expect("config");
    config.retry = RetryPolicy::Never;
    with_client(OktaClient::new(config).expect("client"), settings)
}

/// A users executor with this client (live, or an offline dry-run recorder).
pub fn with_client(client: OktaClient, settings: Settings) -> Runner {
    let webhook = WebhookSender::new(Duration::from_secs(5)).expect("webhook");
    StepRunner::builder(Family::Users, secrets(), Default::default(), webhook)
        .records(MemoryRecords::new())
        .queues(queues(), Arc::new(MemoryQueue::new()))
        .okta(FixedOkta {
            live: Some(client.clone()),
            dry: Some(client),
        })
        .named(Box::new(StaticNamedSecrets::new()))
        .settings(settings)
        .build()
}
