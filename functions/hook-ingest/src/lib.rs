//! `hook-ingest`: Okta's event hook deliveries in, one FIFO message per event out; an
//! event that cannot go on the events queue is parked on the rejects queue
//! (`OKTA_HOOKS_REJECTS_QUEUE_URL`, required) with its reason.
//!
//! [`build`] is the composition root: the configuration and the AWS clients, and no
//! network call; the org's secret is fetched on the first request and cached. Only the
//! orgs of `OKTA_HOOKS_ORGS` (default: `OKTA_HOOKS_DEFAULT_ORG`) are served: a request
//! for any other is `401` with no secret read. [`handle`] answers one request.

use aws_adapters::{SecretsManagerSource, SqsFifoQueue};
use hook_receiver::{Authenticator, ConfigError, IngestConfig, IngestHandler};
use lambda_http::{Body, Request, Response};
use lambda_support::{hook_request, lambda_response};

/// The handler with its AWS adapters: events queue, org secrets, rejects queue.
pub type Handler = IngestHandler<SqsFifoQueue, SecretsManagerSource, SqsFifoQueue>;

/// Builds the handler once per cold start; the rejects queue is required here.
pub fn build(config: IngestConfig, aws: &aws_config::SdkConfig) -> Result<Handler, ConfigError> {
    let rejects_url = config.rejects_queue_url.clone().ok_or(ConfigError {
        var: "OKTA_HOOKS_REJECTS_QUEUE_URL",
        reason: "required: the FIFO queue where events the events queue cannot take are parked"
            .to_owned(),
    })?;
    let secrets = SecretsManagerSource::for_hook_receiver(aws, &config.receiver.secrets);
    let queue = SqsFifoQueue::from_config(aws, &config.events_queue_url);
    let auth = Authenticator::for_config(secrets, &config.receiver);
    let rejects = SqsFifoQueue::from_config(aws, &rejects_url);
    Ok(IngestHandler::new(config.receiver, auth, queue).with_rejects(rejects))
}

/// Answers one API Gateway request.
pub async fn handle(handler: &Handler, request: Request) -> Response<Body> {
    lambda_response(handler.handle(&hook_request(request)).await)
}
