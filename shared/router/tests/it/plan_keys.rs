//! The router signs each plan with the org's private plan key (which it alone reads);
//! without one it sends HMAC-only bodies as before, and says so once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actions::Family;
use aws_adapters::memory::{MemoryCounter, MemoryLedger};
use envelope::{OpenError, open_step};
use fifo_queue::MemoryQueue;
use okta_adapters::memory::StaticDirectory;
use org_secrets::{
    PlanKeyPair, SecretCache, SecretReads, SecretSource, StaticSecrets, StoredSecrets,
    generate_plan_key,
};
use router::{Decision, RouteError, Routed, Router};
use rules::{Plan, RuleSet};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const KEY: &str = "router-test-key-0123456789abcdef0123";
const EVENT: &str = "user.account.report_suspicious_activity_by_enduser.json";

const RULES: &str = r#"
rules:
  - id: suspend
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.suspend
        user: ${ target("User").id }
      - action: notify.webhook
        url_secret: slack
        body: { text: "suspended" }
"#;

type Queues = HashMap<Family, Arc<MemoryQueue>>;
type TestRouter =
    Router<MemoryLedger, MemoryCounter, StaticDirectory, Arc<MemoryQueue>, StaticSecrets>;

/// The org `default`'s split secrets: `signing` (with `plan_keys` when `public` is
/// given) and `plan-signing` when `seed` is.
fn store(public: Option<&str>, seed: Option<&str>) -> StaticSecrets {
    stored(public, seed, false)
}

/// [`store`], with `require_plan_signatures` set as `required` (with a public key).
fn stored(public: Option<&str>, seed: Option<&str>, required: bool) -> StaticSecrets {
    let mut signing = json!({"active": "k1", "keys": {"k1": KEY}});
    if let Some(public) = public {
        signing["plan_keys"] = json!({"p1": public});
        signing["require_plan_signatures"] = json!(required);
    }
    let mut secrets = json!({"signing": signing});
    if let Some(seed) = seed {
        secrets["plan-signing"] = json!({"active": "p1", "keys": {"p1": seed}});
    }
    let stored = StoredSecrets::from_json(&secrets.to_string()).unwrap();
    StaticSecrets::new().with_stored("default", stored)
}

/// A router reading `store` as its role allows ([`SecretReads::router`]).
fn router(store: &StaticSecrets) -> (TestRouter, Queues) {
    let queues: Queues = Family::ALL
        .into_iter()
        .map(|f| (f, Arc::new(MemoryQueue::new())))
        .collect();
    let secrets = SecretCache::new(
        store.reading(SecretReads::router()),
        Duration::from_secs(60),
        Duration::ZERO,
    );
    let router = Router::builder(
        RuleSet::from_sources(&[("rules.yaml", RULES)]).unwrap(),
        queues.clone(),
        Arc::new(secrets),
    )
    .ledger(MemoryLedger::default())
    .counter(MemoryCounter::default())
    .directory(StaticDirectory::default())
    .ledger_ttl(Duration::from_secs(3600))
    .build();
    (router, queues)
}

/// The signing keys the users executor holds of `store` (no private plan key).
async fn executor_keys(store: &StaticSecrets) -> org_secrets::SigningKeys {
    let reads = SecretReads::executor(
        "users",
        org_secrets::ExecutorCredentials::Shared,
        false,
        false,
    );
    let held = store
        .reading(reads)
        .fetch(&org_secrets::OrgName::default_org())
        .await
        .unwrap();
    assert!(
        held.plan_signing().is_none(),
        "an executor holds no private plan key"
    );
    held.signing.unwrap()
}

fn queued(uuid: &str) -> String {
    let mut event: Value = serde_json::from_str(&okta_fixtures::read_event(EVENT)).unwrap();
    event["uuid"] = json!(uuid);
    json!({"org": "default", "source": "hook", "event": event}).to_string()
}

fn bodies(queues: &Queues, family: Family) -> Vec<String> {
    queues[&family]
        .messages()
        .into_iter()
        .map(|m| m.message.body)
        .collect()
}

fn pair() -> (PlanKeyPair, String) {
    let pair = generate_plan_key().unwrap();
    let seed = pair.seed.expose_secret().to_owned();
    (pair, seed)
}

#[tokio::test]
async fn with_a_plan_key_the_router_signs_the_plan_and_an_executor_verifies_it() {
    let (pair, seed) = pair();
    let store = store(Some(&pair.public_key), Some(&seed));
    let (router, queues) = router(&store);
    router.route(&queued("u-1")).await.unwrap();
    let body = bodies(&queues, Family::Users)
        .pop()
        .expect("the first step");
    assert!(!body.contains(&seed), "the private key is never sent");

    let keys = executor_keys(&store).await;
    let opened = open_step::<Plan>(&body, &keys).expect("the executor verifies both parts");
    let plan = opened.plan.expect("plan-signed");
    assert_eq!(plan.kid(), "p1");
    assert_eq!(opened.envelope.plan.steps[0].action, "user.suspend");
    // Without the public key the plan cannot be verified: a key to look for, never a pass.
    let unlisted = executor_keys(&store_without_plan_keys()).await;
    assert!(matches!(
        open_step::<Plan>(&body, &unlisted),
        Err(OpenError::UnknownPlanKey(kid)) if kid == "p1"
    ));
}

fn store_without_plan_keys() -> StaticSecrets {
    store(None, None)
}

#[tokio::test]
async fn without_a_plan_key_the_router_seals_hmac_only_and_warns_once_per_org() {
    let captured = okta_fixtures::CapturedLogs::json();
    let store = store(None, None);
    let (router, queues) = router(&store);
    router.route(&queued("u-1")).await.unwrap();
    router.route(&queued("u-2")).await.unwrap();
    let sent = bodies(&queues, Family::Users);
    assert_eq!(sent.len(), 2);
    let keys = executor_keys(&store).await;
    for body in &sent {
        let opened = open_step::<Plan>(body, &keys).expect("today's body opens");
        assert!(opened.plan.is_none(), "HMAC-only");
    }
    let logs = captured.contents();
    assert_eq!(
        logs.matches("no plan-signing key").count(),
        1,
        "one warning: {logs}"
    );
}

#[tokio::test]
async fn an_org_requiring_plan_signatures_without_a_plan_signing_key_routes_nothing() {
    let (pair, _) = pair();
    // Listed but not required: HMAC-only, which the executors still accept.
    let listing = store(Some(&pair.public_key), None);
    let (listing_router, listing_queues) = router(&listing);
    listing_router.route(&queued("u-0")).await.unwrap();
    let sent = bodies(&listing_queues, Family::Users);
    assert_eq!(sent.len(), 1);
    assert!(open_step::<Plan>(&sent[0], &executor_keys(&listing).await).is_ok());

    let store = stored(Some(&pair.public_key), None, true);
    let (router, queues) = router(&store);
    let refused = router.route(&queued("u-1")).await.unwrap_err();
    assert!(
        matches!(&refused, RouteError::NoPlanKey(org) if org == "default"),
        "{refused}"
    );
    assert!(
        refused.is_transient(),
        "retried: plan-signing may be on its way"
    );
    assert!(bodies(&queues, Family::Users).is_empty());
}

#[tokio::test]
async fn a_plan_key_the_executors_do_not_list_is_refused_before_anything_is_sent() {
    let (pair, seed) = pair();
    let (other, _) = self::pair();
    let store = store(Some(&other.public_key), Some(&seed));
    let (router, queues) = router(&store);
    let refused = router.route(&queued("u-1")).await.unwrap_err();
    assert!(matches!(refused, RouteError::Secret(_)), "{refused}");
    assert!(!refused.to_string().contains(&seed));
    assert!(bodies(&queues, Family::Users).is_empty());
    // With the right public key listed, the same plan goes out.
    let (router, queues) = self::router(&self::store(Some(&pair.public_key), Some(&seed)));
    let Routed::Done(outcomes) = router.route(&queued("u-1")).await.unwrap() else {
        panic!("routed")
    };
    assert!(matches!(outcomes[0].decision, Decision::Sent { .. }));
    assert_eq!(bodies(&queues, Family::Users).len(), 1);
}

#[tokio::test]
async fn a_plan_key_not_listed_yet_is_held_but_plans_stay_hmac_only() {
    let (_, seed) = pair();
    let store = store(None, Some(&seed));
    let (router, queues) = router(&store);
    router.route(&queued("u-1")).await.unwrap();
    let body = bodies(&queues, Family::Users).pop().expect("sent");
    let keys = executor_keys(&store).await;
    let opened = open_step::<Plan>(&body, &keys).expect("the executors still accept it");
    assert!(
        opened.plan.is_none(),
        "not signed before plan_keys are listed"
    );
}
