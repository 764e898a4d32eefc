//! The embedded in-process FIFO queue: the local runner's events queue, and tests' fake.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::{FailedEntry, FifoMessage, FifoQueue, MAX_MESSAGE_BYTES, QueueError};

/// SQS drops a message whose dedup id was seen within this window.
const DEDUP_WINDOW: Duration = Duration::from_secs(5 * 60);

/// A message as stored, with its position in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// 0 for the first message accepted, one more for each after it: the order the queue
    /// took them in, which tests compare with the order they were sent in.
    pub seq: u64,
    /// The message exactly as sent (dropped duplicates are not stored).
    pub message: FifoMessage,
}

type Observer = Box<dyn Fn(&StoredMessage) + Send + Sync>;

/// An in-memory FIFO queue that behaves like SQS where it matters here: 5-minute
/// deduplication, per-entry refusal of invalid messages, and batch rules.
#[derive(Default)]
pub struct MemoryQueue {
    state: Mutex<State>,
    observer: Option<Observer>,
}

#[derive(Default)]
struct State {
    messages: Vec<StoredMessage>,
    seen: HashMap<String, Instant>,
    next_seq: u64,
}

impl MemoryQueue {
    /// An empty queue that tells no one of what it accepts; read it with [`Self::messages`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `observer` with every message accepted (not deduplicated).
    pub fn with_observer(observer: impl Fn(&StoredMessage) + Send + Sync + 'static) -> Self {
        MemoryQueue {
            state: Mutex::default(),
            observer: Some(Box::new(observer)),
        }
    }

    /// Every message accepted so far, in order.
    pub fn messages(&self) -> Vec<StoredMessage> {
        self.state
            .lock()
            .map(|s| s.messages.clone())
            .unwrap_or_default()
    }

    /// How many messages were accepted so far (duplicates dropped in the dedup window do not
    /// count); 0 if the lock was poisoned by a panicking thread.
    pub fn len(&self) -> usize {
        self.state.lock().map(|s| s.messages.len()).unwrap_or(0)
    }

    /// Whether no message was accepted yet, as [`Self::len`] counts them.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn accept(
        &self,
        batch: &[FifoMessage],
    ) -> Result<(Vec<FailedEntry>, Vec<StoredMessage>), QueueError> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| QueueError::new("memory queue poisoned"))?;
        let now = Instant::now();
        state
            .seen
            .retain(|_, at| now.duration_since(*at) < DEDUP_WINDOW);
        let mut failed = Vec::new();
        let mut added = Vec::new();
        for message in batch {
            if let Some(code) = refusal(message) {
                failed.push(FailedEntry {
                    entry_id: message.entry_id.clone(),
                    code: code.into(),
                    sender_fault: true,
                });
                continue;
            }
            if state.seen.contains_key(&message.dedup_id) {
                continue;
            }
            state.seen.insert(message.dedup_id.clone(), now);
            let stored = StoredMessage {
                seq: state.next_seq,
                message: message.clone(),
            };
            state.next_seq += 1;
            state.messages.push(stored.clone());
            added.push(stored);
        }
        Ok((failed, added))
    }
}

fn refusal(message: &FifoMessage) -> Option<&'static str> {
    if message.body.len() > MAX_MESSAGE_BYTES {
        Some("MessageTooLong")
    } else if message.group_id.is_empty() || message.dedup_id.is_empty() {
        Some("MissingParameter")
    } else {
        None
    }
}

impl FifoQueue for MemoryQueue {
    async fn send_batch(&self, batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        if batch.is_empty() || batch.len() > crate::MAX_BATCH_ENTRIES {
            return Err(QueueError::new(format!("batch of {} entries", batch.len())));
        }
        let (failed, added) = self.accept(batch)?;
        if let Some(observer) = &self.observer {
            added.iter().for_each(observer);
        }
        Ok(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(dedup: &str) -> FifoMessage {
        FifoMessage {
            entry_id: dedup.into(),
            body: format!("body-{dedup}"),
            group_id: "g".into(),
            dedup_id: dedup.into(),
        }
    }

    #[tokio::test]
    async fn deduplicates_like_sqs_fifo() {
        let queue = MemoryQueue::new();
        queue
            .send_batch(&[message("a"), message("b")])
            .await
            .unwrap();
        queue
            .send_batch(&[message("a"), message("c")])
            .await
            .unwrap();
        let bodies: Vec<_> = queue
            .messages()
            .into_iter()
            .map(|m| m.message.body)
            .collect();
        assert_eq!(bodies, vec!["body-a", "body-b", "body-c"]);
    }

    #[tokio::test]
    async fn refuses_invalid_entries_and_oversized_batches() {
        let queue = MemoryQueue::new();
        let mut bad = message("x");
        bad.group_id.clear();
        let failed = queue.send_batch(&[bad, message("y")]).await.unwrap();
        assert_eq!(failed.len(), 1);
        assert!(failed[0].sender_fault);
        assert_eq!(queue.len(), 1);
        let eleven: Vec<_> = (0..11).map(|i| message(&i.to_string())).collect();
        assert!(queue.send_batch(&eleven).await.is_err());
    }

    #[tokio::test]
    async fn observer_sees_each_new_message_once() {
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let queue = MemoryQueue::with_observer(move |m| sink.lock().unwrap().push(m.seq));
        queue
            .send_batch(&[message("a"), message("a"), message("b")])
            .await
            .unwrap();
        assert_eq!(*seen.lock().unwrap(), vec![0, 1]);
    }
}
