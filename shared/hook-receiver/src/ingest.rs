//! Event hook deliveries: authenticate, validate, enqueue every event, answer.
//!
//! Okta waits 3 s, retries once on a timeout or a 5xx and never on a 4xx. So this
//! answers `200` only once every good event is on the events queue and every bad one
//! (no valid `uuid`, over SQS's 1 MiB, nested too deeply for the router) is parked on
//! the rejects queue with its reason; `503` if any is not (a retry's duplicates are
//! absorbed by the queues' dedup ids); and `4xx` only for requests that could never
//! succeed — a body that is not an event hook delivery at all. One bad event never
//! costs the good events of its delivery.

use std::collections::BTreeMap;

use fifo_queue::{FifoMessage, FifoQueue, MAX_MESSAGE_BYTES, ResendPolicy, send_all};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method, StatusCode};
use okta_events::{OKTA_EVENT_HOOK_TYPE, RawDelivery, queue_entry};
use org_secrets::{OrgName, SecretSource};
use serde_json::json;
use serde_json::value::RawValue;

use crate::auth::Requirement;
use crate::reject::{LogOnlyRejects, Rejected};
use crate::{Authenticator, EnvelopeError, HookError, HookRequest, HookResponse, ReceiverConfig};

/// The delivery endpoint: events onto `queue`, events that cannot go there onto `rejects`.
pub struct IngestHandler<Q, S, R = LogOnlyRejects> {
    config: ReceiverConfig,
    auth: Authenticator<S>,
    queue: Q,
    rejects: R,
    retry: ResendPolicy,
}

/// What became of a delivery's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ingested {
    accepted: usize,
    rejected: usize,
}

impl<Q: FifoQueue, S: SecretSource> IngestHandler<Q, S> {
    /// A handler that only logs rejected events; see [`IngestHandler::with_rejects`].
    pub fn new(config: ReceiverConfig, auth: Authenticator<S>, queue: Q) -> Self {
        IngestHandler {
            config,
            auth,
            queue,
            rejects: LogOnlyRejects,
            retry: ResendPolicy::default(),
        }
    }
}

impl<Q: FifoQueue, S: SecretSource, R: FifoQueue> IngestHandler<Q, S, R> {
    /// Parks rejected events on `rejects` (the `OKTA_HOOKS_REJECTS_QUEUE_URL` FIFO queue).
    pub fn with_rejects<R2: FifoQueue>(self, rejects: R2) -> IngestHandler<Q, S, R2> {
        IngestHandler {
            config: self.config,
            auth: self.auth,
            queue: self.queue,
            rejects,
            retry: self.retry,
        }
    }

    /// Replaces the retry policy for failed queue entries.
    pub fn with_retry(mut self, retry: ResendPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The authenticator (and through it, the secret cache) this handler uses.
    pub fn authenticator(&self) -> &Authenticator<S> {
        &self.auth
    }

    /// Answers one delivery: `200` with the accepted and rejected counts once every
    /// good event is queued (and every bad one parked), or the [`HookError`]'s status.
    pub async fn handle(&self, request: &HookRequest) -> HookResponse {
        match self.ingest(request).await {
            Ok(Ingested { accepted, rejected }) => HookResponse::json(
                StatusCode::OK,
                &json!({ "accepted": accepted, "rejected": rejected }),
            ),
            Err(error) => error.into(),
        }
    }

    async fn ingest(&self, request: &HookRequest) -> Result<Ingested, HookError> {
        if request.method != Method::POST {
            return Err(HookError::MethodNotAllowed);
        }
        let org = self.config.org_of(request.org.as_deref())?;
        let limit = self.config.max_body_bytes;
        if request.body.len() > limit {
            return Err(HookError::PayloadTooLarge {
                size: request.body.len(),
                limit,
            });
        }
        self.auth
            .check(&org, &request.headers, Requirement::Required)
            .await?;
        if !is_json(&request.headers) {
            return Err(HookError::UnsupportedMediaType);
        }
        let delivery = parse_delivery(&request.body)?;
        let (messages, rejected) = sort_events(&org, &delivery);
        let parked: Vec<FifoMessage> = rejected
            .iter()
            .map(|r| r.parked(org.as_str(), &delivery.event_id))
            .collect();
        // Both queues in the same round trip.
        let (sent, parking) = tokio::join!(
            send_all(&self.queue, &messages, &self.retry),
            send_all(&self.rejects, &parked, &self.retry),
        );
        if let Err(error) = sent {
            tracing::error!(%org, delivery = %delivery.event_id, failed = error.failed.len(),
                total = error.total, error = %error.last_error, "delivery not fully enqueued");
            return Err(HookError::QueueUnavailable);
        }
        if let Err(error) = parking {
            tracing::error!(%org, delivery = %delivery.event_id, failed = error.failed.len(),
                total = error.total, error = %error.last_error, "rejected events not parked");
            return Err(HookError::QueueUnavailable);
        }
        count_rejected(&rejected);
        tracing::info!(%org, delivery = %delivery.event_id, events = messages.len(),
            rejected = rejected.len(), "delivery enqueued");
        Ok(Ingested {
            accepted: messages.len(),
            rejected: rejected.len(),
        })
    }
}

/// One `EventsRejected` EMF metric line per reason, on stdout where Lambda's log stream
/// turns it into the metric.
fn count_rejected(rejected: &[Rejected<'_>]) {
    for line in rejected_metric_lines(rejected, emf::now_ms()) {
        println!("{line}");
    }
}

fn rejected_metric_lines(rejected: &[Rejected<'_>], timestamp_ms: u64) -> Vec<serde_json::Value> {
    let mut by_reason: BTreeMap<&'static str, u64> = BTreeMap::new();
    for r in rejected {
        *by_reason.entry(r.reason).or_default() += 1;
    }
    by_reason
        .into_iter()
        .map(|(reason, n)| {
            emf::line(
                emf::NAMESPACE,
                &[("reason", reason)],
                &[emf::count("EventsRejected", n)],
                timestamp_ms,
            )
        })
        .collect()
}

/// `application/json`, or any `application/*+json`, with optional parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn parse_delivery(body: &[u8]) -> Result<RawDelivery<'_>, HookError> {
    let delivery: RawDelivery = serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            HookError::from(EnvelopeError::Shape(e.into()))
        } else {
            HookError::MalformedJson {
                line: e.line(),
                column: e.column(),
                source: e.into(),
            }
        }
    })?;
    if delivery.event_type != OKTA_EVENT_HOOK_TYPE {
        return Err(EnvelopeError::EventType.into());
    }
    if delivery.event_id.trim().is_empty() {
        return Err(EnvelopeError::EmptyEventId.into());
    }
    Ok(delivery)
}

/// One FIFO message per good event (dedup id = event `uuid`, group = the event's
/// subject), and the bad events with why.
fn sort_events<'d>(
    org: &OrgName,
    delivery: &'d RawDelivery<'_>,
) -> (Vec<FifoMessage>, Vec<Rejected<'d>>) {
    let mut messages = Vec::with_capacity(delivery.data.events.len());
    let mut rejected = Vec::new();
    for (index, raw) in delivery.data.events.iter().enumerate() {
        match queue_message(org, &delivery.event_id, index, raw) {
            Ok(message) => messages.push(message),
            Err((reason, detail)) => {
                tracing::warn!(%org, delivery = %delivery.event_id, index, reason, %detail,
                    size = raw.get().len(), "event rejected");
                rejected.push(Rejected {
                    index,
                    reason,
                    detail,
                    text: raw.get(),
                });
            }
        }
    }
    (messages, rejected)
}

/// The events-queue message of one event, or the reason it cannot be one.
fn queue_message(
    org: &OrgName,
    delivery_id: &str,
    index: usize,
    raw: &RawValue,
) -> Result<FifoMessage, (&'static str, String)> {
    let entry = queue_entry(org.as_str(), "hook", Some(delivery_id), raw)
        .map_err(|e| (e.reason(), format!("data.events[{index}] {e}")))?;
    if entry.body.len() > MAX_MESSAGE_BYTES {
        return Err((
            "too_large",
            format!(
                "data.events[{index}] is {} bytes on the queue, over SQS's limit of {MAX_MESSAGE_BYTES}",
                entry.body.len()
            ),
        ));
    }
    tracing::debug!(%org, uuid = %entry.dedup_id, event_type = %entry.event_type, group = %entry.group_id, "event accepted");
    Ok(FifoMessage {
        entry_id: format!("e{index}"),
        dedup_id: entry.dedup_id,
        group_id: entry.group_id,
        body: entry.body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonError;
    use okta_events::is_sqs_id;

    fn headers(content_type: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(CONTENT_TYPE, content_type.parse().unwrap());
        map
    }

    #[test]
    fn a_body_that_is_not_json_says_where_and_keeps_the_parsers_error() {
        use std::error::Error;
        let error = parse_delivery(b"{\"eventType\": ").expect_err("not JSON");
        assert_eq!(
            error.to_string(),
            "body is not valid JSON (line 1, column 14)"
        );
        assert_eq!(error.code(), "malformed_json");
        let source = error.source().expect("the parser's error is kept");
        let json = source
            .downcast_ref::<JsonError>()
            .expect("serde_json's error");
        assert!(json.0.is_eof(), "{json}");
    }

    #[test]
    fn json_that_is_not_a_delivery_keeps_the_parsers_error_and_its_text() {
        use std::error::Error;
        let error = parse_delivery(br#"{"eventType": 1}"#).expect_err("not a delivery");
        assert!(
            error
                .to_string()
                .starts_with("not an event hook delivery: invalid type: integer `1`"),
            "{error}"
        );
        assert_eq!(error.code(), "invalid_envelope");
        assert!(matches!(
            error,
            HookError::InvalidEnvelope(EnvelopeError::Shape(_))
        ));
        let source = error.source().expect("the parser's error is kept");
        let json = source
            .downcast_ref::<JsonError>()
            .expect("serde_json's error");
        assert!(json.0.is_data(), "{json}");
        let wrong_type = br#"{"eventType": "x", "eventId": "1", "data": {"events": []}}"#;
        assert_eq!(
            parse_delivery(wrong_type)
                .expect_err("wrong type")
                .to_string(),
            "eventType must be com.okta.event_hook"
        );
    }

    #[test]
    fn json_media_types() {
        assert!(is_json(&headers("application/json")));
        assert!(is_json(&headers("Application/JSON; charset=utf-8")));
        assert!(is_json(&headers("application/cloudevents+json")));
        assert!(!is_json(&headers("text/plain")));
        assert!(!is_json(&headers("application/jsonx")));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn one_events_rejected_metric_per_reason() {
        let rejected = |index, reason| Rejected {
            index,
            reason,
            detail: String::new(),
            text: "{}",
        };
        let lines = rejected_metric_lines(
            &[
                rejected(0, "missing_uuid"),
                rejected(3, "too_deep"),
                rejected(5, "missing_uuid"),
            ],
            7,
        );
        let got: Vec<(&str, u64)> = lines
            .iter()
            .map(|l| {
                (
                    l["reason"].as_str().unwrap(),
                    l["EventsRejected"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, [("missing_uuid", 2), ("too_deep", 1)]);
        assert_eq!(
            lines[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            emf::NAMESPACE
        );
    }

    #[test]
    fn sqs_ids() {
        assert!(is_sqs_id("f1d0b993-cc19-11ed-a688-db22c99ef6c4"));
        assert!(!is_sqs_id(""));
        assert!(!is_sqs_id("has space"));
        assert!(!is_sqs_id(&"a".repeat(129)));
    }
}
