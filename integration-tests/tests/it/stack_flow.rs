//! The deployed stack end to end: `okta-hooks stack up` runs every function of
//! infra/template.yaml as its built binary, wired as the template wires it (environment,
//! event source mappings, roles), and the shipped rules act on a stateful Okta double.
//! What is asserted is the org's state, the letters, what the security channel was told,
//! the audit lines and metrics the functions wrote, and that no function made an AWS call
//! its role does not allow.

use std::time::Duration;

use actions::Family;
use integration_tests::mixed_org::{Org, changes_of};
use integration_tests::stack::{LocalStack, StackOptions};
use okta_double::OktaDouble;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// How long the stack may take to settle a delivery (cold starts included).
const SETTLES_WITHIN: Duration = Duration::from_secs(90);

/// A Slack webhook double.
async fn slack() -> MockServer {
    let slack = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/slack"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&slack)
        .await;
    slack
}

async fn texts(slack: &MockServer) -> Vec<String> {
    slack
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter_map(|b| b["text"].as_str().map(str::to_owned))
        .collect()
}

/// The letters on a family's DLQ (drained).
async fn letters(stack: &LocalStack, family: Family) -> Vec<Value> {
    let dlq = format!("{}Dlq", title(family));
    stack
        .aws
        .drain(&stack.queue(&dlq))
        .await
        .into_iter()
        .filter_map(|(_, _, body)| serde_json::from_str(&body).ok())
        .collect()
}

fn title(family: Family) -> String {
    let name = family.to_string();
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_rules_run_end_to_end_through_the_deployed_stack_and_every_aws_call_is_granted()
{
    let okta = OktaDouble::start().await;
    let org = Org::seed(&okta);
    let slack = slack().await;
    let stack = LocalStack::up(StackOptions::new(
        "it-flow",
        &okta.org_url(),
        okta.token(),
        json!({"slack_webhook": format!("{}/slack", slack.uri())}),
    ))
    .await;

    assert_eq!(stack.deliver(&org.delivery()).await, 200);
    let want = org.expected_changes();
    stack
        .wait_until("the shipped rules' changes", SETTLES_WITHIN, || async {
            changes_of(&okta) == want && texts(&slack).await.len() >= 11
        })
        .await;
    // Settled: the family queues are empty (nothing left to retry).
    for family in Family::ALL {
        let queue = format!("{}Queue", title(family));
        stack
            .wait_until(&format!("{queue} empty"), SETTLES_WITHIN, || async {
                stack.depth(&queue).await == (0, 0)
            })
            .await;
    }
    org.assert_state(&okta);
    org.assert_letters(&letters(&stack, Family::Users).await);
    org.assert_told(&texts(&slack).await);
    for family in Family::ALL.into_iter().filter(|f| *f != Family::Users) {
        assert!(letters(&stack, family).await.is_empty(), "{family} letters");
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
    for family in Family::ALL {
        let queue = format!("{}Queue", title(family));
        stack
            .wait_until(&format!("{queue} empty"), SETTLES_WITHIN, || async {
                stack.depth(&queue).await == (0, 0)
            })
            .await;
    }
    assert_eq!(changes_of(&okta), want);
    assert_eq!(okta.applied("suspend", &org.active.id), 1);
    assert_eq!(texts(&slack).await.len(), 11);
}
