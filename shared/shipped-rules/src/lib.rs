//! The rules of the repository's `rules/`, built in: rules are code, reviewed in git and
//! shipped with the functions that need them (the router evaluates them, the executors
//! re-check their protected users and groups), and checked at cold start by [`load`].

use std::path::Path;

use rules::{Diagnostic, RuleSet};

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

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

/// Rules from `dir` when given (`OKTA_HOOKS_RULES_DIR`), else the built-in ones.
/// Warnings are logged; any error fails the cold start with its file and line.
pub fn load(dir: Option<&Path>) -> Result<RuleSet, RulesError> {
    let rules = match dir {
        Some(dir) => RuleSet::load_dir(dir),
        None => RuleSet::from_sources(EMBEDDED_RULES),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_yaml_file_of_rules_is_built_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
            .map(|n| format!("rules/{n}"))
            .collect();
        on_disk.sort();
        let built: Vec<String> = EMBEDDED_RULES
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .collect();
        assert_eq!(built, on_disk);
        assert!(
            EMBEDDED_RULES
                .iter()
                .all(|(_, text)| text.contains("rules:") || text.contains("protected:"))
        );
    }
}
