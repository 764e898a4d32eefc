//! The directory: the subject user of an event, for rules that ask for enrichment.

use std::future::Future;

use org_secrets::OrgName;

/// Why the directory could not answer.
///
/// "No such user" is not an error (the lookup answers `Ok(None)`); this is for lookups
/// that did not happen. A transient one (Okta throttled or down, a timeout, the secret
/// store unreachable) retries the event; a permanent one (the org's Okta credential is
/// missing or refused for good, an answer that does not parse) cannot succeed by
/// retrying, so the event goes to the DLQ with this reason at once.
#[derive(Debug, thiserror::Error)]
#[error("directory: {source}")]
pub struct DirectoryError {
    /// Whether the same lookup may succeed later.
    pub transient: bool,
    /// The adapter's error (Okta's answer, the secret store's failure).
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl DirectoryError {
    /// A failure that may pass: the event is retried.
    pub fn transient(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        DirectoryError {
            transient: true,
            source: source.into(),
        }
    }

    /// A failure that retrying cannot fix.
    pub fn permanent(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        DirectoryError {
            transient: false,
            source: source.into(),
        }
    }
}

/// Looks up the subject user for rules that ask for enrichment.
pub trait Directory: Send + Sync {
    /// The user's current `{id, status, profile, groups: [{id, name}]}` as JSON; `groups`
    /// only when asked, to spend one Okta call less.
    ///
    /// `Ok(None)` when there is no such user (deleted since the event, or an id that is
    /// not a user's): the rules then see `user == null`, and the event is routed as
    /// usual. `Err` only when the lookup itself failed.
    fn user(
        &self,
        org: &OrgName,
        user_id: &str,
        with_groups: bool,
    ) -> impl Future<Output = Result<Option<serde_json::Value>, DirectoryError>> + Send;
}
