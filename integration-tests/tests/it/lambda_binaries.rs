//! The built function binaries under cargo-lambda's Runtime API emulator, invoked with the
//! files of `events/`, talking to `moto_server`.

use integration_tests::aws::function_env;
use integration_tests::{Aws, LambdaEmulator, MotoServer, workspace_binary, workspace_root};
use serde_json::{Value, json};

fn event_file(name: &str) -> String {
    std::fs::read_to_string(workspace_root().join("events").join(name)).expect("events/ file")
}

fn status_and_body(response: &Value) -> (u64, Value) {
    let status = response["statusCode"].as_u64().expect("statusCode");
    let body = serde_json::from_str(response["body"].as_str().expect("body")).expect("JSON body");
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_ingest_answers_the_api_gateway_events() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let url = aws.fifo_queue("okta-hooks-events.fifo").await;
    aws.put_org_secrets(
        "default",
        &json!({"hook": {"current": "okta-hooks-example-secret"}}),
    )
    .await;

    let mut lambda = LambdaEmulator::start();
    let rejects = aws.fifo_queue("okta-hooks-rejects.fifo").await;
    let mut env = function_env(&moto.endpoint());
    env.push(("OKTA_HOOKS_EVENTS_QUEUE_URL", url.clone()));
    env.push(("OKTA_HOOKS_REJECTS_QUEUE_URL", rejects));
    lambda.attach(&workspace_binary("hook-ingest"), &env);

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
