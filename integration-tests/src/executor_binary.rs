//! Set-up for the tests of the built `action-executor` under cargo-lambda: the envelopes
//! the router makes (routed in memory, as the binary would receive them), and the AWS
//! resources and environment one family's executor needs on `moto_server`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actions::Family;
use aws_adapters::memory::{MemoryCounter, MemoryLedger};
use fifo_queue::{FifoMessage, MemoryQueue};
use okta_adapters::memory::StaticDirectory;
use org_secrets::{SecretCache, SecretKind, SecretReads, StaticSecrets, StoredSecrets};
use router::Router;
use rules::RuleSet;
use serde_json::{Value, json};

use crate::Aws;
use crate::aws::function_env;

/// Routes the reference event `user.account.report_suspicious_activity_by_enduser.json`
/// (of the Okta reference data's `events/`) as a hook delivery `delivery_id` of org
/// `default` through an in-memory router with `rules`, signing with the key `key` of id
/// `key_id` (the org's `signing` secret, read as the router reads its kinds); returns the
/// first message the router put on `family`'s queue.
pub async fn route_suspicious_activity(
    rules: RuleSet,
    (key_id, key): (&str, &str),
    delivery_id: &str,
    family: Family,
) -> FifoMessage {
    let queues: HashMap<Family, Arc<MemoryQueue>> = Family::ALL
        .into_iter()
        .map(|f| (f, Arc::new(MemoryQueue::new())))
        .collect();
    // The org's secrets as stored (split), read as the router reads them.
    let mut stored = StoredSecrets::new();
    stored
        .insert(
            SecretKind::Signing,
            &json!({"active": key_id, "keys": {key_id: key}}).to_string(),
        )
        .expect("signing keys");
    let secrets = Arc::new(SecretCache::new(
        StaticSecrets::new()
            .with_stored("default", stored)
            .reading(SecretReads::router()),
        Duration::from_secs(60),
        Duration::ZERO,
    ));
    let router = Router::builder(rules, queues.clone(), secrets)
        .ledger(MemoryLedger::default())
        .counter(MemoryCounter::default())
        .directory(StaticDirectory::default())
        .ledger_ttl(Duration::from_secs(60))
        .build();
    let event: Value = serde_json::from_str(&okta_fixtures::read_event(
        "user.account.report_suspicious_activity_by_enduser.json",
    ))
    .expect("event");
    let body =
        json!({"org": "default", "source": "hook", "deliveryId": delivery_id, "event": event});
    router.route(&body.to_string()).await.expect("routed");
    queues[&family].messages()[0].message.clone()
}

/// One family's executor binary, ready to attach: its environment and the queues it uses.
pub struct ExecutorEnv {
    /// The function's environment (AWS endpoint and credentials included).
    pub env: Vec<(&'static str, String)>,
    /// Every family's queue (`okta-hooks-{family}.fifo`).
    pub queues: HashMap<Family, String>,
    /// The family's DLQ (`okta-hooks-{family}-dlq.fifo`).
    pub dlq: String,
}

impl ExecutorEnv {
    /// Creates the `steps` table, every family's queue and `family`'s DLQ on the emulator
    /// at `endpoint`, and the environment of `family`'s executor (the redrive policy's
    /// maxReceiveCount: 12).
    pub async fn create(aws: &Aws, endpoint: &str, family: Family) -> Self {
        aws.table("steps").await;
        let mut env = function_env(endpoint);
        let mut queues = HashMap::new();
        for family in Family::ALL {
            let url = aws.fifo_queue(&format!("okta-hooks-{family}.fifo")).await;
            env.push((family.queue_url_var(), url.clone()));
            queues.insert(family, url);
        }
        let dlq = aws
            .fifo_queue(&format!("okta-hooks-{family}-dlq.fifo"))
            .await;
        env.extend([
            ("OKTA_HOOKS_FAMILY", family.as_str().to_owned()),
            ("OKTA_HOOKS_DLQ_URL", dlq.clone()),
            ("OKTA_HOOKS_IDEMPOTENCY_TABLE", "steps".to_owned()),
            ("OKTA_HOOKS_MAX_RECEIVE_COUNT", "12".to_owned()),
        ]);
        ExecutorEnv { env, queues, dlq }
    }
}

/// The SQS event Lambda hands a family's executor for one message of its queue
/// (`okta-hooks-{family}.fifo`): `body` with its group and dedup ids, received once.
pub fn sqs_batch(message_id: &str, body: &str, group: &str, dedup: &str, family: Family) -> Value {
    json!({"Records": [{
        "messageId": message_id,
        "receiptHandle": "AQEB0example",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795444200000",
            "SequenceNumber": "18800000000000000001",
            "MessageGroupId": group,
            "SenderId": "AROAEXAMPLE:event-router",
            "MessageDeduplicationId": dedup,
            "ApproximateFirstReceiveTimestamp": "1795444200100"
        },
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:okta-hooks-{family}.fifo"),
        "awsRegion": "us-east-1"
    }]})
}

/// Puts the secrets of org `default` an executor of a family calling Okta reads, each its
/// own secret: `okta-hooks/default/signing` (the key `key_id`, active) and
/// `okta-hooks/default/okta` (the Okta org and its API token).
pub async fn put_executor_secret(aws: &Aws, key_id: &str, key: &str, org_url: &str, token: &str) {
    aws.put_org_secrets(
        "default",
        &json!({
            "signing": {"active": key_id, "keys": {key_id: key}},
            "okta": {"org_url": org_url, "api_token": token},
        }),
    )
    .await;
}
