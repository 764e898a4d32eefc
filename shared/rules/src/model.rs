//! Rules as loaded and checked: what evaluation runs.

use actions::ActionSpec;
use serde_json::Value;

use crate::expr::Expr;
use crate::template::Template;

/// What a rule asks to know about the subject user before its condition runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
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

/// One checked rule.
#[derive(Debug, Clone)]
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
    /// The cases of its `tests:`.
    pub tests: Vec<crate::testing::RuleTest>,
}

/// `threshold: {count, within, by}`: act once `count` matching events with the same key
/// fall within `within`.
#[derive(Debug, Clone)]
pub(crate) struct ThresholdDef {
    pub count: u32,
    pub within_ms: i64,
    /// The key (CEL); `None`: one count for the whole rule.
    pub by: Option<Expr>,
}

/// `suppress: {for, by}`: after firing, stay quiet for the key for `for`.
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
pub(crate) struct StepDef {
    pub action: &'static ActionSpec,
    pub name: Option<String>,
    pub for_each: Option<Expr>,
    pub params: Vec<(String, TValue)>,
}

/// A parameter value: literal JSON, or containing templates.
#[derive(Debug, Clone)]
pub(crate) enum TValue {
    Lit(Value),
    Str(Template),
    List(Vec<TValue>),
    Map(Vec<(String, TValue)>),
}
