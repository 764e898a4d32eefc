//! The event hook delivery envelope (a CloudEvents 0.1 body).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::LogEvent;

/// `eventType` of every event hook delivery.
pub const OKTA_EVENT_HOOK_TYPE: &str = "com.okta.event_hook";

/// One POST from Okta: an envelope around one or more System Log events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery<E = LogEvent> {
    /// `eventType`: [`OKTA_EVENT_HOOK_TYPE`].
    pub event_type: String,
    /// `eventTypeVersion` (`1.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type_version: Option<String>,
    /// `cloudEventsVersion` (`0.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_events_version: Option<String>,
    /// The hook's API URL; it contains the hook id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Identifies this delivery request (the same on Okta's retry).
    pub event_id: String,
    /// `eventTime`: when Okta sent it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<String>,
    /// `contentType` (`application/json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `data`: the events.
    pub data: DeliveryData<E>,
    /// Fields this model does not name, kept for a lossless round trip.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data` of a delivery: events that happened close together are batched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryData<E = LogEvent> {
    /// The System Log events, in Okta's order.
    pub events: Vec<E>,
    /// Fields this model does not name, kept for a lossless round trip.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<E> Delivery<E> {
    /// Wraps events in an envelope as Okta's Preview tab would send them.
    pub fn wrap(events: Vec<E>, event_id: String, event_time: String) -> Self {
        Delivery {
            event_type: OKTA_EVENT_HOOK_TYPE.to_owned(),
            event_type_version: Some("1.0".to_owned()),
            cloud_events_version: Some("0.1".to_owned()),
            source: None,
            event_id,
            event_time: Some(event_time),
            content_type: Some("application/json".to_owned()),
            data: DeliveryData {
                events,
                extra: Map::new(),
            },
            extra: Map::new(),
        }
    }
}
