//! What an envelope carries.

use org_secrets::OrgName;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which list of the plan the cursor walks: the steps, or the rule's `on_failure` steps
/// once a step has failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Steps,
    OnFailure,
}

impl Phase {
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
    pub phase: Phase,
    pub index: usize,
}

/// The System Log event the plan came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRef {
    pub uuid: String,
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
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
    pub rule_id: String,
    /// The step this envelope runs: an index into one list of `plan`.
    pub cursor: Cursor,
    /// The FIFO group (the event's subject): every step of a plan keeps it, so steps about
    /// one user run in order across families.
    pub group: String,
    pub dry_run: bool,
    pub event: EventRef,
    pub plan: P,
    /// Named outputs of the steps done so far.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub outputs: Map<String, Value>,
    /// In the `on_failure` phase: the failed step and why (`{step, action, error,
    /// errorCode, …}`), which those steps read as `failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Value>,
}
