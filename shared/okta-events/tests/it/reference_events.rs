//! Every real event and delivery in the reference data parses, and re-serialises without loss.

use okta_events::{Delivery, EventKey, LogEvent, RawDelivery, StringOrNumber};
use serde_json::Value;

/// Okta: "properties with null values may be omitted", so null and absent are the same.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn parse_event(path: &std::path::Path) -> (Value, LogEvent) {
    let text = okta_fixtures::read(path);
    let event: LogEvent = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
    (serde_json::from_str(&text).unwrap(), event)
}

#[test]
fn every_log_event_round_trips_without_loss() {
    for path in okta_fixtures::log_event_files() {
        let (original, event) = parse_event(&path);
        let again = serde_json::to_value(&event).unwrap();
        assert_eq!(
            without_nulls(again),
            without_nulls(original),
            "{} lost or changed data on a round trip",
            path.display()
        );
        assert!(event.uuid.is_some(), "{} has no uuid", path.display());
        assert!(
            event.event_type.is_some(),
            "{} has no eventType",
            path.display()
        );
    }
}

#[test]
fn every_delivery_round_trips_without_loss() {
    let files = okta_fixtures::delivery_files();
    assert!(!files.is_empty());
    for path in files {
        let text = okta_fixtures::read(&path);
        let delivery: Delivery = serde_json::from_str(&text).unwrap();
        assert_eq!(delivery.event_type, okta_events::OKTA_EVENT_HOOK_TYPE);
        assert!(!delivery.data.events.is_empty());
        let original: Value = serde_json::from_str(&text).unwrap();
        let again = serde_json::to_value(&delivery).unwrap();
        assert_eq!(
            without_nulls(again),
            without_nulls(original),
            "{}",
            path.display()
        );
    }
}

#[test]
fn event_key_agrees_with_the_full_model_on_every_file() {
    for path in okta_fixtures::log_event_files() {
        let (_, event) = parse_event(&path);
        let text = okta_fixtures::read(&path);
        let raw: Box<serde_json::value::RawValue> = serde_json::from_str(&text).unwrap();
        let key = EventKey::parse(&raw).unwrap();
        assert_eq!(
            key.uuid.as_deref(),
            event.uuid.as_deref(),
            "{}",
            path.display()
        );
        assert_eq!(key.event_type.as_deref(), event.event_type.as_deref());
        assert_eq!(key.subject_id(), event.subject_id(), "{}", path.display());
        assert!(
            event.subject_id().is_some(),
            "{} has no subject",
            path.display()
        );
    }
}

#[test]
fn subject_is_the_first_user_target_else_the_actor() {
    let event: LogEvent =
        serde_json::from_str(&okta_fixtures::read_event("user.lifecycle.suspend.json")).unwrap();
    let user = event.target_of_type("User").expect("a User target");
    assert_eq!(event.subject_id(), user.id.as_deref());

    // user.session.start targets an authenticator and an app: the actor is the subject.
    let event: LogEvent =
        serde_json::from_str(&okta_fixtures::read_event("user.session.start.json")).unwrap();
    assert_eq!(event.targets_of_type("User").count(), 0);
    assert_eq!(
        event.subject_id(),
        event.actor.as_ref().unwrap().id.as_deref()
    );
}

#[test]
fn numeric_version_and_postal_code_keep_their_form() {
    // The spec's example sends `version` and `postalCode` as numbers.
    let text = okta_fixtures::read_event("user.session.start.json");
    let event: LogEvent = serde_json::from_str(&text).unwrap();
    assert!(matches!(event.version, Some(StringOrNumber::Number(_))));
    assert_eq!(event.version.as_ref().unwrap().to_text(), "0");
    let again = serde_json::to_value(&event).unwrap();
    assert!(again["version"].is_number());
}

#[test]
fn string_null_zone_reads_as_no_zone() {
    let text = okta_fixtures::read_event("user.lifecycle.deactivate.json");
    let event: LogEvent = serde_json::from_str(&text).unwrap();
    let client = event.client.unwrap();
    assert_eq!(client.zone.as_deref(), Some("null"));
    assert_eq!(client.zone_name(), None);
}

#[test]
fn unknown_fields_are_kept() {
    let text = r#"{"uuid":"u1","eventType":"x.y","futureField":{"a":[1,2]},
        "actor":{"id":"00u1","type":"User","newActorField":true},
        "debugContext":{"debugData":{"anything":"goes","n":3}}}"#;
    let event: LogEvent = serde_json::from_str(text).unwrap();
    assert_eq!(event.extra["futureField"]["a"][1], 2);
    assert_eq!(event.actor.as_ref().unwrap().extra["newActorField"], true);
    assert_eq!(event.debug_value("n"), Some(&Value::from(3)));
    let again = serde_json::to_value(&event).unwrap();
    assert_eq!(again, serde_json::from_str::<Value>(text).unwrap());
}

#[test]
fn missing_and_null_objects_are_tolerated() {
    let event: LogEvent =
        serde_json::from_str(r#"{"uuid":"u","actor":null,"target":null,"client":{}}"#).unwrap();
    assert_eq!(event.subject_id(), None);
    assert_eq!(event.targets_of_type("User").count(), 0);
    let event: LogEvent = serde_json::from_str("{}").unwrap();
    assert!(event.uuid.is_none());
}

#[test]
fn raw_delivery_keeps_event_bytes_exactly() {
    let text = okta_fixtures::read_event("event-hook-delivery.user.session.start.json");
    let raw: RawDelivery = serde_json::from_str(&text).unwrap();
    assert_eq!(raw.event_id, "85b60edb-4263-4e13-993b-818e26201052");
    assert_eq!(raw.data.events.len(), 1);
    let full: Delivery = serde_json::from_str(&text).unwrap();
    let reparsed: LogEvent = serde_json::from_str(raw.data.events[0].get()).unwrap();
    assert_eq!(reparsed, full.data.events[0]);
}
