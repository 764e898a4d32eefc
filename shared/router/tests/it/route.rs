//! The router on real Okta events, with in-memory stores and queues.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actions::Family;
use aws_adapters::memory::{MemoryCounter, MemoryLedger};
use envelope::{Envelope, Phase, envelope_id, open};
use fifo_queue::{FailedEntry, FifoMessage, FifoQueue, MemoryQueue, QueueError};
use okta_adapters::memory::StaticDirectory;
use org_secrets::{OrgSecret, SecretCache, SigningKeys, StaticSecrets};
use router::{DeadLetters, Decision, LetterClass, Received, Routed, Router, Settled};
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

/// One queue per family, each made by `queue`.
fn per_family<Q>(queue: impl Fn() -> Q) -> HashMap<Family, Q> {
    Family::ALL.into_iter().map(|f| (f, queue())).collect()
}

/// A router over `queues`, reading `secret` as the org `default`'s, enriching from
/// `directory`.
fn build_router<Q: FifoQueue>(
    rules: &str,
    queues: HashMap<Family, Q>,
    directory: StaticDirectory,
    secret: OrgSecret,
) -> TestRouter<Q> {
    let secrets = StaticSecrets::new().with("default", secret);
    Router::builder(
        RuleSet::from_sources(&[("rules.yaml", rules)]).expect("rules load"),
        queues,
        Arc::new(SecretCache::new(
            secrets,
            Duration::from_secs(60),
            Duration::ZERO,
        )),
    )
    .ledger(MemoryLedger::default())
    .counter(MemoryCounter::default())
    .directory(directory)
    .ledger_ttl(Duration::from_secs(86_400))
    .build()
}

/// The org secret with the signing keys.
fn signing_secret() -> OrgSecret {
    OrgSecret {
        signing: Some(keys()),
        ..Default::default()
    }
}

/// The user `12345`, of the Sales department.
fn sales_directory() -> StaticDirectory {
    let mut directory = StaticDirectory::default();
    directory.users.insert(
        "12345".into(),
        json!({"id": "12345", "status": "ACTIVE", "profile": {"department": "Sales"}}),
    );
    directory
}

/// `directory`, failing every lookup with `reason`.
fn down(mut directory: StaticDirectory, reason: &str) -> StaticDirectory {
    directory.down = Some(reason.into());
    directory
}

fn router_with<Q: FifoQueue>(rules: &str, queues: impl Fn() -> Q) -> TestRouter<Q> {
    build_router(
        rules,
        per_family(queues),
        sales_directory(),
        signing_secret(),
    )
}

/// A router over in-memory queues, and those queues.
struct Rig {
    router: TestRouter<Arc<MemoryQueue>>,
    queues: HashMap<Family, Arc<MemoryQueue>>,
}

impl std::ops::Deref for Rig {
    type Target = TestRouter<Arc<MemoryQueue>>;

    fn deref(&self) -> &Self::Target {
        &self.router
    }
}

/// A router with `rules` and `directory` over in-memory queues.
fn rig(rules: &str, directory: StaticDirectory) -> Rig {
    let queues = per_family(|| Arc::new(MemoryQueue::new()));
    let router = build_router(rules, queues.clone(), directory, signing_secret());
    Rig { router, queues }
}

fn router() -> Rig {
    rig(RULES, sales_directory())
}

fn queued(name: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut event: Value = serde_json::from_str(&okta_fixtures::read_event(name)).unwrap();
    edit(&mut event);
    json!({"org": "default", "source": "hook", "deliveryId": "d-1", "event": event}).to_string()
}

fn sent(router: &Rig, family: Family) -> Vec<FifoMessage> {
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
    // The envelope runs the step its cursor points at (its first), copying none of it.
    assert_eq!(envelope.cursor.phase, Phase::Steps);
    assert_eq!(envelope.cursor.index, 0);
    let step = &envelope.plan.steps[0];
    assert_eq!(step.action, "user.suspend");
    assert_eq!(step.family, Family::Users);
    assert_eq!(step.params["user"], user["id"]);
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
async fn an_event_naming_an_invalid_org_does_not_read_and_sends_nothing() {
    let router = router();
    let mut body: Value = serde_json::from_str(&queued(
        "user.account.report_suspicious_activity_by_enduser.json",
        |_| {},
    ))
    .unwrap();
    body["org"] = json!("../other");
    let refused = router.route(&body.to_string()).await;
    assert!(
        matches!(&refused, Err(router::RouteError::Malformed(why)) if why.contains("an org name is")),
        "{refused:?}"
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
    assert_eq!(
        envelope.plan.steps[envelope.cursor.index].params["user"],
        "12345"
    );
}

struct DownQueue;

impl FifoQueue for DownQueue {
    async fn send_batch(&self, _: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        Err(QueueError::new("connection refused"))
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
    let no_keys = build_router(
        RULES,
        per_family(|| Arc::new(MemoryQueue::new())),
        sales_directory(),
        OrgSecret::default(),
    );
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

/// Rules on the suspend event: one that needs no enrichment, one written for a subject
/// that no longer exists, one that acts only on a user it could read.
const GONE_RULES: &str = r#"
rules:
  - id: tell
    on: [user.lifecycle.suspend]
    do:
      - action: notify.webhook
        url_secret: slack
        body: { text: "suspended" }
  - id: tell-gone
    on: [user.lifecycle.suspend]
    enrich: [user]
    if: user == null
    do:
      - action: notify.webhook
        url_secret: slack
        body: { text: "the subject is gone" }
  - id: sales-only
    on: [user.lifecycle.suspend]
    enrich: [user, groups]
    if: user != null && user.profile.department == "Sales"
    do:
      - action: group.add_user
        group: 00gsales
        user: ${ user.id }
"#;

fn gone_router() -> Rig {
    rig(GONE_RULES, StaticDirectory::default())
}

#[tokio::test]
async fn an_event_whose_subject_user_is_gone_is_routed_with_user_null() {
    let router = gone_router();
    let body = queued("user.lifecycle.suspend.json", |_| {});
    let Routed::Done(outcomes) = router.route(&body).await.expect("routed, not retried") else {
        panic!("routed")
    };
    let ids: Vec<&str> = outcomes.iter().map(|o| o.rule_id.as_str()).collect();
    assert_eq!(
        ids,
        ["tell", "tell-gone"],
        "the rule without enrichment and the one written for a missing user make plans"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o.decision, Decision::Sent { .. }))
    );
    assert_eq!(sent(&router, Family::Notify).len(), 2);
    assert!(sent(&router, Family::Groups).is_empty());
    assert_eq!(
        router.directory().lookups(),
        1,
        "one lookup: user and groups"
    );
    assert_eq!(
        router.route(&body).await.unwrap(),
        Routed::Duplicate,
        "marked done: not retried"
    );
}

#[tokio::test]
async fn an_event_whose_subject_is_not_a_user_is_routed_with_user_null() {
    let router = rig(
        GONE_RULES,
        down(StaticDirectory::default(), "a lookup was made"),
    );
    let body = queued("user.lifecycle.suspend.json", |e| {
        e["actor"] = json!({"id": "0oaclient", "type": "PublicClientApp"});
        e["target"] = json!([{"id": "0oaapp", "type": "AppInstance"}]);
    });
    let Routed::Done(outcomes) = router.route(&body).await.expect("routed, not retried") else {
        panic!("routed")
    };
    let ids: Vec<&str> = outcomes.iter().map(|o| o.rule_id.as_str()).collect();
    assert_eq!(ids, ["tell", "tell-gone"]);
    assert_eq!(
        router.directory().lookups(),
        0,
        "an app is not looked up as a user"
    );
}

#[tokio::test]
async fn a_transient_directory_failure_leaves_the_event_for_the_retry() {
    let router = rig(
        GONE_RULES,
        down(StaticDirectory::default(), "503 from Okta"),
    );
    let body = queued("user.lifecycle.suspend.json", |_| {});
    let error = router.route(&body).await.unwrap_err();
    assert!(error.is_transient(), "{error}");
    assert!(error.to_string().contains("503 from Okta"), "{error}");
    assert!(
        router.route(&body).await.is_err(),
        "not marked done: retried, not skipped"
    );
    assert!(Family::ALL.iter().all(|f| sent(&router, *f).is_empty()));
}

#[tokio::test]
async fn an_event_no_enriching_rule_handles_makes_no_lookup() {
    let router = rig(RULES, down(sales_directory(), "a lookup was made"));
    // `tell-on-lock` handles the type without enrichment; no rule handles the second.
    for name in ["user.account.lock.json", "user.session.start.json"] {
        router
            .route(&queued(name, |_| {}))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert_eq!(router.directory().lookups(), 0);
}

// ------------------------------------------------------------------ letters on the DLQ

fn dead_letters() -> DeadLetters<MemoryQueue> {
    DeadLetters {
        queue: MemoryQueue::new(),
        max_receive_count: 3,
    }
}

fn received(body: &str, receive_count: u32) -> Received<'_> {
    Received {
        body,
        group_id: Some("12345"),
        receive_count,
    }
}

fn letters(dlq: &DeadLetters<MemoryQueue>) -> Vec<(FifoMessage, Value)> {
    dlq.queue
        .messages()
        .into_iter()
        .map(|m| {
            let letter = serde_json::from_str(&m.message.body).expect("a letter is JSON");
            (m.message, letter)
        })
        .collect()
}

#[tokio::test]
async fn a_malformed_body_is_dead_lettered_at_once_with_its_reason() {
    let router = router();
    let dlq = dead_letters();
    let body = r#"{"org":"default","source":"hook","event":{"eventType":"x"}}"#;
    let settled = dlq
        .settle(received(body, 1), router.route(body).await)
        .await
        .expect("done: not retried");
    assert!(matches!(
        settled,
        Settled::DeadLettered {
            class: LetterClass::Permanent,
            ..
        }
    ));
    let letters = letters(&dlq);
    assert_eq!(letters.len(), 1);
    let (message, letter) = &letters[0];
    assert_eq!(letter["failure"]["class"], "permanent");
    let error = letter["failure"]["error"].as_str().unwrap();
    assert!(error.contains("event without uuid"), "{error}");
    assert_eq!(letter["message"], body, "the original body, for a redrive");
    assert_eq!(letter["org"], "default");
    assert_eq!(letter["event"]["type"], "x");
    assert_eq!(letter["receiveCount"], 1);
    assert_eq!(message.group_id, "12345", "the message's group");

    let not_json = dlq
        .settle(received("not json", 1), router.route("not json").await)
        .await;
    assert!(not_json.is_ok(), "a body that is not JSON is done too");
    assert_eq!(self::letters(&dlq).len(), 2);
    assert_ne!(
        self::letters(&dlq)[0].0.dedup_id,
        self::letters(&dlq)[1].0.dedup_id
    );
}

#[tokio::test]
async fn an_event_of_an_org_without_a_secret_is_dead_lettered_at_once() {
    let router = router();
    let dlq = dead_letters();
    let body = queued(
        "user.account.report_suspicious_activity_by_enduser.json",
        |_| {},
    )
    .replace(r#""org":"default""#, r#""org":"unknown""#);
    assert!(body.contains(r#""org":"unknown""#));
    dlq.settle(received(&body, 1), router.route(&body).await)
        .await
        .expect("done: not retried");
    let letters = letters(&dlq);
    assert_eq!(letters[0].1["failure"]["class"], "permanent");
    assert_eq!(letters[0].1["org"], "unknown");
}

#[tokio::test]
async fn a_transient_failure_is_retried_without_a_letter_until_the_last_receive() {
    let router = rig(
        GONE_RULES,
        down(StaticDirectory::default(), "503 from Okta"),
    );
    let dlq = dead_letters();
    let body = queued("user.lifecycle.suspend.json", |_| {});
    for receive in 1..3 {
        let result = dlq
            .settle(received(&body, receive), router.route(&body).await)
            .await;
        assert!(result.is_err(), "receive {receive}: retried");
        assert!(letters(&dlq).is_empty(), "receive {receive}: no letter");
    }
    let settled = dlq
        .settle(received(&body, 3), router.route(&body).await)
        .await
        .expect("the last receive: done, with a letter");
    assert!(matches!(
        settled,
        Settled::DeadLettered {
            class: LetterClass::Exhausted,
            ..
        }
    ));
    let letters = letters(&dlq);
    assert_eq!(letters.len(), 1);
    let (message, letter) = &letters[0];
    let event: Value =
        serde_json::from_str(&okta_fixtures::read_event("user.lifecycle.suspend.json")).unwrap();
    assert_eq!(letter["failure"]["class"], "exhausted");
    let error = letter["failure"]["error"].as_str().unwrap();
    assert!(error.contains("503 from Okta"), "{error}");
    assert_eq!(letter["message"], body.as_str());
    assert_eq!(letter["org"], "default");
    assert_eq!(letter["event"]["uuid"], event["uuid"]);
    assert_eq!(letter["event"]["type"], "user.lifecycle.suspend");
    assert_eq!(letter["deliveryId"], "d-1");
    assert_eq!(letter["receiveCount"], 3);
    assert_eq!(message.group_id, "12345");
}

#[tokio::test]
async fn a_letter_that_cannot_be_sent_leaves_the_event_on_the_queue() {
    let router = router();
    let dlq = DeadLetters {
        queue: DownQueue,
        max_receive_count: 3,
    };
    let result = dlq
        .settle(received("not json", 1), router.route("not json").await)
        .await;
    let error = result.unwrap_err();
    assert!(error.is_transient());
    assert!(error.to_string().contains("connection refused"), "{error}");
}

/// [`MemoryLedger`] counting the calls the router makes on it.
#[derive(Default, Clone)]
struct CountingLedger {
    inner: Arc<MemoryLedger>,
    reads: Arc<std::sync::atomic::AtomicUsize>,
    writes: Arc<std::sync::atomic::AtomicUsize>,
}

impl CountingLedger {
    fn calls(&self) -> (usize, usize) {
        use std::sync::atomic::Ordering::SeqCst;
        (self.reads.load(SeqCst), self.writes.load(SeqCst))
    }
}

impl ports::EventLedger for CountingLedger {
    async fn is_done(&self, event_uuid: &str) -> Result<bool, ports::StoreError> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.is_done(event_uuid).await
    }

    async fn mark_done(&self, event_uuid: &str, ttl: Duration) -> Result<bool, ports::StoreError> {
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.mark_done(event_uuid, ttl).await
    }
}

#[tokio::test]
async fn the_ledger_costs_one_read_and_one_write_per_new_event_and_one_read_per_duplicate() {
    let ledger = CountingLedger::default();
    let queues = per_family(|| Arc::new(MemoryQueue::new()));
    let router = Router::builder(
        RuleSet::from_sources(&[("rules.yaml", RULES)]).expect("rules load"),
        queues,
        Arc::new(SecretCache::new(
            StaticSecrets::new().with("default", signing_secret()),
            Duration::from_secs(60),
            Duration::ZERO,
        )),
    )
    .ledger(ledger.clone())
    .counter(MemoryCounter::default())
    .directory(sales_directory())
    .build();
    // An event a rule acts on, and one no rule handles: each one read, one write.
    let acted = queued(
        "user.account.report_suspicious_activity_by_enduser.json",
        |_| {},
    );
    assert!(matches!(router.route(&acted).await.unwrap(), Routed::Done(p) if p.len() == 1));
    assert_eq!(ledger.calls(), (1, 1));
    let ignored = queued("user.session.start.json", |e| {
        e["uuid"] = json!("ignored-1");
    });
    assert_eq!(router.route(&ignored).await.unwrap(), Routed::Done(vec![]));
    assert_eq!(ledger.calls(), (2, 2));
    // A duplicate: the read answers, nothing is written.
    assert_eq!(router.route(&acted).await.unwrap(), Routed::Duplicate);
    assert_eq!(ledger.calls(), (3, 2));
}
