//! Cross-crate tests (`moto_server`, cargo-lambda, Prism, the CLI, the template): one test
//! binary, one module per concern (a binary per file would link the whole tree again for each).

mod cost;
mod event_router;
mod executor_binary;
mod executors;
mod harness;
mod hook_cli;
mod hook_setup_stack;
mod ingest_sqs;
mod lambda_binaries;
mod layers;
mod local_runner;
mod log_poller;
mod no_secret_at_trace;
mod okta_cli;
mod rejects_sqs;
mod replay_redrive;
mod results_eventbridge;
mod router_stores;
mod rules_backtest;
mod rules_cli;
mod run_cli;
mod scopes_cli;
mod seams;
mod secrets_cli;
mod stack;
mod stack_burst;
mod stack_faults;
mod stack_flow;
mod stack_function_url;
mod stack_poll_only;
mod stack_requests;
mod stack_thresholds;
mod step_records;
mod template;
