//! `hook-ingest`: Okta's event hook deliveries in, one FIFO message per event out.
//!
//! Cold start builds the configuration and the AWS clients, and makes no network call;
//! the org's secret is fetched on the first request and cached. Only the orgs of
//! `OKTA_HOOKS_ORGS` (default: `OKTA_HOOKS_DEFAULT_ORG`) are served: a request for any
//! other is `401` with no secret read.

use aws_adapters::{SecretsManagerSource, SqsFifoQueue};
use hook_receiver::{Authenticator, IngestConfig, IngestHandler};
use lambda_http::{Body, Error, Request, Response, run, service_fn};
use lambda_support::{hook_request, lambda_response};

type Handler = IngestHandler<SqsFifoQueue, SecretsManagerSource>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_json_logging();
    let config = IngestConfig::from_env()?;
    let aws = aws_adapters::load_config().await;
    let secrets = SecretsManagerSource::from_config(&aws, &config.receiver.secret_prefix);
    let queue = SqsFifoQueue::from_config(&aws, &config.events_queue_url);
    let auth = Authenticator::for_config(secrets, &config.receiver);
    let handler = IngestHandler::new(config.receiver, auth, queue);
    run(service_fn(|request| handle(&handler, request))).await
}

async fn handle(handler: &Handler, request: Request) -> Result<Response<Body>, Error> {
    Ok(lambda_response(
        handler.handle(&hook_request(request)).await,
    ))
}
