//! What one run did, for the logs and as CloudWatch Embedded Metric Format.

use serde_json::{Value, json};

use crate::PollError;

/// The CloudWatch namespace of the poller's metrics.
pub const METRICS_NAMESPACE: &str = emf::NAMESPACE;

/// How a run ended.
#[derive(Debug)]
pub enum PollOutcome {
    /// The last page read was empty: the poller is level with Okta.
    CaughtUp,
    /// The budget left no time for another page; the next run goes on.
    BudgetSpent,
    /// Okta answered `429`: the cursor records "not before" this time (epoch seconds).
    Throttled {
        /// Epoch seconds before which no run calls Okta for this org.
        not_before: u64,
    },
    /// An earlier run was throttled and its wait is not over: Okta was not called.
    Waiting {
        /// Epoch seconds the earlier `429` asked to wait until, as stored in the cursor.
        not_before: u64,
    },
    /// Another run advanced the cursor first; this one stopped without advancing.
    LostRace,
    /// Something failed; the cursor stays where it was (the page is read again).
    Failed(PollError),
}

impl PollOutcome {
    /// A short name for logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            PollOutcome::CaughtUp => "caught_up",
            PollOutcome::BudgetSpent => "budget_spent",
            PollOutcome::Throttled { .. } => "throttled",
            PollOutcome::Waiting { .. } => "waiting",
            PollOutcome::LostRace => "lost_race",
            PollOutcome::Failed(_) => "failed",
        }
    }
}

/// One org's run.
#[derive(Debug)]
pub struct PollReport {
    /// The org polled: the EMF `org` dimension and the log field.
    pub org: String,
    /// How the run ended; `Failed` carries the error.
    pub outcome: PollOutcome,
    /// Every event on the pages read (queued types and alert types).
    pub events_read: u64,
    /// Events sent to the events queue (the rules' types).
    pub events_queued: u64,
    /// Queued events the router's ledger had not seen: the hook had not brought them
    /// (or had, moments ago, and the router has not finished them yet).
    pub events_missed_by_hook: u64,
    /// Pages Okta answered, empty ones included (a page that timed out is not counted).
    pub pages_read: u64,
    /// Times the stored cursor moved forward.
    pub cursor_advances: u64,
    /// Alert events (failed hook deliveries, org rate-limit warnings and violations).
    pub alerts: u64,
    /// Now − `published` of the newest event read, when one was read.
    pub newest_event_lag_secs: Option<u64>,
}

impl PollReport {
    /// A report with nothing counted yet and outcome `CaughtUp`, which the run then
    /// overwrites with how it really ended.
    pub fn new(org: &str) -> Self {
        PollReport {
            org: org.to_owned(),
            outcome: PollOutcome::CaughtUp,
            events_read: 0,
            events_queued: 0,
            events_missed_by_hook: 0,
            pages_read: 0,
            cursor_advances: 0,
            alerts: 0,
            newest_event_lag_secs: None,
        }
    }

    /// The run's error, when it failed.
    pub fn error(&self) -> Option<&PollError> {
        match &self.outcome {
            PollOutcome::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// One EMF log line (a JSON object): namespace `okta-hooks`, dimension `org`, metrics
    /// `EventsRead`, `EventsMissedByHook`, `Throttled`, `Alerts` (each only when not zero:
    /// CloudWatch bills a metric for each hour it receives a value, a zero too, and the
    /// dashboard's and the alarm's `Sum` over no value is zero) and, when an event was
    /// read, `NewestEventLagSeconds`. `PagesRead` and `outcome` are plain fields of the
    /// line (Logs Insights reads them; no widget or alarm does, so no metric).
    pub fn emf(&self, timestamp_ms: u64) -> Value {
        let throttled = u64::from(matches!(self.outcome, PollOutcome::Throttled { .. }));
        let mut values: Vec<emf::Metric> = [
            ("EventsRead", self.events_read),
            ("EventsMissedByHook", self.events_missed_by_hook),
            ("Throttled", throttled),
            ("Alerts", self.alerts),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| emf::count(name, n))
        .collect();
        if let Some(lag) = self.newest_event_lag_secs {
            values.push(emf::seconds("NewestEventLagSeconds", lag));
        }
        let mut line = emf::line(
            METRICS_NAMESPACE,
            &[("org", &self.org)],
            &values,
            timestamp_ms,
        );
        if let Value::Object(map) = &mut line {
            map.insert("PagesRead".into(), json!(self.pages_read));
            map.insert("outcome".into(), json!(self.outcome.as_str()));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_names_every_metric_it_carries() {
        let mut report = PollReport::new("acme");
        report.events_read = 5;
        report.events_missed_by_hook = 2;
        report.pages_read = 3;
        report.alerts = 1;
        report.outcome = PollOutcome::Throttled { not_before: 10 };
        let line = report.emf(1_700_000_000_000);
        let meta = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
        assert_eq!(meta["Namespace"], "okta-hooks");
        assert_eq!(meta["Dimensions"], json!([["org"]]));
        let names: Vec<&str> = meta["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["EventsRead", "EventsMissedByHook", "Throttled", "Alerts"]
        );
        for name in names {
            assert!(line[name].is_u64(), "{name} has a value");
        }
        assert_eq!(line["org"], "acme");
        assert_eq!(line["Throttled"], 1);
        assert_eq!(line["EventsMissedByHook"], 2);
        assert_eq!(line["PagesRead"], 3, "a field of the line, not a metric");
        report.newest_event_lag_secs = Some(42);
        report.outcome = PollOutcome::CaughtUp;
        let line = report.emf(0);
        assert_eq!(line["NewestEventLagSeconds"], 42);
        assert!(line.get("Throttled").is_none(), "no 429, no value: {line}");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"][3],
            json!({"Name": "NewestEventLagSeconds", "Unit": "Seconds"})
        );
    }

    #[test]
    fn a_quiet_run_declares_no_metric_and_still_says_what_it_did() {
        let mut report = PollReport::new("acme");
        report.pages_read = 1;
        let line = report.emf(0);
        assert!(line.get("_aws").is_none(), "nothing to count: {line}");
        assert_eq!(line["org"], "acme");
        assert_eq!(line["PagesRead"], 1);
        assert_eq!(line["outcome"], "caught_up");
    }
}
