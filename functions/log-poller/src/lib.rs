//! `log-poller`: every minute (an EventBridge schedule; its payload is ignored), each
//! configured org's Okta System Log is read from the stored `next` link and the events
//! of the rules' types go to the events queue, where the router's dedup absorbs what
//! the hook already brought. See `log_polling` for the loop.
//!
//! [`build`] loads the rules (their event types make the filter) and wires the AWS and
//! Okta adapters once per cold start; [`handle`] polls every org concurrently within
//! the budget, prints one Embedded Metric Format line per org, and fails the invocation
//! (the function's Errors alarm) when an org's poll failed.

mod config;

use std::sync::Arc;
use std::time::Instant;

use aws_adapters::{DynamoCursorStore, DynamoLedger, SecretsManagerSource, SqsFifoQueue};
use futures_util::future::join_all;
use log_polling::{EventFilter, PollError, PollOutcome, PollReport, PollSettings, Poller};
use okta_adapters::OktaClients;
use org_secrets::OrgName;
use serde_json::{Value, json};
use shipped_rules::RulesError;

pub use config::PollerConfig;

/// The poller with its AWS adapters.
pub type AppPoller = Poller<DynamoCursorStore, SqsFifoQueue, DynamoLedger>;

/// The function: the poller, the orgs, their Okta clients.
pub struct App {
    /// The poll loop, shared by every org (cursors are kept per org).
    pub poller: AppPoller,
    /// One Okta client per org, built on first use from the org's secret and renewed
    /// after a `401`.
    pub okta: OktaClients<SecretsManagerSource>,
    /// The orgs each run polls, concurrently ([`PollerConfig::orgs`]).
    pub orgs: Vec<OrgName>,
}

/// Some org's poll failed (the others' results stand).
#[derive(Debug, thiserror::Error)]
#[error("System Log poll failed for {0}")]
pub struct PollFailed(pub String);

/// Builds everything once per cold start: rules (the filter), stores, queue, clients.
pub fn build(config: &PollerConfig, aws: &aws_config::SdkConfig) -> Result<App, RulesError> {
    let rules = shipped_rules::load(config.rules_dir.as_deref())?;
    let filter = EventFilter::new(rules.event_types());
    tracing::info!(
        types = filter.read_types().len(),
        filtered_by_okta = filter.expression().is_some(),
        orgs = config.orgs.len(),
        "log poller ready"
    );
    let secrets = Arc::new(SecretsManagerSource::cache(
        aws,
        &config.secrets,
        org_secrets::SecretReads::poller(),
    ));
    Ok(App {
        poller: Poller {
            cursors: DynamoCursorStore::from_config(aws, &config.cursor_table),
            queue: SqsFifoQueue::from_config(aws, &config.events_queue_url),
            // Read only to count what the hook missed: eventually consistent (half the price).
            ledger: DynamoLedger::from_config(aws, &config.ledger_table).eventually_consistent(),
            filter,
            settings: PollSettings {
                lookback: config.lookback,
                budget: config.budget,
                ..PollSettings::default()
            },
        },
        okta: OktaClients::new(secrets, "log-poller"),
        orgs: config.orgs.clone(),
    })
}

/// Polls every org concurrently, all within one budget from now; one report each.
pub async fn poll_all(app: &App) -> Vec<PollReport> {
    let deadline = Instant::now() + app.poller.settings.budget;
    join_all(app.orgs.iter().map(|org| poll_one(app, org, deadline))).await
}

async fn poll_one(app: &App, org: &OrgName, deadline: Instant) -> PollReport {
    match app.okta.client(org).await {
        Ok(client) => {
            let report = app
                .poller
                .poll_org_until(org.as_str(), &client, deadline)
                .await;
            if refused_credential(&report) && app.okta.renew(org).await {
                tracing::warn!(%org, "Okta refused the credential (401): the org secret was re-read for the next run");
            }
            report
        }
        Err(error) => {
            tracing::error!(%org, %error, "no Okta client for the org: not polled");
            let mut report = PollReport::new(org.as_str());
            report.outcome = PollOutcome::Failed(PollError::Client(error.to_string()));
            report
        }
    }
}

/// Okta answered `401`: the credential may have been rotated.
fn refused_credential(report: &PollReport) -> bool {
    matches!(report.error(), Some(PollError::Okta(e)) if e.status() == Some(401))
}

/// One scheduled run: polls, prints the metrics, answers a summary; an error when an
/// org's poll failed.
pub async fn handle(app: &App, _schedule: Value) -> Result<Value, PollFailed> {
    let reports = poll_all(app).await;
    let now_ms = emf::now_ms();
    for report in &reports {
        // EMF must be a top-level JSON object per line: printed, not traced.
        println!("{}", report.emf(now_ms));
    }
    let failed: Vec<String> = reports
        .iter()
        .filter_map(|r| r.error().map(|e| format!("{}: {e}", r.org)))
        .collect();
    if !failed.is_empty() {
        return Err(PollFailed(failed.join("; ")));
    }
    Ok(json!({
        "orgs": reports
            .iter()
            .map(|r| json!({
                "org": r.org,
                "outcome": r.outcome.as_str(),
                "pages": r.pages_read,
                "events": r.events_read,
                "queued": r.events_queued,
                "missedByHook": r.events_missed_by_hook,
                "alerts": r.alerts,
            }))
            .collect::<Vec<_>>(),
    }))
}
