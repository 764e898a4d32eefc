//! The poll loop against a wiremock Okta serving paged System Log answers with `Link`
//! headers (a `next` that never ends, an empty page at the end) and the memory adapters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use aws_adapters::memory::{CrashBeforeStore, MemoryCursorStore, MemoryLedger};
use fifo_queue::MemoryQueue;
use log_polling::{EventFilter, PollOutcome, PollSettings, Poller};
use okta_client::{AuthConfig, OktaClient, OktaConfig, SecretString};
use ports::{CursorStore, EventLedger, StoreError, StoredCursor};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ORG: &str = "acme";
const RULE_TYPES: &[&str] = &["user.account.lock", "user.lifecycle.create"];

fn event(uuid: &str, event_type: &str, user: &str) -> Value {
    json!({
        "uuid": uuid,
        "eventType": event_type,
        "published": "2026-11-22T10:00:00.000Z",
        "actor": {"id": "00admin", "type": "User"},
        "outcome": {"result": "SUCCESS"},
        "target": [{"id": user, "type": "User", "alternateId": format!("{user}@example.com")}]
    })
}

/// Okta's System Log, polling flavour: page i answers `pages[i]` and links to page i+1;
/// past the end, an empty page that links to itself, forever.
struct LogPages {
    pages: Vec<Vec<Value>>,
    /// Answer 429 with these (reset, date) epoch seconds while set.
    throttle: Mutex<Option<(u64, u64)>>,
    hits: AtomicU64,
    /// The server's own URI: links are absolute, on the org's origin.
    base: std::sync::OnceLock<String>,
}

impl Respond for LogPages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.hits.fetch_add(1, Ordering::SeqCst);
        if let Some((reset, date)) = *self.throttle.lock().unwrap() {
            let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(date));
            return ResponseTemplate::new(429)
                .insert_header("x-rate-limit-limit", "120")
                .insert_header("x-rate-limit-remaining", "0")
                .insert_header("x-rate-limit-reset", reset.to_string().as_str())
                .insert_header("date", date.as_str())
                .set_body_json(json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."}));
        }
        let index: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "after")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let items = self.pages.get(index).cloned().unwrap_or_default();
        let following = (index + 1).min(self.pages.len());
        let base = self.base.get().cloned().unwrap_or_default();
        let mut this = url::Url::parse(&format!("{base}{}", request.url.path())).unwrap();
        this.set_query(request.url.query());
        let mut next = this.clone();
        let kept: Vec<(String, String)> = request
            .url
            .query_pairs()
            .filter(|(k, _)| k != "after" && k != "since")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        next.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("after", &following.to_string());
        ResponseTemplate::new(200)
            .insert_header("link", format!("<{this}>; rel=\"self\"").as_str())
            .append_header("link", format!("<{next}>; rel=\"next\"").as_str())
            .set_body_json(Value::Array(items))
    }
}

struct Okta {
    server: MockServer,
    log: Arc<LogPages>,
    client: OktaClient,
}

struct Shared(Arc<LogPages>);

impl Respond for Shared {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request)
    }
}

async fn okta(pages: Vec<Vec<Value>>) -> Okta {
    okta_with_delay(pages, Duration::ZERO).await
}

async fn okta_with_delay(pages: Vec<Vec<Value>>, delay: Duration) -> Okta {
    let server = MockServer::builder().start().await;
    let log = Arc::new(LogPages {
        pages,
        throttle: Mutex::new(None),
        hits: AtomicU64::new(0),
        base: std::sync::OnceLock::new(),
    });
    let _ = log.base.set(server.uri());
    struct Delayed(Arc<LogPages>, Duration);
    impl Respond for Delayed {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            Shared(self.0.clone()).respond(request).set_delay(self.1)
        }
    }
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .respond_with(Delayed(log.clone(), delay))
        .mount(&server)
        .await;
    let config = OktaConfig::new(
        &server.uri(),
        AuthConfig::ApiToken(SecretString::from("00test-token")),
    )
    .unwrap();
    let client = OktaClient::new(config).unwrap();
    Okta {
        server,
        log,
        client,
    }
}

fn two_pages() -> Vec<Vec<Value>> {
    vec![
        vec![
            event("u1", "user.account.lock", "00u1"),
            event("u2", "user.session.start", "00u2"),
            event("u3", "user.lifecycle.create", "00u3"),
        ],
        vec![
            event("u4", "user.account.lock", "00u1"),
            json!({
                "uuid": "a1", "eventType": "event_hook.delivery",
                "published": "2026-11-22T10:01:00.000Z",
                "displayMessage": "Event hook delivery",
                "outcome": {"result": "FAILURE", "reason": "timeout"},
                "target": [{"id": "who1", "type": "EventHook", "displayName": "okta-hooks acme"}]
            }),
            json!({"uuid": "a2", "eventType": "system.org.rate_limit.warning",
                   "published": "2026-11-22T10:01:30.000Z", "outcome": {"result": "SUCCESS"}}),
        ],
    ]
}

/// The router's memory ledger, shared between the test and the poller.
#[derive(Clone, Default)]
struct Ledger(Arc<MemoryLedger>);

impl EventLedger for Ledger {
    async fn is_done(&self, uuid: &str) -> Result<bool, StoreError> {
        self.0.is_done(uuid).await
    }

    async fn mark_done(&self, uuid: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.0.mark_done(uuid, ttl).await
    }
}

type TestPoller<C> = Poller<C, Arc<MemoryQueue>, Ledger>;

fn fixed_clock(secs: Arc<AtomicU64>) -> log_polling::Clock {
    Arc::new(move || UNIX_EPOCH + Duration::from_secs(secs.load(Ordering::SeqCst)))
}

/// 2026-11-22T10:02:00Z
const NOW: u64 = 1_795_341_720;

fn poller<C: CursorStore>(cursors: C, queue: Arc<MemoryQueue>, ledger: Ledger) -> TestPoller<C> {
    poller_at(cursors, queue, ledger, Arc::new(AtomicU64::new(NOW)))
}

fn poller_at<C: CursorStore>(
    cursors: C,
    queue: Arc<MemoryQueue>,
    ledger: Ledger,
    clock: Arc<AtomicU64>,
) -> TestPoller<C> {
    Poller {
        cursors,
        queue,
        ledger,
        filter: EventFilter::new(RULE_TYPES.iter().map(|t| (*t).to_owned())),
        settings: PollSettings {
            page_reserve: Duration::from_millis(10),
            clock: fixed_clock(clock),
            ..PollSettings::default()
        },
    }
}

fn queued_uuids(queue: &MemoryQueue) -> Vec<String> {
    queue
        .messages()
        .into_iter()
        .map(|m| m.message.dedup_id)
        .collect()
}

fn query(request: &Request, key: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn first_run_reads_from_the_look_back_queues_rule_types_and_stores_the_next_link() {
    let okta = okta(two_pages()).await;
    let store = Arc::new(MemoryCursorStore::new());
    let queue = Arc::new(MemoryQueue::new());
    let ledger = Ledger::default();
    // The hook brought u1 already: the router routed it.
    ledger
        .mark_done("u1", Duration::from_secs(60))
        .await
        .unwrap();
    let p = poller(store.clone(), queue.clone(), ledger);

    let report = p.poll_org(ORG, &okta.client).await;
    assert!(
        matches!(report.outcome, PollOutcome::CaughtUp),
        "{:?}",
        report.outcome
    );
    assert_eq!(report.pages_read, 3, "two pages and the empty one");
    assert_eq!(report.events_read, 6);
    // Only the rules' types: not user.session.start, not the alert-only types.
    assert_eq!(queued_uuids(&queue), ["u1", "u3", "u4"]);
    assert_eq!(report.events_queued, 3);
    assert_eq!(report.events_missed_by_hook, 2, "u3 and u4; u1 was routed");
    assert_eq!(report.alerts, 2);
    assert_eq!(report.cursor_advances, 2, "once per page with events");
    // Lag of the newest event (10:01:30) at 10:02:00.
    assert_eq!(report.newest_event_lag_secs, Some(30));

    // The message is the one the hook makes: group = the User target, source poller.
    let first = &queue.messages()[0].message;
    assert_eq!(first.group_id, "00u1");
    let body: Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(body["org"], ORG);
    assert_eq!(body["source"], "poller");
    assert_eq!(body["event"]["uuid"], "u1");

    let requests = okta.server.received_requests().await.unwrap();
    let start = &requests[0];
    assert_eq!(
        query(start, "since").as_deref(),
        Some("2026-11-22T09:02:00.000Z")
    );
    assert_eq!(query(start, "sortOrder").as_deref(), Some("ASCENDING"));
    assert_eq!(query(start, "until"), None);
    assert_eq!(query(start, "limit").as_deref(), Some("1000"));
    let filter = query(start, "filter").unwrap();
    for t in RULE_TYPES.iter().chain(
        [
            "event_hook.delivery",
            "system.org.rate_limit.warning",
            "system.org.rate_limit.violation",
        ]
        .iter(),
    ) {
        assert!(
            filter.contains(&format!("eventType eq \"{t}\"")),
            "{filter}"
        );
    }
    // The next pages follow the links verbatim.
    assert_eq!(query(&requests[1], "after").as_deref(), Some("1"));
    assert_eq!(
        query(&requests[1], "filter").as_deref(),
        Some(filter.as_str())
    );

    let stored = store.get(ORG);
    assert_eq!(stored.version, 2);
    assert_eq!(stored.not_before, None);
    assert!(stored.next.unwrap().contains("after=2"));

    // The second run starts from the stored link: one empty page, nothing new.
    let again = p.poll_org(ORG, &okta.client).await;
    assert!(matches!(again.outcome, PollOutcome::CaughtUp));
    assert_eq!(again.pages_read, 1);
    assert_eq!(again.events_read, 0);
    assert_eq!(again.cursor_advances, 0);
    assert_eq!(again.newest_event_lag_secs, None);
    assert_eq!(store.get(ORG).version, 2);
    let last = okta
        .server
        .received_requests()
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(query(&last, "after").as_deref(), Some("2"));
    assert_eq!(query(&last, "since"), None);
    assert_eq!(queue.len(), 3);
}

#[tokio::test]
async fn a_crash_between_sending_and_storing_resends_the_page_and_loses_nothing() {
    let okta = okta(two_pages()).await;
    let store = Arc::new(MemoryCursorStore::new());
    let queue = Arc::new(MemoryQueue::new());
    let ledger = Ledger::default();
    let flaky = CrashBeforeStore::new(store.clone(), 1);
    let p = poller(flaky, queue.clone(), ledger);
    let crashed = p.poll_org(ORG, &okta.client).await;
    assert!(
        matches!(crashed.outcome, PollOutcome::Failed(_)),
        "{:?}",
        crashed.outcome
    );
    assert!(
        crashed
            .error()
            .unwrap()
            .to_string()
            .contains("crashed before storing")
    );
    assert_eq!(queued_uuids(&queue), ["u1", "u3"], "page 1 was sent");
    assert_eq!(store.get(ORG).version, 0, "but its cursor not stored");

    let resumed = p.poll_org(ORG, &okta.client).await;
    assert!(
        matches!(resumed.outcome, PollOutcome::CaughtUp),
        "{:?}",
        resumed.outcome
    );
    // Page 1 went out again (same dedup ids, dropped by the queue), then page 2.
    assert_eq!(resumed.events_queued, 3);
    assert_eq!(queued_uuids(&queue), ["u1", "u3", "u4"]);
    assert_eq!(store.get(ORG).version, 2);
}

#[tokio::test]
async fn two_overlapping_runs_do_not_both_advance_the_cursor() {
    // Slow pages: both runs load version 0 before either stores anything.
    let okta = okta_with_delay(two_pages(), Duration::from_millis(300)).await;
    let store = Arc::new(MemoryCursorStore::new());
    let queue = Arc::new(MemoryQueue::new());
    let ledger = Ledger::default();
    let a = poller(store.clone(), queue.clone(), ledger.clone());
    let b = poller(store.clone(), queue.clone(), ledger);
    let (ra, rb) = tokio::join!(a.poll_org(ORG, &okta.client), b.poll_org(ORG, &okta.client));
    let lost = [&ra, &rb]
        .iter()
        .filter(|r| matches!(r.outcome, PollOutcome::LostRace))
        .count();
    assert_eq!(lost, 1, "{:?} / {:?}", ra.outcome, rb.outcome);
    assert_eq!(
        ra.cursor_advances + rb.cursor_advances,
        2,
        "each page's link stored once"
    );
    assert_eq!(store.get(ORG).version, 2);
    assert_eq!(
        queued_uuids(&queue),
        ["u1", "u3", "u4"],
        "duplicates dropped by dedup"
    );
}

#[tokio::test]
async fn a_429_stops_the_run_and_the_next_run_waits_for_the_reset() {
    let okta = okta(two_pages()).await;
    *okta.log.throttle.lock().unwrap() = Some((NOW + 30, NOW));
    let store = Arc::new(MemoryCursorStore::new());
    let queue = Arc::new(MemoryQueue::new());
    let clock = Arc::new(AtomicU64::new(NOW));
    let p = poller_at(
        store.clone(),
        queue.clone(),
        Ledger::default(),
        clock.clone(),
    );

    let started = Instant::now();
    let throttled = p.poll_org(ORG, &okta.client).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no sleeping on a 429"
    );
    let PollOutcome::Throttled { not_before } = throttled.outcome else {
        panic!("{:?}", throttled.outcome)
    };
    assert_eq!(not_before, NOW + 31, "Reset - Date + 1 s");
    assert_eq!(throttled.emf(0)["Throttled"], 1);
    assert!(queue.is_empty());
    let stored = store.get(ORG);
    assert_eq!(stored.not_before, Some(NOW + 31));
    // The first query is kept, so the look-back is not lost while waiting.
    assert!(stored.next.unwrap().contains("since="));
    assert_eq!(okta.log.hits.load(Ordering::SeqCst), 1);

    // Okta is fine again, but the reset is not reached: the next run does not call.
    *okta.log.throttle.lock().unwrap() = None;
    clock.store(NOW + 20, Ordering::SeqCst);
    let waiting = p.poll_org(ORG, &okta.client).await;
    assert!(matches!(waiting.outcome, PollOutcome::Waiting { not_before: n } if n == NOW + 31));
    assert_eq!(okta.log.hits.load(Ordering::SeqCst), 1, "Okta not called");

    clock.store(NOW + 31, Ordering::SeqCst);
    let resumed = p.poll_org(ORG, &okta.client).await;
    assert!(
        matches!(resumed.outcome, PollOutcome::CaughtUp),
        "{:?}",
        resumed.outcome
    );
    assert_eq!(queued_uuids(&queue), ["u1", "u3", "u4"]);
    let requests = okta.server.received_requests().await.unwrap();
    assert_eq!(
        query(&requests[1], "since").as_deref(),
        Some("2026-11-22T09:02:00.000Z"),
        "the stored first query, not a new look-back"
    );
    assert_eq!(store.get(ORG).not_before, None);
}

#[tokio::test]
async fn a_429_that_names_no_reset_waits_the_one_throttle_default() {
    let okta = okta(two_pages()).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"errorCode": "E0000047"})))
        .with_priority(1)
        .up_to_n_times(1)
        .mount(&okta.server)
        .await;
    let store = Arc::new(MemoryCursorStore::new());
    let clock = Arc::new(AtomicU64::new(NOW));
    let p = poller_at(
        store.clone(),
        Arc::new(MemoryQueue::new()),
        Ledger::default(),
        clock,
    );
    let throttled = p.poll_org(ORG, &okta.client).await;
    let PollOutcome::Throttled { not_before } = throttled.outcome else {
        panic!("{:?}", throttled.outcome)
    };
    assert_eq!(not_before, NOW + retry::THROTTLE_DEFAULT.as_secs());
    assert_eq!(not_before, NOW + 60, "one whole rate-limit window");
    assert_eq!(store.get(ORG).not_before, Some(not_before));
}

#[tokio::test]
async fn the_budget_is_checked_before_each_page() {
    let okta = okta(two_pages()).await;
    let store = Arc::new(MemoryCursorStore::new());
    let queue = Arc::new(MemoryQueue::new());
    let mut p = poller(store.clone(), queue.clone(), Ledger::default());
    p.settings.page_reserve = Duration::from_secs(5);
    let report = p
        .poll_org_until(ORG, &okta.client, Instant::now() + Duration::from_secs(1))
        .await;
    assert!(matches!(report.outcome, PollOutcome::BudgetSpent));
    assert_eq!(report.pages_read, 0);
    assert_eq!(okta.log.hits.load(Ordering::SeqCst), 0);
    assert_eq!(store.get(ORG).version, 0);
}

#[tokio::test]
async fn a_stored_link_with_an_old_filter_keeps_its_position_with_the_new_filter() {
    let okta = okta(two_pages()).await;
    let store = Arc::new(MemoryCursorStore::new());
    store.set(
        ORG,
        StoredCursor {
            next: Some(format!(
                "{}/api/v1/logs?limit=1000&sortOrder=ASCENDING&filter=eventType+eq+%22old.type%22&after=1",
                okta.server.uri()
            )),
            not_before: None,
            version: 7,
        },
    );
    let queue = Arc::new(MemoryQueue::new());
    let p = poller(store.clone(), queue.clone(), Ledger::default());
    let report = p.poll_org(ORG, &okta.client).await;
    assert!(
        matches!(report.outcome, PollOutcome::CaughtUp),
        "{:?}",
        report.outcome
    );
    assert_eq!(queued_uuids(&queue), ["u4"], "from page 2 on");
    let requests = okta.server.received_requests().await.unwrap();
    assert_eq!(query(&requests[0], "after").as_deref(), Some("1"));
    let filter = query(&requests[0], "filter").unwrap();
    assert!(
        filter.contains("user.account.lock") && !filter.contains("old.type"),
        "{filter}"
    );
    assert_eq!(store.get(ORG).version, 8);
}

#[tokio::test]
async fn a_long_type_list_is_filtered_locally() {
    let okta = okta(two_pages()).await;
    let queue = Arc::new(MemoryQueue::new());
    let mut p = poller(
        Arc::new(MemoryCursorStore::new()),
        queue.clone(),
        Ledger::default(),
    );
    p.filter = EventFilter::with_limit(RULE_TYPES.iter().map(|t| (*t).to_owned()), 10);
    let report = p.poll_org(ORG, &okta.client).await;
    assert!(matches!(report.outcome, PollOutcome::CaughtUp));
    let requests = okta.server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| query(r, "filter").is_none()));
    assert_eq!(queued_uuids(&queue), ["u1", "u3", "u4"]);
    assert_eq!(report.alerts, 2);
}

#[tokio::test]
async fn an_okta_error_fails_the_run_without_moving_the_cursor() {
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"errorCode": "E0000009"})))
        .mount(&server)
        .await;
    let client = OktaClient::new(
        OktaConfig::new(&server.uri(), AuthConfig::ApiToken(SecretString::from("t"))).unwrap(),
    )
    .unwrap();
    let store = Arc::new(MemoryCursorStore::new());
    let p = poller(
        store.clone(),
        Arc::new(MemoryQueue::new()),
        Ledger::default(),
    );
    let report = p.poll_org(ORG, &client).await;
    assert!(
        report.error().unwrap().to_string().contains("500"),
        "{:?}",
        report.outcome
    );
    assert_eq!(store.get(ORG), StoredCursor::default());
    assert!(
        report.emf(0).get("Throttled").is_none(),
        "a 500 is no 429: no Throttled value"
    );
}
