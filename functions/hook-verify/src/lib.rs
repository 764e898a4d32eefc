//! `hook-verify`: answers Okta's one-time verification challenge (`GET`), for the orgs of
//! `OKTA_HOOKS_ORGS` only (any other is `401` with no secret read).
//!
//! [`build`] is the composition root (no network call: the org's secret is read on the
//! first request); [`handle`] answers one request.

use aws_adapters::SecretsManagerSource;
use hook_receiver::{Authenticator, ReceiverConfig, VerifyHandler};
use lambda_http::{Body, Request, Response};
use lambda_support::{hook_request, lambda_response};

/// The handler with its org secrets in Secrets Manager.
pub type Handler = VerifyHandler<SecretsManagerSource>;

/// Builds the handler once per cold start.
pub fn build(config: ReceiverConfig, aws: &aws_config::SdkConfig) -> Handler {
    let secrets = SecretsManagerSource::for_hook_receiver(aws, &config.secrets);
    let auth = Authenticator::for_config(secrets, &config);
    VerifyHandler::new(config, auth)
}

/// Answers one API Gateway request.
pub async fn handle(handler: &Handler, request: Request) -> Response<Body> {
    lambda_response(handler.handle(&hook_request(request)).await)
}
