//! The router on real Okta events, with in-memory stores and queues.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actions::Family;
use envelope::{Envelope, Phase, envelope_id, open};
use fifo_queue::{FailedEntry, FifoMessage, FifoQueue, MemoryQueue, QueueError};
use org_secrets::{OrgSecret, SecretCache, SigningKeys, StaticSecrets};
use router::memory::{MemoryCounter, MemoryLedger, StaticDirectory};
use router::{Decision, Routed, Router};
use rules::{Plan, RuleSet};
use serde_json::{Value, json};

const KEY: &str = "router-test-key-0123456789abcdef0123";

const RULES: &str = r#"
rules:
  - id: lock-down
    on: [user.account.report_suspicious_activity_by_enduser]
    max_destructive_per_hour: 1
    do:
      - action: user.suspend
        user: ${ target("User").id }
      - action: notify.webhook
        url_secret: slack
        body: { text: "suspended ${ target('User').alternateId }" }
  - id: tell-on-lock
    on: [user.account.lock]
    dry_run: true
    do:
      - action: notify.webhook
        url_secret: slack
        body: { text: "locked" }
  - id: sales-group
    on: [user.lifecycle.suspend]
    enrich: [user]
    if: user.profile.department == "Sales"
    do:
      - action: group.add_user
        group: 00gsales
        user: ${ user.id }
protected:
  users: [protected.person@example.com]
"#;

fn keys() -> SigningKeys {
    SigningKeys::new("k1", &[("k1", KEY)])
}

type TestRouter<Q> = Router<MemoryLedger, MemoryCounter, StaticDirectory, Q, StaticSecrets>;

fn router_with<Q: FifoQueue>(rules: &str, queues: impl Fn() -> Q) -> TestRouter<Q> {
    let secret = OrgSecret {
        signing: Some(keys()),
        ..Default::default()
    };
    let secrets = StaticSecrets::new().with("default", secret);
    let mut directory = StaticDirectory::default();
    directory.users.insert(
        "12345".into(),
        json!({"id": "12345", "status": "ACTIVE", "profile": {"department": "Sales"}}),
    );
    Router {
        rules: RuleSet::from_sources(&[("rules.yaml", rules)]).expect("rules load"),
        ledger: MemoryLedger::default(),
        counter: MemoryCounter::default(),
        directory,
        queues: Family::ALL
            .into_iter()
            .map(|f| (f, queues()))
            .collect::<HashMap<_, _>>(),
        secrets: Arc::new(SecretCache::new(
            secrets,
            Duration::from_secs(60),
            Duration::ZERO,
        )),
        ledger_ttl: Duration::from_secs(86_400),
    }
}

fn router() -> TestRouter<Arc<MemoryQueue>> {
    let shared: HashMap<Family, Arc<MemoryQueue>> = Family::ALL
        .into_iter()
        .map(|f| (f, Arc::new(MemoryQueue::new())))
        .collect();
    let mut router = router_with(RULES, || Arc::new(MemoryQueue::new()));
    router.queues = shared;
    router
}

fn queued(name: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut event: Value = serde_json::from_str(&okta_fixtures::read_event(name)).unwrap();
    edit(&mut event);
    json!({"org": "default", "source": "hook", "deliveryId": "d-1", "event": event}).to_string()
}

fn sent(router: &TestRouter<Arc<MemoryQueue>>, family: Family) -> Vec<FifoMessage> {
    router.queues[&family]
        .messages()
        .into_iter()
        .map(|m| m.message)
        .collect()
}

#[tokio::test]
async fn suspicious_activity_sends_the_first_step_signed_to_the_users_queue() {
    let router = router();
    let body = queued(
        "user.account.report_suspicious_activity_by_enduser.json",
        |_| {},
    );
    let Routed::Done(outcomes) = router.route(&body).await.unwrap() else {
        panic!("routed")
    };
    assert_eq!(outcomes.len(), 1);
    let messages = sent(&router, Family::Users);
    assert_eq!(
        messages.len(),
        1,
        "only the first step is sent; the executor sends the next"
    );
    assert!(sent(&router, Family::Notify).is_empty());

    let message = &messages[0];
    let envelope: Envelope<Plan> = open(&message.body, &keys()).expect("signature verifies");
    let event: Value = serde_json::from_str(&okta_fixtures::read_event(
        "user.account.report_suspicious_activity_by_enduser.json",
    ))
    .unwrap();
    let uuid = event["uuid"].as_str().unwrap();
    assert_eq!(
        envelope.id,
        envelope_id(uuid, "lock-down", Phase::Steps, 0),
        "deterministic id"
    );
    assert_eq!(message.dedup_id, envelope.id);
    let user = event["target"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "User")
        .unwrap();
    assert_eq!(
        message.group_id,
        user["id"].as_str().unwrap(),
        "group = subject"
    );
    assert_eq!(envelope.action, "user.suspend");
    assert_eq!(envelope.params["user"], user["id"]);
    assert_eq!(envelope.plan.steps.len(), 2, "the whole plan travels");
    assert_eq!(envelope.event.delivery_id.as_deref(), Some("d-1"));
    assert!(matches!(
        outcomes[0].decision,
        Decision::Sent {
            family: Family::Users,
            ..
        }
    ));
}

#[tokio::test]
async fn the_same_event_twice_is_routed_once() {
    let router = router();
    let body = queued(
        "user.account.report_suspicious_activity_by_enduser.json",
        |_| {},
    );
    assert!(matches!(
        router.route(&body).await.unwrap(),
        Routed::Done(_)
    ));
    assert_eq!(router.route(&body).await.unwrap(), Routed::Duplicate);
    assert_eq!(sent(&router, Family::Users).len(), 1);
}

#[tokio::test]
async fn a_plan_touching_a_protected_user_is_refused() {
    let router = router();
    let body = queued(
        "user.account.report_suspicious_activity_by_enduser.json",
        |e| {
            for t in e["target"].as_array_mut().unwrap() {
                if t["type"] == "User" {
                    t["alternateId"] = json!("protected.person@example.com");
                }
            }
        },
    );
    let Routed::Done(outcomes) = router.route(&body).await.unwrap() else {
        panic!()
    };
    assert!(
        matches!(&outcomes[0].decision, Decision::Protected(reason) if reason.contains("protected.person@example.com"))
    );
    assert!(sent(&router, Family::Users).is_empty());
}

#[tokio::test]
async fn dry_run_sends_nothing() {
    let router = router();
    let Routed::Done(outcomes) = router
        .route(&queued("user.account.lock.json", |_| {}))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(outcomes[0].decision, Decision::DryRun);
    assert!(Family::ALL.iter().all(|f| sent(&router, *f).is_empty()));
}

#[tokio::test]
async fn the_hourly_cap_on_destructive_actions_holds() {
    let router = router();
    let first = queued(
        "user.account.report_suspicious_activity_by_enduser.json",
        |_| {},
    );
    let second = queued(
        "user.account.report_suspicious_activity_by_enduser.json",
        |e| e["uuid"] = json!("another-uuid"),
    );
    router.route(&first).await.unwrap();
    let Routed::Done(outcomes) = router.route(&second).await.unwrap() else {
        panic!()
    };
    assert_eq!(outcomes[0].decision, Decision::CapReached { cap: 1 });
    assert_eq!(sent(&router, Family::Users).len(), 1);
}

#[tokio::test]
async fn enrichment_feeds_the_condition() {
    let router = router();
    let Routed::Done(outcomes) = router
        .route(&queued("user.lifecycle.suspend.json", |_| {}))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(outcomes.len(), 1, "user 12345 is in Sales");
    let groups = sent(&router, Family::Groups);
    let envelope: Envelope<Plan> = open(&groups[0].body, &keys()).unwrap();
    assert_eq!(envelope.params["user"], "12345");
}

struct DownQueue;

impl FifoQueue for DownQueue {
    async fn send_batch(&self, _: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        Err(QueueError("connection refused".into()))
    }
}

#[tokio::test]
async fn a_queue_failure_leaves_the_event_unrouted_for_the_retry() {
    let router = router_with(RULES, || DownQueue);
    let body = queued(
        "user.account.report_suspicious_activity_by_enduser.json",
        |_| {},
    );
    assert!(router.route(&body).await.is_err());
    assert!(
        router.route(&body).await.is_err(),
        "not marked done: retried, not skipped"
    );
}

#[tokio::test]
async fn malformed_messages_and_missing_keys_are_errors() {
    let router = router();
    assert!(router.route("not json").await.is_err());
    assert!(
        router
            .route(r#"{"org":"default","source":"hook","event":{"eventType":"x"}}"#)
            .await
            .is_err()
    );
    let mut no_keys = router_with(RULES, || Arc::new(MemoryQueue::new()));
    no_keys.secrets = Arc::new(SecretCache::new(
        StaticSecrets::new().with("default", OrgSecret::default()),
        Duration::from_secs(60),
        Duration::ZERO,
    ));
    let body = queued(
        "user.account.report_suspicious_activity_by_enduser.json",
        |_| {},
    );
    assert!(matches!(
        no_keys.route(&body).await,
        Err(router::RouteError::NoSigningKey(_))
    ));
}

#[tokio::test]
async fn every_reference_event_routes_without_error() {
    let router = router();
    for path in okta_fixtures::log_event_files() {
        let event: Value = serde_json::from_str(&okta_fixtures::read(&path)).unwrap();
        let body = json!({"org": "default", "source": "hook", "event": event}).to_string();
        router
            .route(&body)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
