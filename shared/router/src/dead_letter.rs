//! Letters on the events DLQ: an event that cannot be routed leaves one that says why.
//!
//! A permanent failure (a malformed message, an unknown org, a secret without signing
//! keys…) goes to the DLQ at once; a transient one is retried, and on the message's last
//! receive (the events queue's `maxReceiveCount`) it goes too, as `exhausted`, instead of
//! SQS's redrive moving the raw message there without a word. The letter keeps the
//! original body, so `okta-hooks redrive` can send it back to the events queue.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use fifo_queue::{FifoMessage, FifoQueue, ResendPolicy, send_all};
use okta_events::NO_SUBJECT_GROUP;
use retry::{Attempts, Decision, GiveUp, Policy, Tries};
use serde::Serialize;
use serde_json::{Value, json};

use crate::{RouteError, Routed};

/// One message as received from the events queue.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// The message body as received: routed, and kept whole in a letter so a redrive
    /// sends back exactly what came.
    pub body: &'a str,
    /// Its `MessageGroupId` (the letter keeps it, so a redrive keeps the group's order).
    pub group_id: Option<&'a str>,
    /// Its `ApproximateReceiveCount`: 1 on the first receive.
    pub receive_count: u32,
}

/// Why a letter was written: `failure.class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LetterClass {
    /// Retrying cannot help.
    Permanent,
    /// A transient failure, still failing on the last receive.
    Exhausted,
}

impl LetterClass {
    /// Whether a message that failed with `error` on its `receive_count`-th receive of a
    /// queue whose redrive `maxReceiveCount` is `max_receive_count` is given up on, and
    /// why: at once for a permanent error, on the last receive for a transient one (every
    /// receive is one try: [`Attempts::receives_only`]). `None`: retry it (the wait is
    /// the queue's visibility timeout).
    pub fn after(error: &RouteError, receive_count: u32, max_receive_count: u32) -> Option<Self> {
        let policy = Policy::queue(Attempts::receives_only(max_receive_count));
        let tries = Tries {
            failures: 0,
            receive_count,
        };
        match policy.decide(error.failure(), tries) {
            Decision::GiveUp(GiveUp::Permanent) => Some(LetterClass::Permanent),
            Decision::GiveUp(GiveUp::Exhausted(_)) => Some(LetterClass::Exhausted),
            Decision::RetryAfter { .. } => None,
        }
    }

    /// The class as the letter's `failure.class` spells it, for log fields that must read
    /// the same as the letters an operator searches.
    pub fn as_str(self) -> &'static str {
        match self {
            LetterClass::Permanent => "permanent",
            LetterClass::Exhausted => "exhausted",
        }
    }
}

/// What became of one message.
#[derive(Debug)]
pub enum Settled {
    /// Routed (or a duplicate): the message is done.
    Routed(Routed),
    /// On the DLQ with a letter: the message is done.
    DeadLettered {
        /// Why it was given up on, as the letter says.
        class: LetterClass,
        /// The error the letter reports.
        error: RouteError,
    },
}

/// The events DLQ and the receive count after which SQS would move a message there.
pub struct DeadLetters<Q> {
    /// The events DLQ (a FIFO queue) the letters go to.
    pub queue: Q,
    /// The events queue's redrive `maxReceiveCount`: the receive with this count is the
    /// last one.
    pub max_receive_count: u32,
}

impl<Q: FifoQueue> DeadLetters<Q> {
    /// Turns the result of routing `message` into what to do with it. `Ok`: the message
    /// is done (delete it). `Err`: leave it on the queue for the retry — a transient
    /// failure before the last receive, or a letter that could not be sent.
    pub async fn settle(
        &self,
        message: Received<'_>,
        result: Result<Routed, RouteError>,
    ) -> Result<Settled, RouteError> {
        let error = match result {
            Ok(routed) => return Ok(Settled::Routed(routed)),
            Err(error) => error,
        };
        // Retried: the wait is the queue's visibility timeout, the router holds nothing back.
        let Some(class) = LetterClass::after(&error, message.receive_count, self.max_receive_count)
        else {
            tracing::info!(receive = message.receive_count, max = self.max_receive_count,
                error = %error, "event not routed: retried");
            return Err(error);
        };
        let letter = letter(&message, class, &error);
        let (uuid, event_type) = (
            letter.pointer("/event/uuid").and_then(Value::as_str),
            letter.pointer("/event/type").and_then(Value::as_str),
        );
        let sent = FifoMessage {
            entry_id: "dead".to_owned(),
            body: letter.to_string(),
            group_id: message.group_id.unwrap_or(NO_SUBJECT_GROUP).to_owned(),
            dedup_id: fresh_dedup_id(message.body),
        };
        if let Err(e) = send_all(&self.queue, &[sent], &ResendPolicy::default()).await {
            tracing::error!(event = uuid.unwrap_or(""), error = %error, letter_error = %e,
                "event not routed, and its letter could not be sent: left on the queue");
            return Err(RouteError::Letter {
                reason: e.to_string(),
                error: Box::new(error),
            });
        }
        tracing::warn!(event = uuid.unwrap_or(""), event_type = event_type.unwrap_or(""),
            class = class.as_str(), receive = message.receive_count, error = %error,
            "event not routed: on the events DLQ with a letter");
        Ok(Settled::DeadLettered { class, error })
    }
}

/// `{failure: {class, error}, org, event: {uuid, type}, deliveryId, receiveCount,
/// message}`: what failed and why, the keys an operator searches by, and the original
/// body (what a redrive sends back). Keys the body lacks are null.
fn letter(message: &Received<'_>, class: LetterClass, error: &RouteError) -> Value {
    // Read leniently: the body may be the very thing that is malformed.
    let body: Value = serde_json::from_str(message.body).unwrap_or(Value::Null);
    let text = |pointer: &str| body.pointer(pointer).and_then(Value::as_str);
    json!({
        "failure": {"class": class, "error": error.to_string()},
        "org": text("/org"),
        "event": {"uuid": text("/event/uuid"), "type": text("/event/eventType")},
        "deliveryId": text("/deliveryId"),
        "receiveCount": message.receive_count,
        "message": message.body,
    })
}

/// Unique per letter: the same event failing again after a redrive must land again, not
/// be dropped as a duplicate within SQS's 5-minute window.
pub(crate) fn fresh_dedup_id(body: &str) -> String {
    use std::hash::{Hash, Hasher};
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    std::process::id().hash(&mut hasher);
    format!(
        "letter-{nanos:x}-{:x}-{:016x}",
        SEQUENCE.fetch_add(1, Ordering::Relaxed),
        hasher.finish()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transient_error_is_retried_until_the_queue_s_last_receive() {
        let transient = RouteError::Queue {
            family: actions::Family::Users,
            reason: "throttled".into(),
        };
        assert_eq!(transient.failure(), retry::Failure::Retryable);
        assert_eq!(LetterClass::after(&transient, 4, 5), None);
        assert_eq!(
            LetterClass::after(&transient, 5, 5),
            Some(LetterClass::Exhausted)
        );
    }

    #[test]
    fn a_permanent_error_gives_up_on_its_first_receive() {
        let permanent = RouteError::Malformed("expected value".into());
        assert_eq!(permanent.failure(), retry::Failure::Permanent);
        assert_eq!(
            LetterClass::after(&permanent, 1, 5),
            Some(LetterClass::Permanent)
        );
    }

    #[test]
    fn dedup_ids_are_fresh_and_fit_sqs() {
        let a = fresh_dedup_id("same body");
        let b = fresh_dedup_id("same body");
        assert_ne!(a, b);
        assert!(okta_events::is_sqs_id(&a), "{a}");
    }

    #[test]
    fn a_letter_of_an_unreadable_body_keeps_the_body_and_nulls_the_keys() {
        let message = Received {
            body: "not json",
            group_id: None,
            receive_count: 1,
        };
        let letter = letter(
            &message,
            LetterClass::Permanent,
            &RouteError::Malformed("expected value".into()),
        );
        assert_eq!(letter["failure"]["class"], "permanent");
        assert_eq!(letter["message"], "not json");
        assert!(letter["org"].is_null() && letter["event"]["uuid"].is_null());
    }
}
