//! The built function binaries under cargo-lambda's Runtime API emulator, invoked with the
//! files of `events/`, talking to `moto_server`.

use std::path::{Path, PathBuf};

use actions::Family;
use integration_tests::aws::function_env;
use integration_tests::executor_binary::{ExecutorEnv, sqs_batch};
use integration_tests::{
    Aws, LambdaEmulator, MotoServer, okta_hooks_with_env, workspace_binary, workspace_root,
};
use org_secrets::{ExecutorCredentials, SecretKind, SecretReads, SigningKeys, StoredSecrets};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn event_file(name: &str) -> String {
    std::fs::read_to_string(workspace_root().join("events").join(name)).expect("events/ file")
}

fn status_and_body(response: &Value) -> (u64, Value) {
    let status = response["statusCode"].as_u64().expect("statusCode");
    let body = serde_json::from_str(response["body"].as_str().expect("body")).expect("JSON body");
    (status, body)
}

/// What a hook-ingest test runs against: moto with the events and rejects queues, the
/// org's secret with nothing but its hook value (`okta-hooks-example-secret`, the one
/// `events/` files carry) and the Runtime API emulator, not yet attached.
struct HookIngestSetup {
    // Kept alive for the test's length: dropping it stops moto.
    _moto: MotoServer,
    aws: Aws,
    /// The events queue hook-ingest sends accepted events to.
    events: String,
    lambda: LambdaEmulator,
    /// The function's environment: moto's endpoint and both queue URLs; a test adds its own.
    env: Vec<(&'static str, String)>,
}

async fn hook_ingest_setup() -> HookIngestSetup {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let events = aws.fifo_queue("okta-hooks-events.fifo").await;
    let rejects = aws.fifo_queue("okta-hooks-rejects.fifo").await;
    aws.put_org_secrets(
        "default",
        &json!({"hook": {"current": "okta-hooks-example-secret"}}),
    )
    .await;
    let lambda = LambdaEmulator::start();
    let mut env = function_env(&moto.endpoint());
    env.push(("OKTA_HOOKS_EVENTS_QUEUE_URL", events.clone()));
    env.push(("OKTA_HOOKS_REJECTS_QUEUE_URL", rejects));
    HookIngestSetup {
        _moto: moto,
        aws,
        events,
        lambda,
        env,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_ingest_answers_the_api_gateway_events() {
    let HookIngestSetup {
        _moto,
        aws,
        events: url,
        mut lambda,
        env,
    } = hook_ingest_setup().await;
    let log = std::env::temp_dir().join(format!("hook-ingest-emf-{}.log", std::process::id()));
    lambda.attach_with_log(&workspace_binary("hook-ingest"), &env, Some(&log));

    for file in ["apigw-v2-delivery.json", "apigw-v1-delivery.json"] {
        let (status, body) = status_and_body(&lambda.invoke(&event_file(file)));
        assert_eq!(status, 200, "{file}: {body}");
        assert_eq!(body["accepted"], 3, "{file}");
    }
    // Both files carry the same delivery: three messages, not six.
    let messages = aws.drain(&url).await;
    assert_eq!(messages.len(), 3);

    let mut wrong: Value = serde_json::from_str(&event_file("apigw-v2-delivery.json")).unwrap();
    wrong["headers"]["authorization"] = json!("not-the-secret");
    let (status, body) = status_and_body(&lambda.invoke(&wrong.to_string()));
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));

    let mut truncated: Value = serde_json::from_str(&event_file("apigw-v2-delivery.json")).unwrap();
    let text = truncated["body"].as_str().unwrap().to_owned();
    truncated["body"] = json!(text[..text.len() / 3]);
    let (status, body) = status_and_body(&lambda.invoke(&truncated.to_string()));
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("malformed_json"))
    );

    // The function keeps serving after refusals.
    let (status, _) = status_and_body(&lambda.invoke(&event_file("apigw-v2-delivery.json")));
    assert_eq!(status, 200);
    drop(lambda);

    // One EMF line per delivery: three enqueued (three events each), two refused by code.
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let emf: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l.get("_aws").is_some())
        .collect();
    let enqueued: Vec<&Value> = emf
        .iter()
        .filter(|l| l.get("EventsPerDelivery").is_some())
        .collect();
    assert_eq!(enqueued.len(), 3, "{text}");
    for line in &enqueued {
        assert_eq!(line["function"], "hook-ingest");
        assert_eq!(line["EventsAccepted"], 3);
        assert_eq!(line["EventsPerDelivery"], 3);
        assert!(line["EnqueueLatency"].is_u64(), "{line}");
    }
    let refused: Vec<&str> = emf
        .iter()
        .filter(|l| l["DeliveriesRefused"] == 1)
        .filter_map(|l| l["code"].as_str())
        .collect();
    assert_eq!(refused, ["unauthorized", "malformed_json"], "{text}");
    // Neither the secret, nor the wrong value sent, nor any event's content.
    let metrics = serde_json::to_string(&emf).unwrap();
    let delivery: Value = serde_json::from_str(
        serde_json::from_str::<Value>(&event_file("apigw-v2-delivery.json")).unwrap()["body"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let events = delivery["data"]["events"].as_array().unwrap();
    let mut forbidden = vec![
        "okta-hooks-example-secret".to_owned(),
        "not-the-secret".to_owned(),
        delivery["eventId"].as_str().unwrap().to_owned(),
    ];
    for event in events {
        forbidden.push(event["uuid"].as_str().unwrap().to_owned());
        forbidden.push(event["eventType"].as_str().unwrap().to_owned());
        forbidden.extend(event["actor"]["alternateId"].as_str().map(str::to_owned));
    }
    for value in &forbidden {
        assert!(
            !metrics.contains(value.as_str()),
            "{value} in a metric line: {metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_verify_echoes_the_challenge_of_the_api_gateway_event() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.put_org_secrets(
        "default",
        &json!({"hook": {"current": "okta-hooks-example-secret"}}),
    )
    .await;

    let mut lambda = LambdaEmulator::start();
    lambda.attach(
        &workspace_binary("hook-verify"),
        &function_env(&moto.endpoint()),
    );

    let event: Value = serde_json::from_str(&event_file("apigw-v2-verify.json")).unwrap();
    let challenge = event["headers"]["x-okta-verification-challenge"]
        .as_str()
        .unwrap();
    let response = lambda.invoke(&event.to_string());
    let (status, body) = status_and_body(&response);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"verification": challenge}));
    assert_eq!(response["headers"]["content-type"], "application/json");
}

#[test]
fn a_function_with_bad_configuration_fails_at_cold_start_naming_the_variable() {
    let output = std::process::Command::new(workspace_binary("hook-ingest"))
        .env_remove("OKTA_HOOKS_EVENTS_QUEUE_URL")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("OKTA_HOOKS_EVENTS_QUEUE_URL"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_ingest_serves_deliveries_when_the_org_has_only_its_hook_secret() {
    let HookIngestSetup {
        _moto,
        aws,
        events: url,
        mut lambda,
        env,
    } = hook_ingest_setup().await;
    // No Okta credential, no signing key, no single secret: nothing but the hook values.
    assert_eq!(aws.secret_names().await, ["okta-hooks/default/hook"]);

    lambda.attach(&workspace_binary("hook-ingest"), &env);
    let (status, body) = status_and_body(&lambda.invoke(&event_file("apigw-v2-delivery.json")));
    assert_eq!((status, &body["accepted"]), (200, &json!(3)), "{body}");
    assert_eq!(aws.drain(&url).await.len(), 3);
    let mut wrong: Value = serde_json::from_str(&event_file("apigw-v2-delivery.json")).unwrap();
    wrong["headers"]["authorization"] = json!("not-the-secret");
    let (status, _) = status_and_body(&lambda.invoke(&wrong.to_string()));
    assert_eq!(status, 401);
}

/// The signing key of the envelope files of `events/` (events/README.md).
const EXAMPLE_KEY: &str = "okta-hooks-example-signing-key-0123456789";
const LEGACY_TOKEN: &str = "00legacy-single-secret-token";
const LEGACY_WEBHOOK: &str = "https://hooks.example.com/legacy-named-value";

/// A function binary's log (its stdout) in the temp dir, removed when read.
fn log_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{name}-legacy-{}.log", std::process::id()))
}

/// The function's log lines, after asserting that it warned once about the single
/// secret (naming the kinds it reads: `reads`) and that no value of the secret is in it.
fn assert_warned_with_no_secret(log: &Path, reads: &str) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let _ = std::fs::remove_file(log);
    let warnings: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["level"] == "WARN" && l.to_string().contains("LegacySingleSecret is on"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning at cold start: {text}");
    assert!(
        warnings[0]
            .to_string()
            .contains(&format!("\"reads\":\"{reads}\"")),
        "{}",
        warnings[0]
    );
    for secret in [
        "okta-hooks-example-secret",
        EXAMPLE_KEY,
        LEGACY_TOKEN,
        LEGACY_WEBHOOK,
    ] {
        assert!(!text.contains(secret), "{secret} logged: {text}");
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_legacy_single_secret_every_function_works_and_warns_at_cold_start() {
    // hook-ingest, hook-verify, the router, the users executor and the poller, in turn.
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let okta = MockServer::builder().start().await;
    let ssws = format!("SSWS {LEGACY_TOKEN}");
    let port = okta.address().port();
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234/lifecycle/suspend"))
        .and(header("authorization", ssws.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&okta)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(header("authorization", ssws.as_str()))
        .respond_with(move |request: &wiremock::Request| {
            // An empty page whose next link polls on from the same query.
            let mut next = request.url.clone();
            let _ = next.set_host(Some("127.0.0.1"));
            let _ = next.set_port(Some(port));
            let kept: Vec<(String, String)> = next
                .query_pairs()
                .filter(|(k, _)| k != "after")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            next.query_pairs_mut()
                .clear()
                .extend_pairs(kept)
                .append_pair("after", "end");
            ResponseTemplate::new(200)
                .insert_header("link", format!("<{next}>; rel=\"next\"").as_str())
                .set_body_json(json!([]))
        })
        .expect(1..)
        .mount(&okta)
        .await;
    // Only the single secret of before the split exists.
    aws.put_legacy_org_secret(
        "default",
        &json!({
            "hook": {"current": "okta-hooks-example-secret"},
            "signing": {"active": "example", "keys": {"example": EXAMPLE_KEY}},
            "okta": {"org_url": okta.uri(), "api_token": LEGACY_TOKEN},
            "named": {"slack_webhook": LEGACY_WEBHOOK},
        }),
    )
    .await;
    assert_eq!(aws.secret_names().await, ["okta-hooks/default"]);
    let ExecutorEnv { env, queues, dlq } =
        ExecutorEnv::create(&aws, &moto.endpoint(), Family::Users).await;
    let legacy = |mut env: Vec<(&'static str, String)>| {
        env.push(("OKTA_HOOKS_LEGACY_SINGLE_SECRET", "true".to_owned()));
        env
    };
    let events_url = aws.fifo_queue("okta-hooks-events.fifo").await;
    let events_dlq = aws.fifo_queue("okta-hooks-events-dlq.fifo").await;
    let rejects = aws.fifo_queue("okta-hooks-rejects.fifo").await;
    for table in ["ledger", "counters", "cursors"] {
        aws.table(table).await;
    }

    // hook-ingest: the hook values.
    let mut ingest_env = legacy(function_env(&moto.endpoint()));
    ingest_env.push(("OKTA_HOOKS_EVENTS_QUEUE_URL", events_url.clone()));
    ingest_env.push(("OKTA_HOOKS_REJECTS_QUEUE_URL", rejects));
    let log = log_file("hook-ingest");
    let mut lambda = LambdaEmulator::start();
    lambda.attach_with_log(&workspace_binary("hook-ingest"), &ingest_env, Some(&log));
    let (status, body) = status_and_body(&lambda.invoke(&event_file("apigw-v2-delivery.json")));
    assert_eq!((status, &body["accepted"]), (200, &json!(3)), "{body}");
    drop(lambda);
    assert_warned_with_no_secret(&log, "hook");
    assert_eq!(aws.drain(&events_url).await.len(), 3);

    // hook-verify: the hook values answer Okta's verification challenge.
    let log = log_file("hook-verify");
    let mut lambda = LambdaEmulator::start();
    let verify_env = legacy(function_env(&moto.endpoint()));
    lambda.attach_with_log(&workspace_binary("hook-verify"), &verify_env, Some(&log));
    let (status, body) = status_and_body(&lambda.invoke(&event_file("apigw-v2-verify.json")));
    assert_eq!(status, 200, "{body}");
    assert!(body["verification"].is_string(), "{body}");
    drop(lambda);
    assert_warned_with_no_secret(&log, "hook");

    // event-router: the signing keys sign its envelopes.
    let mut router_env = legacy(function_env(&moto.endpoint()));
    router_env.extend([
        ("OKTA_HOOKS_LEDGER_TABLE", "ledger".to_owned()),
        ("OKTA_HOOKS_COUNTER_TABLE", "counters".to_owned()),
        ("OKTA_HOOKS_EVENTS_DLQ_URL", events_dlq.clone()),
        ("OKTA_HOOKS_MAX_RECEIVE_COUNT", "3".to_owned()),
    ]);
    for family in Family::ALL {
        router_env.push((family.queue_url_var(), queues[&family].clone()));
    }
    let log = log_file("event-router");
    let mut lambda = LambdaEmulator::start();
    lambda.attach_with_log(&workspace_binary("event-router"), &router_env, Some(&log));
    let response = lambda.invoke(&event_file("sqs-events-batch.json"));
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    drop(lambda);
    assert_warned_with_no_secret(&log, "signing,plan-signing,okta-read");
    assert!(aws.drain(&events_dlq).await.is_empty());
    let keys = SigningKeys::new("example", &[("example", EXAMPLE_KEY)]);
    let routed = aws.drain(&queues[&Family::Users]).await;
    assert!(!routed.is_empty(), "the batch makes users steps");
    for (_, _, body) in &routed {
        envelope::open::<rules::Plan>(body, &keys).expect("signed with the single secret's key");
    }

    // The users executor: the signing keys verify, the Okta credential calls Okta.
    let log = log_file("action-executor");
    let mut lambda = LambdaEmulator::start();
    lambda.attach_with_log(
        &workspace_binary("action-executor"),
        &legacy(env),
        Some(&log),
    );
    let response = lambda.invoke(
        &std::fs::read_to_string(workspace_root().join("events/sqs-envelopes-batch.json"))
            .expect("events file"),
    );
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    drop(lambda);
    assert_warned_with_no_secret(&log, "signing,okta");
    assert!(aws.drain(&dlq).await.is_empty());
    assert_eq!(aws.drain(&queues[&Family::Sessions]).await.len(), 1);

    // log-poller: the Okta credential reads the System Log.
    let mut poller_env = legacy(function_env(&moto.endpoint()));
    poller_env.extend([
        ("OKTA_HOOKS_EVENTS_QUEUE_URL", events_url.clone()),
        ("OKTA_HOOKS_CURSOR_TABLE", "cursors".to_owned()),
        ("OKTA_HOOKS_LEDGER_TABLE", "ledger".to_owned()),
    ]);
    let log = log_file("log-poller");
    let mut lambda = LambdaEmulator::start();
    lambda.attach_with_log(&workspace_binary("log-poller"), &poller_env, Some(&log));
    let summary = lambda.invoke(&event_file("eventbridge-schedule.json"));
    assert_eq!(summary["orgs"][0]["org"], "default", "{summary}");
    assert_eq!(summary["orgs"][0]["outcome"], "caught_up", "{summary}");
    drop(lambda);
    assert_warned_with_no_secret(&log, "okta-read");
    okta.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_binary_sends_plan_signed_steps_that_the_executor_binary_runs_and_refuses_hmac_only_ones()
 {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let okta = MockServer::builder().start().await;
    let env = function_env(&moto.endpoint());
    // The split secrets, then plan signatures turned on as an operator does: the key
    // pair (plan-signing, read by the router only; its public key in signing.plan_keys),
    // then, the queues being empty, HMAC-only envelopes refused.
    aws.put_org_secrets(
        "default",
        &json!({
            "signing": {"active": "example", "keys": {"example": EXAMPLE_KEY}},
            "okta": {"org_url": okta.uri(), "api_token": "00admin"},
            "okta-read": {"org_url": okta.uri(), "api_token": "00read"},
        }),
    )
    .await;
    for args in [
        &["--org", "default"][..],
        &["--org", "default", "--require"],
    ] {
        let (ok, out) = okta_hooks_with_env(&[&["secrets", "plan-key"][..], args].concat(), &env);
        assert!(ok, "{out}");
    }
    let ExecutorEnv {
        env: executor_env,
        queues,
        dlq,
    } = ExecutorEnv::create(&aws, &moto.endpoint(), Family::Users).await;
    let events_dlq = aws.fifo_queue("okta-hooks-events-dlq.fifo").await;
    for table in ["ledger", "counters"] {
        aws.table(table).await;
    }

    // event-router: each plan signed with the router's plan key.
    let mut router_env = env.clone();
    router_env.extend([
        ("OKTA_HOOKS_LEDGER_TABLE", "ledger".to_owned()),
        ("OKTA_HOOKS_COUNTER_TABLE", "counters".to_owned()),
        ("OKTA_HOOKS_EVENTS_DLQ_URL", events_dlq.clone()),
        ("OKTA_HOOKS_MAX_RECEIVE_COUNT", "3".to_owned()),
    ]);
    for family in Family::ALL {
        router_env.push((family.queue_url_var(), queues[&family].clone()));
    }
    let mut lambda = LambdaEmulator::start();
    lambda.attach(&workspace_binary("event-router"), &router_env);
    let response = lambda.invoke(&event_file("sqs-events-batch.json"));
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    drop(lambda);
    assert!(aws.drain(&events_dlq).await.is_empty());
    let routed = aws.drain(&queues[&Family::Users]).await;
    assert!(!routed.is_empty(), "the batch makes users steps");
    // What the executors hold: the signing section, plan_keys included, no seed.
    let executor_keys = {
        let signing = aws
            .secrets
            .get_secret_value()
            .secret_id("okta-hooks/default/signing")
            .send()
            .await
            .expect("the signing secret");
        let mut stored = StoredSecrets::new();
        stored
            .insert(SecretKind::Signing, signing.secret_string().expect("text"))
            .expect("signing");
        SecretReads::executor("users", ExecutorCredentials::Shared, false, false)
            .resolve(&stored)
            .expect("the executors' view")
            .signing
            .expect("signing keys")
    };
    for (_, _, body) in &routed {
        let body: Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(body["plan"]["kid"], "p1", "plan-signed: {body}");
    }
    let (group, dedup, body) = &routed[0];
    let opened = envelope::open_step::<rules::Plan>(body, &executor_keys).expect("verified");
    assert!(opened.plan.is_some());
    let step = &opened.envelope.plan.steps[opened.envelope.cursor.index];
    assert_eq!(step.action, "user.suspend");
    let user = step.params["user"].as_str().expect("a user").to_owned();
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{user}/lifecycle/suspend")))
        .and(header("authorization", "SSWS 00admin"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&okta)
        .await;

    // The users executor runs the router-signed step: the change applied once, the next
    // step passed on with the router's plan unchanged.
    let mut lambda = LambdaEmulator::start();
    lambda.attach(&workspace_binary("action-executor"), &executor_env);
    let batch = sqs_batch("m-1", body, group, dedup, Family::Users);
    let response = lambda.invoke(&batch.to_string());
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    assert!(aws.drain(&dlq).await.is_empty());
    let next = aws.drain(&queues[&Family::Sessions]).await;
    assert_eq!(next.len(), 1, "{next:?}");
    let next_body: Value = serde_json::from_str(&next[0].2).expect("JSON");
    let first_body: Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(
        next_body["plan"], first_body["plan"],
        "the plan passed on unchanged"
    );
    let calls = okta.received_requests().await.expect("recorded").len();
    assert_eq!(calls, 1);

    // What an executor without the plan key can make: the HMAC keys' seal of a plan of
    // its own (another user), on the same queue. Refused, lettered, no Okta call.
    let mut forged = opened.envelope.clone();
    let index = forged.cursor.index;
    forged.plan.steps[index]
        .params
        .insert("user".to_owned(), json!("00uvictim"));
    let hmac = SigningKeys::new("example", &[("example", EXAMPLE_KEY)]);
    let forged_body = envelope::seal(&forged, &hmac).expect("sealed");
    let batch = sqs_batch("m-2", &forged_body, group, "forged", Family::Users);
    let response = lambda.invoke(&batch.to_string());
    drop(lambda);
    assert_eq!(
        response["batchItemFailures"],
        json!([]),
        "refused, not retried: {response}"
    );
    let letters = aws.drain(&dlq).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter: Value = serde_json::from_str(&letters[0].2).expect("letter");
    assert_eq!(
        letter["failure"]["error"],
        "envelope refused: the plan is not signed by the router, and this org requires it",
        "{letter}"
    );
    assert_eq!(letter["envelope"], json!(forged_body));
    assert_eq!(
        okta.received_requests().await.expect("recorded").len(),
        calls,
        "no Okta call for the forged step"
    );
    assert!(aws.drain(&queues[&Family::Sessions]).await.is_empty());
    okta.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_ingest_with_essential_metrics_prints_its_counts_as_a_plain_line_no_metric() {
    let HookIngestSetup {
        _moto,
        mut lambda,
        mut env,
        ..
    } = hook_ingest_setup().await;
    // The template's Metrics parameter, as every function's environment carries it.
    env.push(("OKTA_HOOKS_METRICS", "Essential".to_owned()));
    let log =
        std::env::temp_dir().join(format!("hook-ingest-essential-{}.log", std::process::id()));
    lambda.attach_with_log(&workspace_binary("hook-ingest"), &env, Some(&log));

    let (status, _) = status_and_body(&lambda.invoke(&event_file("apigw-v2-delivery.json")));
    assert_eq!(status, 200);
    drop(lambda);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    let delivery: Vec<&Value> = lines
        .iter()
        .filter(|l| l.get("EventsPerDelivery").is_some())
        .collect();
    assert_eq!(delivery.len(), 1, "{text}");
    assert_eq!(delivery[0]["EventsAccepted"], 3, "the count is in the line");
    assert!(
        lines.iter().all(|l| l.get("_aws").is_none()),
        "no metric CloudWatch would bill: {text}"
    );
}
