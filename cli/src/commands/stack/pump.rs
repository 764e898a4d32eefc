//! An SQS event source mapping, pumped as Lambda pumps it.
//!
//! What Lambda does, and so what this does:
//! - up to `MaximumConcurrency` pollers (default 5 here) each receive up to `BatchSize`
//!   messages and invoke the function with them as one SQS event; the queue's visibility
//!   timeout applies to the messages received (a FIFO queue holds back a message group
//!   while any of its messages is in flight, so one group is never processed twice at once);
//! - a response with `ReportBatchItemFailures`: every message not listed in
//!   `batchItemFailures` is deleted, the listed ones are left to become visible again after
//!   the visibility timeout; a list naming a message that is not in the batch, or an
//!   invocation that fails (function error, crash, timeout), fails the whole batch: nothing
//!   is deleted; without `ReportBatchItemFailures` a response deletes the whole batch;
//! - the queue's redrive policy is the emulator's to apply (a message received
//!   `maxReceiveCount` times goes to the DLQ on the next receive), as SQS applies it;
//! - the pollers use the function's role (its AWS proxy), as Lambda polls with the
//!   execution role: `sqs:GetQueueAttributes` (read once, before polling),
//!   `sqs:ReceiveMessage` and `sqs:DeleteMessage` must be granted.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName, QueueAttributeName,
};
use bytes::Bytes;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::runtime::{Function, SqsMapping};

/// The pause after an empty receive, doubling while the queue stays empty up to
/// [`IDLE_MAX`]. Receives are short (`WaitTimeSeconds` 0), unlike Lambda's long polls:
/// moto decides which FIFO message groups are in flight when a receive starts, so a long
/// poll woken by a new message could hand out a group's next message while another poller
/// holds its previous one. Short receives of one queue reach moto one at a time (see
/// `aws_proxy`), so each sees the groups as they are.
const IDLE_FIRST: Duration = Duration::from_millis(25);
/// The longest pause between receives of an empty queue.
const IDLE_MAX: Duration = Duration::from_secs(1);
/// Pollers when the mapping sets no maximum concurrency.
const DEFAULT_CONCURRENCY: u32 = 5;

/// What one batch came to, for the printed line and the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Every message was processed (and deleted).
    Done(usize),
    /// The function reported these message ids as failed; the others were deleted.
    Partial {
        /// Messages deleted.
        deleted: usize,
        /// Messages left to come back after the visibility timeout.
        failed: usize,
    },
    /// The invocation failed: every message comes back after the visibility timeout.
    Failed(String),
}

/// Starts the pollers of `mapping` for `function`, reaching SQS at `sqs_endpoint` (the
/// function's AWS proxy). Each batch's outcome is printed through `printer`.
pub fn start(
    function: &Arc<Function>,
    mapping: SqsMapping,
    sqs: &Client,
    printer: &mpsc::UnboundedSender<String>,
) -> Vec<JoinHandle<()>> {
    let pollers = mapping
        .max_concurrency
        .unwrap_or(DEFAULT_CONCURRENCY)
        .max(1);
    let mapping = Arc::new(mapping);
    (0..pollers)
        .map(|_| {
            let (function, mapping, sqs, printer) = (
                function.clone(),
                mapping.clone(),
                sqs.clone(),
                printer.clone(),
            );
            tokio::spawn(async move { poll(&function, &mapping, &sqs, &printer).await })
        })
        .collect()
}

async fn poll(
    function: &Function,
    mapping: &SqsMapping,
    sqs: &Client,
    printer: &mpsc::UnboundedSender<String>,
) {
    let queue = mapping
        .queue_arn
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    // Lambda reads the queue's attributes with the function's role before it polls (a role
    // without `sqs:GetQueueAttributes` gets no mapping).
    if let Err(error) = sqs
        .get_queue_attributes()
        .queue_url(&mapping.queue_url)
        .attribute_names(QueueAttributeName::VisibilityTimeout)
        .send()
        .await
    {
        let _ = printer.send(format!(
            "{queue} → {}: mapping not started: the role cannot read the queue: {}",
            function.spec.logical_id,
            aws_sdk_sqs::error::DisplayErrorContext(&error)
        ));
        return;
    }
    let mut idle = IDLE_FIRST;
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&mapping.queue_url)
            .max_number_of_messages(mapping.batch_size.clamp(1, 10))
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await;
        let messages = match received {
            Ok(output) => output.messages.unwrap_or_default(),
            Err(error) => {
                let _ = printer.send(format!(
                    "{queue} → {}: receive failed: {}",
                    function.spec.logical_id,
                    aws_sdk_sqs::error::DisplayErrorContext(&error)
                ));
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            tokio::time::sleep(idle).await;
            idle = (idle * 2).min(IDLE_MAX);
            continue;
        }
        idle = IDLE_FIRST;
        let outcome = run_batch(function, mapping, sqs, &messages).await;
        let line = match &outcome {
            BatchOutcome::Done(n) => format!("{n} done"),
            BatchOutcome::Partial { deleted, failed } => {
                format!(
                    "{deleted} done, {failed} failed (visible again in {} s)",
                    mapping.visibility_timeout
                )
            }
            BatchOutcome::Failed(reason) => {
                format!("batch failed ({reason}): every message comes back")
            }
        };
        let _ = printer.send(format!(
            "{queue} → {}: {} message{}: {line}",
            function.spec.logical_id,
            messages.len(),
            if messages.len() == 1 { "" } else { "s" }
        ));
    }
}

/// Invokes the function with one batch and deletes what Lambda would delete.
async fn run_batch(
    function: &Function,
    mapping: &SqsMapping,
    sqs: &Client,
    messages: &[Message],
) -> BatchOutcome {
    let event = sqs_event(mapping, messages);
    let response = match function.invoke(Bytes::from(event.to_string())).await {
        Ok(response) => response,
        Err(error) => return BatchOutcome::Failed(error.to_string()),
    };
    let failed = if mapping.report_batch_item_failures {
        match batch_item_failures(&response, messages) {
            Ok(failed) => failed,
            Err(reason) => return BatchOutcome::Failed(reason),
        }
    } else {
        HashSet::new()
    };
    let done: Vec<&Message> = messages
        .iter()
        .filter(|m| !failed.contains(m.message_id().unwrap_or_default()))
        .collect();
    if let Err(reason) = delete(sqs, &mapping.queue_url, &done).await {
        return BatchOutcome::Failed(format!("processed, but deleting failed: {reason}"));
    }
    if failed.is_empty() {
        BatchOutcome::Done(done.len())
    } else {
        BatchOutcome::Partial {
            deleted: done.len(),
            failed: failed.len(),
        }
    }
}

/// The message ids a `ReportBatchItemFailures` response names; an error when the response
/// names one that is not in the batch or is not the documented shape (Lambda then fails
/// the whole batch).
fn batch_item_failures(response: &[u8], messages: &[Message]) -> Result<HashSet<String>, String> {
    let value: Value = if response.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(response).map_err(|e| format!("response is not JSON: {e}"))?
    };
    let items = match value.get("batchItemFailures") {
        None | Some(Value::Null) => return Ok(HashSet::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(format!("batchItemFailures is not a list: {other}")),
    };
    let ids: HashSet<&str> = messages.iter().filter_map(Message::message_id).collect();
    let mut failed = HashSet::new();
    for item in items {
        match item.get("itemIdentifier").and_then(Value::as_str) {
            Some(id) if ids.contains(id) => {
                failed.insert(id.to_owned());
            }
            other => {
                return Err(format!(
                    "batchItemFailures names {other:?}, not in the batch"
                ));
            }
        }
    }
    Ok(failed)
}

async fn delete(sqs: &Client, queue_url: &str, done: &[&Message]) -> Result<(), String> {
    for chunk in done.chunks(10) {
        let entries: Vec<DeleteMessageBatchRequestEntry> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .build()
                    .ok()
            })
            .collect();
        let output = sqs
            .delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())?;
        if let Some(failed) = output.failed.first() {
            return Err(format!(
                "{}: {}",
                failed.code,
                failed.message.clone().unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// The SQS event Lambda gives the function (`Records`, as `aws_lambda_events` reads it).
fn sqs_event(mapping: &SqsMapping, messages: &[Message]) -> Value {
    let region = mapping.queue_arn.split(':').nth(3).unwrap_or("us-east-1");
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: Map<String, Value> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), Value::String(v.clone())))
                        .collect()
                })
                .unwrap_or_default();
            let message_attributes: Map<String, Value> = m
                .message_attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                json!({
                                    "stringValue": v.string_value(),
                                    "dataType": v.data_type(),
                                    "stringListValues": [],
                                    "binaryListValues": [],
                                }),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "md5OfBody": m.md5_of_body(),
                "md5OfMessageAttributes": m.md5_of_message_attributes(),
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "eventSource": "aws:sqs",
                "eventSourceARN": mapping.queue_arn,
                "awsRegion": region,
            })
        })
        .collect();
    json!({ "Records": records })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str) -> Message {
        Message::builder()
            .message_id(id)
            .receipt_handle(format!("r-{id}"))
            .body("{}")
            .build()
    }

    #[test]
    fn a_response_without_failures_fails_no_message() {
        let batch = [message("a"), message("b")];
        assert!(batch_item_failures(b"", &batch).unwrap().is_empty());
        assert!(batch_item_failures(b"null", &batch).unwrap().is_empty());
        assert!(
            batch_item_failures(br#"{"batchItemFailures":[]}"#, &batch)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_listed_messages_are_the_failed_ones() {
        let batch = [message("a"), message("b")];
        let failed =
            batch_item_failures(br#"{"batchItemFailures":[{"itemIdentifier":"b"}]}"#, &batch)
                .unwrap();
        assert_eq!(failed, HashSet::from(["b".to_owned()]));
    }

    #[test]
    fn a_failure_naming_a_message_not_in_the_batch_fails_the_whole_batch() {
        let batch = [message("a")];
        for bad in [
            br#"{"batchItemFailures":[{"itemIdentifier":"zz"}]}"#.as_slice(),
            br#"{"batchItemFailures":[{"itemIdentifier":""}]}"#,
            br#"{"batchItemFailures":[{}]}"#,
            br#"{"batchItemFailures":"a"}"#,
            b"not json",
        ] {
            assert!(
                batch_item_failures(bad, &batch).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn the_event_carries_each_message_as_lambda_gives_it() {
        let mapping = SqsMapping {
            queue_arn: "arn:aws:sqs:eu-west-1:123456789012:s-events.fifo".into(),
            queue_url: "http://127.0.0.1:1/123456789012/s-events.fifo".into(),
            batch_size: 10,
            max_concurrency: Some(2),
            report_batch_item_failures: true,
            visibility_timeout: 30,
        };
        let event = sqs_event(&mapping, &[message("a")]);
        let parsed: aws_lambda_events::event::sqs::SqsEvent =
            serde_json::from_value(event.clone()).expect("the SqsEvent the functions parse");
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.records[0].message_id.as_deref(), Some("a"));
        assert_eq!(
            parsed.records[0].event_source_arn.as_deref(),
            Some(mapping.queue_arn.as_str())
        );
        assert_eq!(parsed.records[0].aws_region.as_deref(), Some("eu-west-1"));
        assert_eq!(parsed.records[0].receipt_handle.as_deref(), Some("r-a"));
    }
}
