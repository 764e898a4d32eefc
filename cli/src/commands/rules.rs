//! `okta-hooks rules check|test`: the rules checked and their own tests run, or tried on
//! events, offline.

use std::path::{Path, PathBuf};

use rules::{Admission, EvalInput, Gated, Plan, RuleSet, SubjectUser, Windows};
use serde_json::Value;

use super::send::delivery_from_file;

#[derive(clap::Subcommand)]
pub enum RulesCommand {
    /// Check every rule file (YAML, event types, actions and parameters, expressions) and
    /// run the tests the rules carry (`tests:`); fails on an error or a failing test.
    Check {
        /// The rules directory.
        #[arg(default_value = "rules")]
        dir: PathBuf,
    },
    /// Print the plans events would produce, in order: thresholds count across them.
    Test {
        /// A System Log event, an array of events (a sequence), or an event hook delivery.
        event: PathBuf,
        /// The rules directory.
        #[arg(long, default_value = "rules")]
        rules: PathBuf,
        /// The org the event comes from (rules may be scoped to orgs).
        #[arg(long, default_value = "default")]
        org: String,
        /// The subject user as Okta returns it (for rules with `enrich`), JSON.
        #[arg(long)]
        user: Option<PathBuf>,
    },
    /// Run the rules over a System Log window (thresholds included, no writes): per rule
    /// the matches, the plans, the users they would have touched, sample plans.
    Backtest(super::backtest::BacktestArgs),
}

#[derive(Debug, thiserror::Error)]
pub enum RulesCliError {
    #[error("{0} error(s) in the rules")]
    Invalid(usize),
    #[error("{failed} of {cases} rule test(s) failed")]
    TestsFailed { failed: usize, cases: usize },
    #[error(transparent)]
    Event(#[from] super::send::SendError),
    #[error("{path}: {reason}")]
    User { path: PathBuf, reason: String },
    #[error(transparent)]
    Eval(#[from] rules::EvalError),
    #[error(transparent)]
    Backtest(#[from] super::backtest::BacktestError),
}

pub async fn run(command: RulesCommand) -> Result<(), RulesCliError> {
    match command {
        RulesCommand::Check { dir } => check(&dir),
        RulesCommand::Test {
            event,
            rules,
            org,
            user,
        } => test(&event, &rules, &org, user.as_deref()),
        RulesCommand::Backtest(args) => Ok(super::backtest::run(args).await?),
    }
}

fn check(dir: &Path) -> Result<(), RulesCliError> {
    let diagnostics = RuleSet::check_dir(dir);
    for diagnostic in &diagnostics {
        println!("{diagnostic}");
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        return Err(RulesCliError::Invalid(errors));
    }
    let set = load(dir)?;
    let report = set.run_tests();
    for failure in &report.failures {
        println!("{failure}");
    }
    if !report.failures.is_empty() {
        return Err(RulesCliError::TestsFailed {
            failed: report.failures.len(),
            cases: report.cases,
        });
    }
    println!(
        "{}: {} rule(s) on {} event type(s), {} warning(s), {} test(s) passed: ok",
        dir.display(),
        set.len(),
        set.event_types().len(),
        diagnostics.len(),
        report.cases
    );
    Ok(())
}

/// Loads a rules directory, printing its diagnostics when it does not load.
pub fn load(dir: &Path) -> Result<RuleSet, RulesCliError> {
    RuleSet::load_dir(dir).map_err(|diagnostics| {
        for diagnostic in &diagnostics {
            eprintln!("{diagnostic}");
        }
        RulesCliError::Invalid(diagnostics.iter().filter(|d| d.is_error()).count())
    })
}

/// An empty rule set, for a runner started where there are no rules.
pub fn no_rules() -> RuleSet {
    RuleSet::from_sources::<&str, &str>(&[])
        .unwrap_or_else(|_| unreachable!("no sources, no errors"))
}

fn test(event: &Path, dir: &Path, org: &str, user: Option<&Path>) -> Result<(), RulesCliError> {
    let set = load(dir)?;
    let subject = user.map(read_user).transpose()?;
    let delivery = delivery_from_file(event)?;
    let events = delivery["data"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut windows = Windows::default();
    // As the router's ledger does: an event delivered again is not routed again.
    let mut routed = std::collections::HashSet::new();
    for event in &events {
        let uuid = event["uuid"].as_str();
        if uuid.is_some_and(|u| !routed.insert(u.to_owned())) {
            let kind = event["eventType"].as_str().unwrap_or("?");
            println!(
                "event {kind} {}\n  duplicate: already routed",
                uuid.unwrap_or_default()
            );
            continue;
        }
        print_plans(&set, org, event, subject.as_ref(), &mut windows)?;
    }
    Ok(())
}

fn read_user(path: &Path) -> Result<SubjectUser, RulesCliError> {
    let error = |reason: String| RulesCliError::User {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| error(e.to_string()))
}

fn print_plans(
    set: &RuleSet,
    org: &str,
    event: &Value,
    subject: Option<&SubjectUser>,
    windows: &mut Windows,
) -> Result<(), RulesCliError> {
    let kind = event["eventType"].as_str().unwrap_or("?");
    let uuid = event["uuid"].as_str().unwrap_or("?");
    println!("event {kind} {uuid}");
    let needs = set.enrichment(org, event);
    if needs.any() && subject.is_none() {
        println!(
            "  note: a matching rule asks for the subject user (enrich); give it with --user USER.json"
        );
    }
    let results = set.evaluate_gated(
        &EvalInput {
            org,
            event,
            subject,
        },
        windows,
    )?;
    if results.is_empty() {
        println!("  no rule matches");
    }
    for result in results {
        match result {
            Ok(Gated {
                plan,
                admission: Admission::Fire,
            }) => print_plan(set, &plan),
            Ok(Gated { plan, admission }) => {
                println!("  rule {} (matches; {admission})", plan.rule_id);
            }
            Err(error) => println!("  error: {error}"),
        }
    }
    Ok(())
}

/// One plan, as the router would treat it.
pub fn print_plan(set: &RuleSet, plan: &Plan) {
    let status = match (set.protection().refuses(plan), plan.dry_run) {
        (Some(reason), _) => format!("refused: {reason}"),
        (None, true) => "dry run: logged, not sent".to_owned(),
        (None, false) => "would run".to_owned(),
    };
    println!("  rule {} ({status})", plan.rule_id);
    for (i, step) in plan.steps.iter().enumerate() {
        println!(
            "    {}. {} [{}] {}",
            i + 1,
            step.action,
            step.family.as_str(),
            Value::Object(step.params.clone())
        );
    }
    for step in &plan.on_failure {
        println!(
            "    on failure: {} {}",
            step.action,
            Value::Object(step.params.clone())
        );
    }
}
