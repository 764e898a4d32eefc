//! Why a run failed. The cursor stays where it was, so the next run reads the same
//! page again: nothing is lost.

use fifo_queue::SendError;
use okta_client::OktaError;
use ports::StoreError;

/// What ended a run early. Each variant keeps its cause; the caller reports it (logs, the
/// function's Errors alarm) and the next scheduled run retries from the unchanged cursor.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// Okta answered an error other than `429`, or could not be reached.
    #[error("System Log: {0}")]
    Okta(#[from] OktaError),
    /// Some events of a page are not on the events queue.
    #[error("events queue: {0}")]
    Queue(#[from] SendError),
    /// The cursor store failed.
    #[error("cursor store: {0}")]
    Cursor(#[from] StoreError),
    /// A page without a `next` link: the query was not a polling query.
    #[error(
        "the System Log answered without a next link: not a polling query (no `until`, ascending order)"
    )]
    NotPolling,
    /// No Okta client for the org (secret, credential).
    #[error("Okta client: {0}")]
    Client(String),
}
