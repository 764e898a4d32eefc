//! An SQS queue behind the [`FifoQueue`] port: a FIFO queue, or a standard one.

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use fifo_queue::{FailedEntry, FifoMessage, FifoQueue, QueueError};

use crate::LazyClient;

/// An SQS client built on first use, which several queues may share.
pub type SqsClient = LazyClient<aws_sdk_sqs::Client>;

/// One SQS queue, by URL.
///
/// Made for FIFO queues (each message's group and deduplication id go with it), it also
/// sends to a standard queue — one whose URL does not end in `.fifo`, as SQS requires
/// of every FIFO queue's name — leaving both ids out, which SQS refuses on a standard
/// queue. That is how the router letters refused action requests on the standard
/// `ActionRequestsDlq` through the same port: there the order and deduplication the ids
/// would give are not promised.
#[derive(Debug, Clone)]
pub struct SqsFifoQueue {
    client: SqsClient,
    url: String,
}

impl SqsFifoQueue {
    /// The queue at `url`, reached through `client`.
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self::shared(&LazyClient::ready(client), url)
    }

    /// A queue with its own client, built from the shared AWS configuration on first use.
    pub fn from_config(config: &aws_config::SdkConfig, url: impl Into<String>) -> Self {
        Self::shared(&Self::client(config), url)
    }

    /// An SQS client for [`SqsFifoQueue::shared`], built on first use: a function that
    /// reaches several queues builds one client, and only if it sends.
    pub fn client(config: &aws_config::SdkConfig) -> SqsClient {
        LazyClient::from_config(config, aws_sdk_sqs::Client::new)
    }

    /// The queue at `url`, reached through `client` (shared with other queues).
    pub fn shared(client: &SqsClient, url: impl Into<String>) -> Self {
        SqsFifoQueue {
            client: client.clone(),
            url: url.into(),
        }
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the queue is a FIFO queue: its name (the URL's last segment) ends in
    /// `.fifo`.
    pub fn is_fifo(&self) -> bool {
        self.url.trim_end_matches('/').ends_with(".fifo")
    }
}

impl FifoQueue for SqsFifoQueue {
    async fn send_batch(&self, batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        let fifo = self.is_fifo();
        let entries = batch
            .iter()
            .map(|m| {
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(&m.entry_id)
                    .message_body(&m.body);
                let entry = if fifo {
                    entry
                        .message_group_id(&m.group_id)
                        .message_deduplication_id(&m.dedup_id)
                } else {
                    entry
                };
                entry
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
