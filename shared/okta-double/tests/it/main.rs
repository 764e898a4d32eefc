//! Integration tests of the Okta double: one test binary, one module per concern.

mod apps;
mod binary;
mod client;
mod faults;
mod groups;
mod helpers;
mod lifecycle;
mod login;
mod logs;
mod oauth;
mod rate_limits;
mod risk;
mod users;
