//! `okta-hooks stack up`'s deployment: infra/template.yaml transformed by samtranslator and
//! created by `moto_server`'s `CloudFormation`; what the emulator holds afterwards is checked
//! through its own APIs (SQS, `DynamoDB`, Secrets Manager, Lambda, `EventBridge`), not through
//! what the command says.

use std::collections::{BTreeMap, BTreeSet};

use actions::Family;
use aws_sdk_sqs::types::QueueAttributeName;
use integration_tests::stack::family_id;
use integration_tests::{
    Aws, MotoServer, aws::function_env, aws::moto_request, okta_hooks_with_env as run,
    workspace_root,
};
use serde_json::Value;

const STACK: &str = "it-stack";
/// Short timings, as the stack tests run them (the defaults are 180 s and 100).
const VISIBILITY: &str = "7";
const RECEIVES: &str = "3";

/// The stack deployed into a fresh `moto_server` by `okta-hooks stack up --exit-after-deploy`,
/// and the state file it wrote.
struct Deployed {
    moto: MotoServer,
    state: Value,
    stdout: String,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn deploy() -> Deployed {
    let moto = MotoServer::start();
    let dir = TempDir(std::env::temp_dir().join(format!(
        "okta-hooks-stack-test-{}-{}",
        std::process::id(),
        moto.port
    )));
    let state_file = dir.0.join("state.json");
    let endpoint = moto.endpoint();
    let workspace = workspace_root().display().to_string();
    let (ok, stdout) = run(
        &[
            "stack",
            "up",
            "--stack-name",
            STACK,
            "--endpoint",
            &endpoint,
            "--workspace",
            &workspace,
            "--parameter",
            &format!("VisibilityTimeout={VISIBILITY}"),
            "--parameter",
            &format!("MaxReceiveCount={RECEIVES}"),
            "--state-file",
            &state_file.display().to_string(),
            "--exit-after-deploy",
        ],
        &function_env(&endpoint),
    );
    assert!(ok, "stack up failed:\n{stdout}");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(&state_file).expect("the state file"))
            .expect("the state file is JSON");
    Deployed {
        moto,
        state,
        stdout,
        _dir: dir,
    }
}

/// The queues of the stack by logical id: `Events`, `EventsDlq`, `Rejects`,
/// `ActionRequests`, `ActionRequestsDlq` (standard queues), `<Family>`, `<Family>Dlq`
/// (`Queue` dropped from the work queues' ids).
fn expected_queue_names() -> BTreeMap<String, String> {
    let mut names = BTreeMap::from([
        ("EventsQueue".to_owned(), format!("{STACK}-events.fifo")),
        ("EventsDlq".to_owned(), format!("{STACK}-events-dlq.fifo")),
        ("RejectsQueue".to_owned(), format!("{STACK}-rejects.fifo")),
        (
            "ActionRequestsQueue".to_owned(),
            format!("{STACK}-action-requests"),
        ),
        (
            "ActionRequestsDlq".to_owned(),
            format!("{STACK}-action-requests-dlq"),
        ),
    ]);
    for family in Family::ALL {
        let f = family.as_str();
        names.insert(family_id(family, "Queue"), format!("{STACK}-{f}.fifo"));
        names.insert(family_id(family, "Dlq"), format!("{STACK}-{f}-dlq.fifo"));
    }
    names
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stack_up_deploys_the_template_into_moto_with_every_resource_wired_as_written() {
    let deployed = deploy();
    let endpoint = deployed.moto.endpoint();
    let aws = Aws::new(&endpoint).await;
    let state = &deployed.state;
    assert_eq!(state["stack_name"], STACK);
    assert_eq!(state["endpoint"], endpoint.as_str());

    // ------------------------------------------------------------ queues
    let queues: BTreeMap<String, String> = state["queues"]
        .as_object()
        .expect("queues")
        .iter()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    let expected = expected_queue_names();
    assert_eq!(
        queues.keys().collect::<BTreeSet<_>>(),
        expected.keys().collect::<BTreeSet<_>>()
    );
    let mut arns = BTreeMap::new();
    for (id, url) in &queues {
        assert!(url.ends_with(&format!("/{}", expected[id])), "{id}: {url}");
        let attributes = aws
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id}: {url} is a queue of the emulator: {e:?}"));
        let attributes = attributes.attributes().expect("attributes");
        let get = |name: QueueAttributeName| attributes.get(&name).cloned().unwrap_or_default();
        let fifo = !id.starts_with("ActionRequests");
        assert_eq!(get(QueueAttributeName::FifoQueue) == "true", fifo, "{id}");
        arns.insert(id.clone(), get(QueueAttributeName::QueueArn));
        let redrive = get(QueueAttributeName::RedrivePolicy);
        let is_work_queue = id == "EventsQueue" || id.ends_with("Queue") && id != "RejectsQueue";
        if is_work_queue {
            assert_eq!(
                get(QueueAttributeName::VisibilityTimeout),
                VISIBILITY,
                "{id}"
            );
            let redrive: Value = serde_json::from_str(&redrive)
                .unwrap_or_else(|e| panic!("{id}: a redrive policy ({e}): {redrive:?}"));
            assert_eq!(text(&redrive["maxReceiveCount"]), RECEIVES, "{id}");
            let dlq = id.replace("Queue", "Dlq");
            let dlq_name = &expected[&dlq];
            assert!(
                text(&redrive["deadLetterTargetArn"]).ends_with(&format!(":{dlq_name}")),
                "{id} -> {dlq}: {redrive}"
            );
        } else {
            assert!(
                redrive.is_empty(),
                "{id} is a DLQ or the rejects queue: {redrive}"
            );
        }
    }

    // ------------------------------------------------------------ tables
    let tables: BTreeMap<String, String> = state["tables"]
        .as_object()
        .expect("tables")
        .iter()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    assert_eq!(
        tables.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "CounterTable",
            "IdempotencyTable",
            "LedgerTable",
            "PollerCursorTable"
        ]
    );
    for (id, name) in &tables {
        let table = aws
            .dynamodb
            .describe_table()
            .table_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id}: {name}: {e:?}"));
        let key = table.table().expect("a table").key_schema();
        assert_eq!(key.len(), 1, "{id}");
        assert_eq!(key[0].attribute_name(), "pk", "{id}");
    }

    // ------------------------------------------------------------ secrets (moto skips them)
    let secrets = aws.secret_names().await;
    for kind in [
        "hook",
        "signing",
        "plan-signing",
        "okta",
        "okta-read",
        "named",
    ] {
        assert!(
            secrets.contains(&format!("okta-hooks/default/{kind}")),
            "{kind}: {secrets:?}"
        );
    }

    // ------------------------------------------------------------ functions
    let functions: BTreeMap<String, String> = state["functions"]
        .as_object()
        .expect("functions")
        .iter()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    assert_eq!(functions.len(), 4 + Family::ALL.len(), "{functions:?}");
    let lambda = |path: &str| moto_request(&endpoint, "lambda", "GET", path, &[], "");
    let queue_urls: BTreeSet<&String> = queues.values().collect();
    for (id, name) in &functions {
        let config = lambda(&format!("/2015-03-31/functions/{name}"));
        let env = &config["Configuration"]["Environment"]["Variables"];
        assert_eq!(
            config["Configuration"]["Runtime"], "provided.al2023",
            "{id}"
        );
        assert_eq!(config["Configuration"]["Handler"], "bootstrap", "{id}");
        for family in Family::ALL {
            let var = format!(
                "OKTA_HOOKS_QUEUE_URL_{}",
                family.as_str().to_ascii_uppercase()
            );
            let url = text(&env[&var]);
            assert_eq!(url, queues[&family_id(family, "Queue")], "{id} {var}");
        }
        assert_eq!(text(&env["OKTA_HOOKS_MAX_RECEIVE_COUNT"]), RECEIVES, "{id}");
        assert_eq!(
            text(&env["OKTA_HOOKS_SECRET_PREFIX"]),
            "okta-hooks/",
            "{id}"
        );
        assert!(
            env.get("OKTA_HOOKS_ALLOW_LOOPBACK_HTTP").is_none(),
            "{id}: the template never allows loopback http (only stack up's own runs do)"
        );
        for (var, value) in env.as_object().expect("variables") {
            assert!(
                value.is_string(),
                "{id} {var}: Lambda holds text, not {value}"
            );
            if var.ends_with("_URL") && var.starts_with("OKTA_HOOKS_") {
                assert!(queue_urls.contains(&text(value)), "{id} {var}: {value}");
            }
            if var.ends_with("_TABLE") {
                assert!(
                    tables.values().any(|t| *t == text(value)),
                    "{id} {var}: {value}"
                );
            }
        }
    }
    let env_of = |id: &str| {
        lambda(&format!("/2015-03-31/functions/{}", functions[id]))["Configuration"]["Environment"]
            ["Variables"]
            .clone()
    };
    let ingest = env_of("HookIngestFunction");
    assert_eq!(
        text(&ingest["OKTA_HOOKS_EVENTS_QUEUE_URL"]),
        queues["EventsQueue"]
    );
    assert_eq!(
        text(&ingest["OKTA_HOOKS_REJECTS_QUEUE_URL"]),
        queues["RejectsQueue"]
    );
    let router = env_of("EventRouterFunction");
    assert_eq!(
        text(&router["OKTA_HOOKS_LEDGER_TABLE"]),
        tables["LedgerTable"]
    );
    assert_eq!(
        text(&router["OKTA_HOOKS_EVENTS_DLQ_URL"]),
        queues["EventsDlq"]
    );
    // The router tells action requests from events by the record's eventSourceARN.
    assert_eq!(
        text(&router["OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN"]),
        arns["ActionRequestsQueue"]
    );
    assert_eq!(
        text(&router["OKTA_HOOKS_ACTION_REQUESTS_DLQ_URL"]),
        queues["ActionRequestsDlq"]
    );
    assert_eq!(text(&router["OKTA_HOOKS_REQUEST_CAP_PER_HOUR"]), "20");
    assert_eq!(text(&router["OKTA_HOOKS_DEFAULT_ORG"]), "default");
    for id in functions.keys() {
        let env = env_of(id);
        assert_eq!(text(&env["OKTA_HOOKS_EVENT_BUS"]), "default", "{id}");
        assert_eq!(
            text(&env["OKTA_HOOKS_REPLY_QUEUE_PATTERN"]),
            "okta-hooks-reply-*",
            "{id}"
        );
    }
    for family in Family::ALL {
        let env = env_of(&family_id(family, "ExecutorFunction"));
        assert_eq!(text(&env["OKTA_HOOKS_FAMILY"]), family.as_str());
        assert_eq!(
            text(&env["OKTA_HOOKS_DLQ_URL"]),
            queues[&family_id(family, "Dlq")]
        );
        assert_eq!(
            text(&env["OKTA_HOOKS_IDEMPOTENCY_TABLE"]),
            tables["IdempotencyTable"]
        );
    }

    // ------------------------------------------------------------ event source mappings
    let mappings = lambda("/2015-03-31/event-source-mappings/");
    let mut sources = BTreeSet::new();
    for m in mappings["EventSourceMappings"]
        .as_array()
        .expect("mappings")
    {
        let function = text(&m["FunctionArn"]);
        let id = functions
            .iter()
            .find(|(_, name)| function.ends_with(&format!(":{name}")))
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("a mapping to no function of the stack: {m}"));
        assert_eq!(m["BatchSize"], 10, "{id}");
        assert_eq!(
            m["FunctionResponseTypes"][0], "ReportBatchItemFailures",
            "{id}"
        );
        let concurrency = if id == "EventRouterFunction" { 5 } else { 2 };
        assert_eq!(
            m["ScalingConfig"]["MaximumConcurrency"], concurrency,
            "{id}"
        );
        let queue = arns
            .iter()
            .find(|(_, arn)| **arn == text(&m["EventSourceArn"]))
            .map(|(q, _)| q.clone())
            .unwrap_or_else(|| panic!("{id}: a mapping from no queue of the stack: {m}"));
        assert!(sources.insert((id, queue)), "one mapping per queue");
    }
    // The router takes events and action requests; each executor its family's queue.
    let mut expected_sources = BTreeSet::from([
        ("EventRouterFunction".to_owned(), "EventsQueue".to_owned()),
        (
            "EventRouterFunction".to_owned(),
            "ActionRequestsQueue".to_owned(),
        ),
    ]);
    for family in Family::ALL {
        expected_sources.insert((
            family_id(family, "ExecutorFunction"),
            family_id(family, "Queue"),
        ));
    }
    assert_eq!(sources, expected_sources);
    // moto's CloudFormation makes no queue policy; `stack up` says so.
    let skipped: Vec<String> = state["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter(|s| s["type"] == "AWS::SQS::QueuePolicy")
        .map(|s| format!("{} {}", text(&s["logical_id"]), text(&s["emulated"])))
        .collect();
    assert_eq!(
        skipped,
        ["ActionRequestsQueuePolicy not enforced by the emulator: any local sender may send"]
    );
    // The dashboard is made; the saved audit queries are not (moto has no model of
    // AWS::Logs::QueryDefinition), and `stack up` says so.
    let skipped_of = |kind: &str| -> Vec<String> {
        state["skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .filter(|s| s["type"] == kind)
            .map(|s| format!("{} {}", text(&s["logical_id"]), text(&s["emulated"])))
            .collect()
    };
    assert_eq!(
        skipped_of("AWS::CloudWatch::Dashboard"),
        Vec::<String>::new()
    );
    let queries = "not implemented by moto's CloudFormation: a saved query no function reads";
    assert_eq!(
        skipped_of("AWS::Logs::QueryDefinition"),
        [
            format!("AuditActionsOnUserQuery {queries}"),
            format!("AuditFailedStepsQuery {queries}"),
        ]
    );

    // ------------------------------------------------------------ the poller's schedule
    let rules = moto_request(
        &endpoint,
        "events",
        "POST",
        "/",
        &[
            ("X-Amz-Target", "AWSEvents.ListRules"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        "{}",
    );
    let schedules: Vec<String> = rules["Rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["ScheduleExpression"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(schedules, ["rate(1 minute)"], "the poller's schedule");

    // ------------------------------------------------------------ outputs
    let outputs = &state["outputs"];
    let hook_url = text(&outputs["HookUrl"]);
    assert!(
        hook_url.starts_with("http://127.0.0.1:") && hook_url.ends_with("/hooks/okta/default"),
        "a loopback hook URL: {hook_url}"
    );
    assert!(deployed.stdout.contains(&format!("hook URL: {hook_url}")));
    for (id, url) in &queues {
        let output = format!("{id}Url");
        assert_eq!(text(&outputs[&output]), *url, "{output}");
    }
    for (id, name) in &tables {
        assert_eq!(text(&outputs[&format!("{id}Name")]), *name, "{id}");
    }
    for (output, kind) in [
        ("HookSecret", "hook"),
        ("SigningSecret", "signing"),
        ("PlanSigningSecret", "plan-signing"),
        ("OktaSecret", "okta"),
        ("OktaReadSecret", "okta-read"),
        ("NamedSecret", "named"),
    ] {
        let arn = text(&outputs[output]);
        let described = aws
            .secrets
            .describe_secret()
            .secret_id(&arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{output}: {arn}: {e:?}"));
        assert_eq!(
            described.name(),
            Some(format!("okta-hooks/default/{kind}").as_str())
        );
    }
}

#[test]
fn stack_up_without_an_endpoint_serves_the_sample_delivery_end_to_end_until_ctrl_c_and_then_stops_moto()
 {
    use integration_tests::{ChildLines, Guarded, http_status, listens_on, port_after};
    use std::process::{Command, Stdio};
    use std::time::Duration;

    let dir = TempDir(
        std::env::temp_dir().join(format!("okta-hooks-stack-ctrl-c-{}", std::process::id())),
    );
    let state_file = dir.0.join("state.json");
    let mut command = Command::new(integration_tests::workspace_binary("okta-hooks"));
    for (name, _) in std::env::vars() {
        if name.starts_with("OKTA_") || name.starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    let mut child = command
        .args(["stack", "up", "--stack-name", "it-own-moto", "--state-file"])
        .arg(&state_file)
        .arg("--workspace")
        .arg(workspace_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("okta-hooks stack up starts");
    let stdout = ChildLines::read(child.stdout.take().expect("stdout"));
    let mut child = Guarded(child);
    // `moto_server: pid <pid> on http://127.0.0.1:<port>`
    let (moto_pid, moto_port) =
        stdout.wait_for("moto_server line", Duration::from_secs(60), |line| {
            let rest = line.strip_prefix("moto_server: pid ")?;
            let pid: u32 = rest.split_whitespace().next()?.parse().ok()?;
            Some((pid, port_after(line, "http://127.0.0.1:")?))
        });
    let hook_port = stdout.wait_for("hook URL line", Duration::from_secs(60), |line| {
        line.strip_prefix("hook URL: ")
            .and_then(|url| port_after(url, "http://127.0.0.1:"))
    });
    // `try: okta-hooks send --url URL --secret VALUE FILE`: what it says a newcomer runs.
    let try_args: Vec<String> = stdout.wait_for("the try line", Duration::from_secs(60), |line| {
        line.strip_prefix("try: okta-hooks ")
            .map(|rest| rest.split_whitespace().map(str::to_owned).collect())
    });
    let double_url = stdout.wait_for("the okta line", Duration::from_secs(60), |line| {
        let rest = line.strip_prefix("okta: the embedded Okta double at ")?;
        Some(rest.split_whitespace().next()?.to_owned())
    });
    stdout.wait_for("the up line", Duration::from_secs(60), |line| {
        line.starts_with("up: Ctrl-C").then_some(())
    });

    // The sample delivery goes through every function to the embedded Okta double and
    // back out of the webhook: the suspicious-activity user is suspended, the channel told.
    let args: Vec<&str> = try_args.iter().map(String::as_str).collect();
    let (sent, said) = integration_tests::okta_hooks(&args);
    assert!(sent, "okta-hooks send as the stack says: {said}");
    stdout.wait_for("the lock-down message", Duration::from_secs(60), |line| {
        line.starts_with("webhook ← Suspended homer.simpson@duff.com and ended their sessions")
            .then_some(())
    });
    let port = port_after(&double_url, "http://127.0.0.1:").expect("the double's port");
    let state: Value = tokio::runtime::Runtime::new()
        .expect("a runtime")
        .block_on(async {
            reqwest::get(format!("http://127.0.0.1:{port}/__double/state"))
                .await?
                .json()
                .await
        })
        .expect("the double's state");
    let homer = state["users"]
        .as_array()
        .and_then(|users| users.iter().find(|u| u["id"] == "01234"))
        .expect("the seeded user");
    assert_eq!(homer["status"], "SUSPENDED", "{homer}");
    assert!(
        listens_on(moto_pid, moto_port),
        "its moto_server listens on the port it reported"
    );
    let stack_state: Value =
        serde_json::from_str(&std::fs::read_to_string(&state_file).expect("the state file"))
            .expect("JSON");
    assert_eq!(
        stack_state["endpoint"],
        format!("http://127.0.0.1:{moto_port}")
    );
    assert_eq!(stack_state["stack_name"], "it-own-moto");
    assert_eq!(
        http_status(hook_port, "/hooks/okta/default").expect("the hook URL answers"),
        401,
        "the HTTP API's GET route reaches hook-verify, which refuses a request without \
         the hook's auth header"
    );
    assert_eq!(
        http_status(hook_port, "/nowhere").expect("the hook URL answers"),
        404,
        "a path that is no route of the template's HTTP API"
    );

    // Ctrl-C: SIGINT to the command alone (not its process group, as a terminal would),
    // so that stopping moto_server is the command's doing.
    let pid = child.0.id().to_string();
    let sent = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let status = child.0.wait().expect("the command exits");
    assert!(
        status.success(),
        "stack up exits cleanly on Ctrl-C: {status}"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{moto_pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{moto_pid}/stat"))
                .is_ok_and(|s| s.contains(") Z ")),
        "moto_server (pid {moto_pid}) is stopped"
    );
    assert!(
        !state_file.exists(),
        "the state file is removed with the stack"
    );
    assert!(
        http_status(hook_port, "/hooks/okta/default").is_err(),
        "the hook URL is closed with the stack"
    );
}
