//! AWS adapters for the domain's ports. Nothing else in the workspace imports the SDK.
//!
//! - [`SqsFifoQueue`]: [`fifo_queue::FifoQueue`] over `SendMessageBatch` (a standard
//!   queue too: the ids FIFO needs are left out when the URL does not end in `.fifo`).
//! - [`SecretsManagerSource`]: [`org_secrets::SecretSource`] over `GetSecretValue`.
//! - [`DynamoLedger`], [`DynamoCounter`]: the router's stores, over DynamoDB.
//! - [`DynamoStepRecords`]: the executors' idempotency records, over DynamoDB.
//! - [`DynamoCursorStore`]: the System Log poller's cursors, over DynamoDB.
//! - [`EventBridgeResults`]: [`ports::ResultSink`] over EventBridge `PutEvents` and the
//!   requester's reply queue.
//! - [`DeadLetterQueue`]: a DLQ for `okta-hooks redrive` (receive, send on, delete,
//!   release, its source queue, its approximate size).
//! - [`memory`] (feature `memory`): the in-memory twins of the stores, for the local
//!   runner and tests.
//!
//! Endpoints follow the SDK's standard settings, so `AWS_ENDPOINT_URL` points every client
//! at a local emulator (tests use `moto_server`).

mod cursor;
mod dead_letters;
mod dynamodb;
pub mod http_client;
#[cfg(feature = "memory")]
pub mod memory;
mod results;
mod secrets_manager;
mod sqs;
mod step_records;

pub use cursor::DynamoCursorStore;
pub use dead_letters::{DeadLetterQueue, FifoIds, ReceivedMessage};
pub use dynamodb::{DynamoCounter, DynamoLedger};
pub use results::{DEFAULT_EVENT_BUS, EventBridgeResults, PutEventsRefused};
pub use secrets_manager::{SecretsManagerSource, Written};
pub use sqs::SqsFifoQueue;
pub use step_records::DynamoStepRecords;

/// Loads the shared AWS configuration (region, credentials, endpoint) from the
/// environment. No network call happens here: credentials are resolved on first use, and
/// the trust store is read on the first request ([`http_client`]), not here.
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client::certificates_on_first_request())
        .load()
        .await
}
