//! The body of a message on the events queue.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One System Log event on its way to the router, with where it came from.
///
/// The org travels with the event because one deployment serves several Okta orgs and the
/// router needs the org's rules and secret.
///
/// `O` is the org's type: a plain string by default (this crate knows nothing of org
/// names); the router reads it as `org_secrets::OrgName`, so a body naming an invalid
/// org does not deserialise and nothing checks the name again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedEvent<E, O = String> {
    /// The org whose hook delivered the event (the `{org}` of `/hooks/okta/{org}`).
    pub org: O,
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
    /// Arrays and objects nest deeper than [`MAX_QUEUED_DEPTH`] allows.
    TooDeep,
    /// The body could not be encoded.
    Encode,
}

impl QueueEntryError {
    /// A stable, machine-readable name for metrics and parked events.
    pub fn reason(&self) -> &'static str {
        match self {
            QueueEntryError::NotAnEvent => "not_an_event",
            QueueEntryError::NoUuid => "missing_uuid",
            QueueEntryError::BadUuid => "bad_uuid",
            QueueEntryError::NoEventType => "missing_event_type",
            QueueEntryError::TooDeep => "too_deep",
            QueueEntryError::Encode => "unencodable",
        }
    }
}

impl std::fmt::Display for QueueEntryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            QueueEntryError::NotAnEvent => "is not a System Log event object",
            QueueEntryError::NoUuid => "has no uuid",
            QueueEntryError::BadUuid => "has a uuid that is not 1-128 printable ASCII characters",
            QueueEntryError::NoEventType => "has no eventType",
            QueueEntryError::TooDeep => "nests arrays and objects too deeply",
            QueueEntryError::Encode => "cannot be re-encoded",
        })
    }
}

impl std::error::Error for QueueEntryError {}

/// The events-queue message of one raw event: dedup id = `uuid`, group = subject.
///
/// Whatever this accepts, the router's [`parse_queued`] reads back (the same depth check,
/// the same routing keys), so an event refused here is refused at the door rather than
/// failing in the router after the producer has said it was taken.
pub fn queue_entry(
    org: &str,
    source: &str,
    delivery_id: Option<&str>,
    raw: &serde_json::value::RawValue,
) -> Result<QueueEntry, QueueEntryError> {
    let body = serde_json::to_string(&QueuedEvent {
        org: org.to_owned(),
        source: source.to_owned(),
        delivery_id: delivery_id.map(str::to_owned),
        event: raw,
    })
    .map_err(|_| QueueEntryError::Encode)?;
    check_depth(&body).map_err(|_| QueueEntryError::TooDeep)?;
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
    Ok(QueueEntry {
        dedup_id: uuid.to_owned(),
        group_id,
        body,
        event_type: event_type.to_owned(),
    })
}

/// The deepest nesting of arrays and objects an events-queue body may have.
///
/// `serde_json` refuses to build a value nested 128 levels or more; this limit sits below
/// that, so [`check_depth`] (which both the producers and the router apply) decides, never
/// the parser. A System Log event nests about six levels.
pub const MAX_QUEUED_DEPTH: usize = 100;

/// An events-queue body nested deeper than [`MAX_QUEUED_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("nested {depth} levels deep, over the limit of {MAX_QUEUED_DEPTH}")]
pub struct TooDeep {
    /// How deep the body nests.
    pub depth: usize,
}

/// Why the router cannot read an events-queue body.
#[derive(Debug, thiserror::Error)]
pub enum QueuedParseError {
    /// Nested too deep to be parsed safely.
    #[error("the body is {0}")]
    TooDeep(#[from] TooDeep),
    /// Not the JSON of a [`QueuedEvent`].
    #[error("the body is not a queued event: {0}")]
    Json(#[from] serde_json::Error),
}

/// How deeply arrays and objects nest in `json`, without parsing it (brackets inside
/// strings do not count). Linear, no allocation: cheap enough for the ingest hot path.
pub fn nesting_depth(json: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in json.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// `Ok` when `body` nests at most [`MAX_QUEUED_DEPTH`] levels.
pub fn check_depth(body: &str) -> Result<(), TooDeep> {
    match nesting_depth(body) {
        depth if depth > MAX_QUEUED_DEPTH => Err(TooDeep { depth }),
        _ => Ok(()),
    }
}

/// Reads an events-queue body the way the router does: the depth check of
/// [`queue_entry`], then the JSON, with the org read as an `O` (see [`QueuedEvent`]).
pub fn parse_queued<O: serde::de::DeserializeOwned>(
    body: &str,
) -> Result<QueuedEvent<Value, O>, QueuedParseError> {
    check_depth(body)?;
    Ok(serde_json::from_str(body)?)
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

    /// An event whose `debugContext.debugData.deep` nests `arrays` arrays: the body on the
    /// queue nests `arrays + 4` levels (body, event, debugContext, debugData).
    fn nested(arrays: usize) -> String {
        format!(
            r#"{{"uuid":"u-deep","eventType":"x","debugContext":{{"debugData":{{"deep":{}{}}}}}}}"#,
            "[".repeat(arrays),
            "]".repeat(arrays)
        )
    }

    /// What the router does with a body: [`parse_queued`], then the routing keys.
    fn router_reads(body: &str) -> bool {
        let Ok(queued) = parse_queued::<String>(body) else {
            return false;
        };
        matches!(crate::EventKey::deserialize(&queued.event), Ok(key) if key.uuid.is_some())
    }

    #[test]
    fn the_router_reads_exactly_what_queue_entry_accepts() {
        let inputs = [
            r#"{"uuid":"u-1","eventType":"x","actor":{"id":"00u1","type":"User"}}"#.to_owned(),
            r#"{"eventType":"x"}"#.to_owned(),
            r#"{"uuid":7,"eventType":"x"}"#.to_owned(),
            r#"{"uuid":"u","eventType":"x","target":{"id":"not a list"}}"#.to_owned(),
            r#"{"uuid":"u","eventType":"x","note":"[[[[ brackets \" in [[[ strings"}"#.to_owned(),
            nested(MAX_QUEUED_DEPTH - 4),
            nested(MAX_QUEUED_DEPTH - 3),
            nested(123),
            nested(124),
            nested(5_000),
        ];
        for text in &inputs {
            let entry = queue_entry("acme", "hook", Some("d1"), &raw(text));
            let body =
                format!(r#"{{"org":"acme","source":"hook","deliveryId":"d1","event":{text}}}"#);
            assert_eq!(
                entry.is_ok(),
                router_reads(&body),
                "queue_entry {entry:?} but the router disagrees on {}",
                &text[..text.len().min(80)]
            );
            if let Ok(entry) = entry {
                assert!(router_reads(&entry.body));
            }
        }
    }

    #[test]
    fn events_nested_beyond_the_limit_are_refused_as_too_deep() {
        let at_limit = nested(MAX_QUEUED_DEPTH - 4);
        let entry = queue_entry("o", "hook", None, &raw(&at_limit)).unwrap();
        assert_eq!(nesting_depth(&entry.body), MAX_QUEUED_DEPTH);
        let over = |arrays| queue_entry("o", "hook", None, &raw(&nested(arrays))).unwrap_err();
        assert_eq!(over(MAX_QUEUED_DEPTH - 3), QueueEntryError::TooDeep);
        assert_eq!(over(5_000), QueueEntryError::TooDeep);
        assert_eq!(QueueEntryError::TooDeep.reason(), "too_deep");
        assert!(matches!(
            parse_queued::<String>(&format!(
                r#"{{"org":"o","source":"s","event":{}}}"#,
                nested(5_000)
            )),
            Err(QueuedParseError::TooDeep(TooDeep { depth: 5_004 }))
        ));
    }

    #[test]
    fn nesting_depth_skips_brackets_inside_strings() {
        assert_eq!(nesting_depth(r#"{"a":"[[[{{{","b":[1,{"c":"\"]]]"}]}"#), 3);
        assert_eq!(nesting_depth("\"just a string\""), 0);
        assert_eq!(nesting_depth("[[],[[]]]"), 3);
    }
}
