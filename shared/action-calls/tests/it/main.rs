//! The action-calls crate's integration tests: one test binary, one module per concern (a binary per file would link
//! the whole tree again for each).

mod actions;
mod common;
mod dry_run;
mod failures;
mod notify;
mod outcomes;
mod safety;
