//! An SQS FIFO queue.

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use fifo_queue::{FailedEntry, FifoMessage, FifoQueue, QueueError};

/// One SQS FIFO queue, by URL.
#[derive(Debug, Clone)]
pub struct SqsFifoQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsFifoQueue {
    /// The queue at `url`, reached through `client`.
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        SqsFifoQueue {
            client,
            url: url.into(),
        }
    }

    /// A queue client built from the shared AWS configuration.
    pub fn from_config(config: &aws_config::SdkConfig, url: impl Into<String>) -> Self {
        Self::new(aws_sdk_sqs::Client::new(config), url)
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl FifoQueue for SqsFifoQueue {
    async fn send_batch(&self, batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        let entries = batch
            .iter()
            .map(|m| {
                SendMessageBatchRequestEntry::builder()
                    .id(&m.entry_id)
                    .message_body(&m.body)
                    .message_group_id(&m.group_id)
                    .message_deduplication_id(&m.dedup_id)
                    .build()
                    .map_err(|e| QueueError::with_source(format!("invalid batch entry: {e}"), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let output = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| QueueError::with_source(DisplayErrorContext(&e).to_string(), e))?;
        Ok(output
            .failed()
            .iter()
            .map(|f| FailedEntry {
                entry_id: f.id().to_owned(),
                code: f.code().to_owned(),
                sender_fault: f.sender_fault(),
            })
            .collect())
    }
}

impl SqsFifoQueue {
    /// Keeps a received message invisible for `after` (from now): how the executors wait
    /// for Okta's rate-limit reset without sleeping. SQS caps it at 12 hours.
    pub async fn hold(
        &self,
        receipt_handle: &str,
        after: std::time::Duration,
    ) -> Result<(), QueueError> {
        let seconds = after.as_secs().clamp(1, 12 * 3600 - 1) as i32;
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(seconds)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| QueueError::with_source(DisplayErrorContext(&e).to_string(), e))
    }
}
