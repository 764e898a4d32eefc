//! `cold-start-floor`: the least a Rust Lambda function can do — start the runtime and
//! echo each event back. `make bench` (`scripts/bench_binaries.py`) builds it with the same
//! release profile as the functions and measures it beside them in one run, so each
//! function's cold start is reported as a ratio to this floor rather than as milliseconds
//! that depend on the machine.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(echo)).await
}

/// Answers the event it was given.
async fn echo(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(event.payload)
}
