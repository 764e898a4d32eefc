//! The executors' idempotency records in DynamoDB: one item per envelope, key
//! `step#<envelope id>`, `state` `running` (with `lease_until`), `waiting` (released
//! for a retry) or `done` (with the step's `output` as JSON), `failures` (retryable
//! failures so far, kept across claims), TTL attribute `expires_at`.

use std::time::Duration;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use ports::{Claim, StepRecords, StoreError};
use serde_json::Value;

use crate::dynamodb::{epoch_seconds, store_error};

const STORE: &str = "idempotency";

/// The executors' idempotency records in DynamoDB: one item per envelope id, claimed
/// and completed with conditional writes.
#[derive(Debug, Clone)]
pub struct DynamoStepRecords {
    client: crate::LazyClient<aws_sdk_dynamodb::Client>,
    table: String,
}

impl DynamoStepRecords {
    /// Records on `table`, with a client from the shared AWS configuration.
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoStepRecords {
            client: crate::LazyClient::from_config(config, aws_sdk_dynamodb::Client::new),
            table: table.into(),
        }
    }

    fn key(envelope_id: &str) -> AttributeValue {
        AttributeValue::S(format!("step#{envelope_id}"))
    }

    /// What is there, after a refused claim.
    async fn read(&self, envelope_id: &str) -> Result<Claim, StoreError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", Self::key(envelope_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error(STORE, e))?;
        let item = item.item();
        let text = |name: &str| item.and_then(|i| i.get(name)).and_then(|v| v.as_s().ok());
        let number = |name: &str| {
            item.and_then(|i| i.get(name))
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<u64>().ok())
        };
        match text("state").map(String::as_str) {
            Some("done") => {
                let output = text("output")
                    .and_then(|o| serde_json::from_str(o).ok())
                    .unwrap_or(Value::Null);
                Ok(Claim::Done { output })
            }
            // Gone between the put and the read (released): let the retry claim it.
            _ => {
                let until = number("lease_until").unwrap_or(0);
                let remaining = until.saturating_sub(epoch_seconds()).max(1);
                Ok(Claim::Busy {
                    remaining: Duration::from_secs(remaining),
                })
            }
        }
    }
}

impl StepRecords for DynamoStepRecords {
    async fn claim(&self, envelope_id: &str, lease: Duration) -> Result<Claim, StoreError> {
        let now = epoch_seconds();
        let until = (now + lease.as_secs()).to_string();
        // An update, not a put: the failure count of earlier runs stays on the item.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", Self::key(envelope_id))
            .update_expression("SET #state = :running, lease_until = :until, expires_at = :until")
            // Free, released for a retry, a dead run's lease ended, or an expired record
            // TTL has not yet removed.
            .condition_expression(
                "attribute_not_exists(pk) OR #state = :waiting OR (#state = :running AND lease_until < :now) OR expires_at < :now",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":running", AttributeValue::S("running".into()))
            .expression_attribute_values(":waiting", AttributeValue::S("waiting".into()))
            .expression_attribute_values(":until", AttributeValue::N(until))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let failures = out
                    .attributes()
                    .and_then(|a| a.get("failures"))
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse::<u32>().ok())
                    .unwrap_or(0);
                Ok(Claim::Claimed { failures })
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(UpdateItemError::is_conditional_check_failed_exception) =>
            {
                self.read(envelope_id).await
            }
            Err(e) => Err(store_error(STORE, e)),
        }
    }

    async fn complete(
        &self,
        envelope_id: &str,
        output: &Value,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", Self::key(envelope_id))
            .item("state", AttributeValue::S("done".into()))
            .item("output", AttributeValue::S(output.to_string()))
            .item(
                "expires_at",
                AttributeValue::N((epoch_seconds() + ttl.as_secs()).to_string()),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| store_error(STORE, e))
    }

    async fn release(&self, envelope_id: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", Self::key(envelope_id))
            .condition_expression("#state IN (:running, :waiting)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":running", AttributeValue::S("running".into()))
            .expression_attribute_values(":waiting", AttributeValue::S("waiting".into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(DeleteItemError::is_conditional_check_failed_exception) =>
            {
                Ok(())
            }
            Err(e) => Err(store_error(STORE, e)),
        }
    }

    async fn retry_later(
        &self,
        envelope_id: &str,
        failed: bool,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let expires = (epoch_seconds() + ttl.as_secs()).to_string();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", Self::key(envelope_id))
            .update_expression(
                "SET #state = :waiting, expires_at = :expires REMOVE lease_until ADD failures :counted",
            )
            .condition_expression("#state = :running")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":running", AttributeValue::S("running".into()))
            .expression_attribute_values(":waiting", AttributeValue::S("waiting".into()))
            .expression_attribute_values(":expires", AttributeValue::N(expires))
            .expression_attribute_values(":counted", AttributeValue::N(u32::from(failed).to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Not ours any more (done by another run, or gone): nothing to release.
            Err(e)
                if e.as_service_error()
                    .is_some_and(UpdateItemError::is_conditional_check_failed_exception) =>
            {
                Ok(())
            }
            Err(e) => Err(store_error(STORE, e)),
        }
    }
}
