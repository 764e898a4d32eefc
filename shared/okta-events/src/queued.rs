//! The body of a message on the events queue.

use serde::{Deserialize, Serialize};

/// One System Log event on its way to the router, with where it came from.
///
/// The org travels with the event because one deployment serves several Okta orgs and the
/// router needs the org's rules and secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedEvent<E> {
    /// The org whose hook delivered the event (the `{org}` of `/hooks/okta/{org}`).
    pub org: String,
    /// How it arrived: `"hook"` for an event hook delivery, `"poller"` for the System Log.
    pub source: String,
    /// The delivery's `eventId`, when it came from a hook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    /// The event, as Okta sent it.
    pub event: E,
}

/// The FIFO group of events that name neither a user target nor an actor.
pub const NO_SUBJECT_GROUP: &str = "no-subject";

/// One event as a message of the events queue: the body, and the ids SQS needs.
///
/// Every producer (hook ingest, the System Log poller, replays) builds its messages with
/// [`queue_entry`], so one event always gets the same dedup id and group whatever way it
/// came: SQS drops the second copy within 5 minutes, the router's ledger after that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    /// `MessageDeduplicationId`: the event's `uuid`.
    pub dedup_id: String,
    /// `MessageGroupId`: the event's subject (see [`crate::subject_of`]), else
    /// [`NO_SUBJECT_GROUP`].
    pub group_id: String,
    /// The [`QueuedEvent`] as JSON, with the event exactly as given.
    pub body: String,
    /// The event's `eventType`.
    pub event_type: String,
}

/// Why an event cannot go on the events queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueEntryError {
    /// Not a JSON object with the keys of a System Log event.
    NotAnEvent,
    /// No `uuid`.
    NoUuid,
    /// A `uuid` SQS refuses as a dedup id.
    BadUuid,
    /// No `eventType`.
    NoEventType,
    /// The body could not be encoded.
    Encode,
}

impl std::fmt::Display for QueueEntryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            QueueEntryError::NotAnEvent => "is not a System Log event object",
            QueueEntryError::NoUuid => "has no uuid",
            QueueEntryError::BadUuid => "has a uuid that is not 1-128 printable ASCII characters",
            QueueEntryError::NoEventType => "has no eventType",
            QueueEntryError::Encode => "cannot be re-encoded",
        })
    }
}

impl std::error::Error for QueueEntryError {}

/// The events-queue message of one raw event: dedup id = `uuid`, group = subject.
pub fn queue_entry(
    org: &str,
    source: &str,
    delivery_id: Option<&str>,
    raw: &serde_json::value::RawValue,
) -> Result<QueueEntry, QueueEntryError> {
    let key = crate::EventKey::parse(raw).map_err(|_| QueueEntryError::NotAnEvent)?;
    let uuid = key.uuid.as_deref().ok_or(QueueEntryError::NoUuid)?;
    if !is_sqs_id(uuid) {
        return Err(QueueEntryError::BadUuid);
    }
    let event_type = key
        .event_type
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or(QueueEntryError::NoEventType)?;
    let group_id = key
        .subject_id()
        .filter(|s| is_sqs_id(s))
        .unwrap_or(NO_SUBJECT_GROUP)
        .to_owned();
    let body = serde_json::to_string(&QueuedEvent {
        org: org.to_owned(),
        source: source.to_owned(),
        delivery_id: delivery_id.map(str::to_owned),
        event: raw,
    })
    .map_err(|_| QueueEntryError::Encode)?;
    Ok(QueueEntry {
        dedup_id: uuid.to_owned(),
        group_id,
        body,
        event_type: event_type.to_owned(),
    })
}

/// SQS dedup and group ids: 1 to 128 characters of alphanumerics and punctuation.
pub fn is_sqs_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn dedup_by_uuid_group_by_user_target_then_actor() {
        let event = raw(
            r#"{"uuid":"u-1","eventType":"user.account.lock","actor":{"id":"00actor","type":"User"},"target":[{"id":"0oaapp","type":"AppInstance"},{"id":"00user","type":"User"}]}"#,
        );
        let entry = queue_entry("acme", "poller", None, &event).unwrap();
        assert_eq!(entry.dedup_id, "u-1");
        assert_eq!(entry.group_id, "00user");
        assert_eq!(entry.event_type, "user.account.lock");
        let body: serde_json::Value = serde_json::from_str(&entry.body).unwrap();
        assert_eq!(body["org"], "acme");
        assert_eq!(body["source"], "poller");
        assert!(body.get("deliveryId").is_none());
        assert_eq!(body["event"]["target"][1]["id"], "00user");

        let actor_only = raw(r#"{"uuid":"u-2","eventType":"x","actor":{"id":"00actor"}}"#);
        let entry = queue_entry("acme", "hook", Some("d1"), &actor_only).unwrap();
        assert_eq!(entry.group_id, "00actor");
        assert!(entry.body.contains(r#""deliveryId":"d1""#));
        let nobody = raw(r#"{"uuid":"u-3","eventType":"x"}"#);
        assert_eq!(
            queue_entry("acme", "hook", None, &nobody).unwrap().group_id,
            NO_SUBJECT_GROUP
        );
    }

    #[test]
    fn refuses_what_sqs_or_the_router_could_not_take() {
        let err = |text: &str| queue_entry("o", "s", None, &raw(text)).unwrap_err();
        assert_eq!(err(r#"[1]"#), QueueEntryError::NotAnEvent);
        assert_eq!(err(r#"{"eventType":"x"}"#), QueueEntryError::NoUuid);
        assert_eq!(
            err(r#"{"uuid":"has space","eventType":"x"}"#),
            QueueEntryError::BadUuid
        );
        assert_eq!(
            err(r#"{"uuid":"u","eventType":""}"#),
            QueueEntryError::NoEventType
        );
        assert_eq!(QueueEntryError::NoUuid.to_string(), "has no uuid");
    }
}
