//! The System Log poller's cursors in DynamoDB: one item per org, key `cursor#<org>`,
//! with the `next` link, a `version` every write bumps, and `not_before` after a `429`.
//! No `expires_at`: a cursor never expires.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use ports::{CursorStore, CursorUpdate, StoreError, StoredCursor};

use crate::dynamodb::{epoch_seconds, store_error};

/// The poller's cursors in DynamoDB: one item per org, written only over the version
/// it was read at (a conditional put), so two pollers never both advance it.
#[derive(Debug, Clone)]
pub struct DynamoCursorStore {
    client: crate::LazyClient<aws_sdk_dynamodb::Client>,
    table: String,
}

impl DynamoCursorStore {
    /// A store on `table`, with a client from the shared AWS configuration.
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoCursorStore {
            client: crate::LazyClient::from_config(config, aws_sdk_dynamodb::Client::new),
            table: table.into(),
        }
    }
}

fn key(org: &str) -> AttributeValue {
    AttributeValue::S(format!("cursor#{org}"))
}

fn number(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<u64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

impl CursorStore for DynamoCursorStore {
    async fn load(&self, org: &str) -> Result<StoredCursor, StoreError> {
        let answer = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", key(org))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("cursor", e))?;
        let Some(item) = answer.item() else {
            return Ok(StoredCursor::default());
        };
        Ok(StoredCursor {
            next: item
                .get("next")
                .and_then(|v| v.as_s().ok())
                .map(String::to_owned),
            not_before: number(item, "not_before"),
            version: number(item, "version").unwrap_or(0),
        })
    }

    async fn advance(
        &self,
        org: &str,
        expected_version: u64,
        update: &CursorUpdate,
    ) -> Result<bool, StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", key(org))
            .item("next", AttributeValue::S(update.next.clone()))
            .item(
                "version",
                AttributeValue::N((expected_version + 1).to_string()),
            )
            .item("updated_at", AttributeValue::N(epoch_seconds().to_string()));
        if let Some(not_before) = update.not_before {
            put = put.item("not_before", AttributeValue::N(not_before.to_string()));
        }
        put = if expected_version == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("version = :expected")
                .expression_attribute_values(
                    ":expected",
                    AttributeValue::N(expected_version.to_string()),
                )
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(PutItemError::is_conditional_check_failed_exception) =>
            {
                Ok(false)
            }
            Err(e) => Err(store_error("cursor", e)),
        }
    }
}
