//! The System Log: events a test logs, served by `GET /api/v1/logs` as Okta serves them.
//!
//! Okta answers two kinds of query (`NOTES.md` §3.6, `listLogEvents` in the spec):
//!
//! - a **polling** query — no `until`, ascending order: events in the order Okta
//!   persisted them (here: the order they were logged), `since` bounding the
//!   *persistence* time, and a `rel="next"` link on **every** page, the last (even
//!   empty) one included. Following it later returns what was logged since. The `next`
//!   link carries the cursor instead of `since` (Okta: `after` and `since` are mutually
//!   exclusive); when a request has both, `after` wins.
//! - a **bounded** query — an `until`, or `sortOrder=DESCENDING`: events with
//!   `since <= published < until` (defaults: `until` now, `since` 7 days before
//!   `until`), sorted by `published` then by the order they were logged (reversed for
//!   descending), with a `next` link only while more events remain.
//!
//! `limit` is 100 by default, at most 1000 (larger values are served as 1000; `0` as
//! the default). `filter` takes the double's subset of SCIM (`eq ne sw co pr` joined by
//! `and`/`or`) on dotted paths into the event's objects (`eventType`, `actor.id`,
//! `outcome.result`; arrays such as `target` are not searched); anything else is
//! `400 E0000031`. `q` keeps events whose JSON text contains every keyword, ignoring
//! case. The cursor (`after`) is opaque; a malformed one is `400 E0000001`.

use std::time::{Duration, SystemTime};

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::filter::Expr;
use crate::okta_api::{self, ApiRequest, Reply};
use crate::org::Org;

/// Okta's default window: `since` is this long before `until` (or now).
const DEFAULT_WINDOW: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Page size when `limit` is absent.
const DEFAULT_LIMIT: usize = 100;
/// The largest page Okta serves.
const MAX_LIMIT: usize = 1000;

/// A System Log event the double could not log.
#[derive(Debug, thiserror::Error)]
pub enum LogEventError {
    /// The event is not a JSON object.
    #[error("a System Log event must be a JSON object, not {0}")]
    NotAnObject(&'static str),
    /// `published` is there but not a string.
    #[error("`published` of a System Log event must be an RFC 3339 string, not {0}")]
    PublishedNotText(String),
    /// `published` is a string but not an RFC 3339 timestamp.
    #[error("`published` of a System Log event is not an RFC 3339 timestamp: {value:?}")]
    Published {
        /// The text given.
        value: String,
        /// Why it did not parse.
        #[source]
        source: time::error::Parse,
    },
}

/// One logged event.
#[derive(Debug, Clone)]
pub(crate) struct LogRecord {
    /// Logging order, from 1; never reused (not even after a reset).
    pub seq: u64,
    /// `published`, parsed.
    pub published: OffsetDateTime,
    /// When it was logged, on the double's clock: Okta's persistence time.
    pub persisted: SystemTime,
    /// The event as given (with `uuid`/`published` filled in when absent).
    pub event: Value,
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Org {
    /// Appends an event. A missing `uuid` gets a fresh one, a missing `published` the
    /// double's current time; a `published` that is not RFC 3339 is refused.
    pub(crate) fn append_log(&mut self, mut event: Value) -> Result<(), LogEventError> {
        let now = self.now();
        let kind = kind_of(&event);
        let Some(object) = event.as_object_mut() else {
            return Err(LogEventError::NotAnObject(kind));
        };
        if !object.get("uuid").is_some_and(Value::is_string) {
            object.insert(
                "uuid".into(),
                Value::String(uuid::Uuid::new_v4().hyphenated().to_string()),
            );
        }
        let published = match object.get("published") {
            None | Some(Value::Null) => {
                object.insert("published".into(), okta_api::timestamp(now));
                OffsetDateTime::from(now)
            }
            Some(Value::String(text)) => {
                OffsetDateTime::parse(text, &Rfc3339).map_err(|source| {
                    LogEventError::Published {
                        value: text.clone(),
                        source,
                    }
                })?
            }
            Some(other) => return Err(LogEventError::PublishedNotText(other.to_string())),
        };
        self.log_seq += 1;
        self.logs.push(LogRecord {
            seq: self.log_seq,
            published,
            persisted: now,
            event,
        });
        Ok(())
    }

    /// Appends events, all or none: a bad one leaves the log as it was.
    pub(crate) fn append_logs(&mut self, events: Vec<Value>) -> Result<(), LogEventError> {
        let (len, seq) = (self.logs.len(), self.log_seq);
        for event in events {
            if let Err(e) = self.append_log(event) {
                self.logs.truncate(len);
                self.log_seq = seq;
                return Err(e);
            }
        }
        Ok(())
    }
}

/// Where a page starts: after the event with this `published` and logging order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    published_nanos: i128,
    seq: u64,
}

impl Cursor {
    fn of(record: &LogRecord) -> Cursor {
        Cursor {
            published_nanos: record.published.unix_timestamp_nanos(),
            seq: record.seq,
        }
    }

    fn key(self) -> (i128, u64) {
        (self.published_nanos, self.seq)
    }

    /// `<published nanos>_<seq>`, in the spirit of Okta's `1627500044869_1`.
    fn render(self) -> String {
        format!("{}_{}", self.published_nanos, self.seq)
    }

    fn parse(text: &str) -> Option<Cursor> {
        let (nanos, seq) = text.split_once('_')?;
        Some(Cursor {
            published_nanos: nanos.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

fn parse_time(req: &ApiRequest<'_>, name: &str) -> Result<Option<OffsetDateTime>, Reply> {
    match req.param(name) {
        None => Ok(None),
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .map(Some)
            .map_err(|_| {
                okta_api::validation(
                    name,
                    "must be an ISO 8601 timestamp, e.g. 2026-11-30T10:00:00.000Z",
                )
            }),
    }
}

/// A dotted path into the event's objects, as text.
fn attribute(event: &Value, path: &str) -> Option<String> {
    let mut value = event;
    for part in path.split('.') {
        value = value.as_object()?.get(part)?;
    }
    match value {
        Value::Null | Value::Array(_) | Value::Object(_) => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// `GET /api/v1/logs` (see the module documentation).
pub(crate) fn list(org: &Org, req: &ApiRequest<'_>) -> Reply {
    match answer(org, req) {
        Ok(reply) | Err(reply) => reply,
    }
}

fn answer(org: &Org, req: &ApiRequest<'_>) -> Result<Reply, Reply> {
    let now = OffsetDateTime::from(org.now());
    let descending = match req.param("sortOrder") {
        None => false,
        Some(s) if s.eq_ignore_ascii_case("ASCENDING") => false,
        Some(s) if s.eq_ignore_ascii_case("DESCENDING") => true,
        Some(_) => {
            return Err(okta_api::validation(
                "sortOrder",
                "must be ASCENDING or DESCENDING",
            ));
        }
    };
    let since = parse_time(req, "since")?;
    let until = parse_time(req, "until")?;
    let limit = match req.param("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<u64>() {
            Ok(0) => DEFAULT_LIMIT,
            Ok(n) => usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
            Err(_) => {
                return Err(okta_api::validation(
                    "limit",
                    "must be an integer between 0 and 1000",
                ));
            }
        },
    };
    let after = match req.param("after") {
        None => None,
        Some(text) => Some(
            Cursor::parse(text)
                .ok_or_else(|| okta_api::validation("after", "is not a cursor Okta returned"))?,
        ),
    };
    let filter = match req.param("filter").filter(|f| !f.trim().is_empty()) {
        None => None,
        Some(text) => Some(Expr::parse(text).map_err(|_| okta_api::invalid_search())?),
    };
    let keywords: Vec<String> = req
        .param("q")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let selected = |r: &&LogRecord| {
        filter
            .as_ref()
            .is_none_or(|e| e.matches(&|attr: &str| attribute(&r.event, attr)))
            && (keywords.is_empty() || {
                let text = r.event.to_string().to_lowercase();
                keywords.iter().all(|k| text.contains(k.as_str()))
            })
    };

    if until.is_none() && !descending {
        // Polling: logging order, a next link on every page.
        let since = since.unwrap_or(now - DEFAULT_WINDOW);
        let mut rest = org
            .logs
            .iter()
            .filter(|r| match after {
                Some(c) => r.seq > c.seq,
                None => OffsetDateTime::from(r.persisted) >= since,
            })
            .filter(selected);
        let page: Vec<&LogRecord> = rest.by_ref().take(limit).collect();
        // A full page resumes after its last event; a short one has seen the whole log.
        let cursor = match page.last() {
            Some(last) if page.len() == limit => Cursor::of(last),
            _ => match org.logs.last() {
                Some(newest) => Cursor::of(newest),
                None => Cursor {
                    published_nanos: 0,
                    seq: org.log_seq,
                },
            },
        };
        let cursor = match after {
            Some(a) if a.seq > cursor.seq => a,
            _ => cursor,
        };
        let values = page.iter().map(|r| r.event.clone()).collect();
        return Ok(reply(req, values, Some(cursor), &["since"]));
    }

    // Bounded: by `published`, pages end.
    let until = until.unwrap_or(now);
    let since = since.unwrap_or(until - DEFAULT_WINDOW);
    let mut window: Vec<&LogRecord> = org
        .logs
        .iter()
        .filter(|r| r.published >= since && r.published < until)
        .filter(selected)
        .collect();
    window.sort_by_key(|r| Cursor::of(r).key());
    if descending {
        window.reverse();
    }
    let mut rest = window
        .into_iter()
        .filter(|r| match after {
            None => true,
            Some(c) if descending => Cursor::of(r).key() < c.key(),
            Some(c) => Cursor::of(r).key() > c.key(),
        })
        .peekable();
    let page: Vec<&LogRecord> = rest.by_ref().take(limit).collect();
    let next = match (rest.peek(), page.last()) {
        (Some(_), Some(last)) => Some(Cursor::of(last)),
        _ => None,
    };
    let values = page.iter().map(|r| r.event.clone()).collect();
    Ok(reply(req, values, next, &[]))
}

/// The page with its `self` link (the request as sent) and, with a cursor, a `next`
/// link: the same query without `after` and `dropped`, plus `after=<cursor>`.
fn reply(
    req: &ApiRequest<'_>,
    values: Vec<Value>,
    next: Option<Cursor>,
    dropped: &[&str],
) -> Reply {
    let url = |pairs: Vec<(String, String)>| okta_api::page_url(req, &pairs);
    let mut links = vec![format!("<{}>; rel=\"self\"", url(req.query.clone()))];
    if let Some(cursor) = next {
        let mut pairs: Vec<(String, String)> = req
            .query
            .iter()
            .filter(|(k, _)| k != "after" && !dropped.contains(&k.as_str()))
            .cloned()
            .collect();
        pairs.push(("after".into(), cursor.render()));
        links.push(format!("<{}>; rel=\"next\"", url(pairs)));
    }
    let mut reply = Reply::json(200, Value::Array(values));
    reply.links = links;
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_rendered() {
        let cursor = Cursor {
            published_nanos: 1_627_500_044_869_000_123,
            seq: 7,
        };
        assert_eq!(Cursor::parse(&cursor.render()), Some(cursor));
        assert_eq!(Cursor::parse("1627500044869"), None);
        assert_eq!(Cursor::parse("x_1"), None);
    }

    #[test]
    fn an_event_without_uuid_or_published_gets_them_and_a_bad_published_is_refused() {
        let mut org = Org::default();
        org.append_log(serde_json::json!({"eventType": "user.session.start"}))
            .unwrap();
        let event = &org.logs[0].event;
        assert!(event["uuid"].as_str().is_some_and(|u| u.len() == 36));
        assert!(event["published"].as_str().is_some());

        let error = org
            .append_log(serde_json::json!({"published": "yesterday"}))
            .unwrap_err();
        assert!(matches!(error, LogEventError::Published { .. }), "{error}");
        let error = org.append_log(serde_json::json!([1])).unwrap_err();
        assert!(matches!(error, LogEventError::NotAnObject("an array")));
        assert_eq!(org.logs.len(), 1);
    }

    #[test]
    fn a_filter_reads_dotted_paths_but_not_arrays() {
        let event = serde_json::json!({"actor": {"id": "00u1"}, "target": [{"id": "00u2"}]});
        assert_eq!(attribute(&event, "actor.id").as_deref(), Some("00u1"));
        assert_eq!(attribute(&event, "target.id"), None);
        assert_eq!(attribute(&event, "actor"), None);
    }
}
