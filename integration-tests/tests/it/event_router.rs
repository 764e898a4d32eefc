//! The built `event-router` binary under cargo-lambda, with the repository's rules, against
//! `moto_server` (SQS FIFO queues, DynamoDB, Secrets Manager).

use std::collections::HashMap;

use actions::Family;
use envelope::{Envelope, Phase, envelope_id, open};
use integration_tests::aws::function_env;
use integration_tests::{Aws, LambdaEmulator, MotoServer, workspace_binary, workspace_root};
use org_secrets::SigningKeys;
use rules::Plan;
use serde_json::{Value, json};

const KEY: &str = "integration-signing-key-0123456789abcdef";

struct Stack {
    aws: Aws,
    queues: HashMap<Family, String>,
    events_dlq: String,
    env: Vec<(&'static str, String)>,
    _moto: MotoServer,
}

async fn stack() -> Stack {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.table("ledger").await;
    aws.table("counters").await;
    // The router reads `signing` and `okta-read`; the rules of this batch enrich nothing.
    aws.put_org_secrets(
        "default",
        &json!({"signing": {"active": "k1", "keys": {"k1": KEY}}}),
    )
    .await;
    let mut env = function_env(&moto.endpoint());
    env.push(("OKTA_HOOKS_LEDGER_TABLE", "ledger".into()));
    env.push(("OKTA_HOOKS_COUNTER_TABLE", "counters".into()));
    let events_dlq = aws.fifo_queue("okta-hooks-events-dlq.fifo").await;
    env.push(("OKTA_HOOKS_EVENTS_DLQ_URL", events_dlq.clone()));
    env.push(("OKTA_HOOKS_MAX_RECEIVE_COUNT", "3".into()));
    let mut queues = HashMap::new();
    for family in Family::ALL {
        let url = aws
            .fifo_queue(&format!("okta-hooks-{}.fifo", family.as_str()))
            .await;
        env.push((family.queue_url_var(), url.clone()));
        queues.insert(family, url);
    }
    Stack {
        aws,
        queues,
        events_dlq,
        env,
        _moto: moto,
    }
}

fn batch_file() -> Value {
    let path = workspace_root().join("events/sqs-events-batch.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn record_event(batch: &Value, i: usize) -> Value {
    let body: Value = serde_json::from_str(batch["Records"][i]["body"].as_str().unwrap()).unwrap();
    body["event"].clone()
}

impl Stack {
    async fn envelopes(&self) -> HashMap<Family, Vec<(String, String, Envelope<Plan>)>> {
        let keys = SigningKeys::new("k1", &[("k1", KEY)]);
        let mut out = HashMap::new();
        for (family, url) in &self.queues {
            let messages = self.aws.drain(url).await;
            let opened = messages
                .into_iter()
                .map(|(group, dedup, body)| {
                    (
                        group,
                        dedup,
                        open(&body, &keys).expect("signed by the router"),
                    )
                })
                .collect::<Vec<_>>();
            out.insert(*family, opened);
        }
        out
    }
}

fn failures(response: &Value) -> usize {
    response["batchItemFailures"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_events_becomes_exactly_the_expected_signed_envelopes_once() {
    let stack = stack().await;
    let mut lambda = LambdaEmulator::start();
    lambda.attach(&workspace_binary("event-router"), &stack.env);
    let batch = batch_file();

    let response = lambda.invoke(&batch.to_string());
    assert_eq!(failures(&response), 0, "{response}");
    let envelopes = stack.envelopes().await;
    let counts: HashMap<Family, usize> = envelopes.iter().map(|(f, e)| (*f, e.len())).collect();
    let expected: HashMap<Family, usize> = Family::ALL
        .into_iter()
        .map(|f| (f, usize::from(matches!(f, Family::Users | Family::Notify))))
        .collect();
    assert_eq!(
        counts, expected,
        "user.suspend for the report, a notify for the lock, nothing for the suspend event"
    );

    let suspicious = record_event(&batch, 2);
    let (group, dedup, envelope) = &envelopes[&Family::Users][0];
    let uuid = suspicious["uuid"].as_str().unwrap();
    assert_eq!(
        envelope.plan.steps[envelope.cursor.index].action,
        "user.suspend"
    );
    assert_eq!(
        envelope.id,
        envelope_id(uuid, "lock-down-on-suspicious-activity", Phase::Steps, 0)
    );
    assert_eq!(dedup, &envelope.id);
    assert_eq!(group, "01234", "the group is the event's subject");
    assert_eq!(envelope.plan.steps.len(), 3);

    let locked = record_event(&batch, 1);
    let (group, _, envelope) = &envelopes[&Family::Notify][0];
    assert_eq!(envelope.rule_id, "account-locked");
    assert_eq!(envelope.event.uuid, locked["uuid"].as_str().unwrap());
    assert_eq!(group, "00abc123");

    // The same SQS batch again (moto delivers a re-sent FIFO message after a delete, so
    // only the router's ledger can stop a second envelope here).
    let response = lambda.invoke(&batch.to_string());
    assert_eq!(failures(&response), 0);
    let again = stack.envelopes().await;
    assert!(
        again.values().all(Vec::is_empty),
        "no second envelope: {again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_user_gets_no_envelope_and_a_log_line() {
    let stack = stack().await;
    let log = std::env::temp_dir().join(format!("event-router-{}.log", std::process::id()));
    let mut lambda = LambdaEmulator::start();
    lambda.attach_with_log(&workspace_binary("event-router"), &stack.env, Some(&log));

    let mut batch = batch_file();
    let record = batch["Records"][2].clone();
    let mut body: Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
    for target in body["event"]["target"].as_array_mut().unwrap() {
        if target["type"] == "User" {
            target["alternateId"] = json!("breakglass.admin@example.com");
        }
    }
    let mut record = record;
    record["body"] = json!(body.to_string());
    batch["Records"] = json!([record]);

    let response = lambda.invoke(&batch.to_string());
    assert_eq!(failures(&response), 0);
    assert!(stack.envelopes().await.values().all(Vec::is_empty));
    let lines = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(
        lines
            .lines()
            .any(|l| l.contains("protected") && l.contains("breakglass.admin@example.com")),
        "{lines}"
    );
    // The metrics line counts the refusal.
    let metrics: Vec<Value> = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l.get("_aws").is_some())
        .collect();
    assert_eq!(metrics.len(), 1, "{lines}");
    assert_eq!(metrics[0]["EventsRouted"], 1.0);
    assert_eq!(metrics[0]["PlansRefused"], 1.0);
    assert!(
        metrics[0].get("PlansSent").is_none(),
        "no plan sent, no zero billed: {lines}"
    );
}

#[test]
fn a_malformed_rule_file_fails_the_cold_start_with_its_file_and_line() {
    let dir = std::env::temp_dir().join(format!("okta-hooks-bad-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("broken.yaml"),
        "rules:\n  - id: broken\n    on: [user.account.lock]\n    do:\n      - action: user.explode\n",
    )
    .unwrap();
    let mut command = std::process::Command::new(workspace_binary("event-router"));
    command
        .env("OKTA_HOOKS_RULES_DIR", &dir)
        .env("OKTA_HOOKS_LEDGER_TABLE", "l")
        .env("OKTA_HOOKS_COUNTER_TABLE", "c")
        .env("OKTA_HOOKS_MAX_RECEIVE_COUNT", "12")
        .env(
            "OKTA_HOOKS_EVENTS_DLQ_URL",
            "https://sqs.us-east-1.amazonaws.com/1/dlq.fifo",
        );
    for family in Family::ALL {
        command.env(
            family.queue_url_var(),
            "https://sqs.us-east-1.amazonaws.com/1/q.fifo",
        );
    }
    let output = command
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.yaml:5:"), "{stderr}");
    assert!(stderr.contains("user.explode"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_message_leaves_a_letter_on_the_events_dlq_and_is_not_retried() {
    let stack = stack().await;
    let log = std::env::temp_dir().join(format!("event-router-dlq-{}.log", std::process::id()));
    let mut lambda = LambdaEmulator::start();
    lambda.attach_with_log(&workspace_binary("event-router"), &stack.env, Some(&log));
    let mut batch = batch_file();
    let mut record = batch["Records"][0].clone();
    let body = r#"{"org":"default","source":"hook","event":{"eventType":"user.account.lock"}}"#;
    record["body"] = json!(body);
    batch["Records"] = json!([record]);

    let response = lambda.invoke(&batch.to_string());
    assert_eq!(failures(&response), 0, "done, not retried: {response}");
    let letters = stack.aws.drain(&stack.events_dlq).await;
    assert_eq!(letters.len(), 1);
    let (group, _, letter) = &letters[0];
    let letter: Value = serde_json::from_str(letter).unwrap();
    assert_eq!(letter["failure"]["class"], "permanent");
    assert!(
        letter["failure"]["error"]
            .as_str()
            .unwrap()
            .contains("without uuid"),
        "{letter}"
    );
    assert_eq!(letter["message"], body);
    assert_eq!(group, "12345", "the message's group");
    let lines = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(
        lines
            .lines()
            .any(|l| l.contains("WARN") && l.contains("events DLQ")),
        "{lines}"
    );
    let metrics: Vec<Value> = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l.get("_aws").is_some())
        .collect();
    assert_eq!(metrics.len(), 1, "{lines}");
    assert_eq!(metrics[0]["EventsDeadLettered"], 1.0);
}

#[test]
fn the_cold_start_refuses_a_missing_max_receive_count_and_names_it() {
    let mut command = std::process::Command::new(workspace_binary("event-router"));
    command
        .env("OKTA_HOOKS_LEDGER_TABLE", "l")
        .env("OKTA_HOOKS_COUNTER_TABLE", "c")
        .env(
            "OKTA_HOOKS_EVENTS_DLQ_URL",
            "https://sqs.us-east-1.amazonaws.com/1/dlq.fifo",
        )
        .env_remove("OKTA_HOOKS_MAX_RECEIVE_COUNT");
    for family in Family::ALL {
        command.env(
            family.queue_url_var(),
            "https://sqs.us-east-1.amazonaws.com/1/q.fifo",
        );
    }
    let output = command
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("OKTA_HOOKS_MAX_RECEIVE_COUNT"), "{stderr}");
}
