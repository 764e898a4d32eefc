//! CloudWatch Embedded Metric Format: a JSON log line that CloudWatch turns into metrics,
//! so functions publish metrics without an API call or an agent.
//!
//! ```
//! let line = emf::line("okta-hooks", &[("family", "users")], &[emf::count("ActionsRun", 1)], 0);
//! assert_eq!(line["ActionsRun"], 1.0);
//! assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0], "family");
//! ```

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// The namespace of every okta-hooks metric.
pub const NAMESPACE: &str = "okta-hooks";

/// One metric value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    /// The metric's name in CloudWatch (`ActionsRun`, `EventsRejected`, …).
    pub name: &'static str,
    /// `Count`, `Seconds`, `Milliseconds`: CloudWatch's unit names.
    pub unit: &'static str,
    /// The value, in `unit`s.
    pub value: f64,
}

/// A count.
pub fn count(name: &'static str, value: u64) -> Metric {
    Metric {
        name,
        unit: "Count",
        value: value as f64,
    }
}

/// A duration in milliseconds.
pub fn millis(name: &'static str, value: u64) -> Metric {
    Metric {
        name,
        unit: "Milliseconds",
        value: value as f64,
    }
}

/// A duration in seconds.
pub fn seconds(name: &'static str, value: u64) -> Metric {
    Metric {
        name,
        unit: "Seconds",
        value: value as f64,
    }
}

/// Which values become CloudWatch metrics: environment variable `OKTA_HOOKS_METRICS`
/// (template parameter `Metrics`).
///
/// Every declared metric costs $0.30 a month for each dimension value, prorated by the
/// hours it receives data; a value left undeclared stays in the log line (Logs Insights
/// still reads it) and costs nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `full` (the default): every metric, for the dashboard and the alarms.
    Full,
    /// `essential`: only the metrics an alarm reads ([`ESSENTIAL`]); the other values stay
    /// in the line as plain fields. The template creates no dashboard then.
    Essential,
}

/// The metrics an alarm of the template reads: declared at every [`Level`].
pub const ESSENTIAL: &[&str] = &["Alerts"];

impl Level {
    /// `essential` (any case) is [`Level::Essential`]; anything else, or nothing, is
    /// [`Level::Full`]: a typo costs money, never a metric an alarm needs.
    pub fn parse(value: Option<&str>) -> Level {
        match value {
            Some(v) if v.trim().eq_ignore_ascii_case("essential") => Level::Essential,
            _ => Level::Full,
        }
    }

    /// The process's level, read once from `OKTA_HOOKS_METRICS`.
    pub fn current() -> Level {
        static LEVEL: OnceLock<Level> = OnceLock::new();
        *LEVEL.get_or_init(|| Level::parse(std::env::var("OKTA_HOOKS_METRICS").ok().as_deref()))
    }

    fn declares(self, metric: &str) -> bool {
        self == Level::Full || ESSENTIAL.contains(&metric)
    }
}

/// The EMF object at the process's [`Level`] (see [`line_at`]).
pub fn line(
    namespace: &str,
    dimensions: &[(&str, &str)],
    metrics: &[Metric],
    timestamp_ms: u64,
) -> Value {
    line_at(
        Level::current(),
        namespace,
        dimensions,
        metrics,
        timestamp_ms,
    )
}

/// The EMF object: `dimensions` (name, value) form the one dimension set; each metric the
/// `level` declares is declared under `_aws`, and every metric's value is carried as a
/// top-level member, as EMF requires. When the level declares none of them the line has
/// no `_aws` member: a plain JSON log line, which CloudWatch turns into no metric.
pub fn line_at(
    level: Level,
    namespace: &str,
    dimensions: &[(&str, &str)],
    metrics: &[Metric],
    timestamp_ms: u64,
) -> Value {
    let names: Vec<&str> = dimensions.iter().map(|(name, _)| *name).collect();
    let declared: Vec<Value> = metrics
        .iter()
        .filter(|m| level.declares(m.name))
        .map(|m| json!({"Name": m.name, "Unit": m.unit}))
        .collect();
    let mut object = Map::new();
    if !declared.is_empty() {
        object.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{"Namespace": namespace, "Dimensions": [names], "Metrics": declared}],
            }),
        );
    }
    for (name, value) in dimensions {
        object.insert((*name).into(), json!(value));
    }
    for m in metrics {
        object.insert(m.name.into(), number(m.value));
    }
    Value::Object(object)
}

/// Whole values as JSON integers (counts read back as counts), the rest as floats.
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && (0.0..9.0e15).contains(&value) {
        json!(value as u64)
    } else {
        json!(value)
    }
}

/// Milliseconds since the epoch, for [`line`].
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Prints the line on stdout, where Lambda's log stream picks it up; nothing when there is
/// no metric (a line of dimensions alone says nothing).
pub fn emit(namespace: &str, dimensions: &[(&str, &str)], metrics: &[Metric]) {
    if metrics.is_empty() {
        return;
    }
    println!("{}", line(namespace, dimensions, metrics, now_ms()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_each_metric_and_carries_dimensions_and_values_at_the_top() {
        let line = line(
            NAMESPACE,
            &[("org", "acme"), ("family", "users")],
            &[count("ActionsRun", 2), millis("ActionLatency", 1500)],
            1_700_000_000_000,
        );
        let meta = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
        assert_eq!(meta["Namespace"], "okta-hooks");
        assert_eq!(meta["Dimensions"], json!([["org", "family"]]));
        assert_eq!(
            meta["Metrics"],
            json!([{"Name": "ActionsRun", "Unit": "Count"}, {"Name": "ActionLatency", "Unit": "Milliseconds"}])
        );
        assert_eq!(line["org"], "acme");
        assert_eq!(line["family"], "users");
        assert_eq!(line["ActionsRun"], 2);
        assert!(line["ActionsRun"].is_u64(), "a count stays an integer");
        assert_eq!(line["ActionLatency"], 1500.0);
    }

    #[test]
    fn essential_declares_only_what_an_alarm_reads_and_keeps_every_value_in_the_line() {
        let metrics = [count("EventsRead", 3), count("Alerts", 1)];
        let line = line_at(Level::Essential, NAMESPACE, &[("org", "acme")], &metrics, 1);
        let meta = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(
            meta["Metrics"],
            json!([{"Name": "Alerts", "Unit": "Count"}])
        );
        assert_eq!(line["EventsRead"], 3, "an undeclared value stays a field");
        assert_eq!(line["Alerts"], 1);
    }

    #[test]
    fn essential_line_without_an_alarm_metric_is_no_emf_at_all() {
        let line = line_at(
            Level::Essential,
            NAMESPACE,
            &[("family", "users")],
            &[count("ActionsDone", 1)],
            1,
        );
        assert!(line.get("_aws").is_none(), "{line}");
        assert_eq!(line["ActionsDone"], 1);
        assert_eq!(line["family"], "users");
    }

    #[test]
    fn only_the_word_essential_lowers_the_level() {
        assert_eq!(Level::parse(Some("Essential")), Level::Essential);
        assert_eq!(Level::parse(Some(" essential")), Level::Essential);
        assert_eq!(Level::parse(Some("Full")), Level::Full);
        assert_eq!(Level::parse(Some("essentail")), Level::Full);
        assert_eq!(Level::parse(None), Level::Full);
    }
}
