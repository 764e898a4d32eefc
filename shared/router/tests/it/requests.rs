//! Action requests taken by the router: checked, railed, sent once, and every refusal
//! lettered and told.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actions::Family;
use aws_adapters::memory::{MemoryCounter, MemoryLedger, MemoryResults};
use envelope::{Envelope, open};
use fifo_queue::MemoryQueue;
use okta_adapters::memory::StaticDirectory;
use org_secrets::{KnownOrgs, OrgName, OrgSecret, SecretCache, SigningKeys, StaticSecrets};
use ports::ResultStatus;
use router::{ReplyQueues, RequestMessage, RequestSettings, Router, Taken};
use rules::{Plan, RuleSet};
use serde_json::{Value, json};

const KEY: &str = "router-test-key-0123456789abcdef0123";
const REPLY: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/okta-hooks-reply-1";

const RULES: &str = r#"
rules: []
protected:
  users: [00uprotected, boss@example.com]
  groups: [00gadmins]
"#;

type TestRouter =
    Router<MemoryLedger, MemoryCounter, StaticDirectory, Arc<MemoryQueue>, StaticSecrets>;

struct Rig {
    router: TestRouter,
    queues: HashMap<Family, Arc<MemoryQueue>>,
    dlq: Arc<MemoryQueue>,
    results: Arc<MemoryResults>,
}

fn rig(cap_per_hour: u32) -> Rig {
    rig_with(RULES, cap_per_hour)
}

/// A router over `rules` taking requests, with in-memory stores, queues and results.
fn rig_with(rules: &str, cap_per_hour: u32) -> Rig {
    let queues: HashMap<Family, Arc<MemoryQueue>> = Family::ALL
        .into_iter()
        .map(|f| (f, Arc::new(MemoryQueue::new())))
        .collect();
    let dlq = Arc::new(MemoryQueue::new());
    let results = Arc::new(MemoryResults::default());
    let secret = OrgSecret {
        signing: Some(SigningKeys::new("k1", &[("k1", KEY)])),
        ..Default::default()
    };
    let secrets = StaticSecrets::new()
        .with("default", secret.clone())
        .with("acme", secret);
    let org = |n: &str| OrgName::parse(n).unwrap();
    let settings = RequestSettings {
        orgs: KnownOrgs::new(org("default"), [org("acme")]),
        cap_per_hour,
        reply_queues: ReplyQueues {
            account: Some("123456789012".into()),
            pattern: "okta-hooks-reply-*".into(),
        },
        max_receive_count: 3,
    };
    let router = Router::builder(
        RuleSet::from_sources(&[("rules.yaml", rules)]).unwrap(),
        queues.clone(),
        Arc::new(SecretCache::new(
            secrets,
            Duration::from_secs(60),
            Duration::ZERO,
        )),
    )
    .ledger(MemoryLedger::default())
    .counter(MemoryCounter::default())
    .directory(StaticDirectory::default())
    .results(results.clone())
    .requests(dlq.clone(), settings)
    .build();
    Rig {
        router,
        queues,
        dlq,
        results,
    }
}

impl Rig {
    async fn take(&self, body: &Value) -> Taken {
        self.take_as(body, "m-1", "AIDAALICE").await
    }

    async fn take_as(&self, body: &Value, message_id: &str, sender: &str) -> Taken {
        let body = body.to_string();
        self.router
            .take_request(RequestMessage {
                body: &body,
                message_id,
                sender_id: sender,
                receive_count: 1,
            })
            .await
            .expect("taken or refused, not retried")
    }

    fn sent(&self, family: Family) -> Vec<Envelope<Plan>> {
        self.queues[&family]
            .messages()
            .iter()
            .map(|m| open(&m.message.body, &SigningKeys::new("k1", &[("k1", KEY)])).unwrap())
            .collect()
    }

    fn letters(&self) -> Vec<Value> {
        self.dlq
            .messages()
            .iter()
            .map(|m| serde_json::from_str(&m.message.body).unwrap())
            .collect()
    }

    fn nothing_sent(&self) -> bool {
        self.queues.values().all(|q| q.is_empty())
    }

    /// Refused, and nothing at all was sent.
    fn refused_alone(&self, taken: &Taken) -> String {
        assert!(self.nothing_sent(), "a refused request sends nothing");
        self.refused(taken)
    }

    /// The reason of the one refusal `taken` is, after checking its letter and result.
    fn refused(&self, taken: &Taken) -> String {
        let Taken::Refused { reason, request_id } = taken else {
            panic!("expected a refusal, got {taken:?}");
        };
        let letters = self.letters();
        let letter = letters.last().expect("a letter on the DLQ");
        assert_eq!(letter["failure"]["error"], json!(reason));
        assert_eq!(letter["requestId"], json!(request_id));
        let published = self.results.published();
        let told = &published.last().expect("a refused result").result;
        assert_eq!(told.status, ResultStatus::Refused);
        assert_eq!(told.error.as_deref(), Some(reason.as_str()));
        reason.clone()
    }
}

#[tokio::test]
async fn a_request_is_signed_and_its_first_step_sent_in_the_users_fifo_group() {
    let rig = rig(10);
    let request = json!({
        "action": "user.suspend", "params": {"user": "00u1"},
        "request_id": "ticket-42", "requested_by": "alice@example.com",
        "reason": "phishing report", "reply_to": REPLY,
    });
    let taken = rig.take_as(&request, "m-1", "AIDAALICE").await;
    let Taken::Sent {
        request_id,
        family,
        dry_run,
        ..
    } = &taken
    else {
        panic!("{taken:?}")
    };
    assert_eq!(
        (request_id.as_str(), *family, *dry_run),
        ("ticket-42", Family::Users, false)
    );
    let sent = rig.sent(Family::Users);
    assert_eq!(sent.len(), 1);
    let envelope = &sent[0];
    assert_eq!(envelope.group, "00u1", "in order with the user's events");
    assert_eq!(envelope.org.as_str(), "default");
    assert_eq!(envelope.plan.steps[0].params["user"], "00u1");
    let request = envelope
        .event
        .request
        .as_ref()
        .expect("the request travels signed");
    assert_eq!(request.id, "ticket-42");
    assert_eq!(request.requester, "AIDAALICE");
    assert_eq!(request.requested_by.as_deref(), Some("alice@example.com"));
    assert_eq!(request.reason.as_deref(), Some("phishing report"));
    assert_eq!(request.reply_to.as_deref(), Some(REPLY));
    assert!(rig.letters().is_empty() && rig.results.published().is_empty());
}

#[tokio::test]
async fn the_same_request_twice_runs_once() {
    let rig = rig(10);
    let request =
        json!({"action": "user.suspend", "params": {"user": "00u1"}, "request_id": "r-1"});
    assert!(matches!(
        rig.take_as(&request, "m-1", "AIDAALICE").await,
        Taken::Sent { .. }
    ));
    let again = rig.take_as(&request, "m-2", "AIDAALICE").await;
    assert_eq!(
        again,
        Taken::Duplicate {
            request_id: "r-1".into()
        }
    );
    assert_eq!(rig.sent(Family::Users).len(), 1);
}

#[tokio::test]
async fn a_request_without_an_id_is_the_sqs_message_so_a_redelivery_runs_once() {
    let rig = rig(10);
    let request = json!({"action": "user.unlock", "params": {"user": "00u1"}});
    let Taken::Sent { request_id, .. } = rig.take_as(&request, "msg-7", "AIDAALICE").await else {
        panic!()
    };
    assert_eq!(request_id, "msg-7");
    let again = rig.take_as(&request, "msg-7", "AIDAALICE").await;
    assert!(matches!(again, Taken::Duplicate { .. }), "{again:?}");
}

#[tokio::test]
async fn an_unknown_action_is_refused_with_the_closest_name() {
    let rig = rig(10);
    let taken = rig
        .take(&json!({"action": "user.suspnd", "params": {"user": "00u1"}}))
        .await;
    let reason = rig.refused(&taken);
    assert!(
        reason == "unknown action `user.suspnd` — did you mean `user.suspend`?",
        "{reason}"
    );
    assert_eq!(rig.letters()[0]["failure"]["class"], "invalid");
}

#[tokio::test]
async fn a_missing_or_mistyped_parameter_is_named() {
    let rig = rig(10);
    let reason = rig.refused(
        &rig.take(&json!({"action": "user.suspend", "params": {}}))
            .await,
    );
    assert!(reason.contains("`user`"), "{reason}");
    let reason = rig.refused(
        &rig.take(&json!({"action": "user.sessions.clear",
            "params": {"user": "00u1", "oauth_tokens": "yes"}}))
            .await,
    );
    assert!(reason.contains("oauth_tokens"), "{reason}");
    let reason = rig.refused(
        &rig.take(&json!({"action": "user.suspend", "params": {"user": "00u1", "usr": "x"}}))
            .await,
    );
    assert!(reason.contains("unknown parameter `usr`"), "{reason}");
}

#[tokio::test]
async fn malformed_requests_say_what_is_wrong() {
    let rig = rig(10);
    let cases = [
        (
            json!({"action": "user.suspend", "params": {"user": "00u1"}, "dryrun": true}),
            "unknown field `dryrun`",
        ),
        (
            json!({"params": {"user": "00u1"}}),
            "needs `action` (with `params`) or `steps`",
        ),
        (json!({"action": "user.suspend", "steps": []}), "not both"),
        (
            json!({"action": "user.suspend", "params": {"user": "00u1"}, "org": "nope"}),
            "unknown org `nope` (this deployment serves: default, acme)",
        ),
        (
            json!({"action": "user.suspend", "params": {"user": "00u1"}, "reply_to": "https://sqs.us-east-1.amazonaws.com/123456789012/payroll"}),
            "queues named `okta-hooks-reply-*`",
        ),
        (
            json!({"action": "user.suspend", "params": {"user": "00u1"}, "request_id": "has space"}),
            "`request_id` must be",
        ),
        (
            json!({"steps": [{"action": "user.suspend", "user": "${ event.actor.id }"}]}),
            "a request does not have",
        ),
    ];
    for (body, expected) in cases {
        let reason = rig.refused_alone(&rig.take(&body).await);
        assert!(reason.contains(expected), "{body}: {reason}");
    }
    let body = "not json";
    let taken = rig
        .router
        .take_request(RequestMessage {
            body,
            message_id: "m-9",
            sender_id: "AIDAALICE",
            receive_count: 1,
        })
        .await
        .unwrap();
    let reason = rig.refused(&taken);
    assert!(reason.contains("not valid JSON"), "{reason}");
    assert_eq!(
        rig.letters().last().unwrap()["message"],
        "not json",
        "the letter keeps the body"
    );
}

#[tokio::test]
async fn a_protected_user_or_group_is_refused_whoever_asks() {
    let rig = rig(10);
    let reason = rig.refused_alone(
        &rig.take(&json!({"action": "user.suspend", "params": {"user": "00uprotected"}}))
            .await,
    );
    assert!(reason.contains("00uprotected"), "{reason}");
    let reason = rig.refused(
        &rig.take(&json!({"steps": [{"action": "group.remove_user", "group": "00gadmins", "user": "00u1"}]}))
            .await,
    );
    assert!(reason.contains("00gadmins"), "{reason}");
    assert_eq!(rig.letters()[0]["failure"]["class"], "refused");
}

#[tokio::test]
async fn the_hourly_cap_counts_destructive_steps_per_sender_not_per_requested_by() {
    let rig = rig(2);
    let suspend = |user: &str, id: &str| {
        json!({"action": "user.suspend", "params": {"user": user}, "request_id": id,
               "requested_by": format!("someone-{id}")})
    };
    assert!(matches!(
        rig.take_as(&suspend("00u1", "a"), "m-a", "AIDAALICE").await,
        Taken::Sent { .. }
    ));
    assert!(matches!(
        rig.take_as(&suspend("00u2", "b"), "m-b", "AIDAALICE").await,
        Taken::Sent { .. }
    ));
    // A third from the same principal is refused, whatever `requested_by` says.
    let reason = rig.refused(&rig.take_as(&suspend("00u3", "c"), "m-c", "AIDAALICE").await);
    assert!(
        reason.contains("AIDAALICE") && reason.contains("cap of 2"),
        "{reason}"
    );
    // Another principal has its own budget; a dry run and a read take none.
    assert!(matches!(
        rig.take_as(&suspend("00u3", "d"), "m-d", "AIDABOB").await,
        Taken::Sent { .. }
    ));
    let mut dry = suspend("00u4", "e");
    dry["dry_run"] = json!(true);
    let Taken::Sent { dry_run, .. } = rig.take_as(&dry, "m-e", "AIDAALICE").await else {
        panic!()
    };
    assert!(dry_run);
    let read = json!({"action": "user.get", "params": {"user": "00u5"}, "request_id": "f"});
    assert!(matches!(
        rig.take_as(&read, "m-f", "AIDAALICE").await,
        Taken::Sent { .. }
    ));
    assert_eq!(rig.sent(Family::Users).len(), 5);
}

#[tokio::test]
async fn a_dry_run_request_is_sent_as_a_dry_run_envelope() {
    let rig = rig(0);
    let taken = rig
        .take(&json!({"action": "user.suspend", "params": {"user": "00u1"}, "dry_run": true}))
        .await;
    assert!(
        matches!(taken, Taken::Sent { dry_run: true, .. }),
        "{taken:?}"
    );
    let sent = rig.sent(Family::Users);
    assert!(sent[0].dry_run && sent[0].plan.dry_run);
}

#[tokio::test]
async fn a_short_plan_names_its_org_and_reads_an_earlier_steps_output() {
    let rig = rig(10);
    let request = json!({
        "org": "acme",
        "steps": [
            {"action": "group.create", "name": "g", "group_name": "incident-7"},
            {"action": "group.add_user", "group": "${ steps.g.id }", "user": "00u1"},
        ],
        "on_failure": [{"action": "notify.webhook", "url_secret": "slack", "body": {"text": "${ failure.error }"}}],
    });
    let Taken::Sent { family, .. } = rig.take(&request).await else {
        panic!()
    };
    assert_eq!(family, Family::Groups);
    let sent = rig.sent(Family::Groups);
    assert_eq!(sent[0].org.as_str(), "acme");
    assert_eq!(sent[0].plan.steps.len(), 2);
    assert_eq!(sent[0].plan.on_failure.len(), 1);
    assert_eq!(sent[0].group, "00u1");
}

#[tokio::test]
async fn a_rules_plan_refused_by_a_rail_is_told_as_refused_with_its_rule_and_event() {
    let rules = r#"
rules:
  - id: suspend-reporter
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.suspend
        user: ${ target("User").id }
protected:
  users: ["01234"]
"#;
    let rig = rig_with(rules, 10);
    let event: Value = serde_json::from_str(&okta_fixtures::read_event(
        "user.account.report_suspicious_activity_by_enduser.json",
    ))
    .unwrap();
    let body = json!({"org": "default", "source": "hook", "event": event});
    rig.router.route(&body.to_string()).await.unwrap();
    assert!(rig.nothing_sent());
    let published = rig.results.published();
    assert_eq!(published.len(), 1, "{published:?}");
    let told = &published[0].result;
    assert_eq!(told.status, ResultStatus::Refused);
    assert_eq!(told.rule.as_deref(), Some("suspend-reporter"));
    assert_eq!(told.event.as_deref(), Some("ABC1234"));
    assert!(
        told.error.as_deref().unwrap_or("").contains("01234"),
        "{told:?}"
    );
}
