//! `hook-ingest`: see the library's documentation.

use hook_ingest::{build, handle};
use hook_receiver::IngestConfig;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_json_logging();
    let config = IngestConfig::from_env()?;
    let aws = aws_adapters::lambda_config();
    let handler = build(config, &aws)?;
    run(service_fn(|request| async {
        Ok::<_, Error>(handle(&handler, request).await)
    }))
    .await
}
