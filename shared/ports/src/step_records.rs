//! The step runner's idempotency records, one per envelope.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use crate::StoreError;

/// What earlier runs of an envelope left behind.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Nobody ran it (or a run died holding it): this run owns it for the lease.
    /// `failures` counts the retryable failures of earlier runs (throttled waits are not
    /// failures), so the step can give up after its last attempt instead of being
    /// redriven to the DLQ unexplained.
    Claimed {
        /// Retryable failures of earlier runs of this envelope.
        failures: u32,
    },
    /// It ran to success: its output, from which the next step is built again.
    Done {
        /// What the step returned.
        output: Value,
    },
    /// Another run holds it right now: ask again after `remaining`.
    Busy {
        /// What is left of the other run's lease.
        remaining: Duration,
    },
}

/// Idempotency records, one per envelope id (DynamoDB in AWS).
///
/// A claim is a lease, not a lock: a run that dies holding it is replaced once the lease
/// ends. A failed run releases its claim, so a retry (or a redrive from the DLQ) can
/// run the step again.
pub trait StepRecords: Send + Sync {
    /// Takes the envelope's lease for `lease`, unless it already ran to success or
    /// another run holds it: see [`Claim`] for the three answers.
    fn claim(
        &self,
        envelope_id: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;
    /// The step succeeded with `output`; remembered for `ttl`.
    fn complete(
        &self,
        envelope_id: &str,
        output: &Value,
        ttl: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The step did not succeed and will not be retried from here (a permanent failure,
    /// a dry run): drop the claim and its failure count, so a redrive starts afresh.
    fn release(&self, envelope_id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The step will be tried again: drop the claim, keep the record for `ttl`, and count
    /// one more retryable failure when `failed` (a 5xx, a timeout) — not for a throttled
    /// wait, which says nothing about whether the step can succeed.
    fn retry_later(
        &self,
        envelope_id: &str,
        failed: bool,
        ttl: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
