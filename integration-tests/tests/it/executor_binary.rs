//! The built `action-executor` binary under cargo-lambda, invoked with
//! `events/sqs-envelopes-batch.json`, against `moto_server` and a wiremock Okta.

use actions::Family;
use envelope::open;
use integration_tests::executor_binary::{
    ExecutorEnv, put_executor_secret, route_suspicious_activity, sqs_batch,
};
use integration_tests::{Aws, LambdaEmulator, MotoServer, workspace_binary, workspace_root};
use org_secrets::SigningKeys;
use rules::{Plan, RuleSet};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The signing key the events/ envelope files are signed with (events/README.md).
const EXAMPLE_KEY: &str = "okta-hooks-example-signing-key-0123456789";
const FILE: &str = "events/sqs-envelopes-batch.json";

fn keys() -> SigningKeys {
    SigningKeys::new("example", &[("example", EXAMPLE_KEY)])
}

/// The batch the router makes of the suspicious-activity reference event with the
/// repository's rules: one `user.suspend` envelope on the users queue, as SQS hands it
/// to the users executor.
async fn envelope_batch() -> Value {
    let rules = RuleSet::load_dir(&workspace_root().join("rules")).expect("rules");
    let message = route_suspicious_activity(
        rules,
        ("example", EXAMPLE_KEY),
        "example-delivery",
        Family::Users,
    )
    .await;
    sqs_batch(
        "7a1c2a6e-0000-4000-8000-000000000001",
        &message.body,
        &message.group_id,
        &message.dedup_id,
        Family::Users,
    )
}

#[tokio::test]
async fn the_envelope_event_file_is_what_the_router_makes_now() {
    let fresh = serde_json::to_string_pretty(&envelope_batch().await).expect("json") + "\n";
    let path = workspace_root().join(FILE);
    if std::env::var_os("OKTA_HOOKS_WRITE_EVENTS").is_some() {
        std::fs::write(&path, &fresh).expect("write the events file");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{FILE} is stale (the envelope format or the rules changed): rerun this test with OKTA_HOOKS_WRITE_EVENTS=1"
    );
}

fn failures(response: &Value) -> usize {
    response["batchItemFailures"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_executor_runs_the_envelope_once_and_refuses_a_tampered_one() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let okta = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234/lifecycle/suspend"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-rate-limit-limit", "600")
                .insert_header("x-rate-limit-remaining", "599")
                .set_body_json(json!({})),
        )
        .expect(1)
        .mount(&okta)
        .await;
    put_executor_secret(&aws, "example", EXAMPLE_KEY, &okta.uri(), "00example-token").await;
    let ExecutorEnv { env, queues, dlq } =
        ExecutorEnv::create(&aws, &moto.endpoint(), Family::Users).await;
    let log = std::env::temp_dir().join(format!("action-executor-{}.log", std::process::id()));
    let mut lambda = LambdaEmulator::start();
    lambda.attach_with_log(&workspace_binary("action-executor"), &env, Some(&log));

    let batch = std::fs::read_to_string(workspace_root().join(FILE)).expect("events file");
    for attempt in 0..2 {
        let response = lambda.invoke(&batch);
        assert_eq!(failures(&response), 0, "attempt {attempt}: {response}");
    }
    // One Okta call (wiremock's expect(1)), and the plan's next step signed on the
    // sessions queue with the user's group.
    let next = aws.drain(&queues[&Family::Sessions]).await;
    assert_eq!(next.len(), 1, "{next:?}");
    let (group, _, body) = &next[0];
    assert_eq!(group, "01234");
    let step: envelope::Envelope<Plan> = open(body, &keys()).expect("signed");
    assert_eq!(
        step.plan.steps[step.cursor.index].action,
        "user.sessions.clear"
    );

    let mut tampered: Value = serde_json::from_str(&batch).expect("json");
    let body = tampered["Records"][0]["body"]
        .as_str()
        .unwrap_or_default()
        .replace("01234", "00uother");
    tampered["Records"][0]["body"] = json!(body);
    let response = lambda.invoke(&tampered.to_string());
    assert_eq!(failures(&response), 0, "refused, not retried: {response}");
    let letters = aws.drain(&dlq).await;
    assert_eq!(letters.len(), 1);
    let letter: Value = serde_json::from_str(&letters[0].2).expect("letter");
    assert_eq!(
        letter["failure"]["error"],
        "envelope refused: signature does not match"
    );
    okta.verify().await;

    // One audit line and one EMF metrics line per action.
    let lines = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let json: Vec<Value> = lines
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let audit: Vec<&Value> = json
        .iter()
        .filter(|l| l["fields"]["audit"] == true)
        .collect();
    assert_eq!(audit.len(), 1, "{lines}");
    assert_eq!(audit[0]["fields"]["outcome"], "done");
    assert_eq!(audit[0]["fields"]["target"], "01234");
    let (metrics, rate): (Vec<&Value>, Vec<&Value>) = json
        .iter()
        .filter(|l| l.get("_aws").is_some())
        .partition(|l| l.get("OktaRateLimitRemaining").is_none());
    assert_eq!(metrics.len(), 1, "{lines}");
    // And one line per Okta answer: no 429, the window's headroom as Okta sent it.
    assert_eq!(rate.len(), 1, "{lines}");
    assert_eq!(rate[0]["family"], "users");
    assert!(
        rate[0].get("Okta429s").is_none(),
        "no 429, no value: {lines}"
    );
    assert_eq!(rate[0]["OktaRateLimitRemaining"], 599, "{lines}");
    assert_eq!(metrics[0]["family"], "users");
    assert_eq!(metrics[0]["ActionsDone"], 1.0);
    assert!(
        metrics[0]["EventToActionLatency"]
            .as_f64()
            .is_some_and(|ms| ms > 0.0)
    );
}

/// The same step as [`FILE`], as the previous version's router signed it (the envelope
/// then copied its step's `family`, `action` and `params` beside the plan); kept as it
/// was so that envelopes in flight across the upgrade are known to open and run.
const PREVIOUS: &str = "events/sqs-envelopes-batch-previous.json";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envelope_signed_by_the_previous_version_still_runs_and_passes_the_plan_on() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let okta = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234/lifecycle/suspend"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&okta)
        .await;
    put_executor_secret(&aws, "example", EXAMPLE_KEY, &okta.uri(), "00example-token").await;
    let ExecutorEnv { env, queues, dlq } =
        ExecutorEnv::create(&aws, &moto.endpoint(), Family::Users).await;
    let mut lambda = LambdaEmulator::start();
    lambda.attach(&workspace_binary("action-executor"), &env);

    let batch = std::fs::read_to_string(workspace_root().join(PREVIOUS)).expect("events file");
    assert!(
        batch.contains(r#"\\\"action\\\":\\\"user.suspend\\\""#),
        "the old shape"
    );
    let response = lambda.invoke(&batch);
    assert_eq!(failures(&response), 0, "{response}");
    let next = aws.drain(&queues[&Family::Sessions]).await;
    assert_eq!(next.len(), 1, "{next:?}");
    let step: envelope::Envelope<Plan> = open(&next[0].2, &keys()).expect("signed");
    assert_eq!(
        step.plan.steps[step.cursor.index].action,
        "user.sessions.clear"
    );
    assert!(aws.drain(&dlq).await.is_empty());
    okta.verify().await;
}

#[test]
fn a_bad_family_fails_the_cold_start_naming_the_variable() {
    let output = std::process::Command::new(workspace_binary("action-executor"))
        .env("OKTA_HOOKS_FAMILY", "user")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("OKTA_HOOKS_FAMILY"), "{stderr}");
    assert!(stderr.contains("users"), "{stderr}");
}
