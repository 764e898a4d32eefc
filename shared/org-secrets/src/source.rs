//! The port through which secrets are read, and an in-memory source.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

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

/// Secrets held in memory: the local runner's, and tests'. Values can be replaced while
/// running, as a rotation would.
#[derive(Debug, Clone, Default)]
pub struct StaticSecrets {
    secrets: Arc<Mutex<HashMap<String, OrgSecret>>>,
}

impl StaticSecrets {
    /// No secrets yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces) the secret of `org`.
    pub fn set(&self, org: &str, secret: OrgSecret) {
        if let Ok(mut map) = self.secrets.lock() {
            map.insert(org.to_owned(), secret);
        }
    }

    /// Builder form of [`StaticSecrets::set`].
    pub fn with(self, org: &str, secret: OrgSecret) -> Self {
        self.set(org, secret);
        self
    }
}

impl SecretSource for StaticSecrets {
    async fn fetch(&self, org: &OrgName) -> Result<OrgSecret, SecretError> {
        let map = self.secrets.lock().map_err(|_| SecretError::Unavailable {
            org: org.to_string(),
            reason: "secret map poisoned".to_owned(),
        })?;
        map.get(org.as_str())
            .cloned()
            .ok_or_else(|| SecretError::NotFound {
                org: org.to_string(),
            })
    }
}
