//! The deployed stack end to end: `okta-hooks stack up` runs every function of
//! infra/template.yaml as its built binary, wired as the template wires it (environment,
//! event source mappings, roles), and the shipped rules act on a stateful Okta double.
//! What is asserted is the org's state, the letters, what the security channel was told,
//! the audit lines and metrics the functions wrote, and that no function made an AWS call
//! its role does not allow.

use std::collections::BTreeSet;
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
async fn the_shipped_rules_run_end_to_end_through_the_deployed_stack_and_every_aws_call_is_granted()
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
}
