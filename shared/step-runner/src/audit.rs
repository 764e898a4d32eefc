//! The audit trail: one log line per action run, whatever came of it.

use std::time::Duration;

use actions::ParamRole;
use envelope::Envelope;
use rules::Plan;
use serde_json::{Map, Value};

/// What the audit line says came of the action. `Copy`: a flag and borrowed reasons,
/// handed to both the metrics and the audit line.
#[derive(Clone, Copy)]
pub(crate) enum Verdict<'a> {
    Done { already_in_state: bool },
    DryRun,
    Retry(&'a str),
    Failed(&'a str),
}

/// The user, group or app the action is about (the first such parameter), else its
/// first plain string parameter: what a reader of the audit log looks for.
pub(crate) fn target(action: &str, params: &Map<String, Value>) -> String {
    let Some(spec) = actions::find(action) else {
        return String::new();
    };
    let text = |name: &str| match params.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    };
    let referenced = spec
        .params
        .iter()
        .filter(|p| p.role != ParamRole::None)
        .find_map(|p| text(p.name));
    // Plain strings may be secrets (passwords): only names that say what they are.
    let named = [
        "login",
        "email",
        "name",
        "path",
        "url_secret",
        "session",
        "factor",
    ]
    .into_iter()
    .find_map(text);
    referenced.or(named).unwrap_or_default()
}

/// The action's metrics as one EMF line (namespace `okta-hooks`, dimension `family`):
/// `ActionsDone`, `ActionsFailed`, `ActionsRetried`, `ActionsDryRun`, and for a done
/// action `EventToActionLatency`, from the event's `published` time to now.
pub(crate) fn metrics(envelope: &Envelope<Plan>, family: &str, verdict: &Verdict<'_>) {
    let name = match verdict {
        Verdict::Done { .. } => "ActionsDone",
        Verdict::DryRun => "ActionsDryRun",
        Verdict::Retry(_) => "ActionsRetried",
        Verdict::Failed(_) => "ActionsFailed",
    };
    let mut values = vec![emf::count(name, 1)];
    if let (Verdict::Done { .. }, Some(latency)) = (verdict, since_published(envelope)) {
        values.push(emf::millis("EventToActionLatency", latency));
    }
    emf::emit(emf::NAMESPACE, &[("family", family)], &values);
}

/// Okta's answer to one of the family's calls as one EMF line (namespace `okta-hooks`,
/// dimension `family`): `Okta429s` (1) when Okta answered `429` and, when Okta sent
/// `X-Rate-Limit-Remaining`, `OktaRateLimitRemaining`: the headroom left in the window
/// (the executors hold a step back at `OKTA_HOOKS_RATE_RESERVE`). No `Okta429s` value
/// when Okta did not answer `429`: CloudWatch bills a metric for each hour it receives a
/// value, a zero too, and the dashboard's `Sum` over no value is zero. Nothing is printed
/// when there is neither.
pub(crate) fn rate_metrics(family: &str, limit: &okta_client::RateLimit, throttled: bool) {
    if let Some(line) = rate_line(family, limit, throttled, emf::now_ms()) {
        println!("{line}");
    }
}

fn rate_line(
    family: &str,
    limit: &okta_client::RateLimit,
    throttled: bool,
    timestamp_ms: u64,
) -> Option<Value> {
    let mut values = Vec::new();
    if throttled {
        values.push(emf::count("Okta429s", 1));
    }
    if let Some(remaining) = limit.remaining {
        values.push(emf::count("OktaRateLimitRemaining", remaining));
    }
    (!values.is_empty())
        .then(|| emf::line(emf::NAMESPACE, &[("family", family)], &values, timestamp_ms))
}

/// Milliseconds from the event's `published` time to now.
fn since_published(envelope: &Envelope<Plan>) -> Option<u64> {
    use time::format_description::well_known::Rfc3339;
    let published = envelope.event.published.as_deref()?;
    let at = time::OffsetDateTime::parse(published, &Rfc3339).ok()?;
    let ms = (time::OffsetDateTime::now_utc() - at).whole_milliseconds();
    u64::try_from(ms).ok()
}

/// Logs the audit line of one action.
pub(crate) fn record(
    envelope: &Envelope<Plan>,
    target: &str,
    verdict: Verdict<'_>,
    request_ids: &[String],
    took: Duration,
) {
    let (outcome, reason) = match verdict {
        Verdict::Done {
            already_in_state: false,
        } => ("done", ""),
        Verdict::Done {
            already_in_state: true,
        } => ("already_in_state", ""),
        Verdict::DryRun => ("dry_run", ""),
        Verdict::Retry(why) => ("retry", why),
        Verdict::Failed(why) => ("failed", why),
    };
    tracing::info!(
        audit = true,
        event = %envelope.event.uuid,
        delivery = envelope.event.delivery_id.as_deref().unwrap_or(""),
        rule = %envelope.rule_id,
        envelope = %envelope.id,
        org = %envelope.org,
        action = crate::next::current_step(envelope).map_or("", |step| step.action.as_str()),
        target,
        outcome,
        reason,
        okta_request_id = request_ids.join(","),
        duration_ms = took.as_millis() as u64,
        "action"
    );
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_okta_answer_counts_a_429_and_the_rate_limit_headroom_per_family() {
        let limit = okta_client::RateLimit {
            limit: Some(600),
            remaining: Some(42),
            reset_epoch: Some(1_700_000_060),
            date_epoch: Some(1_700_000_000),
        };
        let line = rate_line("users", &limit, true, 7).unwrap();
        let meta = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(meta["Namespace"], "okta-hooks");
        assert_eq!(meta["Dimensions"], json!([["family"]]));
        assert_eq!(line["family"], "users");
        assert_eq!(line["Okta429s"], 1);
        assert_eq!(line["OktaRateLimitRemaining"], 42);
        let answered = rate_line("users", &limit, false, 7).unwrap();
        assert!(
            answered.get("Okta429s").is_none(),
            "no 429, no value: {answered}"
        );
        assert_eq!(answered["OktaRateLimitRemaining"], 42);
        assert_eq!(
            rate_line("users", &okta_client::RateLimit::default(), false, 7),
            None,
            "no 429 and no header: no line"
        );
    }

    #[test]
    fn target_is_the_referenced_object_never_a_password() {
        let p = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert_eq!(target("user.suspend", &p(json!({"user": "00u1"}))), "00u1");
        assert_eq!(
            target(
                "group.add_user",
                &p(json!({"group": "00g1", "user": "00u1"}))
            ),
            "00g1"
        );
        let set = p(json!({"user": "00u1", "password": "hunter2hunter2"}));
        assert_eq!(target("user.password.set", &set), "00u1");
        assert_eq!(target("no.such", &set), "");
    }
}
