//! Rules as loaded and checked: what evaluation runs.

use actions::ActionSpec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::expr::Expr;
use crate::template::Template;

/// What a rule asks to know about the subject user before its condition runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrichment {
    /// The user's current status and profile (`GET /api/v1/users/{id}`).
    pub user: bool,
    /// The user's groups (`GET /api/v1/users/{id}/groups`).
    pub groups: bool,
}

impl Enrichment {
    /// Whether anything is asked.
    pub fn any(self) -> bool {
        self.user || self.groups
    }

    /// What is asked, as `enrich:` spells it (`user`, `groups`).
    pub fn names(self) -> Vec<&'static str> {
        [("user", self.user), ("groups", self.groups)]
            .into_iter()
            .filter(|(_, asked)| *asked)
            .map(|(name, _)| name)
            .collect()
    }

    pub(crate) fn union(self, other: Enrichment) -> Enrichment {
        Enrichment {
            user: self.user || other.user,
            groups: self.groups || other.groups,
        }
    }
}

/// One checked rule. It serializes to what evaluation needs (a prepared rule set, see
/// [`crate::RuleSet::prepare`]): expressions as their source, actions by name, and
/// without its test cases.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Rule {
    pub id: String,
    pub on: Vec<String>,
    pub condition: Option<Expr>,
    pub orgs: Option<Vec<String>>,
    pub enrich: Enrichment,
    pub dry_run: bool,
    pub max_destructive_per_hour: Option<u32>,
    pub steps: Vec<StepDef>,
    pub on_failure: Vec<StepDef>,
    pub threshold: Option<ThresholdDef>,
    pub suppress: Option<SuppressDef>,
    /// The cases of its `tests:` (not in a prepared rule set).
    #[serde(skip)]
    pub tests: Vec<crate::testing::RuleTest>,
}

/// `threshold: {count, within, by}`: act once `count` matching events with the same key
/// fall within `within`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ThresholdDef {
    pub count: u32,
    pub within_ms: i64,
    /// The key (CEL); `None`: one count for the whole rule.
    pub by: Option<Expr>,
}

/// `suppress: {for, by}`: after firing, stay quiet for the key for `for`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SuppressDef {
    pub for_ms: i64,
    pub by: Option<Expr>,
}

impl Rule {
    pub fn applies_to_org(&self, org: &str) -> bool {
        self.orgs
            .as_ref()
            .is_none_or(|orgs| orgs.iter().any(|o| o == org))
    }
}

/// One step as written: an action and parameter templates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StepDef {
    #[serde(with = "action_by_name")]
    pub action: &'static ActionSpec,
    pub name: Option<String>,
    pub for_each: Option<Expr>,
    pub params: Vec<(String, TValue)>,
}

/// A parameter value: literal JSON, or containing templates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum TValue {
    Lit(Value),
    Str(Template),
    List(Vec<TValue>),
    Map(Vec<(String, TValue)>),
}

/// A step's action, stored by its catalog name.
mod action_by_name {
    use actions::ActionSpec;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(action: &&'static ActionSpec, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(action.name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static ActionSpec, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        actions::find(&name)
            .ok_or_else(|| D::Error::custom(format!("no action `{name}` in the catalog")))
    }
}
