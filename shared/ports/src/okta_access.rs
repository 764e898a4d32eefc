//! Okta access: one Okta client per org.

use std::future::Future;

use okta_client::OktaClient;
use org_secrets::OrgName;

/// The org's Okta client could not be had.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct AccessError {
    pub message: String,
    /// A store that could not be reached, rather than a missing or bad credential.
    pub retryable: bool,
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
