//! Plans someone asks for: the steps of an action request, in the rules' step syntax,
//! checked and rendered exactly as a rule's steps are.
//!
//! A request has no Okta event behind it, so its parameters are values, not templates
//! over an event: a `${…}` may read only what exists when the step runs — earlier
//! steps' outputs (`steps.<name>.<field>`), `failure` in `on_failure`, and `item` in a
//! `for_each` step. Everything else a rule's step may say (unknown actions and
//! parameters, missing ones, wrong types, step names) is checked by the same loader, so
//! a request and a rule can never disagree on what a step means.

use serde_json::{Value, json};

use crate::eval::{self, EvalInput, Scope};
use crate::expr::Expr;
use crate::load;
use crate::model::{StepDef, TValue};
use crate::plan::Plan;

/// The rule id every requested plan carries: part of its envelope ids, and how the
/// executors' logs tell a requested plan from a rule's.
pub const REQUEST_RULE_ID: &str = "request";

/// The variables a request's step may read: those that exist when the step runs.
const RUNTIME_VARIABLES: &[&str] = &["steps", "failure", "item"];

/// An event type the synthetic rule is loaded under; any hook-eligible type would do.
const ANY_EVENT_TYPE: &str = "user.lifecycle.suspend";

/// Compiles a request's `steps` (and `on_failure`) — JSON lists of steps in the rules'
/// syntax (`{"action": "user.suspend", "user": "00u…", "name": "s"}`) — into a plan.
///
/// Fails with every problem found, each a sentence that names the step
/// (`steps[1]: unknown parameter …`); nothing is partly accepted.
pub fn request_plan(
    steps: &Value,
    on_failure: Option<&Value>,
    dry_run: bool,
) -> Result<Plan, Vec<String>> {
    let (text, lines) = synthetic_rule(steps, on_failure)?;
    let loaded = load::load(&[("request".to_owned(), text)]);
    let problems: Vec<String> = loaded
        .diags
        .list
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", lines.place(d.line), d.message))
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    let Some(rule) = loaded.rules.into_iter().next() else {
        return Err(vec!["the request has no steps".to_owned()]);
    };
    let mut problems = Vec::new();
    for (list, defs) in [("steps", &rule.steps), ("on_failure", &rule.on_failure)] {
        for (i, def) in defs.iter().enumerate() {
            event_reads(def, &format!("{list}[{i}]"), &mut problems);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let event = json!({ "eventType": ANY_EVENT_TYPE });
    let scope = Scope::new(&EvalInput {
        org: "",
        event: &event,
        subject: None,
    });
    let mut plan = eval::plan(&rule, &scope).map_err(|e| vec![e.to_string()])?;
    plan.rule_id = REQUEST_RULE_ID.to_owned();
    plan.dry_run = dry_run;
    Ok(plan)
}

/// Where each step sits in the synthetic rule text: one step per line.
struct Lines {
    /// Line (1-based) of `steps[0]`.
    steps_from: usize,
    steps: usize,
    /// Line of `on_failure[0]`.
    on_failure_from: usize,
    on_failure: usize,
}

impl Lines {
    /// The step a diagnostic's line falls on (`steps[1]`), or `the request`.
    fn place(&self, line: usize) -> String {
        if (self.steps_from..self.steps_from + self.steps).contains(&line) {
            format!("steps[{}]", line - self.steps_from)
        } else if (self.on_failure_from..self.on_failure_from + self.on_failure).contains(&line) {
            format!("on_failure[{}]", line - self.on_failure_from)
        } else {
            "the request".to_owned()
        }
    }
}

/// A one-rule file holding the request's steps, one compact JSON step per line (JSON is
/// YAML), so a diagnostic's line names its step.
fn synthetic_rule(
    steps: &Value,
    on_failure: Option<&Value>,
) -> Result<(String, Lines), Vec<String>> {
    let list = |value: &Value, what: &str| match value {
        Value::Array(items) if !items.is_empty() || what == "on_failure" => Ok(items.clone()),
        Value::Array(_) => Err(vec![format!("`{what}` has no steps")]),
        other => Err(vec![format!(
            "`{what}` must be a list of steps, not {}",
            json_kind(other)
        )]),
    };
    let steps = list(steps, "steps")?;
    let on_failure = match on_failure {
        Some(v) => list(v, "on_failure")?,
        None => Vec::new(),
    };
    let mut text = format!(
        "{{\"rules\": [{{\"id\": \"{REQUEST_RULE_ID}\", \"on\": [\"{ANY_EVENT_TYPE}\"],\n\"do\": [\n"
    );
    let steps_from = 3;
    push_lines(&mut text, &steps);
    text.push_str("],\n\"on_failure\": [\n");
    let on_failure_from = steps_from + steps.len() + 2;
    push_lines(&mut text, &on_failure);
    text.push_str("]}]}\n");
    Ok((
        text,
        Lines {
            steps_from,
            steps: steps.len(),
            on_failure_from,
            on_failure: on_failure.len(),
        },
    ))
}

fn push_lines(text: &mut String, items: &[Value]) {
    for (i, item) in items.iter().enumerate() {
        text.push_str(&item.to_string());
        if i + 1 < items.len() {
            text.push(',');
        }
        text.push('\n');
    }
}

/// Reports each expression of a step that reads the event (or anything else that only
/// a rule has): a request must give values.
fn event_reads(def: &StepDef, place: &str, problems: &mut Vec<String>) {
    let mut check = |expr: &Expr, what: &str, allowed: &[&str]| {
        let refs = expr.refs();
        let bad: Vec<&str> = refs
            .variables
            .iter()
            .map(String::as_str)
            .filter(|v| !allowed.contains(v))
            .chain(
                refs.global_calls
                    .iter()
                    .map(String::as_str)
                    .filter(|f| crate::expr::FUNCTIONS.contains(f)),
            )
            .collect();
        if !bad.is_empty() {
            problems.push(format!(
                "{place}: {what} `${{ {} }}` reads `{}`, which a request does not have \
                 (a request has no event: give the value itself; `${{…}}` may read only \
                 steps.<name>.<field>, failure and item)",
                expr.source(),
                bad.join("`, `")
            ));
        }
    };
    if let Some(expr) = &def.for_each {
        check(expr, "`for_each`", &[]);
    }
    for (name, value) in &def.params {
        let mut exprs = Vec::new();
        collect_exprs(value, &mut exprs);
        for expr in exprs {
            check(expr, &format!("parameter `{name}`"), RUNTIME_VARIABLES);
        }
    }
}

fn collect_exprs<'a>(value: &'a TValue, out: &mut Vec<&'a Expr>) {
    match value {
        TValue::Lit(_) => {}
        TValue::Str(template) => out.extend(template.exprs()),
        TValue::List(items) => items.iter().for_each(|i| collect_exprs(i, out)),
        TValue::Map(entries) => entries.iter().for_each(|(_, v)| collect_exprs(v, out)),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(steps: &Value) -> Vec<String> {
        request_plan(steps, None, false).unwrap_err()
    }

    #[test]
    fn a_valid_request_becomes_a_plan_with_rendered_parameters_and_deferred_reads() {
        let steps = json!([
            {"action": "group.create", "name": "g", "group_name": "incident-42"},
            {"action": "group.add_user", "group": "${ steps.g.id }", "user": "00u1"}
        ]);
        let plan = request_plan(&steps, None, true).unwrap();
        assert_eq!(plan.rule_id, REQUEST_RULE_ID);
        assert!(plan.dry_run);
        assert_eq!(plan.steps.len(), 2);
        assert_eq!(plan.steps[0].params["group_name"], "incident-42");
        assert_eq!(plan.steps[1].params["user"], "00u1");
        assert_eq!(
            plan.steps[1].deferred.len(),
            1,
            "steps.g.id is read when the step runs"
        );
    }

    #[test]
    fn an_unknown_action_is_named_with_the_closest_one_and_its_step() {
        let got = problems(
            &json!([{"action": "user.suspend", "user": "00u1"}, {"action": "user.suspnd", "user": "00u1"}]),
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with(
                "steps[1]: unknown action `user.suspnd` (did you mean `user.suspend`?)"
            ),
            "{got:?}"
        );
    }

    #[test]
    fn a_missing_or_mistyped_parameter_is_named() {
        let got = problems(&json!([{"action": "user.suspend"}]));
        assert!(
            got.iter()
                .any(|p| p.starts_with("steps[0]:") && p.contains("`user`")),
            "{got:?}"
        );
        let got = problems(
            &json!([{"action": "user.sessions.clear", "user": "00u1", "oauth_tokens": "yes"}]),
        );
        assert!(got.iter().any(|p| p.contains("oauth_tokens")), "{got:?}");
    }

    #[test]
    fn a_parameter_that_reads_the_event_is_refused() {
        let got = problems(&json!([{"action": "user.suspend", "user": "${ event.actor.id }"}]));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("steps[0]: parameter `user`") && got[0].contains("reads `event`"),
            "{got:?}"
        );
        let got = problems(&json!([{"action": "user.suspend", "user": "${ target('User').id }"}]));
        assert!(got[0].contains("reads `target`"), "{got:?}");
    }

    #[test]
    fn steps_must_be_a_non_empty_list() {
        assert_eq!(problems(&json!([])), vec!["`steps` has no steps"]);
        assert_eq!(
            problems(&json!({"action": "user.suspend"})),
            vec!["`steps` must be a list of steps, not an object"]
        );
    }

    #[test]
    fn on_failure_steps_are_placed_and_may_read_the_failure() {
        let on_failure = json!([{"action": "notify.webhook", "url_secret": "slack", "body": {"text": "failed: ${ failure.message }"}}]);
        let plan = request_plan(
            &json!([{"action": "user.suspend", "user": "00u1"}]),
            Some(&on_failure),
            false,
        )
        .unwrap();
        assert_eq!(plan.on_failure.len(), 1);
        let bad = json!([{"action": "notify.webhok", "url_secret": "slack", "body": {}}]);
        let got = request_plan(
            &json!([{"action": "user.suspend", "user": "00u1"}]),
            Some(&bad),
            false,
        )
        .unwrap_err();
        assert!(
            got[0].starts_with("on_failure[0]: unknown action `notify.webhok`"),
            "{got:?}"
        );
    }
}
