//! `hook-verify`: see the library's documentation.

use hook_receiver::ReceiverConfig;
use hook_verify::{build, handle};
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_json_logging();
    let config = ReceiverConfig::from_env()?;
    let aws = aws_adapters::lambda_config();
    let handler = build(config, &aws);
    run(service_fn(|request| async {
        Ok::<_, Error>(handle(&handler, request).await)
    }))
    .await
}
