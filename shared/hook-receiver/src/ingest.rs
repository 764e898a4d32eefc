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
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ingested {
    accepted: usize,
    rejected: usize,
    /// Rejected events counted by reason (a fixed set of codes: bounded cardinality).
    by_reason: BTreeMap<&'static str, u64>,
    /// Milliseconds the two queues' sends took together.
    enqueue_ms: u64,
}

/// The `function` dimension of hook-ingest's per-delivery metrics.
pub const INGEST_FUNCTION: &str = "hook-ingest";

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
    /// Prints the delivery's EMF lines ([`delivery_metric_lines`]) on stdout first.
    ///
    /// A `GET` is Okta's verification challenge, answered exactly as
    /// [`VerifyHandler`](crate::VerifyHandler) answers it (same code, same authenticator
    /// and secret cache as the deliveries): behind a Lambda Function URL (template
    /// `Ingress: FunctionUrl`) this one function takes both. It is no delivery, so it
    /// prints no delivery metrics. Behind the HTTP API no `GET` route reaches it.
    pub async fn handle(&self, request: &HookRequest) -> HookResponse {
        if request.method == Method::GET {
            return crate::verify::answer(&self.config, &self.auth, request).await;
        }
        let result = self.ingest(request).await;
        for line in delivery_metric_lines(&result, emf::now_ms()) {
            println!("{line}");
        }
        match result {
            Ok(Ingested {
                accepted, rejected, ..
            }) => HookResponse::json(
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
        let started = std::time::Instant::now();
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
        let enqueue_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(%org, delivery = %delivery.event_id, events = messages.len(),
            rejected = rejected.len(), "delivery enqueued");
        Ok(Ingested {
            accepted: messages.len(),
            rejected: rejected.len(),
            by_reason: by_reason(&rejected),
            enqueue_ms,
        })
    }
}

fn by_reason(rejected: &[Rejected<'_>]) -> BTreeMap<&'static str, u64> {
    let mut by_reason: BTreeMap<&'static str, u64> = BTreeMap::new();
    for r in rejected {
        *by_reason.entry(r.reason).or_default() += 1;
    }
    by_reason
}

/// The EMF lines of one delivery (namespace `okta-hooks`), printed on stdout where
/// Lambda's log stream turns them into metrics. Only counts, a duration and fixed codes:
/// no org, secret, header or event content.
///
/// - Enqueued: dimension `function` = `hook-ingest`: `EventsAccepted`, `EventsPerDelivery`
///   (accepted and rejected; its `SampleCount` is the number of deliveries, so no metric
///   of its own counts them), `EnqueueLatency` (ms, both queues' sends); and per rejection
///   reason (`missing_uuid`, `too_large`, …) one line with
///   dimension `reason`: `EventsRejected`.
/// - Refused or failed: dimensions `function`, `code` ([`HookError::code`], a fixed set):
///   `DeliveriesRefused` (1).
fn delivery_metric_lines(
    result: &Result<Ingested, HookError>,
    timestamp_ms: u64,
) -> Vec<serde_json::Value> {
    let ingested = match result {
        Ok(ingested) => ingested,
        Err(error) => {
            return vec![emf::line(
                emf::NAMESPACE,
                &[("function", INGEST_FUNCTION), ("code", error.code())],
                &[emf::count("DeliveriesRefused", 1)],
                timestamp_ms,
            )];
        }
    };
    let mut lines = vec![emf::line(
        emf::NAMESPACE,
        &[("function", INGEST_FUNCTION)],
        &[
            emf::count("EventsAccepted", ingested.accepted as u64),
            emf::count(
                "EventsPerDelivery",
                (ingested.accepted + ingested.rejected) as u64,
            ),
            emf::millis("EnqueueLatency", ingested.enqueue_ms),
        ],
        timestamp_ms,
    )];
    lines.extend(ingested.by_reason.iter().map(|(reason, n)| {
        emf::line(
            emf::NAMESPACE,
            &[("reason", reason)],
            &[emf::count("EventsRejected", *n)],
            timestamp_ms,
        )
    }));
    lines
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
    fn an_enqueued_delivery_counts_its_events_latency_and_one_events_rejected_line_per_reason() {
        let rejected = |index, reason| Rejected {
            index,
            reason,
            detail: "data.events[0] has no uuid".to_owned(),
            text: r#"{"actor": {"alternateId": "someone@example.com"}}"#,
        };
        let parked = [
            rejected(0, "missing_uuid"),
            rejected(3, "too_deep"),
            rejected(5, "missing_uuid"),
        ];
        let ingested = Ingested {
            accepted: 4,
            rejected: parked.len(),
            by_reason: by_reason(&parked),
            enqueue_ms: 37,
        };
        let lines = delivery_metric_lines(&Ok(ingested), 7);
        let delivery = &lines[0];
        let meta = &delivery["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(meta["Namespace"], emf::NAMESPACE);
        assert_eq!(meta["Dimensions"], json!([["function"]]));
        assert_eq!(delivery["function"], "hook-ingest");
        assert!(
            delivery.get("Deliveries").is_none(),
            "EventsPerDelivery's SampleCount counts them"
        );
        assert_eq!(delivery["EventsAccepted"], 4);
        assert_eq!(delivery["EventsPerDelivery"], 7, "accepted and rejected");
        assert_eq!(delivery["EnqueueLatency"], 37);
        assert_eq!(
            meta["Metrics"][2],
            json!({"Name": "EnqueueLatency", "Unit": "Milliseconds"})
        );
        let got: Vec<(&str, u64)> = lines[1..]
            .iter()
            .map(|l| {
                (
                    l["reason"].as_str().unwrap(),
                    l["EventsRejected"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, [("missing_uuid", 2), ("too_deep", 1)]);
        // Counts and codes only: neither the rejected events' text nor their detail.
        let text = serde_json::to_string(&lines).unwrap();
        assert!(!text.contains("someone@example.com"), "{text}");
        assert!(!text.contains("has no uuid"), "{text}");
    }

    #[test]
    fn a_refused_delivery_is_counted_under_its_error_code_and_nothing_else() {
        let lines = delivery_metric_lines(&Err(HookError::Unauthorized), 7);
        assert_eq!(lines.len(), 1);
        let meta = &lines[0]["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(meta["Dimensions"], json!([["function", "code"]]));
        assert_eq!(
            meta["Metrics"],
            json!([{"Name": "DeliveriesRefused", "Unit": "Count"}])
        );
        assert_eq!(lines[0]["code"], "unauthorized");
        assert_eq!(lines[0]["DeliveriesRefused"], 1);
        assert!(lines[0].get("EventsAccepted").is_none());
        let large = HookError::PayloadTooLarge { size: 9, limit: 1 };
        assert_eq!(
            delivery_metric_lines(&Err(large), 7)[0]["code"],
            "payload_too_large"
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
