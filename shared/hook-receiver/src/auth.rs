//! Authenticating Okta's requests against the org's hook secret.

use std::sync::Arc;

use http::HeaderMap;
use org_secrets::{OrgName, OrgSecret, SecretCache, SecretError, SecretSource};

use crate::{HookError, ReceiverConfig};

/// Checks the configured auth header of each request against the org's secret.
pub struct Authenticator<S> {
    secrets: SecretCache<S>,
}

/// Whether an org without hook auth in its secret is refused or let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Requirement {
    /// Deliveries: an org without hook auth takes none.
    Required,
    /// The verification challenge: checked when the org has hook auth configured.
    IfConfigured,
}

impl<S: SecretSource> Authenticator<S> {
    /// An authenticator reading org secrets through `secrets`.
    pub fn new(secrets: SecretCache<S>) -> Self {
        Authenticator { secrets }
    }

    /// An authenticator caching `source` as the configuration says: only the configured
    /// orgs' secrets are ever read or cached.
    pub fn for_config(source: S, config: &ReceiverConfig) -> Self {
        Self::new(
            config
                .secrets
                .cache(source)
                .with_known_orgs(config.orgs.clone()),
        )
    }

    /// How many orgs' secrets (or "not found" answers) are cached now.
    pub async fn cached_orgs(&self) -> usize {
        self.secrets.len().await
    }

    /// Accepts a request that must carry `org`'s hook auth header (as a delivery must),
    /// or says why not: what other endpoints behind the same auth use (`okta-hooks dev`'s
    /// `POST /actions`).
    pub async fn authorize(&self, org: &OrgName, headers: &HeaderMap) -> Result<(), HookError> {
        self.check(org, headers, Requirement::Required).await
    }

    /// Accepts the request, or says why not. On a mismatch the secret is re-read once, so
    /// a value rotated in Secrets Manager is accepted without a redeploy.
    pub(crate) async fn check(
        &self,
        org: &OrgName,
        headers: &HeaderMap,
        requirement: Requirement,
    ) -> Result<(), HookError> {
        let secret = self.secret(self.secrets.get(org).await, org)?;
        match accepts(&secret, headers, requirement) {
            Some(true) => return Ok(()),
            None => {
                tracing::error!(%org, "org secret has no hook auth; refusing the delivery");
                return Err(HookError::Unauthorized);
            }
            Some(false) => {}
        }
        let Some(fresh) = self.secrets.refresh(org).await else {
            return Err(HookError::Unauthorized);
        };
        let secret = self.secret(fresh, org)?;
        match accepts(&secret, headers, requirement) {
            Some(true) => Ok(()),
            _ => {
                tracing::warn!(%org, "hook request refused: auth header missing or wrong");
                Err(HookError::Unauthorized)
            }
        }
    }

    fn secret(
        &self,
        result: Result<Arc<OrgSecret>, SecretError>,
        org: &OrgName,
    ) -> Result<Arc<OrgSecret>, HookError> {
        result.map_err(|error| match error {
            SecretError::NotFound { .. } => {
                tracing::warn!(%org, "hook request for an org without a secret");
                HookError::Unauthorized
            }
            other => {
                tracing::error!(%org, error = %other, "cannot read the org secret");
                HookError::SecretsUnavailable
            }
        })
    }
}

/// `Some(accepted)`, or `None` when hook auth is required but not configured.
fn accepts(secret: &OrgSecret, headers: &HeaderMap, requirement: Requirement) -> Option<bool> {
    match (&secret.hook, requirement) {
        (Some(hook), _) => Some(hook.accepts(headers)),
        (None, Requirement::IfConfigured) => Some(true),
        (None, Requirement::Required) => None,
    }
}
