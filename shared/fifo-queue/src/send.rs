//! Sending many messages: batches out concurrently, failed entries retried.

use std::time::Duration;

use futures_util::future::join_all;

use crate::{FifoMessage, FifoQueue, plan_batches};

/// How often and how patiently failed entries are sent again.
///
/// The defaults stay far inside Okta's 3 s delivery timeout: three attempts, 50 ms then
/// 100 ms apart.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_millis(50),
        }
    }
}

/// Some messages are not on the queue after every attempt.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} of {total} messages were not enqueued (last error: {last_error})", failed.len())]
pub struct SendError {
    /// Entry ids of the messages that are not on the queue.
    pub failed: Vec<String>,
    pub total: usize,
    pub last_error: String,
}

/// Puts every message on the queue, or says which are not.
///
/// Batches are sent concurrently, so a 100-message send costs about one queue round trip.
/// Entries refused for a reason on our side (`sender_fault`) are not retried.
pub async fn send_all<Q: FifoQueue>(
    queue: &Q,
    messages: &[FifoMessage],
    policy: &RetryPolicy,
) -> Result<(), SendError> {
    let batches = plan_batches(messages);
    let results = join_all(
        batches
            .into_iter()
            .map(|range| send_with_retry(queue, &messages[range], policy)),
    )
    .await;
    let mut failed = Vec::new();
    let mut last_error = String::new();
    for result in results {
        if let Err((ids, error)) = result {
            failed.extend(ids);
            last_error = error;
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(SendError {
            failed,
            total: messages.len(),
            last_error,
        })
    }
}

type BatchFailure = (Vec<String>, String);

async fn send_with_retry<Q: FifoQueue>(
    queue: &Q,
    batch: &[FifoMessage],
    policy: &RetryPolicy,
) -> Result<(), BatchFailure> {
    let mut pending: Vec<FifoMessage> = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    let mut last_error = String::from("not sent");
    let mut backoff = policy.first_backoff;
    for attempt in 0..policy.attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
        let to_send = if attempt == 0 { batch } else { &pending[..] };
        match queue.send_batch(to_send).await {
            Ok(failures) if failures.is_empty() => {
                return finish(refused, last_error);
            }
            Ok(failures) => {
                last_error = failures
                    .iter()
                    .map(|f| f.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let (permanent, transient): (Vec<_>, Vec<_>) =
                    failures.into_iter().partition(|f| f.sender_fault);
                refused.extend(permanent.into_iter().map(|f| f.entry_id));
                pending = to_send
                    .iter()
                    .filter(|m| transient.iter().any(|f| f.entry_id == m.entry_id))
                    .cloned()
                    .collect();
            }
            Err(error) => {
                last_error = error.0;
                pending = to_send.to_vec();
            }
        }
        tracing::warn!(attempt, pending = pending.len(), error = %last_error, "queue batch incomplete");
        if pending.is_empty() {
            return finish(refused, last_error);
        }
    }
    refused.extend(pending.into_iter().map(|m| m.entry_id));
    Err((refused, last_error))
}

fn finish(refused: Vec<String>, last_error: String) -> Result<(), BatchFailure> {
    if refused.is_empty() {
        Ok(())
    } else {
        Err((refused, last_error))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{FailedEntry, QueueError};

    /// Fails according to a script, one step per call, then accepts everything.
    struct Scripted {
        script: Mutex<Vec<Step>>,
        calls: Mutex<Vec<Vec<String>>>,
    }

    enum Step {
        Down,
        Refuse(&'static str, bool),
    }

    impl FifoQueue for Scripted {
        async fn send_batch(&self, batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
            let ids = batch.iter().map(|m| m.entry_id.clone()).collect();
            self.calls.lock().unwrap().push(ids);
            let step = {
                let mut script = self.script.lock().unwrap();
                if script.is_empty() {
                    None
                } else {
                    Some(script.remove(0))
                }
            };
            match step {
                None => Ok(vec![]),
                Some(Step::Down) => Err(QueueError("connection refused".into())),
                Some(Step::Refuse(id, sender_fault)) => Ok(vec![FailedEntry {
                    entry_id: id.into(),
                    code: "InternalError".into(),
                    sender_fault,
                }]),
            }
        }
    }

    fn queue(script: Vec<Step>) -> Scripted {
        Scripted {
            script: Mutex::new(script),
            calls: Mutex::new(vec![]),
        }
    }

    fn messages(n: usize) -> Vec<FifoMessage> {
        (0..n)
            .map(|i| FifoMessage {
                entry_id: format!("e{i}"),
                body: "{}".into(),
                group_id: "g".into(),
                dedup_id: format!("d{i}"),
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn sends_one_call_per_batch() {
        let q = queue(vec![]);
        send_all(&q, &messages(25), &RetryPolicy::default())
            .await
            .unwrap();
        let calls = q.calls.lock().unwrap();
        assert_eq!(
            calls.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![10, 10, 5]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retries_only_the_failed_entry() {
        let q = queue(vec![Step::Refuse("e3", false)]);
        send_all(&q, &messages(5), &RetryPolicy::default())
            .await
            .unwrap();
        let calls = q.calls.lock().unwrap();
        assert_eq!(calls[1], vec!["e3".to_string()]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_queue_that_stays_down_fails_every_entry() {
        let q = queue(vec![Step::Down, Step::Down, Step::Down]);
        let err = send_all(&q, &messages(3), &RetryPolicy::default())
            .await
            .unwrap_err();
        assert_eq!(err.failed.len(), 3);
        assert!(err.last_error.contains("connection refused"));
        assert_eq!(q.calls.lock().unwrap().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn sender_faults_are_not_retried_but_reported() {
        let q = queue(vec![Step::Refuse("e1", true)]);
        let err = send_all(&q, &messages(2), &RetryPolicy::default())
            .await
            .unwrap_err();
        assert_eq!(err.failed, vec!["e1".to_string()]);
        assert_eq!(q.calls.lock().unwrap().len(), 1);
    }
}
