//! One module per subcommand, named after it: `okta-hooks <name>` is `commands::<name>`.

pub mod actions;
pub mod backtest;
pub mod credentials;
pub mod dev;
pub mod hook;
pub mod log_window;
pub mod login;
pub mod okta;
pub mod redrive;
pub mod replay;
pub mod report;
pub mod rules;
pub mod run;
pub mod scopes;
pub mod secrets;
pub mod send;
pub mod stack;
