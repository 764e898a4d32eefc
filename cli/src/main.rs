//! `okta-hooks`: the project's command line.
//!
//! - `okta-hooks dev`: the event hook endpoints on 127.0.0.1, with an embedded queue.
//! - `okta-hooks send`: posts a delivery (or the verification challenge) as Okta does.

mod dev;
mod send;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "okta-hooks",
    version,
    about = "Self-hosted Okta automation on AWS serverless"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the hook endpoints locally (the same handlers as the Lambda functions).
    Dev(dev::DevArgs),
    /// Send an event hook delivery, or the verification challenge, to a hook URL.
    Send(send::SendArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dev(args) => dev::run(args).await.map_err(|e| e.to_string()),
        Command::Send(args) => send::run(args).await.map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
