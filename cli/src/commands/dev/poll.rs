//! `okta-hooks dev --poll`: the System Log poller, in process, against the org of
//! `--okta-domain`, feeding the same embedded queue as the hook endpoints (its dedup and
//! the router's ledger absorb what the hook already delivered).

use std::sync::Arc;
use std::time::Duration;

use aws_adapters::memory::{MemoryCursorStore, MemoryLedger};
use fifo_queue::MemoryQueue;
use log_polling::{EventFilter, PollSettings, Poller};
use okta_client::OktaClient;

/// Polls every `interval`, from `lookback` back on the first run; never returns (run it
/// beside the server).
pub async fn run(
    okta: OktaClient,
    queue: Arc<MemoryQueue>,
    event_types: impl IntoIterator<Item = String>,
    interval: Duration,
    lookback: Duration,
) {
    let poller = Poller {
        cursors: MemoryCursorStore::new(),
        queue,
        // Locally the router's ledger lives in its own task: every event read counts
        // as "missed by the hook", and the router still skips the ones it has seen.
        ledger: MemoryLedger::default(),
        filter: EventFilter::new(event_types),
        settings: PollSettings {
            lookback,
            budget: interval.min(Duration::from_secs(40)),
            ..PollSettings::default()
        },
    };
    loop {
        let report = poller.poll_org("default", &okta).await;
        let error = report.error().map(ToString::to_string);
        println!(
            "polled    System Log: {} event(s) read, {} queued, {} page(s), {}{}",
            report.events_read,
            report.events_queued,
            report.pages_read,
            report.outcome.as_str(),
            error.map(|e| format!(": {e}")).unwrap_or_default()
        );
        tokio::time::sleep(interval).await;
    }
}
