//! Thresholds and suppression in the router: counted in the counter table's windows,
//! each event once, whatever the deliveries.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actions::Family;
use aws_adapters::memory::MemoryCounter;
use fifo_queue::MemoryQueue;
use okta_adapters::memory::StaticDirectory;
use org_secrets::{OrgSecret, SecretCache, SigningKeys, StaticSecrets};
use ports::{ActionCounter, EventLedger, StoreError, VersionedState, WindowStore};
use router::{Decision, Routed, Router};
use rules::{Admission, RuleSet, ThresholdGate, ThresholdState};
use serde_json::json;

const RULES: &str = r#"
rules:
  - id: brute-force
    on: [user.session.start]
    if: outcome.result == "FAILURE"
    threshold: {count: 5, within: 10m, by: actor.id}
    suppress: {for: 1h, by: actor.id}
    do:
      - action: user.suspend
        user: ${ actor.id }
"#;

/// A ledger that never remembers: every delivery reaches the rules, as when the router
/// crashed after sending and before marking (or a replay outlived the ledger).
#[derive(Default)]
struct Forgetful;

impl EventLedger for Forgetful {
    async fn is_done(&self, _: &str) -> Result<bool, StoreError> {
        Ok(false)
    }

    async fn mark_done(&self, _: &str, _: Duration) -> Result<bool, StoreError> {
        Ok(true)
    }
}

type TestRouter<C> = Router<Forgetful, C, StaticDirectory, Arc<MemoryQueue>, StaticSecrets>;

/// A router over `counter`, and its users queue.
fn router<C: ActionCounter + WindowStore>(
    rules: &str,
    counter: C,
) -> (TestRouter<C>, Arc<MemoryQueue>) {
    let users = Arc::new(MemoryQueue::new());
    let queues: HashMap<Family, Arc<MemoryQueue>> = Family::ALL
        .into_iter()
        .map(|f| {
            let q = if f == Family::Users {
                Arc::clone(&users)
            } else {
                Arc::new(MemoryQueue::new())
            };
            (f, q)
        })
        .collect();
    let secret = OrgSecret {
        signing: Some(SigningKeys::new(
            "k1",
            &[("k1", "router-test-key-0123456789abcdef0123")],
        )),
        ..Default::default()
    };
    let router = Router::builder(
        RuleSet::from_sources(&[("rules.yaml", rules)]).expect("rules load"),
        queues,
        Arc::new(SecretCache::new(
            StaticSecrets::new().with("default", secret),
            Duration::from_secs(60),
            Duration::ZERO,
        )),
    )
    .ledger(Forgetful)
    .counter(counter)
    .directory(StaticDirectory::default())
    .build();
    (router, users)
}

/// A failed sign-in of `user`, `minute` minutes after 10:00.
fn failure(uuid: &str, user: &str, minute: u32) -> String {
    json!({"org": "default", "source": "hook", "event": {
        "uuid": uuid,
        "eventType": "user.session.start",
        "published": format!("2026-11-30T10:{minute:02}:00.000Z"),
        "actor": {"id": user, "type": "User", "alternateId": format!("{user}@example.com")},
        "outcome": {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
    }})
    .to_string()
}

fn decisions(routed: Routed) -> Vec<Decision> {
    match routed {
        Routed::Done(outcomes) => outcomes.into_iter().map(|o| o.decision).collect(),
        Routed::Duplicate => panic!("the forgetful ledger reports no duplicate"),
    }
}

#[tokio::test]
async fn five_failures_fire_once_however_often_and_in_whatever_order_they_are_delivered() {
    let (router, users) = router(RULES, MemoryCounter::default());
    // Five failures within ten minutes, each delivered three times (hook retries, the
    // poller, a replay), out of order, with another user's failure among them.
    let order = [3, 1, 1, 4, 2, 3, 5, 2, 4, 1, 5, 3, 2, 4, 5];
    let mut sent_for = Vec::new();
    for (i, n) in order.into_iter().enumerate() {
        let body = failure(&format!("e{n}"), "00u1", n);
        for decision in decisions(router.route(&body).await.unwrap()) {
            if let Decision::Sent { .. } = decision {
                sent_for.push(format!("e{n}"));
            }
        }
        if i == 7 {
            let other = decisions(router.route(&failure("x1", "00u2", 3)).await.unwrap());
            assert_eq!(
                other,
                [Decision::Held(Admission::Counting { seen: 1, of: 5 })]
            );
        }
    }
    // The fifth distinct event fired; its own redelivery fires again (the send may not
    // have happened), with the same envelope id, which the queue drops.
    assert!(sent_for.iter().all(|e| e == "e5"), "{sent_for:?}");
    assert_eq!(users.messages().len(), 1, "one suspend on the queue");
    let envelope_ids: HashSet<String> = users
        .messages()
        .into_iter()
        .map(|m| m.message.dedup_id)
        .collect();
    assert_eq!(envelope_ids.len(), 1);
    // Suppressed for an hour: five more failures of 00u1 within it count and fire, but
    // the plan is held back.
    let mut last = Vec::new();
    for n in 6..=10 {
        last = decisions(
            router
                .route(&failure(&format!("f{n}"), "00u1", n + 10))
                .await
                .unwrap(),
        );
    }
    assert_eq!(last, [Decision::Held(Admission::Suppressed)]);
    assert_eq!(users.messages().len(), 1);
}

/// A counter table another router writes to between this router's read and write.
struct Racing {
    inner: MemoryCounter,
    /// The event the other router counts, once.
    competitor: Mutex<Option<(String, i64)>>,
    gate: ThresholdGate,
}

impl ActionCounter for Racing {
    async fn try_take(&self, r: &str, h: u64, e: &str, n: u32, c: u32) -> Result<bool, StoreError> {
        self.inner.try_take(r, h, e, n, c).await
    }
}

impl WindowStore for Racing {
    async fn load(&self, key: &str) -> Result<Option<VersionedState>, StoreError> {
        self.inner.load(key).await
    }

    async fn save(
        &self,
        key: &str,
        state: &str,
        version: u64,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let competitor = self.competitor.lock().unwrap().take();
        if let Some((uuid, published_ms)) = competitor {
            let stored = self.inner.load(key).await?;
            let mut theirs: ThresholdState = stored
                .as_ref()
                .map(|s| serde_json::from_str(&s.state).unwrap())
                .unwrap_or_default();
            theirs.observe(&self.gate, &uuid, published_ms);
            let text = serde_json::to_string(&theirs).unwrap();
            let v = stored.map_or(0, |s| s.version);
            assert!(self.inner.save(key, &text, v, ttl).await?);
        }
        self.inner.save(key, state, version, ttl).await
    }
}

#[tokio::test]
async fn a_count_written_concurrently_by_another_router_is_kept() {
    let rules = RULES
        .replace("count: 5", "count: 3")
        .replace("    suppress: {for: 1h, by: actor.id}\n", "");
    let racing = Racing {
        inner: MemoryCounter::default(),
        // 2026-11-30T10:02:00Z
        competitor: Mutex::new(Some(("e2".into(), 1_796_032_920_000))),
        gate: ThresholdGate {
            key: "brute-force#00u1".into(),
            count: 3,
            within_ms: 600_000,
        },
    };
    let (router, users) = router(&rules, racing);
    // e1 is counted while another router counts e2: the first write loses, the router
    // reads again and writes both; e3 then completes three.
    let first = decisions(router.route(&failure("e1", "00u1", 1)).await.unwrap());
    assert_eq!(
        first,
        [Decision::Held(Admission::Counting { seen: 2, of: 3 })]
    );
    let third = decisions(router.route(&failure("e3", "00u1", 3)).await.unwrap());
    assert!(matches!(third[0], Decision::Sent { .. }), "{third:?}");
    assert_eq!(users.messages().len(), 1);
}

#[tokio::test]
async fn an_event_a_threshold_cannot_place_is_a_rule_error_not_a_lost_event() {
    let (router, users) = router(RULES, MemoryCounter::default());
    let body = json!({"org": "default", "source": "hook", "event": {
        "uuid": "e1", "eventType": "user.session.start",
        "actor": {"id": "00u1", "type": "User"}, "outcome": {"result": "FAILURE"},
    }})
    .to_string();
    let got = decisions(router.route(&body).await.unwrap());
    assert_eq!(
        got,
        [Decision::Failed(
            "rule brute-force: threshold: the event has no `published` time".into()
        )]
    );
    assert!(users.messages().is_empty());
}
