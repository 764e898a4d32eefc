//! Finished plans' results on an EventBridge bus, and on the requester's reply queue.

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use ports::{ActionResult, RESULT_DETAIL_TYPE, RESULT_SOURCE, ResultSink, StoreError};

use crate::dynamodb::store_error;

/// The bus results go to when the stack names none (`OKTA_HOOKS_EVENT_BUS` unset).
pub const DEFAULT_EVENT_BUS: &str = "default";

/// The store name every error of this adapter carries.
const STORE: &str = "results";

/// [`ResultSink`] over EventBridge `PutEvents` and SQS `SendMessage`.
///
/// Each result is one event on the bus — `Source` [`RESULT_SOURCE`], `DetailType`
/// [`RESULT_DETAIL_TYPE`], `Detail` the [`ActionResult`] as JSON — so rules on the bus
/// (alerts, dashboards, a Step Functions task waiting for its request) see every
/// finished plan. When the request named a `reply_to` queue, the same JSON is then sent
/// there as the message body. The reply queue is a standard queue (the requester's
/// own, as `okta-hooks run --wait` makes it): no group or deduplication id is sent.
///
/// The bus comes first: a failure on either side is an error, the caller retries the
/// whole publish, and the bus may then carry the result twice — consumers key on
/// `request_id` (or `rule` + `event`), as [`ResultSink`] says.
#[derive(Debug, Clone)]
pub struct EventBridgeResults {
    events: crate::LazyClient<aws_sdk_eventbridge::Client>,
    sqs: crate::SqsClient,
    bus: String,
}

impl EventBridgeResults {
    /// Results on `bus` (a name or an ARN; [`DEFAULT_EVENT_BUS`] for the account's
    /// default bus), replies through `sqs`.
    pub fn new(
        events: aws_sdk_eventbridge::Client,
        sqs: aws_sdk_sqs::Client,
        bus: impl Into<String>,
    ) -> Self {
        EventBridgeResults {
            events: crate::LazyClient::ready(events),
            sqs: crate::LazyClient::ready(sqs),
            bus: bus.into(),
        }
    }

    /// Clients built from the shared AWS configuration on first use.
    pub fn from_config(config: &aws_config::SdkConfig, bus: impl Into<String>) -> Self {
        EventBridgeResults {
            events: crate::LazyClient::from_config(config, aws_sdk_eventbridge::Client::new),
            sqs: crate::SqsFifoQueue::client(config),
            bus: bus.into(),
        }
    }

    /// The bus results go to.
    pub fn bus(&self) -> &str {
        &self.bus
    }
}

/// EventBridge took the call but refused the entry (`FailedEntryCount` > 0): its
/// `ErrorCode` and `ErrorMessage`, as the answer gave them.
#[derive(Debug, thiserror::Error)]
#[error("PutEvents on bus {bus} refused the result: {code}: {message}")]
pub struct PutEventsRefused {
    /// The bus the event was put on.
    pub bus: String,
    /// EventBridge's `ErrorCode` of the entry (empty when it gave none).
    pub code: String,
    /// EventBridge's `ErrorMessage` of the entry (empty when it gave none).
    pub message: String,
}

impl ResultSink for EventBridgeResults {
    async fn publish(
        &self,
        result: &ActionResult,
        reply_to: Option<&str>,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(result).map_err(|e| StoreError::new(STORE, e))?;
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(RESULT_SOURCE)
            .detail_type(RESULT_DETAIL_TYPE)
            .detail(&body)
            .build();
        let output = self
            .events
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| store_error(STORE, e))?;
        if output.failed_entry_count() > 0 {
            let failed = output.entries().iter().find(|e| e.error_code().is_some());
            return Err(StoreError::new(
                STORE,
                PutEventsRefused {
                    bus: self.bus.clone(),
                    code: failed
                        .and_then(|e| e.error_code())
                        .unwrap_or_default()
                        .to_owned(),
                    message: failed
                        .and_then(|e| e.error_message())
                        .unwrap_or_default()
                        .to_owned(),
                },
            ));
        }
        if let Some(queue_url) = reply_to {
            self.sqs
                .send_message()
                .queue_url(queue_url)
                .message_body(&body)
                .send()
                .await
                .map_err(|e| store_error(STORE, e))?;
        }
        Ok(())
    }
}
