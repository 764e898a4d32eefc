//! Event hook deliveries: authenticate, validate, enqueue every event, answer.
//!
//! Okta waits 3 s, retries once on a timeout or a 5xx and never on a 4xx. So this
//! answers `200` only once every event is on the queue, `503` if any is not (a retry's
//! duplicates are absorbed by the queue's dedup id), and `4xx` only for requests that
//! could never succeed.

use fifo_queue::{FifoMessage, FifoQueue, MAX_BATCH_BYTES, RetryPolicy, send_all};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method, StatusCode};
use okta_events::{OKTA_EVENT_HOOK_TYPE, RawDelivery, queue_entry};
use org_secrets::{OrgName, SecretSource};
use serde_json::json;
use serde_json::value::RawValue;

use crate::auth::Requirement;
use crate::{Authenticator, HookError, HookRequest, HookResponse, ReceiverConfig};

pub struct IngestHandler<Q, S> {
    config: ReceiverConfig,
    auth: Authenticator<S>,
    queue: Q,
    retry: RetryPolicy,
}

impl<Q: FifoQueue, S: SecretSource> IngestHandler<Q, S> {
    pub fn new(config: ReceiverConfig, auth: Authenticator<S>, queue: Q) -> Self {
        IngestHandler {
            config,
            auth,
            queue,
            retry: RetryPolicy::default(),
        }
    }

    /// Replaces the retry policy for failed queue entries.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The authenticator (and through it, the secret cache) this handler uses.
    pub fn authenticator(&self) -> &Authenticator<S> {
        &self.auth
    }

    pub async fn handle(&self, request: &HookRequest) -> HookResponse {
        match self.ingest(request).await {
            Ok(accepted) => HookResponse::json(StatusCode::OK, &json!({ "accepted": accepted })),
            Err(error) => error.into(),
        }
    }

    async fn ingest(&self, request: &HookRequest) -> Result<usize, HookError> {
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
        let messages = queue_messages(&org, &delivery)?;
        if let Err(error) = send_all(&self.queue, &messages, &self.retry).await {
            tracing::error!(%org, delivery = %delivery.event_id, failed = error.failed.len(),
                total = error.total, error = %error.last_error, "delivery not fully enqueued");
            return Err(HookError::QueueUnavailable);
        }
        tracing::info!(%org, delivery = %delivery.event_id, events = messages.len(), "delivery enqueued");
        Ok(messages.len())
    }
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
            HookError::InvalidEnvelope(format!("not an event hook delivery: {e}"))
        } else {
            HookError::MalformedJson(format!(
                "body is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        }
    })?;
    if delivery.event_type != OKTA_EVENT_HOOK_TYPE {
        return Err(HookError::InvalidEnvelope(format!(
            "eventType must be {OKTA_EVENT_HOOK_TYPE}"
        )));
    }
    if delivery.event_id.trim().is_empty() {
        return Err(HookError::InvalidEnvelope("eventId is empty".to_owned()));
    }
    Ok(delivery)
}

/// One FIFO message per event: dedup id = event `uuid`, group = the event's subject.
fn queue_messages(
    org: &OrgName,
    delivery: &RawDelivery<'_>,
) -> Result<Vec<FifoMessage>, HookError> {
    delivery
        .data
        .events
        .iter()
        .enumerate()
        .map(|(index, raw)| queue_message(org, &delivery.event_id, index, raw))
        .collect()
}

fn queue_message(
    org: &OrgName,
    delivery_id: &str,
    index: usize,
    raw: &RawValue,
) -> Result<FifoMessage, HookError> {
    let entry = queue_entry(org.as_str(), "hook", Some(delivery_id), raw)
        .map_err(|e| HookError::InvalidEnvelope(format!("data.events[{index}] {e}")))?;
    if entry.body.len() > MAX_BATCH_BYTES {
        return Err(HookError::EventTooLarge {
            index,
            size: entry.body.len(),
            limit: MAX_BATCH_BYTES,
        });
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
    use okta_events::is_sqs_id;

    fn headers(content_type: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(CONTENT_TYPE, content_type.parse().unwrap());
        map
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
    fn sqs_ids() {
        assert!(is_sqs_id("f1d0b993-cc19-11ed-a688-db22c99ef6c4"));
        assert!(!is_sqs_id(""));
        assert!(!is_sqs_id("has space"));
        assert!(!is_sqs_id(&"a".repeat(129)));
    }
}
