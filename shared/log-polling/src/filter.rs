//! Which event types the poller reads: the rules' types plus the alert types.
//!
//! Okta's System Log takes a SCIM filter (`eventType eq "a" or eventType eq "b"`). Okta
//! documents no length limit for it, but the filter travels in the URL of every page
//! (the `next` link repeats it), and URLs past a few KB are refused by proxies and
//! servers alike. A filter whose encoded query would pass [`MAX_FILTER_QUERY_BYTES`] is
//! not sent: the poller then reads every event and filters locally (more pages, same
//! events).

use std::collections::BTreeSet;

use url::Url;

use crate::ALERT_TYPES;

/// The most bytes the percent-encoded `filter` parameter may take.
pub const MAX_FILTER_QUERY_BYTES: usize = 2048;

/// The event types to read, and to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter {
    /// Types sent to the events queue: the rules' types.
    queued: BTreeSet<String>,
    /// Types read: the rules' types and the alert types.
    read: BTreeSet<String>,
    /// The SCIM filter, `None` when too long to send (local filtering only).
    expression: Option<String>,
}

impl EventFilter {
    /// For the event types of the rules (every one, hook-eligible or not).
    pub fn new(rule_types: impl IntoIterator<Item = String>) -> Self {
        Self::with_limit(rule_types, MAX_FILTER_QUERY_BYTES)
    }

    /// The same, with another limit on the encoded filter.
    pub fn with_limit(rule_types: impl IntoIterator<Item = String>, max_bytes: usize) -> Self {
        let queued: BTreeSet<String> = rule_types
            .into_iter()
            .filter(|t| is_event_type(t))
            .collect();
        let mut read = queued.clone();
        read.extend(ALERT_TYPES.iter().map(|t| (*t).to_owned()));
        let expression = read
            .iter()
            .map(|t| format!("eventType eq \"{t}\""))
            .collect::<Vec<_>>()
            .join(" or ");
        let encoded_len = url_encoded_len(&expression);
        let expression = (encoded_len <= max_bytes).then_some(expression);
        if expression.is_none() {
            tracing::warn!(
                types = read.len(),
                encoded_len,
                max_bytes,
                "the event type filter is too long for the URL: reading every event, filtering locally"
            );
        }
        EventFilter {
            queued,
            read,
            expression,
        }
    }

    /// The SCIM filter sent to Okta, when short enough.
    pub fn expression(&self) -> Option<&str> {
        self.expression.as_deref()
    }

    /// Whether events of this type go to the events queue.
    pub fn queues(&self, event_type: &str) -> bool {
        self.queued.contains(event_type)
    }

    /// Every type read (queued types and alert types).
    pub fn read_types(&self) -> &BTreeSet<String> {
        &self.read
    }

    /// `url` with its `filter` parameter set to this filter (or removed when the filter
    /// is not sent). A stored `next` link carries the filter of the run that stored it;
    /// when the rules changed since, the position (`after`) is kept and the filter
    /// replaced, so new types are read from there on. `None` when nothing changes.
    pub fn refilter(&self, url: &Url) -> Option<Url> {
        let current = url
            .query_pairs()
            .find(|(k, _)| k == "filter")
            .map(|(_, v)| v.into_owned());
        if current.as_deref() == self.expression() {
            return None;
        }
        let others: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "filter")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut out = url.clone();
        {
            let mut query = out.query_pairs_mut();
            query.clear();
            for (k, v) in &others {
                query.append_pair(k, v);
            }
            if let Some(expression) = self.expression() {
                query.append_pair("filter", expression);
            }
        }
        Some(out)
    }
}

/// Event types are dotted names; anything else could not be put in a filter safely.
fn is_event_type(t: &str) -> bool {
    !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn url_encoded_len(text: &str) -> usize {
    let mut probe = Url::parse("https://x.invalid/").map_or(0, |mut u| {
        u.query_pairs_mut().append_pair("filter", text);
        u.query().map_or(0, str::len)
    });
    // "filter=" itself is not the filter's.
    probe = probe.saturating_sub("filter=".len());
    probe
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn reads_rule_and_alert_types_queues_rule_types() {
        let filter = EventFilter::new(types(&["user.lifecycle.create", "user.account.lock"]));
        let expression = filter.expression().unwrap();
        assert!(expression.contains(r#"eventType eq "user.account.lock""#));
        assert!(expression.contains(r#"eventType eq "event_hook.delivery""#));
        assert!(expression.contains(r#"eventType eq "system.org.rate_limit.warning""#));
        assert!(expression.contains(r#"eventType eq "system.org.rate_limit.violation""#));
        assert_eq!(expression.matches(" or ").count(), 4);
        assert!(filter.queues("user.account.lock"));
        assert!(!filter.queues("event_hook.delivery"));
        assert!(filter.read_types().contains("event_hook.delivery"));
    }

    #[test]
    fn a_type_a_rule_and_an_alert_share_is_queued_and_read_once() {
        let filter = EventFilter::new(types(&["system.org.rate_limit.warning"]));
        assert!(filter.queues("system.org.rate_limit.warning"));
        assert_eq!(filter.read_types().len(), ALERT_TYPES.len());
    }

    #[test]
    fn a_long_list_falls_back_to_local_filtering() {
        let many: Vec<String> = (0..200).map(|i| format!("user.custom.type{i}")).collect();
        let filter = EventFilter::new(many);
        assert_eq!(filter.expression(), None);
        assert!(filter.queues("user.custom.type7"));
        let short = EventFilter::with_limit(types(&["a.b"]), 10);
        assert_eq!(short.expression(), None);
    }

    #[test]
    fn odd_names_never_reach_the_filter() {
        let filter = EventFilter::new(types(&["a.b\" or true", "ok.type"]));
        assert!(!filter.expression().unwrap().contains("true"));
        assert!(filter.queues("ok.type"));
    }

    #[test]
    fn refilter_keeps_the_position_and_replaces_the_filter() {
        let filter = EventFilter::new(types(&["user.account.lock"]));
        let mut stored = Url::parse("https://acme.okta.com/api/v1/logs?limit=1000").unwrap();
        stored
            .query_pairs_mut()
            .append_pair("filter", r#"eventType eq "old.type""#)
            .append_pair("after", "1700000000000_1");
        let changed = filter.refilter(&stored).unwrap();
        let pairs: Vec<(String, String)> = changed
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert!(pairs.contains(&("after".into(), "1700000000000_1".into())));
        assert!(pairs.contains(&("limit".into(), "1000".into())));
        assert!(pairs.contains(&("filter".into(), filter.expression().unwrap().into())));
        assert_eq!(filter.refilter(&changed), None, "already current");
        let unfiltered = EventFilter::with_limit(types(&["user.account.lock"]), 1);
        let dropped = unfiltered.refilter(&changed).unwrap();
        assert!(!dropped.query_pairs().any(|(k, _)| k == "filter"));
        assert!(dropped.query_pairs().any(|(k, _)| k == "after"));
    }
}
