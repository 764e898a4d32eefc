//! The event router's domain: from one queued Okta event to the first step of each
//! matching rule's plan, signed, on its family's queue.
//!
//! The router is the only function that signs plans: with the org's private plan key
//! (`plan-signing`, which only its role reads) it signs each plan once
//! ([`envelope::seal_plan`]), and the executors, which hold the HMAC key but no plan key,
//! can carry that plan on but not make one. An org without a plan key gets HMAC-only
//! envelopes as before (a warning per org), and so does one whose router holds a plan
//! key that `signing.plan_keys` does not list yet (turning signatures on: `plan-signing`
//! first, then `plan_keys`); one whose `signing` lists plan public keys but whose router
//! holds no plan key routes nothing ([`RouteError::NoPlanKey`], retried).
//!
//! Ports: [`ports::EventLedger`] (which events are done: DynamoDB), [`ports::ActionCounter`] (the
//! per-rule hourly cap on destructive actions: DynamoDB) and [`ports::WindowStore`] (the
//! rules' thresholds and suppressions, same table), the family queues
//! ([`fifo_queue::FifoQueue`]), the org secrets (signing keys) and a [`ports::Directory`] for
//! enrichment (Okta), all given to [`Router::builder`]. [`DeadLetters`] puts an event
//! that cannot be routed on the events DLQ with a letter that says why. The ports are the `ports` crate's; their in-memory
//! twins, for tests and the local runner, are in `aws_adapters::memory` and
//! `okta_adapters::memory`.

mod builder;
mod cached;
mod config;
mod dead_letter;
mod error;
mod gate;
mod request;
mod route;

pub use builder::{DEFAULT_LEDGER_TTL, Missing, RouterBuilder};
pub use cached::CachingDirectory;
pub use config::{
    DEFAULT_REPLY_QUEUE_PATTERN, DEFAULT_REQUEST_CAP_PER_HOUR, RequestsConfig, RouterConfig,
};
pub use dead_letter::{DeadLetters, LetterClass, Received, Settled};
pub use error::RouteError;
pub use request::{ActionRequest, ReplyQueues, RequestMessage, RequestSettings, Taken};
pub use route::{Decision, PlanOutcome, Requests, Routed, Router};
