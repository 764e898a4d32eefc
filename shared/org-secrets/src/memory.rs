//! The in-memory [`SecretSource`] (feature `memory`), twin of the Secrets Manager source
//! in `aws-adapters`: the local runner's and the tests'. The Lambda builds leave it out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::{OrgName, OrgSecret, SecretError, SecretSource};

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
