//! JSON logs, one object per line, as CloudWatch Logs Insights reads them.

use tracing_subscriber::EnvFilter;

/// Installs a JSON subscriber. The level comes from `RUST_LOG`, else `AWS_LAMBDA_LOG_LEVEL`
/// (set by the function's logging config), else `info`.
pub fn init_json_logging() {
    let filter = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .map(|level| level.to_lowercase())
        .unwrap_or_else(|_| "info".to_owned());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::new(filter))
        .with_current_span(false)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}
