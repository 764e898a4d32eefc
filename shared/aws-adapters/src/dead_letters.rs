//! A dead-letter queue, seen by the operator's tools (`okta-hooks redrive`): receive its
//! messages with their group, send them to another queue, delete or release them, find
//! its source queue and its approximate size.

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use fifo_queue::QueueError;

/// One message received from the DLQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// SQS's id of the message (the same on every receipt).
    pub message_id: Option<String>,
    /// Deletes or releases this receipt of the message.
    pub receipt_handle: String,
    /// The message as it was sent (a queued event or an envelope).
    pub body: String,
    /// The FIFO group, when the message has a non-empty one.
    pub group_id: Option<String>,
}

/// What a message sent to a FIFO queue needs besides its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoIds {
    /// `MessageGroupId`: messages of one group are delivered in order.
    pub group_id: String,
    /// `MessageDeduplicationId`: a second send within five minutes is dropped.
    pub dedup_id: String,
}

/// One SQS queue (a DLQ), by URL. Errors carry the SDK's full context
/// (`DisplayErrorContext`).
#[derive(Debug, Clone)]
pub struct DeadLetterQueue {
    client: crate::LazyClient<aws_sdk_sqs::Client>,
    url: String,
}

fn queue_error<E: std::error::Error + Send + Sync + 'static>(e: E) -> QueueError {
    QueueError::with_source(DisplayErrorContext(&e).to_string(), e)
}

impl DeadLetterQueue {
    /// The queue at `url`, reached through `client`.
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        DeadLetterQueue {
            client: crate::LazyClient::ready(client),
            url: url.into(),
        }
    }

    /// A queue client built from the shared AWS configuration on first use.
    pub fn from_config(config: &aws_config::SdkConfig, url: impl Into<String>) -> Self {
        DeadLetterQueue {
            client: crate::SqsFifoQueue::client(config),
            url: url.into(),
        }
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Receives up to `max` messages (SQS caps it at 10), hidden for `visibility_secs`,
    /// waiting up to `wait_secs` for the first. Empty: none was visible in that time.
    /// A message without a receipt handle (which SQS does not return) is left out.
    pub async fn receive(
        &self,
        max: i32,
        visibility_secs: i32,
        wait_secs: i32,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max)
            .visibility_timeout(visibility_secs)
            .wait_time_seconds(wait_secs)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(output
            .messages()
            .iter()
            .filter_map(|m| {
                let receipt_handle = m.receipt_handle()?.to_owned();
                let group_id = m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                    .filter(|v| !v.is_empty())
                    .cloned();
                Some(ReceivedMessage {
                    message_id: m.message_id().map(str::to_owned),
                    receipt_handle,
                    body: m.body().unwrap_or_default().to_owned(),
                    group_id,
                })
            })
            .collect())
    }

    /// Sends one message to another queue (`queue_url`), with its FIFO group and dedup
    /// id when that queue is FIFO.
    pub async fn send_to(
        &self,
        queue_url: &str,
        body: &str,
        fifo: Option<FifoIds>,
    ) -> Result<(), QueueError> {
        let mut send = self
            .client
            .send_message()
            .queue_url(queue_url)
            .message_body(body);
        if let Some(ids) = fifo {
            send = send
                .message_group_id(ids.group_id)
                .message_deduplication_id(ids.dedup_id);
        }
        send.send().await.map(|_| ()).map_err(queue_error)
    }

    /// Deletes a received message from this queue.
    pub async fn delete(&self, receipt_handle: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map(|_| ())
            .map_err(queue_error)
    }

    /// Makes a received message visible again at once (visibility 0).
    pub async fn release(&self, receipt_handle: &str) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(0)
            .send()
            .await
            .map(|_| ())
            .map_err(queue_error)
    }

    /// The queues whose redrive policy names this one as their dead-letter queue
    /// (`ListDeadLetterSourceQueues`, first page: up to 1000).
    pub async fn source_queues(&self) -> Result<Vec<String>, QueueError> {
        let output = self
            .client
            .list_dead_letter_source_queues()
            .queue_url(&self.url)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(output.queue_urls().to_vec())
    }

    /// About how many messages the queue holds, visible or not (SQS's approximate
    /// counts; a count it does not report is 0).
    pub async fn approximate_count(&self) -> Result<usize, QueueError> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(queue_error)?;
        let Some(attributes) = output.attributes() else {
            return Ok(0);
        };
        let get = |name: QueueAttributeName| {
            attributes
                .get(&name)
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0)
        };
        Ok(get(QueueAttributeName::ApproximateNumberOfMessages)
            + get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible))
    }
}
