//! What a finished plan tells: each step's outcome travels with the plan (the envelope's
//! `done`), and the executor that runs the last step publishes the plan's
//! [`ActionResult`] (see [`ports::ResultSink`]).
//!
//! No secret reaches a result: a step's output loses its secret fields (in clear or
//! sealed) before it is written into `done`.

use action_calls::FailureReport;
use envelope::{Envelope, Phase};
use ports::{ActionResult, ResultStatus, StepOutcome, StepStatus};
use rules::Plan;
use serde_json::Value;

use crate::next::current_step;

/// The outcome of the step `envelope` runs, as it goes into `done`.
pub(crate) struct Outcome<'a> {
    pub status: StepStatus,
    pub output: Option<&'a Value>,
    pub request_ids: &'a [String],
    pub requests: &'a [String],
    pub failure: Option<&'a FailureReport>,
}

/// The step's outcome as a `done` entry.
pub(crate) fn step_outcome(envelope: &Envelope<Plan>, outcome: &Outcome<'_>) -> Value {
    let step = current_step(envelope);
    let name = step
        .and_then(|s| s.name.clone())
        .unwrap_or_else(|| envelope.cursor.index.to_string());
    let record = StepOutcome {
        step: name,
        phase: envelope.cursor.phase.as_str().to_owned(),
        action: step.map(|s| s.action.clone()).unwrap_or_default(),
        status: outcome.status,
        output: outcome.output.and_then(public_output),
        okta_request_ids: outcome.request_ids.to_vec(),
        requests: outcome.requests.to_vec(),
        error: outcome.failure.map(FailureReport::detail),
    };
    serde_json::to_value(record).unwrap_or(Value::Null)
}

/// `output` without secret fields, in clear or sealed (a sealed value is only ever a
/// secret field's); `None` when nothing is left.
fn public_output(output: &Value) -> Option<Value> {
    match actions::without_secret_outputs(output.clone()) {
        Value::Null => None,
        Value::Object(fields) if fields.is_empty() => None,
        kept => Some(kept),
    }
}

/// The result of the plan `envelope` belongs to, now that it ended with `done` (every
/// step's outcome, this one's last), and where to reply. `executor_dry_run`: the
/// executor that ends it records writes instead of sending them.
pub(crate) fn plan_result(
    envelope: &Envelope<Plan>,
    done: &[Value],
    status: ResultStatus,
    error: Option<String>,
    executor_dry_run: bool,
) -> (ActionResult, Option<String>) {
    let request = envelope.event.request.as_ref();
    let (rule, event) = match request {
        Some(_) => (None, None),
        None => (
            Some(envelope.rule_id.clone()),
            Some(envelope.event.uuid.clone()),
        ),
    };
    let result = ActionResult {
        request_id: request.map(|r| r.id.clone()),
        rule,
        event,
        org: envelope.org.to_string(),
        status,
        // A dry-run executor (`OKTA_HOOKS_DRY_RUN`) sent nothing either.
        dry_run: envelope.dry_run || envelope.plan.dry_run || executor_dry_run,
        requested_by: request.and_then(|r| r.requested_by.clone()),
        requester: request.map(|r| r.requester.clone()),
        reason: request.and_then(|r| r.reason.clone()),
        error,
        steps: done
            .iter()
            .filter_map(|v| serde_json::from_value(v.clone()).ok())
            .collect(),
    };
    (result, request.and_then(|r| r.reply_to.clone()))
}

/// How a plan that ends at this envelope's phase ended: done at the end of `steps`,
/// failed at the end of `on_failure` (a step of `steps` failed before: the envelope's
/// `failure`, whose `error` is the reason).
pub(crate) fn finished_status(envelope: &Envelope<Plan>) -> (ResultStatus, Option<String>) {
    match envelope.cursor.phase {
        Phase::Steps => (ResultStatus::Done, None),
        Phase::OnFailure => (
            ResultStatus::Failed,
            envelope
                .failure
                .as_ref()
                .and_then(|f| f.get("error"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        ),
    }
}
