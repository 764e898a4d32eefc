//! Protected users and groups: no plan may touch them.
//!
//! Rules name them by id or by login (users) or name (groups); steps usually carry ids.
//! A plan carries the id → login/name pairs the event and the enrichment revealed
//! ([`Plan::aliases`]), so either spelling matches. The executors re-check with the
//! user they fetched, for the ids a plan could not resolve (an output of an earlier step).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::plan::{Plan, Step, touched_by};

/// The `protected:` lists of a rule set (from any file; they add up).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protection {
    users: Vec<String>,
    groups: Vec<String>,
}

impl Protection {
    /// Protected users, ids or logins, as written.
    pub fn users(&self) -> &[String] {
        &self.users
    }

    /// Protected groups, ids or names, as written.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// Whether nothing is protected.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }

    pub(crate) fn add_user(&mut self, user: String) {
        if !self.users.contains(&user) {
            self.users.push(user);
        }
    }

    pub(crate) fn add_group(&mut self, group: String) {
        if !self.groups.contains(&group) {
            self.groups.push(group);
        }
    }

    /// Why `plan` must not run, naming its rule and the protected user or group it
    /// touches, or `None`.
    pub fn refuses(&self, plan: &Plan) -> Option<String> {
        self.refuses_steps(plan)
            .map(|reason| format!("rule {}: {reason}", plan.rule_id))
    }

    /// [`Protection::refuses`] without the rule's name: for a plan no rule made (an
    /// action request).
    pub fn refuses_steps(&self, plan: &Plan) -> Option<String> {
        plan.steps
            .iter()
            .chain(&plan.on_failure)
            .find_map(|step| self.refuses_step(step, &plan.aliases))
    }

    /// Why one step, as planned, must not run.
    pub fn refuses_step(&self, step: &Step, aliases: &BTreeMap<String, String>) -> Option<String> {
        self.refuses_action(&step.action, &step.params, aliases)
    }

    /// Why `action` with these (rendered) parameters must not run: the executors'
    /// re-check, on the parameters [`Step::render_deferred`] returned and with the
    /// aliases of the plan plus whatever they learnt (e.g. the login of a fetched user).
    pub fn refuses_action(
        &self,
        action: &str,
        params: &serde_json::Map<String, serde_json::Value>,
        aliases: &BTreeMap<String, String>,
    ) -> Option<String> {
        let touched = touched_by(action, params);
        for user in &touched.users {
            if let Some(hit) = matches(&self.users, user, aliases) {
                return Some(format!(
                    "{action} would touch protected user `{hit}` ({user})"
                ));
            }
        }
        for group in &touched.groups {
            if let Some(hit) = matches(&self.groups, group, aliases) {
                return Some(format!(
                    "{action} would touch protected group `{hit}` ({group})"
                ));
            }
        }
        None
    }
}

/// The protected entry that `value` (or one of its known aliases) names. Logins and
/// names compare without case, as Okta does for logins.
fn matches<'a>(
    protected: &'a [String],
    value: &str,
    aliases: &BTreeMap<String, String>,
) -> Option<&'a str> {
    let mut names: Vec<&str> = vec![value];
    if let Some(alias) = aliases.get(value) {
        names.push(alias);
    }
    names.extend(
        aliases
            .iter()
            .filter(|(_, alias)| alias.eq_ignore_ascii_case(value))
            .map(|(id, _)| id.as_str()),
    );
    protected
        .iter()
        .find(|p| names.iter().any(|n| n.eq_ignore_ascii_case(p)))
        .map(String::as_str)
}
