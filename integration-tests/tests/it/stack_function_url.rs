//! The stack deployed with `Ingress=FunctionUrl`: no API Gateway and no hook-verify, one
//! Lambda Function URL in front of hook-ingest, which answers Okta's verification `GET`
//! and takes the deliveries itself, checking the hook auth header. `okta-hooks stack up`
//! stands a loopback URL in for the Function URL (every method and path to hook-ingest,
//! with the payload a Function URL sends: route key `$default`, no path parameters), so
//! what runs is the function's own routing, verification and auth.

use std::time::Duration;

use integration_tests::aws::{function_env, moto_request};
use integration_tests::slack::Slack;
use integration_tests::stack::{HOOK_SECRET, LocalStack, StackOptions};
use integration_tests::{MotoServer, okta_hooks_with_env, workspace_root};
use okta_double::{OktaDouble, User};
use serde_json::{Value, json};

use crate::hook_setup_stack::okta_without_hooks;

const SETTLES_WITHIN: Duration = Duration::from_secs(90);
/// The user who reports suspicious activity in the shipped rule's reference event.
const REPORTER: &str = "01234";

/// A `GET` of Okta's verification challenge with `auth` as the hook auth value.
async fn challenge(url: &str, auth: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(url)
        .header("Authorization", auth)
        .header("X-Okta-Verification-Challenge", "furl-challenge")
        .send()
        .await
        .expect("the Function URL answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_one_function_url_hook_ingest_verifies_the_hook_and_the_shipped_rule_suspends_the_reporter_once()
 {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active(REPORTER, "homer.simpson@duff.com"));
    let slack = Slack::start().await;
    let stack = LocalStack::up(
        StackOptions::new(
            "it-function-url",
            &okta.org_url(),
            okta.token(),
            json!({"slack_webhook": slack.webhook()}),
        )
        .parameter("Ingress", "FunctionUrl")
        // The poller's schedule stays out of this flow.
        .parameter("PollSchedule", "rate(1 day)"),
    )
    .await;

    // The state file names the Function URL (ending in "/", as Lambda's does) and the
    // hook URL outputs are under it.
    let urls = stack.state["function_urls"]
        .as_object()
        .expect("function_urls in the state file");
    assert_eq!(
        urls.keys().map(String::as_str).collect::<Vec<_>>(),
        ["HookIngestUrl"]
    );
    let base = urls["HookIngestUrl"].as_str().expect("a URL").to_owned();
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with('/'),
        "{base}"
    );
    let outputs = &stack.state["outputs"];
    assert_eq!(outputs["HookUrl"], format!("{base}hooks/okta/default"));
    assert_eq!(outputs["HookUrlDefaultOrg"], format!("{base}hooks/okta"));

    // No hook-verify and no HTTP API: not in the stack, not in the emulator's Lambda, not
    // run; and the API is not among what the emulator skipped (it is not in the stack).
    let functions = stack.state["functions"].as_object().expect("functions");
    assert!(
        functions.contains_key("HookIngestFunction"),
        "{functions:?}"
    );
    assert!(
        !functions.contains_key("HookVerifyFunction"),
        "{functions:?}"
    );
    let endpoint = stack.moto.endpoint();
    let deployed = tokio::task::spawn_blocking(move || {
        moto_request(
            &endpoint,
            "lambda",
            "GET",
            "/2015-03-31/functions/",
            &[],
            "",
        )
    })
    .await
    .unwrap();
    let names: Vec<&str> = deployed["Functions"]
        .as_array()
        .expect("Functions")
        .iter()
        .filter_map(|f| f["FunctionName"].as_str())
        .collect();
    assert!(
        names.iter().any(|n| n.contains("HookIngestFunction")),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains("HookVerify")), "{names:?}");
    let running = stack.control_get("/functions").await;
    assert!(running.get("HookVerifyFunction").is_none(), "{running}");
    let skipped: Vec<String> = stack.state["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| format!("{} {}", s["logical_id"], s["type"]))
        .collect();
    assert!(
        !skipped.iter().any(|s| s.contains("ApiGatewayV2")),
        "{skipped:?}"
    );
    assert!(
        skipped.iter().any(|s| s.contains("AWS::Lambda::Url")),
        "{skipped:?}"
    );

    // Okta's verification through the Function URL, on both paths; hook-ingest answers it.
    for url in [
        outputs["HookUrl"].as_str(),
        outputs["HookUrlDefaultOrg"].as_str(),
    ] {
        let url = url.expect("a hook URL");
        assert_eq!(
            challenge(url, HOOK_SECRET).await,
            (200, json!({"verification": "furl-challenge"})),
            "{url}"
        );
    }
    // Wrong auth: refused, as a delivery with wrong auth is.
    let (status, refused) = challenge(&stack.hook_url(), "not-the-secret").await;
    assert_eq!((status, &refused["code"]), (401, &json!("unauthorized")));
    let wrong_post = reqwest::Client::new()
        .post(stack.hook_url())
        .header("Authorization", "not-the-secret")
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("the Function URL answers");
    assert_eq!(wrong_post.status().as_u16(), 401);
    assert_eq!(wrong_post.json::<Value>().await.unwrap(), refused);
    // A path that is no hook endpoint: the function's own 404 (a Function URL routes none).
    let nowhere = reqwest::get(format!("{base}admin")).await.unwrap();
    assert_eq!(nowhere.status().as_u16(), 404);
    assert_eq!(nowhere.json::<Value>().await.unwrap()["code"], "not_found");

    // The shipped lock-down rule, the delivery sent twice (Okta's retry): one suspension.
    let text = std::fs::read_to_string(
        integration_tests::workspace_root()
            .join("rules/events/user.account.report_suspicious_activity_by_enduser.json"),
    )
    .expect("the shipped rule's reference event");
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["target"][0]["id"], REPORTER);
    for _ in 0..2 {
        assert_eq!(stack.deliver(std::slice::from_ref(&report)).await, 200);
    }
    stack
        .wait_until(
            "the reporter suspended and the channel told",
            SETTLES_WITHIN,
            || async {
                okta.status(REPORTER) == Some("SUSPENDED") && !slack.texts().await.is_empty()
            },
        )
        .await;
    stack.settled(SETTLES_WITHIN).await;
    stack.no_letters().await;
    assert_eq!(okta.applied("suspend", REPORTER), 1, "suspended once");
    assert_eq!(okta.applied_total("suspend"), 1);
    let told = slack.texts().await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].starts_with("Suspended homer.simpson@duff.com and ended their sessions"),
        "{told:?}"
    );
    assert!(
        stack.denied().await.is_empty(),
        "no call outside a role: {:?}",
        stack.denied().await
    );
}

/// `okta-hooks hook setup --stack` on a local stack deployed with `Ingress=FunctionUrl`:
/// the hook is created at the Function URL's hook path. The emulator cannot resolve an
/// output that reads the (emulated) Function URL, so it keeps it unresolved, and the CLI
/// takes it from the state file as it does the HTTP API's.
#[tokio::test(flavor = "multi_thread")]
async fn hook_setup_with_the_stack_creates_the_hook_at_the_function_urls_hook_path() {
    let moto = MotoServer::start();
    let dir = std::env::temp_dir().join(format!(
        "okta-hooks-it-function-url-setup-{}-{}",
        std::process::id(),
        moto.port
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let state_file = dir.join("state.json").display().to_string();
    let endpoint = moto.endpoint();
    let workspace = workspace_root().display().to_string();
    let (ok, output) = okta_hooks_with_env(
        &[
            "stack",
            "up",
            "--stack-name",
            "it-function-url-setup",
            "--endpoint",
            &endpoint,
            "--workspace",
            &workspace,
            "--parameter",
            "Ingress=FunctionUrl",
            "--state-file",
            &state_file,
            "--exit-after-deploy",
        ],
        &function_env(&endpoint),
    );
    assert!(ok, "stack up failed:\n{output}");
    assert!(
        output.contains("function URL HookIngestUrl: http://127.0.0.1:"),
        "{output}"
    );
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    let hook_url = state["outputs"]["HookUrl"]
        .as_str()
        .expect("HookUrl")
        .to_owned();
    assert_eq!(
        hook_url,
        format!(
            "{}hooks/okta/default",
            state["function_urls"]["HookIngestUrl"].as_str().unwrap()
        )
    );

    let okta = okta_without_hooks().await;
    let secret = dir.join("secret.json");
    std::fs::write(
        &secret,
        json!({
            "hook": {"header": "Authorization", "current": HOOK_SECRET},
            "okta": {"org_url": okta.uri(), "api_token": "00TEST-admin"},
            "okta-read": {"org_url": okta.uri(), "api_token": "00TEST-read"},
        })
        .to_string(),
    )
    .unwrap();
    let secret = secret.display().to_string();
    let (ok, output) = okta_hooks_with_env(
        &[
            "hook",
            "setup",
            "--stack",
            "it-function-url-setup",
            "--stack-state",
            &state_file,
            "--org",
            "default",
            "--secret-file",
            &secret,
        ],
        &[],
    );
    assert!(ok, "{output}");
    let created: Vec<String> = okta
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/api/v1/eventHooks")
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).expect("JSON");
            body["channel"]["config"]["uri"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(created, vec![hook_url]);
    std::fs::remove_dir_all(&dir).ok();
}
