//! The router's stores in DynamoDB. Each table has a string key `pk` and a TTL attribute
//! `expires_at` (epoch seconds). The counter table holds the hourly caps (`count#…`) and
//! the rules' threshold and suppression state (`window#…`, `quiet#…`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use ports::{ActionCounter, EventLedger, StoreError, VersionedState, WindowStore};
use sha2::{Digest, Sha256};

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

/// Routed events: one item per event uuid, holding only what dedup needs: the key `pk`
/// (`event#<uuid>`) and the TTL `expires_at`. One conditional `PutItem` marks an event
/// (one write unit); [`EventLedger::is_done`] is one `GetItem`.
#[derive(Debug, Clone)]
pub struct DynamoLedger {
    client: crate::LazyClient<aws_sdk_dynamodb::Client>,
    table: String,
    consistent_reads: bool,
}

impl DynamoLedger {
    /// A store on `table`, with a client from the shared AWS configuration. Its reads are
    /// strongly consistent (one read unit): the router's dedup check.
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoLedger {
            client: crate::LazyClient::from_config(config, aws_sdk_dynamodb::Client::new),
            table: table.into(),
            consistent_reads: true,
        }
    }

    /// The same store reading eventually consistent (half a read unit): for a reader that
    /// only counts, such as the log-poller's missed-by-hook metric, where a mark written
    /// in the last second read as absent costs one miscount and nothing else.
    pub fn eventually_consistent(mut self) -> Self {
        self.consistent_reads = false;
        self
    }
}

impl EventLedger for DynamoLedger {
    async fn is_done(&self, event_uuid: &str) -> Result<bool, StoreError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("event#{event_uuid}")))
            .consistent_read(self.consistent_reads)
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
    client: crate::LazyClient<aws_sdk_dynamodb::Client>,
    table: String,
}

impl DynamoCounter {
    /// A store on `table`, with a client from the shared AWS configuration.
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoCounter {
            client: crate::LazyClient::from_config(config, aws_sdk_dynamodb::Client::new),
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

/// The longest key kept as written: a DynamoDB key may have 2,048 bytes, and a rule's
/// `by` may give anything; longer keys are stored under their SHA-256.
const MAX_PLAIN_KEY: usize = 1024;

fn window_key(key: &str) -> AttributeValue {
    if key.len() <= MAX_PLAIN_KEY {
        return AttributeValue::S(key.to_owned());
    }
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    AttributeValue::S(format!("sha256#{hex}"))
}

impl WindowStore for DynamoCounter {
    async fn load(&self, key: &str) -> Result<Option<VersionedState>, StoreError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", window_key(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("windows", e))?;
        let Some(item) = item.item() else {
            return Ok(None);
        };
        let number = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<u64>().ok())
        };
        let version = number("version").unwrap_or(0);
        // TTL deletion is lazy: an expired item reads as empty state, but keeps its
        // version so the next write's condition holds.
        let live = number("expires_at").is_some_and(|at| at > epoch_seconds());
        let state = item
            .get("state")
            .and_then(|v| v.as_s().ok())
            .filter(|_| live)
            .cloned()
            .unwrap_or_default();
        Ok(Some(VersionedState { state, version }))
    }

    async fn save(
        &self,
        key: &str,
        state: &str,
        version: u64,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", window_key(key))
            .update_expression("SET #state = :state, version = :next, expires_at = :expires")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":state", AttributeValue::S(state.to_owned()))
            .expression_attribute_values(":next", AttributeValue::N((version + 1).to_string()))
            .expression_attribute_values(
                ":expires",
                AttributeValue::N((epoch_seconds() + ttl.as_secs()).to_string()),
            );
        let update = if version == 0 {
            update.condition_expression("attribute_not_exists(pk)")
        } else {
            update
                .condition_expression("version = :read")
                .expression_attribute_values(":read", AttributeValue::N(version.to_string()))
        };
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(UpdateItemError::is_conditional_check_failed_exception) =>
            {
                Ok(false)
            }
            Err(e) => Err(store_error("windows", e)),
        }
    }
}
