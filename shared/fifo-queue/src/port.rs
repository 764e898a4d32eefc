//! The port a FIFO queue adapter implements.

use std::future::Future;

/// One message for a FIFO queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoMessage {
    /// Unique within one batch (`SendMessageBatchRequestEntry.Id`).
    pub entry_id: String,
    pub body: String,
    /// Messages of one group are delivered in order, one at a time.
    pub group_id: String,
    /// A second message with this id within 5 minutes is accepted and dropped.
    pub dedup_id: String,
}

/// An entry the queue refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEntry {
    pub entry_id: String,
    pub code: String,
    /// The request itself was wrong: sending it again cannot succeed.
    pub sender_fault: bool,
}

/// The whole call failed (network, throttling, permissions, …).
#[derive(Debug, Clone, thiserror::Error)]
#[error("queue call failed: {0}")]
pub struct QueueError(pub String);

/// A FIFO queue that takes batches of up to 10 messages.
pub trait FifoQueue: Send + Sync {
    /// Sends one batch; returns the entries that were not accepted.
    fn send_batch(
        &self,
        batch: &[FifoMessage],
    ) -> impl Future<Output = Result<Vec<FailedEntry>, QueueError>> + Send;
}

impl<Q: FifoQueue> FifoQueue for std::sync::Arc<Q> {
    fn send_batch(
        &self,
        batch: &[FifoMessage],
    ) -> impl Future<Output = Result<Vec<FailedEntry>, QueueError>> + Send {
        (**self).send_batch(batch)
    }
}
