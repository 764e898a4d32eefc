//! `okta-hooks run ACTION key=value…` through the built binary: `--local` against the
//! stateful Okta double (the executors' code, each Okta request printed), the request
//! refused before anything is sent (exit code 2), `--queue-url` sending the request JSON
//! to a moto queue, and `--wait` reading the result from a temporary reply queue it
//! deletes after.

use std::process::Stdio;
use std::time::Duration;

use integration_tests::{
    Aws, MotoServer, aws::function_env, okta_hooks_async as run, okta_hooks_command as command,
    workspace_root,
};
use okta_double::{OktaDouble, User};
use serde_json::{Value, json};

fn okta_env() -> Vec<(&'static str, String)> {
    vec![("OKTA_API_TOKEN", OktaDouble::DEFAULT_TOKEN.to_owned())]
}

/// Every request the double answered is printed as the CLI saw it answered.
fn assert_requests_printed(okta: &OktaDouble, out: &str) {
    let requests = okta.requests();
    assert!(!requests.is_empty());
    for r in requests {
        let line = format!(
            "Okta {} {} → {}  X-Okta-Request-Id: {}",
            r.method, r.path, r.status, r.request_id
        );
        assert!(out.contains(&line), "missing `{line}` in:\n{out}");
    }
}

#[tokio::test]
async fn run_local_suspends_an_active_user_and_prints_each_okta_request_and_the_outcome() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00uRUNLOCAL1", "run.local@example.com"));
    let ran = run(
        &[
            "run",
            "user.suspend",
            "user=00uRUNLOCAL1",
            "--local",
            "--okta-domain",
            &okta.org_url(),
        ],
        &okta_env(),
    )
    .await;
    let out = ran.all();
    assert_eq!(ran.code, Some(0), "{out}");
    assert_eq!(okta.status("00uRUNLOCAL1"), Some("SUSPENDED"));
    assert_eq!(okta.applied("suspend", "00uRUNLOCAL1"), 1);
    assert_requests_printed(&okta, &ran.stdout);
    let suspend_id = &okta.changes()[0].request_id;
    assert!(
        ran.stdout
            .contains("steps[0] user.suspend: done  Okta request ids: ")
            && ran.stdout.contains(suspend_id.as_str()),
        "{out}"
    );
    assert!(ran.stdout.contains(": done — org "), "{out}");
    assert!(!out.contains(OktaDouble::DEFAULT_TOKEN), "{out}");
}

#[tokio::test]
async fn run_local_on_a_locked_out_user_fails_with_the_reason_and_changes_nothing() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::locked_out("00uRUNLOCKED", "run.locked@example.com"));
    let ran = run(
        &[
            "run",
            "user.suspend",
            "user=00uRUNLOCKED",
            "--local",
            "--okta-domain",
            &okta.org_url(),
        ],
        &okta_env(),
    )
    .await;
    let out = ran.all();
    assert_eq!(ran.code, Some(1), "{out}");
    assert_eq!(okta.status("00uRUNLOCKED"), Some("LOCKED_OUT"));
    assert!(
        ran.stdout
            .contains("error: user is LOCKED_OUT; user.suspend needs ACTIVE (E0000038)"),
        "{out}"
    );
    assert!(
        ran.stderr
            .contains("error: user.suspend failed: user is LOCKED_OUT; user.suspend needs ACTIVE"),
        "{out}"
    );
    // Okta's 403 and the read of the user that settles it are both shown.
    assert_requests_printed(&okta, &ran.stdout);
    assert!(ran.stdout.contains("/lifecycle/suspend → 403"), "{out}");
}

#[tokio::test]
async fn run_local_refuses_a_protected_user_of_the_shipped_rules_before_any_write() {
    let okta = OktaDouble::start().await;
    // rules/protected.yaml protects breakglass.admin@example.com by login.
    okta.add_user(User::active(
        "00uRUNBREAKGLASS",
        "breakglass.admin@example.com",
    ));
    let ran = run(
        &[
            "run",
            "user.suspend",
            "user=00uRUNBREAKGLASS",
            "--local",
            "--okta-domain",
            &okta.org_url(),
            "--json",
        ],
        &okta_env(),
    )
    .await;
    let out = ran.all();
    assert_eq!(ran.code, Some(1), "{out}");
    assert_eq!(okta.status("00uRUNBREAKGLASS"), Some("ACTIVE"));
    assert_eq!(okta.request_count("POST", "/api/v1/users"), 0, "{out}");
    let result: Value = serde_json::from_str(&ran.stdout).expect("--json prints the result");
    assert_eq!(result["status"], "refused", "{out}");
    assert!(
        result["error"]
            .as_str()
            .unwrap()
            .contains("would touch protected user `breakglass.admin@example.com`"),
        "{out}"
    );
}

#[tokio::test]
async fn run_refuses_an_unknown_action_or_a_missing_unknown_or_mistyped_parameter_with_exit_code_2()
{
    for (args, message) in [
        (
            vec!["user.suspnd", "user=00u1"],
            "error: unknown action `user.suspnd` — did you mean `user.suspend`?",
        ),
        (
            vec!["user.suspend"],
            "error: missing parameter `user` (string) of user.suspend",
        ),
        (
            vec!["user.suspend", "user=00u1", "usr=00u2"],
            "error: unknown parameter `usr` of user.suspend (it takes: user)",
        ),
        (
            vec!["user.sessions.clear", "user=00u1", "oauth_tokens=yes"],
            "error: parameter `oauth_tokens` of user.sessions.clear must be bool (true or false), got `yes`",
        ),
    ] {
        let mut all = vec!["run"];
        all.extend(args);
        // Nothing listens there: a request that got as far as sending would fail otherwise.
        all.extend(["--queue-url", "http://127.0.0.1:9/000000000000/nowhere"]);
        let ran = run(&all, &[]).await;
        assert_eq!(ran.code, Some(2), "{all:?}: {}", ran.all());
        assert_eq!(ran.stderr.trim_end(), message, "{all:?}");
        assert!(ran.stdout.is_empty(), "{}", ran.stdout);
    }
}

/// A standard queue on moto: (aws, queue URL).
async fn requests_queue(moto: &MotoServer) -> (Aws, String) {
    let aws = Aws::new(&moto.endpoint()).await;
    let url = aws.standard_queue("okta-hooks-action-requests").await;
    (aws, url)
}

/// The next message of `url`, with a long poll (none within 20 s fails the test).
async fn next_body(aws: &Aws, url: &str) -> Value {
    let received = aws
        .sqs
        .receive_message()
        .queue_url(url)
        .wait_time_seconds(20)
        .send()
        .await
        .unwrap();
    let message = received.messages().first().expect("a message within 20 s");
    serde_json::from_str(message.body().unwrap()).unwrap()
}

async fn reply_queues(aws: &Aws) -> Vec<String> {
    aws.sqs
        .list_queues()
        .queue_name_prefix("okta-hooks-reply-")
        .send()
        .await
        .unwrap()
        .queue_urls()
        .to_vec()
}

fn aws_env(moto: &MotoServer) -> Vec<(&'static str, String)> {
    let mut env = function_env(&moto.endpoint());
    env.push(("USER", "tester".to_owned()));
    env
}

#[tokio::test]
async fn run_queue_url_sends_the_request_json_of_the_contract() {
    let moto = MotoServer::start();
    let (aws, queue) = requests_queue(&moto).await;
    // `dev`'s org variable, exported in a developer's shell, is no reason to refuse.
    let mut env = aws_env(&moto);
    env.push(("OKTA_HOOKS_DEV_OKTA_DOMAIN", "acme.okta.com".to_owned()));
    let ran = run(
        &[
            "run",
            "user.sessions.clear",
            "user=00u1",
            "oauth_tokens=true",
            "--org",
            "acme",
            "--reason",
            "ticket 42",
            "--request-id",
            "r-42",
            "--dry-run",
            "--queue-url",
            &queue,
        ],
        &env,
    )
    .await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    assert!(
        ran.stderr.contains("request_id r-42 (dry run)"),
        "{}",
        ran.all()
    );
    assert_eq!(
        next_body(&aws, &queue).await,
        json!({
            "org": "acme",
            "action": "user.sessions.clear",
            "params": {"user": "00u1", "oauth_tokens": true},
            "request_id": "r-42",
            "requested_by": "tester",
            "reason": "ticket 42",
            "dry_run": true
        })
    );
}

#[tokio::test]
async fn run_wait_prints_the_result_from_its_reply_queue_and_deletes_the_queue() {
    let moto = MotoServer::start();
    let (aws, queue) = requests_queue(&moto).await;
    let child = command(
        &[
            "run",
            "user.suspend",
            "user=00uWAIT",
            "--requested-by",
            "alice@acme.com",
            "--queue-url",
            &queue,
            "--wait",
            "--timeout",
            "2m",
        ],
        &aws_env(&moto),
    )
    .spawn()
    .unwrap();
    // The request names its reply queue; the test answers there as an executor would.
    let request = next_body(&aws, &queue).await;
    let reply_to = request["reply_to"].as_str().expect("reply_to").to_owned();
    assert!(reply_to.contains("/okta-hooks-reply-"), "{reply_to}");
    assert_eq!(reply_queues(&aws).await, vec![reply_to.clone()]);
    assert_eq!(request["requested_by"], "alice@acme.com");
    let result = json!({
        "request_id": "m-1",
        "org": "acme",
        "status": "failed",
        "dry_run": false,
        "requested_by": "alice@acme.com",
        "requester": "AIDAEXAMPLE",
        "error": "user is LOCKED_OUT; user.suspend needs ACTIVE",
        "steps": [{
            "step": "0",
            "phase": "steps",
            "action": "user.suspend",
            "status": "failed",
            "okta_request_ids": ["req-9", "req-10"],
            "error": {"message": "user is LOCKED_OUT; user.suspend needs ACTIVE", "errorCode": "E0000038"}
        }]
    });
    aws.sqs
        .send_message()
        .queue_url(&reply_to)
        .message_body(result.to_string())
        .send()
        .await
        .unwrap();
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("run --wait ends once the result is there")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let all = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(1),
        "a failed result exits 1: {all}"
    );
    assert!(stdout.contains("request m-1: failed — org acme"), "{all}");
    assert!(
        stdout.contains("steps[0] user.suspend: failed  Okta request ids: req-9, req-10"),
        "{all}"
    );
    assert!(
        stdout.contains("error: user is LOCKED_OUT; user.suspend needs ACTIVE (E0000038)"),
        "{all}"
    );
    assert!(
        reply_queues(&aws).await.is_empty(),
        "the reply queue is left: {all}"
    );
}

#[tokio::test]
async fn run_wait_gives_up_after_its_timeout_and_still_deletes_the_reply_queue() {
    let moto = MotoServer::start();
    let (aws, queue) = requests_queue(&moto).await;
    let ran = run(
        &[
            "run",
            "user.suspend",
            "user=00u1",
            "--queue-url",
            &queue,
            "--wait",
            "--timeout",
            "2s",
            "--json",
        ],
        &aws_env(&moto),
    )
    .await;
    assert_eq!(ran.code, Some(1), "{}", ran.all());
    assert!(
        ran.stderr.contains("error: no result within 2s"),
        "{}",
        ran.all()
    );
    assert!(reply_queues(&aws).await.is_empty(), "{}", ran.all());
    assert!(next_body(&aws, &queue).await["reply_to"].is_string());
}

/// The committed schema checked by the reference validator the venv already has
/// (`jsonschema`, a dependency of moto and cfn-lint): valid draft 2020-12, and it accepts
/// what the contract accepts and refuses what the intake refuses.
#[test]
fn the_committed_request_schema_is_valid_draft_2020_12_and_tells_good_requests_from_bad() {
    let script = r#"
import json, sys, jsonschema
schema = json.load(open("docs/action-request.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for line in sys.stdin:
    case = json.loads(line)
    print(case["name"], "valid" if v.is_valid(case["request"]) else "invalid")
"#;
    let cases = [
        (
            "single",
            json!({"action": "user.suspend", "params": {"user": "00u1"}, "org": "acme", "request_id": "r", "requested_by": "a", "reason": "b", "dry_run": true, "reply_to": "https://sqs.us-east-1.amazonaws.com/1/okta-hooks-reply-x"}),
            "valid",
        ),
        (
            "steps",
            json!({"steps": [{"action": "group.create", "name": "g", "group_name": "x"}, {"action": "group.add_user", "group": "${ steps.g.id }", "user": "00u1"}], "on_failure": []}),
            "valid",
        ),
        (
            "unknown_action",
            json!({"action": "user.suspnd", "params": {"user": "00u1"}}),
            "invalid",
        ),
        (
            "missing_param",
            json!({"action": "user.suspend", "params": {}}),
            "invalid",
        ),
        (
            "unknown_param",
            json!({"action": "user.suspend", "params": {"user": "00u1", "usr": "x"}}),
            "invalid",
        ),
        (
            "mistyped_param",
            json!({"action": "user.sessions.clear", "params": {"user": "00u1", "oauth_tokens": "yes"}}),
            "invalid",
        ),
        (
            "unknown_key",
            json!({"action": "user.suspend", "params": {"user": "00u1"}, "priority": 1}),
            "invalid",
        ),
        (
            "both_forms",
            json!({"action": "user.suspend", "params": {"user": "00u1"}, "steps": [{"action": "user.suspend", "user": "00u1"}]}),
            "invalid",
        ),
        (
            "dry_run_text",
            json!({"action": "user.suspend", "params": {"user": "00u1"}, "dry_run": "yes"}),
            "invalid",
        ),
        (
            "unknown_step_action",
            json!({"steps": [{"action": "user.suspnd", "user": "00u1"}]}),
            "invalid",
        ),
        (
            "risk",
            json!({"action": "user.risk.set", "params": {"user": "00u1", "level": "HIGH", "reason": "Brute force, 5 failures in 10m"}}),
            "valid",
        ),
        (
            "risk_level_outside_the_enum",
            json!({"action": "user.risk.set", "params": {"user": "00u1", "level": "CRITICAL"}}),
            "invalid",
        ),
        (
            "risk_reason_outside_the_pattern",
            json!({"action": "user.risk.set", "params": {"user": "00u1", "level": "LOW", "reason": "rule: brute force"}}),
            "invalid",
        ),
    ];
    let input: String = cases
        .iter()
        .map(|(name, request, _)| format!("{}\n", json!({"name": name, "request": request})))
        .collect();
    let mut child = std::process::Command::new(integration_tests::venv_bin("python"))
        .args(["-c", script])
        .current_dir(workspace_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected: String = cases
        .iter()
        .map(|(name, _, verdict)| format!("{name} {verdict}\n"))
        .collect();
    assert_eq!(stdout, expected);
}

/// A stack on moto whose only output is `ActionRequestsQueueUrl` (created with the venv's
/// `boto3`: the tests have no `CloudFormation` client); returns the queue URL it names.
fn stack_with_requests_queue(moto: &MotoServer, stack: &str) -> String {
    let script = r#"
import sys, boto3
cf = boto3.client("cloudformation", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
template = """
Resources:
  ActionRequestsQueue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: run-cli-action-requests}
Outputs:
  ActionRequestsQueueUrl: {Value: !Ref ActionRequestsQueue}
"""
cf.create_stack(StackName=sys.argv[2], TemplateBody=template)
outputs = cf.describe_stacks(StackName=sys.argv[2])["Stacks"][0]["Outputs"]
print(outputs[0]["OutputValue"])
"#;
    let output = std::process::Command::new(integration_tests::venv_bin("python"))
        .args(["-c", script, &moto.endpoint(), stack])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test]
async fn run_stack_sends_to_the_queue_its_outputs_name() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    // No local state file of this name exists, so the stack is looked up through the
    // default chain, which AWS_ENDPOINT_URL points at moto.
    let stack = format!("run-cli-{}", std::process::id());
    let queue = stack_with_requests_queue(&moto, &stack);
    assert!(queue.ends_with("/run-cli-action-requests"), "{queue}");
    let ran = run(
        &["run", "user.unlock", "user=00uSTACK", "--stack", &stack],
        &aws_env(&moto),
    )
    .await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    assert_eq!(
        next_body(&aws, &queue).await,
        json!({"action": "user.unlock", "params": {"user": "00uSTACK"}, "requested_by": "tester"})
    );
    let ran = run(
        &[
            "run",
            "user.unlock",
            "user=00uSTACK",
            "--stack",
            "run-cli-no-such-stack",
        ],
        &aws_env(&moto),
    )
    .await;
    assert_eq!(ran.code, Some(1), "{}", ran.all());
    assert!(
        ran.stderr
            .contains("stack run-cli-no-such-stack does not exist in AWS CloudFormation"),
        "{}",
        ran.all()
    );
}
