//! The in-memory twin of [`DynamoStepRecords`](crate::DynamoStepRecords).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use ports::{Claim, StepRecords, StoreError};
use serde_json::Value;
use tokio::time::Instant;

enum Record {
    Running { until: Instant, failures: u32 },
    Waiting { failures: u32 },
    Done { output: Value },
}

/// Idempotency records in a map.
#[derive(Default)]
pub struct MemoryRecords {
    records: Mutex<HashMap<String, Record>>,
}

impl MemoryRecords {
    /// No records yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every record (benchmarks run the same envelopes again).
    pub fn clear(&self) {
        if let Ok(mut records) = self.lock() {
            records.clear();
        }
    }

    /// How many envelopes ran to success.
    pub fn done(&self) -> usize {
        self.lock()
            .map(|r| {
                r.values()
                    .filter(|r| matches!(r, Record::Done { .. }))
                    .count()
            })
            .unwrap_or(0)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Record>>, StoreError> {
        self.records
            .lock()
            .map_err(|_| StoreError::new("records", "lock poisoned"))
    }
}

impl StepRecords for MemoryRecords {
    async fn claim(&self, envelope_id: &str, lease: Duration) -> Result<Claim, StoreError> {
        let mut records = self.lock()?;
        let now = Instant::now();
        match records.get(envelope_id) {
            Some(Record::Done { output }) => {
                return Ok(Claim::Done {
                    output: output.clone(),
                });
            }
            Some(Record::Running { until, .. }) if *until > now => {
                return Ok(Claim::Busy {
                    remaining: *until - now,
                });
            }
            _ => {}
        }
        let failures = match records.get(envelope_id) {
            Some(Record::Running { failures, .. } | Record::Waiting { failures }) => *failures,
            _ => 0,
        };
        records.insert(
            envelope_id.to_owned(),
            Record::Running {
                until: now + lease,
                failures,
            },
        );
        Ok(Claim::Claimed { failures })
    }

    async fn complete(
        &self,
        envelope_id: &str,
        output: &Value,
        _ttl: Duration,
    ) -> Result<(), StoreError> {
        self.lock()?.insert(
            envelope_id.to_owned(),
            Record::Done {
                output: output.clone(),
            },
        );
        Ok(())
    }

    async fn release(&self, envelope_id: &str) -> Result<(), StoreError> {
        let mut records = self.lock()?;
        if matches!(
            records.get(envelope_id),
            Some(Record::Running { .. } | Record::Waiting { .. })
        ) {
            records.remove(envelope_id);
        }
        Ok(())
    }

    async fn retry_later(
        &self,
        envelope_id: &str,
        failed: bool,
        _ttl: Duration,
    ) -> Result<(), StoreError> {
        let mut records = self.lock()?;
        if let Some(Record::Running { failures, .. }) = records.get(envelope_id) {
            let failures = failures + u32::from(failed);
            records.insert(envelope_id.to_owned(), Record::Waiting { failures });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn claims_lease_complete_and_release() {
        let records = MemoryRecords::new();
        let lease = Duration::from_secs(60);
        let claimed = Some(Claim::Claimed { failures: 0 });
        assert_eq!(records.claim("e1", lease).await.ok(), claimed);
        assert!(matches!(
            records.claim("e1", lease).await,
            Ok(Claim::Busy { .. })
        ));
        tokio::time::advance(Duration::from_secs(61)).await;
        // A run that died holding the claim is replaced once the lease ends.
        assert_eq!(records.claim("e1", lease).await.ok(), claimed);
        records.release("e1").await.ok();
        assert_eq!(records.claim("e1", lease).await.ok(), claimed);
        records.complete("e1", &json!({"id": 1}), lease).await.ok();
        assert_eq!(
            records.claim("e1", lease).await.ok(),
            Some(Claim::Done {
                output: json!({"id": 1})
            })
        );
        // Releasing a done record keeps it done.
        records.release("e1").await.ok();
        assert_eq!(records.done(), 1);
    }

    #[tokio::test]
    async fn retryable_failures_are_counted_across_claims_and_throttled_waits_are_not() {
        let records = MemoryRecords::new();
        let lease = Duration::from_secs(60);
        records.claim("e1", lease).await.ok();
        records.retry_later("e1", true, lease).await.ok();
        assert_eq!(
            records.claim("e1", lease).await.ok(),
            Some(Claim::Claimed { failures: 1 })
        );
        records.retry_later("e1", false, lease).await.ok();
        assert_eq!(
            records.claim("e1", lease).await.ok(),
            Some(Claim::Claimed { failures: 1 })
        );
        records.retry_later("e1", true, lease).await.ok();
        assert_eq!(
            records.claim("e1", lease).await.ok(),
            Some(Claim::Claimed { failures: 2 })
        );
        // A permanent failure forgets the count: a redrive starts afresh.
        records.release("e1").await.ok();
        assert_eq!(
            records.claim("e1", lease).await.ok(),
            Some(Claim::Claimed { failures: 0 })
        );
    }
}
