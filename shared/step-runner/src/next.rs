//! Where a plan goes after a step: its next step, or the start of `on_failure`.
//!
//! Pure functions over the envelope: the next envelope keeps the org, the rule, the event
//! and the FIFO group (so steps about one user stay in order across families), carries
//! the outputs so far, and has the deterministic id of its own step.

use action_calls::FailureReport;
use envelope::{Cursor, Envelope, Phase, envelope_id};
use rules::{Plan, Step};
use serde_json::{Map, Value, json};

/// The steps of the phase the cursor walks.
pub(crate) fn phase_steps(plan: &Plan, phase: Phase) -> &[Step] {
    match phase {
        Phase::Steps => &plan.steps,
        Phase::OnFailure => &plan.on_failure,
    }
}

/// The step this envelope runs: the one its cursor points at in its plan (the envelope
/// copies nothing of it); `None` when the cursor points past the plan.
pub fn current_step(envelope: &Envelope<Plan>) -> Option<&Step> {
    phase_steps(&envelope.plan, envelope.cursor.phase).get(envelope.cursor.index)
}

/// The envelope of the step after this one, now that it produced `output`; `None` at
/// the end of the phase.
///
/// A secret output field ([`actions::is_secret_output`]) travels only sealed (see
/// [`crate::sealed`], which the runner applies first): one still in clear here is
/// dropped, never carried.
pub fn next_step(envelope: &Envelope<Plan>, output: Value) -> Option<Envelope<Plan>> {
    let mut outputs = envelope.outputs.clone();
    if let Some(name) = current_step(envelope).and_then(|s| s.name.clone()) {
        outputs.insert(name, without_clear_secrets(output));
    }
    at(
        envelope,
        Cursor {
            phase: envelope.cursor.phase,
            index: envelope.cursor.index + 1,
        },
        outputs,
        envelope.failure.clone(),
    )
}

/// The envelope of the first `on_failure` step after this step failed with `report`;
/// `None` when the rule has none, or when an `on_failure` step itself failed (that
/// would loop).
pub fn on_failure_start(
    envelope: &Envelope<Plan>,
    report: &FailureReport,
) -> Option<Envelope<Plan>> {
    if envelope.cursor.phase == Phase::OnFailure {
        return None;
    }
    let step = current_step(envelope);
    let name = step
        .and_then(|s| s.name.clone())
        .unwrap_or_else(|| envelope.cursor.index.to_string());
    let action = step.map(|s| s.action.as_str());
    let mut failure = match serde_json::to_value(report) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    failure.insert("step".into(), json!(name));
    failure.insert("action".into(), json!(action));
    at(
        envelope,
        Cursor {
            phase: Phase::OnFailure,
            index: 0,
        },
        envelope.outputs.clone(),
        Some(Value::Object(failure)),
    )
}

/// `output` without its secret fields in clear (sealed ones stay).
fn without_clear_secrets(output: Value) -> Value {
    match output {
        Value::Object(mut fields) => {
            fields.retain(|field, value| {
                !actions::is_secret_output(field) || crate::sealed::is_sealed(value)
            });
            Value::Object(fields)
        }
        other => other,
    }
}

/// The envelope of the step at `cursor`; `None` when the plan has no such step.
fn at(
    envelope: &Envelope<Plan>,
    cursor: Cursor,
    outputs: Map<String, Value>,
    failure: Option<Value>,
) -> Option<Envelope<Plan>> {
    phase_steps(&envelope.plan, cursor.phase).get(cursor.index)?;
    Some(Envelope {
        id: envelope_id(
            &envelope.event.uuid,
            &envelope.rule_id,
            cursor.phase,
            cursor.index,
        ),
        org: envelope.org.clone(),
        rule_id: envelope.rule_id.clone(),
        cursor,
        group: envelope.group.clone(),
        dry_run: envelope.dry_run,
        event: envelope.event.clone(),
        plan: envelope.plan.clone(),
        outputs,
        failure,
        done: envelope.done.clone(),
    })
}

#[cfg(test)]
mod tests {
    use action_calls::FailureClass;
    use actions::Family;
    use envelope::EventRef;
    use org_secrets::OrgName;

    use super::*;

    fn step(name: Option<&str>, action: &str, family: Family) -> Step {
        Step {
            name: name.map(str::to_owned),
            action: action.into(),
            family,
            destructive: false,
            params: Map::new(),
            deferred: Vec::new(),
        }
    }

    fn first() -> Envelope<Plan> {
        let plan = Plan {
            rule_id: "r".into(),
            dry_run: false,
            max_destructive_per_hour: None,
            steps: vec![
                step(Some("made"), "group.create", Family::Groups),
                step(None, "user.sessions.clear", Family::Sessions),
            ],
            on_failure: vec![step(None, "notify.webhook", Family::Notify)],
            aliases: Default::default(),
            gate: None,
        };
        Envelope {
            id: envelope_id("u1", "r", Phase::Steps, 0),
            org: OrgName::parse("acme").unwrap(),
            rule_id: "r".into(),
            cursor: Cursor {
                phase: Phase::Steps,
                index: 0,
            },
            group: "00u1".into(),
            dry_run: false,
            event: EventRef {
                uuid: "u1".into(),
                event_type: "user.lifecycle.create".into(),
                published: None,
                delivery_id: None,
                request: None,
            },
            plan,
            outputs: Map::new(),
            failure: None,
            done: Vec::new(),
        }
    }

    #[test]
    fn the_next_step_carries_named_outputs_group_and_its_own_id() {
        let next = next_step(&first(), json!({"id": "00g9"})).expect("a second step");
        assert_eq!(
            next.cursor,
            Cursor {
                phase: Phase::Steps,
                index: 1
            }
        );
        let step = current_step(&next).expect("the envelope's step");
        assert_eq!(step.action, "user.sessions.clear");
        assert_eq!(step.family, Family::Sessions);
        assert_eq!(next.group, "00u1");
        assert_eq!(next.id, envelope_id("u1", "r", Phase::Steps, 1));
        assert_eq!(next.outputs["made"], json!({"id": "00g9"}));
        // A secret in clear is never carried on; a sealed one is.
        let sealed = json!({"$secret": "k1:AAAA"});
        let next = next_step(
            &first(),
            json!({"id": "00g9", "tempPassword": "Temp-SECRET-1", "activationUrl": sealed}),
        )
        .expect("a second step");
        assert_eq!(
            next.outputs["made"],
            json!({"id": "00g9", "activationUrl": sealed})
        );
        // An unnamed step adds nothing; the last step has no next.
        let after = next_step(&next, json!({"x": 1}));
        assert!(after.is_none());
    }

    #[test]
    fn a_failure_starts_on_failure_once_with_the_reason() {
        let report = FailureReport {
            class: FailureClass::Permanent,
            message: "Not found".into(),
            status: Some(404),
            error_code: Some("E0000007".into()),
            error_summary: Some("Not found: Resource not found: 00u1 (User)".into()),
            request_id: Some("req-1".into()),
            user_status: None,
        };
        let start = on_failure_start(&first(), &report).expect("on_failure step");
        assert_eq!(
            start.cursor,
            Cursor {
                phase: Phase::OnFailure,
                index: 0
            }
        );
        assert_eq!(start.id, envelope_id("u1", "r", Phase::OnFailure, 0));
        let failure = start.failure.as_ref().expect("failure");
        assert_eq!(failure["step"], "made");
        assert_eq!(failure["action"], "group.create");
        assert_eq!(failure["errorCode"], "E0000007");
        assert_eq!(failure["error"], "Not found");
        // An on_failure step that fails does not start on_failure again.
        assert!(on_failure_start(&start, &report).is_none());
    }
}
