//! Glue between the Lambda runtime and the domain: logging set-up and request adapters.

mod http_adapter;
mod logging;
mod sqs_batch;

pub use http_adapter::{hook_request, lambda_response};
pub use logging::{
    CAPPED_CRATES, init_json_logging, is_capped, json_layer, level_filter, level_spec,
    secret_safe_filter,
};
pub use sqs_batch::{
    FIFO_GROUP_ATTRIBUTE, process_fifo_batch, process_fifo_batch_holding, receive_count,
};
