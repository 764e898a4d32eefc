//! `okta-hooks hook setup --stack NAME`: the hook URL read from the stack's outputs with
//! `CloudFormation` `DescribeStacks`, on the local stack of `okta-hooks stack up` (deployed
//! into a fresh `moto_server`, found through its state file) or, without a state file,
//! through the default AWS chain (here pointed at the same `moto_server`). Okta is an
//! in-test server (wiremock) that records the event hook setup creates.

use integration_tests::{
    MotoServer, aws::function_env, okta_hooks_with_env as run, workspace_root,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "00TEST-admin-token-hook-setup-stack";
const HOOK_VALUE: &str = "hook-value-of-the-stack-test";

/// Removes the test's directory (state file, secret file) when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A stack deployed by `okta-hooks stack up --exit-after-deploy` into its own `moto_server`,
/// serving `default` (the template's `OrgName`) and `beta` (`OtherOrgs`).
struct Deployed {
    moto: MotoServer,
    name: String,
    state_file: String,
    state: Value,
    dir: TempDir,
}

fn deploy(name: &str) -> Deployed {
    let moto = MotoServer::start();
    let dir = TempDir(std::env::temp_dir().join(format!(
        "okta-hooks-hook-setup-stack-{}-{}",
        std::process::id(),
        moto.port
    )));
    let state_file = dir.0.join("state.json");
    let endpoint = moto.endpoint();
    let workspace = workspace_root().display().to_string();
    let (ok, output) = run(
        &[
            "stack",
            "up",
            "--stack-name",
            name,
            "--endpoint",
            &endpoint,
            "--workspace",
            &workspace,
            "--parameter",
            "OtherOrgs=beta",
            "--state-file",
            &state_file.display().to_string(),
            "--exit-after-deploy",
        ],
        &function_env(&endpoint),
    );
    assert!(ok, "stack up failed:\n{output}");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(&state_file).expect("the state file"))
            .expect("the state file is JSON");
    Deployed {
        moto,
        name: name.to_owned(),
        state_file: state_file.display().to_string(),
        state,
        dir,
    }
}

/// An org secret file (split shape) whose Okta credential points at `okta`.
fn secret_file(dir: &TempDir, okta: &MockServer) -> String {
    let file = dir.0.join("secret.json");
    let secret = json!({
        "hook": {"header": "X-Okta-Hooks-Auth", "current": HOOK_VALUE},
        "signing": {"active": "k1", "keys": {"k1": "0123456789abcdef0123456789abcdef-signing"}},
        "okta": {"org_url": okta.uri(), "api_token": TOKEN},
        "okta-read": {"org_url": okta.uri(), "api_token": "00TEST-read-only"},
        "named": {}
    });
    std::fs::write(&file, secret.to_string()).expect("write the secret file");
    file.display().to_string()
}

/// Okta with no event hook yet: setup lists, creates (`who1`, unverified), verifies.
/// Shared with the other `hook setup` tests (the Function URL stack's) so every one
/// drives the same org.
pub(crate) async fn okta_without_hooks() -> MockServer {
    let okta = MockServer::builder().start().await;
    let hook = |verification: &str| {
        json!({"id": "who1", "name": "okta-hooks", "status": "ACTIVE",
               "verificationStatus": verification,
               "channel": {"type": "HTTP", "version": "1.0.0", "config": {"uri": "-"}}})
    };
    Mock::given(method("GET"))
        .and(path("/api/v1/eventHooks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/eventHooks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(hook("UNVERIFIED")))
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/eventHooks/who1/lifecycle/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(hook("VERIFIED")))
        .mount(&okta)
        .await;
    okta
}

/// The channel URIs of the event hooks Okta was asked to create.
async fn created_uris(okta: &MockServer) -> Vec<String> {
    okta.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/api/v1/eventHooks")
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).expect("a JSON body");
            body["channel"]["config"]["uri"]
                .as_str()
                .expect("a channel URI")
                .to_owned()
        })
        .collect()
}

fn setup_args<'a>(stack: &'a str, state: &'a str, org: &'a str, secret: &'a str) -> Vec<&'a str> {
    vec![
        "hook",
        "setup",
        "--stack",
        stack,
        "--stack-state",
        state,
        "--org",
        org,
        "--secret-file",
        secret,
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_with_a_local_stack_creates_the_hook_at_its_hook_url_and_at_its_own_path_for_another_served_org()
 {
    let deployed = deploy("it-hook-setup-stack");
    let hook_url = deployed.state["outputs"]["HookUrl"]
        .as_str()
        .expect("the state file's HookUrl")
        .to_owned();
    let hook_base = deployed.state["hook_base_url"]
        .as_str()
        .expect("hook_base_url");
    assert_eq!(hook_url, format!("{hook_base}/hooks/okta/default"));
    let okta = okta_without_hooks().await;
    let secret = secret_file(&deployed.dir, &okta);

    // The template's OrgName (`default`) gets HookUrl itself.
    let (ok, output) = run(
        &setup_args(&deployed.name, &deployed.state_file, "default", &secret),
        &[],
    );
    assert!(ok, "{output}");
    assert!(output.contains("created event hook who1"), "{output}");
    assert!(
        output.contains(&format!(
            "the local stack emulator at {}",
            deployed.moto.endpoint()
        )),
        "{output}"
    );
    assert_eq!(created_uris(&okta).await, vec![hook_url.clone()]);

    // `beta`, which the stack serves through OtherOrgs (a parameter only DescribeStacks
    // tells), gets the same URL with its own org in the path.
    let okta_beta = okta_without_hooks().await;
    let secret_beta = secret_file(&deployed.dir, &okta_beta);
    let (ok, output) = run(
        &setup_args(&deployed.name, &deployed.state_file, "beta", &secret_beta),
        &[],
    );
    assert!(ok, "{output}");
    assert_eq!(
        created_uris(&okta_beta).await,
        vec![format!("{hook_base}/hooks/okta/beta")]
    );

    // An org the stack does not serve is refused before Okta is called.
    let okta_other = okta_without_hooks().await;
    let secret_other = secret_file(&deployed.dir, &okta_other);
    let (ok, output) = run(
        &setup_args(&deployed.name, &deployed.state_file, "gamma", &secret_other),
        &[],
    );
    assert!(!ok, "{output}");
    assert!(
        output.contains("stack it-hook-setup-stack")
            && output.contains("does not serve org gamma: it serves default, beta"),
        "{output}"
    );
    assert!(
        okta_other
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_with_an_unknown_stack_fails_naming_the_stack_and_where_it_looked() {
    let deployed = deploy("it-hook-setup-known");
    let okta = okta_without_hooks().await;
    let secret = secret_file(&deployed.dir, &okta);

    // A state file left by a stack the emulator does not hold (e.g. a stale one).
    let mut stale = deployed.state.clone();
    stale["stack_name"] = json!("it-hook-setup-gone");
    let stale_file = deployed.dir.0.join("stale.json");
    std::fs::write(&stale_file, stale.to_string()).expect("write the stale state file");
    let stale_file = stale_file.display().to_string();
    let (ok, output) = run(
        &setup_args("it-hook-setup-gone", &stale_file, "default", &secret),
        &[],
    );
    assert!(!ok, "{output}");
    assert!(
        output.contains(&format!(
            "stack it-hook-setup-gone does not exist in the local stack emulator at {}",
            deployed.moto.endpoint()
        )) && output.contains(&stale_file),
        "{output}"
    );

    // No state file: the default AWS chain, here pointed at the same emulator.
    let (ok, output) = run(
        &[
            "hook",
            "setup",
            "--stack",
            "it-hook-setup-nowhere",
            "--secret-file",
            &secret,
        ],
        &function_env(&deployed.moto.endpoint()),
    );
    assert!(!ok, "{output}");
    assert!(
        output.contains(
            "stack it-hook-setup-nowhere does not exist in AWS CloudFormation in us-east-1"
        ),
        "{output}"
    );
    assert!(
        okta.received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}
