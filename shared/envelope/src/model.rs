//! What an envelope carries.

use org_secrets::OrgName;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which list of the plan the cursor walks: the steps, or the rule's `on_failure` steps
/// once a step has failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The plan's `steps`, walked in order while every step succeeds.
    Steps,
    /// The rule's `on_failure` steps, walked once a step of `steps` has failed for good;
    /// the envelope's `failure` says which step and why.
    OnFailure,
}

impl Phase {
    /// The name the phase has on the wire (`steps`, `on_failure`), for log fields and the
    /// envelope id: it is hashed into [`crate::envelope_id`], so it must never change
    /// while envelopes may be in flight.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Steps => "steps",
            Phase::OnFailure => "on_failure",
        }
    }
}

/// The step this envelope runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Which list of the plan `index` counts in.
    pub phase: Phase,
    /// Zero-based position of the step in that list; an index past its end names no step,
    /// and the executor refuses such an envelope rather than guess.
    pub index: usize,
}

/// The System Log event the plan came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRef {
    /// The event's `uuid`: the key of the router's dedup ledger and part of every envelope
    /// id, so a replayed event yields the same ids.
    pub uuid: String,
    /// The event's `eventType` (empty when it has none), kept for the logs.
    pub event_type: String,
    /// The event's `published` time as Okta wrote it (RFC 3339), when it has one: the
    /// executor measures the event-to-action latency from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The event hook delivery that brought the event, when it came by hook (not by log
    /// polling), so an audit line can be traced back to the delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    /// For a plan someone asked for on the action-requests queue rather than one a rule
    /// made: who asked, why and where the result goes. Its `uuid` is then
    /// `request:<request id>`, which no System Log event has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestRef>,
}

/// The action request a plan came from: signed with the plan, so no executor can change
/// who asked or where the result goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRef {
    /// The request's `request_id` (given, or the SQS message id): it makes the request
    /// idempotent and names its result.
    pub id: String,
    /// The IAM principal that sent it, as SQS reports it (`SenderId`).
    pub requester: String,
    /// The request's free-text `requested_by`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    /// The request's `reason`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The SQS queue URL the result is also sent to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

/// One step of a plan, with the whole plan and where it stands.
///
/// The step it runs is the one [`Envelope::cursor`] points at in [`Envelope::plan`]: the
/// envelope refers to its step and copies nothing of it, so its action, family and
/// parameters cannot disagree with the plan.
///
/// `P` is the plan type (the rules crate's `Plan`); kept generic so that this crate knows
/// nothing of rules.
///
/// # Envelopes of the previous version
///
/// Envelopes signed before this shape also carried `family`, `action` and `params`:
/// copies of the step at `cursor`, made by the router (first step) and the executors
/// (next steps) from that same plan and signed with it. Such an envelope still opens:
/// the signature covers the payload string as sent, whatever its fields, and unknown
/// fields are skipped when it is read, so the three copies are dropped and the step is
/// taken from the plan, as for a new envelope. Never add `deny_unknown_fields` here
/// while such envelopes may be in flight (on a queue, a DLQ awaiting redrive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<P> {
    /// Deterministic: see [`crate::envelope_id`].
    pub id: String,
    /// The org whose rules made the plan and whose keys sign it; an envelope naming an
    /// invalid org does not deserialise.
    pub org: OrgName,
    /// The rule that made the plan: part of the envelope id, and named in the audit line
    /// of every step so an action can be traced to the rule that asked for it.
    pub rule_id: String,
    /// The step this envelope runs: an index into one list of `plan`.
    pub cursor: Cursor,
    /// The FIFO group (the event's subject): every step of a plan keeps it, so steps about
    /// one user run in order across families.
    pub group: String,
    /// Record the Okta calls instead of making them, for this step and every step after
    /// it (the executor also does so when its own dry-run setting is on). The router
    /// sends no envelope for a dry-run plan, so the envelopes it makes say `false`.
    pub dry_run: bool,
    /// The event the plan came from, for the envelope ids, the audit lines and the
    /// latency metric.
    pub event: EventRef,
    /// The whole plan as the router signed it: the step at `cursor`, and every next step,
    /// are taken from here, never from anything the executor computed.
    pub plan: P,
    /// Named outputs of the steps done so far.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub outputs: Map<String, Value>,
    /// In the `on_failure` phase: the failed step and why (`{step, action, error,
    /// errorCode, …}`), which those steps read as `failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Value>,
    /// What became of each step run so far, in order (the executors' step outcomes,
    /// without secrets): the plan's result is made of them when it finishes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub done: Vec<Value>,
}
