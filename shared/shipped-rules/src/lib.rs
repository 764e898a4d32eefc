//! The rules of the repository's `rules/`, built in: rules are code, reviewed in git and
//! shipped with the functions that need them (the router evaluates them, the executors
//! re-check their protected users and groups, the poller filters by their event types).
//! The build script checks them and prepares the set [`load`] reads at cold start.

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
///
/// The built-in rules were checked when this crate was built, and are read in their
/// prepared form: no YAML parsed, no CEL compiled before an event needs it (the router's
/// cold start spent nine tenths of its time doing both). A directory is loaded and
/// checked in full, as `okta-hooks rules check` does.
pub fn load(dir: Option<&Path>) -> Result<RuleSet, RulesError> {
    let rules = match dir {
        Some(dir) => RuleSet::load_dir(dir),
        None => built_in(),
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

/// The built-in rules: prepared at build time, or, when they did not check then, loaded
/// from their text (which fails with the same diagnostics).
fn built_in() -> Result<RuleSet, Vec<Diagnostic>> {
    match PREPARED_RULES.map(RuleSet::from_prepared) {
        Some(Ok(rules)) => Ok(rules),
        Some(Err(e)) => {
            // Cannot happen with one build of this crate; the text still serves.
            tracing::warn!(error = %e, "the prepared rules do not read: loading them from their text");
            RuleSet::from_sources(EMBEDDED_RULES)
        }
        None => RuleSet::from_sources(EMBEDDED_RULES),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::PathBuf;

    fn events_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/events")
    }

    /// Every event of `rules/events/`, as `(file name, event)`; a file may hold one event
    /// or a list of them.
    fn shipped_events() -> Vec<(String, serde_json::Value)> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(events_dir())
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut events = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let name = file.display().to_string();
            match serde_json::from_str(&text).unwrap() {
                serde_json::Value::Array(list) => {
                    events.extend(list.into_iter().map(|e| (name.clone(), e)));
                }
                one => events.push((name, one)),
            }
        }
        events
    }

    #[test]
    fn the_built_in_rules_are_prepared_when_they_check() {
        assert!(
            PREPARED_RULES.is_some(),
            "rules/ did not check at build time: see the build's warnings"
        );
        let prepared = built_in().unwrap();
        let parsed = RuleSet::from_sources(EMBEDDED_RULES).unwrap();
        assert_eq!(
            prepared.rule_ids().collect::<Vec<_>>(),
            parsed.rule_ids().collect::<Vec<_>>()
        );
        assert_eq!(prepared.event_types(), parsed.event_types());
        assert_eq!(prepared.protection(), parsed.protection());
        assert_eq!(prepared.warnings(), parsed.warnings());
        assert_eq!(
            prepared
                .actions_used()
                .iter()
                .map(|a| a.name)
                .collect::<Vec<_>>(),
            parsed
                .actions_used()
                .iter()
                .map(|a| a.name)
                .collect::<Vec<_>>()
        );
        assert_eq!(prepared.enrichment_used(), parsed.enrichment_used());
    }

    #[test]
    fn the_prepared_rules_plan_every_shipped_event_as_the_rule_files_do() {
        let prepared = built_in().unwrap();
        let parsed = RuleSet::from_sources(EMBEDDED_RULES).unwrap();
        let events = shipped_events();
        assert!(
            events.len() >= 10,
            "{} events in rules/events",
            events.len()
        );
        let subject = rules::SubjectUser {
            id: "00u1subject".into(),
            ..Default::default()
        };
        let mut planned = 0;
        for (org, subject) in [("prod", None), ("staging", Some(&subject))] {
            for (file, event) in &events {
                let input = rules::EvalInput {
                    org,
                    event,
                    subject,
                };
                let a = prepared.evaluate_each(&input).map(|r| format!("{r:?}"));
                let b = parsed.evaluate_each(&input).map(|r| format!("{r:?}"));
                assert_eq!(a.as_ref().ok(), b.as_ref().ok(), "{file} in {org}");
                assert_eq!(a.is_err(), b.is_err(), "{file} in {org}");
                planned += prepared.evaluate_each(&input).map_or(0, |r| r.len());
            }
        }
        assert!(planned > 0, "no shipped event made a plan");
    }

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
