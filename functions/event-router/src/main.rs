//! `event-router`: for each event on the events queue, the plans of the matching rules,
//! each plan's first step signed and sent to its family's queue.
//!
//! Cold start loads and checks the rules (built in, or `OKTA_HOOKS_RULES_DIR`) and builds
//! the AWS clients; a rule error stops it with the file and line.

use std::sync::Arc;
use std::time::Duration;

use aws_adapters::{DynamoCounter, DynamoLedger, SecretsManagerSource, SqsFifoQueue};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use okta_adapters::{OktaClients, OktaDirectory};
use org_secrets::SecretCache;
use router::{CachingDirectory, RouteError, Router, RouterConfig, load_rules};

type AppRouter = Router<
    DynamoLedger,
    DynamoCounter,
    CachingDirectory<OktaDirectory<SecretsManagerSource>>,
    SqsFifoQueue,
    SecretsManagerSource,
>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_json_logging();
    let config = RouterConfig::from_env()?;
    let rules = load_rules(config.rules_dir.as_deref(), shipped_rules::EMBEDDED_RULES)?;
    let aws = aws_adapters::load_config().await;
    let source = SecretsManagerSource::from_config(&aws, &config.secret_prefix);
    let secrets = Arc::new(SecretCache::new(
        source,
        config.secret_ttl,
        Duration::from_secs(10),
    ));
    let router: AppRouter = Router {
        rules,
        ledger: DynamoLedger::from_config(&aws, &config.ledger_table),
        counter: DynamoCounter::from_config(&aws, &config.counter_table),
        directory: CachingDirectory::new(OktaDirectory::new(OktaClients::new(
            secrets.clone(),
            "event-router",
        ))),
        queues: config
            .queue_urls
            .iter()
            .map(|(family, url)| (*family, SqsFifoQueue::from_config(&aws, url)))
            .collect(),
        secrets,
        ledger_ttl: config.ledger_ttl,
    };
    run(service_fn(|event| handle(&router, event))).await
}

async fn handle(
    router: &AppRouter,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    // Enrichment answers serve one invocation only: a user's groups may change.
    router.directory.clear();
    Ok(lambda_support::process_fifo_batch(event.payload, |message| route(router, message)).await)
}

async fn route(router: &AppRouter, message: SqsMessage) -> Result<(), RouteError> {
    let body = message.body.unwrap_or_default();
    router.route(&body).await.map(|_| ())
}
