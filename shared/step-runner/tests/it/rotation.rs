//! Signing-key rotation never refuses a good envelope: a key added and made active in one
//! secret edit opens at an executor whose cached secret predates the edit, even within
//! the cache's minimum refresh interval; an unknown key id costs one re-read at most, and
//! a flood of them a bounded number.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use action_calls::StaticNamedSecrets;
use actions::Family;
use aws_adapters::memory::MemoryRecords;
use common::{KEY, Queue, Rig, dry_run_client, okta_client};
use envelope::{Envelope, open};
use okta_adapters::memory::FixedOkta;
use org_secrets::{
    MAX_KEY_REREADS, OrgName, OrgSecret, SecretCache, SecretError, SecretSource, SigningKeys,
    StaticSecrets,
};
use rules::{Plan, RuleSet};
use serde_json::{Value, json};
use step_runner::{Ran, Settings, StepRunner};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const EVENT: &str = "user.account.report_suspicious_activity_by_enduser.json";
const USER: &str = "01234";
const KEY2: &str = "rotated-key-k2-0123456789abcdef012345";

const SUSPEND: &str = r#"
rules:
  - id: suspend
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.suspend
        user: ${ target("User").id }
"#;

/// The org secret store, counting reads (each would be a Secrets Manager call).
#[derive(Clone)]
struct Counting {
    store: StaticSecrets,
    reads: Arc<AtomicUsize>,
}

impl SecretSource for Counting {
    async fn fetch(&self, org: &OrgName) -> Result<OrgSecret, SecretError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.store.fetch(org).await
    }
}

impl Counting {
    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

fn signing(active: &str, keys: &[(&str, &str)]) -> OrgSecret {
    OrgSecret {
        signing: Some(SigningKeys::new(active, keys)),
        ..Default::default()
    }
}

fn default_org() -> OrgName {
    OrgName::default_org()
}

/// The users executor, with a secret cache of its own over `source` that re-reads on a
/// failed check no more often than every five minutes, and that read the secret just
/// now.
async fn executor(
    rig: &Rig,
    source: &Counting,
) -> StepRunner<MemoryRecords, Queue, FixedOkta, Counting> {
    let rules = RuleSet::from_sources(&[("rules.yaml", SUSPEND)]).expect("rules load");
    let secrets = Arc::new(SecretCache::new(
        source.clone(),
        Duration::from_secs(600),
        Duration::from_secs(300),
    ));
    secrets.get(&default_org()).await.unwrap();
    let webhook = action_calls::WebhookSender::new(Duration::from_secs(5)).expect("webhook sender");
    StepRunner::builder(Family::Users, secrets, rules.protection().clone(), webhook)
        .records(MemoryRecords::new())
        .queues(rig.queues.clone(), rig.dlqs[&Family::Users].clone())
        .okta(FixedOkta {
            live: Some(okta_client(&rig.okta)),
            dry: Some(dry_run_client(&rig.okta)),
        })
        .named(Box::new(StaticNamedSecrets::new()))
        .settings(Settings::default())
        .build()
}

fn kid(body: &str) -> String {
    let sealed: Value = serde_json::from_str(body).expect("sealed JSON");
    sealed["kid"].as_str().unwrap_or_default().to_owned()
}

/// The first step's envelope, opened with the keys that signed it.
fn opened(body: &str, keys: &SigningKeys) -> Envelope<Plan> {
    open::<Plan>(body, keys).expect("opens")
}

async fn mock_suspend(rig: &Rig, times: u64) {
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/users/{USER}/lifecycle/suspend")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-okta-request-id", "req-ok")
                .set_body_json(json!({})),
        )
        .expect(times)
        .mount(&rig.okta)
        .await;
}

#[tokio::test]
async fn a_key_added_and_activated_in_one_edit_opens_at_an_executor_that_read_the_old_secret() {
    let rig = Rig::new(SUSPEND).await;
    mock_suspend(&rig, 1).await;
    let source = Counting {
        store: StaticSecrets::new().with("default", signing("k1", &[("k1", KEY)])),
        reads: Arc::new(AtomicUsize::new(0)),
    };
    // The executor read the secret a moment ago (well within its minimum refresh age).
    let executor = executor(&rig, &source).await;
    // One edit: k2 added and made active.
    source
        .store
        .set("default", signing("k2", &[("k1", KEY), ("k2", KEY2)]));
    // The router signs with what it reads now: k2.
    let router = common::router(
        RuleSet::from_sources(&[("rules.yaml", SUSPEND)]).expect("rules load"),
        rig.queues.clone(),
        Arc::new(SecretCache::new(
            source.store.clone(),
            Duration::from_secs(600),
            Duration::ZERO,
        )),
    );
    let event: Value = serde_json::from_str(&okta_fixtures::read_event(EVENT)).unwrap();
    let body = json!({"org": "default", "source": "hook", "deliveryId": "d-1", "event": event});
    router.route(&body.to_string()).await.expect("routed");
    let step = rig.queues[&Family::Users].messages()[0]
        .message
        .body
        .clone();
    assert_eq!(kid(&step), "k2");

    let mut attempts = 0;
    let ran = loop {
        attempts += 1;
        match executor.run(&step, attempts).await {
            Ok(ran) => break ran,
            // A retry is allowed (the message comes back later), a refusal is not.
            Err(_) if attempts < 3 => {}
            Err(retry) => panic!("still retried after {attempts} attempts: {retry}"),
        }
    };
    assert!(matches!(ran, Ran::Done { .. }), "{ran:?}");
    assert!(
        rig.dlqs[&Family::Users].messages().is_empty(),
        "nothing on the DLQ"
    );
    // One read to fill the cache, one re-read for the new key.
    assert_eq!(source.reads(), 2);
}

/// A step envelope of `rig`'s plan re-signed with `kid` (a key the org does not hold).
async fn signed_with_unknown_key(rig: &Rig, kid: &str) -> String {
    let first = rig.bodies(Family::Users)[0].clone();
    let k1 = SigningKeys::new("k1", &[("k1", KEY)]);
    let keys = SigningKeys::new(
        kid,
        &[(kid, &format!("{kid}-key-0123456789abcdef0123456789"))],
    );
    envelope::seal(&opened(&first, &k1), &keys).expect("sealed")
}

#[tokio::test]
async fn a_truly_unknown_key_is_refused_after_one_reread() {
    let rig = Rig::new(SUSPEND).await;
    mock_suspend(&rig, 0).await;
    rig.route(EVENT).await;
    let source = Counting {
        store: StaticSecrets::new().with("default", signing("k1", &[("k1", KEY)])),
        reads: Arc::new(AtomicUsize::new(0)),
    };
    let executor = executor(&rig, &source).await;
    let forged = signed_with_unknown_key(&rig, "k9").await;
    for attempt in 1..=3 {
        let ran = executor.run(&forged, attempt).await;
        assert!(matches!(ran, Ok(Ran::Refused { .. })), "{ran:?}");
    }
    assert_eq!(source.reads(), 2, "one read, one re-read for k9, no more");
    let letters = rig.dead_letters(Family::Users);
    assert_eq!(letters.len(), 3);
    assert!(
        letters[0]["failure"]["error"]
            .as_str()
            .unwrap_or("")
            .contains("unknown key")
    );
}

#[tokio::test]
async fn a_flood_of_random_key_ids_makes_one_reread_each_and_a_bounded_number_overall() {
    let rig = Rig::new(SUSPEND).await;
    mock_suspend(&rig, 0).await;
    rig.route(EVENT).await;
    let source = Counting {
        store: StaticSecrets::new().with("default", signing("k1", &[("k1", KEY)])),
        reads: Arc::new(AtomicUsize::new(0)),
    };
    let executor = executor(&rig, &source).await;
    let mut forged = Vec::new();
    for i in 0..40 {
        forged.push(signed_with_unknown_key(&rig, &format!("random-{i}")).await);
    }
    let mut refused = 0;
    for round in 1..=2 {
        for body in &forged {
            match executor.run(body, round).await {
                Ok(Ran::Refused { .. }) => refused += 1,
                // Not re-read now: back on the queue for later, not run.
                Err(_) => {}
                other => panic!("a forged envelope ran: {other:?}"),
            }
        }
    }
    assert!(
        source.reads() <= 1 + MAX_KEY_REREADS,
        "{} reads for 80 forged envelopes",
        source.reads()
    );
    assert_eq!(rig.dead_letters(Family::Users).len(), refused);
}
