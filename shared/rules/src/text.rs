//! Small text helpers for messages.

pub(crate) use actions::{closest, edit_distance};

/// ` (did you mean `x`?)` or nothing.
pub(crate) fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}
