//! The in-memory twin of [`DynamoCursorStore`](crate::DynamoCursorStore): the local
//! runner's cursor store, and a fault-injecting wrapper for tests.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ports::{CursorStore, CursorUpdate, StoreError, StoredCursor};

/// Cursors by org, for the process lifetime.
#[derive(Debug, Default)]
pub struct MemoryCursorStore {
    cursors: Mutex<HashMap<String, StoredCursor>>,
}

impl MemoryCursorStore {
    /// No cursor for any org yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The org's cursor as stored now (version 0 when none).
    pub fn get(&self, org: &str) -> StoredCursor {
        self.cursors
            .lock()
            .ok()
            .and_then(|c| c.get(org).cloned())
            .unwrap_or_default()
    }

    /// Replaces the org's cursor, as an operator (or a test) would.
    pub fn set(&self, org: &str, cursor: StoredCursor) {
        if let Ok(mut cursors) = self.cursors.lock() {
            cursors.insert(org.to_owned(), cursor);
        }
    }
}

fn poisoned() -> StoreError {
    StoreError::new("cursor", "lock poisoned")
}

impl CursorStore for MemoryCursorStore {
    async fn load(&self, org: &str) -> Result<StoredCursor, StoreError> {
        let cursors = self.cursors.lock().map_err(|_| poisoned())?;
        Ok(cursors.get(org).cloned().unwrap_or_default())
    }

    async fn advance(
        &self,
        org: &str,
        expected_version: u64,
        update: &CursorUpdate,
    ) -> Result<bool, StoreError> {
        let mut cursors = self.cursors.lock().map_err(|_| poisoned())?;
        let current = cursors.get(org).map_or(0, |c| c.version);
        if current != expected_version {
            return Ok(false);
        }
        cursors.insert(
            org.to_owned(),
            StoredCursor {
                next: Some(update.next.clone()),
                not_before: update.not_before,
                version: expected_version + 1,
            },
        );
        Ok(true)
    }
}

/// Any cursor store whose next `failures` advances fail: the function crashing after it
/// sent a page and before it stored the page's cursor (the window tests must cover).
pub struct CrashBeforeStore<S> {
    inner: S,
    failures: AtomicU64,
}

impl<S> CrashBeforeStore<S> {
    /// `inner`, whose next `failures` stores fail.
    pub fn new(inner: S, failures: u64) -> Self {
        CrashBeforeStore {
            inner,
            failures: AtomicU64::new(failures),
        }
    }
}

impl<S: CursorStore> CursorStore for CrashBeforeStore<S> {
    async fn load(&self, org: &str) -> Result<StoredCursor, StoreError> {
        self.inner.load(org).await
    }

    async fn advance(
        &self,
        org: &str,
        expected: u64,
        update: &CursorUpdate,
    ) -> Result<bool, StoreError> {
        let crash = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if crash {
            return Err(StoreError::new("cursor", "crashed before storing"));
        }
        self.inner.advance(org, expected, update).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(next: &str) -> CursorUpdate {
        CursorUpdate {
            next: next.into(),
            not_before: None,
        }
    }

    #[tokio::test]
    async fn only_the_version_read_can_be_advanced() {
        let store = MemoryCursorStore::new();
        assert_eq!(store.load("o").await.unwrap(), StoredCursor::default());
        assert!(store.advance("o", 0, &update("a")).await.unwrap());
        // A second first run (it also read version 0) loses.
        assert!(!store.advance("o", 0, &update("b")).await.unwrap());
        assert!(store.advance("o", 1, &update("c")).await.unwrap());
        assert!(!store.advance("o", 1, &update("d")).await.unwrap());
        let stored = store.load("o").await.unwrap();
        assert_eq!(stored.next.as_deref(), Some("c"));
        assert_eq!(stored.version, 2);
        assert_eq!(store.load("other").await.unwrap().version, 0);
    }
}
