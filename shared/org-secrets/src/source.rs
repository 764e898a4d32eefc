//! The port through which secrets are read.

use std::future::Future;

use crate::{OrgName, OrgSecret};

/// Why an org's secret could not be had. No variant carries a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The org has no secret: its requests are refused, not retried.
    #[error("no secret is configured for org {org}")]
    NotFound {
        /// The org asked for.
        org: String,
    },
    /// The secret exists but does not hold a valid org secret.
    #[error("the secret of org {org} is malformed: {reason}")]
    Malformed {
        /// The org asked for.
        org: String,
        /// What is wrong, by position only: the parser's own error could quote the
        /// secret, so it is deliberately not kept.
        reason: String,
    },
    /// The store could not be reached: the caller should be asked to retry.
    #[error("the secret store is unavailable for org {org}: {reason}")]
    Unavailable {
        /// The org asked for.
        org: String,
        /// The store's error, with its full context.
        reason: String,
    },
}

/// Where org secrets come from (Secrets Manager in AWS, a map locally).
pub trait SecretSource: Send + Sync {
    /// The org's secret, read from the store (callers cache it: see `SecretCache`).
    fn fetch(&self, org: &OrgName) -> impl Future<Output = Result<OrgSecret, SecretError>> + Send;
}
