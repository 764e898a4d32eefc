//! `okta-hooks rules backtest`: the rules run over a System Log window, thresholds and
//! suppression included, with no writes.
//!
//! ```sh
//! okta-hooks rules backtest --since 2026-11-01T00:00:00Z --until 2026-11-08T00:00:00Z \
//!   [--rules DIR] [--org NAME] [--format table|json|csv] [--samples N]
//! ```
//!
//! The window and the credential are `replay`'s ([`super::log_window`]): RFC 3339 times,
//! `until` exclusive, at most 90 days; `OKTA_*` variables when `OKTA_ORG_URL` is set, else
//! the org's `okta-read` secret (or `--secret-file`, `--legacy-single-secret`). Only the
//! event types the rules handle are read, oldest first, page by page within the log API's
//! rate limit; the only Okta calls are those reads.
//!
//! [`Backtest`] is the pure part: it takes the events in `published` order, runs them
//! through [`RuleSet::evaluate_gated`] with one in-memory [`Windows`] (so a threshold
//! rule counts across the window as the router would), and tallies per rule what the
//! router would have done. Each event uuid counts once, as the router's ledger would
//! have it. Rules with `enrich` see `user == null`: a backtest looks no user up (the
//! user as they are now is not the user as they were then, and a lookup per event would
//! spend the org's rate limit); the report says so for each such rule.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use org_secrets::OrgName;
use rules::{EvalError, EvalInput, Gated, Plan, RuleSet, Windows};
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::log_window::{
    LogPages, LogWindowArgs, LogWindowError, okta_client, progress_bar, retention_warning,
    type_filter, window,
};

#[derive(clap::Args, Debug)]
pub struct BacktestArgs {
    /// The org (rules may be scoped to orgs), the window and the credential, as `replay`
    /// takes them.
    #[command(flatten)]
    window: LogWindowArgs,
    /// The rules directory.
    #[arg(long, default_value = "rules")]
    rules: PathBuf,
    /// How to print the report: aligned columns with sample plans, one JSON document, or
    /// CSV (one row per rule).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Sample plans kept per rule (the first ones, in `published` order).
    #[arg(long, default_value_t = 3)]
    samples: usize,
}

/// The report's shape on stdout.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Window(#[from] LogWindowError),
    #[error("{0} error(s) in the rules of {1}")]
    Rules(usize, String),
}

/// Where the events came from: printed in the report's first line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The window's start (RFC 3339, inclusive).
    pub since: String,
    /// The window's end (RFC 3339, exclusive).
    pub until: String,
    /// System Log pages read.
    pub pages: usize,
    /// The event types read (those the rules handle).
    pub event_types: Vec<String>,
}

/// How many events were read, and what became of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EventCounts {
    /// Events the log returned.
    pub read: usize,
    /// Events run through the rules (each uuid once).
    pub evaluated: usize,
    /// Events whose uuid was already seen: not evaluated again.
    pub duplicates: usize,
    /// Entries that are not events (no `eventType`): skipped.
    pub not_events: usize,
    /// Events published before one read earlier: evaluated where they came.
    pub out_of_order: usize,
}

/// What one rule would have done over the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RuleReport {
    /// The rule's id.
    pub rule: String,
    /// The rule is `dry_run`: its plans would have been logged, not run.
    pub dry_run: bool,
    /// What the rule asks to fetch (`user`, `groups`); a backtest fetches nothing.
    pub enrich: Vec<String>,
    /// The only orgs the rule applies to (`org:`), when it names some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orgs: Option<Vec<String>>,
    /// Events whose condition held (a plan was made, or its steps failed to render).
    pub matched: usize,
    /// Plans the threshold and suppression let through: what the router would have sent.
    pub plans: usize,
    /// Distinct users those plans change (refused plans excluded).
    pub users: usize,
    /// Plans refused because they touch a protected user or group.
    pub refused: usize,
    /// Events the rule failed to evaluate.
    pub errors: usize,
    /// The first evaluation error, as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// The first plans (up to `--samples`).
    pub samples: Vec<Sample>,
}

/// One plan the rule would have made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// The event's uuid.
    pub event: String,
    /// The event's `published`.
    pub published: String,
    /// Why protection refuses it, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// The steps, in order.
    pub steps: Vec<SampleStep>,
    /// The steps run when one fails.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_failure: Vec<SampleStep>,
}

/// A step of a sample plan: the action and its parameters as rendered from the event
/// (parameters that read earlier steps are `null` until execution).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleStep {
    pub action: String,
    pub params: Map<String, Value>,
}

/// The whole report: `--format json` prints it as is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The org the events were evaluated as.
    pub org: String,
    /// The window and the pages read.
    pub source: Source,
    /// The events.
    pub events: EventCounts,
    /// Every rule, in file order, matched or not.
    pub rules: Vec<RuleReport>,
    /// What the numbers do not show (enrichment not done, duplicates, …).
    pub notes: Vec<String>,
}

/// The rules run over a sequence of events: feed them with [`Backtest::observe`] in
/// `published` order, then take the [`Report`]. No I/O.
pub struct Backtest<'a> {
    set: &'a RuleSet,
    org: String,
    samples: usize,
    windows: Windows,
    rules: Vec<RuleReport>,
    users: Vec<BTreeSet<String>>,
    index: HashMap<String, usize>,
    seen: HashSet<String>,
    newest: Option<OffsetDateTime>,
    events: EventCounts,
}

impl<'a> Backtest<'a> {
    /// A backtest of `set` for events of `org`, keeping up to `samples` plans per rule.
    pub fn new(set: &'a RuleSet, org: &str, samples: usize) -> Self {
        let rules: Vec<RuleReport> = set
            .rules()
            .map(|rule| RuleReport {
                rule: rule.id.to_owned(),
                dry_run: rule.dry_run,
                enrich: rule.enrich.names().into_iter().map(str::to_owned).collect(),
                orgs: rule.orgs.map(<[String]>::to_vec),
                ..RuleReport::default()
            })
            .collect();
        let index = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.rule.clone(), i))
            .collect();
        Backtest {
            set,
            org: org.to_owned(),
            samples,
            windows: Windows::default(),
            users: vec![BTreeSet::new(); rules.len()],
            rules,
            index,
            seen: HashSet::new(),
            newest: None,
            events: EventCounts::default(),
        }
    }

    /// Runs one event through the rules, as the router would (no enrichment).
    pub fn observe(&mut self, event: &Value) {
        self.events.read += 1;
        if let Some(uuid) = event.get("uuid").and_then(Value::as_str)
            && !self.seen.insert(uuid.to_owned())
        {
            self.events.duplicates += 1;
            return;
        }
        if let Some(published) = published_time(event) {
            match self.newest {
                Some(newest) if published < newest => self.events.out_of_order += 1,
                _ => self.newest = Some(published),
            }
        }
        let input = EvalInput {
            org: &self.org,
            event,
            subject: None,
        };
        let Ok(results) = self.set.evaluate_gated(&input, &mut self.windows) else {
            self.events.not_events += 1;
            return;
        };
        self.events.evaluated += 1;
        for result in results {
            match result {
                Ok(gated) => self.count_plan(event, gated),
                Err(error) => self.count_error(&error),
            }
        }
    }

    fn count_plan(&mut self, event: &Value, Gated { plan, admission }: Gated) {
        let Some(&i) = self.index.get(&plan.rule_id) else {
            return;
        };
        let refused = self.set.protection().refuses(&plan);
        let rule = &mut self.rules[i];
        rule.matched += 1;
        rule.dry_run |= plan.dry_run;
        if !admission.fires() {
            return;
        }
        rule.plans += 1;
        match &refused {
            Some(_) => rule.refused += 1,
            None => self.users[i].extend(plan.touched().users),
        }
        if rule.samples.len() < self.samples {
            rule.samples.push(sample(event, &plan, refused));
        }
    }

    fn count_error(&mut self, error: &EvalError) {
        let Some(&i) = error.rule().and_then(|id| self.index.get(id)) else {
            return;
        };
        let rule = &mut self.rules[i];
        rule.errors += 1;
        // Only a condition error means the condition did not hold.
        if !matches!(error, EvalError::Condition { .. }) {
            rule.matched += 1;
        }
        if rule.first_error.is_none() {
            rule.first_error = Some(error.to_string());
        }
    }

    /// The report, with where the events came from.
    pub fn finish(self, source: Source) -> Report {
        let mut rules = self.rules;
        for (rule, users) in rules.iter_mut().zip(&self.users) {
            rule.users = users.len();
        }
        let mut notes = Vec::new();
        for rule in rules.iter().filter(|r| !r.enrich.is_empty()) {
            notes.push(format!(
                "rule {} enriches ({}): a backtest looks no user up, so it saw `user == null`; \
                 the router would have fetched the subject, and its numbers may differ",
                rule.rule,
                rule.enrich.join(", ")
            ));
        }
        for rule in &rules {
            if let Some(orgs) = rule.orgs.as_ref().filter(|o| !o.contains(&self.org)) {
                notes.push(format!(
                    "rule {} applies to org(s) {} only: not evaluated for org {} (give --org)",
                    rule.rule,
                    orgs.join(", "),
                    self.org
                ));
            }
        }
        let events = self.events;
        if events.duplicates > 0 {
            notes.push(format!(
                "{} event(s) came more than once (same uuid): counted once",
                events.duplicates
            ));
        }
        if events.not_events > 0 {
            notes.push(format!(
                "{} entr(ies) without an eventType were skipped",
                events.not_events
            ));
        }
        if events.out_of_order > 0 {
            notes.push(format!(
                "{} event(s) came after a later-published one: evaluated where they came \
                 (thresholds accept events up to one window late)",
                events.out_of_order
            ));
        }
        Report {
            org: self.org,
            source,
            events,
            rules,
            notes,
        }
    }
}

fn published_time(event: &Value) -> Option<OffsetDateTime> {
    let text = event.get("published")?.as_str()?;
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

fn sample(event: &Value, plan: &Plan, refused: Option<String>) -> Sample {
    let text = |field: &str| {
        event
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    let steps = |steps: &[rules::Step]| {
        steps
            .iter()
            .map(|s| SampleStep {
                action: s.action.clone(),
                params: s.params.clone(),
            })
            .collect()
    };
    Sample {
        event: text("uuid"),
        published: text("published"),
        refused,
        steps: steps(&plan.steps),
        on_failure: steps(&plan.on_failure),
    }
}

impl Report {
    /// Aligned columns, then the notes and the sample plans.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let s = &self.source;
        let _ = writeln!(
            out,
            "backtest of org {} from {} to {}: {} event(s) in {} page(s), of the {} type(s) {} rule(s) handle",
            self.org,
            s.since,
            s.until,
            self.events.evaluated,
            s.pages,
            s.event_types.len(),
            self.rules.len()
        );
        let headers = ["rule", "matched", "plans", "users", "refused", "errors"];
        let rows: Vec<[String; 6]> = self
            .rules
            .iter()
            .map(|r| {
                [
                    r.rule.clone(),
                    r.matched.to_string(),
                    r.plans.to_string(),
                    r.users.to_string(),
                    r.refused.to_string(),
                    r.errors.to_string(),
                ]
            })
            .collect();
        let mut widths = headers.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: [&str; 6], tag: &str| {
            let mut text = format!("{:<w$}", cells[0], w = widths[0]);
            for (cell, w) in cells.iter().zip(widths).skip(1) {
                let _ = write!(text, "  {cell:>w$}");
            }
            if !tag.is_empty() {
                let _ = write!(text, "  {tag}");
            }
            text
        };
        let _ = writeln!(out, "{}", line(headers, ""));
        for (rule, row) in self.rules.iter().zip(&rows) {
            let mut tags = Vec::new();
            if rule.dry_run {
                tags.push("dry run");
            }
            if !rule.enrich.is_empty() {
                tags.push("enriches: see note");
            }
            let cells = [
                row[0].as_str(),
                row[1].as_str(),
                row[2].as_str(),
                row[3].as_str(),
                row[4].as_str(),
                row[5].as_str(),
            ];
            let _ = writeln!(out, "{}", line(cells, &tags.join(", ")));
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        for rule in &self.rules {
            if let Some(error) = &rule.first_error {
                let _ = writeln!(out, "first error of {}: {error}", rule.rule);
            }
        }
        for rule in self.rules.iter().filter(|r| !r.samples.is_empty()) {
            let _ = writeln!(
                out,
                "\nsample plans of {} ({} of {}){}:",
                rule.rule,
                rule.samples.len(),
                rule.plans,
                if rule.dry_run {
                    ", dry run: logged, not sent"
                } else {
                    ""
                }
            );
            for sample in &rule.samples {
                let status = match &sample.refused {
                    Some(reason) => format!("  refused: {reason}"),
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  event {} published {}{status}",
                    sample.event, sample.published
                );
                for (i, step) in sample.steps.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "    {}. {} {}",
                        i + 1,
                        step.action,
                        Value::Object(step.params.clone())
                    );
                }
                for step in &sample.on_failure {
                    let _ = writeln!(
                        out,
                        "    on failure: {} {}",
                        step.action,
                        Value::Object(step.params.clone())
                    );
                }
            }
        }
        out
    }

    /// One row per rule: `rule,matched,plans,users,refused,errors`.
    pub fn csv(&self) -> String {
        let mut out = String::from("rule,matched,plans,users,refused,errors\n");
        for r in &self.rules {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}",
                csv_field(&r.rule),
                r.matched,
                r.plans,
                r.users,
                r.refused,
                r.errors
            );
        }
        out
    }

    /// The report as one JSON document.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("a report is plain data: {e}"))
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

pub async fn run(args: BacktestArgs) -> Result<(), BacktestError> {
    let org = OrgName::parse(&args.window.credential.org)
        .map_err(|e| BacktestError::Usage(e.to_string()))?;
    let window = window(
        &args.window.since,
        &args.window.until,
        OffsetDateTime::now_utc(),
    )?;
    if let Some(warning) = retention_warning(&window) {
        eprintln!("{warning}");
    }
    let set = RuleSet::load_dir(&args.rules).map_err(|diagnostics| {
        for diagnostic in &diagnostics {
            eprintln!("{diagnostic}");
        }
        BacktestError::Rules(
            diagnostics.iter().filter(|d| d.is_error()).count(),
            args.rules.display().to_string(),
        )
    })?;
    if set.is_empty() {
        return Err(BacktestError::Usage(format!(
            "no rules in {}: nothing to backtest",
            args.rules.display()
        )));
    }
    let event_types: Vec<String> = set.event_types().into_iter().collect();
    let filter = type_filter(&event_types)?;
    let client = okta_client(
        &args.window.credential,
        &org,
        "cli-backtest",
        super::login::scopes::LOGS,
    )
    .await?;
    let mut pages = LogPages::log_window(client, &window, filter)?;

    eprintln!(
        "reading the System Log of org {org} from {} to {}: {} event type(s)",
        window.since,
        window.until,
        event_types.len()
    );
    let mut backtest = Backtest::new(&set, org.as_str(), args.samples);
    let bar = progress_bar();
    let (mut read, mut done) = (0usize, 0usize);
    loop {
        let page = pages
            .next_page(|wait| {
                bar.set_message(format!(
                    "{read} event(s) read, {done} page(s); waiting {}s for the log API's rate limit",
                    wait.as_secs()
                ));
            })
            .await;
        let Some(items) = page? else { break };
        for raw in &items {
            match serde_json::from_str::<Value>(raw.get()) {
                Ok(event) => backtest.observe(&event),
                Err(_) => backtest.observe(&Value::Null),
            }
        }
        read += items.len();
        done = pages.pages();
        bar.set_message(format!("{read} event(s) read, {done} page(s)"));
    }
    bar.finish_and_clear();

    let report = backtest.finish(Source {
        since: window.since,
        until: window.until,
        pages: pages.pages(),
        event_types,
    });
    match args.format {
        Format::Table => print!("{}", report.table()),
        Format::Json => println!("{}", report.json()),
        Format::Csv => print!("{}", report.csv()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULES: &str = r#"
rules:
  - id: brute-force
    on: [user.session.start]
    if: outcome.result == "FAILURE"
    threshold: {count: 5, within: 10m, by: 'actor.id'}
    do:
      - action: user.suspend
        user: ${ actor.id }
  - id: lock-suspends
    on: [user.account.lock]
    do:
      - action: user.suspend
        user: ${ target("User").id }
  - id: never-matches
    on: [user.lifecycle.create]
    if: outcome.result == "NEVER"
    dry_run: true
    do:
      - action: user.suspend
        user: ${ target("User").id }
protected:
  users: [00uPROTECTED]
"#;

    fn set() -> RuleSet {
        RuleSet::from_sources(&[("rules.yaml", RULES)]).unwrap()
    }

    fn sign_in(uuid: &str, actor: &str, minute: u32, result: &str) -> Value {
        json!({
            "uuid": uuid,
            "published": format!("2026-11-02T10:{minute:02}:00.000Z"),
            "eventType": "user.session.start",
            "actor": {"id": actor, "type": "User"},
            "outcome": {"result": result},
            "target": []
        })
    }

    fn lock(uuid: &str, user: &str, minute: u32) -> Value {
        json!({
            "uuid": uuid,
            "published": format!("2026-11-03T09:{minute:02}:00.000Z"),
            "eventType": "user.account.lock",
            "actor": {"id": user, "type": "User"},
            "outcome": {"result": "SUCCESS"},
            "target": [{"id": user, "type": "User", "alternateId": format!("{user}@example.com")}]
        })
    }

    fn report(events: &[Value], samples: usize) -> Report {
        let set = set();
        let mut backtest = Backtest::new(&set, "default", samples);
        for event in events {
            backtest.observe(event);
        }
        backtest.finish(Source {
            since: "2026-11-01T00:00:00Z".into(),
            until: "2026-11-08T00:00:00Z".into(),
            pages: 1,
            event_types: set.event_types().into_iter().collect(),
        })
    }

    fn rule<'r>(report: &'r Report, id: &str) -> &'r RuleReport {
        report.rules.iter().find(|r| r.rule == id).unwrap()
    }

    #[test]
    fn a_threshold_rule_over_five_failures_in_its_window_counts_five_matches_and_one_plan() {
        let mut events: Vec<Value> = (0..5)
            .map(|i| sign_in(&format!("f{i}"), "00uA", i * 2, "FAILURE"))
            .collect();
        // A success does not match; four failures of another actor do not reach five.
        events.push(sign_in("ok", "00uA", 11, "SUCCESS"));
        events.extend((0..4).map(|i| sign_in(&format!("g{i}"), "00uB", i, "FAILURE")));
        let report = report(&events, 3);
        let brute = rule(&report, "brute-force");
        assert_eq!(
            (
                brute.matched,
                brute.plans,
                brute.users,
                brute.refused,
                brute.errors
            ),
            (9, 1, 1, 0, 0)
        );
        assert_eq!(brute.samples.len(), 1);
        assert_eq!(brute.samples[0].event, "f4", "the fifth failure fires");
        assert_eq!(brute.samples[0].steps[0].action, "user.suspend");
        assert_eq!(brute.samples[0].steps[0].params["user"], "00uA");
        assert_eq!(report.events.evaluated, 10);
    }

    #[test]
    fn the_same_events_delivered_twice_still_make_one_plan() {
        let failures: Vec<Value> = (0..5)
            .map(|i| sign_in(&format!("f{i}"), "00uA", i, "FAILURE"))
            .collect();
        let twice: Vec<Value> = failures.iter().chain(&failures).cloned().collect();
        let report = report(&twice, 3);
        let brute = rule(&report, "brute-force");
        assert_eq!((brute.matched, brute.plans), (5, 1));
        assert_eq!(report.events.read, 10);
        assert_eq!(report.events.duplicates, 5);
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("5 event(s) came more than once"))
        );
    }

    #[test]
    fn users_are_counted_once_each_and_a_protected_one_is_refused_not_touched() {
        let events = [
            lock("l1", "00uONE", 1),
            lock("l2", "00uONE", 2),
            lock("l3", "00uTWO", 3),
            lock("l4", "00uPROTECTED", 4),
        ];
        let report = report(&events, 2);
        let locks = rule(&report, "lock-suspends");
        assert_eq!(
            (locks.matched, locks.plans, locks.users, locks.refused),
            (4, 4, 2, 1)
        );
        // Samples stop at --samples.
        assert_eq!(locks.samples.len(), 2);
        assert_eq!(locks.samples[1].published, "2026-11-03T09:02:00.000Z");
    }

    #[test]
    fn a_refused_plan_says_why_in_its_sample() {
        let report = report(&[lock("l4", "00uPROTECTED", 4)], 3);
        let refused = rule(&report, "lock-suspends").samples[0].refused.as_deref();
        assert!(refused.unwrap().contains("00uPROTECTED"), "{refused:?}");
    }

    #[test]
    fn rules_without_matches_are_listed_with_zeros_and_their_dry_run_mark() {
        let report = report(&[lock("l1", "00uONE", 1)], 3);
        let ids: Vec<&str> = report.rules.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(ids, ["brute-force", "lock-suspends", "never-matches"]);
        let quiet = rule(&report, "never-matches");
        assert_eq!((quiet.matched, quiet.plans, quiet.users), (0, 0, 0));
        assert!(quiet.dry_run);
        assert!(!rule(&report, "lock-suspends").dry_run);
    }

    #[test]
    fn an_event_the_threshold_cannot_place_is_an_error_of_that_rule() {
        // No actor: the threshold's `by` has no key.
        let mut event = sign_in("x1", "00uA", 1, "FAILURE");
        event.as_object_mut().unwrap().remove("actor");
        let report = report(&[event, json!({"uuid": "not-an-event"})], 3);
        let brute = rule(&report, "brute-force");
        assert_eq!((brute.matched, brute.plans, brute.errors), (1, 0, 1));
        assert!(
            brute
                .first_error
                .as_deref()
                .unwrap()
                .contains("brute-force")
        );
        assert_eq!(report.events.not_events, 1);
        assert!(report.table().contains("first error of brute-force: "));
    }

    #[test]
    fn csv_is_one_header_and_one_row_per_rule() {
        let events = [lock("l1", "00uONE", 1), lock("l2", "00uTWO", 2)];
        assert_eq!(
            report(&events, 3).csv(),
            "rule,matched,plans,users,refused,errors\n\
             brute-force,0,0,0,0,0\n\
             lock-suspends,2,2,2,0,0\n\
             never-matches,0,0,0,0,0\n"
        );
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }

    #[test]
    fn json_is_one_document_with_the_numbers_and_the_samples() {
        let report = report(&[lock("l1", "00uONE", 1)], 3);
        let doc: Value = serde_json::from_str(&report.json()).unwrap();
        assert_eq!(doc["org"], "default");
        assert_eq!(doc["source"]["since"], "2026-11-01T00:00:00Z");
        assert_eq!(doc["events"]["evaluated"], 1);
        let locks = &doc["rules"][1];
        assert_eq!(locks["rule"], "lock-suspends");
        for (field, n) in [
            ("matched", 1),
            ("plans", 1),
            ("users", 1),
            ("refused", 0),
            ("errors", 0),
        ] {
            assert_eq!(locks[field], n, "{field}");
        }
        assert_eq!(locks["samples"][0]["event"], "l1");
        assert_eq!(locks["samples"][0]["published"], "2026-11-03T09:01:00.000Z");
        assert_eq!(
            locks["samples"][0]["steps"][0],
            json!({"action": "user.suspend", "params": {"user": "00uONE"}})
        );
        assert_eq!(doc["rules"][2]["dry_run"], true);
    }

    #[test]
    fn the_table_aligns_its_columns_and_marks_dry_run_rules() {
        let report = report(&[lock("l1", "00uONE", 1)], 3);
        let table = report.table();
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("backtest of org default from 2026-11-01T00:00:00Z"));
        assert_eq!(
            lines[1],
            "rule           matched  plans  users  refused  errors"
        );
        assert_eq!(
            lines[3],
            "lock-suspends        1      1      1        0       0"
        );
        assert_eq!(
            lines[4],
            "never-matches        0      0      0        0       0  dry run"
        );
        assert!(
            table.contains("sample plans of lock-suspends (1 of 1):"),
            "{table}"
        );
        assert!(
            table.contains(r#"    1. user.suspend {"user":"00uONE"}"#),
            "{table}"
        );
    }

    #[test]
    fn a_rule_that_enriches_gets_a_note_that_it_saw_no_user() {
        let text = r#"
rules:
  - id: deactivated
    on: [user.lifecycle.deactivate]
    if: user != null
    enrich: [groups]
    do:
      - action: user.sessions.clear
        user: ${ target("User").id }
"#;
        let set = RuleSet::from_sources(&[("r.yaml", text)]).unwrap();
        let mut backtest = Backtest::new(&set, "default", 3);
        backtest.observe(&json!({
            "uuid": "d1", "published": "2026-11-02T10:00:00Z",
            "eventType": "user.lifecycle.deactivate",
            "target": [{"id": "00uX", "type": "User"}]
        }));
        let report = backtest.finish(Source::default());
        assert_eq!(report.rules[0].matched, 0, "user is null in a backtest");
        assert_eq!(report.notes.len(), 1);
        assert!(report.notes[0].starts_with("rule deactivated enriches (groups)"));
        assert!(report.table().contains("note: rule deactivated enriches"));
        assert!(report.table().contains("enriches: see note"));
    }

    #[test]
    fn a_rule_scoped_to_another_org_is_listed_with_a_note_naming_its_orgs() {
        let text = r#"
rules:
  - id: prod-only
    on: [user.account.lock]
    org: [prod, staging]
    do:
      - action: user.sessions.clear
        user: ${ actor.id }
"#;
        let set = RuleSet::from_sources(&[("r.yaml", text)]).unwrap();
        let mut backtest = Backtest::new(&set, "default", 3);
        backtest.observe(&lock("l1", "00uONE", 1));
        let report = backtest.finish(Source::default());
        assert_eq!(report.rules[0].matched, 0);
        assert_eq!(
            report.notes,
            [
                "rule prod-only applies to org(s) prod, staging only: not evaluated for org default (give --org)"
            ]
        );

        let mut backtest = Backtest::new(&set, "prod", 3);
        backtest.observe(&lock("l1", "00uONE", 1));
        let report = backtest.finish(Source::default());
        assert_eq!(report.rules[0].matched, 1);
        assert!(report.notes.is_empty(), "{:?}", report.notes);
    }
}
