//! The in-memory twins of [`DynamoLedger`](crate::DynamoLedger) and
//! [`DynamoCounter`](crate::DynamoCounter): the local runner's stores, and tests' fakes.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use ports::{ActionCounter, EventLedger, StoreError, VersionedState, WindowStore};

fn poisoned(store: &'static str) -> StoreError {
    StoreError::new(store, "lock poisoned")
}

/// Routed events, for the process lifetime (no expiry needed locally).
#[derive(Default)]
pub struct MemoryLedger {
    done: Mutex<HashSet<String>>,
}

impl EventLedger for MemoryLedger {
    async fn is_done(&self, event_uuid: &str) -> Result<bool, StoreError> {
        let done = self.done.lock().map_err(|_| poisoned("ledger"))?;
        Ok(done.contains(event_uuid))
    }

    async fn mark_done(&self, event_uuid: &str, _ttl: Duration) -> Result<bool, StoreError> {
        let mut done = self.done.lock().map_err(|_| poisoned("ledger"))?;
        Ok(done.insert(event_uuid.to_owned()))
    }
}

/// (rule id, hour) → (actions taken, events that took them).
type Counts = HashMap<(String, u64), (u32, HashSet<String>)>;

/// Hourly counters per rule, with the events that took from each, and the rules'
/// threshold and suppression state (no expiry needed locally).
#[derive(Default)]
pub struct MemoryCounter {
    counts: Mutex<Counts>,
    windows: Mutex<HashMap<String, VersionedState>>,
}

impl WindowStore for MemoryCounter {
    async fn load(&self, key: &str) -> Result<Option<VersionedState>, StoreError> {
        let windows = self.windows.lock().map_err(|_| poisoned("windows"))?;
        Ok(windows.get(key).cloned())
    }

    async fn save(
        &self,
        key: &str,
        state: &str,
        version: u64,
        _ttl: Duration,
    ) -> Result<bool, StoreError> {
        let mut windows = self.windows.lock().map_err(|_| poisoned("windows"))?;
        let stored = windows.get(key).map_or(0, |s| s.version);
        if stored != version {
            return Ok(false);
        }
        windows.insert(
            key.to_owned(),
            VersionedState {
                state: state.to_owned(),
                version: version + 1,
            },
        );
        Ok(true)
    }
}

impl ActionCounter for MemoryCounter {
    async fn try_take(
        &self,
        rule_id: &str,
        hour: u64,
        event_uuid: &str,
        n: u32,
        cap: u32,
    ) -> Result<bool, StoreError> {
        let mut counts = self.counts.lock().map_err(|_| poisoned("counter"))?;
        let (count, events) = counts.entry((rule_id.to_owned(), hour)).or_default();
        if events.contains(event_uuid) {
            return Ok(true);
        }
        if count.saturating_add(n) > cap {
            return Ok(false);
        }
        *count += n;
        events.insert(event_uuid.to_owned());
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ledger_marks_once() {
        let ledger = MemoryLedger::default();
        assert!(!ledger.is_done("u").await.unwrap());
        assert!(ledger.mark_done("u", Duration::from_secs(1)).await.unwrap());
        assert!(!ledger.mark_done("u", Duration::from_secs(1)).await.unwrap());
        assert!(ledger.is_done("u").await.unwrap());
    }

    #[tokio::test]
    async fn counter_refuses_past_the_cap_and_takes_nothing_then() {
        let counter = MemoryCounter::default();
        assert!(counter.try_take("r", 1, "e1", 2, 3).await.unwrap());
        assert!(
            counter.try_take("r", 1, "e1", 2, 3).await.unwrap(),
            "a retry takes nothing more"
        );
        assert!(!counter.try_take("r", 1, "e2", 2, 3).await.unwrap());
        assert!(counter.try_take("r", 1, "e3", 1, 3).await.unwrap());
        assert!(
            counter.try_take("r", 2, "e4", 3, 3).await.unwrap(),
            "a new hour, a new budget"
        );
    }
}
