//! Variable scoping: which variables, functions and earlier steps an expression may
//! use, decided by where it is written (the rule's `if`, a `for_each`, a parameter of a
//! `do` step or of an `on_failure` step).
//!
//! `item` exists only in a `for_each` step, `failure` only in `on_failure` steps,
//! `user` only with `enrich`; `steps` and `failure` are read at execution, so they are
//! allowed in step parameters only and cannot be mixed with event variables in one
//! `${…}`. A step reads the outputs of the named steps before it in its own section
//! ([`StepScope`]).

use std::collections::{BTreeMap, BTreeSet};

use actions::ActionSpec;

use crate::expr::{Expr, FUNCTIONS, VARIABLES};
use crate::model::Enrichment;
use crate::text::{closest, did_you_mean};

/// Where an expression is written, which decides the variables it may use.
#[derive(Clone, Copy)]
pub(super) enum Place<'s> {
    /// The rule's `if`.
    Condition,
    /// A step's `for_each` list.
    ForEach,
    /// A step parameter, with the named steps that step can see.
    Param {
        in_for_each: bool,
        steps: &'s StepScope,
    },
}

/// The named steps of one rule as the next step sees them, and the section it is in.
///
/// A `do` step reads the outputs of the named `do` steps before it. An `on_failure` step
/// reads only the named `on_failure` steps before it: which `do` steps ran before the
/// failure is not known, so their outputs cannot be read; their names stay taken (a
/// name means one step of the rule) and reading one gets a message that says why.
#[derive(Debug)]
pub(super) enum StepScope {
    /// In `do`.
    Do {
        /// The named `do` steps so far, whose outputs later `do` steps read.
        readable: BTreeMap<String, &'static ActionSpec>,
    },
    /// In `on_failure`.
    OnFailure {
        /// The named `on_failure` steps so far, whose outputs later ones read.
        readable: BTreeMap<String, &'static ActionSpec>,
        /// Every named `do` step: taken names whose outputs are not known here.
        of_do: BTreeSet<String>,
    },
}

/// What a `steps.<name>` refers to, seen from one step.
#[derive(Debug, PartialEq)]
enum Seen {
    /// A named step before this one, in its section.
    Readable(&'static ActionSpec),
    /// A `do` step, read from `on_failure`.
    DoFromOnFailure,
    /// No step before this one has that name.
    Unknown,
}

impl StepScope {
    /// The scope of the first `do` step: nothing named yet.
    pub fn first_do() -> StepScope {
        StepScope::Do {
            readable: BTreeMap::new(),
        }
    }

    /// The scope of the first `on_failure` step, once every `do` step has been added.
    pub fn into_on_failure(self) -> StepScope {
        let of_do = match self {
            StepScope::Do { readable } => readable.into_keys().collect(),
            StepScope::OnFailure { of_do, .. } => of_do,
        };
        StepScope::OnFailure {
            readable: BTreeMap::new(),
            of_do,
        }
    }

    /// Records a named step of this section: the steps after it can read its outputs.
    pub fn add(&mut self, name: String, action: &'static ActionSpec) {
        self.readable_mut().insert(name, action);
    }

    /// Whether a step of this rule already has `name`, in either section.
    pub fn is_taken(&self, name: &str) -> bool {
        self.readable().contains_key(name)
            || matches!(self, StepScope::OnFailure { of_do, .. } if of_do.contains(name))
    }

    /// Whether the step is in `on_failure` (where `failure` exists).
    fn in_on_failure(&self) -> bool {
        matches!(self, StepScope::OnFailure { .. })
    }

    fn readable(&self) -> &BTreeMap<String, &'static ActionSpec> {
        match self {
            StepScope::Do { readable } | StepScope::OnFailure { readable, .. } => readable,
        }
    }

    fn readable_mut(&mut self) -> &mut BTreeMap<String, &'static ActionSpec> {
        match self {
            StepScope::Do { readable } | StepScope::OnFailure { readable, .. } => readable,
        }
    }

    fn see(&self, name: &str) -> Seen {
        match (self.readable().get(name), self) {
            (Some(action), _) => Seen::Readable(action),
            (None, StepScope::OnFailure { of_do, .. }) if of_do.contains(name) => {
                Seen::DoFromOnFailure
            }
            (None, _) => Seen::Unknown,
        }
    }
}

/// Every problem with the names `expr` uses when written at `place` in a rule with
/// `enrich`, in the order they are reported (all at the expression's position).
pub(super) fn problems(expr: &Expr, place: Place<'_>, enrich: Enrichment) -> Vec<String> {
    let mut problems = Vec::new();
    let refs = expr.refs();
    let src = expr.source();
    for name in expr.unknown_functions() {
        let hint = did_you_mean(closest(name, FUNCTIONS.iter().copied()));
        problems.push(format!("in `{src}`: unknown function `{name}`{hint}"));
    }
    for var in &refs.variables {
        if !VARIABLES.contains(&var.as_str()) {
            let hint = did_you_mean(closest(var, VARIABLES.iter().copied()));
            problems.push(format!(
                "in `{src}`: unknown variable `{var}`{hint} (known: {})",
                VARIABLES.join(", ")
            ));
        }
    }
    let uses = |v: &str| refs.variables.contains(v);
    if uses("user") && !enrich.any() {
        problems.push(format!(
            "in `{src}`: `user` needs `enrich: [user]` (or `[user, groups]`) on the rule"
        ));
    }
    let (in_for_each, steps) = match place {
        Place::Param { in_for_each, steps } => (in_for_each, Some(steps)),
        Place::Condition | Place::ForEach => (false, None),
    };
    if uses("item") && !in_for_each {
        problems.push(format!(
            "in `{src}`: `item` exists only in a step with `for_each`"
        ));
    }
    if uses("failure") && !steps.is_some_and(StepScope::in_on_failure) {
        problems.push(format!(
            "in `{src}`: `failure` exists only in `on_failure` steps"
        ));
    }
    let deferred = uses("steps") || uses("failure");
    if deferred && steps.is_none() {
        problems.push(format!(
            "in `{src}`: `steps` and `failure` can only be used in step parameters"
        ));
        return problems;
    }
    if deferred
        && let Some(other) = refs
            .variables
            .iter()
            .find(|v| *v != "steps" && *v != "failure")
    {
        problems.push(format!(
            "in `{src}`: an expression that reads `steps` or `failure` runs at execution, \
             where `{other}` is not known: put it in its own `${{…}}`"
        ));
    }
    if refs.opaque_steps {
        problems.push(format!("in `{src}`: write `steps.<name>.<field>`"));
    }
    let Some(steps) = steps else {
        return problems;
    };
    for name in &refs.steps {
        match steps.see(name) {
            Seen::Readable(_) => {}
            Seen::DoFromOnFailure => problems.push(format!(
                "in `{src}`: `on_failure` steps cannot use `steps.{name}` of `do`: \
                 which `do` steps ran before the failure is not known"
            )),
            Seen::Unknown => {
                let visible = steps.readable().keys().map(String::as_str);
                let hint = did_you_mean(closest(name, visible));
                problems.push(format!(
                    "in `{src}`: `steps.{name}` is not a named step before this one{hint}"
                ));
            }
        }
    }
    for (name, field) in &refs.step_fields {
        if let Seen::Readable(spec) = steps.see(name)
            && !spec.outputs.contains(&field.as_str())
        {
            let outputs = if spec.outputs.is_empty() {
                "nothing".to_owned()
            } else {
                spec.outputs.join(", ")
            };
            problems.push(format!(
                "in `{src}`: {} has no output `{field}` (it gives: {outputs})",
                spec.name
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tests::errors;

    fn expr(source: &str) -> Expr {
        Expr::compile(source).unwrap()
    }

    fn action(name: &str) -> &'static ActionSpec {
        actions::find(name).unwrap()
    }

    /// The problems of `source` as a parameter of a step (not in `for_each`) in `steps`.
    fn in_param(source: &str, steps: &StepScope) -> Vec<String> {
        let place = Place::Param {
            in_for_each: false,
            steps,
        };
        problems(&expr(source), place, Enrichment::default())
    }

    /// A `do` scope after a step named `team` that creates a group.
    fn after_team() -> StepScope {
        let mut scope = StepScope::first_do();
        scope.add("team".into(), action("group.create"));
        scope
    }

    #[test]
    fn a_do_step_reads_the_named_steps_before_it_and_gets_a_hint_for_a_typo() {
        let scope = after_team();
        assert_eq!(in_param("steps.team.id", &scope), Vec::<String>::new());
        assert_eq!(
            in_param("steps.taem.id", &scope),
            [
                "in `steps.taem.id`: `steps.taem` is not a named step before this one \
              (did you mean `team`?)"
            ]
        );
        assert_eq!(
            in_param("steps.first.id", &StepScope::first_do()),
            ["in `steps.first.id`: `steps.first` is not a named step before this one"]
        );
    }

    #[test]
    fn on_failure_steps_cannot_read_do_steps_nor_are_they_offered_as_hints() {
        let mut scope = after_team().into_on_failure();
        assert_eq!(
            in_param("steps.team.id", &scope),
            [
                "in `steps.team.id`: `on_failure` steps cannot use `steps.team` of `do`: which \
              `do` steps ran before the failure is not known"
            ]
        );
        assert_eq!(
            in_param("steps.teem.id", &scope),
            ["in `steps.teem.id`: `steps.teem` is not a named step before this one"]
        );
        scope.add("sent".into(), action("notify.webhook"));
        assert_eq!(in_param("steps.sent.status", &scope), Vec::<String>::new());
    }

    #[test]
    fn a_name_is_taken_across_both_sections() {
        let mut scope = after_team();
        assert!(scope.is_taken("team"));
        assert!(!scope.is_taken("sent"));
        scope = scope.into_on_failure();
        assert!(
            scope.is_taken("team"),
            "a `do` name stays taken in on_failure"
        );
        scope.add("sent".into(), action("notify.webhook"));
        assert!(scope.is_taken("sent"));
    }

    #[test]
    fn a_step_name_used_twice_is_an_error_at_the_second_name() {
        let errs = errors(
            "rules:\n  - id: a\n    on: [user.lifecycle.create]\n    do:\n      - action: group.create\n        name: team\n        group_name: T\n    on_failure:\n      - action: notify.webhook\n        name: team\n        url_secret: s\n        body: x\n",
        );
        assert_eq!(
            errs,
            ["t.yaml:10:15: error: step name `team` is used twice in this rule"]
        );
    }

    #[test]
    fn failure_exists_only_in_on_failure_parameters() {
        let on_failure = StepScope::first_do().into_on_failure();
        assert_eq!(in_param("failure.error", &on_failure), Vec::<String>::new());
        assert_eq!(
            in_param("failure.error", &StepScope::first_do()),
            ["in `failure.error`: `failure` exists only in `on_failure` steps"]
        );
        assert_eq!(
            problems(
                &expr("failure.error"),
                Place::Condition,
                Enrichment::default()
            ),
            [
                "in `failure.error`: `failure` exists only in `on_failure` steps",
                "in `failure.error`: `steps` and `failure` can only be used in step parameters",
            ]
        );
    }

    #[test]
    fn item_exists_only_in_parameters_of_a_for_each_step() {
        let scope = StepScope::first_do();
        let each = Place::Param {
            in_for_each: true,
            steps: &scope,
        };
        assert!(problems(&expr("item.id"), each, Enrichment::default()).is_empty());
        assert_eq!(
            in_param("item.id", &scope),
            ["in `item.id`: `item` exists only in a step with `for_each`"]
        );
        assert_eq!(
            problems(&expr("item"), Place::ForEach, Enrichment::default()),
            ["in `item`: `item` exists only in a step with `for_each`"]
        );
    }

    #[test]
    fn user_needs_the_rule_to_enrich() {
        let groups = Enrichment {
            user: false,
            groups: true,
        };
        assert!(problems(&expr("user.id"), Place::Condition, groups).is_empty());
        assert_eq!(
            problems(&expr("user.id"), Place::Condition, Enrichment::default()),
            ["in `user.id`: `user` needs `enrich: [user]` (or `[user, groups]`) on the rule"]
        );
    }

    #[test]
    fn a_field_the_step_does_not_give_is_an_error_listing_what_it_gives() {
        let mut scope = StepScope::first_do();
        scope.add("gone".into(), action("user.suspend"));
        assert_eq!(
            in_param("steps.gone.id", &scope),
            ["in `steps.gone.id`: user.suspend has no output `id` (it gives: nothing)"]
        );
    }

    #[test]
    fn steps_read_at_execution_cannot_mix_with_event_variables() {
        assert_eq!(
            in_param("steps.team.id + event.uuid", &after_team()),
            [
                "in `steps.team.id + event.uuid`: an expression that reads `steps` or `failure` \
              runs at execution, where `event` is not known: put it in its own `${…}`"
            ]
        );
        assert_eq!(
            in_param("steps['team'].id", &after_team()),
            ["in `steps['team'].id`: write `steps.<name>.<field>`"]
        );
    }

    #[test]
    fn step_outputs_and_on_failure_references_are_checked() {
        let base = |tail: &str| {
            format!(
                "rules:\n  - id: a\n    on: [user.lifecycle.create]\n    do:\n      - action: group.create\n        name: team\n        group_name: T\n      - action: group.add_user\n        group: ${{ steps.team.{tail} }}\n        user: u\n    on_failure:\n      - action: notify.webhook\n        url_secret: s\n        body: ${{ steps.team.id }}\n"
            )
        };
        let errs = errors(&base("idd"));
        assert!(
            errs.iter()
                .any(|e| e.contains("group.create has no output `idd` (it gives: id, created")),
            "{errs:#?}"
        );
        assert!(errs.iter().any(|e| e.starts_with("t.yaml:14:15: error: in `steps.team.id`: `on_failure` steps cannot use `steps.team` of `do`")), "{errs:#?}");
        let errs = errors(
            "rules:\n  - id: a\n    on: [user.lifecycle.create]\n    if: steps.x.id == 1\n    do:\n      - action: user.get\n        user: ${ item }\n",
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("can only be used in step parameters")),
            "{errs:#?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("`item` exists only in a step with `for_each`")),
            "{errs:#?}"
        );
    }

    #[test]
    fn unknown_functions_are_errors_at_load() {
        let errs = errors(
            "rules:\n  - id: a\n    on: [user.account.lock]\n    if: tagret('User') != null\n    do:\n      - action: user.unlock\n        user: ${ actor.id }\n",
        );
        assert_eq!(
            errs,
            [
                "t.yaml:4:9: error: in `tagret('User') != null`: unknown function `tagret` (did you mean `target`?)"
            ]
        );
    }
}
