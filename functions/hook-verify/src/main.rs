//! `hook-verify`: answers Okta's one-time verification challenge (`GET`), for the orgs of
//! `OKTA_HOOKS_ORGS` only (any other is `401` with no secret read).

use aws_adapters::SecretsManagerSource;
use hook_receiver::{Authenticator, ReceiverConfig, VerifyHandler};
use lambda_http::{Body, Error, Request, Response, run, service_fn};
use lambda_support::{hook_request, lambda_response};

type Handler = VerifyHandler<SecretsManagerSource>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_json_logging();
    let config = ReceiverConfig::from_env()?;
    let aws = aws_adapters::load_config().await;
    let secrets = SecretsManagerSource::from_config(&aws, &config.secret_prefix);
    let auth = Authenticator::for_config(secrets, &config);
    let handler = VerifyHandler::new(config, auth);
    run(service_fn(|request| handle(&handler, request))).await
}

async fn handle(handler: &Handler, request: Request) -> Result<Response<Body>, Error> {
    Ok(lambda_response(
        handler.handle(&hook_request(request)).await,
    ))
}
