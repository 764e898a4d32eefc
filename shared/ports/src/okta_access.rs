//! Okta access: one Okta client per org.

use std::error::Error;
use std::future::Future;
use std::sync::Arc;

use okta_client::OktaClient;
use org_secrets::OrgName;

/// The org's Okta client could not be had.
///
/// Keeps the adapter's own error, when there is one, as its
/// [`source`](std::error::Error::source) (a secret store that failed, a credential the
/// client library refused), as [`StoreError`](crate::StoreError) does. Cloneable (the
/// source is shared) like the other port errors.
#[derive(Debug, Clone)]
pub struct AccessError {
    /// What went wrong, as a letter and a log line say it (the source's own text when
    /// there is a source).
    pub message: String,
    /// A store that could not be reached, rather than a missing or bad credential.
    pub retryable: bool,
    /// The adapter's error behind `message`, if any.
    pub source: Option<Arc<dyn Error + Send + Sync>>,
}

impl AccessError {
    /// A failure that no other error caused (no client configured for the org).
    pub fn new(message: impl Into<String>, retryable: bool) -> Self {
        AccessError {
            message: message.into(),
            retryable,
            source: None,
        }
    }

    /// `source` kept the client from being built; its text is the message.
    pub fn caused_by(source: impl Into<Box<dyn Error + Send + Sync>>, retryable: bool) -> Self {
        let source: Arc<dyn Error + Send + Sync> = Arc::from(source.into());
        AccessError {
            message: source.to_string(),
            retryable,
            source: Some(source),
        }
    }
}

impl std::fmt::Display for AccessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

// By hand rather than derived: the source is the adapter's error itself, not the `Arc`
// around it, so callers can downcast it.
impl Error for AccessError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

/// Okta clients per org.
pub trait OktaAccess: Send + Sync {
    /// The org's client; with `dry_run`, one that records writes instead of sending them.
    fn client(
        &self,
        org: &OrgName,
        dry_run: bool,
    ) -> impl Future<Output = Result<OktaClient, AccessError>> + Send;
    /// Okta answered `401`: re-read the org's credential (a rotation). `true` when the
    /// next [`OktaAccess::client`] is built from a fresh read.
    fn renew(&self, org: &OrgName) -> impl Future<Output = bool> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_error_says_what_its_source_says_and_keeps_it() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "secret store timed out");
        let e = AccessError::caused_by(io, true);
        assert_eq!(e.to_string(), "secret store timed out");
        assert!(e.retryable);
        let source = e.source().expect("the adapter's error is kept");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
    }

    #[test]
    fn an_access_error_without_a_cause_has_no_source() {
        let e = AccessError::new("no Okta client for org acme (live run)", false);
        assert_eq!(e.to_string(), "no Okta client for org acme (live run)");
        assert!(e.source().is_none());
    }
}
