//! Tests inside rule files: each case's events run through its rule (threshold and
//! suppression included, in a fresh [`Windows`]) and the plans compared with what the
//! case expects. `okta-hooks rules check` runs them all and fails on any failure:
//!
//! ```text
//! rules/brute-force.yaml:31: test "five failures fire once": expected 1 plan, got none (5 events matched; the threshold counted 4 of 5)
//! ```

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::diagnostic::Pos;
use crate::eval::{EvalInput, Scope, SubjectUser, condition_holds, plan};
use crate::model::Rule;
use crate::plan::Plan;
use crate::window::{Admission, Windows};

/// One case of a rule's `tests:`, as loaded.
#[derive(Debug, Clone)]
pub(crate) struct RuleTest {
    pub rule: String,
    pub file: String,
    pub pos: Pos,
    pub name: String,
    pub events: Vec<EventSource>,
    pub user: Option<SubjectUser>,
    pub org: String,
    pub expect: Expect,
    pub expect_pos: Pos,
}

/// Where a case's event comes from.
#[derive(Debug, Clone)]
pub(crate) enum EventSource {
    /// Written in the rule file.
    Inline(Value),
    /// A JSON file (an event, an array of events, or a hook delivery), relative to the
    /// rule file, with top-level fields replaced.
    File {
        path: String,
        fields: Map<String, Value>,
        pos: Pos,
    },
}

/// What a case must produce.
#[derive(Debug, Clone)]
pub(crate) enum Expect {
    /// No plan acts.
    Nothing,
    /// `count` plans act, each with these steps.
    Plans {
        count: usize,
        steps: Vec<ExpectedStep>,
    },
}

/// One expected step: the action and the parameters that matter.
#[derive(Debug, Clone)]
pub(crate) struct ExpectedStep {
    pub action: String,
    pub params: Map<String, Value>,
}

/// A failing case: `file:line: test "name": expected … got …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFailure {
    /// The rule file.
    pub file: String,
    /// The line of the case (or of its `expect` when the plans differ).
    pub line: usize,
    /// The rule the case belongs to.
    pub rule: String,
    /// The case's name.
    pub name: String,
    /// What was expected and what came instead.
    pub message: String,
}

impl fmt::Display for TestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: test \"{}\": {}",
            self.file, self.line, self.name, self.message
        )
    }
}

/// What running the tests of a rule set found.
#[derive(Debug, Clone, Default)]
pub struct TestReport {
    /// How many cases ran.
    pub cases: usize,
    /// The cases that failed, in file order.
    pub failures: Vec<TestFailure>,
}

/// Runs every case of `rules`.
pub(crate) fn run<'r>(rules: impl Iterator<Item = &'r Rule>) -> TestReport {
    let mut report = TestReport::default();
    for rule in rules {
        for case in &rule.tests {
            report.cases += 1;
            if let Err((line, message)) = run_case(rule, case) {
                report.failures.push(TestFailure {
                    file: case.file.clone(),
                    line,
                    rule: rule.id.clone(),
                    name: case.name.clone(),
                    message,
                });
            }
        }
    }
    report
}

/// What the events of a case did.
#[derive(Default)]
struct Seen {
    matched: usize,
    plans: Vec<Plan>,
    last_held: Option<Admission>,
}

fn run_case(rule: &Rule, case: &RuleTest) -> Result<(), (usize, String)> {
    let events = load_events(case).map_err(|m| (case.pos.line, m))?;
    let mut windows = Windows::default();
    let mut seen = Seen::default();
    // As the router's ledger does: an event delivered again is not routed again.
    let mut routed = std::collections::HashSet::new();
    for (n, event) in events.iter().enumerate() {
        if !routed.insert(
            event
                .get("uuid")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        ) {
            continue;
        }
        let fail = |m: String| (case.pos.line, format!("event {}: {m}", n + 1));
        let input = EvalInput {
            org: &case.org,
            event,
            subject: case.user.as_ref(),
        };
        let event_type = event.get("eventType").and_then(Value::as_str);
        let Some(event_type) = event_type else {
            return Err(fail("not a System Log event (no eventType)".into()));
        };
        if !rule.on.iter().any(|t| t == event_type) || !rule.applies_to_org(&case.org) {
            continue;
        }
        let scope = Scope::new(&input);
        if !condition_holds(rule, &scope).map_err(|e| fail(e.to_string()))? {
            continue;
        }
        seen.matched += 1;
        let plan = plan(rule, &scope).map_err(|e| fail(e.to_string()))?;
        match windows.admit(plan.gate.as_ref()) {
            Admission::Fire => seen.plans.push(plan),
            held => seen.last_held = Some(held),
        }
    }
    compare(case, &seen, events.len()).map_err(|m| (case.expect_pos.line, m))
}

/// The case's events, each with a uuid (made up from the case when it has none).
fn load_events(case: &RuleTest) -> Result<Vec<Value>, String> {
    let mut events = Vec::new();
    for source in &case.events {
        match source {
            EventSource::Inline(event) => events.push(event.clone()),
            EventSource::File { path, fields, pos } => {
                let full = Path::new(&case.file)
                    .parent()
                    .unwrap_or(Path::new(""))
                    .join(path);
                let text = std::fs::read_to_string(&full).map_err(|e| {
                    format!("line {}: cannot read {}: {e}", pos.line, full.display())
                })?;
                let json: Value = serde_json::from_str(&text).map_err(|e| {
                    format!("line {}: {} is not JSON: {e}", pos.line, full.display())
                })?;
                for mut event in events_of(json) {
                    if let Value::Object(object) = &mut event {
                        for (k, v) in fields {
                            object.insert(k.clone(), v.clone());
                        }
                    }
                    events.push(event);
                }
            }
        }
    }
    for (n, event) in events.iter_mut().enumerate() {
        if let Value::Object(object) = event
            && !object.contains_key("uuid")
        {
            object.insert(
                "uuid".into(),
                Value::String(format!("test:{}:{}:{}", case.rule, case.name, n + 1)),
            );
        }
    }
    Ok(events)
}

/// An event, an array of events, or a hook delivery's events.
fn events_of(json: Value) -> Vec<Value> {
    match json {
        Value::Array(events) => events,
        Value::Object(mut object) => match object
            .get_mut("data")
            .and_then(|d| d.get_mut("events"))
            .map(Value::take)
        {
            Some(Value::Array(events)) => events,
            _ => vec![Value::Object(object)],
        },
        other => vec![other],
    }
}

fn compare(case: &RuleTest, seen: &Seen, events: usize) -> Result<(), String> {
    let (count, steps) = match &case.expect {
        Expect::Nothing if seen.plans.is_empty() => return Ok(()),
        Expect::Nothing => {
            return Err(format!(
                "expected no plan, got {}: {}",
                seen.plans.len(),
                describe_plans(&seen.plans)
            ));
        }
        Expect::Plans { count, steps } => (*count, steps),
    };
    if seen.plans.len() != count {
        let got = if seen.plans.is_empty() {
            format!("none ({})", why_none(seen, events))
        } else {
            format!("{}: {}", seen.plans.len(), describe_plans(&seen.plans))
        };
        return Err(format!(
            "expected {count} plan{}, got {got}",
            if count == 1 { "" } else { "s" }
        ));
    }
    for (n, plan) in seen.plans.iter().enumerate() {
        let which = if count == 1 {
            String::new()
        } else {
            format!("plan {}: ", n + 1)
        };
        compare_steps(steps, plan).map_err(|m| format!("{which}{m}"))?;
    }
    Ok(())
}

fn compare_steps(expected: &[ExpectedStep], plan: &Plan) -> Result<(), String> {
    if expected.len() != plan.steps.len() {
        return Err(format!(
            "expected {} step{} ({}), got {} ({})",
            expected.len(),
            if expected.len() == 1 { "" } else { "s" },
            expected
                .iter()
                .map(|s| s.action.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            plan.steps.len(),
            plan.steps
                .iter()
                .map(|s| s.action.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for (i, (want, got)) in expected.iter().zip(&plan.steps).enumerate() {
        if want.action != got.action {
            return Err(format!(
                "expected step {} to be {}, got {}",
                i + 1,
                want.action,
                got.action
            ));
        }
        for (key, value) in &want.params {
            let actual = got.params.get(key).unwrap_or(&Value::Null);
            if actual != value {
                return Err(format!(
                    "expected step {} ({}) {key} = {value}, got {}",
                    i + 1,
                    want.action,
                    if got.params.contains_key(key) {
                        actual.to_string()
                    } else {
                        "no such parameter".to_owned()
                    }
                ));
            }
        }
    }
    Ok(())
}

fn why_none(seen: &Seen, events: usize) -> String {
    match (seen.matched, seen.last_held) {
        (0, _) => format!("the rule matched none of the {events} event(s)"),
        (m, Some(Admission::Counting { seen, of })) => {
            format!("{m} event(s) matched; the threshold counted {seen} of {of}")
        }
        (m, Some(Admission::Suppressed)) => format!("{m} event(s) matched, suppressed"),
        (m, _) => format!("{m} event(s) matched, none fired"),
    }
}

fn describe_plans(plans: &[Plan]) -> String {
    plans
        .iter()
        .map(|p| {
            p.steps
                .iter()
                .map(|s| format!("{} {}", s.action, Value::Object(s.params.clone())))
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use crate::RuleSet;

    fn report(yaml: &str) -> Vec<String> {
        let set = match RuleSet::from_sources(&[("t.yaml", yaml)]) {
            Ok(set) => set,
            Err(diags) => panic!("{diags:#?}"),
        };
        set.run_tests()
            .failures
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    const SUSPEND_ON_REPORT: &str = r#"rules:
  - id: lock
    on: [user.account.report_suspicious_activity_by_enduser]
    if: outcome.result == "SUCCESS"
    do:
      - action: user.suspend
        user: ${ target("User").id }
      - action: notify.webhook
        url_secret: slack
        body: { text: "suspended ${ target('User').alternateId }" }
    tests:
      - name: a reported user is suspended
        event: {eventType: user.account.report_suspicious_activity_by_enduser, outcome: {result: SUCCESS}, target: [{id: 00u1, type: User, alternateId: a@example.com}]}
        expect:
          - action: user.suspend
            user: 00u1
          - action: notify.webhook
      - name: a failed report does nothing
        event: {eventType: user.account.report_suspicious_activity_by_enduser, outcome: {result: FAILURE}}
        expect: none
"#;

    #[test]
    fn passing_cases_report_nothing_and_are_counted() {
        let set = RuleSet::from_sources(&[("t.yaml", SUSPEND_ON_REPORT)]).unwrap();
        let report = set.run_tests();
        assert_eq!((report.cases, report.failures.len()), (2, 0), "{report:?}");
        let counts = set.test_counts();
        assert_eq!(
            (counts[0].expecting_plans, counts[0].expecting_none),
            (1, 1)
        );
    }

    #[test]
    fn a_wrong_expectation_names_the_file_line_and_test() {
        let wrong = SUSPEND_ON_REPORT
            .replace("user: 00u1", "user: 00u2")
            .replace("result: FAILURE", "result: SUCCESS");
        assert_eq!(
            report(&wrong),
            [
                "t.yaml:14: test \"a reported user is suspended\": expected step 1 (user.suspend) user = \"00u2\", got \"00u1\"",
                "t.yaml:18: test \"a failed report does nothing\": event 1: rule lock, step do[1] (user.suspend): `target(\"User\").id`: found no matching overload for '_._' applied to '(null_type, string)' (a value was null: guard with `has(…)` or `x != null`)",
            ]
        );
        let no_plan = SUSPEND_ON_REPORT.replace(
            "outcome: {result: SUCCESS}, target",
            "outcome: {result: DENY}, target",
        );
        assert_eq!(
            report(&no_plan),
            [
                "t.yaml:14: test \"a reported user is suspended\": expected 1 plan, got none (the rule matched none of the 1 event(s))"
            ]
        );
    }

    const BRUTE_FORCE: &str = r#"rules:
  - id: brute
    on: [user.session.start]
    if: outcome.result == "FAILURE"
    threshold: {count: 5, within: 10m, by: actor.id}
    suppress: {for: 1h, by: actor.id}
    do:
      - action: user.suspend
        user: ${ actor.id }
    tests:
      - name: five failures within ten minutes fire once however often they come
        events:
          - {eventType: user.session.start, uuid: e3, published: "2026-11-30T10:03:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: e1, published: "2026-11-30T10:01:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: e1, published: "2026-11-30T10:01:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: e2, published: "2026-11-30T10:02:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: x1, published: "2026-11-30T10:02:00Z", actor: {id: 00u2}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: e4, published: "2026-11-30T10:04:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: e5, published: "2026-11-30T10:05:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: e5, published: "2026-11-30T10:05:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: e2, published: "2026-11-30T10:02:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: e6, published: "2026-11-30T10:06:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
        expect:
          - action: user.suspend
            user: 00u1
      - name: four failures do not fire
        events:
          - {eventType: user.session.start, uuid: e1, published: "2026-11-30T10:01:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: e2, published: "2026-11-30T10:02:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: e3, published: "2026-11-30T10:03:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: e4, published: "2026-11-30T10:04:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
        expect: none
"#;

    #[test]
    fn a_threshold_case_counts_each_event_once() {
        assert_eq!(report(BRUTE_FORCE), Vec::<String>::new());
        let expect_twice = BRUTE_FORCE.replacen(
            "        expect:\n          - action: user.suspend",
            "        fires: 2\n        expect:\n          - action: user.suspend",
            1,
        );
        assert_eq!(
            report(&expect_twice),
            [
                "t.yaml:24: test \"five failures within ten minutes fire once however often they come\": expected 2 plans, got 1: user.suspend {\"user\":\"00u1\"}"
            ]
        );
        let seven_needed = BRUTE_FORCE.replace("count: 5", "count: 7");
        assert_eq!(
            report(&seven_needed)[0],
            "t.yaml:23: test \"five failures within ten minutes fire once however often they come\": expected 1 plan, got none (7 event(s) matched; the threshold counted 6 of 7)"
        );
    }

    #[test]
    fn event_files_are_read_beside_the_rule_file_with_fields_replaced() {
        let dir = std::env::temp_dir().join(format!("rules-testing-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("events")).unwrap();
        std::fs::write(
            dir.join("events/fail.json"),
            r#"{"eventType": "user.session.start", "published": "2026-11-30T10:00:00Z", "actor": {"id": "00u9"}, "outcome": {"result": "FAILURE"}}"#,
        )
        .unwrap();
        let rule = BRUTE_FORCE
            .split("    tests:")
            .next()
            .unwrap()
            .replace("count: 5", "count: 2")
            .to_owned()
            + r#"    tests:
      - name: two failures from the file fire
        events:
          - {file: events/fail.json, uuid: a}
          - {file: events/fail.json, uuid: b, published: "2026-11-30T10:09:00Z"}
        expect:
          - {action: user.suspend, user: 00u9}
      - name: the same event twice is one
        events: [{file: events/fail.json, uuid: c}, {file: events/fail.json, uuid: c}]
        expect: none
      - name: copies of a file without uuid are distinct events
        events: [events/fail.json, events/fail.json]
        expect: [{action: user.suspend}]
      - name: a missing file is a failure
        event: events/nope.json
        expect: none
"#;
        let file = dir.join("r.yaml");
        std::fs::write(&file, &rule).unwrap();
        let set = RuleSet::load_dir(&dir).unwrap();
        let failures: Vec<String> = set
            .run_tests()
            .failures
            .iter()
            .map(ToString::to_string)
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(failures.len(), 1, "{failures:#?}");
        assert!(
            failures[0].starts_with(&format!(
                "{}:23: test \"a missing file is a failure\": line 24: cannot read ",
                file.display()
            )),
            "{failures:#?}"
        );
    }

    #[test]
    fn malformed_cases_are_load_errors_with_their_places() {
        let yaml = r#"rules:
  - id: a
    on: [user.account.lock]
    do:
      - {action: user.unlock, user: u}
    tests:
      - name: one
        event: {eventType: user.account.lock}
        events: []
        expect: some
      - name: one
        event: 7
        expect:
          - {action: user.unlok}
          - {action: user.unlock, usr: u}
        fires: 0
      - event: {}
        expected: none
"#;
        let errs = crate::load::tests::errors(yaml);
        assert_eq!(
            errs,
            [
                "t.yaml:9:17: error: a test has `event` or `events`, not both",
                "t.yaml:10:17: error: `expect` must be `none` or a list of the plan's steps (`- action: …` and the parameters that matter)",
                "t.yaml:12:16: error: an event must be a mapping (the event, or `file:` and fields to set) or a path, not an integer",
                "t.yaml:14:22: error: unknown action `user.unlok` (did you mean `user.unlock`?)",
                "t.yaml:15:35: error: unknown parameter `usr` of user.unlock (did you mean `user`?) (it takes: user)",
                "t.yaml:16:16: error: `fires` must be a whole number ≥ 1",
                "t.yaml:17:9: error: a test needs a `name`",
                "t.yaml:17:9: error: a test needs `expect`: `none`, or the steps of the plan it must produce",
                "t.yaml:18:9: error: unknown key `expected` in a test (did you mean `expect`?) (known: name, event, events, user, org, expect, fires)",
            ]
        );
    }
}
