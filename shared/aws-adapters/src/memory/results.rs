//! The in-memory twin of [`EventBridgeResults`](crate::EventBridgeResults): the local
//! runner prints what it holds, and tests assert on it.

use std::sync::Mutex;

use ports::{ActionResult, ResultSink, StoreError};

/// One published result and the reply queue it was also sent to.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The result, as the bus and the reply queue would carry it.
    pub result: ActionResult,
    /// The request's `reply_to`, when it had one.
    pub reply_to: Option<String>,
}

/// Every result published, in order.
#[derive(Default)]
pub struct MemoryResults {
    published: Mutex<Vec<Published>>,
}

impl MemoryResults {
    /// What was published so far, in order.
    pub fn published(&self) -> Vec<Published> {
        self.published
            .lock()
            .map(|p| p.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }
}

impl ResultSink for MemoryResults {
    async fn publish(
        &self,
        result: &ActionResult,
        reply_to: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut published = self
            .published
            .lock()
            .map_err(|_| StoreError::new("results", "lock poisoned"))?;
        published.push(Published {
            result: result.clone(),
            reply_to: reply_to.map(str::to_owned),
        });
        Ok(())
    }
}
