//! The deployed stack end to end: `okta-hooks stack up` runs every function of
//! infra/template.yaml as its built binary, wired as the template wires it (environment,
//! event source mappings, roles), and the shipped rules act on a stateful Okta double.
//! What is asserted is the org's state, the letters, what the security channel was told,
//! the audit lines and metrics the functions wrote, and that no function made an AWS call
//! its role does not allow. And the template's dashboard shows only metrics the functions
//! printed in this run (namespace, name and dimensions as printed): the screenshot-free check.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use actions::Family;
use integration_tests::mixed_org::{Org, changes_of};
use integration_tests::slack::Slack;
use integration_tests::stack::{LocalStack, StackOptions};
use okta_double::OktaDouble;
use serde_json::{Value, json};

/// How long the stack may take to settle a delivery (cold starts included).
const SETTLES_WITHIN: Duration = Duration::from_secs(90);

/// The JSON lines of a function's log with `audit: true`.
fn audit_lines(stack: &LocalStack, function: &str) -> Vec<Value> {
    stack
        .log(function)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["audit"] == json!(true))
        .collect()
}

/// The metric names of a function's EMF lines.
fn metric_names(stack: &LocalStack, function: &str) -> Vec<String> {
    let mut names: Vec<String> = stack
        .log(function)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|l| {
            l["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .cloned()
        })
        .flatten()
        .filter_map(|m| m["Name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A metric as CloudWatch names it: namespace, name, and its dimension set (name → value).
type MetricId = (String, String, BTreeMap<String, String>);

/// Every metric the EMF lines of every function's log declare.
async fn printed_metrics(stack: &LocalStack) -> BTreeSet<MetricId> {
    let functions = stack.control_get("/functions").await;
    let mut printed = BTreeSet::new();
    for function in functions.as_object().into_iter().flat_map(|f| f.keys()) {
        for line in stack
            .log(function)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            let Some(declared) = line["_aws"]["CloudWatchMetrics"].as_array() else {
                continue;
            };
            for set in declared {
                let namespace = set["Namespace"].as_str().unwrap_or_default();
                let dimensions: BTreeMap<String, String> = set["Dimensions"][0]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|d| {
                        (
                            d.to_owned(),
                            line[d].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect();
                for metric in set["Metrics"].as_array().into_iter().flatten() {
                    let name = metric["Name"].as_str().unwrap_or_default();
                    printed.insert((namespace.to_owned(), name.to_owned(), dimensions.clone()));
                }
            }
        }
    }
    printed
}

/// The dashboard's body as deployed: the template's `Dashboard` `DashboardBody` (a `!Sub`)
/// with the region and each queue's `QueueName` substituted from the stack.
fn dashboard_body(stack: &LocalStack) -> Value {
    use saphyr::{LoadableYamlNode, Yaml};
    let path = integration_tests::workspace_root().join("infra/template.yaml");
    let text = std::fs::read_to_string(path).expect("infra/template.yaml");
    let docs = Yaml::load_from_str(&text).expect("YAML");
    let body = &docs[0]["Resources"]["Dashboard"]["Properties"]["DashboardBody"];
    let Yaml::Tagged(tag, inner) = body else {
        panic!("DashboardBody is a !Sub: {body:?}");
    };
    assert_eq!(tag.suffix, "Sub");
    let mut body = inner.as_str().expect("a !Sub string").to_owned();
    while let Some(start) = body.find("${") {
        let end = start + body[start..].find('}').expect("closed ${…}");
        let variable = &body[start + 2..end];
        let value = match variable.split_once('.') {
            _ if variable == "AWS::Region" => "us-east-1".to_owned(),
            Some((queue, "QueueName")) => {
                let url = stack.queue(queue);
                url.rsplit('/').next().unwrap_or_default().to_owned()
            }
            _ => panic!("the dashboard substitutes only the region and queue names: {variable}"),
        };
        body.replace_range(start..=end, &value);
    }
    serde_json::from_str(&body).expect("the dashboard body is JSON")
}

/// What a dashboard widget's metric row shows: a metric (namespace, name, dimensions), or
/// a SEARCH expression (namespace, name, the dimension names it groups by).
#[derive(Debug)]
enum Shown {
    Metric(MetricId),
    Search(String, String, BTreeSet<String>),
}

fn shown(row: &Value) -> Shown {
    let row = row.as_array().expect("a metric row is an array");
    if let Some(expression) = row[0]["expression"].as_str() {
        let schema = expression
            .split_once("SEARCH('{")
            .and_then(|(_, rest)| rest.split_once('}'))
            .expect("SEARCH('{namespace,dimension…} …')");
        let mut names = schema.0.split(',').map(str::to_owned);
        let namespace = names.next().unwrap_or_default();
        let metric = schema
            .1
            .split_once("MetricName=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .expect("MetricName=\"…\"")
            .0;
        return Shown::Search(namespace, metric.to_owned(), names.collect());
    }
    let text: Vec<&str> = row.iter().filter_map(Value::as_str).collect();
    assert!(text.len() >= 2 && text.len().is_multiple_of(2), "{row:?}");
    let dimensions = text[2..]
        .chunks(2)
        .map(|pair| (pair[0].to_owned(), pair[1].to_owned()))
        .collect();
    Shown::Metric((text[0].to_owned(), text[1].to_owned(), dimensions))
}

/// Metrics the dashboard shows that this flow does not print (their paths are not taken
/// here): each with the source file that prints it (checked to name it) and the path.
const NOT_PRINTED_HERE: &[(&str, &str, &str)] = &[
    (
        "EventsDeadLettered",
        "functions/event-router/src/lib.rs",
        "an event no retry can route (event_router tests)",
    ),
    (
        "ActionsRetried",
        "shared/step-runner/src/audit.rs",
        "a step held back: a 429, spent rate-limit headroom (stack_faults)",
    ),
    (
        "ActionsDryRun",
        "shared/step-runner/src/audit.rs",
        "an executor of a DryRun stack",
    ),
    // Printed only when not zero (CloudWatch bills every hour a metric receives a value,
    // a zero too): the paths that make them are not taken here.
    (
        "PlansDryRun",
        "functions/event-router/src/lib.rs",
        "a dry-run rule firing (event-router unit tests)",
    ),
    (
        "PlansRefused",
        "functions/event-router/src/lib.rs",
        "a plan on a protected user (event_router binary test)",
    ),
    (
        "PlansFailed",
        "functions/event-router/src/lib.rs",
        "a rule that cannot be evaluated on the event",
    ),
    (
        "Okta429s",
        "shared/step-runner/src/audit.rs",
        "Okta answering 429 to an executor (step-runner audit tests)",
    ),
    (
        "EventsMissedByHook",
        "shared/log-polling/src/metrics.rs",
        "an event the hook did not deliver (stack_faults, log_poller)",
    ),
    (
        "Throttled",
        "shared/log-polling/src/metrics.rs",
        "Okta answering 429 to the poller (log_poller)",
    ),
];

/// The functions this flow runs (the other executors' roles are the same statements
/// over their own queue; the poller's are exercised by the fault tests).
const RAN: &[&str] = &[
    "HookVerifyFunction",
    "HookIngestFunction",
    "EventRouterFunction",
    "UsersExecutorFunction",
    "SessionsExecutorFunction",
    "GroupsExecutorFunction",
    "NotifyExecutorFunction",
];

/// Grants of [`RAN`] the flow may leave unused, as `Function Sid action`, and why: the
/// paths it does not take (the fault tests take them).
const UNUSED_HERE: &[(&str, &str)] = &[
    (
        "EventRouterFunction Counters dynamodb:GetItem",
        "read only after a refused take, to tell a repeated event from a spent cap",
    ),
    (
        "EventRouterFunction LettersOfUnroutableEvents sqs:SendMessage",
        "only an event no retry can route is lettered",
    ),
    (
        "UsersExecutorFunction ConsumeOwnQueue sqs:ChangeMessageVisibility",
        "holds a step back: a 429, a retry's backoff",
    ),
    (
        "UsersExecutorFunction Idempotency dynamodb:GetItem",
        "read only after a refused claim (a redelivered step)",
    ),
    (
        "SessionsExecutorFunction ConsumeOwnQueue sqs:ChangeMessageVisibility",
        "holds a step back",
    ),
    (
        "SessionsExecutorFunction Idempotency dynamodb:GetItem",
        "read only after a refused claim",
    ),
    (
        "SessionsExecutorFunction Idempotency dynamodb:DeleteItem",
        "releases the claim of a step that failed for good",
    ),
    (
        "GroupsExecutorFunction ConsumeOwnQueue sqs:ChangeMessageVisibility",
        "holds a step back",
    ),
    (
        "GroupsExecutorFunction Idempotency dynamodb:GetItem",
        "read only after a refused claim",
    ),
    (
        "GroupsExecutorFunction Idempotency dynamodb:DeleteItem",
        "releases the claim of a step that failed for good",
    ),
    (
        "GroupsExecutorFunction SendNextStepsAndFailures sqs:SendMessage",
        "its steps here are last steps and none fails",
    ),
    (
        "NotifyExecutorFunction ConsumeOwnQueue sqs:ChangeMessageVisibility",
        "holds a step back (a webhook's 429)",
    ),
    (
        "NotifyExecutorFunction Idempotency dynamodb:GetItem",
        "read only after a refused claim",
    ),
    (
        "NotifyExecutorFunction Idempotency dynamodb:DeleteItem",
        "releases the claim of a step that failed for good",
    ),
    (
        "NotifyExecutorFunction SendNextStepsAndFailures sqs:SendMessage",
        "notify steps are last steps and none fails here",
    ),
    // Action requests (issue 15): this flow sends none; the router's pump only polls.
    (
        "EventRouterFunction ConsumeActionRequests sqs:DeleteMessage",
        "no action request is sent in this flow",
    ),
    (
        "EventRouterFunction LettersOfRefusedRequests sqs:SendMessage",
        "only a refused or invalid action request is lettered",
    ),
    (
        "EventRouterFunction ResultEvents events:PutEvents",
        "the router publishes only refused plans' results (none is refused here)",
    ),
    (
        "EventRouterFunction Replies sqs:SendMessage",
        "replies go to an action request's reply_to only",
    ),
    (
        "UsersExecutorFunction Replies sqs:SendMessage",
        "a rule's plan has no reply_to",
    ),
    (
        "SessionsExecutorFunction Replies sqs:SendMessage",
        "a rule's plan has no reply_to",
    ),
    (
        "GroupsExecutorFunction Replies sqs:SendMessage",
        "a rule's plan has no reply_to",
    ),
    (
        "NotifyExecutorFunction Replies sqs:SendMessage",
        "a rule's plan has no reply_to",
    ),
    // Each finished plan's Action Result is published by the executor of its last step:
    // here the groups and notify executors; no plan of this flow ends elsewhere.
    (
        "UsersExecutorFunction ResultEvents events:PutEvents",
        "no plan of this flow ends at a users step",
    ),
    (
        "SessionsExecutorFunction ResultEvents events:PutEvents",
        "no plan of this flow ends at a sessions step",
    ),
];

/// The grants of `functions` no call used, as `Function Sid action` (a statement's
/// action counts as used when any of its resources was).
async fn unused_grants(stack: &LocalStack, functions: &[&str]) -> BTreeSet<String> {
    let grants = stack.control_get("/aws/grants").await;
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut all: BTreeSet<String> = BTreeSet::new();
    for grant in grants.as_array().into_iter().flatten() {
        let function = grant["function"].as_str().unwrap_or_default();
        if !functions.contains(&function) {
            continue;
        }
        let key = format!(
            "{function} {} {}",
            grant["sid"].as_str().unwrap_or("-"),
            grant["action"].as_str().unwrap_or_default()
        );
        if grant["used"] == true {
            used.insert(key.clone());
        }
        all.insert(key);
    }
    all.difference(&used).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_rules_run_end_to_end_through_the_deployed_stack_every_aws_call_is_granted_and_the_dashboard_shows_only_printed_metrics()
 {
    let okta = OktaDouble::start().await;
    let org = Org::seed(&okta);
    let slack = Slack::start().await;
    let stack = LocalStack::up(
        StackOptions::new(
            "it-flow",
            &okta.org_url(),
            okta.token(),
            json!({"slack_webhook": slack.webhook()}),
        )
        // The poller's schedule stays out of this flow.
        .parameter("PollSchedule", "rate(1 day)"),
    )
    .await;

    // Okta's one-time verification, through the HTTP API's GET route.
    let verified: Value = reqwest::Client::new()
        .get(stack.hook_url())
        .header("Authorization", integration_tests::stack::HOOK_SECRET)
        .header("x-okta-verification-challenge", "flow-challenge")
        .send()
        .await
        .expect("the hook URL answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(verified, json!({"verification": "flow-challenge"}));
    // An event without its uuid is parked on the rejects queue, the rest goes on.
    assert_eq!(
        stack
            .deliver(&[json!({"eventType": "user.session.start"})])
            .await,
        200
    );
    stack
        .wait_until("the parked event", SETTLES_WITHIN, || async {
            stack.depth("RejectsQueue").await.0 == 1
        })
        .await;

    assert_eq!(stack.deliver(&org.delivery()).await, 200);
    let want = org.expected_changes();
    stack
        .wait_until("the shipped rules' changes", SETTLES_WITHIN, || async {
            changes_of(&okta) == want && slack.texts().await.len() >= 11
        })
        .await;
    // Settled: nothing left to run or retry.
    stack.settled(SETTLES_WITHIN).await;
    org.assert_state(&okta);
    org.assert_letters(&stack.letters(Family::Users).await);
    org.assert_told(&slack.texts().await);
    for family in Family::ALL.into_iter().filter(|f| *f != Family::Users) {
        assert!(stack.letters(family).await.is_empty(), "{family} letters");
    }
    assert!(
        stack.aws.drain(&stack.queue("EventsDlq")).await.is_empty(),
        "no event was dead-lettered"
    );

    // The audit trail: one line per step the users executor ran, with its outcome.
    let audit = audit_lines(&stack, "UsersExecutorFunction");
    let suspend_of = |user: &str| {
        audit
            .iter()
            .filter(|l| l["fields"]["action"] == "user.suspend" && l["fields"]["target"] == user)
            .map(|l| l["fields"]["outcome"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(suspend_of(&org.active.id), ["done"], "{audit:?}");
    assert_eq!(suspend_of(&org.locked.id), ["failed"], "{audit:?}");
    // Metrics, as README "Metrics" documents them.
    let router_metrics = metric_names(&stack, "EventRouterFunction");
    assert!(
        router_metrics.iter().any(|m| m == "EventsRouted"),
        "{router_metrics:?}"
    );
    let executor_metrics = metric_names(&stack, "UsersExecutorFunction");
    assert!(
        executor_metrics.iter().any(|m| m == "ActionsDone"),
        "{executor_metrics:?}"
    );

    // Every AWS call each function made was granted by its role (Lambda's polling of
    // the queues included); a missing grant would have been refused and listed here.
    let denied = stack.denied().await;
    assert!(
        denied.is_empty(),
        "calls the roles do not allow: {denied:#?}"
    );
    // And no role grants more than its function uses: each grant (statement and action)
    // of the functions this flow runs was used, but for the paths it does not take, each
    // named here with the reason. A grant added without a use fails here.
    let unused = unused_grants(&stack, RAN).await;
    let explained: BTreeSet<String> = UNUSED_HERE
        .iter()
        .map(|(grant, _why)| (*grant).to_owned())
        .collect();
    let unexplained: Vec<&String> = unused.difference(&explained).collect();
    assert!(
        unexplained.is_empty(),
        "granted but never used, and no path named that would use them (too broad?): \
         {unexplained:#?}"
    );
    // And no reason given for a grant this flow did use: the list says what is true.
    let stale: Vec<&String> = explained.difference(&unused).collect();
    assert!(
        stale.is_empty(),
        "named as unused here but used: drop them from UNUSED_HERE: {stale:#?}"
    );

    // A delivery with a wrong auth value is refused, and counted by its code.
    let refused = reqwest::Client::new()
        .post(stack.hook_url())
        .header("Authorization", "flow-wrong-secret")
        .header("Content-Type", "application/json")
        .body(r#"{"eventType": "com.okta.event_hook"}"#)
        .send()
        .await
        .expect("the hook URL answers");
    assert_eq!(refused.status().as_u16(), 401);

    // Okta delivers the same events again: nothing changes, nothing is told twice.
    assert_eq!(stack.deliver(&org.delivery()).await, 200);
    let routed = stack.control_get("/functions").await["EventRouterFunction"]["invocations"]
        .as_u64()
        .unwrap_or(0);
    stack
        .wait_until("the second delivery routed", SETTLES_WITHIN, || async {
            stack.depth("EventsQueue").await == (0, 0)
                && stack.control_get("/functions").await["EventRouterFunction"]["invocations"]
                    .as_u64()
                    .unwrap_or(0)
                    > routed
        })
        .await;
    stack.settled(SETTLES_WITHIN).await;
    assert_eq!(changes_of(&okta), want);
    assert_eq!(okta.applied("suspend", &org.active.id), 1);
    assert_eq!(slack.texts().await.len(), 11);

    // The poller runs once over a System Log holding what the hook delivered (all routed:
    // nothing missed) and an org rate-limit warning: it prints the events it read and
    // the alert (missed and 429s are zero here, and zeros are not printed).
    for mut event in org.delivery() {
        if let Some(object) = event.as_object_mut() {
            object.remove("published");
        }
        okta.log_event(event);
    }
    let warning = integration_tests::reference_event("system.org.rate_limit.warning.json");
    let mut warning: Value =
        serde_json::from_str(&std::fs::read_to_string(warning).expect("reference event"))
            .expect("JSON");
    if let Some(object) = warning.as_object_mut() {
        object.remove("published");
        object.insert("uuid".into(), json!("flow-rate-limit-warning"));
    }
    okta.log_event(warning);
    let (status, body) = stack
        .control_post("/schedules/LogPollerFunction/run", &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");

    // The dashboard shows what the functions print: each metric it shows is one a
    // function printed in this run (namespace, name, dimensions and their values; a
    // SEARCH: namespace, name and the dimension names), but for those named in
    // NOT_PRINTED_HERE; and each DLQ's depth, for every DLQ of the stack.
    let printed = printed_metrics(&stack).await;
    let ingest_lines: String = stack
        .log("HookIngestFunction")
        .lines()
        .filter(|l| l.contains("\"_aws\""))
        .collect();
    assert!(
        ingest_lines.contains("\"DeliveriesRefused\""),
        "{ingest_lines}"
    );
    for secret in [
        integration_tests::stack::HOOK_SECRET,
        "flow-wrong-secret",
        &org.active.id,
    ] {
        assert!(!ingest_lines.contains(secret), "{secret} in a metric line");
    }
    let body = dashboard_body(&stack);
    let mut missing = Vec::new();
    let mut not_printed_shown = BTreeSet::new();
    let mut queues_shown = BTreeSet::new();
    let widgets = body["widgets"].as_array().expect("widgets");
    for row in widgets.iter().flat_map(|w| {
        w["properties"]["metrics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }) {
        let shown = shown(&row);
        let (namespace, name, found) = match &shown {
            Shown::Metric((namespace, name, dimensions)) if namespace == "AWS/SQS" => {
                assert_eq!(name, "ApproximateNumberOfMessagesVisible", "{row}");
                queues_shown.insert(dimensions["QueueName"].clone());
                continue;
            }
            Shown::Metric(id) => (&id.0, &id.1, printed.contains(id)),
            Shown::Search(namespace, name, dimensions) => (
                namespace,
                name,
                printed.iter().any(|(ns, n, d)| {
                    ns == namespace && n == name && d.keys().eq(dimensions.iter())
                }),
            ),
        };
        assert_eq!(namespace, "okta-hooks", "{row}");
        if NOT_PRINTED_HERE.iter().any(|(n, _, _)| n == name) {
            not_printed_shown.insert(name.clone());
            assert!(
                !found,
                "{name} is printed here: drop it from NOT_PRINTED_HERE"
            );
        } else if !found {
            missing.push(shown);
        }
    }
    assert!(
        missing.is_empty(),
        "the dashboard shows metrics no function printed: {missing:#?}\nprinted: {printed:#?}"
    );
    let named: BTreeSet<String> = NOT_PRINTED_HERE
        .iter()
        .map(|(n, _, _)| (*n).to_owned())
        .collect();
    for (name, source, _path) in NOT_PRINTED_HERE {
        let text = std::fs::read_to_string(integration_tests::workspace_root().join(source))
            .unwrap_or_default();
        assert!(
            text.contains(&format!("\"{name}\"")),
            "{source} prints {name}"
        );
    }
    assert_eq!(
        not_printed_shown, named,
        "NOT_PRINTED_HERE names only what the dashboard shows"
    );
    let dlqs: BTreeSet<String> = ["EventsDlq", "ActionRequestsDlq", "RejectsQueue"]
        .into_iter()
        .map(str::to_owned)
        .chain(
            Family::ALL
                .into_iter()
                .map(|f| integration_tests::stack::family_id(f, "Dlq")),
        )
        .map(|id| {
            stack
                .queue(&id)
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        queues_shown, dlqs,
        "every DLQ's depth, and nothing else of AWS/SQS"
    );
}
