//! Executors under a saturating burst (DESIGN.md: ≥ 90 % of Okta's rate-limit budget
//! used, ≤ 1 % of calls answered 429, no action lost or run twice).
//!
//! An in-process "Okta" on 127.0.0.1 enforces a fixed-window rate limit the way Okta
//! does (`X-Rate-Limit-Limit/Remaining/Reset`, `Date`, 429 when spent). A simulated SQS
//! queue feeds a burst of one-step plans (`user.suspend`, one user each) to several
//! simulated Lambda instances, each with its own step runner and Okta client, taking
//! batches of 10; a message that asks for a retry is invisible for as long as it asked.
//!
//! `WINDOW` is shorter than Okta's minute so the bench ends in about a minute; the
//! runner's waits are real. Usage = successful calls ÷ budget, over every window but the
//! last (where the burst runs out, not the budget).

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::post;
use futures_util::future::join_all;
use step_runner::{Ran, Settings};

/// Seconds per rate-limit window, and calls allowed per window: Okta's default for
/// `/api/v1/users` writes (600 a minute), with the minute compressed to 10 s.
const WINDOW: u64 = 10;
const LIMIT: u64 = 600;
/// The burst: more than three windows' budget.
const PLANS: usize = 2000;
/// Simulated Lambda instances (the family's maximum concurrency) and batch size.
const INSTANCES: usize = 2;
const BATCH: usize = 10;

#[derive(Default)]
struct Okta {
    window: Mutex<(u64, u64)>,
    ok: AtomicU64,
    throttled: AtomicU64,
    /// Successful suspends per user: each must be exactly 1.
    per_user: Mutex<HashMap<String, u32>>,
    /// Successful calls per window start.
    per_window: Mutex<BTreeMap<u64, u64>>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn suspend(
    State(okta): State<Arc<Okta>>,
    Path(user): Path<String>,
) -> (StatusCode, HeaderMap, String) {
    let now = now_secs();
    let start = now - now % WINDOW;
    let (allowed, used) = {
        let mut w = okta.window.lock().unwrap_or_else(PoisonError::into_inner);
        if w.0 != start {
            *w = (start, 0);
        }
        if w.1 < LIMIT {
            w.1 += 1;
            (true, w.1)
        } else {
            (false, w.1)
        }
    };
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set("x-rate-limit-limit", LIMIT.to_string());
    set(
        "x-rate-limit-remaining",
        LIMIT.saturating_sub(used).to_string(),
    );
    set("x-rate-limit-reset", (start + WINDOW).to_string());
    set("date", httpdate::fmt_http_date(SystemTime::now()));
    set("content-type", "application/json".into());
    if !allowed {
        okta.throttled.fetch_add(1, Ordering::Relaxed);
        let body = r#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}"#;
        return (StatusCode::TOO_MANY_REQUESTS, headers, body.into());
    }
    okta.ok.fetch_add(1, Ordering::Relaxed);
    *okta
        .per_user
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(user)
        .or_default() += 1;
    *okta
        .per_window
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(start)
        .or_default() += 1;
    (StatusCode::OK, headers, "{}".into())
}

/// The simulated queue: bodies by the instant they become visible.
struct Sqs {
    waiting: Mutex<BTreeMap<(Instant, usize), String>>,
    done: AtomicU64,
}

impl Sqs {
    fn take(&self, n: usize) -> Vec<(usize, String)> {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let keys: Vec<(Instant, usize)> = waiting
            .range(..(now, usize::MAX))
            .take(n)
            .map(|(k, _)| *k)
            .collect();
        keys.into_iter()
            .filter_map(|k| waiting.remove(&k).map(|b| (k.1, b)))
            .collect()
    }

    fn hold(&self, id: usize, body: String, after: Duration) {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((Instant::now() + after, id), body);
    }
}

async fn instance(sqs: Arc<Sqs>, runner: support::Runner) {
    let mut receives: HashMap<usize, u32> = HashMap::new();
    while sqs.done.load(Ordering::Relaxed) < PLANS as u64 {
        let batch = sqs.take(BATCH);
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        let runs = batch.into_iter().map(|(id, body)| {
            let count = {
                let c = receives.entry(id).or_default();
                *c += 1;
                *c
            };
            let runner = &runner;
            async move { (id, runner.run(&body, count).await, body) }
        });
        for (id, result, body) in join_all(runs).await {
            match result {
                Ok(Ran::Done { .. } | Ran::Duplicate { .. }) => {
                    sqs.done.fetch_add(1, Ordering::Relaxed);
                }
                Ok(other) => panic!("a plan failed: {other:?}"),
                Err(retry) => sqs.hold(id, body, retry.after),
            }
        }
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let okta = Arc::new(Okta::default());
        let app = axum::Router::new()
            .route("/api/v1/users/{user}/lifecycle/suspend", post(suspend))
            .with_state(okta.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });

        let bodies = support::envelopes(PLANS).await;
        let sqs = Arc::new(Sqs {
            waiting: Mutex::new(
                bodies
                    .into_iter()
                    .enumerate()
                    .map(|(i, b)| ((Instant::now(), i), b))
                    .collect(),
            ),
            done: AtomicU64::new(0),
        });
        let settings = Settings {
            rate_reserve: (INSTANCES * BATCH) as u64,
            ..Settings::default()
        };
        // Start at a window's beginning, so that the first window is a whole one.
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let wait = WINDOW * 1000 - millis % (WINDOW * 1000);
        tokio::time::sleep(Duration::from_millis(wait + 5)).await;
        let started = Instant::now();
        join_all(
            (0..INSTANCES).map(|_| instance(sqs.clone(), support::runner(&url, settings.clone()))),
        )
        .await;
        let took = started.elapsed();

        let ok = okta.ok.load(Ordering::Relaxed);
        let throttled = okta.throttled.load(Ordering::Relaxed);
        let per_user = okta.per_user.lock().unwrap_or_else(PoisonError::into_inner);
        let twice = per_user.values().filter(|n| **n > 1).count();
        let per_window: Vec<u64> = okta
            .per_window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .copied()
            .collect();
        let windows = per_window.len() as u64;
        // Every window but the last had more demand than budget: that is the usage.
        let full = &per_window[..per_window.len().saturating_sub(1)];
        let used: u64 = full.iter().sum();
        println!(
            "burst: {PLANS} plans, {INSTANCES} instances × batch {BATCH}, limit {LIMIT}/{WINDOW}s"
        );
        println!(
            "  took            {:.1} s over {windows} windows (ok per window {per_window:?})",
            took.as_secs_f64()
        );
        println!(
            "  calls answered  {} ({ok} ok, {throttled} × 429)",
            ok + throttled
        );
        println!(
            "  429 share       {:.2} % (budget ≤ 1 %)",
            100.0 * throttled as f64 / (ok + throttled).max(1) as f64
        );
        println!(
            "  budget used     {:.1} % of the budget of every window but the last (budget ≥ 90 %)",
            100.0 * used as f64 / (full.len() as u64 * LIMIT).max(1) as f64
        );
        // Both simulated instances, the simulated Okta and queue, and the 2000 envelopes
        // share this process: an upper bound for one executor instance.
        let peak = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "VmHWM: unknown".into());
        println!(
            "  peak memory     {} (whole bench process; budget 32 MB per function)",
            peak.trim_start_matches("VmHWM:").trim()
        );
        println!(
            "  actions         {} users suspended, {} lost, {twice} run twice",
            per_user.len(),
            PLANS - per_user.len()
        );
    });
}
