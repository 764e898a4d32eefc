//! Assembling a [`StepRunner`]: the one way its parts come together, used alike by the
//! `action-executor` function, the local runner, the tests and the benches.
//!
//! The family, the org secrets, the protected users and groups and the webhook client
//! are the builder's arguments; the three ports (the step records, the queues with the
//! family's DLQ, Okta access) are named calls whose absence is a compile error —
//! [`StepRunnerBuilder::build`] exists only once each has been given:
//!
//! ```
//! # use std::{collections::HashMap, sync::Arc, time::Duration};
//! # use action_calls::WebhookSender;
//! # use actions::Family;
//! # use aws_adapters::memory::MemoryRecords;
//! # use fifo_queue::MemoryQueue;
//! # use okta_adapters::memory::FixedOkta;
//! # use org_secrets::{SecretCache, StaticSecrets};
//! # let secrets = Arc::new(SecretCache::new(StaticSecrets::new(), Duration::ZERO, Duration::ZERO));
//! # let webhook = WebhookSender::new(Duration::from_secs(5)).unwrap();
//! # let queues: HashMap<Family, MemoryQueue> = HashMap::new();
//! let runner = step_runner::StepRunner::builder(Family::Users, secrets, Default::default(), webhook)
//!     .records(MemoryRecords::new())
//!     .queues(queues, MemoryQueue::new())
//!     .okta(FixedOkta { live: None, dry: None })
//!     .build();
//! ```
//!
//! ```compile_fail
//! # use std::{collections::HashMap, sync::Arc, time::Duration};
//! # use action_calls::WebhookSender;
//! # use actions::Family;
//! # use aws_adapters::memory::MemoryRecords;
//! # use fifo_queue::MemoryQueue;
//! # use okta_adapters::memory::FixedOkta;
//! # use org_secrets::{SecretCache, StaticSecrets};
//! # let secrets = Arc::new(SecretCache::new(StaticSecrets::new(), Duration::ZERO, Duration::ZERO));
//! # let webhook = WebhookSender::new(Duration::from_secs(5)).unwrap();
//! # let queues: HashMap<Family, MemoryQueue> = HashMap::new();
//! // No step records: does not compile.
//! let runner = step_runner::StepRunner::builder(Family::Users, secrets, Default::default(), webhook)
//!     .queues(queues, MemoryQueue::new())
//!     .okta(FixedOkta { live: None, dry: None })
//!     .build();
//! ```
//!
//! The rest has defaults: the named values of `notify.webhook` and friends are the org
//! secret's `named` ([`OrgSecretNames`]), the knobs are [`Settings::default`].

use std::collections::HashMap;
use std::sync::Arc;

use action_calls::{NamedSecrets, OrgSecretNames, WebhookSender};
use actions::Family;
use fifo_queue::FifoQueue;
use org_secrets::{SecretCache, SecretSource};
use ports::{DynResultSink, NoResults, OktaAccess, StepRecords};
use rules::Protection;

use crate::{Settings, StepRunner};

/// A port the builder has not been given yet. It implements no port trait, so a
/// builder still holding one has no [`StepRunnerBuilder::build`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Missing;

/// Every family's queue and one family's DLQ, as [`StepRunnerBuilder::queues`] took
/// them.
pub struct Queues<Q> {
    all: HashMap<Family, Q>,
    dead_letters: Q,
}

/// A [`StepRunner`] being assembled; from [`StepRunner::builder`]. `P` is the queues
/// part: [`Missing`], then [`Queues`].
#[must_use = "a builder does nothing until `build` is called"]
pub struct StepRunnerBuilder<R, P, A, S> {
    family: Family,
    secrets: Arc<SecretCache<S>>,
    protection: Protection,
    webhook: WebhookSender,
    records: R,
    queues: P,
    okta: A,
    named: Option<Box<dyn NamedSecrets>>,
    results: Option<Arc<dyn DynResultSink>>,
    settings: Settings,
}

impl<S> StepRunner<Missing, Missing, Missing, S> {
    /// Starts the runner of `family`'s steps (other families' are refused), opening
    /// envelopes with the signing keys `secrets` holds, re-checking `protection` on
    /// rendered parameters and sending `notify.webhook` calls with `webhook`. Give it
    /// step records, the queues and Okta access, then [`StepRunnerBuilder::build`].
    pub fn builder(
        family: Family,
        secrets: Arc<SecretCache<S>>,
        protection: Protection,
        webhook: WebhookSender,
    ) -> StepRunnerBuilder<Missing, Missing, Missing, S> {
        StepRunnerBuilder {
            family,
            secrets,
            protection,
            webhook,
            records: Missing,
            queues: Missing,
            okta: Missing,
            named: None,
            results: None,
            settings: Settings::default(),
        }
    }
}

impl<R, P, A, S> StepRunnerBuilder<R, P, A, S> {
    /// The idempotency records: one per envelope, claimed before the action runs.
    pub fn records<R2: StepRecords>(self, records: R2) -> StepRunnerBuilder<R2, P, A, S> {
        StepRunnerBuilder {
            family: self.family,
            secrets: self.secrets,
            protection: self.protection,
            webhook: self.webhook,
            records,
            queues: self.queues,
            okta: self.okta,
            named: self.named,
            results: self.results,
            settings: self.settings,
        }
    }

    /// Every family's queue (a plan's next step may belong to any), and this family's
    /// DLQ, where permanent failures and refused envelopes go with their reason.
    pub fn queues<Q: FifoQueue>(
        self,
        queues: HashMap<Family, Q>,
        dead_letters: Q,
    ) -> StepRunnerBuilder<R, Queues<Q>, A, S> {
        StepRunnerBuilder {
            family: self.family,
            secrets: self.secrets,
            protection: self.protection,
            webhook: self.webhook,
            records: self.records,
            queues: Queues {
                all: queues,
                dead_letters,
            },
            okta: self.okta,
            named: self.named,
            results: self.results,
            settings: self.settings,
        }
    }

    /// The Okta clients, per org.
    pub fn okta<A2: OktaAccess>(self, okta: A2) -> StepRunnerBuilder<R, P, A2, S> {
        StepRunnerBuilder {
            family: self.family,
            secrets: self.secrets,
            protection: self.protection,
            webhook: self.webhook,
            records: self.records,
            queues: self.queues,
            okta,
            named: self.named,
            results: self.results,
            settings: self.settings,
        }
    }

    /// Where named values (webhook URLs, …) are read; default: the org secret's
    /// `named`, through the same cache.
    pub fn named(mut self, named: Box<dyn NamedSecrets>) -> Self {
        self.named = Some(named);
        self
    }

    /// Where each finished plan's result goes (EventBridge and the request's
    /// `reply_to`, in the functions); default: nowhere ([`ports::NoResults`]).
    pub fn results(mut self, results: Arc<dyn DynResultSink>) -> Self {
        self.results = Some(results);
        self
    }

    /// The knobs (dry run, lease, record TTL, rate reserve, metrics, attempts); default
    /// [`Settings::default`].
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }
}

impl<R, Q, A, S> StepRunnerBuilder<R, Queues<Q>, A, S>
where
    R: StepRecords,
    Q: FifoQueue,
    A: OktaAccess,
    S: SecretSource + 'static,
{
    /// The runner, with every part given.
    pub fn build(self) -> StepRunner<R, Q, A, S> {
        let named = self
            .named
            .unwrap_or_else(|| Box::new(OrgSecretNames::new(self.secrets.clone())));
        StepRunner {
            family: self.family,
            records: self.records,
            queues: self.queues.all,
            dead_letters: self.queues.dead_letters,
            okta: self.okta,
            secrets: self.secrets,
            named,
            results: self.results.unwrap_or_else(|| Arc::new(NoResults)),
            webhook: self.webhook,
            protection: self.protection,
            settings: self.settings,
        }
    }
}
