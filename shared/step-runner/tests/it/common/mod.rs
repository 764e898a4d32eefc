//! A whole pipeline in memory: the router and one step runner per family over shared
//! in-memory queues, Okta and the webhook played by one wiremock server.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use action_calls::{StaticNamedSecrets, WebhookSender};
use actions::Family;
use aws_adapters::memory::{MemoryCounter, MemoryLedger, MemoryRecords, MemoryResults};
use fifo_queue::MemoryQueue;
use okta_adapters::memory::{FixedOkta, StaticDirectory};
use okta_client::{AuthConfig, DryRun, OktaClient, OktaConfig, RequestLog, SecretString};
use org_secrets::{
    ExecutorCredentials, OrgSecret, PlanKeyPair, SecretCache, SecretReads, SigningKeys,
    StaticSecrets, StoredSecrets, generate_plan_key,
};
use ports::{Claim, StepRecords, StoreError};
use router::Router;
use rules::{Protection, RuleSet};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use step_runner::{Ran, Retry, Settings, StepRunner};
use wiremock::MockServer;

pub const KEY: &str = "step-runner-test-key-0123456789abcdef";
pub const TOKEN: &str = "00test-api-token-never-logged";
/// The key the envelopes of `events/` are signed with (events/README.md).
pub const EXAMPLE_KEY: &str = "okta-hooks-example-signing-key-0123456789";

pub type Queue = Arc<MemoryQueue>;
pub type Runner = StepRunner<SharedRecords, Queue, FixedOkta, StaticSecrets>;

/// A runner's step records, kept by the rig too, so that a test can build a second
/// runner of a family over the same records ([`Rig::runner`]).
#[derive(Clone, Default)]
pub struct SharedRecords(pub Arc<MemoryRecords>);

impl StepRecords for SharedRecords {
    async fn claim(&self, envelope_id: &str, lease: Duration) -> Result<Claim, StoreError> {
        self.0.claim(envelope_id, lease).await
    }

    async fn complete(
        &self,
        envelope_id: &str,
        output: &Value,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.0.complete(envelope_id, output, ttl).await
    }

    async fn release(&self, envelope_id: &str) -> Result<(), StoreError> {
        self.0.release(envelope_id).await
    }

    async fn retry_later(
        &self,
        envelope_id: &str,
        failed: bool,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.0.retry_later(envelope_id, failed, ttl).await
    }
}

/// What every runner of the rig is built with, besides its family, records and queues.
struct RunnerParts {
    secrets: Arc<SecretCache<StaticSecrets>>,
    protection: Protection,
    webhook: WebhookSender,
    named: StaticNamedSecrets,
    settings: Settings,
}

pub struct Rig {
    pub okta: MockServer,
    pub queues: HashMap<Family, Queue>,
    pub dlqs: HashMap<Family, Queue>,
    pub runners: HashMap<Family, Runner>,
    pub router: TestRouter,
    /// Each family runner's step records.
    pub records: HashMap<Family, SharedRecords>,
    /// Every result the runners published, in order.
    pub results: Arc<MemoryResults>,
    parts: RunnerParts,
    /// Messages of each queue already run to an end (not retried).
    consumed: HashMap<Family, usize>,
}

pub type TestRouter = Router<MemoryLedger, MemoryCounter, StaticDirectory, Queue, StaticSecrets>;

/// The router of the rig: in-memory ledger and counter, no users to enrich with.
pub fn router(
    rules: RuleSet,
    queues: HashMap<Family, Queue>,
    secrets: Arc<SecretCache<StaticSecrets>>,
) -> TestRouter {
    Router::builder(rules, queues, secrets)
        .ledger(MemoryLedger::default())
        .counter(MemoryCounter::default())
        .directory(StaticDirectory::default())
        .ledger_ttl(Duration::from_secs(3600))
        .build()
}

pub fn secrets() -> Arc<SecretCache<StaticSecrets>> {
    let secret = OrgSecret {
        // `example` (not active) opens the envelopes of `events/` (events/README.md).
        signing: Some(SigningKeys::new(
            "k1",
            &[("k1", KEY), ("example", EXAMPLE_KEY)],
        )),
        ..Default::default()
    };
    Arc::new(SecretCache::new(
        StaticSecrets::new().with("default", secret),
        Duration::from_secs(600),
        Duration::ZERO,
    ))
}

/// The org `default`'s secrets with a plan key pair, as stored (split shape): `signing`
/// (the HMAC keys of [`secrets`] and the public plan key `p1`) and `plan-signing` (its
/// seed, the router's alone). Also the pair, for tests that forge or check.
pub fn plan_signed_store() -> (StaticSecrets, PlanKeyPair) {
    plan_key_store(true)
}

/// [`plan_signed_store`], HMAC-only bodies still accepted unless `required` (the step
/// before `require_plan_signatures`, while routers may hold an older copy).
pub fn plan_key_store(required: bool) -> (StaticSecrets, PlanKeyPair) {
    let pair = generate_plan_key().expect("a plan key pair");
    let stored = json!({
        "signing": {"active": "k1", "keys": {"k1": KEY, "example": EXAMPLE_KEY},
                    "plan_keys": {"p1": pair.public_key},
                    "require_plan_signatures": required},
        "plan-signing": {"active": "p1", "keys": {"p1": pair.seed.expose_secret()}},
    });
    let stored = StoredSecrets::from_json(&stored.to_string()).expect("stored secrets");
    (StaticSecrets::new().with_stored("default", stored), pair)
}

/// What an executor reads of `store` (its role's kinds: `signing`, no `plan-signing`).
pub fn executor_view(store: &StaticSecrets) -> StaticSecrets {
    store.reading(SecretReads::executor(
        "users",
        ExecutorCredentials::Shared,
        true,
        true,
    ))
}

fn cache(source: StaticSecrets) -> Arc<SecretCache<StaticSecrets>> {
    Arc::new(SecretCache::new(
        source,
        Duration::from_secs(600),
        Duration::ZERO,
    ))
}

pub fn okta_client(server: &MockServer) -> OktaClient {
    let auth = AuthConfig::ApiToken(SecretString::from(TOKEN));
    OktaClient::new(OktaConfig::new(&server.uri(), auth).expect("config")).expect("client")
}

/// Reads from the server, records writes.
pub fn dry_run_client(server: &MockServer) -> OktaClient {
    let auth = AuthConfig::ApiToken(SecretString::from(TOKEN));
    let config = OktaConfig::new(&server.uri(), auth)
        .expect("config")
        .with_dry_run(DryRun::with_live_reads(RequestLog::new()));
    OktaClient::new(config).expect("client")
}

impl Rig {
    pub async fn new(rules: &str) -> Rig {
        Self::with_settings(rules, Settings::default()).await
    }

    pub async fn with_settings(rules: &str, settings: Settings) -> Rig {
        let secrets = secrets();
        Self::build(rules, settings, secrets.clone(), secrets).await
    }

    /// A rig whose org has a plan key (`store`, from [`plan_signed_store`]): the router
    /// reads it as the router's role does (its private plan key included), every
    /// executor as an executor's role does (the `signing` section only).
    pub async fn plan_signed(rules: &str, store: &StaticSecrets) -> Rig {
        let router = cache(store.reading(SecretReads::router()));
        let executors = cache(executor_view(store));
        Self::build(rules, Settings::default(), router, executors).await
    }

    async fn build(
        rules: &str,
        settings: Settings,
        router_secrets: Arc<SecretCache<StaticSecrets>>,
        secrets: Arc<SecretCache<StaticSecrets>>,
    ) -> Rig {
        // A server of its own, not one from wiremock's process-wide pool, which every test
        // of this binary shares: a pooled server handed on from a `plans` test hung the
        // drop-time verification of the `rotation` flood test that got it next.
        let okta = MockServer::builder().start().await;
        let rules = RuleSet::from_sources(&[("rules.yaml", rules)]).expect("rules load");
        let queues: HashMap<Family, Queue> = Family::ALL
            .into_iter()
            .map(|f| (f, Arc::new(MemoryQueue::new())))
            .collect();
        let dlqs: HashMap<Family, Queue> = Family::ALL
            .into_iter()
            .map(|f| (f, Arc::new(MemoryQueue::new())))
            .collect();
        let webhook = WebhookSender::new(Duration::from_secs(5))
            .expect("webhook sender")
            .allow_loopback_http();
        let named =
            StaticNamedSecrets::new().with("default", "slack", format!("{}/slack", okta.uri()));
        let parts = RunnerParts {
            secrets: secrets.clone(),
            protection: rules.protection().clone(),
            webhook,
            named,
            settings,
        };
        let router = router(rules, queues.clone(), router_secrets);
        let mut rig = Rig {
            okta,
            queues,
            dlqs,
            runners: HashMap::new(),
            router,
            records: Family::ALL
                .into_iter()
                .map(|f| (f, SharedRecords::default()))
                .collect(),
            results: Arc::default(),
            parts,
            consumed: HashMap::new(),
        };
        for family in Family::ALL {
            let runner = rig.runner(family, rig.queues.clone());
            rig.runners.insert(family, runner);
        }
        rig
    }

    /// A runner of `family` over the rig's records, Okta, secrets and DLQ, sending next
    /// steps to `queues`.
    pub fn runner(&self, family: Family, queues: HashMap<Family, Queue>) -> Runner {
        let parts = &self.parts;
        StepRunner::builder(
            family,
            parts.secrets.clone(),
            parts.protection.clone(),
            parts.webhook.clone(),
        )
        .records(self.records[&family].clone())
        .queues(queues, self.dlqs[&family].clone())
        .okta(FixedOkta {
            live: Some(okta_client(&self.okta)),
            dry: Some(dry_run_client(&self.okta)),
        })
        .named(Box::new(parts.named.clone()))
        .results(self.results.clone())
        .settings(parts.settings.clone())
        .build()
    }

    /// Routes a reference event (by file name) as the events queue would carry it.
    pub async fn route(&self, event_file: &str) {
        let event: Value =
            serde_json::from_str(&okta_fixtures::read_event(event_file)).expect("event");
        let body = json!({"org": "default", "source": "hook", "deliveryId": "d-1", "event": event});
        self.router.route(&body.to_string()).await.expect("routed");
    }

    /// The bodies on a family's queue, in order.
    pub fn bodies(&self, family: Family) -> Vec<String> {
        self.queues[&family]
            .messages()
            .into_iter()
            .map(|m| m.message.body)
            .collect()
    }

    /// The DLQ letters of a family, parsed.
    pub fn dead_letters(&self, family: Family) -> Vec<Value> {
        self.dlqs[&family]
            .messages()
            .into_iter()
            .filter_map(|m| serde_json::from_str(&m.message.body).ok())
            .collect()
    }

    /// Runs the oldest message not yet run of `family`'s queue; `None` when there is none.
    /// A message that asks for a retry stays first in line.
    pub async fn run_next(&mut self, family: Family) -> Option<Result<Ran, Retry>> {
        let done = self.consumed.get(&family).copied().unwrap_or(0);
        let body = self.bodies(family).get(done)?.clone();
        let result = self.runners[&family].run(&body, 1).await;
        if result.is_ok() {
            self.consumed.insert(family, done + 1);
        }
        Some(result)
    }

    /// Runs every queue until all are empty; panics on a retry. Returns what ran, in order.
    pub async fn drain(&mut self) -> Vec<(Family, Ran)> {
        let mut ran = Vec::new();
        loop {
            let mut progressed = false;
            for family in Family::ALL {
                while let Some(result) = self.run_next(family).await {
                    ran.push((family, result.expect("no retry expected")));
                    progressed = true;
                }
            }
            if !progressed {
                return ran;
            }
        }
    }
}
