//! The event router's domain: from one queued Okta event to the first step of each
//! matching rule's plan, signed, on its family's queue.
//!
//! Ports: [`EventLedger`] (which events are done: DynamoDB), [`ActionCounter`] (the
//! per-rule hourly cap on destructive actions: DynamoDB), the family queues
//! ([`fifo_queue::FifoQueue`]), the org secrets (signing keys) and a [`Directory`] for
//! enrichment (Okta). [`DeadLetters`] puts an event that cannot be routed on the events
//! DLQ with a letter that says why. Memory adapters for tests and the local runner live in [`memory`].

mod cached;
mod config;
mod dead_letter;
mod error;
mod load;
pub mod memory;
mod ports;
mod route;

pub use cached::CachingDirectory;
pub use config::{RouterConfig, queue_url_var};
pub use dead_letter::{DeadLetters, LetterClass, Received, Settled};
pub use error::RouteError;
pub use load::{RulesError, load_rules};
pub use ports::{ActionCounter, Directory, DirectoryError, EventLedger, StoreError};
pub use route::{Decision, PlanOutcome, Routed, Router};
