//! Loading the rules at cold start: the ones built into the binary, or a directory.

use std::path::Path;

use rules::{Diagnostic, RuleSet};

/// The rules did not load; every diagnostic, one `file:line:col: error: …` per line.
///
/// `Debug` shows the same text: a function's `main` prints its cold-start error with
/// `Debug`, and the operator must read `file:line`, not a struct dump.
#[derive(thiserror::Error)]
#[error("the rules do not load:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct RulesError(pub Vec<Diagnostic>);

impl std::fmt::Debug for RulesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Rules from `dir` when given, else the `embedded` ones (file name, text). Warnings are
/// logged; any error fails the cold start with its file and line.
pub fn load_rules(dir: Option<&Path>, embedded: &[(&str, &str)]) -> Result<RuleSet, RulesError> {
    let rules = match dir {
        Some(dir) => RuleSet::load_dir(dir),
        None => RuleSet::from_sources(embedded),
    }
    .map_err(RulesError)?;
    for warning in rules.warnings() {
        tracing::warn!(%warning, "rules");
    }
    tracing::info!(
        rules = rules.len(),
        event_types = rules.event_types().len(),
        "rules loaded"
    );
    Ok(rules)
}
