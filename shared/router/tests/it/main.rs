//! The router crate's integration tests: one test binary, one module per concern (a binary per file would link
//! the whole tree again for each).

mod plan_keys;
mod requests;
mod route;
mod thresholds;
