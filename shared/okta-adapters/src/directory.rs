//! The subject user for rules that ask for enrichment: one Okta call for the user, one
//! for their groups when asked.
//!
//! A `404` (the user was deleted since the event, or the id is not a user's) is the
//! answer "no such user" (`Ok(None)`), not an error. `429`, `5xx`, timeouts, connection
//! failures and an unreachable secret store are transient (the event is retried); a
//! `401` is transient too, after the org's secret is re-read (a rotated credential).
//! Anything else (`403`: the credential lacks the scope, an org without a credential)
//! cannot succeed by retrying.

use okta_client::{ErrorClass, OktaError};
use org_secrets::{OrgName, SecretError, SecretSource};
use ports::{Directory, DirectoryError};
use serde_json::{Value, json};

use crate::{OktaClientError, OktaClients};

/// The router's [`Directory`] over the org's Okta client (see the module doc for what
/// counts as transient).
pub struct OktaDirectory<S> {
    clients: OktaClients<S>,
}

impl<S: SecretSource> OktaDirectory<S> {
    /// Looks users up through `clients`.
    pub fn new(clients: OktaClients<S>) -> Self {
        OktaDirectory { clients }
    }

    /// `None` for a 404; the error, classified, otherwise.
    async fn classify(&self, org: &OrgName, error: OktaError) -> Result<(), DirectoryError> {
        match (error.status(), error.class()) {
            (Some(404), _) => Ok(()),
            (Some(401), _) => {
                self.clients.renew(org).await;
                Err(DirectoryError::transient(error))
            }
            (_, ErrorClass::Retryable | ErrorClass::Throttled { .. }) => {
                Err(DirectoryError::transient(error))
            }
            (_, ErrorClass::Permanent | ErrorClass::AlreadyInState) => {
                Err(DirectoryError::permanent(error))
            }
        }
    }
}

fn client_error(error: OktaClientError) -> DirectoryError {
    match error {
        OktaClientError::Secret(SecretError::Unavailable { .. }) => {
            DirectoryError::transient(error)
        }
        _ => DirectoryError::permanent(error),
    }
}

impl<S: SecretSource> Directory for OktaDirectory<S> {
    async fn user(
        &self,
        org: &OrgName,
        user_id: &str,
        with_groups: bool,
    ) -> Result<Option<Value>, DirectoryError> {
        let client = self.clients.client(org).await.map_err(client_error)?;
        let user = match client.get_user(user_id).await {
            Ok(user) => user.value,
            Err(e) => return self.classify(org, e).await.map(|()| None),
        };
        let mut subject = json!({
            "id": user.id,
            "status": user.status,
            "profile": user.profile.unwrap_or_default(),
        });
        if with_groups {
            let listed = match client.list_user_groups(user_id) {
                Ok(pages) => pages.all().await,
                Err(e) => Err(e),
            };
            let groups = match listed {
                Ok(groups) => groups,
                // Deleted between the two calls: no such user either.
                Err(e) => return self.classify(org, e).await.map(|()| None),
            };
            subject["groups"] = groups
                .into_iter()
                .map(|g| {
                    let name = g.profile.as_ref().and_then(|p| p.get("name")).cloned();
                    // The type tells rules which memberships the API can change.
                    json!({"id": g.id, "name": name, "type": g.group_type})
                })
                .collect();
        }
        Ok(Some(subject))
    }
}
