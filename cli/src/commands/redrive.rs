//! `okta-hooks redrive`: moves the messages of a DLQ back to its source queue.
//!
//! ```sh
//! okta-hooks redrive "$USERS_DLQ_URL" --dry-run     # list them, change nothing
//! okta-hooks redrive "$USERS_DLQ_URL" [--to "$USERS_QUEUE_URL"] [--max 10]
//! ```
//!
//! A DLQ holds two shapes of message:
//! - an executor's *letter* (`shared/step-runner`'s `dead_letter`): `{"failure": {...},
//!   "envelope": "<the original signed body>", "envelopeId", "action", ...}` — the
//!   `envelope` string is what goes back (its signature still holds);
//! - the event router's letter (`shared/router`'s `DeadLetters`): `{"failure": {...},
//!   "org", "event": {"uuid", "type"}, "message": "<the original events-queue body>"}` —
//!   the `message` string goes back to the events queue;
//! - anything else (moved by the queue's redrive policy after too many receives) goes back
//!   exactly as it is.
//!
//! The source is `--to`, else the one queue whose redrive policy names this DLQ
//! (`ListDeadLetterSourceQueues`). On a FIFO source each message keeps its group and gets
//! a fresh dedup id (the original's 5-minute window may still be open, and the queue would
//! drop it). A message is deleted from the DLQ only once the send succeeded; messages are
//! handled one at a time, in the order received, so a group's order holds. The executors'
//! idempotency records let a redriven failed step run again (a failed step releases its
//! claim) while a step that had succeeded is not run twice.

use aws_adapters::{DeadLetterQueue, FifoIds};
use fifo_queue::QueueError;
use serde_json::Value;

/// How long a received message stays hidden while it is handled.
const VISIBILITY_SECS: i32 = 120;
/// Long-poll wait of each receive: an empty answer after it means the DLQ is drained.
const WAIT_SECS: i32 = 1;

#[derive(clap::Args)]
pub struct RedriveArgs {
    /// The DLQ (a stack output such as `UsersDlqUrl` or `EventsDlqUrl`).
    queue_url: String,
    /// The queue to move the messages to. Default: the one source queue whose redrive
    /// policy names the DLQ.
    #[arg(long)]
    to: Option<String>,
    /// List the messages (group, and for an executor's letter its envelope, action and
    /// error) and leave them where they are.
    #[arg(long)]
    dry_run: bool,
    /// Move (or list) at most this many messages.
    #[arg(long)]
    max: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum RedriveError {
    #[error("{0}")]
    Usage(String),
    #[error("SQS {call}: {error}")]
    Sqs { call: &'static str, error: String },
    #[error("{moved} message(s) moved, then message {message} failed: {error}")]
    Stopped {
        moved: usize,
        message: String,
        error: String,
    },
}

fn sqs_error(call: &'static str) -> impl FnOnce(QueueError) -> RedriveError {
    move |e| RedriveError::Sqs {
        call,
        error: e.message().to_owned(),
    }
}

/// What goes back to the source queue for one DLQ message, and how to describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redriven {
    /// The body to send: a letter's `envelope`, else the message as it is.
    pub body: String,
    /// One line for listings (never a secret: ids, action, error text).
    pub summary: String,
    /// The message is a letter (an executor's or the router's).
    pub letter: bool,
}

/// Reads one DLQ body.
pub fn redriven(body: &str) -> Redriven {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let text = |v: &Value, pointer: &str| {
        v.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_owned()
    };
    if let Some(letter) = &json
        && letter.get("failure").is_some_and(Value::is_object)
        && let Some(envelope) = letter.get("envelope").and_then(Value::as_str)
    {
        let mut error = text(letter, "/failure/error");
        if let Some(code) = letter.pointer("/failure/errorCode").and_then(Value::as_str) {
            error = format!("{code} {error}");
        }
        if let Some(status) = letter.pointer("/failure/status").and_then(Value::as_u64) {
            error = format!("{status} {error}");
        }
        return Redriven {
            body: envelope.to_owned(),
            summary: format!(
                "letter envelope={} action={} rule={} error={}",
                text(letter, "/envelopeId"),
                text(letter, "/action"),
                text(letter, "/rule"),
                one_line(&error, 160)
            ),
            letter: true,
        };
    }
    if let Some(letter) = &json
        && letter.get("failure").is_some_and(Value::is_object)
        && let Some(message) = letter.get("message").and_then(Value::as_str)
    {
        return Redriven {
            body: message.to_owned(),
            summary: format!(
                "letter event={} type={} org={} {} error={}",
                text(letter, "/event/uuid"),
                text(letter, "/event/type"),
                text(letter, "/org"),
                text(letter, "/failure/class"),
                one_line(&text(letter, "/failure/error"), 160)
            ),
            letter: true,
        };
    }
    let summary = match &json {
        // A signed envelope: its payload names the step.
        Some(v) if v.get("payload").is_some_and(Value::is_string) => {
            let payload: Value = serde_json::from_str(&text(v, "/payload")).unwrap_or_default();
            format!(
                "envelope={} action={}",
                text(&payload, "/id"),
                envelope_action(&payload)
            )
        }
        // An event of the events queue.
        Some(v) if v.get("event").is_some_and(Value::is_object) => format!(
            "event={} type={} source={}",
            text(v, "/event/uuid"),
            text(v, "/event/eventType"),
            text(v, "/source")
        ),
        _ => format!("{} byte(s)", body.len()),
    };
    Redriven {
        body: body.to_owned(),
        summary: format!("raw {summary}"),
        letter: false,
    }
}

/// The action of an envelope payload's step: the one its cursor points at in its plan
/// (`/plan/steps/N` or `/plan/on_failure/N`), or, in an envelope of the previous format,
/// its copy `/action`.
fn envelope_action(payload: &Value) -> String {
    let phase = payload.pointer("/cursor/phase").and_then(Value::as_str);
    let index = payload.pointer("/cursor/index").and_then(Value::as_u64);
    let step = match (phase, index) {
        (Some(phase @ ("steps" | "on_failure")), Some(index)) => {
            payload.pointer(&format!("/plan/{phase}/{index}/action"))
        }
        _ => None,
    };
    step.or_else(|| payload.get("action"))
        .and_then(Value::as_str)
        .unwrap_or("-")
        .to_owned()
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max).collect::<String>())
    }
}

pub async fn run(args: RedriveArgs) -> Result<(), RedriveError> {
    if args.max == Some(0) {
        return Err(RedriveError::Usage("--max must be at least 1".to_owned()));
    }
    let config = aws_adapters::load_config().await;
    let sqs = DeadLetterQueue::from_config(&config, args.queue_url.as_str());
    let dlq = args.queue_url.as_str();
    let target = match &args.to {
        Some(to) => to.clone(),
        None => source_queue(&sqs).await?,
    };
    if target == dlq {
        return Err(RedriveError::Usage(
            "the source queue is the DLQ itself".to_owned(),
        ));
    }
    let fifo = target.ends_with(".fifo");
    let limit = args.max.unwrap_or(usize::MAX);
    if args.dry_run {
        println!("dry run: messages of {dlq} (source {target}); nothing is moved");
    } else {
        println!("redriving {dlq} -> {target}");
    }

    let mut handled = 0usize;
    // Dry run: every listed message stays hidden until the end, so none is listed twice;
    // then all are made visible again.
    let mut listed: Vec<String> = Vec::new();
    let outcome = loop {
        if handled >= limit {
            break Ok(());
        }
        let wanted = (limit - handled).min(10) as i32;
        let messages = match sqs.receive(wanted, VISIBILITY_SECS, WAIT_SECS).await {
            Ok(messages) => messages,
            Err(e) => break Err(sqs_error("ReceiveMessage")(e)),
        };
        if messages.is_empty() {
            break Ok(());
        }
        let mut failed = None;
        for (index, message) in messages.iter().enumerate() {
            let receipt = message.receipt_handle.as_str();
            let group = message.group_id.clone();
            let redriven = redriven(&message.body);
            let id = message.message_id.as_deref().unwrap_or("-");
            if args.dry_run {
                println!(
                    "  {id}  group={}  {}",
                    group.as_deref().unwrap_or("-"),
                    redriven.summary
                );
                listed.push(receipt.to_owned());
                handled += 1;
                continue;
            }
            if let Err(error) =
                move_one(&sqs, &target, fifo, group.clone(), &redriven, receipt).await
            {
                // Hand the rest of this batch back at once; later messages of the same
                // group must not overtake the one that failed.
                let rest: Vec<String> = messages[index..]
                    .iter()
                    .map(|m| m.receipt_handle.clone())
                    .collect();
                release(&sqs, &rest).await;
                failed = Some((id.to_owned(), error));
                break;
            }
            println!(
                "  moved {id}  group={}  {}",
                group.as_deref().unwrap_or("-"),
                redriven.summary
            );
            handled += 1;
        }
        if let Some((message, error)) = failed {
            break Err(RedriveError::Stopped {
                moved: handled,
                message,
                error: error.to_string(),
            });
        }
    };
    if args.dry_run {
        release(&sqs, &listed).await;
    }
    outcome?;
    if args.dry_run {
        println!("{handled} message(s) on the DLQ; nothing moved");
        if let Ok(more) = sqs.approximate_count().await
            && more > handled
        {
            println!(
                "  (the DLQ reports about {more}: a FIFO DLQ lists up to 10 per group per pass)"
            );
        }
    } else {
        println!("moved {handled} message(s) to {target}");
    }
    Ok(())
}

/// Sends one message to the source, then deletes it from the DLQ.
async fn move_one(
    sqs: &DeadLetterQueue,
    target: &str,
    fifo: bool,
    group: Option<String>,
    redriven: &Redriven,
    receipt: &str,
) -> Result<(), RedriveError> {
    // A DLQ of a FIFO queue is FIFO too; a message without a group (sent to a standard
    // DLQ by hand) still needs one.
    let ids = fifo.then(|| FifoIds {
        group_id: group.unwrap_or_else(|| "redrive".to_owned()),
        dedup_id: format!("redrive-{}", uuid::Uuid::new_v4().simple()),
    });
    sqs.send_to(target, &redriven.body, ids)
        .await
        .map_err(|e| RedriveError::Sqs {
            call: "SendMessage",
            error: format!("{} (it stays on the DLQ)", e.message()),
        })?;
    // Only now: a failed send leaves the message on the DLQ, visible again later.
    sqs.delete(receipt).await.map_err(|e| RedriveError::Sqs {
        call: "DeleteMessage",
        error: format!(
            "{} — it WAS sent to the source: delete it from the DLQ by hand, or a \
             later redrive sends it again (the executors' idempotency absorbs that)",
            e.message()
        ),
    })?;
    Ok(())
}

/// Makes received messages visible again (visibility 0). Best effort: otherwise they
/// reappear when their visibility timeout ends.
async fn release(sqs: &DeadLetterQueue, receipts: &[String]) {
    for receipt in receipts {
        if let Err(e) = sqs.release(receipt).await {
            eprintln!(
                "warning: a message stays hidden for up to {VISIBILITY_SECS} s: {}",
                e.message()
            );
        }
    }
}

/// The one queue whose redrive policy sends to this DLQ.
async fn source_queue(sqs: &DeadLetterQueue) -> Result<String, RedriveError> {
    let dlq = sqs.url();
    let sources = sqs
        .source_queues()
        .await
        .map_err(sqs_error("ListDeadLetterSourceQueues"))?;
    match sources.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(RedriveError::Usage(format!(
            "no queue names {dlq} as its dead-letter queue: give --to SOURCE_URL"
        ))),
        many => Err(RedriveError::Usage(format!(
            "{} queues use {dlq} as their dead-letter queue ({}): choose one with --to",
            many.len(),
            many.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_letter_sends_its_envelope_and_names_the_failure() {
        let envelope = r#"{"kid":"k1","sig":"abc","payload":"{\"id\":\"e1\"}"}"#;
        let letter = json!({
            "failure": {"class": "permanent", "error": "Not found:\nuser", "status": 404,
                        "errorCode": "E0000007"},
            "family": "users", "envelopeId": "e1", "action": "user.suspend",
            "rule": "lock-down", "event": "u1", "org": "acme", "envelope": envelope,
        });
        let r = redriven(&letter.to_string());
        assert!(r.letter);
        assert_eq!(r.body, envelope);
        assert_eq!(
            r.summary,
            "letter envelope=e1 action=user.suspend rule=lock-down error=404 E0000007 Not found: user"
        );
    }

    #[test]
    fn anything_else_goes_back_as_it_is() {
        let sealed = json!({"kid": "k1", "sig": "s",
            "payload": json!({"id": "e2", "action": "notify.webhook"}).to_string()})
        .to_string();
        let r = redriven(&sealed);
        assert!(!r.letter);
        assert_eq!(r.body, sealed);
        assert_eq!(r.summary, "raw envelope=e2 action=notify.webhook");
        // An envelope refers to its step: the action is read from the plan at its cursor.
        let payload = json!({"id": "e3", "cursor": {"phase": "on_failure", "index": 1},
            "plan": {"steps": [{"action": "user.suspend"}],
                     "on_failure": [{"action": "user.unlock"}, {"action": "notify.webhook"}]}});
        let sealed = json!({"kid": "k1", "sig": "s", "payload": payload.to_string()}).to_string();
        assert_eq!(
            redriven(&sealed).summary,
            "raw envelope=e3 action=notify.webhook"
        );

        let event = json!({"org": "acme", "source": "hook",
            "event": {"uuid": "u9", "eventType": "user.account.lock"}})
        .to_string();
        assert_eq!(
            redriven(&event).summary,
            "raw event=u9 type=user.account.lock source=hook"
        );
        // `envelope` without `failure` is not a letter.
        let lookalike = json!({"envelope": "x"}).to_string();
        assert_eq!(redriven(&lookalike).body, lookalike);
        assert_eq!(redriven("not json").body, "not json");
        assert_eq!(redriven("not json").summary, "raw 8 byte(s)");
    }

    #[test]
    fn a_router_letter_sends_the_original_event_message_back() {
        let message = json!({"org": "acme", "source": "hook", "deliveryId": "d1",
            "event": {"uuid": "u7", "eventType": "user.lifecycle.suspend"}})
        .to_string();
        let letter = json!({
            "failure": {"class": "exhausted", "error": "directory: 503\nagain"},
            "org": "acme", "event": {"uuid": "u7", "type": "user.lifecycle.suspend"},
            "deliveryId": "d1", "receiveCount": 12, "message": message,
        });
        let r = redriven(&letter.to_string());
        assert!(r.letter);
        assert_eq!(r.body, message, "the events-queue body, as it was");
        assert_eq!(
            r.summary,
            "letter event=u7 type=user.lifecycle.suspend org=acme exhausted error=directory: 503 again"
        );
    }
}
