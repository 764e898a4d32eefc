//! The router's stores: which events are done, the hourly caps on destructive actions, and
//! the state of the rules' thresholds and suppressions.

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

/// One key's state as stored: the text the router wrote and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedState {
    /// What the router wrote (JSON it owns; the store does not read it).
    pub state: String,
    /// Bumped by every write; a write names the version it read.
    pub version: u64,
}

/// The state of rules' thresholds and suppressions, one item per rule and key, next to
/// the counters (the counter table).
///
/// Several router invocations may count events of one key at once (a key such as
/// `actor.id` spans FIFO groups), so a write succeeds only if nobody wrote since the read
/// (optimistic concurrency): the router reads, changes and writes again until it does.
pub trait WindowStore: Send + Sync {
    /// The state under `key`, or `None` (then write version 0).
    fn load(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<VersionedState>, StoreError>> + Send;
    /// Stores `state` if the stored version is still `version` (0: nothing stored), and
    /// keeps it for `ttl`; `Ok(false)` when another write came first (read again).
    fn save(
        &self,
        key: &str,
        state: &str,
        version: u64,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
