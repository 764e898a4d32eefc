//! One helper for every SQS-triggered function: per-message handlers, partial failures,
//! and FIFO order.
//!
//! Lambda hands a FIFO batch in queue order. Groups are independent, so they run
//! concurrently; within a group messages run one after another, and once one fails the
//! rest of that group is reported failed without running, so that the retry sees them in
//! the same order. A message without a group (a standard queue) is its own group.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::future::join_all;
use tracing::Instrument;

/// The message attribute that names a FIFO message's group.
pub const FIFO_GROUP_ATTRIBUTE: &str = "MessageGroupId";

/// The message's `ApproximateReceiveCount`: 1 on its first receive (also when SQS did not
/// say, which only a hand-made test event does).
pub fn receive_count(message: &SqsMessage) -> u32 {
    message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

/// Runs `handler` on every message; returns the failures for `ReportBatchItemFailures`.
pub async fn process_fifo_batch<F, Fut, E>(event: SqsEvent, handler: F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let failed = run_groups(event, &handler, &|_: &E| None).await;
    response(failed.into_iter().map(|f| f.id))
}

/// [`process_fifo_batch`], and then `hold(receipt_handle, delay)` for every failed
/// message for which `wait(&error)` gave a delay (Okta's rate-limit reset, a backoff —
/// decided by the caller, e.g. the step runner's `Retry::after`), and for the messages of
/// its group held back behind it (so the whole group comes back together, in order). A
/// failure without a delay, and a `hold` that fails (it only logs), leave the queue's
/// default visibility timeout.
pub async fn process_fifo_batch_holding<F, Fut, E, W, H, HFut>(
    event: SqsEvent,
    handler: F,
    wait: W,
    hold: H,
) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
    W: Fn(&E) -> Option<Duration>,
    H: Fn(String, Duration) -> HFut,
    HFut: Future<Output = ()>,
{
    let failed = run_groups(event, &handler, &wait).await;
    join_all(failed.iter().filter_map(|f| match (&f.receipt, f.after) {
        (Some(receipt), Some(after)) => Some(hold(receipt.clone(), after)),
        _ => None,
    }))
    .await;
    response(failed.into_iter().map(|f| f.id))
}

/// A message to report failed, and how long to hold it.
struct Failed {
    id: String,
    receipt: Option<String>,
    after: Option<Duration>,
}

fn response(ids: impl Iterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = ids
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

async fn run_groups<F, Fut, E>(
    event: SqsEvent,
    handler: &F,
    delay_of: &dyn Fn(&E) -> Option<Duration>,
) -> Vec<Failed>
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    join_all(
        group_in_order(event.records)
            .into_iter()
            .map(|group| run_group(group, handler, delay_of)),
    )
    .await
    .into_iter()
    .flatten()
    .collect()
}

/// Splits a batch into its groups, each in queue order, groups in order of first message.
fn group_in_order(records: Vec<SqsMessage>) -> Vec<Vec<SqsMessage>> {
    let mut groups: Vec<(Option<String>, Vec<SqsMessage>)> = Vec::new();
    for message in records {
        let group = message.attributes.get(FIFO_GROUP_ATTRIBUTE).cloned();
        match groups
            .iter_mut()
            .find(|(g, _)| group.is_some() && *g == group)
        {
            Some((_, messages)) => messages.push(message),
            None => groups.push((group, vec![message])),
        }
    }
    groups.into_iter().map(|(_, messages)| messages).collect()
}

/// Runs one group in order; returns the messages to report failed.
async fn run_group<F, Fut, E>(
    group: Vec<SqsMessage>,
    handler: &F,
    delay_of: &dyn Fn(&E) -> Option<Duration>,
) -> Vec<Failed>
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let mut failed: Vec<Failed> = Vec::new();
    for message in group {
        let id = message.message_id.clone().unwrap_or_default();
        let receipt = message.receipt_handle.clone();
        if let Some(first) = failed.first() {
            tracing::warn!(message_id = %id, "not run: an earlier message of its group failed");
            let after = first.after;
            failed.push(Failed { id, receipt, after });
            continue;
        }
        let span = tracing::info_span!("sqs_message", message_id = %id);
        if let Err(error) = handler(message).instrument(span).await {
            tracing::warn!(message_id = %id, error = %error, "message failed; it will be retried");
            let after = delay_of(&error);
            failed.push(Failed { id, receipt, after });
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn message(id: &str, group: Option<&str>) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.to_owned());
        message.body = Some(id.to_owned());
        if let Some(group) = group {
            message
                .attributes
                .insert(FIFO_GROUP_ATTRIBUTE.to_owned(), group.to_owned());
        }
        message
    }

    fn batch(messages: Vec<SqsMessage>) -> SqsEvent {
        let mut event = SqsEvent::default();
        event.records = messages;
        event
    }

    fn failures(response: &SqsBatchResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    #[tokio::test]
    async fn a_failure_fails_the_rest_of_its_group_only() {
        let ran = Mutex::new(Vec::new());
        let event = batch(vec![
            message("a1", Some("A")),
            message("b1", Some("B")),
            message("a2", Some("A")),
            message("b2", Some("B")),
            message("a3", Some("A")),
        ]);
        let response = process_fifo_batch(event, |m| {
            let id = m.body.unwrap_or_default();
            ran.lock().unwrap().push(id.clone());
            async move { if id == "a2" { Err("boom") } else { Ok(()) } }
        })
        .await;
        assert_eq!(failures(&response), vec!["a2", "a3"]);
        let ran = ran.into_inner().unwrap();
        assert!(
            !ran.contains(&"a3".to_string()),
            "a3 must not run after a2 failed"
        );
        assert!(ran.contains(&"b2".to_string()));
    }

    #[tokio::test]
    async fn messages_without_a_group_fail_alone() {
        let event = batch(vec![message("x", None), message("y", None)]);
        let response = process_fifo_batch(event, |m| async move {
            if m.body.as_deref() == Some("x") {
                Err("boom")
            } else {
                Ok(())
            }
        })
        .await;
        assert_eq!(failures(&response), vec!["x"]);
    }

    #[tokio::test]
    async fn a_clean_batch_reports_nothing() {
        let event = batch(vec![message("a", Some("A")), message("b", Some("A"))]);
        let response = process_fifo_batch(event, |_| async { Ok::<(), String>(()) }).await;
        assert!(response.batch_item_failures.is_empty());
    }

    #[tokio::test]
    async fn a_delayed_failure_holds_its_group_mates_for_as_long() {
        let receipts = |mut m: SqsMessage| {
            m.receipt_handle = m.message_id.clone().map(|id| format!("rh-{id}"));
            m
        };
        let event = batch(
            [("a1", "A"), ("a2", "A"), ("b1", "B")]
                .into_iter()
                .map(|(id, g)| receipts(message(id, Some(g))))
                .collect(),
        );
        let held = Mutex::new(Vec::new());
        let response = process_fifo_batch_holding(
            event,
            |m| async move {
                if m.body.as_deref() == Some("a1") {
                    Err("later".to_owned())
                } else {
                    Ok(())
                }
            },
            |error: &String| (error == "later").then_some(Duration::from_secs(42)),
            |receipt, after| {
                held.lock().unwrap().push((receipt, after.as_secs()));
                async {}
            },
        )
        .await;
        assert_eq!(failures(&response), vec!["a1", "a2"]);
        let mut held = held.into_inner().unwrap();
        held.sort();
        assert_eq!(
            held,
            vec![("rh-a1".to_owned(), 42), ("rh-a2".to_owned(), 42)]
        );
    }

    #[tokio::test]
    async fn a_failure_the_wait_gives_no_delay_for_is_reported_but_not_held() {
        let mut a1 = message("a1", Some("A"));
        a1.receipt_handle = Some("rh-a1".to_owned());
        let held = Mutex::new(Vec::new());
        let response = process_fifo_batch_holding(
            batch(vec![a1]),
            |_| async { Err("boom") },
            |_: &&str| None,
            |receipt, _| {
                held.lock().unwrap().push(receipt);
                async {}
            },
        )
        .await;
        assert_eq!(failures(&response), vec!["a1"]);
        assert!(held.into_inner().unwrap().is_empty());
    }
}
