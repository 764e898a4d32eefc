//! Assembling a [`Router`]: the one way its parts come together, used alike by the
//! `event-router` function, the local runner, the tests and the benches.
//!
//! The rules, the family queues and the org secrets are the builder's arguments; the
//! three ports (ledger, counter, directory) are named calls:
//!
//! ```
//! # use std::{collections::HashMap, sync::Arc, time::Duration};
//! # use aws_adapters::memory::{MemoryCounter, MemoryLedger};
//! # use fifo_queue::MemoryQueue;
//! # use okta_adapters::memory::StaticDirectory;
//! # use org_secrets::{SecretCache, StaticSecrets};
//! # let rules = rules::RuleSet::from_sources(&[("rules.yaml", "rules: []")]).unwrap();
//! # let queues: HashMap<actions::Family, MemoryQueue> = HashMap::new();
//! # let secrets = Arc::new(SecretCache::new(StaticSecrets::new(), Duration::ZERO, Duration::ZERO));
//! let router = router::Router::builder(rules, queues, secrets)
//!     .ledger(MemoryLedger::default())
//!     .counter(MemoryCounter::default())
//!     .directory(StaticDirectory::default())
//!     .build();
//! ```
//!
//! and forgetting one is a compile error: [`RouterBuilder::build`] exists only once each
//! has been given.
//!
//! ```compile_fail
//! # use std::{collections::HashMap, sync::Arc, time::Duration};
//! # use aws_adapters::memory::{MemoryCounter, MemoryLedger};
//! # use fifo_queue::MemoryQueue;
//! # use okta_adapters::memory::StaticDirectory;
//! # use org_secrets::{SecretCache, StaticSecrets};
//! # let rules = rules::RuleSet::from_sources(&[("rules.yaml", "rules: []")]).unwrap();
//! # let queues: HashMap<actions::Family, MemoryQueue> = HashMap::new();
//! # let secrets = Arc::new(SecretCache::new(StaticSecrets::new(), Duration::ZERO, Duration::ZERO));
//! // No directory: does not compile.
//! let router = router::Router::builder(rules, queues, secrets)
//!     .ledger(MemoryLedger::default())
//!     .counter(MemoryCounter::default())
//!     .build();
//! ```
//!
//! Everything else has a default ([`DEFAULT_LEDGER_TTL`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actions::Family;
use fifo_queue::FifoQueue;
use org_secrets::{SecretCache, SecretSource};
use ports::{ActionCounter, Directory, DynResultSink, EventLedger, NoResults, WindowStore};
use rules::RuleSet;

use crate::{RequestSettings, Requests, Router};

/// How long a routed event is remembered when the builder is not told
/// ([`RouterBuilder::ledger_ttl`]): 14 days, `OKTA_HOOKS_LEDGER_TTL_DAYS`'s default.
pub const DEFAULT_LEDGER_TTL: Duration = Duration::from_secs(14 * 86_400);

/// A port the builder has not been given yet. It implements no port trait, so a
/// builder still holding one has no [`RouterBuilder::build`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Missing;

/// A [`Router`] being assembled; from [`Router::builder`].
#[must_use = "a builder does nothing until `build` is called"]
pub struct RouterBuilder<L, C, D, Q, S> {
    rules: RuleSet,
    queues: HashMap<Family, Q>,
    secrets: Arc<SecretCache<S>>,
    ledger: L,
    counter: C,
    directory: D,
    ledger_ttl: Duration,
    results: Option<Arc<dyn DynResultSink>>,
    requests: Option<Requests<Q>>,
}

impl<Q, S> Router<Missing, Missing, Missing, Q, S> {
    /// Starts a router over `rules`, sending first steps to `queues` (one per family: a
    /// plan may start in any) signed with the keys `secrets` holds. Give it a ledger, a
    /// counter and a directory, then [`RouterBuilder::build`].
    pub fn builder(
        rules: RuleSet,
        queues: HashMap<Family, Q>,
        secrets: Arc<SecretCache<S>>,
    ) -> RouterBuilder<Missing, Missing, Missing, Q, S> {
        RouterBuilder {
            rules,
            queues,
            secrets,
            ledger: Missing,
            counter: Missing,
            directory: Missing,
            ledger_ttl: DEFAULT_LEDGER_TTL,
            results: None,
            requests: None,
        }
    }
}

impl<L, C, D, Q, S> RouterBuilder<L, C, D, Q, S> {
    /// Where routed events are remembered, so a redelivered event is not routed twice.
    pub fn ledger<L2: EventLedger>(self, ledger: L2) -> RouterBuilder<L2, C, D, Q, S> {
        RouterBuilder {
            rules: self.rules,
            queues: self.queues,
            secrets: self.secrets,
            ledger,
            counter: self.counter,
            directory: self.directory,
            ledger_ttl: self.ledger_ttl,
            results: self.results,
            requests: self.requests,
        }
    }

    /// The counter table: the per-rule hourly counters of destructive actions
    /// (`max_destructive_per_hour`) and the rules' threshold and suppression windows.
    pub fn counter<C2: ActionCounter + WindowStore>(
        self,
        counter: C2,
    ) -> RouterBuilder<L, C2, D, Q, S> {
        RouterBuilder {
            rules: self.rules,
            queues: self.queues,
            secrets: self.secrets,
            ledger: self.ledger,
            counter,
            directory: self.directory,
            ledger_ttl: self.ledger_ttl,
            results: self.results,
            requests: self.requests,
        }
    }

    /// Where the subject user is looked up for rules that ask for enrichment.
    pub fn directory<D2: Directory>(self, directory: D2) -> RouterBuilder<L, C, D2, Q, S> {
        RouterBuilder {
            rules: self.rules,
            queues: self.queues,
            secrets: self.secrets,
            ledger: self.ledger,
            counter: self.counter,
            directory,
            ledger_ttl: self.ledger_ttl,
            results: self.results,
            requests: self.requests,
        }
    }

    /// How long a routed event is remembered (default [`DEFAULT_LEDGER_TTL`]); longer
    /// than any replay window in use, or a replay runs the rules again.
    pub fn ledger_ttl(mut self, ttl: Duration) -> Self {
        self.ledger_ttl = ttl;
        self
    }

    /// Where refused plans are told (default: nowhere, [`ports::NoResults`]).
    pub fn results(mut self, results: Arc<dyn DynResultSink>) -> Self {
        self.results = Some(results);
        self
    }

    /// Takes action requests ([`Router::take_request`]), lettering refused ones on
    /// `dlq`; without this the router takes none.
    pub fn requests(mut self, dlq: Q, settings: RequestSettings) -> Self {
        self.requests = Some(Requests { dlq, settings });
        self
    }
}

impl<L, C, D, Q, S> RouterBuilder<L, C, D, Q, S>
where
    L: EventLedger,
    C: ActionCounter + WindowStore,
    D: Directory,
    Q: FifoQueue,
    S: SecretSource,
{
    /// The router, with every part given.
    pub fn build(self) -> Router<L, C, D, Q, S> {
        Router {
            rules: self.rules,
            ledger: self.ledger,
            counter: self.counter,
            directory: self.directory,
            queues: self.queues,
            secrets: self.secrets,
            ledger_ttl: self.ledger_ttl,
            unsigned_orgs: Default::default(),
            results: self.results.unwrap_or_else(|| Arc::new(NoResults)),
            requests: self.requests,
        }
    }
}
