//! Named secrets of an org: webhook URLs (`notify.webhook`'s `url_secret`) and event
//! hook auth values (`event_hook.create`'s `auth_value_secret`).
//!
//! A rule names a secret, never holds its value: a Slack webhook URL is a credential
//! (whoever has it can post to the channel), and rules live in git. The executor asks
//! this port for the value; in AWS an adapter reads Secrets Manager (with a cache), in
//! tests and the local runner [`StaticNamedSecrets`] holds them in memory. The port
//! returns a boxed future so that the executor can hold it as `&dyn NamedSecrets`
//! behind its table of handlers, and the AWS crates stay out of this one.

#[cfg(any(test, feature = "memory"))]
use std::collections::HashMap;
#[cfg(any(test, feature = "memory"))]
use std::fmt;

use futures_util::future::BoxFuture;
use secrecy::SecretString;

use crate::error::FailureClass;

/// Why a named secret could not be had. Never carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretLookupError {
    /// No such secret for the org: a configuration mistake, not retried.
    #[error("org {org} has no secret named `{name}`")]
    NotFound {
        /// The org.
        org: String,
        /// The secret's name, as the rule gave it.
        name: String,
    },
    /// The store could not be reached: retry later.
    #[error("the secret `{name}` of org {org} could not be read: {reason}")]
    Unavailable {
        /// The org.
        org: String,
        /// The secret's name.
        name: String,
        /// Why (no secret value).
        reason: String,
    },
}

impl SecretLookupError {
    /// A missing secret is permanent; an unreachable store is retryable.
    pub fn class(&self) -> FailureClass {
        match self {
            SecretLookupError::NotFound { .. } => FailureClass::Permanent,
            SecretLookupError::Unavailable { .. } => FailureClass::Retryable,
        }
    }
}

/// Where named secret values come from.
pub trait NamedSecrets: Send + Sync {
    /// The value of the secret `name` of `org`.
    fn get<'a>(
        &'a self,
        org: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<SecretString, SecretLookupError>>;
}

#[cfg(any(test, feature = "memory"))]
/// Named secrets held in memory (tests, the local runner). `Debug` shows names only.
#[derive(Default, Clone)]
pub struct StaticNamedSecrets {
    values: HashMap<(String, String), SecretString>,
}

#[cfg(any(test, feature = "memory"))]
impl StaticNamedSecrets {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the secret `name` of `org`.
    pub fn with(mut self, org: &str, name: &str, value: impl Into<String>) -> Self {
        self.values.insert(
            (org.to_owned(), name.to_owned()),
            SecretString::from(value.into()),
        );
        self
    }
}

#[cfg(any(test, feature = "memory"))]
impl fmt::Debug for StaticNamedSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<String> = self
            .values
            .keys()
            .map(|(org, name)| format!("{org}/{name}"))
            .collect();
        names.sort();
        f.debug_struct("StaticNamedSecrets")
            .field("names", &names)
            .finish_non_exhaustive()
    }
}

#[cfg(any(test, feature = "memory"))]
impl NamedSecrets for StaticNamedSecrets {
    fn get<'a>(
        &'a self,
        org: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<SecretString, SecretLookupError>> {
        let found = self
            .values
            .get(&(org.to_owned(), name.to_owned()))
            .cloned()
            .ok_or_else(|| SecretLookupError::NotFound {
                org: org.to_owned(),
                name: name.to_owned(),
            });
        Box::pin(async move { found })
    }
}

/// Named values from the `named` section of each org's secret (Secrets Manager in AWS),
/// through the same TTL cache as the rest of the secret.
pub struct OrgSecretNames<S> {
    secrets: std::sync::Arc<org_secrets::SecretCache<S>>,
}

impl<S: org_secrets::SecretSource> OrgSecretNames<S> {
    /// Looks names up in the org secrets `secrets` caches. Shared (an `Arc`) so the named
    /// values come from the same cached copy as the org's Okta credentials: one fetch per
    /// TTL serves both, and a rotated secret changes both at once.
    pub fn new(secrets: std::sync::Arc<org_secrets::SecretCache<S>>) -> Self {
        OrgSecretNames { secrets }
    }

    async fn lookup(&self, org: &str, name: &str) -> Result<SecretString, SecretLookupError> {
        use org_secrets::SecretError;
        let not_found = || SecretLookupError::NotFound {
            org: org.to_owned(),
            name: name.to_owned(),
        };
        let org_name = org_secrets::OrgName::parse(org).map_err(|_| not_found())?;
        let secret = self
            .secrets
            .get(&org_name)
            .await
            .map_err(|error| match error {
                SecretError::NotFound { .. } | SecretError::Malformed { .. } => not_found(),
                SecretError::Unavailable { reason, .. } => SecretLookupError::Unavailable {
                    org: org.to_owned(),
                    name: name.to_owned(),
                    reason,
                },
            })?;
        secret.named.get(name).cloned().ok_or_else(not_found)
    }
}

impl<S: org_secrets::SecretSource> NamedSecrets for OrgSecretNames<S> {
    fn get<'a>(
        &'a self,
        org: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<SecretString, SecretLookupError>> {
        Box::pin(self.lookup(org, name))
    }
}

#[cfg(test)]
mod org_secret_names_tests {
    use std::sync::Arc;
    use std::time::Duration;

    use org_secrets::{OrgSecret, SecretCache, StaticSecrets};
    use secrecy::ExposeSecret;

    use super::*;

    #[tokio::test]
    async fn reads_named_values_of_the_org_secret() {
        let text = r#"{"named": {"slack_webhook": "https://hooks.example.com/T0/B0/x"}}"#;
        let store = StaticSecrets::new().with("acme", OrgSecret::from_json(text).unwrap());
        let names = OrgSecretNames::new(Arc::new(SecretCache::new(
            store,
            Duration::from_secs(60),
            Duration::ZERO,
        )));
        let url = names.get("acme", "slack_webhook").await.unwrap();
        assert_eq!(url.expose_secret(), "https://hooks.example.com/T0/B0/x");
        assert!(matches!(
            names.get("acme", "teams").await,
            Err(SecretLookupError::NotFound { .. })
        ));
        assert!(matches!(
            names.get("other", "slack_webhook").await,
            Err(SecretLookupError::NotFound { .. })
        ));
        assert!(
            !format!("{:?}", OrgSecret::from_json(text).unwrap()).contains("hooks.example.com")
        );
    }
}
