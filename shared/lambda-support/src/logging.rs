//! JSON logs, one object per line, as CloudWatch Logs Insights reads them.
//!
//! No secret reaches a log line, whatever the level. Our own crates never log one; the
//! libraries below us do at their most verbose levels: the Lambda runtime logs each raw
//! invocation at `TRACE` (`"raw JSON event received from Lambda"`: the hook's auth header,
//! envelopes), the AWS SDK's smithy runtime logs request and response bodies (a
//! `GetSecretValue` answer is a whole org secret) and `aws-sigv4` its canonical requests
//! (the session token). So the crates in [`CAPPED_CRATES`] (and every `aws_smithy_*`
//! and `aws_sdk_*`) log at `INFO` at most. The cap is a second filter *after* the level
//! (`RUST_LOG`, else `AWS_LAMBDA_LOG_LEVEL`, the template's `LogLevel`), not a directive
//! appended to it, so no `RUST_LOG` — not even a more specific one such as
//! `lambda_runtime::layers::api_response=trace` — can lift it.
//!
//! The level spec is read as a list of [`Targets`] directives (`level`, `target=level`,
//! comma-separated): the `RUST_LOG` syntax without `EnvFilter`'s span and field-value
//! filters, which would link a regex engine into every function for a syntax no one
//! sets on a Lambda.

use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{FilterExt, Targets, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Filter, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Crates that log raw payloads or HTTP traffic below `INFO`: capped at `INFO`.
pub const CAPPED_CRATES: &[&str] = &[
    "lambda_runtime",
    "lambda_runtime_api_client",
    "lambda_http",
    "aws_config",
    "aws_runtime",
    "aws_sigv4",
    "aws_credential_types",
    "hyper",
    "hyper_util",
    "hyper_rustls",
    "h2",
    "http_body_util",
    "reqwest",
    "rustls",
    "tokio_rustls",
    "tower",
    "tower_http",
];

/// Crate-name prefixes capped like [`CAPPED_CRATES`]: the AWS SDK's runtime and clients.
const CAPPED_PREFIXES: &[&str] = &["aws_smithy_", "aws_sdk_"];

/// Whether `target` (a `tracing` target, `crate::module`) belongs to a capped crate.
pub fn is_capped(target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or(target);
    CAPPED_CRATES.contains(&krate) || CAPPED_PREFIXES.iter().any(|p| krate.starts_with(p))
}

/// Keeps what `spec` (`trace`, `info,step_runner=debug`, …: see [`level_filter`]) keeps,
/// except anything below `INFO` from a capped crate (see the module docs).
pub fn secret_safe_filter<S>(spec: &str) -> impl Filter<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    level_filter(spec).and(filter_fn(|meta: &Metadata<'_>| {
        *meta.level() <= Level::INFO || !is_capped(meta.target())
    }))
}

/// The level filter of `spec`: comma-separated directives, each a level (`info`, the
/// default for every target) or `target=level` (`step_runner=debug`: that target and its
/// modules; the longest matching target wins); a bare name that is not a level enables
/// that target at every level. A directive that does not parse (`a=b=c`, `x=loud`) is
/// skipped, the others still apply, as `EnvFilter::new` does; with no directive left,
/// nothing is logged.
pub fn level_filter(spec: &str) -> Targets {
    let valid: Vec<&str> = spec
        .split(',')
        .filter(|directive| !directive.is_empty() && directive.parse::<Targets>().is_ok())
        .collect();
    if valid.is_empty() {
        // `"".parse::<Targets>()` would read an empty target name: every target, TRACE.
        return Targets::new();
    }
    valid.join(",").parse().unwrap_or_default()
}

/// The JSON log layer writing to `writer`, filtered by [`secret_safe_filter`]`(spec)`.
pub fn json_layer<S, W>(spec: &str, writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(false)
        .with_ansi(false)
        .with_target(false)
        .with_writer(writer)
        .with_filter(secret_safe_filter(spec))
}

/// The level spec: `RUST_LOG`, else `AWS_LAMBDA_LOG_LEVEL` (set by the function's logging
/// config), else `info`; lower-cased, as Lambda spells levels `TRACE`, `DEBUG`, ….
pub fn level_spec() -> String {
    std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .map(|level| level.to_lowercase())
        .unwrap_or_else(|_| "info".to_owned())
}

/// Installs the JSON subscriber on stdout at [`level_spec`], capped as the module docs say.
pub fn init_json_logging() {
    let _ = tracing_subscriber::registry()
        .with(json_layer(&level_spec(), std::io::stdout))
        .try_init();
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Logs what the libraries below us log at their most verbose, under `spec`.
    fn logged(spec: &str) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber =
            tracing_subscriber::registry().with(json_layer(spec, move || writer.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "lambda_runtime::layers::api_response",
                body = "{\"headers\":{\"authorization\":\"hook-SECRET-1\"}}",
                "raw JSON event received from Lambda");
            tracing::debug!(target: "aws_smithy_runtime::client::orchestrator",
                body = "{\"SecretString\":\"org-SECRET-2\"}", "received response");
            tracing::trace!(target: "aws_sigv4::http_request::sign",
                canonical_request = "x-amz-security-token:token-SECRET-3", "signing");
            tracing::trace!(target: "hyper_util::client", "headers SECRET-4");
            tracing::info!(target: "lambda_runtime", "runtime kept at info");
            tracing::trace!(target: "step_runner::runner", "our own trace kept");
            tracing::trace!(target: "aws_adapters::queue", "our aws adapters kept");
        });
        let bytes = buffer
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        String::from_utf8(bytes).expect("utf-8 logs")
    }

    #[test]
    fn at_trace_no_raw_event_sdk_body_or_signature_is_logged_but_our_own_lines_are() {
        for spec in [
            "trace",
            "lambda_runtime=trace,aws_smithy_runtime=trace,trace",
            "lambda_runtime::layers::api_response=trace,aws_sigv4::http_request=trace,hyper_util=trace,trace",
        ] {
            let logs = logged(spec);
            for secret in ["SECRET-1", "SECRET-2", "SECRET-3", "SECRET-4"] {
                assert!(!logs.contains(secret), "{spec}: {secret} logged: {logs}");
            }
            for kept in [
                "runtime kept at info",
                "our own trace kept",
                "our aws adapters kept",
            ] {
                assert!(logs.contains(kept), "{spec}: {kept} missing: {logs}");
            }
        }
    }

    #[test]
    fn the_level_still_applies_below_the_cap() {
        let logs = logged("warn");
        assert!(!logs.contains("runtime kept at info"), "{logs}");
        assert!(!logs.contains("our own trace kept"), "{logs}");
    }

    #[test]
    fn a_target_directive_applies_to_its_modules_and_the_default_to_the_rest() {
        let logs = logged("warn,step_runner=trace");
        assert!(logs.contains("our own trace kept"), "{logs}");
        assert!(!logs.contains("our aws adapters kept"), "{logs}");
        assert!(!logs.contains("runtime kept at info"), "{logs}");
    }

    #[test]
    fn a_directive_that_does_not_parse_is_skipped_and_the_others_apply() {
        let logs = logged("x=loud,a=b=c,info");
        assert!(logs.contains("runtime kept at info"), "{logs}");
        assert!(!logs.contains("our own trace kept"), "{logs}");
        for spec in ["x=loud", ""] {
            let nothing = logged(spec);
            assert!(nothing.is_empty(), "{spec:?}: {nothing}");
        }
    }

    #[test]
    fn capped_crates_are_matched_by_crate_name_only() {
        assert!(is_capped("lambda_runtime"));
        assert!(is_capped("lambda_runtime::layers::api_response"));
        assert!(is_capped("aws_smithy_http_client::hyper_1_0"));
        assert!(is_capped("aws_sdk_secretsmanager::operation"));
        assert!(!is_capped("lambda_runtime_extension_of_ours"));
        assert!(!is_capped("aws_adapters::step_records"));
        assert!(!is_capped("step_runner"));
    }
}
