//! The hook-receiver crate's integration tests: one test binary, one module per concern (a binary per file would link
//! the whole tree again for each).

mod handlers;
mod no_secret_in_logs;
mod unknown_orgs;
