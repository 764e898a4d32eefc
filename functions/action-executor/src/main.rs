//! `action-executor`: see the library's documentation.

use action_executor::{ExecutorConfig, build, handle};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_json_logging();
    let config = ExecutorConfig::from_env()?;
    let aws = aws_adapters::lambda_config();
    let app = build(&config, &aws)?;
    run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, Error>(handle(&app, event.payload).await)
    }))
    .await
}
