//! `okta-hooks`: the project's command line.
//!
//! - `okta-hooks dev`: the event hook endpoints on 127.0.0.1, with an embedded queue.
//! - `okta-hooks send`: posts a delivery (or the verification challenge) as Okta does.
//! - `okta-hooks okta get-user`: proves an Okta credential against a real org.
//! - `okta-hooks login` / `logout`: a person's Okta login (device authorization grant)
//!   that the commands use for `OKTA_ORG_URL` when no `OKTA_*` credential is set.
//! - `okta-hooks rules check|test`, `okta-hooks actions list|show`: rules, offline.
//! - `okta-hooks rules backtest`: the rules over a System Log window, with no writes.
//! - `okta-hooks scopes`: the Okta scopes and admin roles each function needs for the rules.
//! - `okta-hooks secrets split`: the single org secret of before the split, one per kind.
//! - `okta-hooks secrets plan-key`: the router's plan key pair, made or rotated.
//! - `okta-hooks replay`: a System Log window fed through the events queue.
//! - `okta-hooks report`: users, app usage, MFA and risky activity over a window.
//! - `okta-hooks redrive`: a DLQ's messages moved back to their source queue.
//! - `okta-hooks run`: one catalog action on request (to the stack's requests queue, or here).
//! - `okta-hooks stack up`: the template deployed into a local AWS emulator.

mod commands;
mod secret_file;
mod stack_outputs;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::login::{self, LoginArgs, LogoutArgs};
use commands::{
    actions, dev, hook, okta, redrive, replay, report, rules, run, scopes, secrets, send, stack,
};

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
    /// Check the rules, or try them on an event (no AWS, no Okta); backtest them on a
    /// System Log window (log reads only).
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// The actions rules can use.
    #[command(subcommand)]
    Actions(actions::ActionsCommand),
    /// The Okta scopes and admin roles each function needs for the rules in use.
    Scopes(scopes::ScopesArgs),
    /// Call a real Okta org (credentials from OKTA_* environment variables).
    #[command(subcommand)]
    Okta(okta::OktaCommand),
    /// Sign in to an Okta org as yourself (device authorization grant: prints a URL and
    /// a code, no browser needed here); commands then use it for `OKTA_ORG_URL`.
    Login(LoginArgs),
    /// Revoke and forget the login of an org.
    Logout(LogoutArgs),
    /// The org's event hook in Okta: setup, status, list, deactivate, delete, rotate-secret.
    #[command(subcommand)]
    Hook(hook::HookCommand),
    /// The org's secrets: split the single secret of before the split into one per kind;
    /// make or rotate the router's plan key pair.
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
    /// Feed a bounded System Log window through the events queue (dedup: no action twice).
    Replay(replay::ReplayArgs),
    /// Users by status and sign-in, app usage, MFA and risky activity over a window
    /// (users, apps and System Log reads only): table, json, csv or one HTML page.
    Report(report::ReportArgs),
    /// Move a DLQ's messages back to their source queue (--dry-run lists them).
    Redrive(redrive::RedriveArgs),
    /// Run one catalog action on request: sent to the stack's requests queue (--stack,
    /// --queue-url; --wait for its result), or here against an org (--local).
    Run(run::RunArgs),
    /// The template deployed into a local AWS emulator (deploy-only for now).
    #[command(subcommand)]
    Stack(stack::StackCommand),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dev(args) => dev::run(args).await.map_err(|e| e.to_string()),
        Command::Send(args) => send::run(args).await.map_err(|e| e.to_string()),
        Command::Okta(command) => okta::run(command).await.map_err(|e| e.to_string()),
        Command::Login(args) => login::login(args).await.map_err(|e| e.to_string()),
        Command::Logout(args) => login::logout(args).await.map_err(|e| e.to_string()),
        Command::Hook(command) => hook::run(command).await.map_err(|e| e.to_string()),
        Command::Secrets(command) => secrets::run(command).await.map_err(|e| e.to_string()),
        Command::Replay(args) => replay::run(args).await.map_err(|e| e.to_string()),
        // Its own exit codes: 2 for bad arguments, 130 when interrupted.
        Command::Report(args) => return report::main(args).await,
        Command::Redrive(args) => redrive::run(args).await.map_err(|e| e.to_string()),
        // Its own exit codes: 2 for an invalid request, 1 for a failed or refused one.
        Command::Run(args) => return run::main(args).await,
        Command::Stack(command) => stack::run(command).await.map_err(|e| e.to_string()),
        Command::Rules(command) => rules::run(command).await.map_err(|e| e.to_string()),
        Command::Actions(command) => actions::run(command).map_err(|e| e.to_string()),
        Command::Scopes(args) => scopes::run(&args).map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
