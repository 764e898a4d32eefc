//! `hook-ingest`: Okta's event hook deliveries in, one FIFO message per event out; an
//! event that cannot go on the events queue is parked on the rejects queue
//! (`OKTA_HOOKS_REJECTS_QUEUE_URL`, required) with its reason.
//!
//! Cold start builds the configuration and the AWS clients, and makes no network call;
//! the org's secret is fetched on the first request and cached. Only the orgs of
//! `OKTA_HOOKS_ORGS` (default: `OKTA_HOOKS_DEFAULT_ORG`) are served: a request for any
//! other is `401` with no secret read.

use aws_adapters::{SecretsManagerSource, SqsFifoQueue};
use hook_receiver::{Authenticator, ConfigError, IngestConfig, IngestHandler};
use lambda_http::{Body, Error, Request, Response, run, service_fn};
use lambda_support::{hook_request, lambda_response};

type Handler = IngestHandler<SqsFifoQueue, SecretsManagerSource, SqsFifoQueue>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_json_logging();
    let config = IngestConfig::from_env()?;
    let rejects_url = config.rejects_queue_url.clone().ok_or(ConfigError {
        var: "OKTA_HOOKS_REJECTS_QUEUE_URL",
        reason: "required: the FIFO queue where events the events queue cannot take are parked"
            .to_owned(),
    })?;
    let aws = aws_adapters::load_config().await;
    let secrets = SecretsManagerSource::from_config(&aws, &config.receiver.secret_prefix);
    let queue = SqsFifoQueue::from_config(&aws, &config.events_queue_url);
    let auth = Authenticator::for_config(secrets, &config.receiver);
    let rejects = SqsFifoQueue::from_config(&aws, &rejects_url);
    let handler = IngestHandler::new(config.receiver, auth, queue).with_rejects(rejects);
    run(service_fn(|request| handle(&handler, request))).await
}

async fn handle(handler: &Handler, request: Request) -> Result<Response<Body>, Error> {
    Ok(lambda_response(
        handler.handle(&hook_request(request)).await,
    ))
}
