//! The rules loader: any text as a rule file (YAML, CEL conditions and templates,
//! catalog checks); a rule set that loads is then evaluated against a real event,
//! with and without an enriched subject.
//!
//! Properties: no panic, no stack overflow, whatever the file says.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rules::{EvalInput, RuleSet};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(set) = RuleSet::from_sources(&[("fuzz.yaml", text)]) else {
        return;
    };
    let _ = set.event_types();
    let _ = set.enrichment_used();
    let _ = set.actions_used();
    let event = &*common::EVENT;
    let _ = set.enrichment("default", event);
    let subject = common::subject();
    for subject in [None, Some(&subject)] {
        let _ = set.evaluate(&EvalInput {
            org: "default",
            event,
            subject,
        });
    }
});
