//! The poll loop of one org.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fifo_queue::{FifoMessage, FifoQueue, MAX_BATCH_BYTES, ResendPolicy, send_all};
use futures_util::stream::{self, StreamExt};
use okta_client::endpoints::logs::LogQuery;
use okta_client::{LogCursor, OktaClient};
use okta_events::queue_entry;
use ports::{CursorStore, CursorUpdate, EventLedger};
use serde_json::Value;
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

use crate::{EventFilter, PollError, PollOutcome, PollReport, alert_of};

/// The wall clock (epoch time), replaceable in tests.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// How a run reads.
#[derive(Clone)]
pub struct PollSettings {
    /// The first run starts this far back (`since` = now − look-back).
    pub lookback: Duration,
    /// A run reads pages for at most this long (keep it well below the function's
    /// timeout: a page read in time is still sent and stored after the budget).
    pub budget: Duration,
    /// Events per page (`limit`, Okta allows up to 1000).
    pub page_size: u32,
    /// Another page is read only if at least this much budget is left (or as much as
    /// the slowest page so far took, if more).
    pub page_reserve: Duration,
    /// Retries of events-queue entries that failed.
    pub send_retry: ResendPolicy,
    /// Concurrent ledger lookups (the missed-by-hook count).
    pub ledger_concurrency: usize,
    /// The wall clock for `since`, "not before" and the lag metric; tests fix it.
    pub clock: Clock,
}

impl Default for PollSettings {
    fn default() -> Self {
        PollSettings {
            lookback: Duration::from_secs(60 * 60),
            budget: Duration::from_secs(40),
            page_size: 1000,
            page_reserve: Duration::from_secs(3),
            send_retry: ResendPolicy::default(),
            ledger_concurrency: 16,
            clock: Arc::new(SystemTime::now),
        }
    }
}

/// The poller: where cursors are stored, the events queue, the router's ledger (read
/// only, to count what the hook missed), the types to read.
pub struct Poller<C, Q, L> {
    /// Each org's stored `next` link, its version (the conditional advance) and any
    /// "not before" a `429` left.
    pub cursors: C,
    /// The FIFO events queue the router reads; the hook sends the same messages to it.
    pub queue: Q,
    /// The router's record of routed events, only read: an event it has not seen is
    /// counted as missed by the hook.
    pub ledger: L,
    /// The event types asked of Okta and those of them that are queued.
    pub filter: EventFilter,
    /// Look-back, budget, page size and the other knobs of a run.
    pub settings: PollSettings,
}

/// One event of a page, ready to queue.
struct Queued {
    message: FifoMessage,
    uuid: String,
}

impl<C: CursorStore, Q: FifoQueue, L: EventLedger> Poller<C, Q, L> {
    /// Polls one org with the whole budget from now.
    pub async fn poll_org(&self, org: &str, okta: &OktaClient) -> PollReport {
        self.poll_org_until(org, okta, Instant::now() + self.settings.budget)
            .await
    }

    /// Polls one org until it is caught up, `deadline` leaves no time for a page, Okta
    /// throttles, another run advances the cursor first, or something fails.
    pub async fn poll_org_until(
        &self,
        org: &str,
        okta: &OktaClient,
        deadline: Instant,
    ) -> PollReport {
        let mut report = PollReport::new(org);
        let mut newest: Option<i64> = None;
        report.outcome = match self
            .run(org, okta, deadline, &mut report, &mut newest)
            .await
        {
            Ok(outcome) => outcome,
            Err(error) => PollOutcome::Failed(error),
        };
        report.newest_event_lag_secs = newest
            .map(|published| (self.now_secs() as i64).saturating_sub(published).max(0) as u64);
        match &report.outcome {
            PollOutcome::Failed(error) => tracing::error!(
                org, %error, pages = report.pages_read, queued = report.events_queued,
                "System Log poll failed; the next run reads from the stored cursor"
            ),
            outcome => tracing::info!(
                org,
                outcome = outcome.as_str(),
                pages = report.pages_read,
                read = report.events_read,
                queued = report.events_queued,
                missed_by_hook = report.events_missed_by_hook,
                alerts = report.alerts,
                advances = report.cursor_advances,
                lag_secs = report.newest_event_lag_secs,
                "System Log polled"
            ),
        }
        report
    }

    async fn run(
        &self,
        org: &str,
        okta: &OktaClient,
        deadline: Instant,
        report: &mut PollReport,
        newest: &mut Option<i64>,
    ) -> Result<PollOutcome, PollError> {
        let stored = self.cursors.load(org).await?;
        if let Some(not_before) = stored.not_before.filter(|t| *t > self.now_secs()) {
            tracing::info!(
                org,
                not_before,
                "Okta throttled an earlier run: waiting for its reset"
            );
            return Ok(PollOutcome::Waiting { not_before });
        }
        let mut version = stored.version;
        let mut url = self.resume_url(org, okta, stored.next.as_deref())?;
        let mut slowest = Duration::ZERO;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining < self.settings.page_reserve.max(slowest) {
                return Ok(PollOutcome::BudgetSpent);
            }
            let started = Instant::now();
            let page = match tokio::time::timeout(
                remaining,
                okta.page::<Box<RawValue>>(url.clone()),
            )
            .await
            {
                // Nothing of this page was sent: the next run reads it.
                Err(_) => return Ok(PollOutcome::BudgetSpent),
                Ok(Err(error)) => {
                    // The wait is retry's: Okta's reset, or the one default.
                    if let Some(wait) = error.failure().throttled_wait() {
                        return Ok(self.hold(org, version, &url, wait).await);
                    }
                    return Err(error.into());
                }
                Ok(Ok(page)) => page,
            };
            report.pages_read += 1;
            let next = match page.next {
                Some(next) => next,
                // A dry-run client answers without reading Okta: stay where we are.
                None if page.meta.is_dry_run() => return Ok(PollOutcome::CaughtUp),
                None => return Err(PollError::NotPolling),
            };
            let empty = page.items.is_empty();
            let queued = self.read_page(org, &page.items, report, newest);
            self.count_missed(org, &queued, report).await;
            let messages: Vec<FifoMessage> = queued.into_iter().map(|q| q.message).collect();
            if !messages.is_empty() {
                send_all(&self.queue, &messages, &self.settings.send_retry).await?;
                report.events_queued += messages.len() as u64;
            }
            // Only now that the page is on the queue does the cursor move past it.
            if next != url {
                let update = CursorUpdate {
                    next: next.to_string(),
                    not_before: None,
                };
                if !self.cursors.advance(org, version, &update).await? {
                    tracing::warn!(
                        org,
                        version,
                        "another run advanced the cursor first: stopping"
                    );
                    return Ok(PollOutcome::LostRace);
                }
                version += 1;
                report.cursor_advances += 1;
            }
            slowest = slowest.max(started.elapsed());
            if empty {
                return Ok(PollOutcome::CaughtUp);
            }
            url = next;
        }
    }

    /// After a `429`: store "not before the reset" (`wait` from now, at the same
    /// position) and stop.
    async fn hold(&self, org: &str, version: u64, url: &Url, wait: Duration) -> PollOutcome {
        let not_before = self.now_secs() + wait.as_secs();
        tracing::warn!(
            org,
            wait_secs = wait.as_secs(),
            not_before,
            "Okta throttled the System Log poll (429)"
        );
        let update = CursorUpdate {
            next: url.to_string(),
            not_before: Some(not_before),
        };
        match self.cursors.advance(org, version, &update).await {
            Ok(true) => {}
            // Another run moved on meanwhile; it will meet the limit itself.
            Ok(false) => tracing::info!(org, "the cursor moved meanwhile: wait not recorded"),
            Err(error) => tracing::warn!(org, %error, "the wait could not be recorded"),
        }
        PollOutcome::Throttled { not_before }
    }

    /// The stored link (its filter brought up to date), or a first polling query.
    fn resume_url(
        &self,
        org: &str,
        okta: &OktaClient,
        stored: Option<&str>,
    ) -> Result<Url, PollError> {
        if let Some(text) = stored {
            match Url::parse(text) {
                Ok(url) if url.origin() == okta.org_url().origin() => {
                    return Ok(match self.filter.refilter(&url) {
                        Some(changed) => {
                            tracing::info!(
                                org,
                                "the event types changed: same position, new filter"
                            );
                            changed
                        }
                        None => url,
                    });
                }
                Ok(_) => tracing::warn!(
                    org,
                    "the stored cursor is for another Okta org URL: starting again from the look-back"
                ),
                Err(error) => tracing::warn!(
                    org, %error,
                    "the stored cursor is not a URL: starting again from the look-back"
                ),
            }
        }
        let since = self.clock_now() - self.settings.lookback;
        let query = LogQuery {
            since: Some(iso8601(since)),
            filter: self.filter.expression().map(str::to_owned),
            limit: Some(i32::try_from(self.settings.page_size.clamp(1, 1000)).unwrap_or(1000)),
            ..LogQuery::default()
        };
        match okta.log_poll_start(&query)? {
            LogCursor::Start(url) | LogCursor::Next(url) => Ok(url),
        }
    }

    /// Reads a page's events: counts, alerts, lag; the messages of the queued types.
    fn read_page(
        &self,
        org: &str,
        items: &[Box<RawValue>],
        report: &mut PollReport,
        newest: &mut Option<i64>,
    ) -> Vec<Queued> {
        let mut out = Vec::new();
        for (index, raw) in items.iter().enumerate() {
            report.events_read += 1;
            let Ok(event) = serde_json::from_str::<Value>(raw.get()) else {
                tracing::warn!(org, index, "a System Log item that is not JSON: skipped");
                continue;
            };
            if let Some(published) = event
                .get("published")
                .and_then(Value::as_str)
                .and_then(|p| OffsetDateTime::parse(p, &Rfc3339).ok())
            {
                let at = published.unix_timestamp();
                *newest = Some(newest.map_or(at, |n| n.max(at)));
            }
            let uuid = event.get("uuid").and_then(Value::as_str).unwrap_or("");
            if let Some(alert) = alert_of(&event) {
                report.alerts += 1;
                tracing::warn!(org, uuid, event_type = %alert.event_type, alert = %alert.summary, "Okta alert");
            }
            let event_type = event.get("eventType").and_then(Value::as_str).unwrap_or("");
            if !self.filter.queues(event_type) {
                continue;
            }
            match queue_entry(org, "poller", None, raw) {
                Ok(entry) if entry.body.len() > MAX_BATCH_BYTES => tracing::error!(
                    org,
                    uuid,
                    size = entry.body.len(),
                    "an event larger than an SQS message: not queued"
                ),
                Ok(entry) => out.push(Queued {
                    uuid: entry.dedup_id.clone(),
                    message: FifoMessage {
                        entry_id: format!("p{index}"),
                        dedup_id: entry.dedup_id,
                        group_id: entry.group_id,
                        body: entry.body,
                    },
                }),
                Err(error) => {
                    tracing::warn!(org, uuid, %error, "a System Log event that cannot be queued: skipped");
                }
            }
        }
        out
    }

    /// Counts the events the router has not routed yet (asked before they are sent,
    /// so the router cannot have routed this copy). A ledger error costs the count,
    /// never the events.
    async fn count_missed(&self, org: &str, queued: &[Queued], report: &mut PollReport) {
        let answers: Vec<_> = stream::iter(queued.iter().map(|q| self.ledger.is_done(&q.uuid)))
            .buffer_unordered(self.settings.ledger_concurrency.max(1))
            .collect()
            .await;
        let mut failed = 0;
        for answer in answers {
            match answer {
                Ok(false) => report.events_missed_by_hook += 1,
                Ok(true) => {}
                Err(_) => failed += 1,
            }
        }
        if failed > 0 {
            tracing::warn!(
                org,
                failed,
                "the ledger did not answer: those events are not counted as missed"
            );
        }
    }

    fn clock_now(&self) -> SystemTime {
        (self.settings.clock)()
    }

    fn now_secs(&self) -> u64 {
        self.clock_now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// `2026-11-22T10:00:00.000Z`, as Okta's `since` takes it.
fn iso8601(at: SystemTime) -> String {
    let t = OffsetDateTime::from(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_iso_8601_utc_to_the_second() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_000_000) + Duration::from_millis(250);
        assert_eq!(iso8601(at), "2026-11-18T11:06:40.000Z");
    }
}
