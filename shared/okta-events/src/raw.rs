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
    #[serde(borrow)]
    pub event_type: Cow<'a, str>,
    #[serde(borrow)]
    pub event_id: Cow<'a, str>,
    #[serde(borrow)]
    pub data: RawData<'a>,
}

#[derive(Debug, Deserialize)]
pub struct RawData<'a> {
    #[serde(borrow)]
    pub events: Vec<&'a RawValue>,
}

/// The keys of an event that routing needs: its id, type and subject.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventKey<'a> {
    #[serde(borrow, default)]
    pub uuid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub event_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub actor: Option<EventRef<'a>>,
    #[serde(borrow, default)]
    pub target: Option<Vec<EventRef<'a>>>,
}

/// An actor or target reduced to its id and type.
#[derive(Debug, Deserialize)]
pub struct EventRef<'a> {
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
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
}
