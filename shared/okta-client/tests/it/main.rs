//! The okta-client crate's integration tests: one test binary, one module per concern (a binary per file would link
//! the whole tree again for each).

mod auth;
mod common;
mod dry_run;
mod dry_run_log;
mod endpoints;
mod failures;
mod login;
mod pagination;
mod redaction;
mod requests;
