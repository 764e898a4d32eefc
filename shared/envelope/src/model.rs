//! What an envelope carries.

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
/// `P` is the plan type (the rules crate's `Plan`); kept generic so that this crate knows
/// nothing of rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<P> {
    /// Deterministic: see [`crate::envelope_id`].
    pub id: String,
    pub org: String,
    pub rule_id: String,
    /// The action family whose queue and executor run this step.
    pub family: String,
    /// The action, e.g. `user.suspend`.
    pub action: String,
    /// The step's parameters, rendered from the event (references to earlier steps'
    /// outputs are rendered by the executor).
    pub params: Map<String, Value>,
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
