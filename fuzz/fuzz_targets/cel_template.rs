//! CEL conditions and `${…}` templates, as rules use them: the input's first line is a
//! rule's `if:` (none when empty), the rest a template used as a parameter in three
//! places — a first step (rendered when the plan is made), a second step (where
//! `steps.first` is in scope, so rendered at execution) and an `on_failure` step (where
//! `failure` is). The rule loads (compile, type and scope checks), is evaluated against
//! a real event, and each deferred parameter is rendered as an executor renders it.
//!
//! Properties: no panic, no stack overflow, whatever the expression or template.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use rules::{EvalInput, RuleSet};
use serde_json::{Value, json};

#[path = "common.rs"]
mod common;

/// A YAML double-quoted scalar of `text` (a JSON string is one).
fn quoted(text: &str) -> String {
    Value::from(text).to_string()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (condition, template) = text.split_once('\n').unwrap_or(("", text));
    let event = &*common::EVENT;
    let event_type = event["eventType"].as_str().unwrap_or("user.session.start");
    let condition = if condition.trim().is_empty() {
        String::new()
    } else {
        format!("    if: {}\n", quoted(condition))
    };
    let template = quoted(template);
    let file = format!(
        "rules:\n  - id: fuzz\n    on: [{event_type}]\n{condition}    enrich: [user, groups]\n    do:\n      \
         - action: notify.webhook\n        name: first\n        url_secret: hook\n        body: {{ text: {template} }}\n      \
         - action: notify.webhook\n        url_secret: hook\n        body: {{ text: {template} }}\n    on_failure:\n      \
         - action: notify.webhook\n        url_secret: hook\n        body: {{ text: {template} }}\n"
    );
    let Ok(set) = RuleSet::from_sources(&[("fuzz.yaml", file.as_str())]) else {
        return;
    };
    let subject = common::subject();
    let Ok(plans) = set.evaluate(&EvalInput {
        org: "default",
        event,
        subject: Some(&subject),
    }) else {
        return;
    };
    let outputs = BTreeMap::from([("first".to_owned(), json!({"status": 200}))]);
    let failure = json!({"step": "first", "action": "notify.webhook", "error": "HTTP 500"});
    for plan in &plans {
        for step in &plan.steps {
            let _ = step.render_deferred(&outputs, None);
        }
        for step in &plan.on_failure {
            let _ = step.render_deferred(&outputs, Some(&failure));
        }
    }
});
