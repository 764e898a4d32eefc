//! Where tests find Okta's reference data: real System Log events, deliveries and specs.
//!
//! One setting, `OKTA_REFERENCE_DIR`, points the whole suite at it; the default is
//! `../shared/okta` beside the checkout. The product itself never reads it.

mod logs;
mod port;

pub use logs::CapturedLogs;
pub use port::RefusingPort;

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

/// One of Okta's example answers in `answers/` (see its README), as JSON: the bodies the
/// wiremock tests of the client and the executor serve. Compiled in, so those tests do
/// not need the reference directory.
pub fn answer(name: &str) -> serde_json::Value {
    let text = match name {
        "user" => include_str!("../answers/user.json"),
        "users-list" => include_str!("../answers/users-list.json"),
        "group" => include_str!("../answers/group.json"),
        "groups-list" => include_str!("../answers/groups-list.json"),
        "apps-list" => include_str!("../answers/apps-list.json"),
        "app-user" => include_str!("../answers/app-user.json"),
        "app-users-list" => include_str!("../answers/app-users-list.json"),
        "app-links-list" => include_str!("../answers/app-links-list.json"),
        "factors-list" => include_str!("../answers/factors-list.json"),
        "factor-enroll-google" => include_str!("../answers/factor-enroll-google.json"),
        "factor-enroll-email" => include_str!("../answers/factor-enroll-email.json"),
        "roles-list" => include_str!("../answers/roles-list.json"),
        "session" => include_str!("../answers/session.json"),
        "realms-list" => include_str!("../answers/realms-list.json"),
        "user-types-list" => include_str!("../answers/user-types-list.json"),
        "logs-list" => include_str!("../answers/logs-list.json"),
        "event-hooks-list" => include_str!("../answers/event-hooks-list.json"),
        "event-hooks-examples" => include_str!("../answers/event-hooks-examples.json"),
        "policies-list" => include_str!("../answers/policies-list.json"),
        "errors" => include_str!("../answers/errors.json"),
        other => panic!("no answer fixture {other}"),
    };
    serde_json::from_str(text).unwrap_or_else(|e| panic!("answers/{name}.json: {e}"))
}

/// An Okta error body (`errorCode`, `errorSummary`, …) from `answers/errors.json`.
pub fn error_body(example: &str) -> serde_json::Value {
    answer("errors")[example].clone()
}
