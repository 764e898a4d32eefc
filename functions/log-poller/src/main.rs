//! `log-poller`: see the library's documentation.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use log_poller::{PollerConfig, build, handle};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_json_logging();
    let config = PollerConfig::from_env()?;
    let aws = aws_adapters::lambda_config();
    let app = build(&config, &aws)?;
    run(service_fn(|event: LambdaEvent<Value>| async {
        handle(&app, event.payload).await.map_err(Error::from)
    }))
    .await
}
