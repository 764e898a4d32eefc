//! The step-runner crate's integration tests: one test binary, one module per concern (a binary per file would link
//! the whole tree again for each).

mod common;
mod exhausted;
mod no_secret_in_logs;
mod plan_keys;
mod plans;
mod results;
mod rotation;
mod secret_outputs;
