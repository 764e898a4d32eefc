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
