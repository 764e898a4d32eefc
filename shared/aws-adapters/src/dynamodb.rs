//! The router's stores in DynamoDB. Each table has a string key `pk` and a TTL attribute
//! `expires_at` (epoch seconds).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use ports::{ActionCounter, EventLedger, StoreError};

pub(crate) fn epoch_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The SDK's error with its whole context in the message (`DisplayErrorContext`: the
/// service's code and message, not just "service error"), and itself as the source.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub(crate) struct AwsError {
    context: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

pub(crate) fn store_error<E: std::error::Error + Send + Sync + 'static>(
    store: &'static str,
    error: E,
) -> StoreError {
    let context = DisplayErrorContext(&error).to_string();
    StoreError::new(
        store,
        AwsError {
            context,
            source: Box::new(error),
        },
    )
}

/// Routed events: one item per event uuid.
#[derive(Debug, Clone)]
pub struct DynamoLedger {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoLedger {
    /// A store on `table`, with a client from the shared AWS configuration.
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoLedger {
            client: aws_sdk_dynamodb::Client::new(config),
            table: table.into(),
        }
    }
}

impl EventLedger for DynamoLedger {
    async fn is_done(&self, event_uuid: &str) -> Result<bool, StoreError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("event#{event_uuid}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("ledger", e))?;
        // TTL deletion is lazy: an expired item still read back counts as gone.
        let expires = item
            .item()
            .and_then(|i| i.get("expires_at"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u64>().ok());
        Ok(expires.is_some_and(|at| at > epoch_seconds()))
    }

    async fn mark_done(&self, event_uuid: &str, ttl: Duration) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(format!("event#{event_uuid}")))
            .item(
                "expires_at",
                AttributeValue::N((epoch_seconds() + ttl.as_secs()).to_string()),
            )
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(PutItemError::is_conditional_check_failed_exception) =>
            {
                Ok(false)
            }
            Err(e) => Err(store_error("ledger", e)),
        }
    }
}

/// Destructive actions per rule and hour: one counter item per (rule, hour).
#[derive(Debug, Clone)]
pub struct DynamoCounter {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoCounter {
    /// A store on `table`, with a client from the shared AWS configuration.
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoCounter {
            client: aws_sdk_dynamodb::Client::new(config),
            table: table.into(),
        }
    }
}

impl ActionCounter for DynamoCounter {
    async fn try_take(
        &self,
        rule_id: &str,
        hour: u64,
        event_uuid: &str,
        n: u32,
        cap: u32,
    ) -> Result<bool, StoreError> {
        if n > cap {
            return Ok(false);
        }
        let key = AttributeValue::S(format!("count#{rule_id}#{hour}"));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", key.clone())
            .update_expression("ADD n :n, events :event SET expires_at = :expires")
            .condition_expression(
                "(attribute_not_exists(n) OR n <= :limit) AND NOT contains(events, :uuid)",
            )
            .expression_attribute_values(":n", AttributeValue::N(n.to_string()))
            .expression_attribute_values(":limit", AttributeValue::N((cap - n).to_string()))
            .expression_attribute_values(":event", AttributeValue::Ss(vec![event_uuid.to_owned()]))
            .expression_attribute_values(":uuid", AttributeValue::S(event_uuid.to_owned()))
            .expression_attribute_values(
                ":expires",
                AttributeValue::N(((hour + 2) * 3600).to_string()),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(UpdateItemError::is_conditional_check_failed_exception) =>
            {
                self.already_counted(key, event_uuid).await
            }
            Err(e) => Err(store_error("counter", e)),
        }
    }
}

impl DynamoCounter {
    /// After a refused take: was it refused because this event had already taken?
    async fn already_counted(
        &self,
        key: AttributeValue,
        event_uuid: &str,
    ) -> Result<bool, StoreError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", key)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("counter", e))?;
        Ok(item
            .item()
            .and_then(|i| i.get("events"))
            .and_then(|v| v.as_ss().ok())
            .is_some_and(|events| events.iter().any(|e| e == event_uuid)))
    }
}
