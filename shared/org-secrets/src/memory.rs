//! The in-memory [`SecretSource`] (feature `memory`), twin of the Secrets Manager source
//! in `aws-adapters`: the local runner's and the tests'. The Lambda builds leave it out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::{OrgName, OrgSecret, SecretError, SecretReads, SecretSource, StoredSecrets};

/// An org's secrets as held: already parsed, or as stored (by kind).
#[derive(Debug, Clone)]
enum Held {
    Parsed(Box<OrgSecret>),
    Stored(StoredSecrets),
}

/// Secrets held in memory: the local runner's, and tests'. Values can be replaced while
/// running, as a rotation would. Each view ([`StaticSecrets::reading`]) shares the map
/// and hands out only the kinds it reads, as each function's role allows in AWS.
#[derive(Debug, Clone)]
pub struct StaticSecrets {
    secrets: Arc<Mutex<HashMap<String, Held>>>,
    reads: SecretReads,
}

impl Default for StaticSecrets {
    fn default() -> Self {
        StaticSecrets {
            secrets: Arc::default(),
            reads: SecretReads::all(),
        }
    }
}

impl StaticSecrets {
    /// No secrets yet; every section read ([`SecretReads::all`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// The same secrets, read as a function reading `reads` would read them.
    pub fn reading(&self, reads: SecretReads) -> Self {
        StaticSecrets {
            secrets: self.secrets.clone(),
            reads,
        }
    }

    /// Sets (or replaces) the secret of `org`, already parsed.
    pub fn set(&self, org: &str, secret: OrgSecret) {
        self.hold(org, Held::Parsed(Box::new(secret)));
    }

    /// Sets (or replaces) the secrets of `org` as stored (either shape).
    pub fn set_stored(&self, org: &str, stored: StoredSecrets) {
        self.hold(org, Held::Stored(stored));
    }

    fn hold(&self, org: &str, held: Held) {
        if let Ok(mut map) = self.secrets.lock() {
            map.insert(org.to_owned(), held);
        }
    }

    /// Builder form of [`StaticSecrets::set`].
    pub fn with(self, org: &str, secret: OrgSecret) -> Self {
        self.set(org, secret);
        self
    }

    /// Builder form of [`StaticSecrets::set_stored`].
    pub fn with_stored(self, org: &str, stored: StoredSecrets) -> Self {
        self.set_stored(org, stored);
        self
    }
}

impl SecretSource for StaticSecrets {
    async fn fetch(&self, org: &OrgName) -> Result<OrgSecret, SecretError> {
        let held = {
            let map = self.secrets.lock().map_err(|_| SecretError::Unavailable {
                org: org.to_string(),
                reason: "secret map poisoned".to_owned(),
            })?;
            map.get(org.as_str()).cloned()
        };
        match held {
            None => Err(SecretError::NotFound {
                org: org.to_string(),
            }),
            Some(Held::Parsed(secret)) => Ok(self.reads.keep(&secret)),
            Some(Held::Stored(stored)) => {
                self.reads
                    .resolve(&stored)
                    .map_err(|reason| SecretError::Malformed {
                        org: org.to_string(),
                        reason,
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_view_hands_out_only_the_kinds_it_reads() {
        let stored = StoredSecrets::from_json(
            r#"{"hook": {"current": "h"},
                "okta": {"org_url": "https://acme.okta.com", "api_token": "admin"}}"#,
        )
        .unwrap();
        let all = StaticSecrets::new().with_stored("acme", stored);
        let org = OrgName::parse("acme").unwrap();
        let ingest = all
            .reading(SecretReads::hook_receiver())
            .fetch(&org)
            .await
            .unwrap();
        assert!(ingest.hook.is_some() && ingest.okta.is_none());
        assert!(all.fetch(&org).await.unwrap().okta.is_some());
        let missing = all.fetch(&OrgName::parse("other").unwrap()).await;
        assert!(matches!(missing, Err(SecretError::NotFound { .. })));
    }
}
