//! `action-executor`: one Lambda per action family (the same binary, `OKTA_HOOKS_FAMILY`
//! says which), reading that family's FIFO queue of signed steps.
//!
//! [`build`] wires the AWS and Okta adapters to the step runner once per cold start;
//! [`handle`] runs one SQS batch: groups (users) concurrently, each in order, and a
//! step that must wait (a 429, a 5xx) keeps itself and the rest of its group invisible
//! for as long, through `ChangeMessageVisibility`, instead of sleeping.

mod config;

use std::sync::Arc;
use std::time::Duration;

use action_calls::{DEFAULT_WEBHOOK_TIMEOUT, WebhookSender};
use aws_adapters::{DynamoStepRecords, EventBridgeResults, SecretsManagerSource, SqsFifoQueue};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use okta_adapters::OktaClients;
use step_runner::{Retry, Settings, StepRunner};

pub use config::ExecutorConfig;

/// The runner with its AWS adapters.
pub type AppRunner = StepRunner<
    DynamoStepRecords,
    SqsFifoQueue,
    OktaClients<SecretsManagerSource>,
    SecretsManagerSource,
>;

/// The function and its own queue (to hold messages back).
pub struct App {
    /// Runs one signed step per message and sends the next step on.
    pub runner: AppRunner,
    /// This family's queue, the one the function reads: a message whose step must wait
    /// is held back on it (`ChangeMessageVisibility`) rather than slept on.
    pub own_queue: SqsFifoQueue,
}

/// Why the cold start failed.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A variable of the function's environment is missing or invalid (it is named).
    #[error(transparent)]
    Config(#[from] env_config::ConfigError),
    /// The rules do not load: the executor needs their protected users and groups to
    /// re-check every step, so it does not start without them.
    #[error(transparent)]
    Rules(#[from] shipped_rules::RulesError),
    /// The HTTP client for webhook steps could not be built.
    #[error("webhook client: {0}")]
    Webhook(#[from] action_calls::WebhookError),
}

/// How long one Okta request may take: a third of the function's 30 s timeout, so that a
/// hung call ends as its step's retryable timeout (the batch's other steps go on), not as
/// the invocation's timeout, which fails the whole batch and leaves the step's claim held
/// for its lease.
pub const OKTA_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds everything once per cold start: rules (protection), stores, queues, secrets,
/// clients, with the function's webhook client (HTTPS only, unless the configuration
/// allows loopback `http://` for the local stack).
pub fn build(config: &ExecutorConfig, aws: &aws_config::SdkConfig) -> Result<App, StartError> {
    let mut webhook = WebhookSender::new(DEFAULT_WEBHOOK_TIMEOUT)?;
    if config.allow_loopback_http {
        webhook = webhook.allow_loopback_http();
    }
    build_with_webhook(config, aws, webhook)
}

/// The composition root: [`build`] with this webhook client (tests give one that may
/// reach a local server over plain HTTP).
pub fn build_with_webhook(
    config: &ExecutorConfig,
    aws: &aws_config::SdkConfig,
    webhook: WebhookSender,
) -> Result<App, StartError> {
    let rules = shipped_rules::load(config.rules_dir.as_deref())?;
    let secrets = Arc::new(SecretsManagerSource::cache(
        aws,
        &config.secrets,
        config.secret_reads(),
    ));
    // One SQS client for every queue, built when the first message is sent or held.
    let sqs = SqsFifoQueue::client(aws);
    let queue = |url: &str| SqsFifoQueue::shared(&sqs, url);
    let family = config.family;
    let queues = config
        .queue_urls
        .iter()
        .map(|(f, url)| (*f, queue(url)))
        .collect();
    let mut okta = OktaClients::new(secrets.clone(), &format!("action-executor/{family}"))
        .request_timeout(OKTA_REQUEST_TIMEOUT);
    // An org without the credential this family reads (with `per-family-only`, its own
    // `okta-<family>`) fails its Okta steps naming the secret to create.
    if !config.secrets.legacy_single_secret {
        okta = okta
            .naming_credential_secrets(&config.secrets.prefix, config.secret_reads().okta_kinds());
    }
    // Named values (webhook URLs) are the org's `named` secret: the builder's default.
    let runner = StepRunner::builder(family, secrets, rules.protection().clone(), webhook)
        .records(DynamoStepRecords::from_config(
            aws,
            &config.idempotency_table,
        ))
        .queues(queues, queue(&config.dlq_url))
        .okta(okta)
        .results(Arc::new(EventBridgeResults::from_config(
            aws,
            &config.event_bus,
        )))
        .settings(Settings {
            dry_run: config.dry_run,
            rate_reserve: config.rate_reserve,
            record_ttl: config.record_ttl,
            metrics: true,
            attempts: config.attempts,
            backoff: config.backoff,
            lease: config.lease,
        })
        .build();
    let own_queue = queue(&config.queue_urls[&family]);
    Ok(App { runner, own_queue })
}

/// Runs one SQS batch; the failures are reported for retry, held back as long as
/// their step asked.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    lambda_support::process_fifo_batch_holding(
        event,
        |message| run(&app.runner, message),
        |retry: &Retry| Some(retry.after),
        |receipt, after| hold(&app.own_queue, receipt, after),
    )
    .await
}

async fn run(runner: &AppRunner, message: SqsMessage) -> Result<(), Retry> {
    let receive_count = lambda_support::receive_count(&message);
    let body = message.body.unwrap_or_default();
    // Every outcome but a retry is final: the message is deleted.
    runner.run(&body, receive_count).await.map(drop)
}

async fn hold(queue: &SqsFifoQueue, receipt: String, after: Duration) {
    if let Err(e) = queue.hold(&receipt, after).await {
        tracing::warn!(error = %e, "message not held back; the queue's visibility timeout applies");
    }
}
