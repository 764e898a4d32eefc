//! `okta-hooks hook setup|rotate-secret|status` through the real Okta client against an
//! in-test Okta server (wiremock), with the org secret in a file or in `moto_server`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use integration_tests::{Aws, MotoServer, aws::function_env, workspace_root};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "00TEST-admin-token-never-printed";
const HOOK_VALUE: &str = "hook-value-s3cr3t-never-printed";
const URL: &str = "https://abc123.execute-api.us-east-1.amazonaws.com/hooks/okta/acme";

/// Runs `okta-hooks ARGS` with only the given environment added (no OKTA_* of the caller).
fn run(args: &[&str], env: &[(&str, String)]) -> (bool, String) {
    integration_tests::okta_hooks_with_env(args, env)
}

fn secret_json(okta_url: &str) -> Value {
    json!({
        "hook": {"header": "X-Okta-Hooks-Auth", "current": HOOK_VALUE},
        "signing": {"active": "k1", "keys": {"k1": "0123456789abcdef0123456789abcdef-signing"}},
        "okta": {"org_url": okta_url, "api_token": TOKEN},
        "named": {"slack_webhook": "https://hooks.example.com/services/T0/B0/x"}
    })
}

fn secret_file(name: &str, okta_url: &str) -> PathBuf {
    let file = std::env::temp_dir().join(format!("okta-hooks-{name}-{}.json", std::process::id()));
    std::fs::write(&file, secret_json(okta_url).to_string()).expect("write the secret file");
    file
}

/// The hook-eligible event types of the shipped rules: what setup must subscribe to.
fn expected_event_types() -> BTreeSet<String> {
    let set = rules::RuleSet::load_dir(&workspace_root().join("rules")).expect("rules load");
    let types: BTreeSet<String> = set
        .event_types()
        .into_iter()
        .filter(|t| rules::event_types::lookup(t) == Some(true))
        .collect();
    assert!(!types.is_empty());
    types
}

fn hook_json(id: &str, status: &str, verification: &str) -> Value {
    json!({
        "id": id, "name": "okta-hooks acme", "status": status, "verificationStatus": verification,
        "events": {"type": "EVENT_TYPE", "items": ["user.account.lock"]},
        "channel": {"type": "HTTP", "version": "1.0.0",
                    "config": {"uri": URL, "method": "POST",
                               "authScheme": {"type": "HEADER", "key": "x-okta-hooks-auth"}}},
        "created": "2026-11-01T10:00:00.000Z", "lastUpdated": "2026-11-01T10:00:00.000Z",
        "_links": {"self": {"href": format!("https://acme.okta.com/api/v1/eventHooks/{id}")}}
    })
}

fn ssws() -> String {
    format!("SSWS {TOKEN}")
}

async fn bodies(okta: &MockServer, verb: &str, at: &str) -> Vec<Value> {
    okta.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r: &&Request| r.method.as_str() == verb && r.url.path() == at)
        .map(|r| serde_json::from_slice(&r.body).expect("a JSON body"))
        .collect()
}

fn assert_channel(body: &Value, value: &str) {
    let config = &body["channel"]["config"];
    assert_eq!(config["uri"], URL, "{body}");
    assert_eq!(config["authScheme"]["type"], "HEADER");
    assert_eq!(config["authScheme"]["key"], "X-Okta-Hooks-Auth");
    assert_eq!(config["authScheme"]["value"], value);
}

fn assert_no_secret(output: &str, values: &[&str]) {
    for value in values {
        assert!(
            !output.contains(value),
            "a secret value was printed:\n{output}"
        );
    }
    assert!(
        !output.contains(TOKEN),
        "the Okta token was printed:\n{output}"
    );
}

#[tokio::test]
async fn setup_creates_and_verifies_then_updates_the_same_hook() {
    let okta = MockServer::builder().start().await;
    let file = secret_file("setup", &okta.uri());
    let file_arg = file.display().to_string();
    let args = [
        "hook",
        "setup",
        "--org",
        "acme",
        "--url",
        URL,
        "--secret-file",
        &file_arg,
    ];
    let expected: Vec<String> = expected_event_types().into_iter().collect();

    // First run: no hook has that URL, so one is created (ACTIVE, UNVERIFIED) and verified.
    Mock::given(method("GET"))
        .and(path("/api/v1/eventHooks"))
        .and(header("authorization", ssws().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/eventHooks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(hook_json(
            "who1",
            "ACTIVE",
            "UNVERIFIED",
        )))
        .expect(1)
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/eventHooks/who1/lifecycle/activate"))
        .respond_with(ResponseTemplate::new(200).set_body_json(hook_json(
            "who1",
            "ACTIVE",
            "UNVERIFIED",
        )))
        .expect(0)
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/eventHooks/who1/lifecycle/verify"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(hook_json("who1", "ACTIVE", "VERIFIED")),
        )
        .expect(1)
        .mount(&okta)
        .await;

    let (ok, output) = run(&args, &[]);
    assert!(ok, "{output}");
    assert!(output.contains("created event hook who1"), "{output}");
    assert!(output.contains("verification: VERIFIED"), "{output}");
    assert_no_secret(&output, &[HOOK_VALUE]);
    let created = bodies(&okta, "POST", "/api/v1/eventHooks").await;
    assert_eq!(created.len(), 1);
    assert_channel(&created[0], HOOK_VALUE);
    assert_eq!(created[0]["events"]["type"], "EVENT_TYPE");
    assert_eq!(created[0]["events"]["items"], json!(expected));
    assert_eq!(created[0]["name"], "okta-hooks acme");
    okta.verify().await;

    // Second run: the hook with that URL exists (and was deactivated meanwhile): it is
    // replaced, activated and verified; nothing is created.
    okta.reset().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/eventHooks"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([hook_json("who1", "INACTIVE", "VERIFIED")])),
        )
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/eventHooks"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&okta)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v1/eventHooks/who1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(hook_json(
            "who1",
            "INACTIVE",
            "UNVERIFIED",
        )))
        .expect(1)
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/eventHooks/who1/lifecycle/activate"))
        .respond_with(ResponseTemplate::new(200).set_body_json(hook_json(
            "who1",
            "ACTIVE",
            "UNVERIFIED",
        )))
        .expect(1)
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/eventHooks/who1/lifecycle/verify"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(hook_json("who1", "ACTIVE", "VERIFIED")),
        )
        .expect(1)
        .mount(&okta)
        .await;

    let (ok, output) = run(&args, &[]);
    assert!(ok, "{output}");
    assert!(output.contains("updated event hook who1"), "{output}");
    assert_no_secret(&output, &[HOOK_VALUE]);
    let replaced = bodies(&okta, "PUT", "/api/v1/eventHooks/who1").await;
    assert_eq!(replaced.len(), 1);
    assert_channel(&replaced[0], HOOK_VALUE);
    assert_eq!(replaced[0]["events"]["items"], json!(expected));
    // The existing hook keeps its name; read-only fields are not sent back.
    assert_eq!(replaced[0]["name"], "okta-hooks acme");
    assert!(replaced[0].get("id").is_none() && replaced[0].get("status").is_none());
    okta.verify().await;
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn setup_fails_when_okta_cannot_verify_and_says_why() {
    let okta = MockServer::builder().start().await;
    let file = secret_file("verify-fails", &okta.uri());
    Mock::given(method("GET"))
        .and(path("/api/v1/eventHooks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([hook_json(
            "who2",
            "ACTIVE",
            "UNVERIFIED"
        )])))
        .mount(&okta)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v1/eventHooks/who2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(hook_json(
            "who2",
            "ACTIVE",
            "UNVERIFIED",
        )))
        .expect(1)
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/eventHooks/who2/lifecycle/verify"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errorCode": "E0000001", "errorSummary": "Api validation failed: Verification failed",
            "errorLink": "E0000001", "errorId": "oae1", "errorCauses": []
        })))
        .expect(1)
        .mount(&okta)
        .await;
    let file_arg = file.display().to_string();
    let (ok, output) = run(
        &[
            "hook",
            "setup",
            "--org",
            "acme",
            "--url",
            URL,
            "--secret-file",
            &file_arg,
        ],
        &[],
    );
    assert!(!ok, "{output}");
    assert!(output.contains("could not verify"), "{output}");
    assert!(output.contains("E0000001"), "{output}");
    assert_no_secret(&output, &[HOOK_VALUE]);
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn setup_refuses_a_secret_without_a_hook_value_before_calling_okta() {
    let okta = MockServer::builder().start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&okta)
        .await;
    let file = std::env::temp_dir().join(format!("okta-hooks-nohook-{}.json", std::process::id()));
    // The shape the stack creates the secret with: no hook section yet.
    let placeholder = json!({"_readme": "no hook value yet", "okta": {"org_url": okta.uri(), "api_token": TOKEN}});
    std::fs::write(&file, placeholder.to_string()).expect("write");
    let file_arg = file.display().to_string();
    let (ok, output) = run(
        &[
            "hook",
            "setup",
            "--org",
            "acme",
            "--url",
            URL,
            "--secret-file",
            &file_arg,
        ],
        &[],
    );
    assert!(!ok, "{output}");
    assert!(output.contains("no `hook` section"), "{output}");
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn rotate_secret_writes_current_and_previous_and_updates_okta() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let okta = MockServer::builder().start().await;
    aws.put_secret("okta-hooks/acme", &secret_json(&okta.uri()))
        .await;

    Mock::given(method("GET"))
        .and(path("/api/v1/eventHooks"))
        .and(header("authorization", ssws().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            // Another hook of the org, at another URL: left alone.
            {"id": "who0", "status": "ACTIVE", "verificationStatus": "VERIFIED",
             "channel": {"type": "HTTP", "version": "1.0.0",
                         "config": {"uri": "https://elsewhere.example/hook"}}},
            hook_json("who9", "ACTIVE", "VERIFIED")
        ])))
        .mount(&okta)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v1/eventHooks/who9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(hook_json(
            "who9",
            "ACTIVE",
            "UNVERIFIED",
        )))
        .expect(1)
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/eventHooks/who9/lifecycle/verify"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(hook_json("who9", "ACTIVE", "VERIFIED")),
        )
        .expect(1)
        .mount(&okta)
        .await;

    let (ok, output) = run(
        &["hook", "rotate-secret", "--org", "acme", "--url", URL],
        &function_env(&moto.endpoint()),
    );
    assert!(ok, "{output}");

    let stored = aws
        .secrets
        .get_secret_value()
        .secret_id("okta-hooks/acme")
        .send()
        .await
        .expect("get secret");
    let stored: Value =
        serde_json::from_str(stored.secret_string().expect("a string secret")).expect("JSON");
    let new_value = stored["hook"]["current"]
        .as_str()
        .expect("a current value")
        .to_owned();
    assert_eq!(stored["hook"]["previous"], HOOK_VALUE);
    assert_ne!(new_value, HOOK_VALUE);
    assert!(
        new_value.len() >= 32,
        "a weak value: {} chars",
        new_value.len()
    );
    assert_eq!(stored["hook"]["header"], "X-Okta-Hooks-Auth");
    // The rest of the secret is kept as it was.
    assert_eq!(stored["okta"], secret_json(&okta.uri())["okta"]);
    assert_eq!(stored["signing"], secret_json(&okta.uri())["signing"]);
    assert_eq!(stored["named"], secret_json(&okta.uri())["named"]);

    let replaced = bodies(&okta, "PUT", "/api/v1/eventHooks/who9").await;
    assert_eq!(replaced.len(), 1);
    assert_channel(&replaced[0], &new_value);
    assert_eq!(replaced[0]["events"]["items"], json!(["user.account.lock"]));
    assert!(replaced[0].get("_links").is_none() && replaced[0].get("id").is_none());
    assert_no_secret(&output, &[HOOK_VALUE, &new_value]);
    okta.verify().await;

    // status reads the same hook through the same credential, and prints no value.
    let (ok, output) = run(
        &["hook", "status", "--org", "acme", "--url", URL],
        &function_env(&moto.endpoint()),
    );
    assert!(ok, "{output}");
    assert!(output.contains("event hook who9"), "{output}");
    assert!(
        output.contains("auth header: x-okta-hooks-auth"),
        "{output}"
    );
    assert_no_secret(&output, &[HOOK_VALUE, &new_value]);
}

#[tokio::test]
async fn delete_deactivates_first_with_an_admin_credential_from_the_environment() {
    let okta = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/eventHooks"))
        .and(header("authorization", ssws().as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([hook_json("who5", "ACTIVE", "VERIFIED")])),
        )
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/eventHooks/who5/lifecycle/deactivate"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(hook_json("who5", "INACTIVE", "VERIFIED")),
        )
        .expect(1)
        .mount(&okta)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/eventHooks/who5"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&okta)
        .await;
    // No secret file and no AWS settings: OKTA_* is enough, no secret is read.
    let env = [
        ("OKTA_ORG_URL", okta.uri()),
        ("OKTA_API_TOKEN", TOKEN.to_owned()),
    ];
    let (ok, output) = run(&["hook", "list", "--org", "acme"], &env);
    assert!(ok, "{output}");
    assert!(
        output.contains("who5  ACTIVE  VERIFIED  https://abc123"),
        "{output}"
    );
    let (ok, output) = run(&["hook", "delete", "--org", "acme", "--url", URL], &env);
    assert!(ok, "{output}");
    assert!(output.contains("deleted event hook who5"), "{output}");
    assert_no_secret(&output, &[]);
    okta.verify().await;
}
