//! Events worth a warning: failed hook deliveries and org rate-limit warnings.

use serde_json::Value;

/// Alert event types, always read (added to the filter whether or not a rule uses them).
pub const ALERT_TYPES: &[&str] = &[
    "event_hook.delivery",
    "system.org.rate_limit.warning",
    "system.org.rate_limit.violation",
];

/// Why an event is an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The event type.
    pub event_type: String,
    /// One line for the operator.
    pub summary: String,
}

/// The alert an event raises, if any: an `event_hook.delivery` whose outcome is not
/// `SUCCESS` (Okta logs it when a delivery failed), or any org rate-limit warning or
/// violation.
pub fn alert_of(event: &Value) -> Option<Alert> {
    let event_type = event.get("eventType")?.as_str()?;
    let result = event
        .pointer("/outcome/result")
        .and_then(Value::as_str)
        .unwrap_or("");
    let alert = match event_type {
        "event_hook.delivery" => result != "SUCCESS",
        "system.org.rate_limit.warning" | "system.org.rate_limit.violation" => true,
        _ => false,
    };
    if !alert {
        return None;
    }
    let text = |pointer: &str| event.pointer(pointer).and_then(Value::as_str);
    let targets: Vec<&str> = event
        .get("target")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            t.get("displayName")
                .and_then(Value::as_str)
                .or_else(|| t.get("id").and_then(Value::as_str))
        })
        .collect();
    let mut summary = text("/displayMessage").unwrap_or(event_type).to_owned();
    if !result.is_empty() {
        summary.push_str(&format!(" [{result}]"));
    }
    if let Some(reason) = text("/outcome/reason") {
        summary.push_str(&format!(": {reason}"));
    }
    if !targets.is_empty() {
        summary.push_str(&format!(" ({})", targets.join(", ")));
    }
    Some(Alert {
        event_type: event_type.to_owned(),
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn failed_deliveries_and_rate_limits_alert() {
        let failed = json!({
            "eventType": "event_hook.delivery",
            "displayMessage": "Event hook delivery",
            "outcome": {"result": "FAILURE", "reason": "Timeout"},
            "target": [{"id": "who1", "type": "EventHook", "displayName": "okta-hooks default"}]
        });
        let alert = alert_of(&failed).unwrap();
        assert_eq!(alert.event_type, "event_hook.delivery");
        assert_eq!(
            alert.summary,
            "Event hook delivery [FAILURE]: Timeout (okta-hooks default)"
        );
        let ok = json!({"eventType": "event_hook.delivery", "outcome": {"result": "SUCCESS"}});
        assert_eq!(alert_of(&ok), None);
        let warning = json!({"eventType": "system.org.rate_limit.warning"});
        assert!(alert_of(&warning).is_some());
        let violation = json!({"eventType": "system.org.rate_limit.violation", "outcome": {"result": "SUCCESS"}});
        assert!(alert_of(&violation).is_some());
        assert_eq!(alert_of(&json!({"eventType": "user.account.lock"})), None);
        assert_eq!(alert_of(&json!({})), None);
    }
}
