//! The subject user for rules that ask for enrichment: one Okta call for the user, one
//! for their groups when asked.

use org_secrets::{OrgName, SecretSource};
use router::{Directory, StoreError};
use serde_json::{Value, json};

use crate::OktaClients;

pub struct OktaDirectory<S> {
    clients: OktaClients<S>,
}

impl<S: SecretSource> OktaDirectory<S> {
    pub fn new(clients: OktaClients<S>) -> Self {
        OktaDirectory { clients }
    }
}

fn okta_error(error: impl std::fmt::Display) -> StoreError {
    StoreError {
        store: "okta",
        reason: error.to_string(),
    }
}

impl<S: SecretSource> Directory for OktaDirectory<S> {
    async fn user(&self, org: &str, user_id: &str, with_groups: bool) -> Result<Value, StoreError> {
        let org = OrgName::parse(org).map_err(okta_error)?;
        let client = self.clients.client(&org).await.map_err(okta_error)?;
        let user = client.get_user(user_id).await.map_err(okta_error)?.value;
        let mut subject = json!({
            "id": user.id,
            "status": user.status,
            "profile": user.profile.unwrap_or_default(),
        });
        if with_groups {
            let groups = client
                .list_user_groups(user_id)
                .map_err(okta_error)?
                .all()
                .await
                .map_err(okta_error)?;
            subject["groups"] = groups
                .into_iter()
                .map(|g| {
                    let name = g.profile.as_ref().and_then(|p| p.get("name")).cloned();
                    // The type tells rules which memberships the API can change.
                    json!({"id": g.id, "name": name, "type": g.group_type})
                })
                .collect();
        }
        Ok(subject)
    }
}
