//! Thresholds and suppression in the router: a matching rule's plan acts only when its
//! [`Gate`] admits it, with the state kept in the counter table ([`WindowStore`]) so that
//! every invocation counts into the same windows.
//!
//! The counting itself is [`rules::ThresholdState`] and [`rules::SuppressState`], the
//! code the local runner, `rules test`, the tests in rule files and `rules backtest` run
//! in memory: the router only adds the read-change-write loop around it.

use std::time::Duration;

use rules::{Admission, Gate, SuppressState, ThresholdState};
use serde::Serialize;
use serde::de::DeserializeOwned;

use ports::{StoreError, WindowStore};

/// How often a write that lost to a concurrent one is tried again before the event is
/// left on the queue for a later retry.
const MAX_WRITES: usize = 8;
/// How long state outlives what it can still affect.
const SLACK: Duration = Duration::from_secs(86_400);

/// Whether the plan whose gate this is acts: the threshold counts the event, then (if it
/// fired) the suppression decides. A store error leaves the event on the queue; the
/// retry finds its own count and, if it fired, fires again.
pub(crate) async fn admit<W: WindowStore>(store: &W, gate: &Gate) -> Result<Admission, StoreError> {
    if let Some(threshold) = &gate.threshold {
        let ttl = window_ttl(threshold.within_ms.saturating_mul(2));
        let key = format!("window#{}", threshold.key);
        let admission = update(store, &key, ttl, |state: &mut ThresholdState| {
            state.observe(threshold, &gate.uuid, gate.published_ms)
        })
        .await?;
        if !admission.fires() {
            return Ok(admission);
        }
    }
    if let Some(suppress) = &gate.suppress {
        let ttl = window_ttl(suppress.for_ms);
        let key = format!("quiet#{}", suppress.key);
        return update(store, &key, ttl, |state: &mut SuppressState| {
            state.admit(suppress, &gate.uuid, gate.published_ms)
        })
        .await;
    }
    Ok(Admission::Fire)
}

fn window_ttl(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0)) + SLACK
}

/// Reads `key`, applies `change`, and writes the state back if it changed and nobody
/// wrote in between; else reads again.
async fn update<W, T>(
    store: &W,
    key: &str,
    ttl: Duration,
    change: impl Fn(&mut T) -> Admission,
) -> Result<Admission, StoreError>
where
    W: WindowStore,
    T: Serialize + DeserializeOwned + Default + Clone + PartialEq,
{
    for _ in 0..MAX_WRITES {
        let stored = store.load(key).await?;
        let version = stored.as_ref().map_or(0, |s| s.version);
        let mut state: T = match stored.as_ref().map(|s| s.state.as_str()) {
            None | Some("") => T::default(),
            Some(text) => serde_json::from_str(text).unwrap_or_else(|error| {
                // Written by an older router, or damaged: counting starts over rather
                // than the events stopping.
                tracing::warn!(key, %error, "unreadable rule window state: starting it over");
                T::default()
            }),
        };
        let before = state.clone();
        let admission = change(&mut state);
        if state == before {
            return Ok(admission);
        }
        let text = serde_json::to_string(&state).map_err(|e| StoreError::new("windows", e))?;
        if store.save(key, &text, version, ttl).await? {
            return Ok(admission);
        }
    }
    Err(StoreError::new(
        "windows",
        format!("{key} changed under {MAX_WRITES} concurrent writes in a row: retried later"),
    ))
}
