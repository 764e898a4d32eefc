//! Glue between the Lambda runtime and the domain: logging set-up and request adapters.

mod http_adapter;
mod logging;

pub use http_adapter::{hook_request, lambda_response};
pub use logging::init_json_logging;
