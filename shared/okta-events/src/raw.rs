//! The envelope parsed just enough to route it; each event stays the bytes Okta sent.
//!
//! The ingest function must answer Okta within 3 s and spends well under a millisecond of
//! CPU per delivery, so it never builds the full model: it borrows the event slices and
//! reads only the keys it needs.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A delivery whose events are still raw JSON.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawDelivery<'a> {
    /// `eventType`: [`OKTA_EVENT_HOOK_TYPE`](crate::OKTA_EVENT_HOOK_TYPE) for a hook delivery.
    #[serde(borrow)]
    pub event_type: Cow<'a, str>,
    /// `eventId`: the delivery's id, the same on Okta's retry.
    #[serde(borrow)]
    pub event_id: Cow<'a, str>,
    /// `data`: the events.
    #[serde(borrow)]
    pub data: RawData<'a>,
}

/// `data` of a raw delivery.
#[derive(Debug, Deserialize)]
pub struct RawData<'a> {
    /// Each event's JSON as Okta sent it.
    #[serde(borrow)]
    pub events: Vec<&'a RawValue>,
}

/// The keys of an event that routing needs: its id, type and subject.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventKey<'a> {
    /// `uuid`: the event's id.
    #[serde(borrow, default)]
    pub uuid: Option<Cow<'a, str>>,
    /// `eventType`, e.g. `user.lifecycle.create`.
    #[serde(borrow, default)]
    pub event_type: Option<Cow<'a, str>>,
    /// `actor`: who did it.
    #[serde(borrow, default)]
    pub actor: Option<EventRef<'a>>,
    /// `target`: what it was done to.
    #[serde(borrow, default)]
    pub target: Option<Vec<EventRef<'a>>>,
}

/// An actor or target reduced to its id and type.
#[derive(Debug, Deserialize)]
pub struct EventRef<'a> {
    /// `id`.
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// `type`: `User`, `UserGroup`, `AppInstance`, …
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
}

impl<'a> EventKey<'a> {
    /// Reads the routing keys of one raw event.
    pub fn parse(raw: &'a RawValue) -> Result<Self, serde_json::Error> {
        serde_json::from_str(raw.get())
    }

    /// The FIFO group id: the first `User` target's id, else the actor's id.
    pub fn subject_id(&self) -> Option<&str> {
        let targets = self
            .target
            .iter()
            .flatten()
            .filter_map(|t| Some((t.kind.as_deref()?, t.id.as_deref()?)));
        let actor = self.actor.as_ref().and_then(|a| a.id.as_deref());
        crate::subject_of(targets, actor)
    }

    /// The id of the user the event is about, when its subject is a user: the first
    /// `User` target, else the actor when the actor is a `User`. `None` when the subject
    /// is an app, a client or the system: there is no user to look up (asking Okta would
    /// only get a 404).
    pub fn subject_user_id<'k>(&'k self) -> Option<&'k str> {
        let is_user = |kind: Option<&str>, id: Option<&'k str>| {
            id.filter(|id| kind == Some("User") && !id.is_empty())
        };
        self.target
            .iter()
            .flatten()
            .find_map(|t| is_user(t.kind.as_deref(), t.id.as_deref()))
            .or_else(|| {
                let actor = self.actor.as_ref()?;
                is_user(actor.kind.as_deref(), actor.id.as_deref())
            })
    }
}
