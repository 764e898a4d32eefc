//! The router's stores: which events are done, and the hourly caps on destructive actions.

use std::future::Future;
use std::time::Duration;

use crate::StoreError;

/// Which events have been routed, so that hook retries, the poller and replays do not
/// produce a plan twice. Entries expire after `ttl` (far longer than any redelivery).
///
/// Marking happens after the envelopes are sent: a crash in between makes the retry send
/// the same envelopes again, with the same deterministic ids, which the FIFO queue and the
/// executors' idempotency records absorb. Nothing is lost and nothing runs twice.
pub trait EventLedger: Send + Sync {
    /// Whether a run already routed the event (and marked it, within `ttl`).
    fn is_done(&self, event_uuid: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Conditional put: `Ok(false)` when another run marked it first.
    fn mark_done(
        &self,
        event_uuid: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Counts destructive actions per rule and hour, against the rule's cap.
pub trait ActionCounter: Send + Sync {
    /// Takes `n` from the rule's budget for `hour` (hours since the epoch) on behalf of
    /// `event_uuid`; `Ok(false)` when that would pass `cap`, and then nothing is taken.
    ///
    /// Idempotent per event: a retried event that already took its share gets `Ok(true)`
    /// again without taking more, so a failure after the take cannot cost it its plan.
    fn try_take(
        &self,
        rule_id: &str,
        hour: u64,
        event_uuid: &str,
        n: u32,
        cap: u32,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
