//! No secret at any log level: the built `hook-ingest` and `action-executor` under
//! cargo-lambda's emulator with `RUST_LOG=trace` and `AWS_LAMBDA_LOG_LEVEL=TRACE` (the
//! template's most verbose `LogLevel`), where the Lambda runtime logs each raw
//! invocation and the AWS SDK its request and response bodies. The hook's auth header
//! and a temporary password an envelope carries reach no line of the function's log.

use std::path::Path;

use actions::Family;
use envelope::{Cursor, Envelope, Phase, envelope_id, open, seal};
use integration_tests::aws::function_env;
use integration_tests::executor_binary::{
    self, ExecutorEnv, put_executor_secret, route_suspicious_activity,
};
use integration_tests::{Aws, LambdaEmulator, MotoServer, workspace_binary, workspace_root};
use org_secrets::SigningKeys;
use rules::{Plan, RuleSet};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOOK_SECRET: &str = "okta-hooks-example-secret";
const SIGNING_KEY: &str = "no-secret-at-trace-signing-key-0123456789";
const TEMP: &str = "Temp-SECRET-8812-pw";
const TOKEN: &str = "00trace-test-api-token";

/// The most verbose level, both ways the functions read it.
fn at_trace(env: &mut Vec<(&'static str, String)>) {
    env.push(("RUST_LOG", "trace".to_owned()));
    env.push(("AWS_LAMBDA_LOG_LEVEL", "TRACE".to_owned()));
}

fn log_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("{name}-trace-{}.log", std::process::id()))
}

/// The function's log; it must be at TRACE (our own trace/debug lines are there).
fn read_log(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let _ = std::fs::remove_file(log);
    assert!(
        text.contains("\"level\":\"TRACE\"") || text.contains("\"level\":\"DEBUG\""),
        "the function did not log below INFO: {text}"
    );
    text
}

fn event_file(name: &str) -> String {
    std::fs::read_to_string(workspace_root().join("events").join(name)).expect("events/ file")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_ingest_at_trace_logs_no_auth_header_value() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let url = aws.fifo_queue("okta-hooks-events.fifo").await;
    let rejects = aws.fifo_queue("okta-hooks-rejects.fifo").await;
    aws.put_org_secrets("default", &json!({"hook": {"current": HOOK_SECRET}}))
        .await;
    let mut env = function_env(&moto.endpoint());
    env.push(("OKTA_HOOKS_EVENTS_QUEUE_URL", url.clone()));
    env.push(("OKTA_HOOKS_REJECTS_QUEUE_URL", rejects));
    at_trace(&mut env);
    let log = log_path("hook-ingest");
    let mut lambda = LambdaEmulator::start();
    lambda.attach_with_log(&workspace_binary("hook-ingest"), &env, Some(&log));

    let delivery = event_file("apigw-v2-delivery.json");
    assert!(
        delivery.contains(HOOK_SECRET),
        "the event carries the header"
    );
    let response = lambda.invoke(&delivery);
    assert_eq!(response["statusCode"], 200, "{response}");
    let mut wrong: Value = serde_json::from_str(&delivery).expect("json");
    wrong["headers"]["authorization"] = json!("wrong-SECRET-guess-3310");
    let response = lambda.invoke(&wrong.to_string());
    assert_eq!(response["statusCode"], 401, "{response}");
    assert_eq!(aws.drain(&url).await.len(), 3);
    drop(lambda);

    let logs = read_log(&log);
    for secret in [HOOK_SECRET, "wrong-SECRET-guess-3310"] {
        assert!(!logs.contains(secret), "{secret} logged: {logs}");
    }
}

const RULES: &str = r#"
rules:
  - id: temp-then-set
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.password.expire_with_temp
        name: temp
        user: ${ target("User").id }
      - action: user.password.set
        user: ${ target("User").id }
        password: ${ steps.temp.tempPassword }
"#;

fn keys() -> SigningKeys {
    SigningKeys::new("k1", &[("k1", SIGNING_KEY)])
}

/// The first envelope the router makes of the suspicious-activity event with [`RULES`]
/// (the `temp` step, on the credentials queue).
async fn first_envelope() -> Envelope<Plan> {
    let rules = RuleSet::from_sources(&[("rules.yaml", RULES)]).expect("rules");
    let message =
        route_suspicious_activity(rules, ("k1", SIGNING_KEY), "d-1", Family::Credentials).await;
    open(&message.body, &keys()).expect("signed")
}

/// The second step's envelope as an executor from before secret outputs were sealed
/// made it: the temporary password in clear in `outputs`.
fn second_with_clear_password(first: &Envelope<Plan>) -> Envelope<Plan> {
    let mut next = first.clone();
    next.id = envelope_id(&first.event.uuid, &first.rule_id, Phase::Steps, 1);
    next.cursor = Cursor {
        phase: Phase::Steps,
        index: 1,
    };
    next.outputs
        .insert("temp".into(), json!({ "tempPassword": TEMP }));
    next
}

fn sqs_batch(body: &str, group: &str, dedup: &str) -> String {
    executor_binary::sqs_batch(
        &format!("m-{dedup}"),
        body,
        group,
        dedup,
        Family::Credentials,
    )
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_executor_at_trace_logs_no_temporary_password_and_sends_it_sealed() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let okta = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path(
            "/api/v1/users/01234/lifecycle/expire_password_with_temp_password",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"tempPassword": TEMP})))
        .expect(1)
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234"))
        .and(body_partial_json(
            json!({"credentials": {"password": {"value": TEMP}}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(okta_fixtures::answer("user")))
        .expect(1)
        .mount(&okta)
        .await;
    put_executor_secret(&aws, "k1", SIGNING_KEY, &okta.uri(), TOKEN).await;
    let ExecutorEnv {
        mut env,
        queues,
        dlq,
    } = ExecutorEnv::create(&aws, &moto.endpoint(), Family::Credentials).await;
    at_trace(&mut env);
    let log = log_path("action-executor");
    let mut lambda = LambdaEmulator::start();
    lambda.attach_with_log(&workspace_binary("action-executor"), &env, Some(&log));

    // The temp step: Okta answers the temporary password; the next step goes on sealed.
    let first = first_envelope().await;
    let body = seal(&first, &keys()).expect("sealed");
    let response = lambda.invoke(&sqs_batch(&body, &first.group, &first.id));
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    let next = aws.drain(&queues[&Family::Credentials]).await;
    assert_eq!(next.len(), 1, "{next:?}");
    assert!(!next[0].2.contains(TEMP), "sent in clear: {}", next[0].2);
    let sent: Envelope<Plan> = open(&next[0].2, &keys()).expect("signed");
    assert!(sent.outputs["temp"]["tempPassword"]["$secret"].is_string());
    let records = aws
        .dynamodb
        .scan()
        .table_name("steps")
        .send()
        .await
        .expect("scan");
    let records = format!("{:?}", records.items());
    assert!(records.contains(&first.id), "{records}");
    assert!(!records.contains(TEMP), "recorded in clear: {records}");

    // An envelope that carries the password in clear (made before sealing existed):
    // the runtime's raw-event line would print it; the step still gets it.
    let second = second_with_clear_password(&first);
    let body = seal(&second, &keys()).expect("sealed");
    assert!(body.contains(TEMP));
    let response = lambda.invoke(&sqs_batch(&body, &second.group, &second.id));
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    assert!(aws.drain(&dlq).await.is_empty());
    okta.verify().await;
    drop(lambda);

    let logs = read_log(&log);
    assert!(logs.contains("\"audit\":true"), "{logs}");
    for secret in [TEMP, TOKEN, SIGNING_KEY] {
        assert!(!logs.contains(secret), "{secret} logged: {logs}");
    }
}
