//! `okta-hooks report`: who uses the org and its apps, and what risky activity the
//! window holds, from the users and apps APIs and the System Log (reads only).
//!
//! ```sh
//! okta-hooks report [--org NAME] [--since 30d|RFC3339] [--format table|json|csv|html]
//!   [--out FILE] [--factors none|sample|all] [--sample 200] [--seed 0] [--fresh]
//!   [--checkpoint FILE] [--secret-file F] [--secret-prefix P] [--legacy-single-secret]
//! ```
//!
//! The credential is `replay`'s (`OKTA_*` when `OKTA_ORG_URL` is set, asking for
//! `okta.users.read okta.apps.read okta.logs.read`; else the org's `okta-read` secret).
//! The window is `--since` (a duration back from now, or an RFC 3339 time) to now, at
//! most 90 days. Phases, in order, each paced within its rate limit: a one-event probe
//! of the System Log (so a credential without log access fails before the long reads),
//! users, DEPROVISIONED users, apps, each app's users, sampled users' factors, then one
//! System Log query for every event type the report counts. An interrupted run (Ctrl-C,
//! an error, a rate limit longer than the client waits) leaves a checkpoint, and the
//! same command resumes it.
//!
//! Exit status: 0 done, 1 Okta or I/O failure, 2 bad arguments, 130 interrupted.

pub mod aggregate;
pub mod checkpoint;
pub mod collect;
pub mod html;
pub mod model;
pub mod since;
pub mod svg;
pub mod text;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use org_secrets::OrgName;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use self::aggregate::Tally;
use self::checkpoint::{Checkpoint, Phase};
use self::collect::Collect;
use self::model::{FactorsMode, Report, Source};
use super::log_window::{
    CredentialArgs, LogWindowError, okta_client, progress_bar, retention_warning, window,
};

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The org and its credential, as `replay` takes them.
    #[command(flatten)]
    credential: CredentialArgs,
    /// Start of the window: a duration back from now (30d, 12h) or an RFC 3339 time. At
    /// most 90 days ago (the System Log's retention); the window ends now.
    #[arg(long, default_value = "30d")]
    since: String,
    /// table (for a terminal), json, csv (one number per row), or html (one
    /// self-contained page with charts; needs --out).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the report to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// How to measure MFA enrolment: list the factors of a random sample of ACTIVE
    /// users, of every ACTIVE user (one call each), or of none.
    #[arg(long, value_enum, default_value_t = FactorsMode::Sample)]
    factors: FactorsMode,
    /// Users in the factor sample.
    #[arg(long, default_value_t = 200)]
    sample: usize,
    /// Seed of the sample (the same seed and users, the same sample).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Start over even if an interrupted run of the same options left a checkpoint.
    #[arg(long)]
    fresh: bool,
    /// The checkpoint file (default: `okta-hooks/report-<host>-<key>.json` under
    /// `$OKTA_HOOKS_STATE_DIR`, else `$XDG_STATE_HOME`, else `~/.local/state`).
    #[arg(long)]
    checkpoint: Option<PathBuf>,
}

/// The report's shape.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Html,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The arguments are wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The window or the credential.
    #[error(transparent)]
    Window(#[from] LogWindowError),
    /// The credential may not read what the report needs.
    #[error("{0}")]
    Access(String),
    /// The checkpoint cannot be written or read back.
    #[error("{0}")]
    Checkpoint(String),
    /// The output cannot be written.
    #[error("{0}")]
    Output(String),
    /// Ctrl-C (exit 130).
    #[error("interrupted: run the same command to resume")]
    Interrupted,
}

impl From<okta_client::OktaError> for ReportError {
    fn from(error: okta_client::OktaError) -> Self {
        ReportError::Window(LogWindowError::Okta(error))
    }
}

impl ReportError {
    fn exit_code(&self) -> u8 {
        match self {
            ReportError::Usage(_) | ReportError::Window(LogWindowError::Usage(_)) => 2,
            ReportError::Interrupted => 130,
            _ => 1,
        }
    }
}

/// Runs the report and prints any error: the exit status is the error's.
pub async fn main(args: ReportArgs) -> ExitCode {
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

/// `now` to the second, RFC 3339.
fn now_text(now: OffsetDateTime) -> String {
    let now = now - time::Duration::nanoseconds(now.nanosecond().into());
    now.format(&Rfc3339).unwrap_or_default()
}

pub async fn run(args: ReportArgs) -> Result<(), ReportError> {
    // Every argument is checked before any credential is read.
    let org =
        OrgName::parse(&args.credential.org).map_err(|e| ReportError::Usage(e.to_string()))?;
    // Whole seconds: the window's ends go to Okta as they are.
    let now = OffsetDateTime::now_utc();
    let now = now - time::Duration::nanoseconds(now.nanosecond().into());
    let fresh_window = since::parse_since(&args.since, now)?;
    if args.format == Format::Html && args.out.is_none() {
        return Err(ReportError::Usage(
            "--format html writes a file: give --out report.html".to_owned(),
        ));
    }
    if args.factors == FactorsMode::Sample && args.sample == 0 {
        return Err(ReportError::Usage(
            "--sample 0 samples no one: give --factors none instead".to_owned(),
        ));
    }

    let client = okta_client(
        &args.credential,
        &org,
        "cli-report",
        super::login::scopes::REPORT,
    )
    .await?;
    let org_url = client.org_url().as_str().trim_end_matches('/').to_owned();
    let key = checkpoint::key(&[
        &org_url,
        args.since.trim(),
        args.factors.as_str(),
        &args.sample.to_string(),
        &args.seed.to_string(),
    ]);
    let path = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| checkpoint::default_path(&org_url, &key));
    let resumed = if args.fresh {
        None
    } else {
        let (resumed, why) = checkpoint::load(&path, &key, now.unix_timestamp());
        if let Some(why) = why {
            eprintln!("{why}");
        }
        resumed
    };
    let state = match resumed {
        Some(state) => {
            eprintln!(
                "resuming the report of {} .. {} at phase {}/6 ({}){}",
                state.since,
                state.until,
                state.phase.number(),
                state.phase.name(),
                if state.phase == Phase::AppUsers {
                    format!(", app {} of {}", state.index + 1, state.tally.apps.len())
                } else {
                    String::new()
                }
            );
            state
        }
        None => Checkpoint {
            version: checkpoint::VERSION,
            key,
            org_url: org_url.clone(),
            since: fresh_window.since.clone(),
            until: fresh_window.until.clone(),
            started: now.unix_timestamp(),
            phase: Phase::Users,
            index: 0,
            cursor: None,
            pages: BTreeMap::new(),
            waited_s: 0,
            tally: Tally::new(
                fresh_window.start,
                now,
                if args.factors == FactorsMode::Sample {
                    args.sample
                } else {
                    0
                },
                args.seed,
            ),
        },
    };
    // A resumed run keeps the window it started with.
    let window = window(&state.since, &state.until, now)?;
    if let Some(warning) = retention_warning(&window) {
        eprintln!("{warning}");
    }

    let mut collect = Collect::new(
        client,
        state,
        path.clone(),
        window,
        args.factors,
        progress_bar(),
    );
    collect.probe().await?;
    eprintln!(
        "reading users, apps and the System Log of {org_url} from {} to {}",
        collect.state.since, collect.state.until
    );
    let outcome = tokio::select! {
        outcome = collect.run() => outcome,
        _ = tokio::signal::ctrl_c() => Err(ReportError::Interrupted),
    };
    collect.bar.finish_and_clear();
    if let Err(error) = outcome {
        // Whatever was counted is kept: the same command resumes after it.
        let progressed = collect.state.phase != Phase::Users || !collect.state.pages.is_empty();
        if progressed && collect.save().is_ok() {
            eprintln!(
                "stopped in phase {}/6 ({}); the checkpoint {} resumes it: run the same command",
                collect.state.phase.number(),
                collect.state.phase.name(),
                path.display()
            );
        }
        return Err(error);
    }

    let state = &collect.state;
    let report = state.tally.finish(
        &org_url,
        &now_text(OffsetDateTime::now_utc()),
        args.factors,
        Source {
            pages_by_phase: state.pages.clone(),
            events: 0,
            waited_s: state.waited_s,
        },
    );
    write(&args, &report)?;
    checkpoint::remove(&path)
        .map_err(|e| ReportError::Checkpoint(format!("cannot remove {}: {e}", path.display())))?;
    Ok(())
}

fn write(args: &ReportArgs, report: &Report) -> Result<(), ReportError> {
    let text = match args.format {
        Format::Table => text::table(report),
        Format::Json => text::json(report) + "\n",
        Format::Csv => text::csv(report),
        Format::Html => html::html(report),
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| {
                ReportError::Output(format!("cannot write {}: {e}", path.display()))
            })?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}
