//! Okta's System Log event types, derived once from Okta's catalog into
//! `data/okta-event-types.json` (see `scripts/derive-event-types.py`) and embedded, so a
//! clone checks rules without the reference data beside it.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The embedded data file.
pub const DATA: &str = include_str!("../data/okta-event-types.json");

#[derive(Debug, Deserialize)]
struct Data {
    source: Source,
    event_types: Vec<EventType>,
}

/// Where the catalog came from (named in the data file).
#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    /// Path of the catalog in its repository.
    pub file: String,
    /// `owner/name`.
    pub repository: String,
    /// The commit it was read at.
    pub commit: String,
    /// Okta's release of the catalog.
    pub release: String,
}

/// One event type.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct EventType {
    /// `user.lifecycle.create`, …
    pub id: String,
    /// Whether an event hook can deliver it (else only the System Log poller sees it).
    pub hook_eligible: bool,
}

struct Catalog {
    source: Source,
    types: Vec<EventType>,
    by_id: HashMap<String, bool>,
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        // The file is part of the crate and a test parses it: a failure here is a build
        // defect, not an input problem. Fall back to an empty catalog rather than panic.
        let data: Data = serde_json::from_str(DATA).unwrap_or_else(|_| Data {
            source: Source {
                file: String::new(),
                repository: String::new(),
                commit: String::new(),
                release: String::new(),
            },
            event_types: Vec::new(),
        });
        let by_id = data
            .event_types
            .iter()
            .map(|t| (t.id.clone(), t.hook_eligible))
            .collect();
        Catalog {
            source: data.source,
            types: data.event_types,
            by_id,
        }
    })
}

/// `Some(hook_eligible)` for a type of Okta's catalog, `None` for an unknown one.
pub fn lookup(id: &str) -> Option<bool> {
    catalog().by_id.get(id).copied()
}

/// Every event type, sorted by id.
pub fn all() -> &'static [EventType] {
    &catalog().types
}

/// Where the embedded catalog was derived from.
pub fn source() -> &'static Source {
    &catalog().source
}

/// The known id closest to `id`, for "did you mean" hints.
pub(crate) fn suggest(id: &str) -> Option<&'static str> {
    all()
        .iter()
        .map(|t| (crate::text::edit_distance(id, &t.id), t.id.as_str()))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, s)| s)
}
