//! Events of a delivery that cannot go on the events queue, parked with their reason.
//!
//! Okta never retries a `4xx`, so refusing a whole delivery for one bad event would lose
//! the good ones. Instead each bad event is parked on the rejects queue (an operator
//! looks at it; an alarm watches the queue's depth) and the delivery is answered `200`
//! once the good events are on the events queue and the bad ones are parked.

use fifo_queue::{FailedEntry, FifoMessage, FifoQueue, QueueError};
use okta_events::is_sqs_id;
use serde_json::json;
use sha2::{Digest, Sha256};

/// How much of a rejected event's text a parked message carries.
///
/// JSON-escaping at most doubles valid JSON text, so a parked message stays well under
/// SQS's 1 MiB whatever the event's size; a longer event is cut here and parked with its
/// full size and SHA-256.
pub const PARKED_EVENT_BYTES: usize = 400 * 1024;

/// How much of the delivery id a parked message carries (Okta's ids are 36 characters;
/// this only bounds a hostile one).
const PARKED_DELIVERY_ID_BYTES: usize = 200;

/// One event of a delivery that will not go on the events queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejected<'a> {
    /// Its position in `data.events`.
    pub index: usize,
    /// A stable name: `missing_uuid`, `too_large`, `too_deep`, … (see
    /// [`okta_events::QueueEntryError::reason`]).
    pub reason: &'static str,
    /// What exactly is wrong, for the operator.
    pub detail: String,
    /// The event as Okta sent it.
    pub text: &'a str,
}

impl Rejected<'_> {
    /// The rejects-queue message: the event (or its first [`PARKED_EVENT_BYTES`]), its
    /// size and SHA-256, the org, the delivery id and the reason.
    ///
    /// The dedup id is a hash of org, delivery, position and event, so Okta's retry of
    /// the delivery parks nothing twice within SQS's 5-minute window.
    pub fn parked(&self, org: &str, delivery_id: &str) -> FifoMessage {
        let sha256 = hex(&Sha256::digest(self.text.as_bytes()));
        let event = prefix(self.text, PARKED_EVENT_BYTES);
        let body = json!({
            "org": org,
            "deliveryId": prefix(delivery_id, PARKED_DELIVERY_ID_BYTES),
            "index": self.index,
            "reason": self.reason,
            "detail": self.detail,
            "size": self.text.len(),
            "sha256": sha256,
            "truncated": event.len() < self.text.len(),
            "event": event,
        });
        let dedup = Sha256::digest(format!("{org}\n{delivery_id}\n{}\n{sha256}", self.index));
        FifoMessage {
            entry_id: format!("r{}", self.index),
            body: body.to_string(),
            group_id: if is_sqs_id(org) { org } else { "rejects" }.to_owned(),
            dedup_id: hex(&dedup),
        }
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The rejects "queue" of a handler built without one (the local runner): each parked
/// event is logged — reason, size and hash, never its content — and counted as parked.
///
/// Deployed, `hook-ingest` always has a real rejects queue.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogOnlyRejects;

impl FifoQueue for LogOnlyRejects {
    async fn send_batch(&self, batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        for message in batch {
            tracing::warn!(entry = %message.entry_id, dedup = %message.dedup_id,
                "no rejects queue configured: the rejected event is only in this log");
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parked_event_carries_its_text_size_hash_and_reason() {
        let rejected = Rejected {
            index: 2,
            reason: "missing_uuid",
            detail: "has no uuid".into(),
            text: r#"{"eventType":"x"}"#,
        };
        let message = rejected.parked("acme", "d-1");
        let body: serde_json::Value = serde_json::from_str(&message.body).unwrap();
        assert_eq!(body["event"], r#"{"eventType":"x"}"#);
        assert_eq!(body["reason"], "missing_uuid");
        assert_eq!(body["deliveryId"], "d-1");
        assert_eq!(body["org"], "acme");
        assert_eq!(body["index"], 2);
        assert_eq!(body["size"], 17);
        assert_eq!(body["truncated"], false);
        assert_eq!(body["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(message.group_id, "acme");
        assert!(is_sqs_id(&message.dedup_id));
        assert_eq!(rejected.parked("acme", "d-1").dedup_id, message.dedup_id);
        assert_ne!(rejected.parked("acme", "d-2").dedup_id, message.dedup_id);
    }

    #[test]
    fn an_oversize_event_is_cut_on_a_character_boundary_and_fits_a_message() {
        let text = format!(r#"{{"m":"{}"}}"#, "é\"".repeat(700 * 1024));
        let rejected = Rejected {
            index: 0,
            reason: "too_large",
            detail: String::new(),
            text: &text,
        };
        let message = rejected.parked("acme", "d");
        assert!(message.body.len() < fifo_queue::MAX_MESSAGE_BYTES);
        let body: serde_json::Value = serde_json::from_str(&message.body).unwrap();
        assert_eq!(body["truncated"], true);
        assert_eq!(body["size"], text.len());
        let event = body["event"].as_str().unwrap();
        assert!(event.len() <= PARKED_EVENT_BYTES && text.starts_with(event));
    }
}
