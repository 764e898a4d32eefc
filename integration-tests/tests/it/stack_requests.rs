//! Actions on request through the deployed stack: a request message on the stack's
//! `ActionRequestsQueue` (sent by `okta-hooks run --queue-url … --wait`, as a person or a
//! SOAR would) is taken by the router's intake, run by the executor against the stateful
//! Okta double, and told as an `Action Result` event on the default bus (to a rule's SQS
//! target) and on the request's reply queue. A bad request leaves a letter that says
//! exactly what is wrong, and a `refused` result.

use std::time::Duration;

use integration_tests::aws::{events_request, function_env};
use integration_tests::okta_hooks_async;
use integration_tests::stack::{LocalStack, StackOptions};
use okta_double::{OktaDouble, User};
use serde_json::{Value, json};

const SETTLES_WITHIN: Duration = Duration::from_secs(90);
const ACTIVE: &str = "00uREQSTACK1";
const LOCKED: &str = "00uREQSTACK2";

/// Every `Action Result` on the default bus lands on a queue of the test's, as a user's
/// EventBridge rule would send it to theirs. Returns the queue URL.
async fn results_target(stack: &LocalStack) -> String {
    let url = stack.aws.standard_queue("action-results").await;
    let endpoint = stack.moto.endpoint();
    let pattern = json!({"source": ["okta-hooks"], "detail-type": ["Action Result"]});
    events_request(
        &endpoint,
        "PutRule",
        &json!({"Name": "action-results", "EventPattern": pattern.to_string()}),
    );
    events_request(
        &endpoint,
        "PutTargets",
        &json!({"Rule": "action-results", "Targets": [
            {"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:action-results"}]}),
    );
    url
}

/// The bodies on `queue` now (received and deleted), as JSON.
async fn drain(stack: &LocalStack, queue: &str) -> Vec<Value> {
    stack
        .aws
        .drain(queue)
        .await
        .into_iter()
        .map(|(_, _, body)| serde_json::from_str(&body).unwrap_or(Value::Null))
        .collect()
}

/// The `Action Result` details on the target queue so far, added to `seen`.
async fn results(stack: &LocalStack, target: &str, seen: &mut Vec<Value>) {
    for event in drain(stack, target).await {
        assert_eq!(event["source"], "okta-hooks", "{event}");
        assert_eq!(event["detail-type"], "Action Result", "{event}");
        seen.push(event["detail"].clone());
    }
}

/// Waits for the result of `request_id` on the bus.
async fn result_of(
    stack: &LocalStack,
    target: &str,
    seen: &mut Vec<Value>,
    request_id: &str,
) -> Value {
    let deadline = std::time::Instant::now() + SETTLES_WITHIN;
    loop {
        results(stack, target, seen).await;
        if let Some(found) = seen.iter().find(|r| r["request_id"] == request_id) {
            return found.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no result for {request_id} within {SETTLES_WITHIN:?}; seen {seen:?}\n{}",
            stack.calls_summary().await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_on_the_stack_queue_acts_once_and_is_told_and_a_bad_one_is_lettered() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active(ACTIVE, "request.active@example.com"));
    okta.add_user(User::locked_out(LOCKED, "request.locked@example.com"));
    let stack = LocalStack::up(StackOptions::new(
        "it-requests",
        &okta.org_url(),
        OktaDouble::DEFAULT_TOKEN,
        json!({}),
    ))
    .await;
    let target = results_target(&stack).await;
    let queue = stack.state["outputs"]["ActionRequestsQueueUrl"]
        .as_str()
        .expect("the ActionRequestsQueueUrl output")
        .to_owned();
    let mut seen = Vec::new();

    // A person, with one command: sent, acted on, told on the reply queue it waited on.
    let env = function_env(&stack.moto.endpoint());
    let ran = okta_hooks_async(
        &[
            "run",
            "user.suspend",
            &format!("user={ACTIVE}"),
            "--queue-url",
            &queue,
            "--request-id",
            "INC-1",
            "--reason",
            "phishing report",
            "--wait",
            "--timeout",
            "90s",
            "--json",
        ],
        &env,
    )
    .await;
    if ran.code != Some(0) {
        let calls = stack.control_get("/aws/calls").await;
        let failed: Vec<&Value> = calls
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["status"].as_u64().unwrap_or(0) >= 400 || c["allowed"] == false)
            .collect();
        panic!("run failed: {}\nfailed AWS calls: {failed:?}", ran.all());
    }
    let replied: Value = serde_json::from_str(ran.stdout.trim()).expect("the result as JSON");
    assert_eq!(replied["request_id"], "INC-1");
    assert_eq!(replied["status"], "done", "{replied}");
    assert_eq!(okta.status(ACTIVE), Some("SUSPENDED"));
    assert_eq!(okta.applied("suspend", ACTIVE), 1);
    let suspend = &okta.changes()[0];
    let ids = replied["steps"][0]["okta_request_ids"].clone();
    assert!(
        ids.as_array()
            .is_some_and(|ids| ids.contains(&json!(suspend.request_id))),
        "the result names Okta's request id of the change: {replied}"
    );
    // The same body on the bus, and the sender is the IAM principal, not free text.
    let told = result_of(&stack, &target, &mut seen, "INC-1").await;
    assert_eq!(told["status"], replied["status"]);
    assert_eq!(told["steps"], replied["steps"]);
    assert_eq!(told["reason"], "phishing report");
    assert!(
        told["requester"]
            .as_str()
            .is_some_and(|r| !r.is_empty() && r != "unknown"),
        "{told}"
    );

    // The same request again (a retry of the requester's): nothing changes.
    let send = |body: Value| {
        let stack = &stack;
        let queue = queue.clone();
        async move {
            stack
                .aws
                .sqs
                .send_message()
                .queue_url(queue)
                .message_body(body.to_string())
                .send()
                .await
                .expect("send the request");
        }
    };
    send(json!({"action": "user.suspend", "params": {"user": ACTIVE}, "request_id": "INC-1"}))
        .await;
    // A LOCKED_OUT user cannot be suspended: failed, with Okta's reason, the user as is.
    send(json!({"action": "user.suspend", "params": {"user": LOCKED}, "request_id": "INC-2"}))
        .await;
    let failed = result_of(&stack, &target, &mut seen, "INC-2").await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(
        failed["steps"][0]["error"]["errorCode"], "E0000038",
        "{failed}"
    );
    assert_eq!(okta.status(LOCKED), Some("LOCKED_OUT"));

    // A bad request: a letter that says exactly what is wrong, and a refused result.
    send(json!({"action": "user.suspnd", "params": {"user": ACTIVE}, "request_id": "INC-3"})).await;
    let refused = result_of(&stack, &target, &mut seen, "INC-3").await;
    let why = "unknown action `user.suspnd` — did you mean `user.suspend`?";
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["error"], why);
    let dlq = stack.state["outputs"]["ActionRequestsDlqUrl"]
        .as_str()
        .expect("the ActionRequestsDlqUrl output")
        .to_owned();
    let letters = drain(&stack, &dlq).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["failure"]["error"], why);
    assert_eq!(letters[0]["requestId"], "INC-3");

    // The repeated INC-1 was taken by then (requests run in order of the router's
    // receives only per batch, so wait for its line), and ran nothing.
    stack
        .wait_until(
            "the repeated request is seen as one",
            SETTLES_WITHIN,
            || async {
                stack
                    .log("EventRouterFunction")
                    .contains("duplicate action request")
            },
        )
        .await;
    assert_eq!(okta.applied("suspend", ACTIVE), 1);
    assert_eq!(
        seen.iter().filter(|r| r["request_id"] == "INC-1").count(),
        1,
        "one result per plan: {seen:?}"
    );
    assert!(
        stack.denied().await.is_empty(),
        "{:?}",
        stack.denied().await
    );
    // The grants of the request path were what these calls used.
    let grants = stack.control_get("/aws/grants").await;
    let used = |function: &str, sid: &str, action: &str| {
        grants.as_array().into_iter().flatten().any(|g| {
            g["function"] == function
                && g["sid"] == sid
                && g["action"] == action
                && g["used"] == true
        })
    };
    for (function, sid, action) in [
        (
            "EventRouterFunction",
            "ConsumeActionRequests",
            "sqs:DeleteMessage",
        ),
        (
            "EventRouterFunction",
            "LettersOfRefusedRequests",
            "sqs:SendMessage",
        ),
        ("EventRouterFunction", "ResultEvents", "events:PutEvents"),
        ("UsersExecutorFunction", "ResultEvents", "events:PutEvents"),
        ("UsersExecutorFunction", "Replies", "sqs:SendMessage"),
    ] {
        assert!(
            used(function, sid, action),
            "{function} {sid} {action} was not used: {grants}"
        );
    }
}

/// The reporter of the shipped lock-down rule's reference event, and a second one.
const REPORTER: &str = "01234";
const SECOND_REPORTER: &str = "00uPAUSED2";

/// The shipped rule's reference event (`user.account.report_suspicious_activity_by_enduser`)
/// about `user`, as its own event (uuid).
fn report_of(user: &str, uuid: &str) -> Value {
    let text = std::fs::read_to_string(
        integration_tests::workspace_root()
            .join("rules/events/user.account.report_suspicious_activity_by_enduser.json"),
    )
    .expect("the shipped rule's reference event");
    let mut report: Value = serde_json::from_str(&text).expect("JSON");
    report["uuid"] = json!(uuid);
    report["target"][0]["id"] = json!(user);
    report
}

/// `ActionRequests=false` and `ExecutorFamilies=users`: the template deploys the requests
/// queue's mapping and every other family's disabled, and `stack up` pumps none of them, as
/// Lambda polls none. A request waits on its queue and the lock-down's second step
/// (`user.sessions.clear`, family sessions) on the sessions queue, unreceived, while the
/// listed users family still suspends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_requests_and_a_family_paused_their_messages_stay_on_the_queue_while_a_listed_family_acts()
 {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active(ACTIVE, "request.active@example.com"));
    okta.add_user(User::active(REPORTER, "homer.simpson@duff.com"));
    okta.add_user(User::active(SECOND_REPORTER, "marge.simpson@duff.com"));
    let stack = LocalStack::up(
        StackOptions::new(
            "it-paused",
            &okta.org_url(),
            OktaDouble::DEFAULT_TOKEN,
            // Never called: the notify step comes after the paused sessions step.
            json!({"slack_webhook": "http://127.0.0.1:9/never-called"}),
        )
        .parameter("ExecutorFamilies", "users")
        .parameter("ActionRequests", "false")
        // The poller's schedule stays out of this flow.
        .parameter("PollSchedule", "rate(1 day)"),
    )
    .await;
    let requests = stack.queue("ActionRequestsQueue");
    stack
        .aws
        .sqs
        .send_message()
        .queue_url(&requests)
        .message_body(
            json!({"action": "user.suspend", "params": {"user": ACTIVE}, "request_id": "INC-P"})
                .to_string(),
        )
        .send()
        .await
        .expect("send the request");

    // Two reports, one after the other: the first's sessions step has waited a whole
    // delivery (router and users executor) by the time the second's suspension is done,
    // and the request longer, which a pumped queue would not have kept.
    for (user, uuid, waiting) in [
        (REPORTER, "paused-report-1", 1),
        (SECOND_REPORTER, "paused-report-2", 2),
    ] {
        assert_eq!(stack.deliver(&[report_of(user, uuid)]).await, 200);
        stack
            .wait_until(
                &format!("{user} suspended and {waiting} step(s) on the sessions queue"),
                SETTLES_WITHIN,
                || async {
                    okta.status(user) == Some("SUSPENDED")
                        && stack.depth("SessionsQueue").await == (waiting, 0)
                },
            )
            .await;
    }
    assert_eq!(stack.depth("ActionRequestsQueue").await, (1, 0));
    // No one received them before this test: a first receive.
    for queue in ["SessionsQueue", "ActionRequestsQueue"] {
        let received = stack.aws.receive_batch(&stack.queue(queue)).await;
        let counts: Vec<Option<&str>> = received
            .iter()
            .map(|m| {
                m.attributes
                    .get("ApproximateReceiveCount")
                    .map(String::as_str)
            })
            .collect();
        assert!(
            !counts.is_empty() && counts.iter().all(|c| *c == Some("1")),
            "{queue}: {counts:?}"
        );
    }
    assert_eq!(okta.status(ACTIVE), Some("ACTIVE"), "the request waits");
    assert_eq!(okta.applied_total("clear_sessions"), 0);
    assert_eq!(okta.applied_total("suspend"), 2);
}
