//! Rules: from an Okta System Log event to the plans of the rules it matches.
//!
//! Pure logic, no AWS and no Okta calls: the router loads a [`RuleSet`] at cold start,
//! asks it what enrichment an event needs, fetches that, and evaluates; `okta-hooks
//! rules check` and `rules test` use the same code.
//!
//! # Rule files
//!
//! YAML files in a directory (`*.yaml`, `*.yml`), each with `rules:` and/or `protected:`:
//!
//! ```yaml
//! rules:
//!   - id: lock-down-on-suspicious-activity
//!     description: The user reported activity they did not do.
//!     on: [user.account.report_suspicious_activity_by_enduser]
//!     if: outcome.result == "SUCCESS"          # CEL, optional
//!     org: prod                                # optional: only this org (or a list)
//!     enrich: [user, groups]                   # optional: fetch the subject first
//!     dry_run: false                           # optional: log the plan, act not
//!     max_destructive_per_hour: 20             # optional cap, enforced by the router
//!     do:
//!       - action: user.suspend
//!         name: suspended                      # optional: later steps read steps.suspended
//!         user: ${ target("User").id }         # one ${…}: keeps the value's type
//!       - action: notify.webhook
//!         url_secret: slack_webhook
//!         body: { text: "Suspended ${ target('User').alternateId }" }
//!     on_failure:
//!       - action: notify.webhook
//!         url_secret: slack_webhook
//!         body: { text: "Lock-down failed: ${ failure.error }" }
//! protected:
//!   users: [admin@example.com, 00u1break_glass]
//!   groups: [Okta Administrators]
//! ```
//!
//! CEL variables: `event` (the event JSON), `org`, `actor`, `outcome`, `debugData`
//! (`event.debugContext.debugData`, `{}` when absent), `user` (the enriched subject
//! `{id, status, profile, groups: [{id, name, type}]}`, or null; needs `enrich`),
//! `item` (in a step with `for_each: <list expression>`, which repeats the step per
//! item), `steps` (outputs of earlier named steps, rendered at execution) and
//! `failure` (in `on_failure` steps, at execution). Functions: `target("User")` (the
//! first target of that type, or null) and `targets("UserGroup")` (a list), plus CEL's
//! standard library and its strings extension.

mod cel_json;
mod diagnostic;
mod eval;
pub mod event_types;
mod expr;
mod load;
mod model;
mod plan;
mod protect;
mod request;
mod template;
mod testing;
mod text;
mod window;
mod yaml;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

pub use diagnostic::{Diagnostic, Severity};
pub use eval::{EvalError, EvalInput, RenderError, SubjectGroup, SubjectUser, render_deferred};
pub use expr::VARIABLES;
pub use model::Enrichment;
pub use plan::{Deferred, DeferredPart, DeferredTemplate, Plan, Step, Touched, touched_by};
pub use protect::Protection;
pub use request::{REQUEST_RULE_ID, request_plan};
pub use testing::{TestFailure, TestReport};
pub use window::{
    Admission, Gate, SuppressGate, SuppressState, ThresholdGate, ThresholdState, Windows,
};

use eval::Scope;
use model::Rule;

/// A checked set of rules, ready to evaluate events. Cheap to share across threads.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_type: HashMap<String, Vec<usize>>,
    protection: Protection,
    warnings: Vec<Diagnostic>,
}

impl RuleSet {
    /// Loads every `*.yaml`/`*.yml` file of `dir` (sorted by name, not recursive).
    /// Fails with every diagnostic (errors and warnings) if any is an error.
    pub fn load_dir(dir: &Path) -> Result<RuleSet, Vec<Diagnostic>> {
        let sources = read_dir(dir)?;
        let mut set = RuleSet::from_sources(&sources)?;
        if sources.is_empty() {
            set.warnings.push(no_rule_files(dir));
        }
        Ok(set)
    }

    /// Every diagnostic of the files of `dir`, errors and warnings, for `rules check`.
    pub fn check_dir(dir: &Path) -> Vec<Diagnostic> {
        match read_dir(dir) {
            Ok(sources) if sources.is_empty() => vec![no_rule_files(dir)],
            Ok(sources) => RuleSet::check_sources(&sources),
            Err(diags) => diags,
        }
    }

    /// Every diagnostic of `(file name, text)` pairs.
    pub fn check_sources<N: AsRef<str>, T: AsRef<str>>(sources: &[(N, T)]) -> Vec<Diagnostic> {
        let owned = own(sources);
        let mut list = load::load(&owned).diags.list;
        sort(&mut list);
        list
    }

    /// A rule set from `(file name, text)` pairs (tests, `rules test`, embedded rules).
    pub fn from_sources<N: AsRef<str>, T: AsRef<str>>(
        sources: &[(N, T)],
    ) -> Result<RuleSet, Vec<Diagnostic>> {
        let owned = own(sources);
        let loaded = load::load(&owned);
        let mut diags = loaded.diags.list;
        sort(&mut diags);
        if diags.iter().any(Diagnostic::is_error) {
            return Err(diags);
        }
        Ok(RuleSet::assemble(loaded.rules, loaded.protection, diags))
    }

    /// The rule set of `(file name, text)` pairs, checked, in the form
    /// [`RuleSet::from_prepared`] reads: what evaluation needs, without the YAML, the
    /// checks or the `tests:`. `shipped-rules` runs this when the functions are built, so
    /// their cold start neither parses YAML nor compiles CEL (each expression compiles on
    /// first use). Fails with every diagnostic, as [`RuleSet::from_sources`] does.
    pub fn prepare<N: AsRef<str>, T: AsRef<str>>(
        sources: &[(N, T)],
    ) -> Result<String, Vec<Diagnostic>> {
        let set = RuleSet::from_sources(sources)?;
        let prepared = Prepared {
            rules: set.rules,
            protection: set.protection,
            warnings: set.warnings,
        };
        serde_json::to_string(&prepared).map_err(|e| {
            vec![Diagnostic {
                file: String::new(),
                line: 0,
                column: 0,
                severity: Severity::Error,
                message: format!("the checked rules do not serialize: {e}"),
            }]
        })
    }

    /// A rule set from [`RuleSet::prepare`]'s output, built by the same version of this
    /// crate. Nothing is checked again and no expression is compiled until it is
    /// evaluated; the prepared set has no test cases ([`RuleSet::run_tests`] runs none).
    pub fn from_prepared(prepared: &str) -> Result<RuleSet, PreparedError> {
        let prepared: Prepared = serde_json::from_str(prepared)?;
        Ok(RuleSet::assemble(
            prepared.rules,
            prepared.protection,
            prepared.warnings,
        ))
    }

    fn assemble(rules: Vec<Rule>, protection: Protection, warnings: Vec<Diagnostic>) -> RuleSet {
        let mut by_type: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            for t in &rule.on {
                let list = by_type.entry(t.clone()).or_default();
                if !list.contains(&i) {
                    list.push(i);
                }
            }
        }
        RuleSet {
            rules,
            by_type,
            protection,
            warnings,
        }
    }

    /// Warnings found while loading (e.g. event types hooks cannot deliver).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Rule ids, in file order.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.id.as_str())
    }

    /// What each rule is, in file order: for reports (`rules backtest`).
    pub fn rules(&self) -> impl Iterator<Item = RuleSummary<'_>> {
        self.rules.iter().map(|r| RuleSummary {
            id: &r.id,
            enrich: r.enrich,
            dry_run: r.dry_run,
            orgs: r.orgs.as_deref(),
        })
    }

    /// Every event type some rule handles (the poller's filter, the hook's subscription).
    pub fn event_types(&self) -> BTreeSet<String> {
        self.by_type.keys().cloned().collect()
    }

    /// The protected users and groups.
    pub fn protection(&self) -> &Protection {
        &self.protection
    }

    /// Every action a step of some live rule names, in `do` or `on_failure`, once each
    /// and in catalog order: what the executors' Okta credentials need (`okta-hooks
    /// scopes`). A `dry_run` rule's plans never reach an executor, so its actions are
    /// left out ([`RuleSet::actions_only_in_dry_run`] lists them): trying a rule in dry
    /// run grants nothing.
    pub fn actions_used(&self) -> Vec<&'static actions::ActionSpec> {
        self.actions_of(|r| !r.dry_run)
    }

    /// The actions only `dry_run` rules name: what the executors would need once those
    /// rules go live.
    pub fn actions_only_in_dry_run(&self) -> Vec<&'static actions::ActionSpec> {
        let live = self.actions_used();
        let mut dry = self.actions_of(|r| r.dry_run);
        dry.retain(|a| !live.iter().any(|l| l.name == a.name));
        dry
    }

    fn actions_of(&self, which: impl Fn(&Rule) -> bool) -> Vec<&'static actions::ActionSpec> {
        let used: BTreeSet<&str> = self
            .rules
            .iter()
            .filter(|r| which(r))
            .flat_map(|r| r.steps.iter().chain(&r.on_failure))
            .map(|s| s.action.name)
            .collect();
        actions::catalog()
            .iter()
            .filter(|a| used.contains(a.name))
            .collect()
    }

    /// What the rules, all orgs and event types together, ask to fetch about subjects:
    /// the router's own Okta reads (`okta-hooks scopes`).
    pub fn enrichment_used(&self) -> Enrichment {
        self.rules
            .iter()
            .fold(Enrichment::default(), |acc, r| acc.union(r.enrich))
    }

    /// What the rules that handle this event's type in `org` want fetched about its
    /// subject before evaluation. Nothing for an event no rule handles.
    pub fn enrichment(&self, org: &str, event: &Value) -> Enrichment {
        self.candidates(org, event)
            .fold(Enrichment::default(), |acc, r| acc.union(r.enrich))
    }

    /// The plans of every rule that matches, in rule order. Fails on the first rule that
    /// cannot be evaluated; [`RuleSet::evaluate_each`] keeps going instead.
    pub fn evaluate(&self, input: &EvalInput<'_>) -> Result<Vec<Plan>, EvalError> {
        self.evaluate_each(input)?.into_iter().collect()
    }

    /// One result per rule whose type, org and condition match (rules whose condition is
    /// false are left out), so one broken rule does not hide the others' plans.
    /// Fails only when the input is not an event.
    pub fn evaluate_each(
        &self,
        input: &EvalInput<'_>,
    ) -> Result<Vec<Result<Plan, EvalError>>, EvalError> {
        if !input.event.is_object() {
            return Err(EvalError::NotAnEvent("not a JSON object"));
        }
        if input
            .event
            .get("eventType")
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(EvalError::NotAnEvent("no eventType"));
        }
        let mut candidates = self.candidates(input.org, input.event).peekable();
        if candidates.peek().is_none() {
            return Ok(Vec::new());
        }
        let scope = Scope::new(input);
        let mut out = Vec::new();
        for rule in candidates {
            match eval::condition_holds(rule, &scope) {
                Ok(true) => out.push(eval::plan(rule, &scope)),
                Ok(false) => {}
                Err(e) => out.push(Err(e)),
            }
        }
        Ok(out)
    }

    /// [`RuleSet::evaluate_each`], with each plan passed through its rule's threshold and
    /// suppression in `windows`: only plans whose admission [fires](Admission::fires)
    /// act. The local runner, `rules test` and `rules backtest` keep `windows` across
    /// events; the router keeps the same state in DynamoDB instead.
    pub fn evaluate_gated(
        &self,
        input: &EvalInput<'_>,
        windows: &mut Windows,
    ) -> Result<Vec<Result<Gated, EvalError>>, EvalError> {
        Ok(self
            .evaluate_each(input)?
            .into_iter()
            .map(|result| {
                result.map(|plan| Gated {
                    admission: windows.admit(plan.gate.as_ref()),
                    plan,
                })
            })
            .collect())
    }

    /// Runs the tests written in the rule files (`tests:`), each case with fresh
    /// threshold and suppression state. Event files are read relative to their rule
    /// file, as it was named to the loader.
    pub fn run_tests(&self) -> TestReport {
        testing::run(self.rules.iter())
    }

    /// Per rule, how many of its test cases expect plans and how many expect none.
    pub fn test_counts(&self) -> Vec<TestCounts<'_>> {
        self.rules
            .iter()
            .map(|r| {
                let none = r
                    .tests
                    .iter()
                    .filter(|t| matches!(t.expect, testing::Expect::Nothing))
                    .count();
                TestCounts {
                    rule: &r.id,
                    expecting_plans: r.tests.len() - none,
                    expecting_none: none,
                }
            })
            .collect()
    }

    fn candidates<'a>(
        &'a self,
        org: &'a str,
        event: &Value,
    ) -> impl Iterator<Item = &'a Rule> + 'a {
        let event_type = event
            .get("eventType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.by_type
            .get(event_type)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.rules[i])
            .filter(move |r| r.applies_to_org(org))
    }
}

/// `30s`, `10m`, `1h`, `2d`: a duration as rule files write it (`within:`, `for:`), for
/// the command lines that take the same spelling. `None` for anything else.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let ms = load::parse_duration_ms(text)?;
    u64::try_from(ms).ok().map(std::time::Duration::from_millis)
}

/// What [`RuleSet::prepare`] writes and [`RuleSet::from_prepared`] reads.
#[derive(serde::Serialize, serde::Deserialize)]
struct Prepared {
    rules: Vec<Rule>,
    protection: Protection,
    warnings: Vec<Diagnostic>,
}

/// A prepared rule set that does not read back: not [`RuleSet::prepare`]'s output, or
/// that of another version of this crate.
#[derive(Debug, thiserror::Error)]
#[error("the prepared rules do not read: {0}")]
pub struct PreparedError(#[from] serde_json::Error);

/// A matching rule's plan and whether it acts now.
#[derive(Debug, Clone, PartialEq)]
pub struct Gated {
    /// The plan the rule made for this event.
    pub plan: Plan,
    /// What its threshold and suppression said.
    pub admission: Admission,
}

/// One rule as a report names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSummary<'a> {
    /// The rule's id.
    pub id: &'a str,
    /// What it fetches about the subject before evaluating.
    pub enrich: Enrichment,
    /// `dry_run: true`: it logs its plans and acts not.
    pub dry_run: bool,
    /// `org:`: the only orgs it applies to; `None` for every org.
    pub orgs: Option<&'a [String]>,
}

/// How many test cases a rule carries, by what they expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestCounts<'a> {
    /// The rule's id.
    pub rule: &'a str,
    /// Cases that expect plans (the rule matches).
    pub expecting_plans: usize,
    /// Cases that expect no plan.
    pub expecting_none: usize,
}

fn own<N: AsRef<str>, T: AsRef<str>>(sources: &[(N, T)]) -> Vec<(String, String)> {
    sources
        .iter()
        .map(|(n, t)| (n.as_ref().to_owned(), t.as_ref().to_owned()))
        .collect()
}

fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
}

/// A directory with no rule file is legal (nothing to do) but most likely a wrong path.
fn no_rule_files(dir: &Path) -> Diagnostic {
    Diagnostic {
        file: dir.display().to_string(),
        line: 0,
        column: 0,
        severity: Severity::Warning,
        message: "no rule files (*.yaml, *.yml) here".into(),
    }
}

/// The rule files of `dir`, or a diagnostic naming the directory or file that failed.
fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, Vec<Diagnostic>> {
    let io_error = |path: &Path, e: std::io::Error| {
        vec![Diagnostic {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            severity: Severity::Error,
            message: format!("cannot read: {e}"),
        }]
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io_error(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    let mut sources = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
        sources.push((path.display().to_string(), text));
    }
    Ok(sources)
}

#[cfg(test)]
mod tests;
