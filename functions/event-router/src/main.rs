//! `event-router`: see the library's documentation.

use event_router::{RouterConfig, build, handle};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_json_logging();
    let config = RouterConfig::from_env()?;
    let aws = aws_adapters::lambda_config();
    let router = build(&config, &aws)?;
    run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, Error>(handle(&router, event.payload).await)
    }))
    .await
}
