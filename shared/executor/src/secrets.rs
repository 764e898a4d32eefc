//! Named secrets of an org: webhook URLs (`notify.webhook`'s `url_secret`) and event
//! hook auth values (`event_hook.create`'s `auth_value_secret`).
//!
//! A rule names a secret, never holds its value: a Slack webhook URL is a credential
//! (whoever has it can post to the channel), and rules live in git. The executor asks
//! this port for the value; in AWS an adapter reads Secrets Manager (with a cache), in
//! tests and the local runner [`StaticNamedSecrets`] holds them in memory. The port
//! returns a boxed future so that the executor can hold it as `&dyn NamedSecrets`
//! behind its table of handlers, and the AWS crates stay out of this one.

use std::collections::HashMap;
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

/// Named secrets held in memory (tests, the local runner). `Debug` shows names only.
#[derive(Default, Clone)]
pub struct StaticNamedSecrets {
    values: HashMap<(String, String), SecretString>,
}

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
