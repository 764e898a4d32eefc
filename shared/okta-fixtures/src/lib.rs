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
