//! The port a FIFO queue adapter implements.

use std::error::Error;
use std::future::Future;
use std::sync::Arc;

/// One message for a FIFO queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoMessage {
    /// Unique within one batch (`SendMessageBatchRequestEntry.Id`).
    pub entry_id: String,
    /// What the consumer receives; at most [`crate::MAX_MESSAGE_BYTES`], or the entry is
    /// refused.
    pub body: String,
    /// Messages of one group are delivered in order, one at a time.
    pub group_id: String,
    /// A second message with this id within 5 minutes is accepted and dropped.
    pub dedup_id: String,
}

/// An entry the queue refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEntry {
    /// The `entry_id` of the refused message, which is how the caller finds it in its batch.
    pub entry_id: String,
    /// The queue's reason code (`MessageTooLong`, `MissingParameter`, …), for the logs and
    /// [`crate::SendError::last_error`].
    pub code: String,
    /// The request itself was wrong: sending it again cannot succeed.
    pub sender_fault: bool,
}

/// The whole call failed (network, throttling, permissions, …).
///
/// The message says what failed in words fit for a log line (an adapter puts the SDK's
/// full context there); the source, when there is one, is the adapter's own error, kept
/// for callers that walk the chain.
#[derive(Debug, Clone, thiserror::Error)]
#[error("queue call failed: {message}")]
pub struct QueueError {
    message: String,
    #[source]
    source: Option<Arc<dyn Error + Send + Sync>>,
}

impl QueueError {
    /// A failure with no underlying error (a refused argument, a poisoned lock).
    pub fn new(message: impl Into<String>) -> Self {
        QueueError {
            message: message.into(),
            source: None,
        }
    }

    /// A failure caused by `source` (the SDK's error), described by `message`.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Error + Send + Sync + 'static,
    ) -> Self {
        QueueError {
            message: message.into(),
            source: Some(Arc::new(source)),
        }
    }

    /// What failed, without the "queue call failed" prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

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

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::QueueError;

    #[test]
    fn a_queue_error_says_what_failed_and_keeps_the_error_that_caused_it() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let error = QueueError::with_source("SendMessageBatch: dispatch failure", refused);
        assert_eq!(
            error.to_string(),
            "queue call failed: SendMessageBatch: dispatch failure"
        );
        assert_eq!(error.message(), "SendMessageBatch: dispatch failure");
        let source = error.source().expect("the cause is kept");
        assert_eq!(source.to_string(), "refused");
        assert!(QueueError::new("poisoned").source().is_none());
    }
}
