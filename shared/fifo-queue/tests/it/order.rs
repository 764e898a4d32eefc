//! `send_all` keeps each group's order on a queue whose calls finish out of order.
//!
//! The fake queue takes a per-call delay chosen by the test (on tokio's paused clock), so a
//! later batch can finish before an earlier one, and records the order in which it
//! accepted entries, the order in which calls started, and how many were in flight.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fifo_queue::{FailedEntry, FifoMessage, FifoQueue, QueueError, ResendPolicy, send_all};

/// How the fake answers one entry.
#[derive(Clone, Copy)]
enum Refuse {
    /// Refused (not a sender fault) this many times, then accepted.
    Transient(u32),
    /// Refused as a sender fault, every time.
    Permanent,
}

type Delay = Box<dyn Fn(&[FifoMessage]) -> Duration + Send + Sync>;

struct OutOfOrderQueue {
    delay: Delay,
    refusals: Mutex<HashMap<String, Refuse>>,
    /// Entry ids of every call, in the order the calls started.
    calls: Mutex<Vec<Vec<String>>>,
    /// Entry ids in the order the queue accepted them.
    accepted: Mutex<Vec<String>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl OutOfOrderQueue {
    fn new(delay: impl Fn(&[FifoMessage]) -> Duration + Send + Sync + 'static) -> Self {
        OutOfOrderQueue {
            delay: Box::new(delay),
            refusals: Mutex::default(),
            calls: Mutex::default(),
            accepted: Mutex::default(),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    fn refusing(self, entry: &str, how: Refuse) -> Self {
        self.refusals.lock().unwrap().insert(entry.into(), how);
        self
    }

    fn accepted(&self) -> Vec<String> {
        self.accepted.lock().unwrap().clone()
    }

    fn calls(&self) -> Vec<Vec<String>> {
        self.calls.lock().unwrap().clone()
    }

    /// Index of the first call that carried `entry`.
    fn first_call_with(&self, entry: &str) -> usize {
        self.calls()
            .iter()
            .position(|c| c.iter().any(|e| e == entry))
            .unwrap_or_else(|| panic!("{entry} was never sent"))
    }

    /// Index of the last call that carried `entry`.
    fn last_call_with(&self, entry: &str) -> usize {
        self.calls()
            .iter()
            .rposition(|c| c.iter().any(|e| e == entry))
            .unwrap_or_else(|| panic!("{entry} was never sent"))
    }
}

impl FifoQueue for OutOfOrderQueue {
    async fn send_batch(&self, batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        let ids: Vec<String> = batch.iter().map(|m| m.entry_id.clone()).collect();
        self.calls.lock().unwrap().push(ids);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep((self.delay)(batch)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let mut failed = Vec::new();
        let mut refusals = self.refusals.lock().unwrap();
        for message in batch {
            let refusal = match refusals.get_mut(&message.entry_id) {
                Some(Refuse::Transient(0)) | None => None,
                Some(Refuse::Transient(n)) => {
                    *n -= 1;
                    Some(false)
                }
                Some(Refuse::Permanent) => Some(true),
            };
            match refusal {
                None => self.accepted.lock().unwrap().push(message.entry_id.clone()),
                Some(sender_fault) => failed.push(FailedEntry {
                    entry_id: message.entry_id.clone(),
                    code: if sender_fault {
                        "InvalidParameterValue"
                    } else {
                        "InternalError"
                    }
                    .into(),
                    sender_fault,
                }),
            }
        }
        Ok(failed)
    }
}

/// `n` messages `e0..`, message `i` in group `group(i)`.
fn messages(n: usize, group: impl Fn(usize) -> String) -> Vec<FifoMessage> {
    (0..n)
        .map(|i| FifoMessage {
            entry_id: format!("e{i}"),
            body: format!("{{\"n\":{i}}}"),
            group_id: group(i),
            dedup_id: format!("d{i}"),
        })
        .collect()
}

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("e{i}")).collect()
}

fn carries(batch: &[FifoMessage], entry: &str) -> bool {
    batch.iter().any(|m| m.entry_id == entry)
}

/// The first batch (the one with `e0`) is slow; every other call is fast.
fn first_batch_slow(batch: &[FifoMessage]) -> Duration {
    if carries(batch, "e0") {
        Duration::from_millis(100)
    } else {
        Duration::from_millis(1)
    }
}

fn policy() -> ResendPolicy {
    ResendPolicy {
        attempts: 3,
        first_backoff: Duration::from_millis(5),
    }
}

#[tokio::test(start_paused = true)]
async fn one_group_of_25_is_accepted_in_order_even_when_a_later_batch_would_finish_first() {
    let queue = OutOfOrderQueue::new(first_batch_slow);
    send_all(&queue, &messages(25, |_| "user-1".into()), &policy())
        .await
        .unwrap();
    assert_eq!(queue.accepted(), ids(0..25));
    assert_eq!(queue.max_in_flight.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn groups_interleaved_in_one_delivery_each_keep_their_order() {
    // 30 events alternating over three users; the batch with e0 is slow.
    let queue = OutOfOrderQueue::new(first_batch_slow);
    let group = |i: usize| format!("user-{}", i % 3);
    send_all(&queue, &messages(30, group), &policy())
        .await
        .unwrap();
    let accepted = queue.accepted();
    assert_eq!(accepted.len(), 30);
    for g in 0..3 {
        let of_group: Vec<String> = accepted
            .iter()
            .filter(|e| e[1..].parse::<usize>().unwrap() % 3 == g)
            .cloned()
            .collect();
        let expected: Vec<String> = (0..30)
            .filter(|i| i % 3 == g)
            .map(|i| format!("e{i}"))
            .collect();
        assert_eq!(of_group, expected, "group user-{g}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_entry_failing_transiently_is_retried_before_anything_later_of_its_group_is_sent() {
    let queue = OutOfOrderQueue::new(first_batch_slow).refusing("e3", Refuse::Transient(1));
    send_all(&queue, &messages(25, |_| "user-1".into()), &policy())
        .await
        .unwrap();
    let retry = queue.last_call_with("e3");
    assert!(retry > queue.first_call_with("e3"), "e3 was retried");
    for later in ids(10..25) {
        assert!(
            queue.first_call_with(&later) > retry,
            "{later} was sent before e3's retry: {:?}",
            queue.calls()
        );
    }
    let accepted = queue.accepted();
    let at = |e: &str| accepted.iter().position(|a| a == e).unwrap();
    assert!(at("e3") < at("e10"), "{accepted:?}");
    assert_eq!(accepted.len(), 25);
}

#[tokio::test(start_paused = true)]
async fn an_entry_failing_permanently_holds_back_and_fails_the_rest_of_its_group_only() {
    // user-1 has e0..e24, user-2 has e25..e29.
    let group = |i: usize| if i < 25 { "user-1" } else { "user-2" }.to_string();
    let queue = OutOfOrderQueue::new(first_batch_slow).refusing("e3", Refuse::Permanent);
    let err = send_all(&queue, &messages(30, group), &policy())
        .await
        .unwrap_err();
    // e4..e9 went in the same call as e3 and the queue took them; nothing later was sent.
    let calls = queue.calls();
    let sent: Vec<&String> = calls.iter().flatten().collect();
    for later in ids(10..25) {
        assert!(!sent.contains(&&later), "{later} was sent after e3 failed");
    }
    let mut expected = vec!["e3".to_string()];
    expected.extend(ids(10..25));
    assert_eq!(err.failed, expected);
    assert_eq!(err.total, 30);
    let accepted = queue.accepted();
    for other in ids(25..30) {
        assert!(
            accepted.contains(&other),
            "user-2's {other} is on the queue"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_entry_that_fails_every_attempt_holds_back_the_rest_of_its_group() {
    let queue = OutOfOrderQueue::new(first_batch_slow).refusing("e12", Refuse::Transient(99));
    let err = send_all(&queue, &messages(25, |_| "user-1".into()), &policy())
        .await
        .unwrap_err();
    assert_eq!(
        err.failed,
        ids(12..13)
            .into_iter()
            .chain(ids(20..25))
            .collect::<Vec<_>>()
    );
    assert_eq!(err.last_error, "InternalError");
    // e12 had its three attempts; e20..e24 were never sent.
    let calls = queue.calls();
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.contains(&"e12".to_string()))
            .count(),
        3
    );
    assert!(
        calls
            .iter()
            .flatten()
            .all(|e| e[1..].parse::<usize>().unwrap() < 20)
    );
}

#[tokio::test(start_paused = true)]
async fn hundred_messages_over_hundred_groups_go_out_in_one_round_trip() {
    let queue = OutOfOrderQueue::new(|_| Duration::from_millis(50));
    send_all(&queue, &messages(100, |i| format!("user-{i}")), &policy())
        .await
        .unwrap();
    assert_eq!(queue.calls().len(), 10);
    assert_eq!(queue.max_in_flight.load(Ordering::SeqCst), 10);
    assert_eq!(queue.accepted().len(), 100);
}

#[tokio::test(start_paused = true)]
async fn no_more_than_ten_calls_are_in_flight() {
    let queue = OutOfOrderQueue::new(|batch| {
        // Calls finish in reverse order of their first entry.
        let first: u64 = batch[0].entry_id[1..].parse().unwrap();
        Duration::from_millis(1_000 - first)
    });
    send_all(&queue, &messages(300, |i| format!("user-{i}")), &policy())
        .await
        .unwrap();
    assert_eq!(queue.calls().len(), 30);
    assert_eq!(queue.max_in_flight.load(Ordering::SeqCst), 10);
    assert_eq!(queue.accepted().len(), 300);
}
