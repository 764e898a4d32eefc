//! Correct at the seams, asserted on the org's state: deliveries of real Okta events go
//! through ingest, the router and the action executors (their real handlers and AWS
//! adapters, on `moto_server`) to a stateful Okta double, and the tests assert where every
//! user ends up and how many times each change was applied — not the shape of the calls.
//! The repository's shipped rules decide; the Slack webhook is a wiremock.
//!
//! What the seams must hold:
//! - a refused lifecycle call (`E0000038`) is done only when the user, read after the
//!   refusal, is where the action leads; any other status is a letter naming it, and the
//!   rule's `on_failure` runs;
//! - each user's events and steps keep their order across batches;
//! - a change that Okta applied but answered `500` is not applied twice;
//! - retries that run out end in a letter (class `exhausted`), an audit line and the
//!   rule's `on_failure`;
//! - a `429` or a nearly empty rate-limit bucket holds steps back, never uses up their
//!   attempts, and every step applies once later;
//! - a subject user who no longer exists is `user == null` for the rules, not a retry;
//! - a delivery posted again changes nothing;
//! - with per-family Okta credentials, each executor calls Okta with its own (or the
//!   shared one), the router's enrichment with the read-only one, and a step sent to
//!   another family's queue is refused before any Okta call.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actions::Family;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use integration_tests::mixed_org::{Org, SALES_GROUP, changes_of, created, event_about, login};
use integration_tests::pipeline::{Pipeline, PipelineOptions};
use integration_tests::slack::Slack;
use okta_double::{BucketName, Fault, Group, OktaDouble, Running, Status, User};
use serde_json::{Value, json};

const KEY: &str = "seams-signing-key-0123456789abcdef0123456";
const HOOK_SECRET: &str = "seams-hook-secret";
/// Longest a test waits for its queues to drain (moto handles ~100 messages/s).
const QUIET_WITHIN: Duration = Duration::from_secs(120);

/// Whether a step that asked to wait is made visible again at once (retries after a
/// `5xx` would otherwise wait their backoff) or keeps its hold (a `429`'s reset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    Ignore,
    Keep,
}

/// The pipeline, with Okta played by the stateful double and the Slack webhook by a
/// wiremock.
struct Stack {
    pipeline: Pipeline,
    okta: Running,
    slack: Slack,
    /// Batch items the executors reported failed (to be retried), per family.
    retried: std::sync::Mutex<HashMap<Family, usize>>,
}

impl std::ops::Deref for Stack {
    type Target = Pipeline;

    fn deref(&self) -> &Pipeline {
        &self.pipeline
    }
}

/// The whole pipeline on moto, with `extra` added to every function's environment.
async fn stack_with(extra: &[(&str, &str)]) -> Stack {
    stack_on(OktaDouble::start().await, extra, None).await
}

/// The same with Okta played by `okta` and, when given, the org's `secrets` (keyed by
/// kind; `named.slack_webhook` is set to the Slack wiremock) instead of one credential
/// for every function.
async fn stack_on(okta: Running, extra: &[(&str, &str)], secrets: Option<Value>) -> Stack {
    let slack = Slack::start().await;
    let slack_webhook = slack.webhook();
    let secrets = secrets.map(|mut secrets| {
        secrets["named"]["slack_webhook"] = json!(slack_webhook);
        secrets
    });
    let pipeline = Pipeline::start(PipelineOptions {
        hook_secret: HOOK_SECRET,
        signing_key: KEY,
        org_url: okta.org_url(),
        api_token: okta.token().to_owned(),
        slack_webhook,
        extra_env: extra,
        secrets,
    })
    .await;
    Stack {
        pipeline,
        okta,
        slack,
        retried: std::sync::Mutex::new(HashMap::new()),
    }
}

async fn stack() -> Stack {
    stack_with(&[]).await
}

impl Stack {
    /// Posts one delivery of `events` to ingest, as Okta does.
    async fn deliver(&self, events: &[Value]) {
        self.pipeline
            .deliver("seams-delivery", "2026-11-30T10:00:00.000Z", events)
            .await;
    }

    /// One Lambda-style batch of `url` through `handler`; with [`Holds::Ignore`] the
    /// items reported failed are made visible again at once.
    async fn pump<F, Fut>(&self, url: &str, holds: Holds, handler: F) -> (usize, SqsBatchResponse)
    where
        F: FnOnce(SqsEvent) -> Fut,
        Fut: std::future::Future<Output = SqsBatchResponse>,
    {
        let (batch, response) = self.aws.pump_batch(url, handler).await;
        if holds == Holds::Ignore {
            for failed in &response.batch_item_failures {
                let receipt = batch
                    .iter()
                    .find(|m| m.message_id.as_deref() == Some(failed.item_identifier.as_str()))
                    .and_then(|m| m.receipt_handle.clone())
                    .unwrap_or_default();
                self.aws
                    .sqs
                    .change_message_visibility()
                    .queue_url(url)
                    .receipt_handle(receipt)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .expect("change visibility");
            }
        }
        (batch.len(), response)
    }

    /// Routes the events queue once: (messages, items reported failed).
    async fn route_once(&self) -> (usize, usize) {
        let (n, response) = self
            .pump(&self.events_url, Holds::Keep, |e| {
                event_router::handle(&self.router, e)
            })
            .await;
        (n, response.batch_item_failures.len())
    }

    /// One batch of a family's queue through its executor: messages run.
    async fn execute_once(&self, family: Family, holds: Holds) -> usize {
        let app = &self.executors[&family];
        let (n, response) = self
            .pump(&self.queues[&family], holds, |e| {
                action_executor::handle(app, e)
            })
            .await;
        let failed = response.batch_item_failures.len();
        if failed > 0 {
            *self.retried.lock().unwrap().entry(family).or_default() += failed;
        }
        n
    }

    /// Messages on a queue, visible or held back.
    async fn pending(&self, url: &str) -> u64 {
        let (visible, held) = self.aws.depth(url).await;
        visible + held
    }

    /// Routes and executes until the events queue and every family queue are empty
    /// (held-back messages included), waiting for holds by polling, within
    /// [`QUIET_WITHIN`].
    async fn run_until_quiet(&self, holds: Holds) {
        let deadline = Instant::now() + QUIET_WITHIN;
        loop {
            let mut ran = 0;
            loop {
                let (n, failed) = self.route_once().await;
                assert_eq!(failed, 0, "the router asked for a retry");
                if n == 0 {
                    break;
                }
                ran += n;
            }
            for family in Family::ALL {
                ran += self.execute_once(family, holds).await;
            }
            if ran > 0 {
                continue;
            }
            let mut left = self.pending(&self.events_url).await;
            for family in Family::ALL {
                left += self.pending(&self.queues[&family]).await;
            }
            if left == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{left} messages still queued after {QUIET_WITHIN:?}"
            );
            // Held-back steps become visible when their hold ends: poll for that.
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Every message posted to the Slack webhook, in order of arrival.
    async fn slack_texts(&self) -> Vec<String> {
        self.slack.texts().await
    }

    /// Letters of every family, after asserting that only `family` has any.
    async fn only_letters_of(&self, family: Family) -> Vec<Value> {
        let routing = self.aws.drain(&self.events_dlq).await;
        assert!(routing.is_empty(), "events DLQ: {routing:?}");
        let mut found = Vec::new();
        for f in Family::ALL {
            let letters = self.dead_letters(f).await;
            if f == family {
                found = letters;
            } else {
                assert!(letters.is_empty(), "{f} DLQ: {letters:?}");
            }
        }
        found
    }

    /// Asserts that no DLQ, the events DLQ included, holds a letter.
    async fn no_letters(&self) {
        let routing = self.aws.drain(&self.events_dlq).await;
        assert!(routing.is_empty(), "events DLQ: {routing:?}");
        for family in Family::ALL {
            let letters = self.dead_letters(family).await;
            assert!(letters.is_empty(), "{family} DLQ: {letters:?}");
        }
    }

    /// The org's changes as `op user [group]` lines, sorted: what must happen, each once.
    fn changes(&self) -> Vec<String> {
        changes_of(&self.okta)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_status_users_end_in_the_right_state_with_each_change_applied_once() {
    let stack = stack().await;
    let org = Org::seed(&stack.okta);
    let delivery = org.delivery();
    stack.deliver(&delivery).await;
    stack.run_until_quiet(Holds::Ignore).await;

    // Every change in the org, each exactly once, and nothing else; each wrong-status
    // user a letter naming the status (and the rule's on_failure told Slack).
    org.assert_state(&stack.okta);
    org.assert_letters(&stack.only_letters_of(Family::Users).await);
    org.assert_told(&stack.slack_texts().await);
    assert!(
        stack.retried.lock().unwrap().is_empty(),
        "nothing needed a retry: {:?}",
        stack.retried.lock().unwrap()
    );

    // Okta delivers the same events again: nothing changes, nothing is told twice.
    stack.deliver(&delivery).await;
    stack.run_until_quiet(Holds::Ignore).await;
    assert_eq!(stack.changes(), org.expected_changes());
    assert_eq!(stack.okta.applied("suspend", &org.active.id), 1);
    assert_eq!(stack.slack_texts().await.len(), 11);
    assert!(stack.only_letters_of(Family::Users).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspend_applied_before_a_500_is_done_on_the_retry_and_applied_once() {
    let stack = stack().await;
    let applied = User::active("00uapplied00", login("00uapplied00"));
    let refused = User::active("00urefused00", login("00urefused00"));
    stack.okta.add_user(applied.clone());
    stack.okta.add_user(refused.clone());
    let suspend = |u: &User| format!("/api/v1/users/{}/lifecycle/suspend", u.id);
    // Okta suspends the first user but answers 500; it answers the second 500 without
    // acting. Both look the same to the executor.
    stack
        .okta
        .fault(Fault::after_apply_500("POST", suspend(&applied)).times(1));
    stack
        .okta
        .fault(Fault::server_error("POST", suspend(&refused)).times(1));
    let suspicious = "user.account.report_suspicious_activity_by_enduser";
    stack
        .deliver(&[
            event_about(suspicious, "fault-applied", &applied),
            event_about(suspicious, "fault-refused", &refused),
        ])
        .await;
    stack.run_until_quiet(Holds::Ignore).await;

    assert!(
        stack.okta.pending_faults().is_empty(),
        "both faults were met"
    );
    for user in [&applied, &refused] {
        assert_eq!(
            stack.okta.status(&user.id),
            Some("SUSPENDED"),
            "{}",
            user.id
        );
        assert_eq!(stack.okta.applied("suspend", &user.id), 1, "{}", user.id);
        assert_eq!(
            stack.okta.applied("clear_sessions", &user.id),
            1,
            "{}",
            user.id
        );
        // The 500, then the retry.
        assert_eq!(stack.okta.request_count("POST", &suspend(user)), 2);
    }
    // The retry of the applied suspend was refused (E0000038) and read SUSPENDED: done.
    let answers: Vec<u16> = stack
        .okta
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == suspend(&applied))
        .map(|r| r.status)
        .collect();
    assert_eq!(answers, [500, 403]);
    assert_eq!(stack.retried.lock().unwrap().get(&Family::Users), Some(&2));
    stack.no_letters().await;
    let texts = stack.slack_texts().await;
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts.iter().all(|t| t.starts_with("Suspended ")),
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_users_write_bucket_holds_steps_back_and_each_suspend_applies_once() {
    let stack = stack().await;
    let users: Vec<User> = (0..6)
        .map(|i| {
            let id = format!("00uburst000{i}");
            User::active(id.clone(), login(&id))
        })
        .collect();
    for user in &users {
        stack.okta.add_user(user.clone());
    }
    // Three suspends per three seconds: six users need at least two windows.
    stack
        .okta
        .set_rate_limit(BucketName::UsersWrite, 3, Duration::from_secs(3));
    let suspicious = "user.account.report_suspicious_activity_by_enduser";
    let events: Vec<Value> = users
        .iter()
        .map(|u| event_about(suspicious, &format!("burst-{}", u.id), u))
        .collect();
    stack.deliver(&events).await;
    // Holds are kept: a step that met the empty bucket (or saw it nearly empty) waits
    // for the reset Okta announced.
    stack.run_until_quiet(Holds::Keep).await;

    for user in &users {
        assert_eq!(
            stack.okta.status(&user.id),
            Some("SUSPENDED"),
            "{}",
            user.id
        );
        assert_eq!(stack.okta.applied("suspend", &user.id), 1, "{}", user.id);
        assert_eq!(
            stack.okta.applied("clear_sessions", &user.id),
            1,
            "{}",
            user.id
        );
    }
    assert_eq!(stack.okta.applied_total("suspend"), users.len());
    let held = stack
        .retried
        .lock()
        .unwrap()
        .get(&Family::Users)
        .copied()
        .unwrap_or(0);
    assert!(held > 0, "some suspend waited for the bucket");
    stack.no_letters().await;
    assert_eq!(stack.slack_texts().await.len(), users.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dozen_events_of_one_user_reach_the_webhook_in_okta_order_across_batches() {
    let stack = stack().await;
    let first = User::active("00uorderone0", login("00uorderone0"));
    let second = User::active("00uordertwo0", login("00uordertwo0"));
    stack.okta.add_user(first.clone());
    stack.okta.add_user(second.clone());
    // Twelve MFA changes per user, interleaved: more than one SQS batch (10) per user at
    // ingest, at the router and at the notify executor.
    let mut events = Vec::new();
    for i in 1..=12 {
        for user in [&first, &second] {
            let mut event = event_about(
                "user.mfa.factor.suspend",
                &format!("order-{}-{i:02}", user.id),
                user,
            );
            event["outcome"]["reason"] = json!(format!("change-{i:02}"));
            events.push(event);
        }
    }
    stack.deliver(&events).await;
    stack.run_until_quiet(Holds::Ignore).await;

    let texts = stack.slack_texts().await;
    for user in [&first, &second] {
        let mine: Vec<String> = texts
            .iter()
            .filter(|t| t.contains(&format!("for {} by", login(&user.id))))
            .map(|t| t.rsplit(": ").next().unwrap_or_default().to_owned())
            .collect();
        let want: Vec<String> = (1..=12).map(|i| format!("change-{i:02}")).collect();
        assert_eq!(mine, want, "{}", user.id);
    }
    assert!(stack.okta.changes().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subject_user_who_no_longer_exists_is_null_for_the_rules_not_a_retry() {
    let stack = stack().await;
    let gone = User::staged("00ugone00000", login("00ugone00000")).attr("department", "Sales");
    let here = User::staged("00uhere00000", login("00uhere00000"))
        .password(false)
        .attr("department", "Sales");
    // `gone` was created and deleted before the hook arrived: not in the org.
    stack.okta.add_user(here.clone());
    stack.okta.add_group(Group::okta(SALES_GROUP, "Sales"));
    stack
        .deliver(&[
            created("created-gone", &gone),
            created("created-here", &here),
            event_about("user.lifecycle.deactivate", "deactivated-gone", &gone),
        ])
        .await;

    // One routing pass settles the three events: a missing user is no reason to retry.
    let (n, failed) = stack.route_once().await;
    assert_eq!((n, failed), (3, 0));
    assert_eq!(stack.pending(&stack.events_url).await, 0);
    stack.run_until_quiet(Holds::Keep).await;

    // department-groups and deactivated-cleanup see `user == null` and plan nothing for
    // the missing user.
    assert!(!stack.okta.exists(&gone.id));
    assert_eq!(
        stack.changes(),
        [format!("add_to_group {} {SALES_GROUP}", here.id)]
    );
    stack.no_letters().await;
}

/// The audit lines of one event's steps, as `action outcome reason`.
fn audit_lines(logs: &okta_fixtures::CapturedLogs, event: &str) -> Vec<String> {
    logs.contents()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|line| line["fields"].clone())
        .filter(|fields| fields["audit"] == json!(true) && fields["event"] == json!(event))
        .map(|f| {
            let text = |name: &str| f[name].as_str().unwrap_or_default().to_owned();
            format!("{} {} {}", text("action"), text("outcome"), text("reason"))
        })
        .collect()
}

// Current-thread: every task runs on this thread, so all its log lines are captured.
#[tokio::test]
async fn retries_that_run_out_end_in_an_exhausted_letter_an_audit_line_and_on_failure() {
    let logs = okta_fixtures::CapturedLogs::json();
    let stack = stack_with(&[("OKTA_HOOKS_MAX_ATTEMPTS", "3")]).await;
    let failing = User::active("00ufailing00", login("00ufailing00"));
    let budget = User::active("00ubudget000", login("00ubudget000"));
    stack.okta.add_user(failing.clone());
    stack.okta.add_user(budget.clone());
    let suspend = |u: &User| format!("/api/v1/users/{}/lifecycle/suspend", u.id);
    // Three 500s use up the three attempts; two leave the third to succeed. A fourth
    // try of the failing user would not be faulted, and would suspend them.
    stack
        .okta
        .fault(Fault::server_error("POST", suspend(&failing)).times(3));
    stack
        .okta
        .fault(Fault::server_error("POST", suspend(&budget)).times(2));
    let suspicious = "user.account.report_suspicious_activity_by_enduser";
    stack
        .deliver(&[
            event_about(suspicious, "exhaust-failing", &failing),
            event_about(suspicious, "exhaust-budget", &budget),
        ])
        .await;
    stack.run_until_quiet(Holds::Ignore).await;

    assert!(
        stack.okta.pending_faults().is_empty(),
        "every fault was met"
    );
    assert_eq!(stack.okta.status(&failing.id), Some("ACTIVE"));
    assert_eq!(stack.okta.request_count("POST", &suspend(&failing)), 3);
    assert_eq!(stack.okta.status(&budget.id), Some("SUSPENDED"));
    assert_eq!(stack.okta.request_count("POST", &suspend(&budget)), 3);
    let mut expected = vec![
        format!("suspend {}", budget.id),
        format!("clear_sessions {}", budget.id),
    ];
    expected.sort();
    assert_eq!(stack.changes(), expected, "nothing for the given-up user");

    let letters = stack.only_letters_of(Family::Users).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(letter["event"], "exhaust-failing", "{letter}");
    assert_eq!(letter["action"], "user.suspend", "{letter}");
    let failure = &letter["failure"];
    assert_eq!(failure["class"], "exhausted", "{letter}");
    assert_eq!(failure["status"], 500, "{letter}");
    let error = failure["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("gave up after 3 failed attempts; last error: "),
        "{letter}"
    );

    let texts = stack.slack_texts().await;
    let told = format!(
        "Lock-down of {} failed at user.suspend: gave up after 3 failed attempts",
        login(&failing.id)
    );
    assert_eq!(
        texts.iter().filter(|t| t.starts_with(&told)).count(),
        1,
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with(&format!("Suspended {} ", login(&budget.id)))),
        "{texts:?}"
    );
    assert_eq!(texts.len(), 2, "{texts:?}");

    let audit = audit_lines(&logs, "exhaust-failing");
    let outcomes: Vec<&str> = audit
        .iter()
        .map(|l| l.split(' ').nth(1).unwrap_or_default())
        .collect();
    assert_eq!(
        outcomes[..3],
        ["retry", "retry", "failed"],
        "the suspend's audit lines: {audit:?}"
    );
    assert!(
        audit[2].starts_with("user.suspend failed gave up after 3 failed attempts"),
        "{audit:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_waits_never_use_up_a_steps_attempts() {
    let stack = stack_with(&[("OKTA_HOOKS_MAX_ATTEMPTS", "2")]).await;
    let user = User::active("00uthrottle0", login("00uthrottle0"));
    stack.okta.add_user(user.clone());
    let suspend = format!("/api/v1/users/{}/lifecycle/suspend", user.id);
    // More 429s than the step has attempts: each one only makes it wait.
    stack
        .okta
        .fault(Fault::rate_limited("POST", &suspend).times(3));
    stack
        .deliver(&[event_about(
            "user.account.report_suspicious_activity_by_enduser",
            "throttled",
            &user,
        )])
        .await;
    stack.run_until_quiet(Holds::Keep).await;

    assert!(stack.okta.pending_faults().is_empty(), "every 429 was met");
    assert_eq!(stack.okta.request_count("POST", &suspend), 4);
    assert_eq!(stack.okta.status(&user.id), Some("SUSPENDED"));
    assert_eq!(stack.okta.applied("suspend", &user.id), 1);
    assert_eq!(stack.okta.applied("clear_sessions", &user.id), 1);
    stack.no_letters().await;
    assert_eq!(stack.slack_texts().await.len(), 1);
}

/// Each Okta credential of the split tests is played by its own double that accepts only
/// that credential's token: a change applied on one was sent with that token, and a call
/// with any other would be refused (`401`) and counted in its requests.
struct Credentials {
    /// `okta-users`: the users executor's own.
    users: Running,
    /// `okta-groups`: the groups executor's own.
    groups: Running,
    /// `okta-read`: the router's enrichment.
    read: Running,
}

const SHARED_TOKEN: &str = "00shared-executor-token";
const USERS_TOKEN: &str = "00users-executor-token";
const GROUPS_TOKEN: &str = "00groups-executor-token";
const READ_TOKEN: &str = "00read-only-token";
/// Reported suspicious activity: suspended (users), signed out (sessions), Slack told.
const SUSPECT: &str = "00ususpect00";
/// A new Sales joiner: added to Sales (groups), after the router read their profile.
const JOINER: &str = "00ujoiner000";

async fn double_accepting(token: &str) -> Running {
    OktaDouble::with_token(token)
        .serve()
        .await
        .expect("an Okta double")
}

/// The pipeline with `ExecutorCredentials=PerFamily`: the org has `okta-users`,
/// `okta-groups`, the shared `okta` (the stack's own double) and `okta-read`, each on its
/// own double with its own token; the same people are seeded in each.
async fn per_family_stack() -> (Stack, Credentials) {
    let shared = double_accepting(SHARED_TOKEN).await;
    let credentials = Credentials {
        users: double_accepting(USERS_TOKEN).await,
        groups: double_accepting(GROUPS_TOKEN).await,
        read: double_accepting(READ_TOKEN).await,
    };
    for okta in [
        &*shared,
        &*credentials.users,
        &*credentials.groups,
        &*credentials.read,
    ] {
        okta.add_user(User::new(SUSPECT, login(SUSPECT), Status::Active));
        okta.add_user(
            User::new(JOINER, login(JOINER), Status::Staged)
                .password(false)
                .attr("department", "Sales"),
        );
        okta.add_group(Group::okta(SALES_GROUP, "Sales"));
    }
    let credential =
        |okta: &Running, token: &str| json!({"org_url": okta.org_url(), "api_token": token});
    let secrets = json!({
        "hook": {"current": HOOK_SECRET},
        "signing": {"active": "k1", "keys": {"k1": KEY}},
        "okta": credential(&shared, SHARED_TOKEN),
        "okta-users": credential(&credentials.users, USERS_TOKEN),
        "okta-groups": credential(&credentials.groups, GROUPS_TOKEN),
        "okta-read": credential(&credentials.read, READ_TOKEN),
        "named": {},
    });
    let stack = stack_on(
        shared,
        &[("OKTA_HOOKS_EXECUTOR_CREDENTIALS", "per-family")],
        Some(secrets),
    )
    .await;
    (stack, credentials)
}

/// The statuses a double answered, for asserting that no call was refused.
fn statuses(okta: &OktaDouble) -> Vec<u16> {
    okta.requests().iter().map(|r| r.status).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_family_credentials_each_family_calls_okta_with_its_own_and_the_others_with_the_shared_one()
 {
    let (stack, credentials) = per_family_stack().await;
    let suspect = User::new(SUSPECT, login(SUSPECT), Status::Active);
    let joiner = User::new(JOINER, login(JOINER), Status::Staged);
    stack
        .deliver(&[
            event_about(
                "user.account.report_suspicious_activity_by_enduser",
                "suspicious-suspect",
                &suspect,
            ),
            created("created-joiner", &joiner),
        ])
        .await;
    stack.run_until_quiet(Holds::Ignore).await;
    stack.no_letters().await;

    // The suspend with okta-users, the Sales membership with okta-groups, the sessions
    // (no okta-sessions) with the shared okta; each once, and nowhere else.
    assert_eq!(
        changes_of(&credentials.users),
        [format!("suspend {SUSPECT}")]
    );
    assert_eq!(credentials.users.applied("suspend", SUSPECT), 1);
    assert_eq!(stack.okta.applied("clear_sessions", SUSPECT), 1);
    assert_eq!(
        credentials
            .groups
            .applied_membership("add_to_group", SALES_GROUP, JOINER),
        1
    );
    assert_eq!(credentials.users.status(SUSPECT), Some("SUSPENDED"));
    assert_eq!(
        changes_of(&credentials.groups),
        [format!("add_to_group {JOINER} {SALES_GROUP}")]
    );
    assert!(credentials.groups.is_member(SALES_GROUP, JOINER));
    assert_eq!(stack.changes(), [format!("clear_sessions {SUSPECT}")]);
    assert_eq!(
        stack.okta.status(SUSPECT),
        Some("ACTIVE"),
        "not suspended here"
    );
    assert!(!stack.okta.is_member(SALES_GROUP, JOINER));
    // The router read the joiner's profile with okta-read, and changed nothing there.
    assert!(changes_of(&credentials.read).is_empty());
    assert!(
        credentials
            .read
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == format!("/api/v1/users/{JOINER}")),
        "{:?}",
        credentials.read.requests()
    );
    assert!(
        credentials
            .read
            .requests()
            .iter()
            .all(|r| r.method == "GET"),
        "{:?}",
        credentials.read.requests()
    );
    // No credential was ever sent where it is not accepted.
    for okta in [
        &*stack.okta,
        &*credentials.users,
        &*credentials.groups,
        &*credentials.read,
    ] {
        assert!(!statuses(okta).contains(&401), "{:?}", okta.requests());
    }
    let texts = stack.slack_texts().await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].starts_with(&format!("Suspended {}", login(SUSPECT))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_groups_step_sent_to_the_users_queue_is_refused_with_a_letter_before_any_okta_call() {
    let (stack, credentials) = per_family_stack().await;
    let joiner = User::new(JOINER, login(JOINER), Status::Staged);
    stack.deliver(&[created("created-joiner", &joiner)]).await;
    assert_eq!(stack.route_once().await, (1, 0));
    // The router's groups envelope, moved to the users executor's queue as it is.
    let routed = stack.aws.drain(&stack.queues[&Family::Groups]).await;
    assert_eq!(routed.len(), 1, "{routed:?}");
    let (group, dedup, body) = &routed[0];
    stack
        .aws
        .sqs
        .send_message()
        .queue_url(&stack.queues[&Family::Users])
        .message_group_id(group)
        .message_deduplication_id(dedup)
        .message_body(body)
        .send()
        .await
        .expect("send to the users queue");
    assert_eq!(stack.execute_once(Family::Users, Holds::Keep).await, 1);

    let letters = stack.only_letters_of(Family::Users).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let failure = &letters[0]["failure"];
    assert_eq!(failure["class"], "permanent", "{letters:?}");
    assert_eq!(
        failure["error"], "group.add_user is a groups step; this is the users executor",
        "{letters:?}"
    );
    // Neither the users credential, nor the groups one, nor the shared one was used.
    for okta in [&*stack.okta, &*credentials.users, &*credentials.groups] {
        assert!(okta.requests().is_empty(), "{:?}", okta.requests());
        assert!(okta.changes().is_empty());
    }
    assert!(!credentials.groups.is_member(SALES_GROUP, JOINER));
    assert_eq!(
        credentials
            .groups
            .applied_membership("add_to_group", SALES_GROUP, JOINER),
        0
    );
    for family in Family::ALL {
        assert_eq!(stack.pending(&stack.queues[&family]).await, 0, "{family}");
    }
}
