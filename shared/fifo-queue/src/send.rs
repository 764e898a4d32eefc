//! Sending many messages: each group in order, different groups concurrently, failed
//! entries retried before anything later of their group goes out.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use retry::{Attempts, Backoff, Decision, Failure, Policy, Tries};

use crate::batch::{BatchPlanner, Group};
use crate::{FailedEntry, FifoMessage, FifoQueue, QueueError};

/// At most this many `SendMessageBatch` calls of one [`send_all`] are in flight at once.
///
/// Ten calls carry 100 messages, the largest delivery Okta sends, so a delivery spread
/// over many users still costs one round trip.
pub const MAX_CALLS_IN_FLIGHT: usize = 10;

/// How often and how patiently failed entries are sent again.
///
/// The defaults stay far inside Okta's 3 s delivery timeout: three attempts, 50 ms then
/// 100 ms apart. Whether an entry is tried again and after how long is
/// [`retry::Policy::decide`]'s answer for these budgets ([`ResendPolicy::policy`]): an
/// entry the queue refused as the sender's fault is permanent, any other failure is
/// retryable, and the waits double from `first_backoff`.
#[derive(Debug, Clone)]
pub struct ResendPolicy {
    /// Sends of one entry, the first included, before it is given up.
    pub attempts: u32,
    /// The wait before the first resend; doubled for each one after.
    pub first_backoff: Duration,
}

impl ResendPolicy {
    /// These budgets as a [`retry::Policy`]: `attempts` failures, no queue receive count
    /// (this is one process retrying in place), waits doubling from `first_backoff`.
    pub fn policy(&self) -> Policy {
        Policy {
            attempts: Attempts {
                max_failures: self.attempts,
                max_receives: u32::MAX,
            },
            backoff: Backoff {
                first: self.first_backoff,
                max: Duration::MAX,
            },
        }
    }
}

impl Default for ResendPolicy {
    fn default() -> Self {
        ResendPolicy {
            attempts: 3,
            first_backoff: Duration::from_millis(50),
        }
    }
}

/// Some messages are not on the queue after every attempt.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} of {total} messages were not enqueued (last error: {last_error})", failed.len())]
pub struct SendError {
    /// Entry ids of the messages that are not on the queue, in the order given: each
    /// entry that failed for good, and every later entry of its group (never sent, so
    /// that a retry of the whole send keeps the group's order).
    pub failed: Vec<String>,
    /// How many messages the send was given, so the error says what share was lost.
    pub total: usize,
    /// The last refusal code or failed call's message seen (`not sent` if there was none):
    /// a hint of why, not the cause of every failed entry.
    pub last_error: String,
}

/// Puts every message on the queue in its group's order, or says which are not.
///
/// The order contract: for each `group_id`, a message is sent only once every earlier
/// message of its group is on the queue. So a group's messages go out batch after batch
/// (one call at a time per group), an entry that failed is retried before anything later
/// of its group is sent, and once an entry fails for good (a `sender_fault`, or every
/// attempt spent) the rest of its group is not sent at all and is reported failed. The
/// caller then retries the whole send (SQS drops what is already there by dedup id) and
/// the group's order holds.
///
/// One batch carries entries of several groups, and batches are sent concurrently, at
/// most [`MAX_CALLS_IN_FLIGHT`] at a time: 100 messages over many groups cost about one
/// queue round trip; one group of 25 costs three.
///
/// What SQS does inside one call is its business: if it refuses an entry and accepts a
/// later entry of the same group in the same call, that later entry is already on the
/// queue when the refused one is retried.
pub async fn send_all<Q: FifoQueue>(
    queue: &Q,
    messages: &[FifoMessage],
    policy: &ResendPolicy,
) -> Result<(), SendError> {
    Sender::new(queue, messages, policy).run().await
}

/// One call in flight: the positions (indices into the messages) it carries and how
/// many attempts those have had before it.
type Call<'a> = Pin<Box<dyn Future<Output = CallDone> + Send + 'a>>;

struct CallDone {
    positions: Vec<usize>,
    attempt: u32,
    result: Result<Vec<FailedEntry>, QueueError>,
}

struct Sender<'a, Q> {
    queue: &'a Q,
    messages: &'a [FifoMessage],
    policy: Policy,
    planner: BatchPlanner,
    /// Positions not on the queue, by group: failed for good, or held back behind one.
    failed: Vec<usize>,
    last_error: String,
}

impl<'a, Q: FifoQueue> Sender<'a, Q> {
    fn new(queue: &'a Q, messages: &'a [FifoMessage], policy: &'a ResendPolicy) -> Self {
        Sender {
            queue,
            messages,
            policy: policy.policy(),
            planner: BatchPlanner::new(messages),
            failed: Vec::new(),
            last_error: String::from("not sent"),
        }
    }

    async fn run(mut self) -> Result<(), SendError> {
        let mut in_flight: FuturesUnordered<Call<'a>> = FuturesUnordered::new();
        loop {
            while in_flight.len() < MAX_CALLS_IN_FLIGHT {
                let Some(positions) = self.planner.next_batch() else {
                    break;
                };
                in_flight.push(self.call(positions, 0, Duration::ZERO));
            }
            let Some(done) = in_flight.next().await else {
                break;
            };
            if let Some(retry) = self.settle(done) {
                in_flight.push(retry);
            }
        }
        if self.failed.is_empty() {
            return Ok(());
        }
        self.failed.sort_unstable();
        self.failed.dedup();
        Err(SendError {
            failed: self
                .failed
                .iter()
                .map(|&i| self.messages[i].entry_id.clone())
                .collect(),
            total: self.messages.len(),
            last_error: self.last_error,
        })
    }

    /// Sends `positions`, their `attempt`th resend, after `wait`.
    fn call(&self, positions: Vec<usize>, attempt: u32, wait: Duration) -> Call<'a> {
        let queue = self.queue;
        let messages = self.messages;
        Box::pin(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let batch: Vec<FifoMessage> = positions.iter().map(|&i| messages[i].clone()).collect();
            let result = queue.send_batch(&batch).await;
            CallDone {
                positions,
                attempt,
                result,
            }
        })
    }

    /// Records what one call did; returns the retry of its transient failures, if any.
    fn settle(&mut self, done: CallDone) -> Option<Call<'a>> {
        let CallDone {
            positions,
            attempt,
            result,
        } = done;
        // Per position: None = accepted, Some(sender_fault) = refused.
        let refusals: Vec<Option<bool>> = match result {
            Ok(failures) => self.match_failures(&positions, failures),
            Err(error) => {
                self.last_error = error.message().to_owned();
                vec![Some(false); positions.len()]
            }
        };
        let tries = Tries {
            failures: attempt,
            receive_count: 0,
        };
        let mut wait = Duration::ZERO;
        let mut retry = Vec::new();
        let mut broken: Vec<Group> = Vec::new();
        for (&position, refusal) in positions.iter().zip(&refusals) {
            let group = self.planner.group_of(position);
            let Some(sender_fault) = *refusal else {
                continue;
            };
            if broken.contains(&group) {
                // Behind an entry of its group that failed for good: held back.
                self.failed.push(position);
                continue;
            }
            let failure = if sender_fault {
                Failure::Permanent
            } else {
                Failure::Retryable
            };
            match self.policy.decide(failure, tries) {
                Decision::RetryAfter { wait: after, .. } => {
                    wait = after;
                    retry.push(position);
                }
                Decision::GiveUp(_) => {
                    broken.push(group);
                    self.failed.push(position);
                }
            }
        }
        if refusals.iter().any(Option::is_some) {
            tracing::warn!(
                attempt,
                retry = retry.len(),
                failed = self.failed.len(),
                error = %self.last_error,
                "queue batch incomplete"
            );
        }
        for group in broken {
            self.failed.extend(self.planner.abandon(group));
        }
        // Groups with nothing left in flight may send their next entries.
        let retried: Vec<Group> = retry.iter().map(|&p| self.planner.group_of(p)).collect();
        for &position in &positions {
            let group = self.planner.group_of(position);
            if !retried.contains(&group) {
                self.planner.release(group);
            }
        }
        (!retry.is_empty()).then(|| self.call(retry, attempt + 1, wait))
    }

    /// Maps the queue's refusals onto the call's positions.
    fn match_failures(
        &mut self,
        positions: &[usize],
        failures: Vec<FailedEntry>,
    ) -> Vec<Option<bool>> {
        let mut refusals = vec![None; positions.len()];
        for failure in failures {
            let slot = positions.iter().enumerate().position(|(slot, &i)| {
                refusals[slot].is_none() && self.messages[i].entry_id == failure.entry_id
            });
            match slot {
                Some(slot) => refusals[slot] = Some(failure.sender_fault),
                None => {
                    tracing::warn!(entry = %failure.entry_id, "queue refused an entry it was not sent");
                }
            }
            self.last_error = failure.code;
        }
        refusals
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
                Some(Step::Down) => Err(QueueError::new("connection refused")),
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
        send_all(&q, &messages(25), &ResendPolicy::default())
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
        send_all(&q, &messages(5), &ResendPolicy::default())
            .await
            .unwrap();
        let calls = q.calls.lock().unwrap();
        assert_eq!(calls[1], vec!["e3".to_string()]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_queue_that_stays_down_fails_every_entry() {
        let q = queue(vec![Step::Down, Step::Down, Step::Down]);
        let err = send_all(&q, &messages(3), &ResendPolicy::default())
            .await
            .unwrap_err();
        assert_eq!(err.failed.len(), 3);
        assert!(err.last_error.contains("connection refused"));
        assert_eq!(q.calls.lock().unwrap().len(), 3);
    }

    #[test]
    fn the_default_policy_resends_twice_50_then_100_ms_apart_and_then_gives_up() {
        let policy = ResendPolicy::default().policy();
        let after = |failures| match policy.decide(
            Failure::Retryable,
            Tries {
                failures,
                receive_count: 0,
            },
        ) {
            Decision::RetryAfter { wait, .. } => Some(wait),
            Decision::GiveUp(_) => None,
        };
        assert_eq!(after(0), Some(Duration::from_millis(50)));
        assert_eq!(after(1), Some(Duration::from_millis(100)));
        assert_eq!(after(2), None);
    }

    #[tokio::test(start_paused = true)]
    async fn resends_wait_the_policy_s_backoff() {
        let q = queue(vec![Step::Down, Step::Down]);
        let started = tokio::time::Instant::now();
        send_all(&q, &messages(1), &ResendPolicy::default())
            .await
            .unwrap();
        assert_eq!(q.calls.lock().unwrap().len(), 3);
        // Paused time advances exactly by the sleeps: 50 ms, then 100 ms.
        assert_eq!(started.elapsed(), Duration::from_millis(150));
    }

    #[tokio::test(start_paused = true)]
    async fn sender_faults_are_not_retried_but_reported() {
        let q = queue(vec![Step::Refuse("e1", true)]);
        let err = send_all(&q, &messages(2), &ResendPolicy::default())
            .await
            .unwrap_err();
        assert_eq!(err.failed, vec!["e1".to_string()]);
        assert_eq!(q.calls.lock().unwrap().len(), 1);
    }
}
