//! Okta event hook deliveries and the System Log events they carry.
//!
//! Two views of the same JSON:
//! - [`Delivery`] and [`LogEvent`]: the full, typed model. Every documented field, tolerant
//!   of what real payloads do (nulls, missing objects, numbers where strings were promised),
//!   and every unknown field kept so that an event re-serialises without loss.
//! - [`RawDelivery`] and [`EventKey`]: the envelope parsed just enough to route it, each
//!   event kept as the exact bytes Okta sent. The ingest hot path uses these.

mod delivery;
mod log_event;
mod queued;
mod raw;

pub use delivery::{Delivery, DeliveryData, OKTA_EVENT_HOOK_TYPE};
pub use log_event::{
    GeoLocation, GeographicalContext, IpAddress, LogActor, LogAuthenticationContext, LogClient,
    LogDebugContext, LogEvent, LogIssuer, LogOutcome, LogRequest, LogSecurityContext, LogTarget,
    LogTransaction, StringOrNumber, UserAgent,
};
pub use queued::{
    MAX_QUEUED_DEPTH, NO_SUBJECT_GROUP, QueueEntry, QueueEntryError, QueuedEvent, QueuedParseError,
    TooDeep, check_depth, is_sqs_id, nesting_depth, parse_queued, queue_entry,
};
pub use raw::{EventKey, EventRef, RawDelivery};

/// The FIFO group of an event: the first `User` target's id, else the actor's id.
///
/// Events about one user then run in order while different users run in parallel.
pub fn subject_of<'a>(
    mut targets: impl Iterator<Item = (&'a str, &'a str)>,
    actor_id: Option<&'a str>,
) -> Option<&'a str> {
    targets
        .find(|(kind, id)| *kind == "User" && !id.is_empty())
        .map(|(_, id)| id)
        .or(actor_id.filter(|id| !id.is_empty()))
}
