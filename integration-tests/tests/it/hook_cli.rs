//! `okta-hooks hook setup|rotate-secret|status` through the real Okta client against an
//! in-test Okta server (wiremock), with the org's secrets in a file (either shape) or in
//! `moto_server` (split: `okta-hooks/acme/hook` and `/okta`; or the single secret with
//! `--legacy-single-secret`).

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

/// The single shape of before the split.
fn secret_json(okta_url: &str) -> Value {
    json!({
        "hook": {"header": "X-Okta-Hooks-Auth", "current": HOOK_VALUE},
        "signing": {"active": "k1", "keys": {"k1": "0123456789abcdef0123456789abcdef-signing"}},
        "okta": {"org_url": okta_url, "api_token": TOKEN},
        "named": {"slack_webhook": "https://hooks.example.com/services/T0/B0/x"}
    })
}

/// A read-only token: the hook commands must never use it (Okta answers only `TOKEN`).
const READ_TOKEN: &str = "00TEST-read-only-token-not-for-hooks";

/// The split shape: the same sections, and a read-only `okta-read`.
fn split_json(okta_url: &str) -> Value {
    let mut split = secret_json(okta_url);
    split["okta-read"] = json!({"org_url": okta_url, "api_token": READ_TOKEN});
    split
}

fn write_file(name: &str, content: &Value) -> PathBuf {
    let file = std::env::temp_dir().join(format!("okta-hooks-{name}-{}.json", std::process::id()));
    std::fs::write(&file, content.to_string()).expect("write the secret file");
    file
}

/// A secret file in the single shape.
fn secret_file(name: &str, okta_url: &str) -> PathBuf {
    write_file(name, &secret_json(okta_url))
}

/// The JSON of the secret `id` on moto.
async fn stored(aws: &Aws, id: &str) -> Value {
    let got = aws
        .secrets
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {id}: {e:?}"));
    serde_json::from_str(got.secret_string().expect("a string secret")).expect("JSON")
}

/// Okta for `rotate-secret` of hook `id`: listed at `URL` (beside another hook, left
/// alone), replaced once, verified once; only with `TOKEN`.
async fn okta_for_rotation(okta: &MockServer, id: &str) {
    Mock::given(method("GET"))
        .and(path("/api/v1/eventHooks"))
        .and(header("authorization", ssws().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "who0", "status": "ACTIVE", "verificationStatus": "VERIFIED",
             "channel": {"type": "HTTP", "version": "1.0.0",
                         "config": {"uri": "https://elsewhere.example/hook"}}},
            hook_json(id, "ACTIVE", "VERIFIED")
        ])))
        .mount(okta)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/api/v1/eventHooks/{id}")))
        .and(header("authorization", ssws().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(hook_json(
            id,
            "ACTIVE",
            "UNVERIFIED",
        )))
        .expect(1)
        .mount(okta)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/eventHooks/{id}/lifecycle/verify")))
        .respond_with(ResponseTemplate::new(200).set_body_json(hook_json(id, "ACTIVE", "VERIFIED")))
        .expect(1)
        .mount(okta)
        .await;
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
    // A file in the split shape: the hook values and the `okta` credential are used.
    let file = write_file("setup", &split_json(&okta.uri()));
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
async fn rotate_secret_rotates_the_split_hook_secret_and_updates_okta_with_the_okta_credential() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let okta = MockServer::builder().start().await;
    let split = split_json(&okta.uri());
    aws.put_org_secrets("acme", &split).await;
    okta_for_rotation(&okta, "who9").await;

    let (ok, output) = run(
        &["hook", "rotate-secret", "--org", "acme", "--url", URL],
        &function_env(&moto.endpoint()),
    );
    assert!(ok, "{output}");
    assert!(
        output.contains("rotated the hook value in secret okta-hooks/acme/hook"),
        "{output}"
    );

    // The hook secret is the hook section itself: {"header", "current", "previous"}.
    let hook = stored(&aws, "okta-hooks/acme/hook").await;
    let new_value = hook["current"]
        .as_str()
        .expect("a current value")
        .to_owned();
    assert_eq!(hook["previous"], HOOK_VALUE);
    assert_ne!(new_value, HOOK_VALUE);
    assert!(
        new_value.len() >= 32,
        "a weak value: {} chars",
        new_value.len()
    );
    assert_eq!(hook["header"], "X-Okta-Hooks-Auth");
    assert_eq!(
        hook.as_object().map(serde_json::Map::len),
        Some(3),
        "{hook}"
    );
    // The other kinds are untouched, and no single secret appeared.
    for kind in ["okta", "okta-read", "signing", "named"] {
        assert_eq!(
            stored(&aws, &format!("okta-hooks/acme/{kind}")).await,
            split[kind],
            "{kind}"
        );
    }
    assert!(
        !aws.secret_names()
            .await
            .contains(&"okta-hooks/acme".to_owned())
    );

    let replaced = bodies(&okta, "PUT", "/api/v1/eventHooks/who9").await;
    assert_eq!(replaced.len(), 1);
    assert_channel(&replaced[0], &new_value);
    assert_eq!(replaced[0]["events"]["items"], json!(["user.account.lock"]));
    assert!(replaced[0].get("_links").is_none() && replaced[0].get("id").is_none());
    assert_no_secret(&output, &[HOOK_VALUE, &new_value, READ_TOKEN]);
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
    assert_no_secret(&output, &[HOOK_VALUE, &new_value, READ_TOKEN]);
}

#[tokio::test]
async fn the_single_secret_is_used_only_when_asked_and_rotation_keeps_its_other_sections() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let okta = MockServer::builder().start().await;
    let single = secret_json(&okta.uri());
    aws.put_legacy_org_secret("acme", &single).await;
    okta_for_rotation(&okta, "who7").await;
    let env = function_env(&moto.endpoint());

    // Not asked: the split secret is read, and its absence is said with the way out.
    let (ok, output) = run(
        &["hook", "rotate-secret", "--org", "acme", "--url", URL],
        &env,
    );
    assert!(!ok, "{output}");
    assert!(output.contains("secret okta-hooks/acme/hook"), "{output}");
    assert!(
        output.contains("okta-hooks secrets split --org acme"),
        "{output}"
    );
    assert!(output.contains("--legacy-single-secret"), "{output}");
    assert_eq!(stored(&aws, "okta-hooks/acme").await, single, "changed");

    let (ok, output) = run(
        &[
            "hook",
            "rotate-secret",
            "--org",
            "acme",
            "--url",
            URL,
            "--legacy-single-secret",
        ],
        &env,
    );
    assert!(ok, "{output}");
    assert!(
        output.contains("rotated the hook value in secret okta-hooks/acme:"),
        "{output}"
    );
    let rotated = stored(&aws, "okta-hooks/acme").await;
    let new_value = rotated["hook"]["current"]
        .as_str()
        .expect("current")
        .to_owned();
    assert_eq!(rotated["hook"]["previous"], HOOK_VALUE);
    for section in ["okta", "signing", "named"] {
        assert_eq!(rotated[section], single[section], "{section}");
    }
    assert_eq!(
        bodies(&okta, "PUT", "/api/v1/eventHooks/who7").await[0]["channel"]["config"]["authScheme"]
            ["value"],
        new_value.as_str()
    );
    assert_eq!(
        aws.secret_names().await,
        ["okta-hooks/acme"],
        "no split secret made"
    );
    okta.verify().await;

    // The functions' variable asks for it too.
    let mut legacy_env = env.clone();
    legacy_env.push(("OKTA_HOOKS_LEGACY_SINGLE_SECRET", "true".to_owned()));
    let (ok, output) = run(
        &["hook", "status", "--org", "acme", "--url", URL],
        &legacy_env,
    );
    assert!(ok, "{output}");
    assert!(output.contains("event hook who7"), "{output}");
    assert_no_secret(&output, &[HOOK_VALUE, &new_value]);
}

#[tokio::test]
async fn rotate_secret_in_a_split_shape_file_rotates_its_hook_and_keeps_every_other_section() {
    let okta = MockServer::builder().start().await;
    okta_for_rotation(&okta, "who8").await;
    let split = split_json(&okta.uri());
    let file = write_file("rotate-split", &split);
    let file_arg = file.display().to_string();
    let (ok, output) = run(
        &[
            "hook",
            "rotate-secret",
            "--org",
            "acme",
            "--url",
            URL,
            "--secret-file",
            &file_arg,
        ],
        &[],
    );
    let rotated: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("JSON");
    let _ = std::fs::remove_file(&file);
    assert!(ok, "{output}");
    assert_eq!(rotated["hook"]["previous"], HOOK_VALUE);
    assert_ne!(rotated["hook"]["current"], HOOK_VALUE);
    for section in ["okta", "okta-read", "signing", "named"] {
        assert_eq!(rotated[section], split[section], "{section}");
    }
    okta.verify().await;
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
