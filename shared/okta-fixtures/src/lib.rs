//! Where tests find Okta's reference data: real System Log events, deliveries and specs.
//!
//! One setting, `OKTA_REFERENCE_DIR`, points the whole suite at it; the default is
//! `../shared/okta` beside the checkout. The product itself never reads it.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the reference directory.
pub const REFERENCE_DIR_ENV: &str = "OKTA_REFERENCE_DIR";

/// The reference directory (`$OKTA_REFERENCE_DIR`, else `../shared/okta` beside the checkout).
pub fn reference_dir() -> PathBuf {
    match std::env::var_os(REFERENCE_DIR_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("../shared/okta"),
    }
}

/// The root of this workspace.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `*.json` file of `events/`, sorted. Panics (failing the test) when there are none,
/// so a wrong setting cannot make a suite pass on zero files.
pub fn event_files() -> Vec<PathBuf> {
    let dir = reference_dir().join("events");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "cannot read {} (set {REFERENCE_DIR_ENV}): {e}",
                dir.display()
            )
        })
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no event files in {}", dir.display());
    files
}

/// Single System Log events (`<eventType>.json`), without the delivery envelopes.
pub fn log_event_files() -> Vec<PathBuf> {
    event_files()
        .into_iter()
        .filter(|p| !file_name(p).starts_with("event-hook-delivery."))
        .collect()
}

/// Complete event hook deliveries (`event-hook-delivery.<eventType>.json`).
pub fn delivery_files() -> Vec<PathBuf> {
    event_files()
        .into_iter()
        .filter(|p| file_name(p).starts_with("event-hook-delivery."))
        .collect()
}

/// Reads a file of the reference directory, failing the test with its path.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Reads `events/<name>` of the reference directory.
pub fn read_event(name: &str) -> String {
    read(&reference_dir().join("events").join(name))
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
}

/// A delivery of `n` real events, cycling through every single-event file, each given
/// its own uuid (`{i:08}-cc19-11ed-a688-db22c99ef6c4`) so none is a duplicate of another.
/// Returns the delivery body and its events.
pub fn delivery_of(n: usize) -> (String, Vec<serde_json::Value>) {
    let files = log_event_files();
    let originals: Vec<serde_json::Value> = files
        .iter()
        .map(|p| {
            serde_json::from_str(&read(p))
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", p.display()))
        })
        .collect();
    let events: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let mut event = originals[i % originals.len()].clone();
            event["uuid"] = serde_json::Value::from(format!("{i:08}-cc19-11ed-a688-db22c99ef6c4"));
            event
        })
        .collect();
    let body = serde_json::json!({
        "eventType": "com.okta.event_hook", "eventTypeVersion": "1.0",
        "cloudEventsVersion": "0.1", "eventId": "85b60edb-4263-4e13-993b-818e26201052",
        "eventTime": "2026-11-22T10:00:00.000Z", "contentType": "application/json",
        "data": { "events": events }
    });
    (body.to_string(), events)
}
