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
mod lazy_client;
#[cfg(feature = "memory")]
pub mod memory;
mod results;
mod secrets_manager;
mod sqs;
mod step_records;

pub use cursor::DynamoCursorStore;
pub use dead_letters::{DeadLetterQueue, FifoIds, ReceivedMessage};
pub use dynamodb::{DynamoCounter, DynamoLedger};
pub use lazy_client::LazyClient;
pub use results::{DEFAULT_EVENT_BUS, EventBridgeResults, PutEventsRefused};
pub use secrets_manager::{SecretsManagerSource, Written};
pub use sqs::{SqsClient, SqsFifoQueue};
pub use step_records::DynamoStepRecords;

/// Loads the shared AWS configuration (region, credentials, endpoint) with `aws_config`'s
/// default chain: environment, profile files, SSO, STS web identity, ECS, IMDS. For the CLI,
/// which runs where any of those may hold the credentials; a Lambda function takes
/// [`lambda_config`]. No network call happens here: credentials are resolved on first use,
/// and the trust store is read on the first request ([`http_client`]), not here.
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client::certificates_on_first_request())
        .load()
        .await
}

/// The AWS configuration of a Lambda function, from its environment only: what Lambda
/// sets (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`)
/// and `AWS_ENDPOINT_URL` (tests point it at `moto_server`; ignored when
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`). `AWS_DEFAULT_REGION` is read when
/// `AWS_REGION` is not set. Retries (standard, 3 attempts), the connect timeout (3.1 s),
/// the sleep implementation (tokio) and the credentials cache are what
/// [`load_config`] gives by default, and the HTTP client is the same
/// ([`http_client`]).
///
/// Why not [`load_config`]: `aws_config`'s default chain also reads profile files and
/// knows SSO, STS web identity, ECS and IMDS, none of which a Lambda function uses, and
/// linking it (an STS client and an IMDS client) costs every function binary size and
/// cold-start time. Nothing else is read: no profile file, no `AWS_MAX_ATTEMPTS`, no
/// service-specific `AWS_ENDPOINT_URL_<SERVICE>`. No network call happens here; a missing
/// region or credentials fail the first request, as with the default chain.
pub fn lambda_config() -> aws_config::SdkConfig {
    config_from_env(|name| std::env::var(name).ok())
}

/// [`lambda_config`] reading variables through `var` (the tests' environment).
fn config_from_env(var: impl Fn(&str) -> Option<String>) -> aws_config::SdkConfig {
    use aws_config::identity::IdentityCache;
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
    use aws_smithy_async::time::SharedTimeSource;

    let var = |name: &str| var(name).filter(|value| !value.is_empty());
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .map(Region::new);
    let ignore_endpoint = var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    let endpoint_url = var("AWS_ENDPOINT_URL").filter(|_| !ignore_endpoint);
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(SharedCredentialsProvider::new(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        ))
        .identity_cache(IdentityCache::lazy().build())
        .retry_config(RetryConfig::standard())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(LAMBDA_CONNECT_TIMEOUT)
                .build(),
        )
        .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
        .time_source(SharedTimeSource::default())
        .http_client(http_client::certificates_on_first_request());
    builder.set_endpoint_url(endpoint_url);
    builder.build()
}

/// The SDK's default connect timeout (`aws_config`'s default chain sets the same).
const LAMBDA_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(3100);

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_config::Region;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> aws_config::SdkConfig {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        config_from_env(|name| vars.get(name).cloned())
    }

    #[test]
    fn the_region_is_aws_region_else_aws_default_region() {
        let both = config(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "us-east-2"),
        ]);
        assert_eq!(both.region(), Some(&Region::from_static("eu-west-1")));
        let default_only = config(&[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "us-east-2")]);
        assert_eq!(
            default_only.region(),
            Some(&Region::from_static("us-east-2"))
        );
        assert_eq!(config(&[]).region(), None);
    }

    #[test]
    fn aws_endpoint_url_points_the_clients_at_an_emulator_unless_ignored() {
        let moto = [("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")];
        assert_eq!(config(&moto).endpoint_url(), Some("http://127.0.0.1:5000"));
        let ignored = [moto[0], ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE")];
        assert_eq!(config(&ignored).endpoint_url(), None);
        assert_eq!(config(&[]).endpoint_url(), None);
    }

    #[test]
    fn credentials_their_cache_sleep_and_the_http_client_are_set() {
        let config = config(&[]);
        assert!(config.credentials_provider().is_some());
        assert!(config.identity_cache().is_some());
        assert!(config.sleep_impl().is_some());
        assert!(config.http_client().is_some());
        assert!(config.behavior_version().is_some());
    }

    #[tokio::test]
    async fn retries_and_timeouts_are_those_of_the_default_chain() {
        // Region and credentials given, so the default chain asks neither IMDS nor STS.
        let chain = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKID", "SECRET", None, None, "test",
            ))
            .load()
            .await;
        let lambda = config(&[]);
        assert_eq!(lambda.retry_config(), chain.retry_config());
        assert_eq!(lambda.timeout_config(), chain.timeout_config());
    }
}
