//! CloudWatch Embedded Metric Format: a JSON log line that CloudWatch turns into metrics,
//! so functions publish metrics without an API call or an agent.
//!
//! ```
//! let line = emf::line("okta-hooks", &[("family", "users")], &[emf::count("ActionsRun", 1)], 0);
//! assert_eq!(line["ActionsRun"], 1.0);
//! assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0], "family");
//! ```

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

/// The EMF object: `dimensions` (name, value) form the one dimension set; each metric is
/// declared under `_aws` and carried as a top-level member, as EMF requires.
pub fn line(
    namespace: &str,
    dimensions: &[(&str, &str)],
    metrics: &[Metric],
    timestamp_ms: u64,
) -> Value {
    let names: Vec<&str> = dimensions.iter().map(|(name, _)| *name).collect();
    let declared: Vec<Value> = metrics
        .iter()
        .map(|m| json!({"Name": m.name, "Unit": m.unit}))
        .collect();
    let mut object = Map::new();
    object.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{"Namespace": namespace, "Dimensions": [names], "Metrics": declared}],
        }),
    );
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

/// Prints the line on stdout, where Lambda's log stream picks it up.
pub fn emit(namespace: &str, dimensions: &[(&str, &str)], metrics: &[Metric]) {
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
}
