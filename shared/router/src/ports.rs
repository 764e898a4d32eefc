//! The router's ports.

use std::future::Future;
use std::time::Duration;

/// A store could not be reached or refused the call: the event is retried.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{store}: {reason}")]
pub struct StoreError {
    pub store: &'static str,
    pub reason: String,
}

/// Which events have been routed, so that hook retries, the poller and replays do not
/// produce a plan twice. Entries expire after `ttl` (far longer than any redelivery).
///
/// Marking happens after the envelopes are sent: a crash in between makes the retry send
/// the same envelopes again, with the same deterministic ids, which the FIFO queue and the
/// executors' idempotency records absorb. Nothing is lost and nothing runs twice.
pub trait EventLedger: Send + Sync {
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

/// Why the directory could not answer.
///
/// "No such user" is not an error (the lookup answers `Ok(None)`); this is for lookups
/// that did not happen. A transient one (Okta throttled or down, a timeout, the secret
/// store unreachable) retries the event; a permanent one (the org's Okta credential is
/// missing or refused for good, an answer that does not parse) cannot succeed by
/// retrying, so the event goes to the DLQ with this reason at once.
#[derive(Debug, thiserror::Error)]
#[error("directory: {source}")]
pub struct DirectoryError {
    /// Whether the same lookup may succeed later.
    pub transient: bool,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl DirectoryError {
    /// A failure that may pass: the event is retried.
    pub fn transient(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        DirectoryError {
            transient: true,
            source: source.into(),
        }
    }

    /// A failure that retrying cannot fix.
    pub fn permanent(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        DirectoryError {
            transient: false,
            source: source.into(),
        }
    }
}

/// Looks up the subject user for rules that ask for enrichment.
pub trait Directory: Send + Sync {
    /// The user's current `{id, status, profile, groups: [{id, name}]}` as JSON; `groups`
    /// only when asked, to spend one Okta call less.
    ///
    /// `Ok(None)` when there is no such user (deleted since the event, or an id that is
    /// not a user's): the rules then see `user == null`, and the event is routed as
    /// usual. `Err` only when the lookup itself failed.
    fn user(
        &self,
        org: &str,
        user_id: &str,
        with_groups: bool,
    ) -> impl Future<Output = Result<Option<serde_json::Value>, DirectoryError>> + Send;
}
