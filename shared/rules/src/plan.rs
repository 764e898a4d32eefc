//! Plans: what a matching rule asks for, ready to travel inside an envelope.

use std::collections::BTreeMap;

use actions::{Family, ParamRole, ParamType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::expr::Expr;

/// The ordered steps a matching rule produced for one event. Steps run one after the
/// other; a failed step stops the plan and starts `on_failure`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The rule that produced it.
    pub rule_id: String,
    /// Log the plan, act not.
    pub dry_run: bool,
    /// The rule's cap on destructive steps per hour, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_destructive_per_hour: Option<u32>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Steps to run when one of `steps` fails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_failure: Vec<Step>,
    /// Ids and the login/name they are known by in this event (users: login; groups:
    /// name), so protection matches either spelling.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aliases: BTreeMap<String, String>,
    /// The rule's threshold and suppression with this event's keys: whether the plan
    /// acts is decided by [`Windows`](crate::Windows) or the router's store. Never
    /// serialised: it concerns routing, not execution.
    #[serde(skip)]
    pub gate: Option<crate::Gate>,
}

/// One step: an action and its rendered parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The name later steps use (`steps.<name>.<field>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The catalog action (`user.suspend`).
    pub action: String,
    /// The executor family, and so the queue.
    pub family: Family,
    /// Counts against `max_destructive_per_hour`.
    pub destructive: bool,
    /// Rendered parameters. A parameter listed in `deferred` holds `null` here until
    /// [`Step::render_deferred`] fills it at execution.
    pub params: Map<String, Value>,
    /// Parameters that read earlier steps' outputs, rendered at execution.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deferred: Vec<Deferred>,
}

/// A parameter (or a part of one) that can only be rendered at execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deferred {
    /// Where it goes in `params`, as a JSON pointer (`/body/text`).
    pub pointer: String,
    /// What to render.
    pub template: DeferredTemplate,
}

/// A deferred template: text already rendered at routing stays text, so nothing from
/// the event is ever evaluated as an expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeferredTemplate {
    /// One expression: the value keeps its type.
    Expr(String),
    /// A string made of text and expressions.
    Parts(Vec<DeferredPart>),
}

/// A piece of a [`DeferredTemplate::Parts`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeferredPart {
    /// Text, used as is.
    Text(String),
    /// A CEL expression over `steps` (and `failure`).
    Expr(String),
}

/// The users and groups a plan acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Touched {
    /// User ids or logins, as the steps give them.
    pub users: Vec<String>,
    /// Group ids.
    pub groups: Vec<String>,
}

impl Plan {
    /// The users and groups this plan changes (read-only steps excluded), from the
    /// parameters whose catalog role is a user or a group. Deferred values are not known
    /// yet: the executors re-check those.
    pub fn touched(&self) -> Touched {
        let mut all = Touched::default();
        for step in self.steps.iter().chain(&self.on_failure) {
            let t = step.touched();
            for u in t.users {
                if !all.users.contains(&u) {
                    all.users.push(u);
                }
            }
            for g in t.groups {
                if !all.groups.contains(&g) {
                    all.groups.push(g);
                }
            }
        }
        all
    }

    /// Whether a step of this plan (in `steps` or `on_failure`) may read
    /// `steps.<step>.<field>`: executors keep a secret output only when it is read
    /// later, and drop it otherwise. Errs on the side of `true`: an expression that
    /// reads `steps.<step>` whole (`steps.temp["tempPassword"]`), reads `steps` other
    /// than by name, or no longer compiles counts as reading every field.
    pub fn references(&self, step: &str, field: &str) -> bool {
        let wanted = (step.to_owned(), field.to_owned());
        self.steps
            .iter()
            .chain(&self.on_failure)
            .flat_map(|s| &s.deferred)
            .flat_map(Deferred::sources)
            .any(|source| match Expr::compile(source) {
                Ok(expr) => {
                    let refs = expr.refs();
                    refs.opaque_steps
                        || refs.whole_steps.contains(step)
                        || refs.step_fields.contains(&wanted)
                }
                Err(_) => true,
            })
    }

    /// How many of its steps are destructive.
    pub fn destructive_steps(&self) -> usize {
        self.steps.iter().filter(|s| s.destructive).count()
    }
}

impl Deferred {
    /// The CEL sources it evaluates.
    fn sources(&self) -> Vec<&str> {
        match &self.template {
            DeferredTemplate::Expr(source) => vec![source.as_str()],
            DeferredTemplate::Parts(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    DeferredPart::Expr(source) => Some(source.as_str()),
                    DeferredPart::Text(_) => None,
                })
                .collect(),
        }
    }
}

impl Step {
    /// The users and groups this step changes (nothing for a read-only action).
    /// Deferred parameters are still `null` here: see [`touched_by`].
    pub fn touched(&self) -> Touched {
        touched_by(&self.action, &self.params)
    }
}

/// The users and groups `action` with these parameters changes, from the parameters
/// whose catalog role is a user or a group (nothing for a read-only action). Executors
/// use it on the parameters [`Step::render_deferred`] returned.
pub fn touched_by(action: &str, params: &Map<String, Value>) -> Touched {
    let mut t = Touched::default();
    let Some(spec) = actions::find(action) else {
        return t;
    };
    if spec.read_only {
        return t;
    }
    for param in spec.params {
        let Some(value) = params.get(param.name) else {
            continue;
        };
        let list = match param.role {
            ParamRole::UserRef => &mut t.users,
            ParamRole::GroupRef => &mut t.groups,
            _ => continue,
        };
        match (param.ty, value) {
            (ParamType::StringList, Value::Array(items)) => {
                list.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            (_, Value::String(s)) => list.push(s.clone()),
            _ => {}
        }
    }
    t
}
