//! The one error every store port returns.

use std::sync::Arc;

/// A store could not be reached or refused the call: the work is retried.
///
/// Keeps the adapter's own error as its [`source`](std::error::Error::source) (the AWS
/// SDK error, a poisoned lock), so a log line or a letter can show the whole chain.
/// Cloneable (the source is shared) because one failure may be reported for several
/// messages of a batch.
#[derive(Debug, Clone)]
pub struct StoreError {
    /// Which store: `ledger`, `counter`, `records`, `cursor`, …
    pub store: &'static str,
    /// What went wrong, as the adapter said it.
    pub source: Arc<dyn std::error::Error + Send + Sync>,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.store, self.source)
    }
}

// By hand rather than derived: the source is the adapter's error itself, not the `Arc`
// around it, so callers can downcast it.
impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

impl StoreError {
    /// `store` failed with `source`.
    pub fn new(
        store: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError {
            store,
            source: Arc::from(source.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    #[test]
    fn a_store_error_names_the_store_and_keeps_its_source() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out");
        let e = StoreError::new("ledger", io);
        assert_eq!(e.to_string(), "ledger: connect timed out");
        let source = e.source().expect("the adapter's error is kept");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
    }
}
