//! Where each org's poll resumes: the stored `next` link, versioned.

use std::future::Future;

use crate::StoreError;

/// An org's stored position. `version` 0 with no `next`: never stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredCursor {
    /// The System Log `next` link to resume from, verbatim.
    pub next: Option<String>,
    /// Okta throttled the last run: do not call it before this time (epoch seconds).
    pub not_before: Option<u64>,
    /// Bumped by every update; an update names the version it read.
    pub version: u64,
}

/// What an update writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorUpdate {
    /// Where the next run starts.
    pub next: String,
    /// Set after a `429`: the reset time (epoch seconds); cleared by a normal advance.
    pub not_before: Option<u64>,
}

/// The stored cursors, one per org.
pub trait CursorStore: Send + Sync {
    /// The org's cursor; the default (version 0) when none was stored.
    fn load(&self, org: &str) -> impl Future<Output = Result<StoredCursor, StoreError>> + Send;

    /// Writes `update` as version `expected_version + 1` only if the stored version is
    /// still `expected_version` (0: nothing stored). `Ok(false)` when another run
    /// updated it first: the caller has lost the race and must stop.
    fn advance(
        &self,
        org: &str,
        expected_version: u64,
        update: &CursorUpdate,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

impl<C: CursorStore> CursorStore for std::sync::Arc<C> {
    fn load(&self, org: &str) -> impl Future<Output = Result<StoredCursor, StoreError>> + Send {
        (**self).load(org)
    }

    fn advance(
        &self,
        org: &str,
        expected_version: u64,
        update: &CursorUpdate,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).advance(org, expected_version, update)
    }
}
