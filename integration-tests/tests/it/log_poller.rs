//! The System Log poller on real wire protocols: its Lambda library (`log_poller::build`,
//! DynamoDB cursors and ledger, the SQS events queue, the org secret) on `moto_server`,
//! against a wiremock Okta serving paged System Log answers with `Link` headers — a
//! `next` that never ends, an empty page at the end — and, behind the queue, the event
//! router (`event_router::build` + `handle`) with the repository's rules.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actions::Family;
use aws_adapters::DynamoCursorStore;
use aws_adapters::memory::CrashBeforeStore;
use aws_sdk_dynamodb::types::AttributeValue;
use event_router::{AppRouter, RouterConfig};
use integration_tests::{Aws, MotoServer};
use log_poller::{App, PollerConfig};
use log_polling::{PollOutcome, Poller};
use org_secrets::OrgName;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEY: &str = "poller-signing-key-0123456789abcdef012345";

/// Okta's System Log, polling flavour: page i answers `pages[i]` and links to page i+1;
/// past the end, an empty page that links to itself, forever.
struct LogPages {
    pages: Vec<Vec<Value>>,
    /// While set: answer 429 with this `X-Rate-Limit-Reset` (epoch seconds).
    throttle_until: Mutex<Option<u64>>,
    hits: AtomicU64,
    port: OnceLock<u16>,
    delay: Duration,
}

/// The responder wiremock holds; the test keeps the other handle.
struct Shared(Arc<LogPages>);

impl Respond for Shared {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.answer(request)
    }
}

impl LogPages {
    fn answer(&self, request: &Request) -> ResponseTemplate {
        self.hits.fetch_add(1, Ordering::SeqCst);
        if let Some(reset) = *self.throttle_until.lock().expect("lock") {
            return ResponseTemplate::new(429)
                .insert_header("x-rate-limit-limit", "120")
                .insert_header("x-rate-limit-remaining", "0")
                .insert_header("x-rate-limit-reset", reset.to_string().as_str())
                .insert_header("date", httpdate::fmt_http_date(SystemTime::now()).as_str())
                .set_body_json(json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."}));
        }
        let index: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "after")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        // Links are absolute, on the org's origin.
        let mut this = request.url.clone();
        let _ = this.set_host(Some("127.0.0.1"));
        let _ = this.set_port(self.port.get().copied());
        let kept: Vec<(String, String)> = this
            .query_pairs()
            .filter(|(k, _)| k != "after" && k != "since")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let following = (index + 1).min(self.pages.len());
        let mut next = this.clone();
        next.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("after", &following.to_string());
        ResponseTemplate::new(200)
            .insert_header("link", format!("<{this}>; rel=\"self\"").as_str())
            .append_header("link", format!("<{next}>; rel=\"next\"").as_str())
            .set_body_json(Value::Array(
                self.pages.get(index).cloned().unwrap_or_default(),
            ))
            .set_delay(self.delay)
    }
}

/// A real lock event of the reference data, as a new event about `user`.
fn lock_event(uuid: &str, user: &str) -> Value {
    let mut event: Value =
        serde_json::from_str(&okta_fixtures::read_event("user.account.lock.json")).expect("event");
    event["uuid"] = json!(uuid);
    event["actor"]["id"] = json!(user);
    event["actor"]["alternateId"] = json!(format!("{user}@example.com"));
    event["published"] = json!("2026-11-22T10:00:00.000Z");
    event
}

fn pages() -> Vec<Vec<Value>> {
    let mut other = lock_event("S1", "00other");
    other["eventType"] = json!("user.session.end");
    vec![
        vec![lock_event("L1", "00u1"), lock_event("L2", "00u2"), other],
        vec![lock_event("L3", "00u3"), lock_event("L4", "00u1")],
        vec![lock_event("L5", "00u5")],
    ]
}

struct Stack {
    aws: Aws,
    okta: MockServer,
    log: Arc<LogPages>,
    events_url: String,
    notify_url: String,
    config: PollerConfig,
    router: AppRouter,
    moto: MotoServer,
}

async fn stack(delay: Duration) -> Stack {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    for table in ["ledger", "counters", "cursors"] {
        aws.table(table).await;
    }
    let okta = MockServer::builder().start().await;
    let log = Arc::new(LogPages {
        pages: pages(),
        throttle_until: Mutex::new(None),
        hits: AtomicU64::new(0),
        port: OnceLock::new(),
        delay,
    });
    let _ = log.port.set(okta.address().port());
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .respond_with(Shared(log.clone()))
        .mount(&okta)
        .await;
    // The poller reads `okta-read`; the router `signing` and `okta-read`.
    aws.put_org_secrets(
        "default",
        &json!({
            "signing": {"active": "k1", "keys": {"k1": KEY}},
            "okta-read": {"org_url": okta.uri(), "api_token": "00poller-token"},
        }),
    )
    .await;
    let events_url = aws.fifo_queue("events.fifo").await;
    let mut queues = HashMap::new();
    for family in Family::ALL {
        queues.insert(
            family,
            aws.fifo_queue(&format!("{}.fifo", family.as_str())).await,
        );
    }
    let notify_url = queues[&Family::Notify].clone();
    let events_dlq_url = aws.fifo_queue("events-dlq.fifo").await;
    let router_config = RouterConfig::from_lookup(|name| match name {
        "OKTA_HOOKS_LEDGER_TABLE" => Some("ledger".into()),
        "OKTA_HOOKS_MAX_RECEIVE_COUNT" => Some("12".into()),
        "OKTA_HOOKS_EVENTS_DLQ_URL" => Some(events_dlq_url.clone()),
        "OKTA_HOOKS_COUNTER_TABLE" => Some("counters".into()),
        other => Family::ALL
            .into_iter()
            .find(|f| f.queue_url_var() == other)
            .map(|f| queues[&f].clone()),
    })
    .expect("router config");
    let router = event_router::build(&router_config, &aws.config).expect("router");
    let events = events_url.clone();
    let config = PollerConfig::from_lookup(move |name| match name {
        "OKTA_HOOKS_EVENTS_QUEUE_URL" => Some(events.clone()),
        "OKTA_HOOKS_CURSOR_TABLE" => Some("cursors".into()),
        "OKTA_HOOKS_LEDGER_TABLE" => Some("ledger".into()),
        "OKTA_HOOKS_SECRET_REFRESH_MIN_SECS" => Some("0".into()),
        _ => None,
    })
    .expect("poller config");
    Stack {
        aws,
        okta,
        log,
        events_url,
        notify_url,
        config,
        router,
        moto,
    }
}

impl Stack {
    fn poller(&self) -> App {
        log_poller::build(&self.config, &self.aws.config).expect("poller")
    }

    /// The cursor item as DynamoDB holds it: (next, version, `not_before`).
    async fn cursor(&self) -> Option<(String, u64, Option<u64>)> {
        let item = self
            .aws
            .dynamodb
            .get_item()
            .table_name("cursors")
            .key("pk", AttributeValue::S("cursor#default".into()))
            .consistent_read(true)
            .send()
            .await
            .expect("get item");
        let item = item.item()?;
        let n = |k: &str| {
            item.get(k)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
        };
        Some((
            item.get("next")?.as_s().ok()?.clone(),
            n("version")?,
            n("not_before"),
        ))
    }

    /// Event uuids on the events queue (received and deleted).
    async fn drain_events(&self) -> Vec<String> {
        self.aws
            .drain(&self.events_url)
            .await
            .into_iter()
            .map(|(group, dedup, body)| {
                let body: Value = serde_json::from_str(&body).expect("body");
                assert_eq!(body["source"], "poller");
                assert_eq!(body["org"], "default");
                assert_eq!(body["event"]["uuid"], dedup.as_str());
                assert_eq!(
                    body["event"]["actor"]["id"],
                    group.as_str(),
                    "group = subject"
                );
                dedup
            })
            .collect()
    }

    /// Routes everything on the events queue, as the router's event source would.
    async fn route_all(&self) {
        loop {
            let (n, response) = self
                .aws
                .pump_once(&self.events_url, |e| event_router::handle(&self.router, e))
                .await;
            assert!(response.batch_item_failures.is_empty(), "{response:?}");
            if n == 0 {
                return;
            }
        }
    }
}

fn lock_uuids() -> BTreeSet<String> {
    ["L1", "L2", "L3", "L4", "L5"].map(String::from).into()
}

#[tokio::test]
async fn events_appear_once_and_the_cursor_advances_once_per_page() {
    let s = stack(Duration::ZERO).await;
    let app = s.poller();
    let reports = log_poller::poll_all(&app).await;
    let first = &reports[0];
    assert!(
        matches!(first.outcome, PollOutcome::CaughtUp),
        "{:?}",
        first.outcome
    );
    assert_eq!(first.pages_read, 4, "three pages and the empty one");
    assert_eq!(first.events_read, 6);
    assert_eq!(first.events_queued, 5, "the session event has no rule");
    assert_eq!(first.events_missed_by_hook, 5, "the router had routed none");
    let (next, version, not_before) = s.cursor().await.expect("a stored cursor");
    assert_eq!(version, 3, "one advance per page with events");
    assert!(next.contains("after=3"), "{next}");
    assert!(next.starts_with(&s.okta.uri()), "{next}");
    assert_eq!(not_before, None);

    // The schedule's payload is ignored; the second run finds nothing new.
    let schedule: Value = serde_json::from_str(
        &std::fs::read_to_string(
            integration_tests::workspace_root().join("events/eventbridge-schedule.json"),
        )
        .expect("events/eventbridge-schedule.json"),
    )
    .expect("JSON");
    let summary = log_poller::handle(&app, schedule)
        .await
        .expect("second run");
    assert_eq!(summary["orgs"][0]["outcome"], "caught_up");
    assert_eq!(summary["orgs"][0]["pages"], 1);
    assert_eq!(summary["orgs"][0]["queued"], 0);
    assert_eq!(
        s.cursor().await.expect("cursor").1,
        3,
        "not advanced by an empty page"
    );

    let uuids = s.drain_events().await;
    assert_eq!(uuids.len(), 5, "{uuids:?}");
    assert_eq!(uuids.into_iter().collect::<BTreeSet<_>>(), lock_uuids());
}

#[tokio::test]
async fn a_crash_between_sending_and_storing_loses_nothing_and_runs_no_action_twice() {
    let s = stack(Duration::ZERO).await;
    let app = s.poller();
    let okta = app
        .okta
        .client(&OrgName::default_org())
        .await
        .expect("okta client");
    let crashing = Poller {
        cursors: CrashBeforeStore::new(DynamoCursorStore::from_config(&s.aws.config, "cursors"), 1),
        queue: app.poller.queue.clone(),
        ledger: app.poller.ledger.clone(),
        filter: app.poller.filter.clone(),
        settings: app.poller.settings.clone(),
    };
    let crashed = crashing.poll_org("default", &okta).await;
    assert!(crashed.error().is_some(), "{:?}", crashed.outcome);
    assert_eq!(crashed.events_queued, 2, "page 1 was sent");
    assert_eq!(s.cursor().await, None, "its cursor was not stored");

    // The router takes page 1 off the queue and plans its actions.
    s.route_all().await;

    // The next run reads page 1 again, then the rest.
    let resumed = crashing.poll_org("default", &okta).await;
    assert!(
        matches!(resumed.outcome, PollOutcome::CaughtUp),
        "{:?}",
        resumed.outcome
    );
    assert_eq!(
        resumed.events_queued, 5,
        "page 1 resent, then pages 2 and 3"
    );
    assert_eq!(
        resumed.events_missed_by_hook, 3,
        "L1 and L2 were routed already"
    );
    assert_eq!(s.cursor().await.expect("cursor").1, 3);
    s.route_all().await;

    // One notify step per lock event: nothing lost, nothing planned twice.
    let steps = s.aws.drain(&s.notify_url).await;
    let ids: BTreeSet<&str> = steps.iter().map(|(_, id, _)| id.as_str()).collect();
    assert_eq!(steps.len(), 5, "{steps:?}");
    assert_eq!(ids.len(), 5);
    // The deterministic envelope ids of the first step of account-locked, one per event.
    let expected: BTreeSet<String> = lock_uuids()
        .iter()
        .map(|uuid| envelope::envelope_id(uuid, "account-locked", envelope::Phase::Steps, 0))
        .collect();
    assert_eq!(ids, expected.iter().map(String::as_str).collect());
}

#[tokio::test]
async fn two_overlapping_runs_do_not_both_advance_the_cursor() {
    // Slow pages, so both runs load the same (absent) cursor before either stores one.
    let s = stack(Duration::from_millis(400)).await;
    let (a, b) = (s.poller(), s.poller());
    let (ra, rb) = tokio::join!(log_poller::poll_all(&a), log_poller::poll_all(&b));
    let (ra, rb) = (&ra[0], &rb[0]);
    let lost = [ra, rb]
        .iter()
        .filter(|r| matches!(r.outcome, PollOutcome::LostRace))
        .count();
    assert_eq!(lost, 1, "{:?} / {:?}", ra.outcome, rb.outcome);
    assert_eq!(
        ra.cursor_advances + rb.cursor_advances,
        3,
        "each page stored once"
    );
    assert_eq!(s.cursor().await.expect("cursor").1, 3);
    let uuids = s.drain_events().await;
    assert_eq!(
        uuids.len(),
        5,
        "the loser's copy of page 1 is dropped by dedup: {uuids:?}"
    );
}

#[tokio::test]
async fn a_429_stops_the_run_and_the_next_run_waits_until_the_reset() {
    let s = stack(Duration::ZERO).await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    *s.log.throttle_until.lock().expect("lock") = Some(now + 120);
    let mut app = s.poller();

    let throttled = log_poller::poll_all(&app).await;
    let PollOutcome::Throttled { not_before } = throttled[0].outcome else {
        panic!("{:?}", throttled[0].outcome)
    };
    assert!(
        (now + 120..=now + 123).contains(&not_before),
        "{not_before} vs {now}"
    );
    assert_eq!(throttled[0].emf(0)["Throttled"], 1);
    let (next, version, stored_wait) = s.cursor().await.expect("the wait is stored");
    assert_eq!(stored_wait, Some(not_before));
    assert_eq!(version, 1);
    assert!(next.contains("since="), "the first query is kept: {next}");
    assert_eq!(s.log.hits.load(Ordering::SeqCst), 1);

    // Okta would answer now, but the reset has not come: no call at all.
    *s.log.throttle_until.lock().expect("lock") = None;
    let waiting = log_poller::handle(&app, json!({}))
        .await
        .expect("a wait is no error");
    assert_eq!(waiting["orgs"][0]["outcome"], "waiting");
    assert_eq!(s.log.hits.load(Ordering::SeqCst), 1, "Okta not called");

    // After the reset, the run resumes from the stored query.
    app.poller.settings.clock = Arc::new(move || UNIX_EPOCH + Duration::from_secs(not_before));
    let resumed = log_poller::poll_all(&app).await;
    assert!(
        matches!(resumed[0].outcome, PollOutcome::CaughtUp),
        "{:?}",
        resumed[0].outcome
    );
    let (_, version, stored_wait) = s.cursor().await.expect("cursor");
    assert_eq!((version, stored_wait), (4, None));
    assert_eq!(s.drain_events().await.len(), 5);
}

/// The built `log-poller` binary under cargo-lambda's runtime emulator, invoked with
/// `events/eventbridge-schedule.json`: it polls, answers a summary, and prints one
/// Embedded Metric Format line for the org.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_polls_on_the_schedule_event_and_prints_emf_metrics() {
    let s = stack(Duration::ZERO).await;
    let mut lambda = integration_tests::LambdaEmulator::start();
    let mut env = integration_tests::aws::function_env(&s.moto.endpoint());
    env.push(("OKTA_HOOKS_EVENTS_QUEUE_URL", s.events_url.clone()));
    env.push(("OKTA_HOOKS_CURSOR_TABLE", "cursors".into()));
    env.push(("OKTA_HOOKS_LEDGER_TABLE", "ledger".into()));
    let log_dir = std::env::temp_dir().join(format!("log-poller-{}", std::process::id()));
    std::fs::create_dir_all(&log_dir).expect("log dir");
    let log = log_dir.join("stdout.log");
    lambda.attach_with_log(
        &integration_tests::workspace_binary("log-poller"),
        &env,
        Some(&log),
    );
    let schedule = std::fs::read_to_string(
        integration_tests::workspace_root().join("events/eventbridge-schedule.json"),
    )
    .expect("events/eventbridge-schedule.json");
    let summary = tokio::task::spawn_blocking(move || lambda.invoke(&schedule).to_string())
        .await
        .expect("invoke");
    let summary: Value = serde_json::from_str(&summary).expect("summary");
    assert_eq!(summary["orgs"][0]["org"], "default", "{summary}");
    assert_eq!(summary["orgs"][0]["outcome"], "caught_up", "{summary}");
    assert_eq!(summary["orgs"][0]["queued"], 5, "{summary}");
    assert_eq!(s.drain_events().await.len(), 5);

    let text = std::fs::read_to_string(&log).expect("the function's stdout");
    let emf: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l.get("_aws").is_some())
        .unwrap_or_else(|| panic!("no EMF line in {text}"));
    assert_eq!(
        emf["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "okta-hooks"
    );
    assert_eq!(emf["org"], "default");
    assert_eq!(emf["EventsRead"], 6);
    assert_eq!(emf["EventsMissedByHook"], 5);
    assert_eq!(emf["PagesRead"], 4);
    assert!(emf.get("Throttled").is_none(), "no 429, no value: {emf}");
    let _ = std::fs::remove_dir_all(&log_dir);
}

#[tokio::test]
async fn a_rotated_credential_is_picked_up_after_a_401_without_waiting_for_the_cache() {
    let s = stack(Duration::ZERO).await;
    let secret = |token: &str| {
        json!({
            "signing": {"active": "k1", "keys": {"k1": KEY}},
            "okta-read": {"org_url": s.okta.uri(), "api_token": token},
        })
    };
    s.aws
        .put_org_secrets("default", &secret("00old-token"))
        .await;
    let app = s.poller();
    let first = log_poller::poll_all(&app).await;
    assert!(first[0].error().is_none(), "{:?}", first[0].outcome);
    // Rotation: the secret now holds a new token and Okta refuses the old one. The
    // secret cache (TTL 300 s) still serves the old token to the next run.
    s.aws
        .put_org_secrets("default", &secret("00new-token"))
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(wiremock::matchers::header(
            "authorization",
            "SSWS 00old-token",
        ))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "errorCode": "E0000011", "errorSummary": "Invalid token provided"
        })))
        .with_priority(1)
        .mount(&s.okta)
        .await;
    let refused = log_poller::poll_all(&app).await;
    assert!(
        matches!(refused[0].outcome, PollOutcome::Failed(_)),
        "{:?}",
        refused[0].outcome
    );
    // The 401 made the poller re-read the secret: the next run uses the new token.
    let second = log_poller::poll_all(&app).await;
    assert!(second[0].error().is_none(), "{:?}", second[0].outcome);
    let with_new = s
        .okta
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| {
            r.headers
                .get("authorization")
                .is_some_and(|v| v == "SSWS 00new-token")
        })
        .count();
    assert!(with_new > 0, "the new token was used");
}
